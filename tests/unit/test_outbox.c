/*
 * The outbox state machine against a real temporary SQLite store and a
 * scripted transport: each row of the table is
 * [what the server does] -> [outbox state, attempts, retry time, case
 * stage, hand-offs, trail event, whether the run must stop].
 * Also the crash leftovers (a row in 'sending' is reconciled through the
 * Sent folder, never resent), the backoff and the sending window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/agent/outbox.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/config/config.h"
#include "dunmail/store/store.h"
#include "dunmail/store/store_outbox.h"
#include "dunmail/store/trail.h"
#include "testutil.h"

#define NOW 1795000000 /* 2026-11-18T08:26:40Z */

/* What the scripted server does with one message. */
struct script {
	int rc;             /* what send returns */
	dun_retry_t retry;
	int rcpt_codes[2];  /* per recipient; 0 = never answered */
	int end_of_data;    /* 1 = reach the end of data (commit called) */
	int eod_code;       /* reply to it; 0 = connection lost */
	/* Sent folder */
	int in_sent;
};

struct fake {
	struct script s;
	int sends, commits, appends, finds;
	int commit_rc;
};

struct fixture {
	char *dir;
	struct dun_store *store;
	struct dun_config *cfg;
	struct fake fake;
	struct dun_outbox_transport tx;
	struct dun_outbox ob;
	int64_t debtor_id, case_ids[2];
};

static int
fake_send(void *arg, struct dun_smtp_result *res, const char *from,
    char *const *rcpts, size_t nrcpts, const char *data, size_t len,
    dun_smtp_commit_fn commit, void *commit_arg)
{
	struct fake *f = arg;
	size_t i;
	int any = 0;

	(void)from;
	(void)data;
	(void)len;
	f->sends++;
	memset(res, 0, sizeof(*res));
	res->rcpts = xcalloc(nrcpts, sizeof(*res->rcpts));
	res->nrcpts = nrcpts;
	for (i = 0; i < nrcpts; i++) {
		int code = i < 2 ? f->s.rcpt_codes[i] : 250;
		res->rcpts[i].address = xstrdup(rcpts[i]);
		res->rcpts[i].code = code;
		res->rcpts[i].reply = code ? xasprintf("%d x", code) : NULL;
		res->rcpts[i].status = code == 0 ? DUN_RCPT_PENDING :
		    code < 400 ? DUN_RCPT_ACCEPTED : code < 500 ?
		    DUN_RCPT_DEFERRED : DUN_RCPT_REJECTED;
		any |= code > 0 && code < 400;
	}
	if (f->s.end_of_data && any) {
		f->commits++;
		if ((f->commit_rc = commit(commit_arg)) < 0)
			return f->commit_rc;
		res->data_ended = 1;
		res->code = f->s.eod_code;
		if (f->s.eod_code)
			res->reply = xasprintf("%d 2.0.0 Ok: queued as T%d",
			    f->s.eod_code, f->sends);
	}
	if (f->s.rc < 0) {
		dun_error_set(f->s.rc, "scripted failure");
		dun_error_set_retry(f->s.retry);
	}
	return f->s.rc;
}

static int
fake_append(void *arg, const char *data, size_t len)
{
	struct fake *f = arg;

	(void)data;
	(void)len;
	f->appends++;
	f->s.in_sent = 1;
	return 0;
}

static int
fake_find(void *arg, const char *message_id, int *found)
{
	struct fake *f = arg;

	(void)message_id;
	f->finds++;
	*found = f->s.in_sent;
	return 0;
}

