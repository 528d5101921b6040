/* The case state machine's names and its one state setter; see cases.h. */
#include <stdio.h>
#include <string.h>

#include "dunmail/cases/cases.h"
#include "dunmail/config/config.h"
#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/model/vocab.h"
#include "dunmail/store/store.h"
#include "dunmail/store/trail.h"

/* 1 if o changes a field of the case row besides its state. */
static int
row_changes(const struct dun_case *c, const struct dun_case_outcome *o)
{
	return o->next != c->next_action || strcmp(o->next_detail,
	    c->next_detail ? c->next_detail : "") != 0 ||
	    o->next_at != c->next_action_at ||
	    o->promised_on != c->promised_on ||
	    o->promised_minor != c->promised_minor ||
	    o->broken_promises != c->broken_promises ||
	    o->hold_until != c->hold_until || o->stage_sent != c->stage_sent ||
	    o->last_reminder_at != c->last_reminder_at;
}

int
dun_case__set_state(struct dun_store *store, const struct dun_case *c,
    const struct dun_case_outcome *o, const struct dun_trail_ref *ref,
    const char *detail_json, dun_time_t now)
{
	char next_detail[sizeof(o->next_detail)];
	int rc;

	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	if (o->state != c->state && (rc = dun_store__case_set_state(store,
	    c->id, o->state, now)) < 0)
		goto fail;
	if (o->state != c->state || row_changes(c, o)) {
		struct dun_case saved = *c;

		memcpy(next_detail, o->next_detail, sizeof(next_detail));
		saved.next_action = o->next;
		saved.next_detail = next_detail;
		saved.next_action_at = o->next_at;
		saved.promised_on = o->promised_on;
		saved.promised_minor = o->promised_minor;
		saved.broken_promises = o->broken_promises;
		saved.hold_until = o->hold_until;
		saved.stage_sent = o->stage_sent;
		saved.last_reminder_at = o->last_reminder_at;
		saved.closed_at = o->state != DUN_CASE_CLOSED ? 0 :
		    c->state == DUN_CASE_CLOSED ? c->closed_at : now;
		saved.updated_at = now;
		if ((rc = dun_store_case_save(store, &saved)) < 0)
			goto fail;
	}
	if ((rc = dun_trail_append(store, now, o->event, ref,
	    detail_json)) < 0)
		goto fail;
	log_trace(TRACE_CASE, "case %s: %s -> %s, next %s(%s): %s",
	    c->invoice_number, dun_case_state_name(c->state),
	    dun_case_state_name(o->state), dun_next_action_name(o->next),
	    o->next_detail, o->reason);
	return dun_store_commit(store);
fail:
	dun_store_rollback(store);
	return rc;
}

int
dun_case_stage_limit(const struct dun_policy *policy, int stage_sent)
{
	int first_after = 0;

	while (first_after < (int)policy->nstages &&
	    policy->stages[first_after].offset_days <= 0)
		first_after++;
	/* Notes up to the due date may be passed over; after it, each
	 * stage follows the one before it, one step at a time. */
	return stage_sent + 1 > first_after ? stage_sent + 1 : first_after;
}

int
dun_case_next_stage(const struct dun_policy *policy, int stage_sent,
    dun_date_t due_date, dun_date_t today)
{
	int i, stage = -1, limit = dun_case_stage_limit(policy, stage_sent);

	if (stage_sent + 1 >= (int)policy->nstages)
		return -1;
	for (i = stage_sent + 1; i < (int)policy->nstages && i <= limit; i++)
		if (due_date + policy->stages[i].offset_days <= today)
			stage = i;
	return stage >= 0 ? stage : stage_sent + 1;
}

/* Reminders resume: the state the due date and the stages sent imply. */
static enum dun_case_state
resume_state(const struct dun_case *c, const struct dun_policy *policy,
    dun_date_t due_date, const char *tz, dun_time_t now)
{
	if (policy->nstages && c->stage_sent == (int)policy->nstages - 1)
		return DUN_CASE_ESCALATED;
	return due_date < dun_tz_date(now, tz) ? DUN_CASE_OVERDUE :
	    DUN_CASE_UPCOMING;
}

