/* The workflow without a network: replies go through the inbound pipeline
 * with the workflow hook on a temporary store. Every hand-off is filed
 * under Needs attention, queued and forwarded with its summary (a reply
 * with cases, one that matched none, one whose processing failed, a
 * case whose promises broke); a
 * person decides a hand-off without a case (dismiss, assign); a case
 * closed by the ledger leaves the queue; the next instant something
 * falls due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/agent/inbound.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/cases/cases.h"
#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/ledger/ledger.h"
#include "dunmail/store/store.h"
#include "dunmail/store/trail.h"
#include "store/store_internal.h"
#include "testutil.h"
#include "teststore.h"

struct fixture {
	char *dir;
	struct dun_config *cfg;
	struct dun_store *store;
	struct dun_inbound *ib;
	dun_time_t now;
	uint32_t uid;
};

#define HEADER "debtor_ref,debtor_name,email,language,timezone,region," \
	"invoice_number,issue_date,due_date,currency,amount,open_amount,pdf\n"

/* SQL into the fixture's store (teststore.h). */
#define q_int(f, sql) test_q_int((f)->store, (sql))
#define q_text(f, sql) test_q_text((f)->store, (sql))
#define exec(f, sql) test_exec((f)->store, (sql))

static void
new_inbound(struct fixture *f)
{
	struct dun_inbound_opts opts;

	dun_inbound_free(f->ib);
	memset(&opts, 0, sizeof(opts));
	opts.now = f->now;
	opts.on_reply = dun_workflow_on_reply;
	assert_int_equal(dun_inbound_new(&f->ib, f->store, f->cfg, &opts), 0);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	char *csv;

	test_env_open(&f->dir, &f->cfg, &f->store);
	free(f->cfg->handoff_address);
	f->cfg->handoff_address = xstrdup("collections@vendor.test");
	free(f->cfg->operator_name);
	f->cfg->operator_name = xstrdup("alice");
	/* Friday 20 November 2026, 09:00 in London. */
	assert_int_equal(dun_time_parse(&f->now, "2026-11-20T09:00:00Z"), 0);
	csv = test_write(f->dir, "inv.csv", HEADER
	    "C1,Acme Corp,acme@buyer.test,en,Europe/London,GB,INV-2026-0001,"
	    "2026-10-01,2026-11-01,GBP,100.00,100.00,\n"
	    "C2,Huaxin,huaxin@buyer.test,en,Europe/London,GB,INV-2026-0002,"
	    "2026-11-01,2026-12-10,GBP,200.00,200.00,\n");
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, csv,
	    f->now, &st, &diags), 0);
	assert_int_equal(diags.count, 0);
	free(csv);
	/* The reminder acme answers. */
	exec(f, "INSERT INTO message (direction, kind, debtor_id, message_id, "
	    "token, subject, from_addr, to_addrs, outbox_state, sent_at, "
	    "created_at) VALUES ('out', 'reminder', (SELECT debtor_id FROM "
	    "contact WHERE email = 'acme@buyer.test'), 'r1@vendor.test', "
	    "'DUN-ACME0001', 'Payment reminder', 'ar@vendor.test', "
	    "'acme@buyer.test', 'sent', 1795000000, 1795000000); "
	    "INSERT INTO message_case (message_id, case_id) SELECT m.id, c.id "
	    "FROM message m, dcase c JOIN invoice i ON i.id = c.invoice_id "
	    "WHERE m.message_id = 'r1@vendor.test' AND i.number = "
	    "'INV-2026-0001';");
	new_inbound(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dun_inbound_free(f->ib);
	test_env_close(f->dir, f->cfg, f->store);
	free(f);
	return 0;
}

/* A reply from `from` (threaded on acme's reminder if thread), stored and
 * processed: its message row. */
static int64_t
deliver(struct fixture *f, const char *from, int thread, const char *words)
{
	struct dun_inbound_stats st;
	char *raw = xasprintf("From: %s\r\nTo: ar@vendor.test\r\nSubject: "
	    "Re: Payment reminder\r\nDate: Fri, 20 Nov 2026 08:00:00 +0000\r\n"
	    "Message-ID: <reply.%u@buyer.test>\r\n%sContent-Type: text/plain; "
	    "charset=utf-8\r\n\r\n%s\r\n", from, f->uid + 1, thread ?
	    "In-Reply-To: <r1@vendor.test>\r\n" : "", words);
	int64_t id = 0;

	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_store_raw(f->ib, &id, "INBOX", 1,
	    ++f->uid, raw, strlen(raw)), 0);
	assert_int_equal(dun_inbound_process(f->ib, id, &st), 0);
	assert_int_equal(st.processed, 1);
	free(raw);
	return id;
}