static int64_t
add_case(struct dun_store *store, int64_t debtor_id, const char *number)
{
	struct dun_invoice inv;
	int64_t inv_id, case_id;

	memset(&inv, 0, sizeof(inv));
	inv.debtor_id = debtor_id;
	inv.number = (char *)number;
	inv.issue_date = dun_date_from_ymd(2026, 10, 1);
	inv.due_date = dun_date_from_ymd(2026, 11, 1);
	memcpy(inv.currency, "USD", 4);
	inv.amount_minor = 100000;
	inv.ledger_open_minor = 100000;
	inv.pdf_path = "";
	inv.pdf_sha256 = "";
	inv.source_hash = "x";
	assert_int_equal(dun_store_invoice_insert(store, &inv_id, &inv), 0);
	assert_int_equal(dun_store_case_create(store, &case_id, inv_id,
	    DUN_CASE_OVERDUE, NOW - 86400), 0);
	return case_id;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct dun_debtor d;
	char *emails[] = { "ap@buyer.test", "cfo@buyer.test" };
	int changed;

	test_env_open(&f->dir, &f->cfg, &f->store);
	memset(&d, 0, sizeof(d));
	d.ref = "CUST-1";
	d.name = "Acme";
	d.language = "en";
	d.timezone = "America/New_York";
	d.region = "US";
	d.emails = emails;
	d.nemails = 2;
	assert_int_equal(dun_store_debtor_upsert(f->store, &f->debtor_id, &d,
	    &changed), 0);
	f->case_ids[0] = add_case(f->store, f->debtor_id, "INV-1");
	f->case_ids[1] = add_case(f->store, f->debtor_id, "INV-2");
	f->tx.send = fake_send;
	f->tx.sent_append = fake_append;
	f->tx.sent_find = fake_find;
	f->tx.arg = &f->fake;
	dun_outbox_init(&f->ob, f->store, f->cfg, &f->tx);
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

/* Plans one message for both cases at stage 2 (overdue_1). */
static int64_t
plan(struct fixture *f, const char *mid)
{
	static char *rcpts[] = { "ap@buyer.test", "cfo@buyer.test" };
	int stages[2] = { 2, 2 };
	char *skipped[2] = { "before_due,due_today", "" };
	struct dun_out_batch b;
	struct dun_out_message m;
	char *data = xasprintf("Message-ID: <%s>\r\nSubject: s\r\n\r\nhi\r\n",
	    mid);
	int64_t id;

	memset(&b, 0, sizeof(b));
	memset(&m, 0, sizeof(m));
	b.debtor_id = f->debtor_id;
	b.kind = DUN_OUT_REMINDER;
	b.template = "overdue_1";
	b.case_ids = f->case_ids;
	b.stage_index = stages;
	b.skipped = skipped;
	b.ncases = 2;
	m.data = data;
	m.len = strlen(data);
	m.message_id = (char *)mid;
	m.in_reply_to = "";
	m.references = "";
	m.token = "DUN-TEST01";
	m.subject = "Reminder";
	m.from = "ar@vendor.test";
	m.rcpts = rcpts;
	m.nrcpts = 2;
	m.language = "en";
	assert_int_equal(dun_outbox_plan(&f->ob, &id, &b, &m, NOW), 0);
	free(data);
	return id;
}

struct event_count {
	const char *kind;
	int n;
};

static int
event_count_fn(const struct dun_event *ev, void *arg)
{
	struct event_count *c = arg;

	if (strcmp(ev->kind, c->kind) == 0)
		c->n++;
	return 0;
}

static int
count_events(struct dun_store *store, const char *kind)
{
	struct event_count c = { kind, 0 };

	assert_int_equal(dun_store_event_foreach(store, 0, event_count_fn,
	    &c), 0);
	return c.n;
}

static int
count_handoffs(struct dun_store *store)
{
	struct dun_handoff_list list;
	int n;

	assert_int_equal(dun_store_handoff_list(store, &list, 0), 0);
	n = (int)list.count;
	dun_handoff_list_free(&list);
	return n;
}

static void
test_outbox__plan_commits_before_sending(void **state)
{
	struct fixture *f = *state;
	struct dun_outbox_row *row;
	char *data;
	size_t len;
	int64_t id = plan(f, "m1@vendor.test");
	int busy;

	assert_int_equal(f->fake.sends, 0);
	assert_int_equal(dun_store_outbox_get(f->store, &row, id), 0);
	assert_int_equal(row->state, DUN_OUTBOX_PLANNED);
	assert_int_equal(row->ncases, 2);
	assert_int_equal(row->nrcpts, 2);
	assert_string_equal(row->cases[0].stage, "overdue_1");
	assert_string_equal(row->cases[0].skipped, "before_due,due_today");
	assert_string_equal(row->rcpts[1].status, "pending");
	assert_int_equal(dun_trail_get_blob(f->store, &data, &len,
	    row->sha256), 0);
	assert_int_equal(len, (size_t)row->size);
	free(data);
	dun_outbox_row_free(row);
	assert_int_equal(count_events(f->store, "planned"), 2);
	assert_int_equal(dun_store_outbox_case_busy(f->store, f->case_ids[0],
	    &busy), 0);
	assert_int_equal(busy, 1);
}

/* The table: what the server does -> what the outbox records. */
struct outcome_row {
	const char *name;
	struct script s;
	int want_rc;               /* 0 or the code that stops the run */
	enum dun_outbox_state want_state;
	int want_attempts;
	int64_t want_retry_in;     /* next_attempt_at - NOW, -1 = don't care */
	int want_stage;            /* case stage_sent afterwards */
	int want_handoffs;
	const char *want_event;
	const char *want_rcpt0;
	int want_commits;          /* 'sending' commits */
};

static const struct outcome_row outcomes[] = {
	{ "250 accepted", { 0, DUN_RETRY_NONE, { 250, 250 }, 1, 250, 0 },
	  0, DUN_OUTBOX_SENT, 1, -1, 2, 0, "sent", "accepted", 1 },
	{ "one recipient refused 550", { 0, DUN_RETRY_NONE, { 550, 250 }, 1,
	  250, 0 }, 0, DUN_OUTBOX_SENT, 1, -1, 2, 2, "sent", "rejected", 1 },
	{ "every recipient 450", { DUN_ENET, DUN_RETRY_TEMP, { 450, 450 }, 0,
	  0, 0 }, 0, DUN_OUTBOX_PLANNED, 1, 300, -1, 0, "send_deferred",
	  "deferred", 0 },
	{ "every recipient 550", { DUN_ENET, DUN_RETRY_FINAL, { 550, 550 }, 0,
	  0, 0 }, 0, DUN_OUTBOX_FAILED, 1, -1, -1, 2, "send_failed",
	  "rejected", 0 },
	{ "end of data 452", { DUN_ENET, DUN_RETRY_TEMP, { 250, 250 }, 1, 452,
	  0 }, 0, DUN_OUTBOX_PLANNED, 1, 300, -1, 0, "send_deferred",
	  "accepted", 1 },
	{ "end of data 554", { DUN_ENET, DUN_RETRY_FINAL, { 250, 250 }, 1,
	  554, 0 }, 0, DUN_OUTBOX_FAILED, 1, -1, -1, 2, "send_failed",
	  "accepted", 1 },
	{ "connection lost after end of data", { DUN_ENET, DUN_RETRY_TEMP,
	  { 250, 250 }, 1, 0, 0 }, 0, DUN_OUTBOX_UNKNOWN, 1, -1, -1, 2,
	  "send_unknown", "accepted", 1 },
	{ "connection refused", { DUN_ENET, DUN_RETRY_TEMP, { 0, 0 }, 0, 0,
	  0 }, DUN_ENET, DUN_OUTBOX_PLANNED, 1, 300, -1, 0, "send_deferred",
	  "pending", 0 },
	{ "TLS verification failed", { DUN_ETLS, DUN_RETRY_FINAL, { 0, 0 }, 0,
	  0, 0 }, DUN_ETLS, DUN_OUTBOX_PLANNED, 0, 0, -1, 0, NULL, "pending",
	  0 },
	{ "login refused 535", { DUN_EAUTH, DUN_RETRY_FINAL, { 0, 0 }, 0, 0,
	  0 }, DUN_EAUTH, DUN_OUTBOX_PLANNED, 0, 0, -1, 0, NULL, "pending",
	  0 },
};

static void
test_outbox__outcomes(void **state)
{
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(outcomes); i++) {
		const struct outcome_row *t = &outcomes[i];
		struct fixture *f;
		struct dun_outbox_row *row;
		struct dun_case *c;
		enum dun_outbox_state st;
		int64_t id;
		int rc;

		setup((void **)&f);
		f->fake.s = t->s;
		f->fake.s.in_sent = 0;
		id = plan(f, "m@vendor.test");
		rc = dun_outbox_send(&f->ob, id, NOW, &st);
		print_message("row %zu: %s -> rc %d (%s)\n", i, t->name, rc,
		    rc ? dun_error_last() : "");
		assert_int_equal(rc, t->want_rc);
		assert_int_equal(dun_store_outbox_get(f->store, &row, id), 0);
		assert_int_equal(row->state, t->want_state);
		assert_int_equal(row->attempts, t->want_attempts);
		if (t->want_retry_in >= 0)
			assert_int_equal(row->next_attempt_at - NOW,
			    t->want_retry_in);
		assert_string_equal(row->rcpts[0].status, t->want_rcpt0);
		if (t->want_state == DUN_OUTBOX_SENT) {
			assert_string_equal(row->smtp_reply,
			    "250 2.0.0 Ok: queued as T1");
			assert_int_equal(row->sent_copy, 1);
			assert_int_equal(f->fake.appends, 1);
		}
		dun_outbox_row_free(row);
		assert_int_equal(dun_store_case_get(f->store, &c,
		    f->case_ids[1]), 0);
		assert_int_equal(c->stage_sent, t->want_stage);
		if (t->want_stage >= 0)
			assert_int_equal(c->last_reminder_at, NOW);
		dun_case_free(c);
		assert_int_equal(count_handoffs(f->store), t->want_handoffs);
		if (t->want_event)
			assert_int_equal(count_events(f->store,
			    t->want_event), 2);
		assert_int_equal(f->fake.commits, t->want_commits);
		assert_int_equal(count_events(f->store, "sending"),
		    t->want_commits ? 2 : 0);
		teardown((void **)&f);
	}
}