/* The first moment of local date `date` + days at which mail may go. */
static dun_time_t
local_start(const struct dun_policy *policy, dun_date_t date, int days,
    const char *tz)
{
	return dun_tz_instant(date + days, policy->window_start, tz);
}

static void
outcome_init(struct dun_case_outcome *o, const struct dun_case *c)
{
	memset(o, 0, sizeof(*o));
	o->state = c->state;
	o->next = c->next_action;
	snprintf(o->next_detail, sizeof(o->next_detail), "%s",
	    c->next_detail ? c->next_detail : "");
	o->next_at = c->next_action_at;
	o->promised_on = c->promised_on;
	o->promised_minor = c->promised_minor;
	o->broken_promises = c->broken_promises;
	o->hold_until = c->hold_until;
	o->stage_sent = c->stage_sent;
	o->last_reminder_at = c->last_reminder_at;
}

static void
set_next(struct dun_case_outcome *o, enum dun_next_action next,
    const char *detail, dun_time_t at)
{
	o->next = next;
	snprintf(o->next_detail, sizeof(o->next_detail), "%s", detail);
	o->next_at = at;
}

/* Reminders are next: remind(the stage the scheduler sends next), or
 * none once every stage went (the final notice was the last word). */
static void
set_remind(struct dun_case_outcome *o, const struct dun_policy *policy,
    dun_date_t due_date, const char *tz, dun_time_t now)
{
	int stage = dun_case_next_stage(policy, o->stage_sent, due_date,
	    dun_tz_date(now, tz));

	if (stage < 0)
		set_next(o, DUN_NEXT_NONE, "", 0);
	else
		set_next(o, DUN_NEXT_REMIND, policy->stages[stage].template, 0);
}

static int
reminding(enum dun_case_state state)
{
	return state == DUN_CASE_UPCOMING || state == DUN_CASE_OVERDUE ||
	    state == DUN_CASE_ESCALATED;
}

static void
to_human(struct dun_case_outcome *o, const char *reason)
{
	snprintf(o->handoff, sizeof(o->handoff), "%s", reason);
	set_next(o, DUN_NEXT_HUMAN, reason, 0);
}

/* A person must look at a reply the case cannot act on by itself: the
 * hand-off, and the next action if a person is not next already (then
 * their reason stays). State, promise and holds are unchanged. */
static void
ask_person(struct dun_case_outcome *o, const struct dun_case *c,
    const char *reason)
{
	snprintf(o->handoff, sizeof(o->handoff), "%s", reason);
	if (c->next_action != DUN_NEXT_HUMAN)
		set_next(o, DUN_NEXT_HUMAN, reason, 0);
	snprintf(o->event, sizeof(o->event), "needs_person");
}

