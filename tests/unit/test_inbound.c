/* Inbound processing without a network: raw messages go through
 * dun_inbound_store_raw + dun_inbound_process on a temporary store, with
 * the real parser and classifier. Matching by thread, named invoices,
 * token, sender; unmatched hand-off; a hard bounce; every hand-off filed
 * under Needs attention; processing twice; a
 * message whose processing fails, inside a chunk and alone; `dunmail
 * deliver` taking the same bytes once; who may steer a case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/agent/inbound.h"
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

/* A reminder we sent: message row (direction out) and its cases. */
static void
sent(struct fixture *f, const char *mid, const char *token,
    const char *email, const char *inv1, const char *inv2)
{
	char *sql = xasprintf("INSERT INTO message (direction, kind, "
	    "debtor_id, message_id, token, subject, from_addr, to_addrs, "
	    "outbox_state, sent_at, created_at) VALUES ('out', 'reminder', "
	    "(SELECT debtor_id FROM contact WHERE email = '%s'), '%s', '%s', "
	    "'Payment reminder', 'ar@vendor.test', '%s', 'sent', 1795000000, "
	    "1795000000); INSERT INTO message_case (message_id, case_id) "
	    "SELECT m.id, c.id FROM message m, dcase c JOIN invoice i ON "
	    "i.id = c.invoice_id WHERE m.message_id = '%s' AND i.number IN "
	    "('%s', '%s');", email, mid, token, email, mid, inv1, inv2);
	exec(f, sql);
	free(sql);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_inbound_opts opts;
	char *csv;

	test_env_open(&f->dir, &f->cfg, &f->store);
	assert_int_equal(dun_time_parse(&f->now, "2026-11-20T09:00:00Z"), 0);
	csv = test_write(f->dir, "inv.csv", HEADER
	    "C1,Acme Corp,acme@buyer.test,en,Europe/London,GB,INV-2026-0001,"
	    "2026-10-01,2026-11-01,GBP,100.00,100.00,\n"
	    "C1,Acme Corp,acme@buyer.test,en,Europe/London,GB,INV-2026-0002,"
	    "2026-10-02,2026-11-02,GBP,200.00,200.00,\n"
	    "C2,Huaxin,huaxin@buyer.test,zh,Asia/Shanghai,CN,INV-2026-0003,"
	    "2026-10-03,2026-11-03,CNY,300.00,300.00,\n"
	    "C3,Ghost Ltd,ghost@buyer.test,en,Europe/London,GB,INV-2026-0004,"
	    "2026-10-04,2026-11-04,GBP,400.00,400.00,\n");
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, csv,
	    f->now, &st, &diags), 0);
	assert_int_equal(diags.count, 0);
	free(csv);
	sent(f, "r1@vendor.test", "DUN-ACME0001", "acme@buyer.test",
	    "INV-2026-0001", "INV-2026-0002");
	sent(f, "r4@vendor.test", "DUN-GHOST004", "ghost@buyer.test",
	    "INV-2026-0004", "");
	memset(&opts, 0, sizeof(opts));
	opts.now = f->now;
	assert_int_equal(dun_inbound_new(&f->ib, f->store, f->cfg, &opts), 0);
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

/* Stores raw under the next UID and processes it: the message row. */
static int64_t
deliver(struct fixture *f, const char *raw)
{
	struct dun_inbound_stats st;
	int64_t id = 0;

	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_store_raw(f->ib, &id, "INBOX", 1,
	    ++f->uid, raw, strlen(raw)), 0);
	assert_true(id > 0);
	assert_int_equal(dun_inbound_process(f->ib, id, &st), 0);
	assert_int_equal(st.processed, 1);
	return id;
}

/* "INV-a INV-b" of the cases linked to message row id. */
static char *
cases_of(struct fixture *f, int64_t id)
{
	char *sql = xasprintf("SELECT group_concat(number, ' ') FROM (SELECT "
	    "i.number FROM message_case mc JOIN dcase c ON c.id = mc.case_id "
	    "JOIN invoice i ON i.id = c.invoice_id WHERE mc.message_id = %lld "
	    "ORDER BY i.number)", (long long)id);
	char *v = q_text(f, sql);

	free(sql);
	return v;
}

