/*
 * verify replays the trail into the state tables: each change made through
 * the store goes into the next event of its transaction (a `state` event
 * of its own outside one), a store from before schema 3 starts from its
 * `baseline`, and an edit to any state table made outside dunmail is
 * named by table, row and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "dunmail/store/store.h"
#include "dunmail/store/store_inbound.h"
#include "dunmail/store/trail.h"
#include "testutil.h"

struct fixture {
	char *dir;
	char *db;
	struct dun_store *store;
};

static void
fixture_open(struct fixture *f)
{
	f->dir = test_tmpdir();
	f->db = xasprintf("%s/t.db", f->dir);
	assert_int_equal(dun_store_open(&f->store, f->db), 0);
}

static void
fixture_close(struct fixture *f)
{
	dun_store_close(f->store);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
}

/* SQL through a connection of its own, as someone with the file would. */
static void
tamper(const char *db, const char *sql)
{
	sqlite3 *h;
	char *err = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("tamper: %s: %s", sql, err);
	sqlite3_close(h);
}

static int64_t
count_kind(const char *db, const char *kind)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM event "
	    "WHERE kind = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void
append(struct dun_store *s, dun_time_t at, const char *kind, int64_t case_id,
    int64_t message_id)
{
	struct dun_trail_ref ref = { case_id, 0, message_id, NULL };

	assert_int_equal(dun_trail_append(s, at, kind, &ref, "{}"), 0);
}

static int64_t
add_invoice(struct dun_store *s, int64_t debtor_id, const char *number)
{
	struct dun_invoice inv = { 0 };
	int64_t id;

	inv.debtor_id = debtor_id;
	inv.number = (char *)number;
	assert_int_equal(dun_date_parse(&inv.issue_date, "2026-10-01"), 0);
	assert_int_equal(dun_date_parse(&inv.due_date, "2026-11-01"), 0);
	memcpy(inv.currency, "EUR", 4);
	inv.amount_minor = inv.ledger_open_minor = 10000;
	inv.source_hash = (char *)number;
	assert_int_equal(dun_store_invoice_insert(s, &id, &inv), 0);
	return id;
}

/* A store with a row in every state table, written as dunmail writes
 * them: the ledger, a reply handed off, a person's decision. */
static void
build(struct dun_store *s)
{
	const char *raw = "From: b@x.test\r\nSubject: no\r\n\r\nwe dispute\r\n";
	char *emails[] = { "a@x.test", "b@x.test" };
	struct dun_debtor d = { 0 };
	struct dun_inmsg_result res = { 0 };
	struct dun_case *c = NULL;
	int64_t did, inv1, inv2, case1, case2, mid;
	char sha[65];
	int changed, inserted;
	dun_date_t paid;

	d.ref = "D1";
	d.name = "Acme";
	d.language = "en";
	d.timezone = "Europe/London";
	d.region = "";
	d.emails = emails;
	d.nemails = 2;
	assert_int_equal(dun_store_begin(s), 0);
	assert_int_equal(dun_store_debtor_upsert(s, &did, &d, &changed), 0);
	inv1 = add_invoice(s, did, "INV-1");
	inv2 = add_invoice(s, did, "INV-2");
	assert_int_equal(dun_store_case_create(s, &case1, inv1,
	    DUN_CASE_OVERDUE, 1000), 0);
	assert_int_equal(dun_store_case_create(s, &case2, inv2,
	    DUN_CASE_OVERDUE, 1000), 0);
	append(s, 1000, "ledger", case1, 0);
	assert_int_equal(dun_store_commit(s), 0);

	assert_int_equal(dun_store_begin(s), 0);
	assert_int_equal(dun_trail_put_blob(s, sha, raw, strlen(raw), 2000), 0);
	assert_int_equal(dun_store_inmsg_insert(s, &mid, &inserted, "INBOX",
	    1, 1, sha, (int64_t)strlen(raw), 0, 2000), 0);
	res.cls = "dispute";
	res.from_addr = "b@x.test";
	res.subject = "no";
	res.debtor_id = did;
	res.sender_contact = 1;
	res.match_method = "sender";
	assert_int_equal(dun_store_inmsg_record(s, mid, &res), 0);
	assert_int_equal(dun_store_message_case_add(s, mid, case1), 0);
	assert_int_equal(dun_store_handoff_insert(s, NULL, case1, mid,
	    "dispute", 2000), 0);
	assert_int_equal(dun_store_debtor_set_opt_out(s, did, 1), 0);
	assert_int_equal(dun_store_contact_set_invalid(s, did, "b@x.test", 1,
	    "bounce"), 0);
	assert_int_equal(dun_date_parse(&paid, "2026-11-05"), 0);
	assert_int_equal(dun_store_payment_add(s, inv1, paid, "EUR", 500,
	    "PAY-1"), 0);
	append(s, 2000, "received", case1, mid);
	assert_int_equal(dun_store_commit(s), 0);

	assert_int_equal(dun_store_begin(s), 0);
	assert_int_equal(dun_store_case_get(s, &c, case1), 0);
	c->hold_until = 5000;
	c->next_action = DUN_NEXT_WAIT;
	free(c->next_detail);
	c->next_detail = xstrdup("hold");
	assert_int_equal(dun_store__case_set_state(s, case1, DUN_CASE_ON_HOLD,
	    3000), 0);
	assert_int_equal(dun_store_case_save(s, c), 0);
	assert_int_equal(dun_store_handoff_resolve(s, case1, 3000,
	    "hold-until", "alice", "by phone"), 1);
	append(s, 3000, "decision", case1, 0);
	assert_int_equal(dun_store_commit(s), 0);
	dun_case_free(c);
}