static int
reply_transition(struct dun_case_outcome *o, const struct dun_case *c,
    const struct dun_case_event *ev, const struct dun_policy *policy,
    dun_date_t due_date, const char *tz, dun_time_t now)
{
	dun_date_t today = dun_tz_date(now, tz);
	char date[11];

	if (c->state == DUN_CASE_CLOSED) {
		snprintf(o->event, sizeof(o->event), "reply");
		snprintf(o->reason, sizeof(o->reason), "the case is closed; "
		    "the reply is recorded only");
		return 0;
	}
	/* Who may steer a case (docs/workflow.md): an untrusted reply, of
	 * any class, changes nothing but asks a person. */
	if (!ev->trusted) {
		ask_person(o, c, "unverified_sender");
		/* The why last: cut short, it still reads. */
		snprintf(o->reason, sizeof(o->reason), "the sender is not "
		    "verified, so the reply changes nothing and a person "
		    "decides: %s", ev->untrusted_why ? ev->untrusted_why :
		    "not trusted");
		return 1;
	}
	switch ((enum dun_class)ev->cls) {
	case DUN_CLASS_PROMISE_TO_PAY:
		/* Even a trusted reply pauses a case only so far. */
		if (ev->promised_on != DUN_DATE_NONE &&
		    ev->promised_on > today + policy->max_promise_days) {
			ask_person(o, c, "promise_too_far");
			dun_date_format(date, ev->promised_on);
			snprintf(o->reason, sizeof(o->reason), "promised to "
			    "pay by %s, more than max_promise_days (%d) away: "
			    "nothing is paused; a person decides", date,
			    policy->max_promise_days);
			return 1;
		}
		/* A promise without a date is taken as a week. */
		o->promised_on = ev->promised_on != DUN_DATE_NONE ?
		    ev->promised_on : today + 7;
		if (o->promised_on < today)
			o->promised_on = today;
		o->promised_minor = ev->promised_minor;
		o->state = DUN_CASE_PROMISED;
		o->hold_until = local_start(policy, o->promised_on,
		    policy->promise_grace_days + 1, tz);
		set_next(o, DUN_NEXT_FOLLOW_UP_PROMISE, "promise_broken",
		    o->hold_until);
		if (policy->send_promise_confirm)
			o->send_template = "promise_confirm";
		dun_date_format(date, o->promised_on);
		snprintf(o->event, sizeof(o->event), "promise");
		snprintf(o->reason, sizeof(o->reason), "promised to pay by %s"
		    "%s; no reminders until %d day(s) after it", date,
		    ev->promised_on == DUN_DATE_NONE ? " (no date given: "
		    "a week assumed)" : "", policy->promise_grace_days);
		return 1;
	case DUN_CLASS_DISPUTE:
		o->state = DUN_CASE_DISPUTED;
		if (policy->send_dispute_ack)
			o->send_template = "dispute_ack";
		to_human(o, "dispute");
		snprintf(o->event, sizeof(o->event), "dispute");
		snprintf(o->reason, sizeof(o->reason), "disputed: reminders "
		    "stopped until a person resolves it");
		return 1;
	case DUN_CLASS_HARDSHIP:
		o->state = DUN_CASE_HARDSHIP;
		if (policy->send_hardship_offer)
			o->send_template = "hardship_offer";
		to_human(o, "hardship");
		snprintf(o->event, sizeof(o->event), "hardship");
		snprintf(o->reason, sizeof(o->reason), "financial difficulty: "
		    "reminders stopped until a person agrees a plan");
		return 1;
	case DUN_CLASS_PAID:
		/* Like a dispute, a person is next; unlike one, the hold
		 * (hold_until) ends by itself and reminders resume if the
		 * ledger never shows the payment. */
		o->state = DUN_CASE_PAID;
		o->hold_until = local_start(policy, today,
		    policy->paid_hold_days, tz);
		to_human(o, "paid_unmatched");
		snprintf(o->event, sizeof(o->event), "paid_claim");
		snprintf(o->reason, sizeof(o->reason), "says it is paid: "
		    "reminders held %d day(s) while a person matches the "
		    "remittance", policy->paid_hold_days);
		return 1;
	case DUN_CLASS_OPT_OUT:
		o->state = DUN_CASE_ON_HOLD;
		o->opt_out = 1;
		to_human(o, "opt_out");
		snprintf(o->event, sizeof(o->event), "opt_out");
		snprintf(o->reason, sizeof(o->reason), "asked for no more "
		    "e-mail: none is sent to this debtor until a person "
		    "lifts it");
		return 1;
	case DUN_CLASS_WRONG_CONTACT:
		o->contact_invalid = 1;
		to_human(o, "wrong_contact");
		snprintf(o->event, sizeof(o->event), "wrong_contact");
		snprintf(o->reason, sizeof(o->reason), "wrong contact: the "
		    "address is marked invalid; a person must find the right "
		    "one");
		return 1;
	case DUN_CLASS_INVOICE_REQUEST:
		o->send_template = "invoice_copy";
		snprintf(o->event, sizeof(o->event), "invoice_request");
		/* A case waiting for a person keeps waiting: the copy goes,
		 * but the person's decision is still what comes next. */
		if (c->next_action == DUN_NEXT_HUMAN) {
			snprintf(o->reason, sizeof(o->reason), "asked for a "
			    "copy: sent automatically; the case still waits "
			    "for a person");
			return 1;
		}
		set_next(o, DUN_NEXT_SEND_COPY, "invoice_copy", now);
		snprintf(o->reason, sizeof(o->reason), "asked for a copy: "
		    "sent automatically; the schedule is kept");
		return 1;
	case DUN_CLASS_AUTO_REPLY:
		snprintf(o->event, sizeof(o->event), "auto_reply");
		if (ev->return_date == DUN_DATE_NONE ||
		    ev->return_date <= today) {
			snprintf(o->reason, sizeof(o->reason), "automatic "
			    "reply without a future return date: no change");
			return 0;
		}
		if (ev->return_date > today + policy->max_hold_days) {
			ask_person(o, c, "return_too_far");
			dun_date_format(date, ev->return_date);
			snprintf(o->reason, sizeof(o->reason), "away until %s, "
			    "more than max_hold_days (%d) away: nothing is "
			    "held; a person decides", date,
			    policy->max_hold_days);
			return 1;
		}
		o->hold_until = local_start(policy, ev->return_date, 1, tz);
		if (o->hold_until < c->hold_until)
			o->hold_until = c->hold_until;
		dun_date_format(date, ev->return_date);
		snprintf(o->reason, sizeof(o->reason), "away until %s: the "
		    "next reminder waits until after it", date);
		return 1;
	case DUN_CLASS_BOUNCE:
		snprintf(o->event, sizeof(o->event), "bounce");
		if (!ev->bounce_hard) {
			snprintf(o->reason, sizeof(o->reason), "temporary "
			    "delivery failure: nothing changes");
			return 0;
		}
		o->contact_invalid = 1;
		to_human(o, "hard_bounce");
		snprintf(o->reason, sizeof(o->reason), "the address does not "
		    "exist: marked invalid; a person must find another");
		return 1;
	case DUN_CLASS_UNKNOWN:
	default:
		break;
	}
	o->state = c->state == DUN_CASE_UPCOMING ||
	    c->state == DUN_CASE_OVERDUE || c->state == DUN_CASE_ESCALATED ?
	    DUN_CASE_ON_HOLD : c->state;
	to_human(o, "unknown");
	snprintf(o->event, sizeof(o->event), "needs_person");
	snprintf(o->reason, sizeof(o->reason), "a reply dunmail cannot act "
	    "on: reminders paused until a person reads it");
	(void)due_date;
	return 1;
}