static void
test_outbox__retries_then_a_person(void **state)
{
	struct fixture *f = *state;
	struct dun_outbox_row *row;
	enum dun_outbox_state st;
	int64_t id = plan(f, "m2@vendor.test"), expect = 300;
	dun_time_t now = NOW;
	int i;

	f->fake.s = (struct script){ DUN_ENET, DUN_RETRY_TEMP, { 421, 421 },
	    0, 0, 0 };
	for (i = 1; i < f->cfg->policy.retry_max; i++) {
		assert_int_equal(dun_outbox_send(&f->ob, id, now, &st), 0);
		assert_int_equal(st, DUN_OUTBOX_PLANNED);
		assert_int_equal(dun_store_outbox_get(f->store, &row, id), 0);
		assert_int_equal(row->next_attempt_at - now, expect);
		now = row->next_attempt_at;
		dun_outbox_row_free(row);
		expect *= 2;
	}
	assert_int_equal(dun_outbox_send(&f->ob, id, now, &st), 0);
	assert_int_equal(st, DUN_OUTBOX_FAILED);
	assert_int_equal(count_handoffs(f->store), 2);
	assert_int_equal(f->fake.sends, f->cfg->policy.retry_max);
}

/* A message that cannot go is told to a person as well as queued: one
 * forward to the hand-off address, with the summary and the message; a
 * forward that cannot go is not forwarded again. */