static void
test_replay__store_matches_its_trail(void **state)
{
	struct fixture f;
	struct dun_verify_report r;

	(void)state;
	fixture_open(&f);
	build(f.store);
	assert_int_equal(dun_trail_verify(f.store, &r), 0);
	/* debtor, 2 contacts, 2 invoices, a payment, 2 cases, a hand-off,
	 * a message and its link. */
	assert_int_equal(r.rows, 11);
	assert_int_equal(r.baseline_seq, 0);
	/* Every change rode on the event of its transaction. */
	assert_int_equal(r.events, 3);
	assert_int_equal(count_kind(f.db, "state"), 0);
	fixture_close(&f);
}

/* One edit per copy, as an attacker with the file would make it (the
 * guard triggers dropped where there are any): verify names it. */
static const struct {
	const char *sql;
	const char *named;
} edits[] = {
	{ "UPDATE dcase SET state = 'closed' WHERE id = 1",
	  "dcase 1 (INV-1): state is \"closed\" in the store, \"on_hold\"" },
	{ "UPDATE dcase SET next_action = 'none' WHERE id = 1",
	  "dcase 1 (INV-1): next_action" },
	{ "UPDATE dcase SET hold_until = 0 WHERE id = 1",
	  "dcase 1 (INV-1): hold_until is 0 in the store, 5000" },
	{ "UPDATE dcase SET promised_on = '2027-10-30' WHERE id = 2",
	  "dcase 2 (INV-2): promised_on" },
	{ "UPDATE contact SET email = 'evil@attacker.test' WHERE id = 1",
	  "contact 1 (evil@attacker.test): email" },
	{ "UPDATE contact SET invalid = 0 WHERE id = 2",
	  "contact 2 (b@x.test): invalid is 0 in the store, 1" },
	{ "INSERT INTO contact (debtor_id, email, position) VALUES "
	  "(1, 'evil@attacker.test', -1)",
	  "contact 3 (evil@attacker.test) is in the store, but no event" },
	{ "UPDATE invoice SET ledger_open_minor = 0 WHERE id = 1",
	  "invoice 1 (INV-1): ledger_open_minor is 0 in the store, 10000" },
	{ "UPDATE invoice SET paid_minor = 10000 WHERE id = 1",
	  "invoice 1 (INV-1): paid_minor" },
	{ "DELETE FROM payment",
	  "payment 1 is not in the store, but event 2" },
	{ "UPDATE debtor SET opted_out = 0",
	  "debtor 1 (D1): opted_out is 0 in the store, 1" },
	{ "UPDATE handoff SET resolved_at = 0, resolution = ''",
	  "handoff 1 (dispute): resolved_at" },
	{ "DELETE FROM handoff",
	  "handoff 1 is not in the store, but event 3" },
	{ "UPDATE message SET class = 'paid'",
	  "message 1 (in reply): class is \"paid\" in the store, \"dispute\"" },
	{ "UPDATE message SET from_addr = 'evil@attacker.test'",
	  "message 1 (in reply): from_addr" },
	{ "UPDATE message_case SET case_id = 2",
	  "message_case 1 (message 1, case 2): case_id is 2 in the store, 1" },
	{ "INSERT INTO message_case (message_id, case_id) VALUES (1, 2)",
	  "message_case 2 (message 1, case 2) is in the store, but no event" },
};

