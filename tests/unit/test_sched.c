/* The scheduler as a table: [case, debtor, history, now] -> [action,
 * template, when, why], then grouping into batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/agent/outbound.h"
#include "dunmail/agent/outbox.h"
#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/config/config.h"
#include "dunmail/reply/classify.h"
#include "dunmail/store/store.h"
#include "testutil.h"

/* Rows override the macro defaults on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

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

	if (s == NULL)
		return 0;
	if (dun_time_parse(&t, s) < 0)
		abort();
	return t;
}

static struct dun_stage stages[] = {
	{ -7, "before_due" }, { 0, "due_today" }, { 3, "overdue_1" },
	{ 10, "overdue_2" }, { 30, "final_notice" },
};

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
	p->weekdays = 0x3e; /* Monday to Friday */
	p->max_per_week = 2;
	memset(holidays, 0, sizeof(holidays));
	holidays[0].date = D("2026-12-25");
	snprintf(holidays[1].region, sizeof(holidays[1].region), "CN");
	holidays[1].date = D("2026-11-18");
	snprintf(holidays[2].region, sizeof(holidays[2].region), "US");
	holidays[2].date = D("2026-11-26");
	p->holidays = holidays;
	p->nholidays = 3;
	p->promise_grace_days = 2;
	p->max_broken_promises = 2;
	p->paid_hold_days = 5;
	p->final_deadline_days = 7;
}

struct row {
	const char *name;
	/* debtor */
	const char *tz;
	const char *region;
	int opted_out;
	int contact_invalid;
	/* case and invoice */
	enum dun_case_state state;
	const char *due;
	int stage_sent;
	int64_t open_minor;
	const char *hold_until;
	const char *promised_on;
	const char *answer;
	const char *answer_at;
	/* reminders already sent to the debtor */
	const char *sent[3];
	const char *now;
	/* expected */
	enum dun_sched_action want_action;
	enum dun_out_kind want_kind;
	const char *want_template;   /* "" = none */
	const char *want_at;         /* NULL = 0 */
	const char *want_why;        /* a substring of why */
	const char *want_skipped;
	int want_new_state;
};

#define ROW(...) { .tz = "Asia/Shanghai", .region = "CN", \
	.state = DUN_CASE_OVERDUE, .due = "2026-11-12", .stage_sent = 1, \
	.open_minor = 100000, .now = "2026-11-16T02:00:00Z", \
	.want_kind = DUN_OUT_REMINDER, .want_template = "", \
	.want_skipped = "", .want_new_state = -1, __VA_ARGS__ }

static void
run_row(const struct row *r, const struct dun_policy *policy)
{
	char *emails[1] = { "ap@buyer.test" };
	int invalid[1] = { r->contact_invalid };
	struct dun_debtor d = { 0 };
	struct dun_invoice inv = { 0 };
	struct dun_case c = { 0 };
	struct dun_sched_case sc = { 0 };
	struct dun_sched_input in = { 0 };
	struct dun_sched_item it;
	dun_time_t sent[3];
	size_t nsent = 0, i;

	d.id = 7;
	d.ref = "CUST-1";
	d.name = "Buyer";
	d.language = "en";
	d.timezone = (char *)r->tz;
	d.region = (char *)r->region;
	d.opted_out = r->opted_out;
	d.emails = emails;
	d.email_invalid = invalid;
	d.nemails = 1;
	inv.id = 11;
	inv.debtor_id = 7;
	inv.number = "INV-1";
	inv.due_date = D(r->due);
	inv.issue_date = inv.due_date - 30;
	memcpy(inv.currency, "USD", 4);
	inv.amount_minor = r->open_minor;
	inv.open_minor = r->open_minor;
	c.id = 21;
	c.invoice_id = 11;
	c.debtor_id = 7;
	c.state = r->state;
	c.invoice_number = "INV-1";
	c.stage_sent = r->stage_sent;
	c.hold_until = T(r->hold_until);
	c.promised_on = r->promised_on ? D(r->promised_on) : DUN_DATE_NONE;
	c.promised_minor = -1;
	c.next_action = DUN_NEXT_REMIND;
	c.next_detail = "";
	if (r->state == DUN_CASE_PROMISED) {
		c.next_action = DUN_NEXT_FOLLOW_UP_PROMISE;
		c.next_detail = "promise_broken";
		c.next_action_at = c.hold_until;
	}
	sc.c = &c;
	sc.inv = &inv;
	sc.answer = r->answer;
	sc.answer_at = T(r->answer_at);
	for (i = 0; i < 3 && r->sent[i]; i++)
		sent[nsent++] = T(r->sent[i]);
	in.debtor = &d;
	in.cases = &sc;
	in.ncases = 1;
	in.sent = sent;
	in.nsent = nsent;

	dun_sched_plan(&it, policy, &in, T(r->now));
	if (it.action != r->want_action || it.kind != r->want_kind ||
	    strcmp(it.template, r->want_template) != 0 ||
	    it.at != (r->want_at ? T(r->want_at) : (r->want_action ==
	    DUN_SCHED_SEND ? T(r->now) : 0)) ||
	    strstr(it.why, r->want_why) == NULL ||
	    strcmp(it.skipped, r->want_skipped) != 0 ||
	    it.new_state != r->want_new_state) {
		char at[21];
		dun_time_format_utc(at, it.at);
		print_error("row '%s': got %s kind %d '%s' at %s why '%s' "
		    "skipped '%s' new_state %d\n", r->name,
		    dun_sched_action_name(it.action), it.kind, it.template,
		    it.at ? at : "0", it.why, it.skipped, it.new_state);
		fail();
	}
}

