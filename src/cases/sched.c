/* The scheduler: a pure function of one debtor's cases, its reminder
 * history, the policy and now. See sched.h and docs/policy.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/core/address.h"
#include "dunmail/core/common.h"

static const char *const action_names[] = {
	[DUN_SCHED_SEND] = "send",
	[DUN_SCHED_WAIT] = "wait",
	[DUN_SCHED_STOPPED] = "stopped",
	[DUN_SCHED_DONE] = "done",
};

static const char *const day_names[] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };

const char *
dun_sched_action_name(enum dun_sched_action action)
{
	if ((unsigned)action >= DUN_ARRAY_SIZE(action_names))
		return "invalid";
	return action_names[action];
}

int
dun_sched_is_holiday(const struct dun_policy *policy, const char *region,
    dun_date_t date)
{
	size_t i;

	for (i = 0; i < policy->nholidays; i++)
		if (policy->holidays[i].date == date &&
		    (policy->holidays[i].region[0] == '\0' ||
		    (region && strcmp(region,
		    policy->holidays[i].region) == 0)))
			return 1;
	return 0;
}

dun_date_t
dun_sched_business_day(const struct dun_policy *policy, const char *region,
    dun_date_t date)
{
	int i;

	for (i = 0; i < 366; i++, date++)
		if ((policy->weekdays & (1u << dun_date_weekday(date))) &&
		    !dun_sched_is_holiday(policy, region, date))
			return date;
	return date - i;
}

dun_time_t
dun_sched_next_open(const struct dun_policy *policy, const char *tz,
    const char *region, dun_time_t t)
{
	dun_date_t d = dun_tz_date(t, tz);
	dun_time_t open, close;
	int i;

	if (d == DUN_DATE_NONE)
		return 0;
	for (i = 0; i < 366; i++, d++) {
		if (!(policy->weekdays & (1u << dun_date_weekday(d))) ||
		    dun_sched_is_holiday(policy, region, d))
			continue;
		open = dun_tz_instant(d, policy->window_start, tz);
		close = dun_tz_instant(d, policy->window_end, tz);
		if (t >= close)
			continue;
		return t > open ? t : open;
	}
	return 0;
}

/* A contact is sent to when it is not marked invalid and passes the
 * address rule import applies (ASCII only): one imported before that
 * rule would fail every send, so it counts as no address. */
static int
contact_ok(const struct dun_debtor *d)
{
	size_t i;

	for (i = 0; i < d->nemails; i++)
		if (!d->email_invalid[i] && dun_email_valid(d->emails[i]))
			return 1;
	return 0;
}

/* The states in which an answer still makes sense when it is sent. */
int
dun_sched_answer_allowed(const char *tmpl, enum dun_case_state st,
    int64_t open_minor)
{
	if (strcmp(tmpl, "promise_confirm") == 0)
		return st == DUN_CASE_PROMISED;
	if (strcmp(tmpl, "dispute_ack") == 0)
		return st == DUN_CASE_DISPUTED;
	if (strcmp(tmpl, "hardship_offer") == 0)
		return st == DUN_CASE_HARDSHIP;
	if (strcmp(tmpl, "promise_broken") == 0)
		return open_minor > 0 && (st == DUN_CASE_UPCOMING ||
		    st == DUN_CASE_OVERDUE || st == DUN_CASE_ESCALATED);
	if (strcmp(tmpl, "invoice_copy") == 0)
		return st != DUN_CASE_CLOSED && st != DUN_CASE_PAID;
	return 0;
}

enum dun_out_kind
dun_sched_answer_kind(const char *tmpl)
{
	if (strcmp(tmpl, "promise_confirm") == 0)
		return DUN_OUT_PROMISE_CONFIRM;
	if (strcmp(tmpl, "promise_broken") == 0)
		return DUN_OUT_PROMISE_BROKEN;
	if (strcmp(tmpl, "dispute_ack") == 0)
		return DUN_OUT_DISPUTE_ACK;
	if (strcmp(tmpl, "hardship_offer") == 0)
		return DUN_OUT_HARDSHIP_OFFER;
	return DUN_OUT_INVOICE_COPY;
}