static void
check_row(struct fixture *f, int64_t id, const char *cls, const char *method,
    const char *cases, const char *folder)
{
	char *sql, *v;

	sql = xasprintf("SELECT class FROM message WHERE id = %lld",
	    (long long)id);
	v = q_text(f, sql);
	assert_string_equal(v, cls);
	free(v);
	free(sql);
	sql = xasprintf("SELECT match_method FROM message WHERE id = %lld",
	    (long long)id);
	v = q_text(f, sql);
	assert_string_equal(v, method);
	free(v);
	free(sql);
	sql = xasprintf("SELECT folder FROM message WHERE id = %lld",
	    (long long)id);
	v = q_text(f, sql);
	assert_string_equal(v, folder);
	free(v);
	free(sql);
	v = cases_of(f, id);
	assert_string_equal(v, cases);
	free(v);
}

#define MSG(from, extra, subject, body) \
	"From: " from "\r\nTo: ar@vendor.test\r\nSubject: " subject \
	"\r\nDate: Fri, 20 Nov 2026 08:00:00 +0000\r\n" \
	"Message-ID: <reply.1@buyer.test>\r\n" extra \
	"Content-Type: text/plain; charset=utf-8\r\n\r\n" body "\r\n"

static void
test_inbound__thread_matches_its_cases(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, MSG("Acme AP <acme@buyer.test>",
	    "In-Reply-To: <r1@vendor.test>\r\n", "Re: Payment reminder",
	    "We will pay both invoices next Friday.\r\n\r\n"
	    "On Mon, 16 Nov 2026, Accounts Receivable <ar@vendor.test> "
	    "wrote:\r\n> Invoices INV-2026-0001 and INV-2026-0002 are "
	    "overdue.\r\n"));

	/* The quoted invoice numbers are not the debtor's words: both. */
	check_row(f, id, "promise_to_pay", "thread",
	    "INV-2026-0001 INV-2026-0002", "Dunning/Promise");
	assert_int_equal(q_int(f, "SELECT sender_contact FROM message WHERE "
	    "direction = 'in'"), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'classified'"), 2); /* one per case */
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff"), 0);
}

static void
test_inbound__named_invoice_only(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, MSG("acme@buyer.test",
	    "References: <old@vendor.test> <r1@vendor.test>\r\n",
	    "Re: Payment reminder",
	    "We will pay INV-2026-0002 tomorrow."));

	check_row(f, id, "promise_to_pay", "thread", "INV-2026-0002",
	    "Dunning/Promise");
}

static void
test_inbound__token(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, MSG("acme@buyer.test", "",
	    "Re: Payment reminder [ref:DUN-ACME0001]",
	    "We will pay both on Friday."));
	char *v;

	check_row(f, id, "promise_to_pay", "token",
	    "INV-2026-0001 INV-2026-0002", "Dunning/Promise");
	v = q_text(f, "SELECT token FROM message WHERE direction = 'in'");
	assert_string_equal(v, "DUN-ACME0001");
	free(v);
}

/* A contact naming another debtor's invoice first is matched within its
 * own debtor; naming only another debtor's invoices, a person decides. */
static void
test_inbound__named_within_own_debtor(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	id = deliver(f, MSG("acme@buyer.test", "", "Payment",
	    "We will pay INV-2026-0003 and INV-2026-0001 by Friday."));
	check_row(f, id, "promise_to_pay", "invoice", "INV-2026-0001",
	    "Dunning/Promise");
	assert_int_equal(q_int(f, "SELECT count(*) FROM message_case mc "
	    "JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = "
	    "c.invoice_id WHERE i.number = 'INV-2026-0003'"), 0);
}

static void
test_inbound__names_only_other_debtor(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	id = deliver(f, MSG("acme@buyer.test", "", "Payment",
	    "We will pay INV-2026-0003 by Friday."));
	check_row(f, id, "promise_to_pay", "sender",
	    "INV-2026-0001 INV-2026-0002", "Dunning/Needs attention");
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'unverified_sender'"), 2);
	assert_int_equal(q_int(f, "SELECT count(*) FROM dcase WHERE state = "
	    "'promised'"), 0);
}

static void
test_inbound__sender_fallback(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, MSG("huaxin@buyer.test", "", "Question",
	    "What is your bank account number?"));

	check_row(f, id, "unknown", "sender", "INV-2026-0003",
	    "Dunning/Needs attention");
	/* unknown: a person looks, per case */
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'unknown' AND case_id IS NOT NULL"), 1);
}