/* The newest forward's stored bytes (caller frees). */
static char *
last_forward(struct fixture *f)
{
	char *sha = q_text(f, "SELECT sha256 FROM message WHERE kind = "
	    "'forward' ORDER BY id DESC LIMIT 1"), *data = NULL;
	size_t len;

	assert_true(*sha);
	assert_int_equal(dun_trail_get_blob(f->store, &data, &len, sha), 0);
	free(sha);
	return data;
}

static void
assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("no \"%s\" in:\n%s", needle, hay);
}

static void
test_workflow__dispute_filed_queued_forwarded(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, "acme@buyer.test", 1,
	    "We dispute this invoice, the goods were damaged.");
	struct dun_handoff_list q;
	char *sql, *v, *fwd;

	sql = xasprintf("SELECT folder FROM message WHERE id = %lld",
	    (long long)id);
	v = q_text(f, sql);
	assert_string_equal(v, "Dunning/Needs attention");
	free(v);
	free(sql);
	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 1);
	assert_string_equal(q.items[0].reason, "dispute");
	assert_string_equal(q.items[0].from_addr, "acme@buyer.test");
	dun_handoff_list_free(&q);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE kind = "
	    "'forward' AND outbox_state = 'planned'"), 1);
	fwd = last_forward(f);
	assert_has(fwd, "X-Dunmail-Handoff: dispute");
	assert_has(fwd, "To: <collections@vendor.test>");
	/* The summary (quoted-printable, so short needles). */
	assert_has(fwd, "Debtor:     Acme Corp (C1)");
	assert_has(fwd, "INV-2026-0001, GBP 100.00 open, now disputed");
	assert_has(fwd, "Class:      dispute");
	assert_has(fwd, "dunmail resolve INV-2026-0001 --action");
	/* And the reply itself, attached as it arrived. */
	assert_has(fwd, "Content-Type: message/rfc822");
	assert_has(fwd, "We dispute this invoice, the goods were damaged.");
	free(fwd);
	/* In the case's trail. */
	assert_int_equal(q_int(f, "SELECT count(*) FROM event e JOIN message "
	    "m ON m.id = e.message_id WHERE e.kind = 'planned' AND m.kind = "
	    "'forward'"), 1);
}

/* A bare CR or LF in a reply never reaches SMTP DATA as such: the
 * attached original has CRLF line ends only (no "\r.\r\n" to end the
 * data early), the forward says it was changed, and the stored reply
 * keeps its bytes. */
static void
test_workflow__bare_cr_normalised_in_forward(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, "acme@buyer.test", 1,
	    "We dispute this invoice.\r.\r\nMAIL FROM:<x@evil.test>\r\n"
	    "RCPT TO:<victim@vendor.test>\rDATA\nbare LF\n.\n");
	char *sql, *sha, *fwd, *raw = NULL, *p;
	size_t len, i;

	fwd = last_forward(f);
	assert_has(fwd, "Content-Type: message/rfc822");
	for (i = 0; fwd[i]; i++) {
		if (fwd[i] == '\r' && fwd[i + 1] != '\n')
			fail_msg("bare CR at %zu: %.40s", i, fwd + i);
		if (fwd[i] == '\n' && (i == 0 || fwd[i - 1] != '\r'))
			fail_msg("bare LF at %zu: %.40s", i, fwd + i);
	}
	p = strstr(fwd, "We dispute this invoice.");
	assert_non_null(p);
	assert_memory_equal(p, "We dispute this invoice.\r\n.\r\nMAIL FROM:",
	    39);
	assert_has(fwd, "RCPT TO:<victim@vendor.test>\r\nDATA\r\nbare LF\r\n");
	/* The summary says so (quoted-printable: short needles). */
	assert_has(fwd, "Note: the attached message had bare CR");
	assert_has(fwd, "unchanged, byte for byte");
	/* The note sits above the signature ("-- " in quoted-printable). */
	assert_non_null(strstr(fwd, "\r\n--=20\r\n"));
	assert_true(strstr(fwd, "Note: the attached") <
	    strstr(fwd, "\r\n--=20\r\n"));
	/* The evidence is untouched. */
	sql = xasprintf("SELECT sha256 FROM message WHERE id = %lld",
	    (long long)id);
	sha = q_text(f, sql);
	assert_int_equal(dun_trail_get_blob(f->store, &raw, &len, sha), 0);
	assert_non_null(memmem(raw, len, "invoice.\r.\r\nMAIL", 16));
	assert_non_null(memmem(raw, len, ">\rDATA\nbare LF\n.\n", 17));
	free(raw);
	free(sha);
	free(sql);
	free(fwd);
}