static int
time_cmp_desc(const void *a, const void *b)
{
	dun_time_t x = *(const dun_time_t *)a, y = *(const dun_time_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Why the window moved `earliest` to `at`. */
static void
window_why(char *out, size_t outlen, const struct dun_policy *policy,
    const struct dun_debtor *d, dun_time_t earliest, dun_time_t at)
{
	dun_date_t day = dun_tz_date(earliest, d->timezone);
	struct tm tm;

	if (dun_tz_localtime(&tm, at, d->timezone) < 0) {
		snprintf(out, outlen, "held: outside the send window");
		return;
	}
	if (dun_sched_is_holiday(policy, d->region, day)) {
		char date[11];
		dun_date_format(date, day);
		snprintf(out, outlen, "held: %s is a holiday; window opens "
		    "%s %02d:%02d", date, day_names[tm.tm_wday], tm.tm_hour,
		    tm.tm_min);
		return;
	}
	snprintf(out, outlen, "held: window opens %s %02d:%02d",
	    day_names[tm.tm_wday], tm.tm_hour, tm.tm_min);
}

static void
stopped(struct dun_sched_item *it, const char *why)
{
	it->action = DUN_SCHED_STOPPED;
	it->stage_index = -1;
	it->template[0] = '\0';
	it->at = 0;
	snprintf(it->why, sizeof(it->why), "stopped: %s", why);
}

static void
stop_for_state(struct dun_sched_item *it, const struct dun_case *c,
    const char *tz)
{
	char when[80], date[11];

	if (c->state == DUN_CASE_PROMISED && c->promised_on != DUN_DATE_NONE) {
		dun_date_format(date, c->promised_on);
		snprintf(when, sizeof(when), "promised to pay by %s", date);
		stopped(it, when);
	} else if (c->hold_until && (c->state == DUN_CASE_ON_HOLD ||
	    c->state == DUN_CASE_PAID)) {
		dun_time_format_local(when, sizeof(when), c->hold_until, tz);
		snprintf(it->why, sizeof(it->why), "stopped: %s until %s",
		    dun_case_state_name(c->state), when);
		it->action = DUN_SCHED_STOPPED;
	} else if (c->next_action == DUN_NEXT_HUMAN && c->next_detail &&
	    *c->next_detail) {
		snprintf(it->why, sizeof(it->why), "stopped: %s (%s: waiting "
		    "for a person)", dun_case_state_name(c->state),
		    c->next_detail);
		it->action = DUN_SCHED_STOPPED;
	} else
		stopped(it, dun_case_state_name(c->state));
}

/* The stages caught up over: every stage after the last one sent and
 * before target whose date has come. */
static void
skipped_list(char *out, size_t outlen, const struct dun_policy *policy,
    int from, int target)
{
	int i;
	size_t len = 0;

	out[0] = '\0';
	for (i = from; i < target; i++)
		len += (size_t)snprintf(out + len, len < outlen ? outlen - len :
		    0, "%s%s", len ? "," : "", policy->stages[i].template);
}

/* The most advanced stage after stage_sent whose date is on or before
 * day and that the stages sent have earned (dun_case_stage_limit), or
 * -1. */
static int
stage_due(const struct dun_policy *policy, const struct dun_case *c,
    dun_date_t due, dun_date_t day)
{
	int i, target = -1, limit = dun_case_stage_limit(policy, c->stage_sent);

	for (i = c->stage_sent + 1; i < (int)policy->nstages && i <= limit; i++)
		if (due + policy->stages[i].offset_days <= day)
			target = i;
	return target;
}

static void
plan_reminder(struct dun_sched_item *it, const struct dun_policy *policy,
    const struct dun_sched_input *in, const struct dun_case *c,
    const struct dun_invoice *inv, const dun_time_t *sent_desc,
    dun_time_t now)
{
	const struct dun_debtor *d = in->debtor;
	const char *tz = d->timezone;
	dun_date_t today = dun_tz_date(now, tz), due = inv->due_date;
	dun_time_t earliest, at, t;
	const char *binding = "stage";
	char date[11], when[80];
	int stage, first = c->stage_sent + 1;

	if (c->state != DUN_CASE_UPCOMING && c->state != DUN_CASE_OVERDUE &&
	    c->state != DUN_CASE_ESCALATED) {
		stop_for_state(it, c, tz);
		return;
	}
	if (inv->open_minor <= 0) {
		stopped(it, "nothing owed");
		return;
	}
	if (c->promised_on != DUN_DATE_NONE &&
	    today <= c->promised_on + policy->promise_grace_days) {
		dun_date_format(date, c->promised_on);
		snprintf(when, sizeof(when), "promised to pay by %s", date);
		stopped(it, when);
		return;
	}
	if (first >= (int)policy->nstages) {
		it->action = DUN_SCHED_DONE;
		snprintf(it->why, sizeof(it->why), "done: every stage sent "
		    "(last %s)", policy->nstages ?
		    policy->stages[policy->nstages - 1].template : "none");
		return;
	}
	stage = stage_due(policy, c, due, today);
	if (stage >= 0)
		earliest = now;
	else {
		stage = first;
		earliest = dun_tz_instant(due +
		    policy->stages[stage].offset_days, policy->window_start,
		    tz);
	}
	if (c->hold_until > earliest) {
		earliest = c->hold_until;
		binding = "hold";
	}
	/* The gap applies once overdue: a heads-up before the due date and
	 * the due-day note may follow each other closely. It holds from the
	 * debtor's last reminder, and from this invoice's own (which earned
	 * the stage: the letter before it must have had its time). */
	if (policy->stages[stage].offset_days > 0 && in->nsent > 0 &&
	    policy->min_gap_days > 0) {
		dun_date_t last = dun_tz_date(sent_desc[0], tz);
		t = dun_tz_instant(last + policy->min_gap_days,
		    policy->window_start, tz);
		if (t > earliest) {
			earliest = t;
			binding = "gap";
		}
	}
	if (policy->stages[stage].offset_days > 0 && c->last_reminder_at &&
	    policy->min_gap_days > 0) {
		dun_date_t last = dun_tz_date(c->last_reminder_at, tz);
		t = dun_tz_instant(last + policy->min_gap_days,
		    policy->window_start, tz);
		if (t > earliest) {
			earliest = t;
			binding = "case_gap";
		}
	}
	if (policy->max_per_week > 0 &&
	    in->nsent >= (size_t)policy->max_per_week) {
		t = sent_desc[policy->max_per_week - 1] + 7 * 86400;
		if (t > earliest) {
			earliest = t;
			binding = "cap";
		}
	}
	at = dun_sched_next_open(policy, tz, d->region, earliest);
	it->kind = DUN_OUT_REMINDER;
	it->overdue = due < today && c->hold_until <= now;
	it->final_stage = stage + 1 == (int)policy->nstages;
	if (at != 0 && at <= now) {
		it->action = DUN_SCHED_SEND;
		it->at = now;
		it->stage_index = stage;
		snprintf(it->template, sizeof(it->template), "%s",
		    policy->stages[stage].template);
		skipped_list(it->skipped, sizeof(it->skipped), policy, first,
		    stage);
		dun_date_format(date, due + policy->stages[stage].offset_days);
		snprintf(it->why, sizeof(it->why), "due: %s since %s%s%s",
		    policy->stages[stage].template, date,
		    it->skipped[0] ? "; caught up over " : "", it->skipped);
		return;
	}
	it->final_stage = 0;
	it->action = DUN_SCHED_WAIT;
	it->at = at;
	/* By then a later stage may have come due: name that one. */
	if (at != 0) {
		int later = stage_due(policy, c, due, dun_tz_date(at, tz));
		if (later > stage)
			stage = later;
	}
	it->stage_index = stage;
	snprintf(it->template, sizeof(it->template), "%s",
	    policy->stages[stage].template);
	if (at == 0) {
		snprintf(it->why, sizeof(it->why), "held: no sending day in "
		    "the next year (check weekdays and holidays)");
	} else if (strcmp(binding, "hold") == 0 && at == earliest) {
		dun_time_format_local(when, sizeof(when), c->hold_until, tz);
		snprintf(it->why, sizeof(it->why), "held until %s", when);
	} else if (strcmp(binding, "gap") == 0 && at == earliest) {
		long days = (long)(today - dun_tz_date(sent_desc[0], tz));
		snprintf(it->why, sizeof(it->why), "gap: last reminder %ld "
		    "day%s ago (at least %d between reminders)", days,
		    days == 1 ? "" : "s", policy->min_gap_days);
	} else if (strcmp(binding, "case_gap") == 0 && at == earliest) {
		long days = (long)(today - dun_tz_date(c->last_reminder_at,
		    tz));
		snprintf(it->why, sizeof(it->why), "gap: this invoice's last "
		    "reminder %ld day%s ago (at least %d before %s)", days,
		    days == 1 ? "" : "s", policy->min_gap_days, it->template);
	} else if (strcmp(binding, "cap") == 0 && at == earliest) {
		snprintf(it->why, sizeof(it->why), "cap: %d reminders in the "
		    "last 7 days", policy->max_per_week);
	} else if (earliest > now && at == earliest) {
		dun_date_format(date, due + policy->stages[stage].offset_days);
		snprintf(it->why, sizeof(it->why), "next: %s on %s",
		    it->template, date);
	} else
		window_why(it->why, sizeof(it->why), policy, d, earliest, at);
}

static void
plan_case(struct dun_sched_item *it, const struct dun_policy *policy,
    const struct dun_sched_input *in, const struct dun_sched_case *sc,
    const dun_time_t *sent_desc, dun_time_t now)
{
	const struct dun_debtor *d = in->debtor;
	struct dun_case c = *sc->c;  /* fields borrowed, never freed */
	struct dun_case_event ev;
	struct dun_case_outcome o;
	const char *answer = sc->answer;
	dun_time_t answer_at = sc->answer_at, at;

	memset(it, 0, sizeof(*it));
	it->case_id = c.id;
	it->new_state = -1;
	it->stage_index = -1;
	it->kind = DUN_OUT_REMINDER;

	/* Time passing is the state machine's to judge: plan as if its
	 * transition were applied. */
	dun_case_event_init(&ev, DUN_EV_TIME);
	if (dun_case_transition(&o, sc->c, &ev, policy, sc->inv->due_date,
	    d->timezone, now)) {
		if (o.state != c.state)
			it->new_state = (int)o.state;
		c.state = o.state;
		c.hold_until = o.hold_until;
		c.promised_on = o.promised_on;
		c.next_action = o.next;
		if (o.send_template && answer == NULL) {
			answer = o.send_template;
			answer_at = now;
		}
	}

	if (d->opted_out) {
		stopped(it, "the debtor opted out");
		return;
	}
	if (!contact_ok(d)) {
		stopped(it, "no valid contact address");
		return;
	}
	if (answer && answer_at + DUN_SCHED_ANSWER_TTL > now &&
	    dun_sched_answer_allowed(answer, c.state, sc->inv->open_minor)) {
		it->kind = dun_sched_answer_kind(answer);
		snprintf(it->template, sizeof(it->template), "%s", answer);
		at = dun_sched_next_open(policy, d->timezone, d->region, now);
		if (at == now) {
			it->action = DUN_SCHED_SEND;
			it->at = now;
			snprintf(it->why, sizeof(it->why), "answer: %s",
			    answer);
		} else {
			it->action = DUN_SCHED_WAIT;
			it->at = at;
			window_why(it->why, sizeof(it->why), policy, d, now,
			    at);
		}
		return;
	}
	plan_reminder(it, policy, in, &c, sc->inv, sent_desc, now);
}

void
dun_sched_plan(struct dun_sched_item *items_out,
    const struct dun_policy *policy, const struct dun_sched_input *in,
    dun_time_t now)
{
	dun_time_t *sent_desc = NULL;
	size_t i;

	if (in->nsent) {
		sent_desc = xcalloc(in->nsent, sizeof(*sent_desc));
		memcpy(sent_desc, in->sent, in->nsent * sizeof(*sent_desc));
		qsort(sent_desc, in->nsent, sizeof(*sent_desc), time_cmp_desc);
	}
	for (i = 0; i < in->ncases; i++)
		plan_case(&items_out[i], policy, in, &in->cases[i], sent_desc,
		    now);
	free(sent_desc);
}

void
dun_out_batches_free(struct dun_out_batches *batches)
{
	size_t i, j;

	if (batches == NULL)
		return;
	for (i = 0; i < batches->count; i++) {
		struct dun_out_batch *b = &batches->items[i];
		for (j = 0; j < b->ncases && b->skipped; j++)
			free(b->skipped[j]);
		free(b->skipped);
		free(b->case_ids);
		free(b->stage_index);
		free(b->template);
	}
	free(batches->items);
	memset(batches, 0, sizeof(*batches));
}

static struct dun_out_batch *
batch_new(struct dun_out_batches *out, int64_t debtor_id,
    enum dun_out_kind kind, const char *tmpl, size_t max)
{
	struct dun_out_batch *b;

	out->items = xreallocarray(out->items, out->count + 1,
	    sizeof(*out->items));
	b = &out->items[out->count++];
	memset(b, 0, sizeof(*b));
	b->debtor_id = debtor_id;
	b->kind = kind;
	b->template = xstrdup(tmpl);
	b->case_ids = xcalloc(max, sizeof(*b->case_ids));
	b->stage_index = xcalloc(max, sizeof(*b->stage_index));
	b->skipped = xcalloc(max, sizeof(*b->skipped));
	return b;
}

static void
batch_add(struct dun_out_batch *b, const struct dun_sched_item *it)
{
	b->case_ids[b->ncases] = it->case_id;
	b->stage_index[b->ncases] = it->stage_index;
	b->skipped[b->ncases] = xstrdup(it->skipped);
	b->ncases++;
}

void
dun_sched_batches(struct dun_out_batches *out, int64_t debtor_id,
    const struct dun_sched_item *items, size_t nitems)
{
	struct dun_out_batch *b;
	const struct dun_sched_item *top = NULL;
	size_t i, j;

	/* One reminder for every due case, in the most advanced stage's
	 * words. */
	for (i = 0; i < nitems; i++)
		if (items[i].action == DUN_SCHED_SEND &&
		    items[i].kind == DUN_OUT_REMINDER &&
		    (top == NULL || items[i].stage_index > top->stage_index))
			top = &items[i];
	if (top) {
		b = batch_new(out, debtor_id, DUN_OUT_REMINDER, top->template,
		    nitems);
		for (i = 0; i < nitems; i++)
			if (items[i].action == DUN_SCHED_SEND &&
			    items[i].kind == DUN_OUT_REMINDER)
				batch_add(b, &items[i]);
		/* A final notice is complete: every other overdue invoice
		 * still being reminded is listed too, at no stage of its
		 * own (its escalation is not earned by riding along). */
		for (i = 0; top->final_stage && i < nitems; i++)
			if (items[i].action == DUN_SCHED_WAIT &&
			    items[i].kind == DUN_OUT_REMINDER &&
			    items[i].overdue) {
				batch_add(b, &items[i]);
				b->stage_index[b->ncases - 1] = -1;
				b->skipped[b->ncases - 1][0] = '\0';
			}
	}
	/* One answer per template, listing every case it answers. */
	for (i = 0; i < nitems; i++) {
		int seen = 0;
		if (items[i].action != DUN_SCHED_SEND ||
		    items[i].kind == DUN_OUT_REMINDER)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = items[j].action == DUN_SCHED_SEND &&
			    items[j].kind != DUN_OUT_REMINDER &&
			    strcmp(items[j].template, items[i].template) == 0;
		if (seen)
			continue;
		b = batch_new(out, debtor_id, items[i].kind, items[i].template,
		    nitems);
		for (j = i; j < nitems; j++)
			if (items[j].action == DUN_SCHED_SEND &&
			    items[j].kind != DUN_OUT_REMINDER &&
			    strcmp(items[j].template, items[i].template) == 0)
				batch_add(b, &items[j]);
	}
}