static void
test_inbound__unmatched_handed_off(void **state)
{
	struct fixture *f = *state;
	int64_t id = deliver(f, MSG("nobody@elsewhere.test", "", "Hello",
	    "Is this the right address for sales?"));

	check_row(f, id, "unknown", "none", "", "Dunning/Needs attention");
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'unmatched' AND case_id IS NULL"), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'handoff'"), 1);
	assert_true(q_int(f, "SELECT debtor_id IS NULL OR debtor_id = 0 FROM "
	    "message WHERE direction = 'in'") == 1);
}

static void
test_inbound__hard_bounce_invalidates_contact(void **state)
{
	struct fixture *f = *state;
	const char *dsn =
	    "Return-Path: <>\r\n"
	    "From: MAILER-DAEMON@vendor.test (Mail Delivery System)\r\n"
	    "To: ar@vendor.test\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Date: Fri, 20 Nov 2026 08:00:00 +0000\r\n"
	    "Message-ID: <dsn1@vendor.test>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"B\"\r\n\r\n"
	    "--B\r\nContent-Type: text/plain\r\n\r\n"
	    "This is the mail system at host vendor.test.\r\n"
	    "I'm sorry to have to inform you that your message could not\r\n"
	    "be delivered to one or more recipients.\r\n\r\n"
	    "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; vendor.test\r\n\r\n"
	    "Final-Recipient: rfc822; ghost@buyer.test\r\n"
	    "Action: failed\r\nStatus: 5.1.1\r\n"
	    "Diagnostic-Code: x-unix; user unknown\r\n\r\n"
	    "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "From: ar@vendor.test\r\nTo: ghost@buyer.test\r\n"
	    "Subject: Payment reminder\r\nMessage-ID: <r4@vendor.test>\r\n"
	    "\r\n--B--\r\n";
	int64_t id = deliver(f, dsn);

	/* Handed to a person: filed where people look. */
	check_row(f, id, "bounce", "bounce", "INV-2026-0004",
	    "Dunning/Needs attention");
	assert_int_equal(q_int(f, "SELECT invalid FROM contact WHERE email = "
	    "'ghost@buyer.test'"), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'contact_invalid'"), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'bounce_hard'"), 1);
	/* The MTA wrote it, not the debtor. */
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'sender_not_contact'"), 0);
}

/* Every reply handed to a person is filed under Needs attention; the
 * class folders keep what dunmail handles by itself. */