static void
test_sched__table(void **state)
{
	struct dun_policy policy;
	/* 2026-11-16 is a Monday. Shanghai is UTC+8; New York leaves
	 * daylight saving time on Sunday 2026-11-01. */
	const struct row rows[] = {
	ROW(.name = "overdue_1 due, Monday 10:00 in Shanghai",
	    .want_action = DUN_SCHED_SEND, .want_template = "overdue_1",
	    .want_why = "due: overdue_1 since 2026-11-15"),
	ROW(.name = "catch-up: the most advanced stage, the rest skipped",
	    .due = "2026-11-09", .stage_sent = -1,
	    .want_action = DUN_SCHED_SEND, .want_template = "overdue_1",
	    .want_why = "caught up over", .want_skipped = "before_due,"
	    "due_today"),
	ROW(.name = "catch-up after a long outage: one step, never "
	    "straight to the final notice",
	    .due = "2026-10-01", .stage_sent = 2,
	    .want_action = DUN_SCHED_SEND, .want_template = "overdue_2",
	    .want_why = "due: overdue_2"),
	ROW(.name = "Saturday in the debtor's zone: held to Monday",
	    .now = "2026-11-14T02:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-11-16T01:00:00Z",
	    .want_why = "window opens Monday 09:00"),
	ROW(.name = "Sunday in UTC but Monday 01:00 in Shanghai",
	    .now = "2026-11-15T17:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-11-16T01:00:00Z",
	    .want_why = "window opens Monday 09:00"),
	ROW(.name = "Friday 22:00 in New York is Saturday in UTC: held",
	    .tz = "America/New_York", .region = "US",
	    .now = "2026-11-14T03:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-11-16T14:00:00Z",
	    .want_why = "window opens Monday 09:00"),
	ROW(.name = "before the window in New York (05:00 EST)",
	    .tz = "America/New_York", .region = "US",
	    .now = "2026-11-16T10:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-11-16T14:00:00Z",
	    .want_why = "window opens Monday 09:00"),
	ROW(.name = "DST edge: the next stage at 09:00 EST, not EDT",
	    .tz = "America/New_York", .region = "US", .due = "2026-10-30",
	    .now = "2026-10-31T12:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-11-02T14:00:00Z",
	    .want_why = "next: overdue_1 on 2026-11-02"),
	ROW(.name = "DST edge: 09:00 EDT the Friday before",
	    .tz = "America/New_York", .region = "US", .due = "2026-10-27",
	    .now = "2026-10-30T12:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-10-30T13:00:00Z",
	    .want_why = "window opens Friday 09:00"),
	ROW(.name = "a holiday of the debtor's region",
	    .now = "2026-11-18T02:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_template = "overdue_1", .want_at = "2026-11-19T01:00:00Z",
	    .want_why = "2026-11-18 is a holiday"),
	ROW(.name = "another region's holiday does not hold",
	    .tz = "Europe/London", .region = "GB",
	    .now = "2026-11-18T10:00:00Z", .want_action = DUN_SCHED_SEND,
	    .want_template = "overdue_1", .want_why = "due: overdue_1"),
	ROW(.name = "a holiday for every region, into the next week",
	    .tz = "America/New_York", .region = "US", .due = "2026-12-20",
	    .stage_sent = 1, .now = "2026-12-25T15:00:00Z",
	    .want_action = DUN_SCHED_WAIT, .want_template = "overdue_1",
	    .want_at = "2026-12-28T14:00:00Z",
	    .want_why = "2026-12-25 is a holiday"),
	ROW(.name = "gap: last reminder 3 days ago",
	    .due = "2026-11-06", .stage_sent = 2,
	    .sent = { "2026-11-13T02:00:00Z" },
	    .want_action = DUN_SCHED_WAIT, .want_template = "overdue_2",
	    .want_at = "2026-11-20T01:00:00Z",
	    .want_why = "gap: last reminder 3 days ago"),
	ROW(.name = "gap passed",
	    .due = "2026-11-06", .stage_sent = 2,
	    .sent = { "2026-11-09T02:00:00Z" },
	    .want_action = DUN_SCHED_SEND, .want_template = "overdue_2",
	    .want_why = "due: overdue_2"),
	ROW(.name = "no gap before the due date: due_today after before_due",
	    .state = DUN_CASE_UPCOMING, .due = "2026-11-16", .stage_sent = 0,
	    .sent = { "2026-11-13T02:00:00Z" },
	    .want_action = DUN_SCHED_SEND, .want_template = "due_today",
	    .want_why = "due: due_today"),
	ROW(.name = "weekly cap: two in the last 7 days",
	    .state = DUN_CASE_UPCOMING, .due = "2026-11-16", .stage_sent = 0,
	    .sent = { "2026-11-10T02:00:00Z", "2026-11-12T02:00:00Z" },
	    .want_action = DUN_SCHED_WAIT, .want_template = "due_today",
	    .want_at = "2026-11-17T02:00:00Z",
	    .want_why = "cap: 2 reminders in the last 7 days"),
	ROW(.name = "the due date passed: upcoming becomes overdue",
	    .state = DUN_CASE_UPCOMING, .want_action = DUN_SCHED_SEND,
	    .want_template = "overdue_1", .want_why = "due: overdue_1",
	    .want_new_state = DUN_CASE_OVERDUE),
	ROW(.name = "every stage sent",
	    .state = DUN_CASE_ESCALATED, .stage_sent = 4,
	    .want_action = DUN_SCHED_DONE, .want_why = "done: every stage"),
	ROW(.name = "stop: disputed", .state = DUN_CASE_DISPUTED,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "stopped: disputed"),
	ROW(.name = "stop: hardship", .state = DUN_CASE_HARDSHIP,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "stopped: hardship"),
	ROW(.name = "stop: paid, waiting for the ledger",
	    .state = DUN_CASE_PAID, .hold_until = "2026-11-20T01:00:00Z",
	    .want_action = DUN_SCHED_STOPPED, .want_why = "stopped: paid"),
	ROW(.name = "stop: on hold", .state = DUN_CASE_ON_HOLD,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "stopped: on_hold"),
	ROW(.name = "stop: a promise in force",
	    .state = DUN_CASE_PROMISED, .promised_on = "2026-11-20",
	    .hold_until = "2026-11-23T01:00:00Z",
	    .want_action = DUN_SCHED_STOPPED,
	    .want_why = "stopped: promised to pay by 2026-11-20"),
	ROW(.name = "stop: a promise on an overdue case, inside grace",
	    .promised_on = "2026-11-15", .want_action = DUN_SCHED_STOPPED,
	    .want_why = "promised to pay by 2026-11-15"),
	ROW(.name = "stop: nothing owed", .open_minor = 0,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "nothing owed"),
	ROW(.name = "stop: opted out", .opted_out = 1,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "opted out"),
	ROW(.name = "stop: no valid contact", .contact_invalid = 1,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "no valid contact"),
	ROW(.name = "hold until a date (auto-reply): wait for it",
	    .hold_until = "2026-11-19T01:00:00Z",
	    .want_action = DUN_SCHED_WAIT, .want_template = "overdue_1",
	    .want_at = "2026-11-19T01:00:00Z", .want_why = "held until"),
	ROW(.name = "promise broken: follow-up now, case overdue again",
	    .state = DUN_CASE_PROMISED, .promised_on = "2026-11-12",
	    .hold_until = "2026-11-15T01:00:00Z",
	    .want_action = DUN_SCHED_SEND,
	    .want_kind = DUN_OUT_PROMISE_BROKEN,
	    .want_template = "promise_broken", .want_why = "answer",
	    .want_new_state = DUN_CASE_OVERDUE),
	ROW(.name = "answer: dispute acknowledged",
	    .state = DUN_CASE_DISPUTED, .answer = "dispute_ack",
	    .answer_at = "2026-11-16T01:30:00Z",
	    .want_action = DUN_SCHED_SEND, .want_kind = DUN_OUT_DISPUTE_ACK,
	    .want_template = "dispute_ack", .want_why = "answer"),
	ROW(.name = "answer: keeps the window",
	    .state = DUN_CASE_HARDSHIP, .answer = "hardship_offer",
	    .answer_at = "2026-11-14T01:30:00Z",
	    .now = "2026-11-14T02:00:00Z", .want_action = DUN_SCHED_WAIT,
	    .want_kind = DUN_OUT_HARDSHIP_OFFER,
	    .want_template = "hardship_offer",
	    .want_at = "2026-11-16T01:00:00Z",
	    .want_why = "window opens Monday"),
	ROW(.name = "answer: invoice copy ignores the gap",
	    .answer = "invoice_copy", .answer_at = "2026-11-16T01:00:00Z",
	    .sent = { "2026-11-15T02:00:00Z" },
	    .want_action = DUN_SCHED_SEND, .want_kind = DUN_OUT_INVOICE_COPY,
	    .want_template = "invoice_copy", .want_why = "answer"),
	ROW(.name = "answer: a dispute ack no longer fits a resumed case",
	    .answer = "dispute_ack", .answer_at = "2026-11-16T01:00:00Z",
	    .want_action = DUN_SCHED_SEND, .want_template = "overdue_1",
	    .want_why = "due: overdue_1"),
	ROW(.name = "answer: too old, dropped",
	    .state = DUN_CASE_DISPUTED, .answer = "dispute_ack",
	    .answer_at = "2026-11-08T01:00:00Z",
	    .want_action = DUN_SCHED_STOPPED, .want_why = "stopped: disputed"),
	ROW(.name = "answer: not to a debtor who opted out",
	    .state = DUN_CASE_DISPUTED, .answer = "dispute_ack",
	    .answer_at = "2026-11-16T01:30:00Z", .opted_out = 1,
	    .want_action = DUN_SCHED_STOPPED, .want_why = "opted out"),
	};
	size_t i;

	(void)state;
	policy_init(&policy);
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++)
		run_row(&rows[i], &policy);
}