static void
test_replay__names_each_edit(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(edits); i++) {
		struct fixture f;
		struct dun_verify_report r;

		fixture_open(&f);
		build(f.store);
		tamper(f.db, edits[i].sql);
		if (dun_trail_verify(f.store, &r) != DUN_ETAMPER ||
		    strstr(r.detail, edits[i].named) == NULL)
			fail_msg("%s: verify said \"%s\", wanted \"%s\"",
			    edits[i].sql, r.detail, edits[i].named);
		fixture_close(&f);
	}
}

/* A change made outside a transaction, and one after the transaction's
 * last event, get an event of their own; one rolled back leaves none. */
static void
test_replay__changes_without_an_event(void **state)
{
	struct fixture f;
	struct dun_verify_report r;

	(void)state;
	fixture_open(&f);
	build(f.store);
	assert_int_equal(dun_store_debtor_set_opt_out(f.store, 1, 0), 0);
	assert_int_equal(count_kind(f.db, "state"), 1);
	assert_int_equal(dun_store_begin(f.store), 0);
	append(f.store, 4000, "decision", 1, 0);
	assert_int_equal(dun_store_contact_set_invalid(f.store, 1, "b@x.test",
	    0, NULL), 0);
	assert_int_equal(dun_store_commit(f.store), 0);
	assert_int_equal(count_kind(f.db, "state"), 2);
	assert_int_equal(dun_store_begin(f.store), 0);
	assert_int_equal(dun_store_debtor_set_opt_out(f.store, 1, 1), 0);
	dun_store_rollback(f.store);
	append(f.store, 5000, "test", 0, 0);
	assert_int_equal(count_kind(f.db, "state"), 2);
	assert_int_equal(dun_trail_verify(f.store, &r), 0);
	fixture_close(&f);
}

/* A store written before schema 3: its rows go into `baseline` events at
 * the upgrade, and the replay starts there. */
static void
test_replay__old_store_gets_a_baseline(void **state)
{
	struct fixture f;
	struct dun_verify_report r;

	(void)state;
	fixture_open(&f);
	append(f.store, 1000, "imported", 0, 0);
	dun_store_close(f.store);
	/* As an older dunmail left it: rows, and events that carry none. */
	tamper(f.db, "INSERT INTO debtor (ref, name, timezone, created_at, "
	    "updated_at) VALUES ('D1', 'Acme', 'UTC', 1, 1);"
	    "INSERT INTO contact (debtor_id, email, position) VALUES "
	    "(1, 'a@x.test', 0);"
	    "INSERT INTO invoice (debtor_id, number, issue_date, due_date, "
	    "currency, amount_minor, ledger_open_minor, source_hash) VALUES "
	    "(1, 'INV-1', '2026-10-01', '2026-11-01', 'EUR', 100, 100, 'h');"
	    "INSERT INTO dcase (invoice_id, state, opened_at, updated_at) "
	    "VALUES (1, 'overdue', 1, 1);"
	    "PRAGMA user_version = 2;");
	assert_int_equal(dun_store_open(&f.store, f.db), 0);
	assert_int_equal(dun_store_schema_version(f.store), 3);
	assert_int_equal(count_kind(f.db, "baseline"), 1);
	assert_int_equal(dun_trail_verify(f.store, &r), 0);
	assert_int_equal(r.baseline_seq, 2);
	assert_int_equal(r.rows, 4);
	tamper(f.db, "UPDATE dcase SET state = 'closed'");
	assert_int_equal(dun_trail_verify(f.store, &r), DUN_ETAMPER);
	assert_non_null(strstr(r.detail, "dcase 1 (INV-1): state"));
	/* Opened again: no second baseline. */
	tamper(f.db, "UPDATE dcase SET state = 'overdue'");
	dun_store_close(f.store);
	assert_int_equal(dun_store_open(&f.store, f.db), 0);
	assert_int_equal(count_kind(f.db, "baseline"), 1);
	assert_int_equal(dun_trail_verify(f.store, &r), 0);
	fixture_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay__store_matches_its_trail),
		cmocka_unit_test(test_replay__names_each_edit),
		cmocka_unit_test(test_replay__changes_without_an_event),
		cmocka_unit_test(test_replay__old_store_gets_a_baseline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
