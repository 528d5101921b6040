/* Six weeks of the scheduler and the case state machine over a ledger of
 * one debtor's four invoices (due 1 Nov, 25 Nov, 11 Dec, 16 Dec 2026,
 * never written to before Friday 11 Dec) and another debtor's two, with
 * a holiday on the seventh day (18 Dec). Every day each debtor is
 * planned at 10:00 local, the letters are "sent" and the stages applied
 * as the outbox does; then what an AR lawyer would check is asserted:
 * stages match the due dates, escalation is earned, every final notice
 * is complete and no invoice gets two, every deadline is a business
 * day, and an unpaid final notice goes to a person after its deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/config/config.h"
#include "dunmail/store/store.h"
#include "testutil.h"

#define NINV 6
#define MAXSENT 64

static dun_date_t
D(const char *s)
{
	dun_date_t d;

	if (dun_date_parse(&d, s) < 0)
		abort();
	return d;
}

static struct dun_stage stages[] = {
	{ -7, "before_due" }, { 0, "due_today" }, { 3, "overdue_1" },
	{ 10, "overdue_2" }, { 30, "final_notice" },
};
#define FINAL 4
#define FIRST_AFTER_DUE 2

static struct dun_holiday holidays[3];

static void
policy_init(struct dun_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->stages = stages;
	p->nstages = DUN_ARRAY_SIZE(stages);
	p->min_gap_days = 7;
	p->window_start = 9 * 60;
	p->window_end = 17 * 60;
	p->weekdays = 0x3e;
	p->max_per_week = 2;
	memset(holidays, 0, sizeof(holidays));
	holidays[0].date = D("2026-12-18");   /* the seventh day */
	holidays[1].date = D("2026-12-25");
	holidays[2].date = D("2027-01-01");
	p->holidays = holidays;
	p->nholidays = 3;
	p->promise_grace_days = 2;
	p->max_broken_promises = 2;
	p->paid_hold_days = 5;
	p->final_deadline_days = 7;
}

struct world {
	struct dun_debtor debtor[2];
	struct dun_invoice inv[NINV];
	struct dun_case c[NINV];
	int owner[NINV];                 /* debtor index */
	dun_date_t stage_day[NINV][5];   /* the day each stage went, or 0 */
	dun_date_t last_overdue_day[NINV];
	int finals[NINV];
	dun_date_t deadline[NINV];
	dun_time_t sent[2][MAXSENT];
	size_t nsent[2];
	int letters, final_letters;
};

static char *emails[1] = { "ap@buyer.test" };
static int invalid[1] = { 0 };

static void
world_init(struct world *w)
{
	static const char *const due[NINV] = { "2026-11-01", "2026-11-25",
		"2026-12-11", "2026-12-16", "2026-12-01", "2026-12-24" };
	size_t i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < 2; i++) {
		w->debtor[i].id = (int64_t)i + 1;
		w->debtor[i].ref = i ? "CUST-2" : "CUST-1";
		w->debtor[i].name = i ? "Buyer Two" : "Buyer One";
		w->debtor[i].language = i ? "zh" : "en";
		w->debtor[i].timezone = i ? "Asia/Shanghai" : "Europe/London";
		w->debtor[i].region = i ? "CN" : "GB";
		w->debtor[i].emails = emails;
		w->debtor[i].email_invalid = invalid;
		w->debtor[i].nemails = 1;
	}
	for (i = 0; i < NINV; i++) {
		w->owner[i] = i < 4 ? 0 : 1;
		w->inv[i].id = (int64_t)i + 100;
		w->inv[i].debtor_id = w->owner[i] + 1;
		w->inv[i].number = xasprintf("INV-%zu", i + 1);
		w->inv[i].due_date = D(due[i]);
		w->inv[i].issue_date = w->inv[i].due_date - 30;
		memcpy(w->inv[i].currency, "EUR", 4);
		w->inv[i].amount_minor = 100000 * (int64_t)(i + 1);
		w->inv[i].open_minor = w->inv[i].amount_minor;
		w->c[i].id = (int64_t)i + 1000;
		w->c[i].invoice_id = w->inv[i].id;
		w->c[i].debtor_id = w->inv[i].debtor_id;
		w->c[i].invoice_number = w->inv[i].number;
		w->c[i].state = DUN_CASE_OVERDUE;
		w->c[i].stage_sent = -1;
		w->c[i].promised_on = DUN_DATE_NONE;
		w->c[i].promised_minor = -1;
		w->c[i].next_action = DUN_NEXT_REMIND;
		w->c[i].next_detail = xstrdup("");
	}
}

