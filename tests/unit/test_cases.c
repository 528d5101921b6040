/* The case state machine as a table:
 * [state, event, now] -> [state, next action, trail event, side effects]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/cases.h"
#include "dunmail/classify.h"
#include "dunmail/config.h"
#include "dunmail/store.h"
#include "testutil.h"

#define NONE DUN_DATE_NONE

/* The table rows override the macros' defaults on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

struct row {
	const char *name;
	enum dun_case_state state;
	int stage_sent;
	int broken;
	const char *hold_until;    /* ISO instant or NULL */
	struct dun_case_event ev;
	const char *now;
	/* expected */
	int changed;
	enum dun_case_state want_state;
	enum dun_next_action want_next;
	const char *want_event;
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
	.known_contact = 1, .until = NONE, __VA_ARGS__ }
#define EV(kind_, ...) { .kind = (kind_), .promised_on = NONE, \
	.promised_minor = -1, .return_date = NONE, .known_contact = 1, \
	.until = NONE, __VA_ARGS__ }

static void
test_cases__transition_table(void **state)
{
	/* The debtor is in Asia/Shanghai (UTC+8), window 09:00-17:00, the
	 * invoice due 2026-11-16 (a Monday), 5 stages, grace 2 days, 2
	 * broken promises allowed, paid hold 5 days. */
	const struct row rows[] = {
	{ "promise with a date", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_PROMISE_TO_PAY, .promised_on = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_PROMISED,
	  DUN_NEXT_FOLLOW_UP_PROMISE, "promise", "promise_confirm", "", 0, 0,
	  /* 27 Nov + 2 grace + 1 = 30 Nov 09:00 +08 */
	  "2026-11-30T01:00:00Z" },
	{ "promise without a date: a week", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_PROMISE_TO_PAY), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_PROMISED, DUN_NEXT_FOLLOW_UP_PROMISE, "promise",
	  "promise_confirm", "", 0, 0, "2026-11-30T01:00:00Z" },
	{ "dispute", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_DISPUTE), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_DISPUTED, DUN_NEXT_HUMAN, "dispute", "dispute_ack",
	  "dispute", 0, 0, NULL },
	{ "hardship", DUN_CASE_ESCALATED, 4, 0, NULL,
	  REPLY(DUN_CLASS_HARDSHIP), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_HARDSHIP, DUN_NEXT_HUMAN, "hardship", "hardship_offer",
	  "hardship", 0, 0, NULL },
	{ "says paid: hold and match", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_PAID), "2026-11-20T02:00:00Z", 1, DUN_CASE_PAID,
	  DUN_NEXT_WAIT, "paid_claim", NULL, "match remittance", 0, 0,
	  "2026-11-25T01:00:00Z" },
	{ "opt-out", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_OPT_OUT), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN, "opt_out", NULL, "opt_out", 1, 0,
	  NULL },
	{ "opt-out from a stranger: a person decides", DUN_CASE_OVERDUE, 2,
	  0, NULL, REPLY(DUN_CLASS_OPT_OUT, .known_contact = 0),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN,
	  "needs_person", NULL, "unknown_sender", 0, 0, NULL },
	{ "wrong contact", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_WRONG_CONTACT), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_HUMAN, "wrong_contact", NULL,
	  "wrong_contact", 0, 1, NULL },
	{ "invoice request keeps the schedule", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_INVOICE_REQUEST), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_SEND_COPY, "invoice_request",
	  "invoice_copy", "", 0, 0, NULL },
	{ "out of office with a return date", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_AUTO_REPLY, .return_date = 1),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_NONE,
	  "auto_reply", NULL, "", 0, 0, "2026-12-02T01:00:00Z" },
	{ "out of office without a date", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_AUTO_REPLY), "2026-11-20T02:00:00Z", 0,
	  DUN_CASE_OVERDUE, DUN_NEXT_NONE, "auto_reply", NULL, "", 0, 0,
	  NULL },
	{ "hard bounce", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_BOUNCE, .bounce_hard = 1), "2026-11-20T02:00:00Z",
	  1, DUN_CASE_OVERDUE, DUN_NEXT_HUMAN, "bounce", NULL, "hard_bounce",
	  0, 1, NULL },
	{ "soft bounce changes nothing", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_BOUNCE), "2026-11-20T02:00:00Z", 0,
	  DUN_CASE_OVERDUE, DUN_NEXT_NONE, "bounce", NULL, "", 0, 0, NULL },
	{ "unknown reply pauses for a person", DUN_CASE_OVERDUE, 2, 0, NULL,
	  REPLY(DUN_CLASS_UNKNOWN), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN, "needs_person", NULL, "unknown",
	  0, 0, NULL },
	{ "a reply to a closed case is only recorded", DUN_CASE_CLOSED, 2, 0,
	  NULL, REPLY(DUN_CLASS_DISPUTE), "2026-11-20T02:00:00Z", 0,
	  DUN_CASE_CLOSED, DUN_NEXT_NONE, "reply", NULL, "", 0, 0, NULL },
	{ "ledger settles", DUN_CASE_DISPUTED, 2, 0, NULL,
	  EV(DUN_EV_LEDGER_SETTLED), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_CLOSED, DUN_NEXT_NONE, "ledger", NULL, "", 0, 0, NULL },
	{ "ledger reopens", DUN_CASE_CLOSED, 2, 0, NULL,
	  EV(DUN_EV_LEDGER_OPEN), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "ledger", NULL, "", 0, 0, NULL },
	{ "final notice escalates", DUN_CASE_OVERDUE, 3, 0, NULL,
	  EV(DUN_EV_REMINDER_SENT, .stage_index = 4, .final_stage = 1),
	  "2026-12-16T02:00:00Z", 1, DUN_CASE_ESCALATED, DUN_NEXT_REMIND,
	  "reminder", NULL, "", 0, 0, NULL },
	{ "due date passes (local date)", DUN_CASE_UPCOMING, 1, 0, NULL,
	  EV(DUN_EV_TIME), "2026-11-16T17:00:00Z", 1, DUN_CASE_OVERDUE,
	  DUN_NEXT_NONE, "time", NULL, "", 0, 0, NULL },
	{ "not yet past due in Shanghai", DUN_CASE_UPCOMING, 1, 0, NULL,
	  EV(DUN_EV_TIME), "2026-11-16T15:00:00Z", 0, DUN_CASE_UPCOMING,
	  DUN_NEXT_NONE, "time", NULL, "", 0, 0, NULL },
	{ "promise still in force", DUN_CASE_PROMISED, 2, 0,
	  "2026-11-30T01:00:00Z", EV(DUN_EV_TIME), "2026-11-29T01:00:00Z", 0,
	  DUN_CASE_PROMISED, DUN_NEXT_NONE, "time", NULL, "", 0, 0,
	  "2026-11-30T01:00:00Z" },
	{ "promise broken: follow-up", DUN_CASE_PROMISED, 2, 0,
	  "2026-11-30T01:00:00Z", EV(DUN_EV_TIME), "2026-11-30T01:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "promise_broken",
	  "promise_broken", "", 0, 0, NULL },
	{ "second broken promise: a person", DUN_CASE_PROMISED, 2, 1,
	  "2026-11-30T01:00:00Z", EV(DUN_EV_TIME), "2026-12-01T01:00:00Z", 1,
	  DUN_CASE_ON_HOLD, DUN_NEXT_HUMAN, "promise_broken", NULL,
	  "broken_promises", 0, 0, NULL },
	{ "paid claim not matched: resume", DUN_CASE_PAID, 2, 0,
	  "2026-11-25T01:00:00Z", EV(DUN_EV_TIME), "2026-11-25T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "time", NULL, "", 0, 0, NULL },
	{ "human resume", DUN_CASE_DISPUTED, 2, 0, NULL,
	  EV(DUN_EV_HUMAN, .human = DUN_HUMAN_RESUME), "2026-11-20T02:00:00Z",
	  1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "decision", NULL, "", 0, 0,
	  NULL },
	{ "human resume after the final notice", DUN_CASE_HARDSHIP, 4, 0,
	  NULL, EV(DUN_EV_HUMAN, .human = DUN_HUMAN_RESUME),
	  "2026-12-20T02:00:00Z", 1, DUN_CASE_ESCALATED, DUN_NEXT_REMIND,
	  "decision", NULL, "", 0, 0, NULL },
	{ "human hold until", DUN_CASE_HARDSHIP, 2, 0, NULL,
	  EV(DUN_EV_HUMAN, .human = DUN_HUMAN_HOLD_UNTIL, .until = 2),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_ON_HOLD, DUN_NEXT_WAIT,
	  "decision", NULL, "", 0, 0, "2026-12-15T01:00:00Z" },
	{ "hold ends", DUN_CASE_ON_HOLD, 2, 0, "2026-12-15T01:00:00Z",
	  EV(DUN_EV_TIME), "2026-12-15T01:00:00Z", 0, DUN_CASE_ON_HOLD,
	  DUN_NEXT_NONE, "time", NULL, "", 0, 0, "2026-12-15T01:00:00Z" },
	{ "human lifts opt-out", DUN_CASE_ON_HOLD, 2, 0, NULL,
	  EV(DUN_EV_HUMAN, .human = DUN_HUMAN_LIFT_OPT_OUT),
	  "2026-11-20T02:00:00Z", 1, DUN_CASE_OVERDUE, DUN_NEXT_REMIND,
	  "decision", NULL, "", -1, 0, NULL },
	{ "invoice copy went: the schedule is next", DUN_CASE_OVERDUE, 2, 0,
	  NULL, EV(DUN_EV_TIME, .copy_done = 1), "2026-11-20T02:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "time", NULL, "", 0, 0, NULL },
	{ "invoice copy went as the due date passed", DUN_CASE_UPCOMING, 1, 0,
	  NULL, EV(DUN_EV_TIME, .copy_done = 1), "2026-11-16T17:00:00Z", 1,
	  DUN_CASE_OVERDUE, DUN_NEXT_REMIND, "time", NULL, "", 0, 0, NULL },
	{ "human close", DUN_CASE_DISPUTED, 2, 0, NULL,
	  EV(DUN_EV_HUMAN, .human = DUN_HUMAN_CLOSE), "2026-11-20T02:00:00Z",
	  1, DUN_CASE_CLOSED, DUN_NEXT_NONE, "decision", NULL, "", 0, 0,
	  NULL },
	};
	struct dun_config *cfg = dun_config_defaults("/");
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct dun_case c;
		struct dun_case_event ev = r->ev;
		struct dun_case_outcome o;
		int changed;

		memset(&c, 0, sizeof(c));
		c.state = r->state;
		c.stage_sent = r->stage_sent;
		c.broken_promises = r->broken;
		c.promised_on = NONE;
		c.promised_minor = -1;
		c.next_action = DUN_NEXT_NONE;
		c.next_detail = "";
		c.invoice_number = "INV-T";
		if (r->hold_until)
			c.hold_until = T(r->hold_until);
		/* Dates in the table as small markers, resolved here. */
		if (ev.kind == DUN_EV_REPLY && ev.promised_on == 0)
			ev.promised_on = D("2026-11-27");
		if (ev.return_date == 1)
			ev.return_date = D("2026-12-01");
		if (ev.until == 2)
			ev.until = D("2026-12-15");
		if (ev.copy_done)
			c.next_action = DUN_NEXT_SEND_COPY;
		if (r->state == DUN_CASE_ON_HOLD && r->hold_until) {
			c.next_action = DUN_NEXT_WAIT;
		}
		changed = dun_case_transition(&o, &c, &ev, &cfg->policy,
		    D("2026-11-16"), "Asia/Shanghai", T(r->now));
		if (r->state == DUN_CASE_ON_HOLD && r->hold_until &&
		    ev.kind == DUN_EV_TIME) {
			/* A hold ends at its instant: resumes. */
			assert_int_equal(changed, 1);
			assert_int_equal(o.state, DUN_CASE_OVERDUE);
			assert_int_equal(o.next, DUN_NEXT_REMIND);
			continue;
		}
		if (changed != r->changed || o.state != r->want_state ||
		    o.next != r->want_next || strcmp(o.event, r->want_event) ||
		    (r->want_send == NULL) != (o.send_template == NULL) ||
		    (r->want_send && strcmp(r->want_send, o.send_template)) ||
		    strcmp(o.handoff, r->want_handoff) ||
		    o.opt_out != r->want_opt_out ||
		    o.contact_invalid != r->want_invalid ||
		    o.hold_until != (r->want_hold ? T(r->want_hold) : 0))
			fail_msg("row '%s': changed %d state %s next %s event %s "
			    "send %s handoff '%s' opt_out %d invalid %d hold "
			    "%lld (%s)", r->name, changed,
			    dun_case_state_name(o.state),
			    dun_next_action_name(o.next), o.event,
			    o.send_template ? o.send_template : "-", o.handoff,
			    o.opt_out, o.contact_invalid,
			    (long long)o.hold_until, o.reason);
	}
	dun_config_free(cfg);
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
		cmocka_unit_test(test_cases__names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