static int
time_transition(struct dun_case_outcome *o, const struct dun_case *c,
    const struct dun_case_event *ev, const struct dun_policy *policy,
    dun_date_t due_date, const char *tz, dun_time_t now)
{
	dun_date_t today = dun_tz_date(now, tz);
	int copied = c->next_action == DUN_NEXT_SEND_COPY && ev->copy_done;

	snprintf(o->event, sizeof(o->event), "time");
	/* The copy went: the schedule is next again (below, a transition
	 * that sets its own next action overrides this). */
	if (copied)
		set_remind(o, policy, due_date, tz, now);
	if (c->state == DUN_CASE_UPCOMING && due_date < today) {
		o->state = DUN_CASE_OVERDUE;
		if (o->next == DUN_NEXT_REMIND)
			set_remind(o, policy, due_date, tz, now);
		snprintf(o->reason, sizeof(o->reason), "the due date passed");
		return 1;
	}
	if (c->state == DUN_CASE_PROMISED && c->hold_until &&
	    now >= c->hold_until) {
		o->broken_promises = c->broken_promises + 1;
		o->promised_on = DUN_DATE_NONE;
		o->promised_minor = -1;
		o->hold_until = 0;
		snprintf(o->event, sizeof(o->event), "promise_broken");
		if (o->broken_promises >= policy->max_broken_promises) {
			o->state = DUN_CASE_ON_HOLD;
			to_human(o, "broken_promises");
			snprintf(o->reason, sizeof(o->reason), "promise %d "
			    "broken: a person takes over", o->broken_promises);
			return 1;
		}
		o->state = resume_state(c, policy, due_date, tz, now);
		o->send_template = "promise_broken";
		set_remind(o, policy, due_date, tz, now);
		snprintf(o->reason, sizeof(o->reason), "the promised date and "
		    "grace passed unpaid: follow-up sent, reminders resume");
		return 1;
	}
	if (c->state == DUN_CASE_PAID && c->hold_until && now >= c->hold_until) {
		o->state = resume_state(c, policy, due_date, tz, now);
		o->hold_until = 0;
		set_remind(o, policy, due_date, tz, now);
		snprintf(o->reason, sizeof(o->reason), "the payment it reported "
		    "is not in the ledger after the hold: reminders resume");
		return 1;
	}
	if (c->state == DUN_CASE_ON_HOLD && c->next_action == DUN_NEXT_WAIT &&
	    c->hold_until && now >= c->hold_until) {
		o->state = resume_state(c, policy, due_date, tz, now);
		o->hold_until = 0;
		set_remind(o, policy, due_date, tz, now);
		snprintf(o->reason, sizeof(o->reason), "the hold ended");
		return 1;
	}
	/* One final notice per invoice: when its deadline passes unpaid,
	 * a person decides what comes next, not another letter. */
	if (c->state == DUN_CASE_ESCALATED && c->next_action ==
	    DUN_NEXT_WAIT && c->next_detail && strcmp(c->next_detail,
	    DUN_FINAL_DEADLINE) == 0 && c->next_action_at &&
	    now >= c->next_action_at) {
		to_human(o, "final_notice_expired");
		snprintf(o->event, sizeof(o->event), "needs_person");
		snprintf(o->reason, sizeof(o->reason), "the final notice's "
		    "deadline passed unpaid: a person takes over");
		return 1;
	}
	if (copied) {
		snprintf(o->reason, sizeof(o->reason), "the invoice copy went: "
		    "the reminder schedule continues");
		return 1;
	}
	/* Stages came due without being sent (the agent was down, or a
	 * hold outlasted them): the scheduler catches up to the latest. */
	if (reminding(c->state) && c->next_action == DUN_NEXT_REMIND) {
		set_remind(o, policy, due_date, tz, now);
		if (o->next != c->next_action || strcmp(o->next_detail,
		    c->next_detail ? c->next_detail : "") != 0) {
			snprintf(o->reason, sizeof(o->reason), "%s is the "
			    "stage due next", o->next_detail);
			return 1;
		}
	}
	return 0;
}