static void
test_workflow__unmatched_forwarded_and_decided(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, "nobody@elsewhere.test", 0,
	    "Is this the right address for sales?"), hid, case_id = 0;
	struct dun_handoff_list q;
	char *fwd, *sql, *v;

	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 1);
	assert_int_equal(q.items[0].case_id, 0);
	assert_string_equal(q.items[0].reason, "unmatched");
	hid = q.items[0].id;
	dun_handoff_list_free(&q);

	fwd = last_forward(f);
	assert_has(fwd, "X-Dunmail-Handoff: unmatched");
	assert_has(fwd, "Debtor:     none matched");
	assert_has(fwd, "Invoices:   none matched");
	sql = xasprintf("dunmail resolve --handoff %lld --action assign "
	    "INVOICE", (long long)hid);
	assert_has(fwd, sql);
	free(sql);
	assert_has(fwd, "Is this the right address for sales?");
	free(fwd);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE kind = "
	    "'forward' AND debtor_id IS NULL"), 1);
	/* Its trail event names the forward and the reply it carries. */
	sql = xasprintf("SELECT count(*) FROM event e JOIN message m ON m.id "
	    "= e.message_id WHERE e.kind = 'planned' AND m.kind = 'forward' "
	    "AND IFNULL(e.case_id, 0) = 0 AND e.message_sha256 = m.sha256 AND "
	    "json_extract(e.detail, '$.forwards_message') = %lld",
	    (long long)id);
	assert_int_equal(q_int(f, sql), 1);
	free(sql);

	/* Only dismiss and assign INVOICE fit a hand-off without a case. */
	assert_int_equal(dun_workflow_handoff_decide(f->store, f->cfg, f->now,
	    hid, "resume", NULL, "x", NULL), DUN_EINVAL);
	assert_int_equal(dun_workflow_handoff_decide(f->store, f->cfg, f->now,
	    hid, "assign", "INV-1999-0000", "x", NULL), DUN_ENOTFOUND);
	assert_int_equal(dun_workflow_handoff_decide(f->store, f->cfg, f->now,
	    hid, "assign", "INV-2026-0002", "their sales team, our invoice",
	    &case_id), 0);
	assert_true(case_id > 0);
	sql = xasprintf("SELECT resolution || '|' || operator || '|' || note "
	    "FROM handoff WHERE id = %lld", (long long)hid);
	v = q_text(f, sql);
	assert_string_equal(v, "assign INV-2026-0002|alice|their sales team, "
	    "our invoice");
	free(v);
	free(sql);
	/* The reply joined the case: its trail, its export. */
	sql = xasprintf("SELECT count(*) FROM message_case WHERE message_id = "
	    "%lld AND case_id = %lld", (long long)id, (long long)case_id);
	assert_int_equal(q_int(f, sql), 1);
	free(sql);
	sql = xasprintf("SELECT count(*) FROM event WHERE kind = 'decision' "
	    "AND case_id = %lld AND message_id = %lld AND json_extract(detail,"
	    " '$.action') = 'assign'", (long long)case_id, (long long)id);
	assert_int_equal(q_int(f, sql), 1);
	free(sql);
	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 0);
	dun_handoff_list_free(&q);
	/* Once is enough. */
	assert_int_equal(dun_workflow_handoff_decide(f->store, f->cfg, f->now,
	    hid, "dismiss", NULL, "x", NULL), DUN_EINVAL);

	/* Another: dismissed. */
	deliver(f, "spam@elsewhere.test", 0, "Cheap watches.");
	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 1);
	hid = q.items[0].id;
	dun_handoff_list_free(&q);
	assert_int_equal(dun_workflow_handoff_decide(f->store, f->cfg, f->now,
	    hid, "dismiss", NULL, "spam", &case_id), 0);
	assert_int_equal(case_id, 0);
	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 0);
	dun_handoff_list_free(&q);
}

