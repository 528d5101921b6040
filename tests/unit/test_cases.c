/* The case state machine as a table:
 * [state, event, now] -> [state, next action, trail event, side effects],
 * checked on the pure transition and again through dun_case_apply on a
 * real store; then the read-only view, the tick and the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/cases/cases.h"
#include "dunmail/config/config.h"
#include "dunmail/ledger/ledger.h"
#include "dunmail/reply/classify.h"
#include "dunmail/store/store.h"
#include "testutil.h"

#define NONE DUN_DATE_NONE

/* The table rows override the macros' defaults on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

struct row {
	const char *name;
	/* the case before (see the BEFORE macros) */
	enum dun_case_state state;
	int stage_sent;
	int broken;
	const char *hold_until;    /* ISO instant or NULL */
	enum dun_next_action next;
	const char *detail;
	/* the event, at now */
	struct dun_case_event ev;
	const char *now;
	/* expected */
	int changed;
	enum dun_case_state want_state;
	enum dun_next_action want_next;
	const char *want_detail;
	const char *want_event;    /* the trail event's kind */
	const char *want_send;     /* NULL = none */
	const char *want_handoff;  /* "" = none */
	int want_opt_out;
	int want_invalid;
	const char *want_hold;     /* ISO instant or NULL = 0 */
};

static dun_date_t
D(const char *s)
{
	dun_date_t d;

	if (dun_date_parse(&d, s) < 0)
		abort();
	return d;
}

static dun_time_t
T(const char *s)
{
	dun_time_t t;

	if (dun_time_parse(&t, s) < 0)
		abort();
	return t;
}

#define REPLY(cls_, ...) { .kind = DUN_EV_REPLY, .cls = (cls_), \
	.promised_on = NONE, .promised_minor = -1, .return_date = NONE, \
	.trusted = 1, .until = NONE, __VA_ARGS__ }
#define EV(kind_, ...) { .kind = (kind_), .promised_on = NONE, \
	.promised_minor = -1, .return_date = NONE, .trusted = 1, \
	.until = NONE, __VA_ARGS__ }
#define HUMAN(action_, ...) EV(DUN_EV_HUMAN, .human = (action_), __VA_ARGS__)

/*
 * The cases before, as [state, stage_sent, broken promises, hold_until,
 * next action, detail]. Stages (the default policy): 0 before_due (9
 * Nov), 1 due_today (16 Nov), 2 overdue_1 (19 Nov), 3 overdue_2 (26 Nov),
 * 4 final_notice (16 Dec).
 */
#define FRESH DUN_CASE_UPCOMING, -1, 0, NULL, DUN_NEXT_REMIND, ""
#define UPCOMING_S1 DUN_CASE_UPCOMING, 1, 0, NULL, DUN_NEXT_REMIND, \
	"overdue_1"
#define OVERDUE_S1 DUN_CASE_OVERDUE, 1, 0, NULL, DUN_NEXT_REMIND, "overdue_1"
#define OVERDUE_S2 DUN_CASE_OVERDUE, 2, 0, NULL, DUN_NEXT_REMIND, "overdue_2"
#define OVERDUE_S3 DUN_CASE_OVERDUE, 3, 0, NULL, DUN_NEXT_REMIND, \
	"final_notice"
#define ESCALATED_S4 DUN_CASE_ESCALATED, 4, 0, NULL, DUN_NEXT_NONE, ""
#define CLOSED_S2 DUN_CASE_CLOSED, 2, 0, NULL, DUN_NEXT_NONE, ""
#define CLOSED_S4 DUN_CASE_CLOSED, 4, 0, NULL, DUN_NEXT_NONE, ""
#define DISPUTED_S2 DUN_CASE_DISPUTED, 2, 0, NULL, DUN_NEXT_HUMAN, "dispute"
#define HARDSHIP_S2 DUN_CASE_HARDSHIP, 2, 0, NULL, DUN_NEXT_HUMAN, "hardship"
#define HARDSHIP_S4 DUN_CASE_HARDSHIP, 4, 0, NULL, DUN_NEXT_HUMAN, "hardship"
#define PROMISED_S2(broken_) DUN_CASE_PROMISED, 2, (broken_), \
	"2026-11-30T01:00:00Z", DUN_NEXT_FOLLOW_UP_PROMISE, "promise_broken"
#define PAID_S2 DUN_CASE_PAID, 2, 0, "2026-11-25T01:00:00Z", DUN_NEXT_HUMAN, \
	"paid_unmatched"
#define HELD_S2 DUN_CASE_ON_HOLD, 2, 0, "2026-12-15T01:00:00Z", \
	DUN_NEXT_WAIT, "hold"

/* The debtor is in Asia/Shanghai (UTC+8), window 09:00-17:00, the invoice
 * due 2026-11-16 (a Monday), grace 2 days, 2 broken promises allowed,
 * paid hold 5 days. Dates in events are markers (table_event()). */