static void
world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < NINV; i++) {
		free(w->inv[i].number);
		free(w->c[i].next_detail);
	}
}

static struct dun_policy policy;

/* An outcome written back over the case, as dun_case__set_state does. */
static void
apply(struct world *w, size_t i, const struct dun_case_event *ev,
    dun_time_t now)
{
	struct dun_case_outcome o;
	struct dun_case *c = &w->c[i];

	if (!dun_case_transition(&o, c, ev, &policy, w->inv[i].due_date,
	    w->debtor[w->owner[i]].timezone, now))
		return;
	c->state = o.state;
	c->next_action = o.next;
	free(c->next_detail);
	c->next_detail = xstrdup(o.next_detail);
	c->next_action_at = o.next_at;
	c->stage_sent = o.stage_sent;
	c->last_reminder_at = o.last_reminder_at;
	c->hold_until = o.hold_until;
}

static int
business_day(dun_date_t d, const char *region)
{
	return (policy.weekdays & (1u << dun_date_weekday(d))) &&
	    !dun_sched_is_holiday(&policy, region, d);
}

/* One letter: what the outbox does once the server has it, and the
 * checks on its content. */
static void
send_batch(struct world *w, int k, const struct dun_out_batch *b,
    dun_time_t now)
{
	const struct dun_debtor *d = &w->debtor[k];
	dun_date_t today = dun_tz_date(now, d->timezone);
	dun_date_t deadline = dun_sched_business_day(&policy, d->region,
	    today + policy.final_deadline_days);
	struct dun_case_event ev;
	char day[11];
	size_t j, i;
	int final = strcmp(b->template, "final_notice") == 0;

	dun_date_format(day, today);
	assert_int_equal(b->kind, DUN_OUT_REMINDER);
	w->letters++;
	w->final_letters += final;
	/* Every deadline a letter names is a business day. */
	assert_true(business_day(deadline, d->region));
	/* A final notice is complete: every overdue invoice of the debtor
	 * still being reminded is in it. */
	for (i = 0; final && i < NINV; i++) {
		int listed = 0;
		if (w->owner[i] != k || w->inv[i].due_date >= today ||
		    w->c[i].stage_sent == FINAL ||
		    w->c[i].next_action == DUN_NEXT_HUMAN)
			continue;
		for (j = 0; j < b->ncases; j++)
			listed |= b->case_ids[j] == w->c[i].id;
		if (!listed)
			print_error("%s: final notice leaves out %s\n", day,
			    w->inv[i].number);
		assert_true(listed);
	}
	if (getenv("WEEKS_TRACE"))
		for (j = 0; j < b->ncases; j++)
			fprintf(stderr, "%s %s %s: case %lld stage %d\n", day,
			    d->ref, b->template, (long long)b->case_ids[j],
			    b->stage_index[j]);
	for (j = 0; j < b->ncases; j++) {
		int s = b->stage_index[j];
		for (i = 0; i < NINV && w->c[i].id != b->case_ids[j]; i++)
			;
		assert_true(i < NINV);
		if (s < 0)
			continue;
		/* The stage matches the due date: its day has come, and a
		 * stage after the due date goes only once it has passed. */
		assert_true(w->inv[i].due_date + stages[s].offset_days <=
		    today);
		if (stages[s].offset_days > 0)
			assert_true(w->inv[i].due_date < today);
		else
			assert_true(w->inv[i].due_date >= today - 2);
		/* Escalation is earned, one step at a time. */
		if (s > FIRST_AFTER_DUE) {
			assert_true(w->stage_day[i][s - 1] != 0);
			assert_true(w->stage_day[i][s - 1] +
			    policy.min_gap_days <= today);
		}
		if (s == FINAL) {
			assert_int_equal(w->finals[i], 0);
			w->finals[i]++;
			w->deadline[i] = deadline;
		}
		w->stage_day[i][s] = today;
		dun_case_event_init(&ev, DUN_EV_REMINDER_SENT);
		ev.stage_index = s;
		ev.final_stage = s == FINAL;
		ev.deadline = s == FINAL ? deadline : 0;
		apply(w, i, &ev, now);
	}
	assert_true(w->nsent[k] < MAXSENT);
	w->sent[k][w->nsent[k]++] = now;
}