static void
test_outbox__failure_is_forwarded(void **state)
{
	struct fixture *f = *state;
	struct dun_outbox_list list;
	struct dun_outbox_row *fwd;
	enum dun_outbox_state st;
	char *raw = NULL;
	size_t len = 0;
	int64_t id, fwd_id;

	free(f->cfg->handoff_address);
	f->cfg->handoff_address = xstrdup("collections@vendor.test");
	f->ob.on_handoff = dun_workflow_forward_send_problem;
	f->fake.s = (struct script){ DUN_ENET, DUN_RETRY_FINAL, { 550, 550 },
	    0, 0, 0 };
	id = plan(f, "m3@vendor.test");
	assert_int_equal(dun_outbox_send(&f->ob, id, NOW, &st), 0);
	assert_int_equal(st, DUN_OUTBOX_FAILED);
	assert_int_equal(count_handoffs(f->store), 2);

	assert_int_equal(dun_store_outbox_list(f->store, &list,
	    DUN_OUTBOX_PLANNED, 0), 0);
	assert_int_equal(list.count, 1);
	fwd = list.items[0];
	fwd_id = fwd->id;
	assert_string_equal(fwd->kind, "forward");
	assert_int_equal(fwd->nrcpts, 1);
	assert_string_equal(fwd->rcpts[0].address, "collections@vendor.test");
	assert_int_equal(fwd->ncases, 2);
	assert_int_equal(dun_trail_get_blob(f->store, &raw, &len,
	    fwd->sha256), 0);
	assert_non_null(strstr(raw, "X-Dunmail-Handoff: send_failed"));
	assert_non_null(strstr(raw, "Message-ID <m3@vendor.test>"));
	assert_non_null(strstr(raw, "Invoice:    INV-1"));
	assert_non_null(strstr(raw, "dunmail resolve INV-2 --action"));
	/* The failed message itself rides along. */
	assert_non_null(strstr(raw, "Message-ID: <m3@vendor.test>"));
	free(raw);
	dun_outbox_list_free(&list);

	/* The hand-off address refuses too: queued, not forwarded again. */
	assert_int_equal(dun_outbox_send(&f->ob, fwd_id, NOW, &st), 0);
	assert_int_equal(st, DUN_OUTBOX_FAILED);
	assert_int_equal(dun_store_outbox_list(f->store, &list,
	    DUN_OUTBOX_PLANNED, 0), 0);
	assert_int_equal(list.count, 0);
	dun_outbox_list_free(&list);
}