/* The workflow, failing on a reply about a case whose subject says BUG
 * (the message's own fault). */
static int
buggy_workflow(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, void *arg)
{
	if (reply->ncases > 0 && reply->parsed && reply->parsed->subject &&
	    strstr(reply->parsed->subject, "BUG"))
		return dun_error_set(DUN_ERROR, "workflow: cannot handle this");
	return dun_workflow_on_reply(store, cfg, now, reply, arg);
}

/* A reply whose processing failed is handed off: queued, filed, and
 * forwarded like any other. */
static void
test_workflow__failed_processing_forwarded(void **state)
{
	struct fixture *f = *state;
	struct dun_inbound_opts opts;
	struct dun_inbound_stats st;
	const char *raw = "From: acme@buyer.test\r\nTo: ar@vendor.test\r\n"
	    "Subject: Re: BUG\r\nMessage-ID: <bug.1@buyer.test>\r\n"
	    "In-Reply-To: <r1@vendor.test>\r\n\r\nWe will pay Friday.\r\n";
	int64_t id = 0;
	char *fwd;

	dun_inbound_free(f->ib);
	memset(&opts, 0, sizeof(opts));
	opts.now = f->now;
	opts.on_reply = buggy_workflow;
	assert_int_equal(dun_inbound_new(&f->ib, f->store, f->cfg, &opts), 0);
	assert_int_equal(dun_inbound_store_raw(f->ib, &id, "INBOX", 1, 1, raw,
	    strlen(raw)), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process(f->ib, id, &st), 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'processing_failed' AND resolved_at = 0"), 1);
	fwd = last_forward(f);
	assert_has(fwd, "X-Dunmail-Handoff: processing_failed");
	assert_has(fwd, "dunmail resolve --handoff");
	assert_has(fwd, "Message-ID: <bug.1@buyer.test>");
	free(fwd);
}

static void
test_workflow__case_handoff_not_decided_here(void **state)
{
	struct fixture *f = *state;
	struct dun_handoff_list q;

	deliver(f, "acme@buyer.test", 1, "We dispute this invoice.");
	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 1);
	assert_int_equal(dun_workflow_handoff_decide(f->store, f->cfg, f->now,
	    q.items[0].id, "dismiss", NULL, "x", NULL), DUN_EINVAL);
	dun_handoff_list_free(&q);
}

/* Promises broken max_broken_promises times: the case goes to a person,
 * queued and forwarded with the last promise attached. */
static void
test_workflow__broken_promises_forwarded(void **state)
{
	struct fixture *f = *state;
	dun_time_t later;
	int64_t promise;
	char *fwd, *mid;

	f->cfg->policy.max_broken_promises = 1;
	promise = deliver(f, "acme@buyer.test", 1,
	    "We will pay INV-2026-0001 by 2026-11-23.");
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE kind = "
	    "'forward'"), 0);
	assert_int_equal(dun_time_parse(&later, "2026-12-01T10:00:00Z"), 0);
	assert_true(dun_workflow_tick(f->store, f->cfg, later) >= 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'broken_promises' AND resolved_at = 0"), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE kind = "
	    "'forward'"), 1);
	fwd = last_forward(f);
	assert_has(fwd, "X-Dunmail-Handoff: broken_promises");
	assert_has(fwd, "Debtor:     Acme Corp (C1)");
	assert_has(fwd, "INV-2026-0001, GBP 100.00 open, now on_hold");
	assert_has(fwd, "Class:      promise_to_pay");
	assert_has(fwd, "Promised:   to pay by 2026-11-23");
	assert_has(fwd, "dunmail resolve INV-2026-0001 --action");
	/* The evidence: the promise as it arrived. */
	assert_has(fwd, "Content-Type: message/rfc822");
	mid = xasprintf("Message-ID: <reply.%u@buyer.test>", (unsigned)1);
	assert_has(fwd, mid);
	free(mid);
	free(fwd);
	(void)promise;
	/* The forward is in the case's trail; a second tick does nothing. */
	assert_int_equal(q_int(f, "SELECT count(*) FROM event e JOIN message "
	    "m ON m.id = e.message_id WHERE e.kind = 'planned' AND m.kind = "
	    "'forward' AND e.case_id > 0"), 1);
	assert_int_equal(dun_workflow_tick(f->store, f->cfg, later + 60), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE kind = "
	    "'forward'"), 1);
}