static void
test_inbound__handed_off_filed_where_people_look(void **state)
{
	static const struct {
		const char *words;
		const char *cls;
		const char *folder;
		const char *handoff;    /* reason, or "" for none */
	} rows[] = {
		{ "We dispute this invoice, the goods were damaged.",
		  "dispute", "Dunning/Needs attention", "dispute" },
		{ "We are in financial difficulty and cannot pay in full.",
		  "hardship", "Dunning/Needs attention", "hardship" },
		{ "We paid this invoice yesterday.",
		  "paid", "Dunning/Needs attention", "paid" },
		{ "Please stop emailing us, unsubscribe.",
		  "opt_out", "Dunning/Needs attention", "opt_out" },
		{ "I no longer work here, please contact someone else.",
		  "wrong_contact", "Dunning/Needs attention", "wrong_contact" },
		{ "What is your bank account number?",
		  "unknown", "Dunning/Needs attention", "unknown" },
		{ "Please send a copy of the invoice.",
		  "invoice_request", "Dunning/Invoice request", "" },
		{ "We will pay next Friday.",
		  "promise_to_pay", "Dunning/Promise", "" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		char *raw = xasprintf("From: acme@buyer.test\r\nTo: "
		    "ar@vendor.test\r\nSubject: Re: Payment reminder\r\n"
		    "Date: Fri, 20 Nov 2026 08:00:00 +0000\r\nMessage-ID: "
		    "<row.%zu@buyer.test>\r\nIn-Reply-To: <r1@vendor.test>"
		    "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		    "%s\r\n", i, rows[i].words);
		int64_t id = deliver(f, raw);
		char *sql, *v;

		check_row(f, id, rows[i].cls, "thread",
		    "INV-2026-0001 INV-2026-0002", rows[i].folder);
		sql = xasprintf("SELECT IFNULL(group_concat(DISTINCT reason), "
		    "'') FROM handoff WHERE message_id = %lld", (long long)id);
		v = q_text(f, sql);
		assert_string_equal(v, rows[i].handoff);
		free(v);
		free(sql);
		free(raw);
	}
}

static void
test_inbound__twice_does_nothing(void **state)
{
	struct fixture *f = *state;
	struct dun_inbound_stats st;
	const char *raw = MSG("nobody@elsewhere.test", "", "Hello",
	    "Anyone there?");
	int64_t id = deliver(f, raw), again = 0, events, cls, hand;

	events = q_int(f, "SELECT count(*) FROM event");
	cls = q_int(f, "SELECT count(*) FROM classification");
	hand = q_int(f, "SELECT count(*) FROM handoff");
	assert_int_equal(cls, 1);
	/* Processed again: the claim is taken, nothing happens. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process(f->ib, id, &st), 0);
	assert_int_equal(st.processed, 0);
	/* Stored again under the same UID: the same row, no new event. */
	assert_int_equal(dun_inbound_store_raw(f->ib, &again, "INBOX", 1,
	    f->uid, raw, strlen(raw)), 0);
	assert_int_equal(again, id);
	assert_int_equal(dun_inbound_process(f->ib, again, &st), 0);
	assert_int_equal(st.processed, 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event"), events);
	assert_int_equal(q_int(f, "SELECT count(*) FROM classification"), cls);
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff"), hand);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE "
	    "direction = 'in'"), 1);
}

/* A reply hook that first writes (so a test sees the write undone), then
 * fails for a subject saying BUG (this message's own fault) or DISKFULL
 * (the store's). */
static int
failing_hook(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, void *arg)
{
	const char *subject = reply->parsed && reply->parsed->subject ?
	    reply->parsed->subject : "";
	int rc;

	(void)cfg;
	(void)arg;
	if ((rc = dun_trail_append(store, now, "hook_ran", NULL, NULL)) < 0)
		return rc;
	if (strstr(subject, "BUG"))
		return dun_error_set(DUN_ERROR, "hook: cannot handle this "
		    "reply");
	if (strstr(subject, "DISKFULL")) {
		dun_error_set(DUN_ESTORE, "store: database or disk is full");
		dun_error_set_retry(DUN_RETRY_WAIT);
		return DUN_ESTORE;
	}
	return 0;
}

static void
use_hook(struct fixture *f, dun_inbound_reply_fn fn)
{
	struct dun_inbound_opts opts;

	dun_inbound_free(f->ib);
	memset(&opts, 0, sizeof(opts));
	opts.now = f->now;
	opts.on_reply = fn;
	assert_int_equal(dun_inbound_new(&f->ib, f->store, f->cfg, &opts), 0);
}

/* Stored as fetched, not processed yet. */
static int64_t
store_only(struct fixture *f, const char *raw)
{
	int64_t id = 0;

	assert_int_equal(dun_inbound_store_raw(f->ib, &id, "INBOX", 1,
	    ++f->uid, raw, strlen(raw)), 0);
	assert_true(id > 0);
	return id;
}

/* One message of a chunk fails: it alone is undone and handed to a
 * person; the others commit with the chunk; the run goes on. */
static void
test_inbound__failing_message_handed_off(void **state)
{
	struct fixture *f = *state;
	struct dun_inbound_stats st;
	int64_t ids[3], alone;
	char *sql, *v;

	use_hook(f, failing_hook);
	ids[0] = store_only(f, MSG("acme@buyer.test",
	    "In-Reply-To: <r1@vendor.test>\r\n", "Re: Payment reminder",
	    "We will pay both invoices next Friday."));
	ids[1] = store_only(f, MSG("acme@buyer.test",
	    "In-Reply-To: <r1@vendor.test>\r\n", "Re: BUG",
	    "We will pay INV-2026-0001 tomorrow."));
	ids[2] = store_only(f, MSG("acme@buyer.test",
	    "In-Reply-To: <r1@vendor.test>\r\n", "Re: Payment reminder",
	    "We will pay INV-2026-0002 on Monday."));
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process_batch(f->ib, ids, 3, &st), 0);
	assert_int_equal(st.processed, 3);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.handoffs, 1);

	check_row(f, ids[0], "promise_to_pay", "thread",
	    "INV-2026-0001 INV-2026-0002", "Dunning/Promise");
	check_row(f, ids[2], "promise_to_pay", "thread", "INV-2026-0002",
	    "Dunning/Promise");
	/* The failed one: nothing of its first attempt is left (its hook
	 * event, its case links); it is recorded, queued and filed for a
	 * person instead, and touches no case. */
	check_row(f, ids[1], "unknown", "none", "", "Dunning/Needs attention");
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'hook_ran'"), 2);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE "
	    "direction = 'in' AND processed = 1"), 3);
	sql = xasprintf("SELECT count(*) FROM handoff WHERE reason = "
	    "'processing_failed' AND case_id IS NULL AND message_id = %lld",
	    (long long)ids[1]);
	assert_int_equal(q_int(f, sql), 1);
	free(sql);
	sql = xasprintf("SELECT rule FROM classification WHERE message_id = "
	    "%lld", (long long)ids[1]);
	v = q_text(f, sql);
	assert_string_equal(v, "processing_failed");
	free(v);
	free(sql);
	sql = xasprintf("SELECT detail FROM event WHERE kind = 'classified' "
	    "AND message_id = %lld", (long long)ids[1]);
	v = q_text(f, sql);
	assert_non_null(strstr(v, "hook: cannot handle this reply"));
	free(v);
	free(sql);
	sql = xasprintf("SELECT message_id FROM message WHERE id = %lld",
	    (long long)ids[1]);
	v = q_text(f, sql);
	assert_string_equal(v, "reply.1@buyer.test"); /* for filing */
	free(v);
	free(sql);

	/* Once handed off it is done: a later run does not process it. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process(f->ib, ids[1], &st), 0);
	assert_int_equal(st.processed, 0);

	/* Processed alone (a leftover of an earlier run): the same. */
	alone = store_only(f, MSG("acme@buyer.test", "", "BUG again",
	    "We will pay INV-2026-0001 tomorrow."));
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process(f->ib, alone, &st), 0);
	assert_int_equal(st.failed, 1);
	check_row(f, alone, "unknown", "none", "", "Dunning/Needs attention");
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'processing_failed'"), 2);
}