static int
human_transition(struct dun_case_outcome *o, const struct dun_case *c,
    const struct dun_case_event *ev, const struct dun_policy *policy,
    dun_date_t due_date, const char *tz, dun_time_t now)
{
	dun_date_t today = dun_tz_date(now, tz);
	char date[11];

	snprintf(o->event, sizeof(o->event), "decision");
	o->hold_until = 0;
	switch (ev->human) {
	case DUN_HUMAN_CLOSE:
		o->state = DUN_CASE_CLOSED;
		set_next(o, DUN_NEXT_NONE, "", 0);
		snprintf(o->reason, sizeof(o->reason), "closed by a person");
		return 1;
	case DUN_HUMAN_PLAN:
	case DUN_HUMAN_HOLD_UNTIL: {
		dun_date_t until = ev->until != DUN_DATE_NONE ? ev->until :
		    today + 30;
		o->state = DUN_CASE_ON_HOLD;
		o->hold_until = local_start(policy, until, 0, tz);
		set_next(o, DUN_NEXT_WAIT, ev->human == DUN_HUMAN_PLAN ?
		    "payment plan" : "hold", o->hold_until);
		dun_date_format(date, until);
		snprintf(o->reason, sizeof(o->reason), "%s: no reminders until "
		    "%s", ev->human == DUN_HUMAN_PLAN ? "payment plan agreed" :
		    "held by a person", date);
		return 1;
	}
	case DUN_HUMAN_LIFT_OPT_OUT:
		o->opt_out = -1;
		/* FALLTHROUGH */
	case DUN_HUMAN_SET_CONTACT:
	case DUN_HUMAN_RESUME:
	default:
		o->state = resume_state(c, policy, due_date, tz, now);
		set_remind(o, policy, due_date, tz, now);
		snprintf(o->reason, sizeof(o->reason), "%s by a person: "
		    "reminders resume", dun_human_action_name(ev->human));
		return 1;
	}
}