static void
run_day(struct world *w, int k, dun_date_t day)
{
	const struct dun_debtor *d = &w->debtor[k];
	dun_time_t now = dun_tz_instant(day, 10 * 60, d->timezone);
	struct dun_sched_case sc[NINV];
	struct dun_sched_item items[NINV];
	struct dun_sched_input in;
	struct dun_out_batches out = { 0 };
	struct dun_case_event ev;
	size_t i, n = 0, b;

	/* dunmail send ticks the cases first. */
	for (i = 0; i < NINV; i++)
		if (w->owner[i] == k) {
			dun_case_event_init(&ev, DUN_EV_TIME);
			apply(w, i, &ev, now);
		}
	memset(sc, 0, sizeof(sc));
	for (i = 0; i < NINV; i++)
		if (w->owner[i] == k) {
			sc[n].c = &w->c[i];
			sc[n].inv = &w->inv[i];
			n++;
		}
	memset(&in, 0, sizeof(in));
	in.debtor = d;
	in.cases = sc;
	in.ncases = n;
	in.sent = w->sent[k];
	in.nsent = w->nsent[k];
	dun_sched_plan(items, &policy, &in, now);
	dun_sched_batches(&out, d->id, items, n);
	assert_true(out.count <= 1);
	for (b = 0; b < out.count; b++)
		send_batch(w, k, &out.items[b], now);
	dun_out_batches_free(&out);
}

static void
test_sched_weeks__six_weeks(void **state)
{
	struct world w;
	dun_date_t start = D("2026-12-11"), day;
	size_t i;
	int k;

	(void)state;
	policy_init(&policy);
	world_init(&w);
	for (day = start; day < start + 42; day++)
		for (k = 0; k < 2; k++)
			run_day(&w, k, day);

	/* The first letter on Friday 11 Dec is no final notice: the oldest
	 * invoice gets its first overdue reminder. */
	assert_int_equal(w.stage_day[0][FIRST_AFTER_DUE], start);
	assert_int_equal(w.stage_day[0][FINAL] == start, 0);
	/* The 16 Dec invoice got its heads-up, then its due-day note. */
	assert_int_equal(w.stage_day[3][0], start);
	assert_int_equal(w.stage_day[3][1], D("2026-12-16"));
	/* The 18 Dec holiday carries no letter. */
	for (i = 0; i < NINV; i++) {
		int s;
		for (s = 0; s < 5; s++)
			assert_true(w.stage_day[i][s] != D("2026-12-18"));
	}
	/* Each invoice reached its final notice exactly once, and once its
	 * deadline passed unpaid a person took over. */
	for (i = 0; i < NINV; i++) {
		if (w.finals[i] == 0)
			continue;
		assert_int_equal(w.finals[i], 1);
		assert_true(business_day(w.deadline[i],
		    w.debtor[w.owner[i]].region));
		if (w.deadline[i] + 2 < start + 42) {
			assert_int_equal(w.c[i].next_action, DUN_NEXT_HUMAN);
			assert_string_equal(w.c[i].next_detail,
			    "final_notice_expired");
		}
	}
	assert_int_equal(w.finals[0], 1);
	assert_true(w.final_letters >= 1);
	world_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_weeks__six_weeks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