/* Many failing messages in one chunk: each goes to a person, the good
 * one is processed, whether the chunk is redone or (after a few) the rest
 * goes one message at a time. */
static void
test_inbound__many_failing_messages(void **state)
{
	struct fixture *f = *state;
	struct dun_inbound_stats st;
	int64_t ids[8];
	size_t i;

	use_hook(f, failing_hook);
	for (i = 0; i < 8; i++)
		ids[i] = store_only(f, i == 5 ? MSG("acme@buyer.test",
		    "In-Reply-To: <r1@vendor.test>\r\n",
		    "Re: Payment reminder", "We will pay both on Friday.") :
		    MSG("acme@buyer.test", "", "Re: BUG", "Hello?"));
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process_batch(f->ib, ids, 8, &st), 0);
	assert_int_equal(st.processed, 8);
	assert_int_equal(st.failed, 7);
	check_row(f, ids[5], "promise_to_pay", "thread",
	    "INV-2026-0001 INV-2026-0002", "Dunning/Promise");
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'processing_failed'"), 7);
	assert_int_equal(q_int(f, "SELECT count(*) FROM classification"), 8);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'hook_ran'"), 1);
}

/* A store or disk failure is nobody's message: the chunk is not
 * committed at all, and the next run processes all of it. */
static void
test_inbound__store_failure_retries_the_chunk(void **state)
{
	struct fixture *f = *state;
	struct dun_inbound_stats st;
	int64_t ids[3];

	use_hook(f, failing_hook);
	ids[0] = store_only(f, MSG("acme@buyer.test",
	    "In-Reply-To: <r1@vendor.test>\r\n", "Re: Payment reminder",
	    "We will pay both invoices next Friday."));
	ids[1] = store_only(f, MSG("acme@buyer.test", "", "Re: DISKFULL",
	    "We will pay INV-2026-0001 tomorrow."));
	ids[2] = store_only(f, MSG("huaxin@buyer.test", "", "Question",
	    "What is your bank account number?"));
	memset(&st, 0, sizeof(st));
	assert_true(dun_inbound_process_batch(f->ib, ids, 3, &st) < 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE "
	    "direction = 'in' AND processed = 1"), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM classification"), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff"), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind IN "
	    "('hook_ran', 'classified')"), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'received'"), 3);

	/* The disk has room again. */
	use_hook(f, NULL);
	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_process_batch(f->ib, ids, 3, &st), 0);
	assert_int_equal(st.processed, 3);
	assert_int_equal(st.failed, 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM classification"), 3);
}