static void
test_outbox__crash_in_sending_is_reconciled(void **state)
{
	struct fixture *f = *state;
	struct dun_outbox_row *row;
	int64_t found_id, lost_id;
	int busy;

	/* Two rows left in 'sending' by a crash: one the Sent folder has,
	 * one it does not. */
	found_id = plan(f, "found@vendor.test");
	lost_id = plan(f, "lost@vendor.test");
	assert_int_equal(dun_store_outbox_get(f->store, &row, found_id), 0);
	row->state = DUN_OUTBOX_SENDING;
	assert_int_equal(dun_store_outbox_update(f->store, row), 0);
	dun_outbox_row_free(row);
	assert_int_equal(dun_store_outbox_get(f->store, &row, lost_id), 0);
	row->state = DUN_OUTBOX_SENDING;
	assert_int_equal(dun_store_outbox_update(f->store, row), 0);
	dun_outbox_row_free(row);

	f->fake.s.in_sent = 1;
	/* Reconcile one at a time: the fake's folder answers per call. */
	{
		struct dun_outbox_list l;
		assert_int_equal(dun_store_outbox_list(f->store, &l,
		    DUN_OUTBOX_SENDING, 0), 0);
		assert_int_equal(l.count, 2);
		dun_outbox_list_free(&l);
	}
	assert_int_equal(dun_store_outbox_get(f->store, &row, lost_id), 0);
	row->state = DUN_OUTBOX_PLANNED; /* hide it for the first pass */
	assert_int_equal(dun_store_outbox_update(f->store, row), 0);
	assert_int_equal(dun_outbox_reconcile(&f->ob, NOW), 0);
	row->state = DUN_OUTBOX_SENDING;
	assert_int_equal(dun_store_outbox_update(f->store, row), 0);
	dun_outbox_row_free(row);
	f->fake.s.in_sent = 0;
	assert_int_equal(dun_outbox_reconcile(&f->ob, NOW), 0);

	assert_int_equal(f->fake.sends, 0); /* never resent */
	assert_int_equal(dun_store_outbox_get(f->store, &row, found_id), 0);
	assert_int_equal(row->state, DUN_OUTBOX_SENT);
	dun_outbox_row_free(row);
	assert_int_equal(dun_store_outbox_get(f->store, &row, lost_id), 0);
	assert_int_equal(row->state, DUN_OUTBOX_UNKNOWN);
	dun_outbox_row_free(row);
	assert_int_equal(count_handoffs(f->store), 2);
	/* An unknown row keeps its cases from the scheduler. */
	assert_int_equal(dun_store_outbox_case_busy(f->store, f->case_ids[0],
	    &busy), 0);
	assert_int_equal(busy, 1);
}