/* One debtor, four cases at different stages: the due reminders go in
 * one email in the most advanced stage's words, each case keeping its
 * own stage; a dispute ack goes separately; a stopped case in neither. */
static void
test_sched__grouping(void **state)
{
	struct dun_policy policy;
	char *emails[1] = { "ap@buyer.test" };
	int invalid[1] = { 0 };
	struct dun_debtor d = { 0 };
	struct dun_invoice inv[4];
	struct dun_case c[4];
	struct dun_sched_case sc[4];
	struct dun_sched_input in = { 0 };
	struct dun_sched_item items[4];
	struct dun_out_batches out = { 0 };
	const char *due[4] = { "2026-11-09", "2026-11-23", "2026-11-12",
		"2026-11-01" };
	const int sent[4] = { 1, -1, 1, 2 };
	const enum dun_case_state st[4] = { DUN_CASE_OVERDUE,
		DUN_CASE_UPCOMING, DUN_CASE_DISPUTED, DUN_CASE_DISPUTED };
	size_t i;

	(void)state;
	policy_init(&policy);
	d.id = 7;
	d.timezone = "Asia/Shanghai";
	d.region = "CN";
	d.emails = emails;
	d.email_invalid = invalid;
	d.nemails = 1;
	for (i = 0; i < 4; i++) {
		memset(&inv[i], 0, sizeof(inv[i]));
		memset(&c[i], 0, sizeof(c[i]));
		memset(&sc[i], 0, sizeof(sc[i]));
		inv[i].due_date = D(due[i]);
		inv[i].open_minor = 5000;
		c[i].id = 100 + (int64_t)i;
		c[i].state = st[i];
		c[i].stage_sent = sent[i];
		c[i].promised_on = DUN_DATE_NONE;
		c[i].next_detail = "";
		sc[i].c = &c[i];
		sc[i].inv = &inv[i];
	}
	sc[3].answer = "dispute_ack";
	sc[3].answer_at = T("2026-11-16T01:00:00Z");
	in.debtor = &d;
	in.cases = sc;
	in.ncases = 4;
	dun_sched_plan(items, &policy, &in, T("2026-11-16T02:00:00Z"));
	assert_int_equal(items[0].action, DUN_SCHED_SEND);
	assert_string_equal(items[0].template, "overdue_1");
	assert_int_equal(items[1].action, DUN_SCHED_SEND);
	assert_string_equal(items[1].template, "before_due");
	assert_int_equal(items[2].action, DUN_SCHED_STOPPED);
	assert_int_equal(items[3].kind, DUN_OUT_DISPUTE_ACK);

	dun_sched_batches(&out, d.id, items, 4);
	assert_int_equal(out.count, 2);
	assert_int_equal(out.items[0].kind, DUN_OUT_REMINDER);
	assert_string_equal(out.items[0].template, "overdue_1");
	assert_int_equal(out.items[0].ncases, 2);
	assert_int_equal(out.items[0].case_ids[0], 100);
	assert_int_equal(out.items[0].stage_index[0], 2);
	assert_string_equal(out.items[0].skipped[0], "");
	assert_int_equal(out.items[0].case_ids[1], 101);
	assert_int_equal(out.items[0].stage_index[1], 0);
	assert_int_equal(out.items[1].kind, DUN_OUT_DISPUTE_ACK);
	assert_string_equal(out.items[1].template, "dispute_ack");
	assert_int_equal(out.items[1].ncases, 1);
	assert_int_equal(out.items[1].case_ids[0], 103);
	assert_int_equal(out.items[1].stage_index[0], -1);
	dun_out_batches_free(&out);
}