/* `dunmail deliver`: kept under its own mailbox with a UID sequence; the
 * same bytes again are the same row, processed once. */
static void
test_inbound__deliver_taken_once(void **state)
{
	struct fixture *f = *state;
	const char *raw = MSG("acme@buyer.test", "", "Re: INV-2026-0001",
	    "We will pay next Friday.");
	const char *other = MSG("acme@buyer.test", "", "Re: INV-2026-0002",
	    "Please send a copy of the invoice.");
	struct dun_inbound_stats st;
	int64_t id = 0, again = 0, second = 0;
	int dup = -1;

	memset(&st, 0, sizeof(st));
	assert_int_equal(dun_inbound_deliver(f->ib, &id, &dup, raw,
	    strlen(raw), (int64_t)strlen(raw), 0, &st), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(st.stored, 1);
	assert_int_equal(st.processed, 1);
	assert_int_equal(dun_inbound_deliver(f->ib, &again, &dup, raw,
	    strlen(raw), (int64_t)strlen(raw), 0, &st), 0);
	assert_int_equal(dup, 1);
	assert_true(again == id);
	assert_int_equal(st.processed, 1);
	assert_int_equal(dun_inbound_deliver(f->ib, &second, &dup, other,
	    strlen(other), (int64_t)strlen(other), 0, &st), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM message WHERE "
	    "direction = 'in' AND mailbox = '" DUN_INBOUND_DELIVER_MAILBOX
	    "'"), 2);
	assert_int_equal(q_int(f, "SELECT group_concat(uid, '') FROM (SELECT uid "
	    "FROM message WHERE direction = 'in' ORDER BY id)"), 12);
	assert_int_equal(q_int(f, "SELECT count(*) FROM classification"), 2);
	assert_int_equal(q_int(f, "SELECT count(*) FROM event WHERE kind = "
	    "'received'"), 2);
}

/* Who may steer a case: a stranger, and a contact the receiving
 * server did not authenticate, go to a person; an authenticated contact
 * does not. */
static void
test_inbound__untrusted_sender_handed_off(void **state)
{
	struct fixture *f = *state;
	char *folder;
	int64_t id;

	id = deliver(f, MSG("cfo@elsewhere.test", "", "Re: INV-2026-0001",
	    "We will pay next Friday."));
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'unverified_sender' AND case_id IS NOT NULL"), 1);
	folder = q_text(f, "SELECT folder FROM message WHERE direction = "
	    "'in'");
	assert_string_equal(folder, "Dunning/Needs attention");
	free(folder);
	(void)id;

	free(f->cfg->inbound_authserv_id);
	f->cfg->inbound_authserv_id = xstrdup("mx.example.com");
	exec(f, "DELETE FROM handoff");
	deliver(f, "Authentication-Results: mx.example.com; dmarc=fail\r\n"
	    "Authentication-Results: mx.example.com; dmarc=pass\r\n"
	    MSG("acme@buyer.test", "", "Re: INV-2026-0001",
	    "We will pay on Friday."));
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff WHERE reason "
	    "= 'unverified_sender'"), 1);
	assert_int_equal(q_int(f, "SELECT json_extract(detail, "
	    "'$.auth.found') FROM event WHERE kind = 'classified' ORDER BY "
	    "seq DESC LIMIT 1"), 1);
	exec(f, "DELETE FROM handoff");
	deliver(f, "Authentication-Results: mx.example.com; dmarc=pass "
	    "header.from=buyer.test\r\n" MSG("acme@buyer.test", "",
	    "Re: INV-2026-0002", "We will pay this one on Monday."));
	assert_int_equal(q_int(f, "SELECT count(*) FROM handoff"), 0);
	assert_int_equal(q_int(f, "SELECT json_extract(detail, '$.trusted') "
	    "FROM event WHERE kind = 'classified' ORDER BY seq DESC LIMIT 1"),
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_inbound__thread_matches_its_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__named_invoice_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound__token, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__named_within_own_debtor, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__names_only_other_debtor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound__sender_fallback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__unmatched_handed_off, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__hard_bounce_invalidates_contact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__handed_off_filed_where_people_look, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inbound__twice_does_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__failing_message_handed_off, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__many_failing_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__store_failure_retries_the_chunk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__deliver_taken_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inbound__untrusted_sender_handed_off, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