static const struct row rows[] = {
	/* Replies. */
	{ "promise with a date", OVERDUE_S2,
	  REPLY(DUN_CLASS_PROMISE_TO_PAY, .promised_on = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_PROMISED,
	  DUN_NEXT_FOLLOW_UP_PROMISE, "promise_broken", "promise",
	  "promise_confirm", "", 0, 0,
	  /* 27 Nov + 2 grace + 1 = 30 Nov 09:00 +08 */
	  "2026-11-30T01:00:00Z" },
	{ "promise without a date: a week", OVERDUE_S2,
	  REPLY(DUN_CLASS_PROMISE_TO_PAY), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_PROMISED, DUN_NEXT_FOLLOW_UP_PROMISE, "promise_broken",
	  "promise", "promise_confirm", "", 0, 0, "2026-11-30T01:00:00Z" },
	{ "dispute", OVERDUE_S2, REPLY(DUN_CLASS_DISPUTE),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_DISPUTED, DUN_NEXT_HUMAN,
	  "dispute", "dispute", "dispute_ack", "dispute", 0, 0, NULL },
	{ "hardship after the final notice", ESCALATED_S4,
	  REPLY(DUN_CLASS_HARDSHIP), "2026-12-20T02:00:00Z", 1,
	  DUN_CASE_HARDSHIP, DUN_NEXT_HUMAN, "hardship", "hardship",
	  "hardship_offer", "hardship", 0, 0, NULL },
	{ "says paid: held, a person matches it", OVERDUE_S2,
	  REPLY(DUN_CLASS_PAID), "2026-11-20T02:00:00Z", 1, DUN_CASE_PAID,
	  DUN_NEXT_HUMAN, "paid_unmatched", "paid_claim", NULL,
	  "paid_unmatched", 0, 0, "2026-11-25T01:00:00Z" },
	{ "opt-out", OVERDUE_S2, REPLY(DUN_CLASS_OPT_OUT),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN,
	  "opt_out", "opt_out", NULL, "opt_out", 1, 0, NULL },
	{ "opt-out from a stranger: a person decides", OVERDUE_S2,
	  REPLY(DUN_CLASS_OPT_OUT, .trusted = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "unverified_sender", "needs_person", NULL, "unverified_sender", 0,
	  0, NULL },
	/* Who may steer a case: an untrusted reply of any class asks a
	 * person and changes nothing else (no promise, no copy, no hold). */
	{ "untrusted promise: a person decides, nothing paused", OVERDUE_S2,
	  REPLY(DUN_CLASS_PROMISE_TO_PAY, .promised_on = 0, .trusted = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "unverified_sender", "needs_person", NULL, "unverified_sender", 0,
	  0, NULL },
	{ "untrusted invoice request: no copy", OVERDUE_S2,
	  REPLY(DUN_CLASS_INVOICE_REQUEST, .trusted = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "unverified_sender", "needs_person", NULL, "unverified_sender", 0,
	  0, NULL },
	{ "untrusted out of office: no hold", OVERDUE_S2,
	  REPLY(DUN_CLASS_AUTO_REPLY, .return_date = 1, .trusted = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "unverified_sender", "needs_person", NULL, "unverified_sender", 0,
	  0, NULL },
	{ "untrusted paid claim: no hold", OVERDUE_S2,
	  REPLY(DUN_CLASS_PAID, .trusted = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "unverified_sender", "needs_person", NULL, "unverified_sender", 0,
	  0, NULL },
	{ "untrusted dispute while a person decides: their reason stays",
	  DISPUTED_S2, REPLY(DUN_CLASS_DISPUTE, .trusted = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_DISPUTED, DUN_NEXT_HUMAN,
	  "dispute", "needs_person", NULL, "unverified_sender", 0, 0, NULL },
	/* Bounds even a trusted reply keeps. */
	{ "promise past max_promise_days: a person decides", OVERDUE_S2,
	  REPLY(DUN_CLASS_PROMISE_TO_PAY, .promised_on = 3),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "promise_too_far", "needs_person", NULL, "promise_too_far", 0, 0,
	  NULL },
	{ "return date past max_hold_days: a person decides", OVERDUE_S2,
	  REPLY(DUN_CLASS_AUTO_REPLY, .return_date = 4),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "return_too_far", "needs_person", NULL, "return_too_far", 0, 0,
	  NULL },
	{ "wrong contact", OVERDUE_S2, REPLY(DUN_CLASS_WRONG_CONTACT),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "wrong_contact", "wrong_contact", NULL, "wrong_contact", 0, 1,
	  NULL },
	{ "invoice request keeps the schedule", OVERDUE_S2,
	  REPLY(DUN_CLASS_INVOICE_REQUEST), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_SEND_COPY, "invoice_copy",
	  "invoice_request", "invoice_copy", "", 0, 0, NULL },
	{ "invoice request while a person decides: the copy goes, the "
	  "person is still next", DISPUTED_S2,
	  REPLY(DUN_CLASS_INVOICE_REQUEST), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_DISPUTED, DUN_NEXT_HUMAN, "dispute", "invoice_request",
	  "invoice_copy", "", 0, 0, NULL },
	{ "out of office with a return date", OVERDUE_S2,
	  REPLY(DUN_CLASS_AUTO_REPLY, .return_date = 1),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "auto_reply", NULL, "", 0, 0, "2026-12-02T01:00:00Z" },
	{ "out of office without a date", OVERDUE_S2,
	  REPLY(DUN_CLASS_AUTO_REPLY), "2026-11-20T02:00:00Z", 0,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "overdue_2", "auto_reply", NULL,
	  "", 0, 0, NULL },
	{ "hard bounce", OVERDUE_S2, REPLY(DUN_CLASS_BOUNCE, .bounce_hard = 1),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN,
	  "hard_bounce", "bounce", NULL, "hard_bounce", 0, 1, NULL },
	{ "soft bounce changes nothing", OVERDUE_S2, REPLY(DUN_CLASS_BOUNCE),
	  "2026-11-20T02:00:00Z", 0, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "bounce", NULL, "", 0, 0, NULL },
	{ "unknown reply pauses for a person", OVERDUE_S2,
	  REPLY(DUN_CLASS_UNKNOWN), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN, "unknown", "needs_person", NULL,
	  "unknown", 0, 0, NULL },
	{ "a reply to a closed case is only recorded", CLOSED_S2,
	  REPLY(DUN_CLASS_DISPUTE), "2026-11-20T02:00:00Z", 0,
	  DUN_CASE_CLOSED, DUN_NEXT_NONE, "", "reply", NULL, "", 0, 0, NULL },

	/* The ledger. */
	{ "ledger opens a case, overdue: stages caught up over", FRESH,
	  EV(DUN_EV_LEDGER_OPEN, .opened = 1), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "overdue_1", "ledger", NULL, "",
	  0, 0, NULL },
	{ "ledger opens a case before its first stage", FRESH,
	  EV(DUN_EV_LEDGER_OPEN, .opened = 1), "2026-11-05T02:00:00Z", 1,
	  DUN_CASE_UPCOMING, DUN_NEXT_REMIND, "before_due", "ledger", NULL, "",
	  0, 0, NULL },
	{ "ledger still owed: nothing", OVERDUE_S2, EV(DUN_EV_LEDGER_OPEN),
	  "2026-11-20T02:00:00Z", 0, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "ledger", NULL, "", 0, 0, NULL },
	{ "ledger reopens", CLOSED_S2, EV(DUN_EV_LEDGER_OPEN),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "ledger", NULL, "", 0, 0, NULL },
	{ "ledger reopens after the final notice", CLOSED_S4,
	  EV(DUN_EV_LEDGER_OPEN), "2026-12-20T02:00:00Z", 1,
	  DUN_CASE_ESCALATED, DUN_NEXT_NONE, "", "ledger", NULL, "", 0, 0,
	  NULL },
	{ "ledger settles a dispute", DISPUTED_S2, EV(DUN_EV_LEDGER_SETTLED),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_CLOSED, DUN_NEXT_NONE, "",
	  "ledger", NULL, "", 0, 0, NULL },
	{ "ledger settles a paid claim (the hold goes)", PAID_S2,
	  EV(DUN_EV_LEDGER_SETTLED), "2026-11-22T02:00:00Z", 1,
	  DUN_CASE_CLOSED, DUN_NEXT_NONE, "", "ledger", NULL, "", 0, 0, NULL },
	{ "ledger settled again: nothing", CLOSED_S2,
	  EV(DUN_EV_LEDGER_SETTLED), "2026-11-20T02:00:00Z", 0,
	  DUN_CASE_CLOSED, DUN_NEXT_NONE, "", "ledger", NULL, "", 0, 0, NULL },

	/* Reminders sent. */
	{ "reminder sent: the next stage", FRESH,
	  EV(DUN_EV_REMINDER_SENT, .stage_index = 0), "2026-11-09T02:00:00Z",
	  1, DUN_CASE_UPCOMING, DUN_NEXT_REMIND, "due_today", "reminder", NULL,
	  "", 0, 0, NULL },
	{ "a reminder leaves a person's turn", DUN_CASE_OVERDUE, 1, 0, NULL,
	  DUN_NEXT_HUMAN, "wrong_contact",
	  EV(DUN_EV_REMINDER_SENT, .stage_index = 2), "2026-11-19T02:00:00Z",
	  1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN, "wrong_contact", "reminder",
	  NULL, "", 0, 0, NULL },
	{ "final notice escalates: nothing left to send", OVERDUE_S3,
	  EV(DUN_EV_REMINDER_SENT, .stage_index = 4, .final_stage = 1),
	  "2026-12-16T02:00:00Z", 1, DUN_CASE_ESCALATED, DUN_NEXT_NONE, "",
	  "reminder", NULL, "", 0, 0, NULL },

	/* Time. */
	{ "due date passes (local date)", UPCOMING_S1, EV(DUN_EV_TIME),
	  "2026-11-16T17:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_1", "time", NULL, "", 0, 0, NULL },
	{ "not yet past due in Shanghai", UPCOMING_S1, EV(DUN_EV_TIME),
	  "2026-11-16T15:00:00Z", 0, DUN_CASE_UPCOMING, DUN_NEXT_REMIND,
	  "overdue_1", "time", NULL, "", 0, 0, NULL },
	{ "stages came due unsent: after the due date, one step at a time",
	  OVERDUE_S1, EV(DUN_EV_TIME), "2026-11-27T02:00:00Z", 0,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "overdue_1", "time", NULL, "", 0,
	  0, NULL },
	{ "promise still in force", PROMISED_S2(0), EV(DUN_EV_TIME),
	  "2026-11-29T01:00:00Z", 0, DUN_CASE_PROMISED,
	  DUN_NEXT_FOLLOW_UP_PROMISE, "promise_broken", "time", NULL, "", 0,
	  0, "2026-11-30T01:00:00Z" },
	{ "promise broken: follow-up", PROMISED_S2(0), EV(DUN_EV_TIME),
	  "2026-11-30T01:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "promise_broken", "promise_broken", "", 0, 0, NULL },
	{ "second broken promise: a person", PROMISED_S2(1), EV(DUN_EV_TIME),
	  "2026-12-01T01:00:00Z", 1, DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN,
	  "broken_promises", "promise_broken", NULL, "broken_promises", 0, 0,
	  NULL },
	{ "paid claim held", PAID_S2, EV(DUN_EV_TIME), "2026-11-24T02:00:00Z",
	  0, DUN_CASE_PAID, DUN_NEXT_HUMAN, "paid_unmatched", "time", NULL,
	  "", 0, 0, "2026-11-25T01:00:00Z" },
	{ "paid claim not matched: resume", PAID_S2, EV(DUN_EV_TIME),
	  "2026-11-25T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "time", NULL, "", 0, 0, NULL },
	{ "hold ends: reminders resume", HELD_S2, EV(DUN_EV_TIME),
	  "2026-12-15T01:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "time", NULL, "", 0, 0, NULL },
	{ "hold not over", HELD_S2, EV(DUN_EV_TIME), "2026-12-15T00:59:59Z",
	  0, DUN_CASE_ON_HOLD, DUN_NEXT_WAIT, "hold", "time", NULL, "", 0, 0,
	  "2026-12-15T01:00:00Z" },
	{ "invoice copy went: the schedule is next", DUN_CASE_OVERDUE, 2, 0,
	  NULL, DUN_NEXT_SEND_COPY, "invoice_copy",
	  EV(DUN_EV_TIME, .copy_done = 1), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "overdue_2", "time", NULL, "", 0,
	  0, NULL },
	{ "invoice copy went as the due date passed", DUN_CASE_UPCOMING, 1, 0,
	  NULL, DUN_NEXT_SEND_COPY, "invoice_copy",
	  EV(DUN_EV_TIME, .copy_done = 1), "2026-11-16T17:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "overdue_1", "time", NULL, "", 0,
	  0, NULL },

	/* A person's decisions (dunmail resolve). */
	{ "resume", DISPUTED_S2, HUMAN(DUN_HUMAN_RESUME),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "decision", NULL, "", 0, 0, NULL },
	{ "resume after the final notice", HARDSHIP_S4,
	  HUMAN(DUN_HUMAN_RESUME), "2026-12-20T02:00:00Z", 1,
	  DUN_CASE_ESCALATED, DUN_NEXT_NONE, "", "decision", NULL, "", 0, 0,
	  NULL },
	{ "plan with a date", HARDSHIP_S2,
	  HUMAN(DUN_HUMAN_PLAN, .until = 2), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_ON_HOLD, DUN_NEXT_WAIT, "payment plan", "decision", NULL,
	  "", 0, 0, "2026-12-15T01:00:00Z" },
	{ "plan without a date: 30 days", HARDSHIP_S2,
	  HUMAN(DUN_HUMAN_PLAN), "2026-11-20T02:00:00Z", 1, DUN_CASE_ON_HOLD,
	  DUN_NEXT_WAIT, "payment plan", "decision", NULL, "", 0, 0,
	  "2026-12-20T01:00:00Z" },
	{ "hold until", HARDSHIP_S2, HUMAN(DUN_HUMAN_HOLD_UNTIL, .until = 2),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_ON_HOLD, DUN_NEXT_WAIT, "hold",
	  "decision", NULL, "", 0, 0, "2026-12-15T01:00:00Z" },
	{ "set-contact after a bounce", DUN_CASE_OVERDUE, 2, 0, NULL,
	  DUN_NEXT_HUMAN, "hard_bounce", HUMAN(DUN_HUMAN_SET_CONTACT),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "decision", NULL, "", 0, 0, NULL },
	{ "lift-opt-out", DUN_CASE_ON_HOLD, 2, 0, NULL, DUN_NEXT_HUMAN,
	  "opt_out", HUMAN(DUN_HUMAN_LIFT_OPT_OUT), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "overdue_2", "decision", NULL, "",
	  -1, 0, NULL },
	{ "resume ends a hold early", HELD_S2, HUMAN(DUN_HUMAN_RESUME),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "overdue_2", "decision", NULL, "", 0, 0, NULL },
	{ "close", DISPUTED_S2, HUMAN(DUN_HUMAN_CLOSE), "2026-11-20T02:00:00Z",
	  1, DUN_CASE_CLOSED, DUN_NEXT_NONE, "", "decision", NULL, "", 0, 0,
	  NULL },
};

/* The event of a row, its date markers resolved. */
static struct dun_case_event
table_event(const struct row *r)
{
	struct dun_case_event ev = r->ev;

	if (ev.kind == DUN_EV_REPLY && ev.promised_on == 0)
		ev.promised_on = D("2026-11-27");
	if (ev.kind == DUN_EV_REPLY && ev.promised_on == 3)
		ev.promised_on = D("2027-03-01"); /* past max_promise_days */
	if (ev.return_date == 1)
		ev.return_date = D("2026-12-01");
	if (ev.return_date == 4)
		ev.return_date = D("2027-01-15"); /* past max_hold_days */
	if (ev.until == 2)
		ev.until = D("2026-12-15");
	return ev;
}

/* The case before, as the pure transition sees it. */
static void
table_case(struct dun_case *c, const struct row *r)
{
	memset(c, 0, sizeof(*c));
	c->state = r->state;
	c->stage_sent = r->stage_sent;
	c->broken_promises = r->broken;
	c->promised_on = r->state == DUN_CASE_PROMISED ? D("2026-11-27") :
	    NONE;
	c->promised_minor = -1;
	c->hold_until = r->hold_until ? T(r->hold_until) : 0;
	c->next_action = r->next;
	c->next_detail = (char *)r->detail;
	c->invoice_number = "INV-T";
}

static void
test_cases__transition_table(void **state)
{
	struct dun_config *cfg = dun_config_defaults("/");
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct dun_case c;
		struct dun_case_event ev = table_event(r);
		struct dun_case_outcome o;
		int changed;

		table_case(&c, r);
		changed = dun_case_transition(&o, &c, &ev, &cfg->policy,
		    D("2026-11-16"), "Asia/Shanghai", T(r->now));
		if (changed != r->changed || o.state != r->want_state ||
		    o.next != r->want_next ||
		    strcmp(o.next_detail, r->want_detail) ||
		    strcmp(o.event, r->want_event) ||
		    (r->want_send == NULL) != (o.send_template == NULL) ||
		    (r->want_send && strcmp(r->want_send, o.send_template)) ||
		    strcmp(o.handoff, r->want_handoff) ||
		    o.opt_out != r->want_opt_out ||
		    o.contact_invalid != r->want_invalid ||
		    o.hold_until != (r->want_hold ? T(r->want_hold) : 0))
			fail_msg("row '%s': changed %d state %s next %s(%s) "
			    "event %s send %s handoff '%s' opt_out %d invalid "
			    "%d hold %lld (%s)", r->name, changed,
			    dun_case_state_name(o.state),
			    dun_next_action_name(o.next), o.next_detail,
			    o.event, o.send_template ? o.send_template : "-",
			    o.handoff, o.opt_out, o.contact_invalid,
			    (long long)o.hold_until, o.reason);
	}
	dun_config_free(cfg);
}

/* A store with one debtor (Asia/Shanghai) and invoice per case. */
struct fixture {
	char *dir;
	struct dun_config *cfg;
	struct dun_store *store;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	test_env_open(&f->dir, &f->cfg, &f->store);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_env_close(f->dir, f->cfg, f->store);
	free(f);
	return 0;
}

/* A debtor ap<n>@buyer.test and its invoice INV-<n>, due 16 Nov. */
static int64_t
table_invoice(struct dun_store *store, size_t n, int64_t *debtor_out)
{
	char ref[32], email[64], number[32];
	char *emails[1] = { email };
	int invalid[1] = { 0 };
	struct dun_debtor d = { 0 };
	struct dun_invoice inv = { 0 };
	int64_t inv_id;
	int changed;

	snprintf(ref, sizeof(ref), "CUST-%zu", n);
	snprintf(email, sizeof(email), "ap%zu@buyer.test", n);
	snprintf(number, sizeof(number), "INV-%zu", n);
	d.ref = ref;
	d.name = ref;
	d.language = "en";
	d.timezone = "Asia/Shanghai";
	d.region = "";
	d.emails = emails;
	d.email_invalid = invalid;
	d.nemails = 1;
	assert_int_equal(dun_store_debtor_upsert(store, debtor_out, &d,
	    &changed), 0);
	inv.debtor_id = *debtor_out;
	inv.number = number;
	inv.issue_date = D("2026-10-17");
	inv.due_date = D("2026-11-16");
	memcpy(inv.currency, "CNY", 4);
	inv.amount_minor = inv.ledger_open_minor = 100000;
	inv.pdf_path = "";
	inv.pdf_sha256 = "";
	inv.source_hash = "x";
	assert_int_equal(dun_store_invoice_insert(store, &inv_id, &inv), 0);
	return inv_id;
}

/* The store row of a case in a row's "before" (test set-up only: the
 * row is inserted in its state, never moved there). */
static int64_t
table_store_case(struct dun_store *store, const struct row *r,
    int64_t inv_id)
{
	struct dun_case *c = NULL;
	int64_t id;

	assert_int_equal(dun_store_case_create(store, &id, inv_id, r->state,
	    T("2026-11-01T00:00:00Z")), 0);
	assert_int_equal(dun_store_case_get(store, &c, id), 0);
	c->stage_sent = r->stage_sent;
	c->broken_promises = r->broken;
	if (r->state == DUN_CASE_PROMISED)
		c->promised_on = D("2026-11-27");
	c->hold_until = r->hold_until ? T(r->hold_until) : 0;
	c->next_action = r->next;
	free(c->next_detail);
	c->next_detail = xstrdup(r->detail);
	c->closed_at = r->state == DUN_CASE_CLOSED ?
	    T("2026-11-01T00:00:00Z") : 0;
	assert_int_equal(dun_store_case_save(store, c), 0);
	dun_case_free(c);
	return id;
}

static int
last_event(const struct dun_event *ev, void *arg)
{
	struct dun_event *last = arg;

	free(last->kind);
	free(last->detail);
	last->kind = xstrdup(ev->kind);
	last->detail = xstrdup(ev->detail);
	last->seq = ev->seq;
	return 0;
}

/*
 * The same table through dun_case_apply on a real store: what is stored
 * (state, next action, hold), the trail event written (its kind, the
 * state and next action it records), and the debtor, contact and
 * hand-off changes. A time or ledger event that changes nothing writes
 * no event; every reply, reminder and decision writes one.
 */
static void
test_cases__table_through_the_store(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct dun_case_event ev = table_event(r);
		struct dun_case_outcome o;
		struct dun_case *c = NULL;
		struct dun_debtor *d = NULL;
		struct dun_handoff_list hl;
		struct dun_event last = { 0 };
		char contact[64], want[160];
		int64_t debtor_id, inv_id, id, before;
		int written;

		inv_id = table_invoice(f->store, i, &debtor_id);
		snprintf(contact, sizeof(contact), "%s%zu@buyer.test",
		    ev.kind == DUN_EV_HUMAN && ev.human ==
		    DUN_HUMAN_SET_CONTACT ? "new" : "ap", i);
		if (r->want_opt_out < 0)
			assert_int_equal(dun_store_debtor_set_opt_out(f->store,
			    debtor_id, 1), 0);
		before = dun_store_event_count(f->store);
		if (ev.kind == DUN_EV_LEDGER_OPEN && ev.opened)
			assert_int_equal(dun_case_open(f->store, f->cfg, &id,
			    inv_id, T(r->now), NULL, &o), 0);
		else {
			id = table_store_case(f->store, r, inv_id);
			/* Setting the row up wrote its own `state` events. */
			before = dun_store_event_count(f->store);
			assert_int_equal(dun_case_apply(f->store, f->cfg, id,
			    &ev, T(r->now), 0, contact, "a note", &o), 0);
		}
		written = r->changed || ev.kind == DUN_EV_REPLY ||
		    ev.kind == DUN_EV_HUMAN ||
		    ev.kind == DUN_EV_REMINDER_SENT;

		assert_int_equal(dun_store_case_get(f->store, &c, id), 0);
		assert_int_equal(dun_store_event_foreach(f->store, id,
		    last_event, &last), 0);
		if (c->state != r->want_state || c->next_action != r->want_next ||
		    strcmp(c->next_detail, r->want_detail) ||
		    c->hold_until != (r->want_hold ? T(r->want_hold) : 0) ||
		    dun_store_event_count(f->store) != before + written ||
		    (written && strcmp(last.kind, r->want_event)))
			fail_msg("row '%s' stored: state %s next %s(%s) hold "
			    "%lld; %lld event(s) written, the last %s",
			    r->name, dun_case_state_name(c->state),
			    dun_next_action_name(c->next_action),
			    c->next_detail, (long long)c->hold_until,
			    (long long)(dun_store_event_count(f->store) -
			    before), last.kind ? last.kind : "-");
		if (written) {
			/* The event records what was stored. */
			snprintf(want, sizeof(want), "\"to\":\"%s\","
			    "\"next\":\"%s\",\"next_detail\":\"%s\"",
			    dun_case_state_name(r->want_state),
			    dun_next_action_name(r->want_next),
			    r->want_detail);
			if (strstr(last.detail, want) == NULL)
				fail_msg("row '%s': event %s", r->name,
				    last.detail);
		}
		assert_int_equal(c->state != DUN_CASE_CLOSED, c->closed_at == 0);

		assert_int_equal(dun_store_debtor_get(f->store, &d, debtor_id),
		    0);
		assert_int_equal(d->opted_out, r->want_opt_out > 0);
		assert_int_equal(d->email_invalid[0], r->want_invalid);
		if (ev.kind == DUN_EV_HUMAN && ev.human ==
		    DUN_HUMAN_SET_CONTACT) {
			assert_int_equal(d->nemails, 2);
			assert_true(strcmp(d->emails[0], contact) == 0 ||
			    strcmp(d->emails[1], contact) == 0);
		}
		assert_int_equal(dun_store_handoff_list(f->store, &hl, id), 0);
		assert_int_equal(hl.count, r->want_handoff[0] ? 1 : 0);
		if (hl.count)
			assert_string_equal(hl.items[0].reason,
			    r->want_handoff);
		dun_handoff_list_free(&hl);
		dun_debtor_free(d);
		dun_case_free(c);
		free(last.kind);
		free(last.detail);
	}
}

struct kind_count {
	const char *kind;
	int n;
};

static int
count_kind(const struct dun_event *ev, void *arg)
{
	struct kind_count *kc = arg;

	if (strcmp(ev->kind, kc->kind) == 0)
		kc->n++;
	return 0;
}

/*
 * `dunmail cases` and `show` read the case as of now without writing; the
 * tick send and run apply writes that same transition, once.
 */
static void
test_cases__as_of_then_tick(void **state)
{
	struct fixture *f = *state;
	struct dun_case *c = NULL, *shown = NULL;
	struct dun_case_outcome o;
	int64_t debtor_id, inv_id, id, events;

	inv_id = table_invoice(f->store, 1, &debtor_id);
	assert_int_equal(dun_case_open(f->store, f->cfg, &id, inv_id,
	    T("2026-11-05T02:00:00Z"), NULL, &o), 0);
	assert_int_equal(o.state, DUN_CASE_UPCOMING);
	assert_string_equal(o.next_detail, "before_due");
	events = dun_store_event_count(f->store);

	/* 20 Nov: past due, overdue_1 next (before_due and due_today are
	 * caught up over); nothing written. */
	assert_int_equal(dun_store_case_get(f->store, &shown, id), 0);
	assert_int_equal(dun_case_as_of(f->store, f->cfg, shown,
	    D("2026-11-16"), "Asia/Shanghai", T("2026-11-20T02:00:00Z")), 1);
	assert_int_equal(shown->state, DUN_CASE_OVERDUE);
	assert_int_equal(shown->next_action, DUN_NEXT_REMIND);
	assert_string_equal(shown->next_detail, "overdue_1");
	assert_int_equal(dun_store_event_count(f->store), events);
	assert_int_equal(dun_store_case_get(f->store, &c, id), 0);
	assert_int_equal(c->state, DUN_CASE_UPCOMING);
	dun_case_free(c);

	/* The tick writes what was shown, with a "time" event... */
	assert_int_equal(dun_cases_tick(f->store, f->cfg,
	    T("2026-11-20T02:00:00Z")), 1);
	assert_int_equal(dun_store_case_get(f->store, &c, id), 0);
	assert_int_equal(c->state, shown->state);
	assert_int_equal(c->next_action, shown->next_action);
	assert_string_equal(c->next_detail, shown->next_detail);
	assert_int_equal(dun_store_event_count(f->store), events + 1);
	/* ... and only once. */
	assert_int_equal(dun_cases_tick(f->store, f->cfg,
	    T("2026-11-20T03:00:00Z")), 0);
	assert_int_equal(dun_store_event_count(f->store), events + 1);
	assert_int_equal(dun_case_as_of(f->store, f->cfg, c, D("2026-11-16"),
	    "Asia/Shanghai", T("2026-11-20T03:00:00Z")), 0);
	dun_case_free(c);
	dun_case_free(shown);
}

/* The ledger goes through the state machine: opening (an event naming
 * the case), a payment settling it, a new export reopening it after the
 * final notice; a re-import writes nothing. */
static void
test_cases__ledger_import(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_case *c = NULL;
	struct dun_event last = { 0 };
	struct kind_count ledger_events = { "ledger", 0 };
	struct dun_handoff_list queue = { 0 };
	char *csv, *pay;
	int64_t events;
	const char *header = "debtor_ref,debtor_name,email,language,timezone,"
	    "region,invoice_number,issue_date,due_date,currency,amount,"
	    "open_amount,pdf\n";
	char *v1 = xasprintf("%sC1,Acme,ap@acme.test,en,Asia/Shanghai,,INV-1,"
	    "2026-10-17,2026-11-16,EUR,1000.00,1000.00,\n"
	    "C1,Acme,ap@acme.test,en,Asia/Shanghai,,INV-2,2026-10-17,"
	    "2026-11-16,EUR,50.00,0,\n", header);
	char *v2 = xasprintf("%sC1,Acme,ap@acme.test,en,Asia/Shanghai,,INV-1,"
	    "2026-10-17,2026-11-16,EUR,1000.00,1000.00,\n"
	    "C1,Acme,ap@acme.test,en,Asia/Shanghai,,INV-2,2026-10-17,"
	    "2026-11-16,EUR,50.00,50.00,\n", header);
	char *v3 = xasprintf("%sC1,Acme,ap@acme.test,en,Asia/Shanghai,,INV-1,"
	    "2026-10-17,2026-11-16,EUR,1000.00,200.00,\n"
	    "C1,Acme,ap@acme.test,en,Asia/Shanghai,,INV-2,2026-10-17,"
	    "2026-11-16,EUR,50.00,50.00,\n", header);

	/* INV-1 opens overdue on 20 Nov (its first event names it);
	 * INV-2 is settled: no case. */
	csv = test_write(f->dir, "v1.csv", v1);
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, csv,
	    T("2026-11-20T02:00:00Z"), &st, &diags), 0);
	assert_int_equal(st.cases_opened, 1);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-1"), 0);
	assert_int_equal(c->state, DUN_CASE_OVERDUE);
	assert_int_equal(c->next_action, DUN_NEXT_REMIND);
	assert_string_equal(c->next_detail, "overdue_1");
	assert_int_equal(dun_store_event_foreach(f->store, c->id,
	    count_kind, &ledger_events), 0);
	assert_int_equal(ledger_events.n, 1);
	dun_case_free(c);
	/* The same file again: nothing changes, no event. */
	events = dun_store_event_count(f->store);
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, csv,
	    T("2026-11-21T02:00:00Z"), &st, &diags), 0);
	assert_int_equal(st.invoices_unchanged, 2);
	assert_int_equal(dun_store_event_count(f->store), events);
	free(csv);

	/* INV-2 owed after all: a case opens, and its event names it. */
	csv = test_write(f->dir, "v2.csv", v2);
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, csv,
	    T("2026-11-21T02:00:00Z"), &st, &diags), 0);
	assert_int_equal(st.cases_opened, 1);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-2"), 0);
	assert_int_equal(c->state, DUN_CASE_OVERDUE);
	assert_int_equal(dun_store_event_foreach(f->store, c->id, last_event,
	    &last), 0);
	assert_string_equal(last.kind, "ledger");
	assert_non_null(strstr(last.detail, "\"to\":\"overdue\""));
	dun_case_free(c);
	free(csv);

	/* A payment clears INV-1: closed by the transition ("ledger"), the
	 * note saying why, and the person it waited for is told no more
	 * (its open hand-off leaves the queue). */
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-1"), 0);
	assert_int_equal(dun_store_handoff_insert(f->store, NULL, c->id, 0,
	    "paid_unmatched", T("2026-11-21T03:00:00Z")), 0);
	assert_int_equal(dun_store_handoff_list(f->store, &queue, c->id), 0);
	assert_int_equal(queue.count, 1);
	dun_handoff_list_free(&queue);
	dun_case_free(c);
	pay = test_write(f->dir, "pay.csv", "invoice_number,paid_on,currency,"
	    "amount,reference\nINV-1,2026-11-22,EUR,1000.00,T1\n");
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg, &dun_cases_ledger, pay,
	    T("2026-11-22T02:00:00Z"), &st, &diags), 0);
	assert_int_equal(st.cases_closed, 1);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-1"), 0);
	assert_int_equal(c->state, DUN_CASE_CLOSED);
	assert_int_equal(c->next_action, DUN_NEXT_NONE);
	assert_int_equal(dun_store_event_foreach(f->store, c->id, last_event,
	    &last), 0);
	assert_string_equal(last.kind, "ledger");
	assert_non_null(strstr(last.detail, "a payment cleared the invoice"));
	assert_non_null(strstr(last.detail, "\"handoffs_closed\":1"));
	assert_int_equal(dun_store_handoff_list(f->store, &queue, c->id), 0);
	assert_int_equal(queue.count, 0);
	dun_handoff_list_free(&queue);
	/* As if the final notice had gone before the payment. */
	c->stage_sent = 4;
	assert_int_equal(dun_store_case_save(f->store, c), 0);
	dun_case_free(c);
	events = dun_store_event_count(f->store);
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg, &dun_cases_ledger, pay,
	    T("2026-11-23T02:00:00Z"), &st, &diags), 0);
	assert_int_equal(dun_store_event_count(f->store), events);
	free(pay);

	/* A new export says 200.00 is owed: reopened where the stages put
	 * it, escalated, nothing left to send. */
	csv = test_write(f->dir, "v3.csv", v3);
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, csv,
	    T("2026-12-20T02:00:00Z"), &st, &diags), 0);
	assert_int_equal(st.cases_reopened, 1);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-1"), 0);
	assert_int_equal(c->state, DUN_CASE_ESCALATED);
	assert_int_equal(c->next_action, DUN_NEXT_NONE);
	assert_int_equal(dun_store_event_foreach(f->store, c->id, last_event,
	    &last), 0);
	assert_string_equal(last.kind, "ledger");
	dun_case_free(c);
	free(csv);
	assert_int_equal(diags.count, 0);
	free(last.kind);
	free(last.detail);
	free(v1);
	free(v2);
	free(v3);
}

static void
test_cases__names_round_trip(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < DUN_CASE_NSTATES; i++)
		assert_int_equal(dun_case_state_from_name(
		    dun_case_state_name((enum dun_case_state)i)), i);
	for (i = 0; i < DUN_NEXT_NACTIONS; i++)
		assert_int_equal(dun_next_action_from_name(
		    dun_next_action_name((enum dun_next_action)i)), i);
	for (i = 0; i < DUN_HUMAN_NACTIONS; i++)
		assert_int_equal(dun_human_action_from_name(
		    dun_human_action_name((enum dun_human_action)i)), i);
	assert_int_equal(dun_case_state_from_name("bogus"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases__transition_table),
		cmocka_unit_test_setup_teardown(
		    test_cases__table_through_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cases__as_of_then_tick,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cases__ledger_import,
		    setup, teardown),
		cmocka_unit_test(test_cases__names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