static void
test_sched__next_open(void **state)
{
	struct dun_policy policy;
	const struct {
		const char *tz, *region, *t, *want;
	} rows[] = {
		{ "Asia/Shanghai", "CN", "2026-11-16T02:00:00Z",
		  "2026-11-16T02:00:00Z" },           /* inside */
		{ "Asia/Shanghai", "CN", "2026-11-16T09:00:00Z",
		  "2026-11-17T01:00:00Z" },           /* 17:00 closes */
		{ "Asia/Shanghai", "CN", "2026-11-17T09:00:00Z",
		  "2026-11-19T01:00:00Z" },           /* then a CN holiday */
		{ "America/New_York", "US", "2026-11-25T22:30:00Z",
		  "2026-11-27T14:00:00Z" },           /* Thanksgiving */
		{ "Australia/Sydney", "AU", "2026-11-20T06:00:00Z",
		  "2026-11-22T22:00:00Z" },           /* Fri 17:00 AEDT */
	};
	size_t i;

	(void)state;
	policy_init(&policy);
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		dun_time_t got = dun_sched_next_open(&policy, rows[i].tz,
		    rows[i].region, T(rows[i].t));
		if (got != T(rows[i].want)) {
			char s[21];
			dun_time_format_utc(s, got);
			print_error("next_open %s %s: got %s want %s\n",
			    rows[i].tz, rows[i].t, s, rows[i].want);
			fail();
		}
	}
}