static void
test_workflow__closed_case_leaves_the_queue(void **state)
{
	struct fixture *f = *state;
	struct dun_handoff_list q;
	int64_t case_id;

	deliver(f, "acme@buyer.test", 1, "We paid this invoice yesterday.");
	case_id = q_int(f, "SELECT c.id FROM dcase c JOIN invoice i ON i.id = "
	    "c.invoice_id WHERE i.number = 'INV-2026-0001'");
	assert_int_equal(dun_store_handoff_list(f->store, &q, case_id), 0);
	assert_int_equal(q.count, 1);
	dun_handoff_list_free(&q);
	assert_int_equal(dun_store_handoff_close_case(f->store, case_id,
	    f->now, "the ledger shows the invoice settled"), 1);
	assert_int_equal(dun_store_handoff_list(f->store, &q, 0), 0);
	assert_int_equal(q.count, 0);
	dun_handoff_list_free(&q);
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE "
	    "resolution = 'case_closed' AND operator = 'dunmail' AND note = "
	    "'the ledger shows the invoice settled'"), 1);
	assert_int_equal(dun_store_handoff_close_case(f->store, case_id,
	    f->now, "again"), 0);
}

static void
test_workflow__next_due(void **state)
{
	struct fixture *f = *state;
	dun_time_t at, want, sat;

	/* INV-2026-0001 is overdue, but acme had a reminder on 18 Nov: the
	 * next waits out the 7-day gap, to 25 Nov at 09:00 London.
	 * (INV-2026-0002's before_due comes later, on 3 Dec.) */
	assert_int_equal(dun_workflow_next_due(f->store, f->cfg, f->now, &at),
	    0);
	assert_int_equal(dun_time_parse(&want, "2026-11-25T09:00:00Z"), 0);
	assert_int_equal(at, want);

	/* A promise to pay by Saturday 21 Nov: its follow-up after the two
	 * days' grace, Tuesday 24 Nov at 09:00, comes first. */
	deliver(f, "acme@buyer.test", 1,
	    "We will pay INV-2026-0001 by 2026-11-21.");
	assert_int_equal(dun_workflow_next_due(f->store, f->cfg, f->now, &at),
	    0);
	assert_int_equal(dun_time_parse(&want, "2026-11-24T09:00:00Z"), 0);
	assert_int_equal(at, want);

	/* An outbox retry due on Saturday waits for the debtor's next
	 * window, Monday 23 Nov 09:00; a forward does not wait. */
	exec(f, "INSERT INTO message (direction, kind, debtor_id, message_id, "
	    "outbox_state, attempts, next_attempt_at, created_at) VALUES "
	    "('out', 'reminder', (SELECT debtor_id FROM contact WHERE email = "
	    "'huaxin@buyer.test'), 'retry@vendor.test', 'planned', 1, "
	    "1795242000, 1795165200)"); /* Saturday 21 Nov 06:20Z */
	assert_int_equal(dun_time_parse(&sat, "2026-11-23T09:00:00Z"), 0);
	assert_int_equal(dun_workflow_next_due(f->store, f->cfg, f->now, &at),
	    0);
	assert_int_equal(at, sat);
	exec(f, "INSERT INTO message (direction, kind, message_id, "
	    "outbox_state, attempts, next_attempt_at, created_at) VALUES "
	    "('out', 'forward', 'fwd@vendor.test', 'planned', 1, 1795167000, "
	    "1795165200)"); /* 09:30Z: a forward goes whenever it is due */
	assert_int_equal(dun_workflow_next_due(f->store, f->cfg, f->now, &at),
	    0);
	assert_int_equal(at, 1795167000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_workflow__dispute_filed_queued_forwarded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow__bare_cr_normalised_in_forward, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow__unmatched_forwarded_and_decided, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow__failed_processing_forwarded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow__case_handoff_not_decided_here, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow__broken_promises_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow__closed_case_leaves_the_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_workflow__next_due, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