void
dun_case_event_init(struct dun_case_event *ev, enum dun_case_event_kind kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->promised_on = ev->return_date = ev->until = DUN_DATE_NONE;
	ev->promised_minor = -1;
}

int
dun_case_transition(struct dun_case_outcome *o, const struct dun_case *c,
    const struct dun_case_event *ev, const struct dun_policy *policy,
    dun_date_t due_date, const char *tz, dun_time_t now)
{
	outcome_init(o, c);
	switch (ev->kind) {
	case DUN_EV_REPLY:
		return reply_transition(o, c, ev, policy, due_date, tz, now);
	case DUN_EV_LEDGER_SETTLED:
		snprintf(o->event, sizeof(o->event), "ledger");
		if (c->state == DUN_CASE_CLOSED)
			return 0;
		o->state = DUN_CASE_CLOSED;
		o->hold_until = 0;
		set_next(o, DUN_NEXT_NONE, "", 0);
		snprintf(o->reason, sizeof(o->reason), "the ledger shows the "
		    "invoice settled");
		return 1;
	case DUN_EV_LEDGER_OPEN:
		snprintf(o->event, sizeof(o->event), "ledger");
		if (c->state != DUN_CASE_CLOSED && !ev->opened)
			return 0;
		/* Opened or reopened: where the due date and the stages
		 * sent put it (escalated if the final notice went). */
		o->state = resume_state(c, policy, due_date, tz, now);
		o->hold_until = 0;
		set_remind(o, policy, due_date, tz, now);
		snprintf(o->reason, sizeof(o->reason), "%s: the ledger shows "
		    "an open amount", ev->opened ? "opened" : "reopened");
		return 1;
	case DUN_EV_REMINDER_SENT:
		snprintf(o->event, sizeof(o->event), "reminder");
		o->stage_sent = ev->stage_index;
		o->last_reminder_at = now;
		if (ev->final_stage)
			o->state = DUN_CASE_ESCALATED;
		else if (c->state == DUN_CASE_UPCOMING &&
		    due_date < dun_tz_date(now, tz))
			o->state = DUN_CASE_OVERDUE;
		/* A person's turn, or a copy still to go, stays next. */
		if (o->next == DUN_NEXT_REMIND || o->next == DUN_NEXT_NONE)
			set_remind(o, policy, due_date, tz, now);
		/* After the final notice only its deadline is waited for. */
		if (ev->final_stage && ev->deadline > 0 &&
		    o->next == DUN_NEXT_NONE)
			set_next(o, DUN_NEXT_WAIT, DUN_FINAL_DEADLINE,
			    local_start(policy, ev->deadline, 1, tz));
		snprintf(o->reason, sizeof(o->reason), "stage %d sent%s",
		    ev->stage_index, ev->final_stage ? " (final notice)" : "");
		return 1;
	case DUN_EV_TIME:
		return time_transition(o, c, ev, policy, due_date, tz, now);
	case DUN_EV_HUMAN:
		return human_transition(o, c, ev, policy, due_date, tz, now);
	}
	return 0;
}