static void
test_outbox__cancel_and_copy_pending(void **state)
{
	struct fixture *f = *state;
	struct dun_outbox_row *row;
	enum dun_outbox_state st;
	int64_t id = plan(f, "c@vendor.test"), id2;
	int busy;

	assert_int_equal(dun_outbox_cancel(&f->ob, id, NOW, "paid"), 0);
	assert_int_equal(dun_store_outbox_get(f->store, &row, id), 0);
	assert_int_equal(row->state, DUN_OUTBOX_CANCELLED);
	dun_outbox_row_free(row);
	assert_int_equal(dun_store_outbox_case_busy(f->store, f->case_ids[0],
	    &busy), 0);
	assert_int_equal(busy, 0);

	/* Sent while the folder was unreachable: copied next run. */
	id2 = plan(f, "d@vendor.test");
	f->fake.s = (struct script){ 0, DUN_RETRY_NONE, { 250, 250 }, 1, 250,
	    0 };
	f->tx.sent_append = NULL;
	assert_int_equal(dun_outbox_send(&f->ob, id2, NOW, &st), 0);
	f->tx.sent_append = fake_append;
	assert_int_equal(dun_outbox_copy_pending(&f->ob, NOW), 0);
	assert_int_equal(f->fake.appends, 1);
	assert_int_equal(dun_store_outbox_get(f->store, &row, id2), 0);
	assert_int_equal(row->sent_copy, 1);
	dun_outbox_row_free(row);
	/* And not twice. */
	assert_int_equal(dun_outbox_copy_pending(&f->ob, NOW), 0);
	assert_int_equal(f->fake.appends, 1);
}

static void
test_outbox__backoff(void **state)
{
	struct dun_policy p;
	static const struct { int attempts; int64_t wait; } rows[] = {
		{ 0, 0 }, { 1, 300 }, { 2, 600 }, { 3, 1200 }, { 4, 2400 },
		{ 5, 4800 }, { 6, -1 }, { 7, -1 },
	};
	size_t i;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.retry_base_s = 300;
	p.retry_max = 6;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++)
		assert_int_equal(dun_outbox_backoff(&p, rows[i].attempts),
		    rows[i].wait);
}

static void
test_outbox__window(void **state)
{
	struct fixture *f = *state;
	const struct dun_policy *p = &f->cfg->policy;
	dun_time_t t;

	/* Wednesday 2026-11-18: 10:00 in New York is inside 09:00-17:00,
	 * 08:00 and 17:00 are not; Saturday is not a sending day. */
	t = dun_tz_instant(dun_date_from_ymd(2026, 11, 18), 600,
	    "America/New_York");
	assert_true(dun_outbox_in_window(p, "America/New_York", "US", t));
	assert_false(dun_outbox_in_window(p, "Asia/Shanghai", "CN", t));
	t = dun_tz_instant(dun_date_from_ymd(2026, 11, 18), 480,
	    "America/New_York");
	assert_false(dun_outbox_in_window(p, "America/New_York", "US", t));
	t = dun_tz_instant(dun_date_from_ymd(2026, 11, 18), 1020,
	    "America/New_York");
	assert_false(dun_outbox_in_window(p, "America/New_York", "US", t));
	t = dun_tz_instant(dun_date_from_ymd(2026, 11, 21), 600,
	    "America/New_York");
	assert_false(dun_outbox_in_window(p, "America/New_York", "US", t));
}

/* A closed network transport is closed all through: `run` reopens it
 * after a reload only when send is NULL, so a send or Sent-folder call
 * must never reach a freed connection (SIGHUP crashed run). */
static void
test_outbox__net_close_clears_transport(void **state)
{
	struct fixture *f = *state;
	struct dun_outbox_transport tx;

	assert_int_equal(dun_outbox_net_open(&tx, f->cfg), 0);
	assert_non_null(tx.send);
	dun_outbox_net_close(&tx);
	assert_null(tx.send);
	assert_null(tx.send_group);
	assert_null(tx.sent_append);
	assert_null(tx.sent_find);
	assert_null(tx.arg);
	dun_outbox_net_close(&tx); /* twice is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_outbox__plan_commits_before_sending, setup, teardown),
		cmocka_unit_test(test_outbox__outcomes),
		cmocka_unit_test_setup_teardown(
		    test_outbox__failure_is_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_outbox__retries_then_a_person, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_outbox__crash_in_sending_is_reconciled, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_outbox__cancel_and_copy_pending, setup, teardown),
		cmocka_unit_test(test_outbox__backoff),
		cmocka_unit_test_setup_teardown(test_outbox__window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_outbox__net_close_clears_transport, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