/* --- on a real store: due, prepare, thread, recheck, answers ------- */

/* Records msg as sent at `at`, as the outbox would. */
static void
mark_sent(struct dun_store *store, const struct dun_config *cfg,
    const struct dun_out_batch *b, const struct dun_out_message *msg,
    dun_time_t at)
{
	struct dun_outbox_transport tx;
	struct dun_outbox ob;
	struct dun_outbox_row *row;
	int64_t id;

	memset(&tx, 0, sizeof(tx));
	dun_outbox_init(&ob, store, cfg, &tx);
	assert_int_equal(dun_outbox_plan(&ob, &id, b, msg, at), 0);
	assert_int_equal(dun_store_outbox_get(store, &row, id), 0);
	row->state = DUN_OUTBOX_SENT;
	row->sent_at = at;
	assert_int_equal(dun_store_outbox_update(store, row), 0);
	dun_outbox_row_free(row);
}

static int64_t
one_case(struct dun_store *store, const char *dir, int64_t *debtor_out,
    char **pdf_out)
{
	char *emails[1] = { "ap@buyer.test" };
	int invalid[1] = { 0 };
	struct dun_debtor d = { 0 };
	struct dun_invoice inv = { 0 };
	char sha[DUN_SHA256_HEX];
	const char *pdf = "%PDF-1.4 the invoice\n";
	int64_t inv_id, case_id;
	int changed;

	d.ref = "CUST-9";
	d.name = "上海测试有限公司";
	d.language = "zh";
	d.timezone = "Asia/Shanghai";
	d.region = "CN";
	d.emails = emails;
	d.email_invalid = invalid;
	d.nemails = 1;
	assert_int_equal(dun_store_debtor_upsert(store, debtor_out, &d,
	    &changed), 0);
	*pdf_out = test_write(dir, "发票-INV-9.pdf", pdf);
	dun_sha256_hex(sha, pdf, strlen(pdf));
	inv.debtor_id = *debtor_out;
	inv.number = "INV-9";
	inv.issue_date = D("2026-10-13");
	inv.due_date = D("2026-11-12");
	memcpy(inv.currency, "CNY", 4);
	inv.amount_minor = inv.ledger_open_minor = 4200000;
	inv.pdf_path = *pdf_out;
	inv.pdf_sha256 = sha;
	inv.source_hash = "x";
	assert_int_equal(dun_store_invoice_insert(store, &inv_id, &inv), 0);
	assert_int_equal(dun_store_case_create(store, &case_id, inv_id,
	    DUN_CASE_UPCOMING, T("2026-11-01T00:00:00Z")), 0);
	return case_id;
}

static void
test_sched__outbound_store(void **state)
{
	char *dir = test_tmpdir(), *db = xasprintf("%s/s.db", dir), *pdf;
	const char *src = getenv("DUNMAIL_SOURCE_DIR");
	struct dun_config *cfg = dun_config_defaults(dir);
	struct dun_store *store;
	struct dun_out_batches due;
	struct dun_out_message m1, m2;
	struct dun_case *c;
	struct dun_case_event ev;
	char *why = NULL, *token;
	int64_t debtor_id, case_id;

	(void)state;
	free(cfg->templates_dir);
	cfg->templates_dir = xasprintf("%s/templates", src ? src :
	    DUNMAIL_SOURCE_DIR);
	assert_int_equal(dun_store_open(&store, db), 0);
	case_id = one_case(store, dir, &debtor_id, &pdf);

	/* Monday 10:00 in Shanghai: overdue_1, caught up over two stages;
	 * the due date passing is applied to the case first. */
	assert_int_equal(dun_outbound_due(store, cfg,
	    T("2026-11-16T02:00:00Z"), &due), 0);
	assert_int_equal(due.count, 1);
	assert_string_equal(due.items[0].template, "overdue_1");
	assert_int_equal(due.items[0].case_ids[0], case_id);
	assert_int_equal(due.items[0].stage_index[0], 2);
	assert_string_equal(due.items[0].skipped[0], "before_due,due_today");
	assert_int_equal(dun_store_case_get(store, &c, case_id), 0);
	assert_int_equal(c->state, DUN_CASE_OVERDUE);
	dun_case_free(c);

	assert_int_equal(dun_outbound_prepare(store, cfg,
	    T("2026-11-16T02:00:00Z"), &due.items[0], &m1), 0);
	assert_int_equal(m1.nrcpts, 1);
	assert_string_equal(m1.rcpts[0], "ap@buyer.test");
	assert_string_equal(m1.in_reply_to, "");
	assert_true(dun_str_has_prefix(m1.message_id, "dun.20261116."));
	assert_true(dun_str_has_prefix(m1.token, "DUN-"));
	token = xasprintf("[ref:%s]", m1.token);
	assert_non_null(strstr(m1.subject, token));
	assert_non_null(strstr(m1.subject, "INV-9"));
	free(token);
	token = xasprintf("X-Dunmail-Token: %s\r\n", m1.token);
	assert_non_null(strstr(m1.data, token));
	free(token);
	assert_non_null(strstr(m1.data, "filename*=UTF-8''%E5%8F%91%E7%A5%A8"
	    "-INV-9.pdf"));
	mark_sent(store, cfg, &due.items[0], &m1, T("2026-11-16T02:00:00Z"));
	dun_out_batches_free(&due);
	/* As the outbox's sent step does, the case records its stage. */
	assert_int_equal(dun_store_case_get(store, &c, case_id), 0);
	c->stage_sent = 2;
	c->last_reminder_at = T("2026-11-16T02:00:00Z");
	assert_int_equal(dun_store_case_save(store, c), 0);
	dun_case_free(c);

	/* Nothing twice: later that day, and inside the gap. */
	assert_int_equal(dun_outbound_due(store, cfg,
	    T("2026-11-16T05:00:00Z"), &due), 0);
	assert_int_equal(due.count, 0);
	dun_out_batches_free(&due);
	assert_int_equal(dun_outbound_due(store, cfg,
	    T("2026-11-22T02:00:00Z"), &due), 0);
	assert_int_equal(due.count, 0);
	dun_out_batches_free(&due);

	/* overdue_2 a week later continues the thread. */
	assert_int_equal(dun_outbound_due(store, cfg,
	    T("2026-11-23T02:00:00Z"), &due), 0);
	assert_int_equal(due.count, 1);
	assert_string_equal(due.items[0].template, "overdue_2");
	assert_int_equal(dun_outbound_prepare(store, cfg,
	    T("2026-11-23T02:00:00Z"), &due.items[0], &m2), 0);
	assert_string_equal(m2.in_reply_to, m1.message_id);
	assert_string_equal(m2.references, m1.message_id);
	assert_string_equal(m2.token, m1.token);
	assert_string_not_equal(m2.message_id, m1.message_id);
	dun_out_message_free(&m2);

	/* The PDF changed since the import: that message fails, naming it. */
	free(test_write(dir, "发票-INV-9.pdf", "%PDF-1.4 another invoice\n"));
	assert_int_equal(dun_outbound_prepare(store, cfg,
	    T("2026-11-23T02:00:00Z"), &due.items[0], &m2), DUN_EIO);
	assert_non_null(strstr(dun_error_last(), pdf));
	assert_non_null(strstr(dun_error_last(), "changed"));
	assert_null(m2.data);

	/* Recheck: opted out, then disputed. */
	assert_int_equal(dun_store_debtor_set_opt_out(store, debtor_id, 1), 0);
	assert_int_equal(dun_outbound_recheck(store, cfg,
	    T("2026-11-23T02:00:00Z"), &due.items[0], &why), 0);
	assert_non_null(strstr(why, "opted out"));
	assert_int_equal(due.items[0].ncases, 0);
	free(why);
	dun_out_batches_free(&due);
	assert_int_equal(dun_store_debtor_set_opt_out(store, debtor_id, 0), 0);

	/* A dispute asks for dispute_ack; once one is sent, no more. */
	memset(&ev, 0, sizeof(ev));
	ev.kind = DUN_EV_REPLY;
	ev.cls = DUN_CLASS_DISPUTE;
	ev.promised_on = ev.return_date = ev.until = DUN_DATE_NONE;
	ev.promised_minor = -1;
	ev.trusted = 1;
	assert_int_equal(dun_case_apply(store, cfg, case_id, &ev,
	    T("2026-11-24T02:00:00Z"), 0, NULL, NULL, NULL), 0);
	assert_int_equal(dun_outbound_due(store, cfg,
	    T("2026-11-24T02:30:00Z"), &due), 0);
	assert_int_equal(due.count, 1);
	assert_int_equal(due.items[0].kind, DUN_OUT_DISPUTE_ACK);
	assert_string_equal(due.items[0].template, "dispute_ack");
	assert_int_equal(dun_outbound_recheck(store, cfg,
	    T("2026-11-24T02:30:00Z"), &due.items[0], &why), 1);
	assert_int_equal(dun_outbound_prepare(store, cfg,
	    T("2026-11-24T02:30:00Z"), &due.items[0], &m2), 0);
	assert_string_equal(m2.in_reply_to, m1.message_id);
	mark_sent(store, cfg, &due.items[0], &m2, T("2026-11-24T02:30:00Z"));
	dun_out_message_free(&m2);
	dun_out_batches_free(&due);
	assert_int_equal(dun_outbound_due(store, cfg,
	    T("2026-11-24T03:00:00Z"), &due), 0);
	assert_int_equal(due.count, 0);
	dun_out_batches_free(&due);

	dun_out_message_free(&m1);
	dun_store_close(store);
	dun_config_free(cfg);
	test_rmtree(dir);
	free(pdf);
	free(db);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched__table),
		cmocka_unit_test(test_sched__grouping),
		cmocka_unit_test(test_sched__next_open),
		cmocka_unit_test(test_sched__outbound_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
