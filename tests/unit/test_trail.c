/* The evidence trail: hash chain, stored files, events hashing the message
 * they name, and verify catching an edited event, a deleted event, two
 * reordered events, an edited or deleted file, a message row altered or
 * left without events, and (with a recorded head) a tail cut off.
 * The tampering goes straight to SQLite and the disk, as an attacker
 * would, around the store's own append-only triggers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <sqlite3.h>

#include "dunmail/store/store.h"
#include "dunmail/store/store_inbound.h"
#include "dunmail/store/trail.h"
#include "testutil.h"

struct fixture {
	char *dir;
	char *db;
	struct dun_store *store;
	char sha[65];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct dun_trail_ref ref = { 0 };
	const char *raw = "From: a@b.test\r\nSubject: hi\r\n\r\nbody\r\n";
	int i;

	f->dir = test_tmpdir();
	f->db = xasprintf("%s/t.db", f->dir);
	assert_int_equal(dun_store_open(&f->store, f->db), 0);
	assert_int_equal(dun_trail_put_blob(f->store, f->sha, raw, strlen(raw),
	    1000), 0);
	for (i = 0; i < 5; i++) {
		char *detail = xasprintf("{\"n\":%d}", i);
		ref.message_sha256 = i == 2 ? f->sha : NULL;
		assert_int_equal(dun_trail_append(f->store, 1000 + i, "test",
		    &ref, detail), 0);
		free(detail);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dun_store_close(f->store);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static void
tamper(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("tamper: %s", err);
	sqlite3_close(db);
}

static void
test_trail__intact_chain_verifies(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;
	char *data = NULL;
	size_t len;

	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(r.events, 5);
	assert_int_equal(r.blobs, 1);
	assert_int_equal(dun_trail_get_blob(f->store, &data, &len, f->sha), 0);
	assert_int_equal(len, strlen("From: a@b.test\r\nSubject: hi\r\n\r\n"
	    "body\r\n"));
	free(data);
}

static void
test_trail__store_refuses_edits(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM event WHERE seq = 2",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE event SET detail = '{}'",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE blob SET data = 'x'",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM blob", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_trail__catches_edited_event(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;

	tamper(f, "DROP TRIGGER event_no_update;"
	    "UPDATE event SET detail = '{\"n\":99}' WHERE seq = 3");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_int_equal(r.bad_seq, 3);
	assert_non_null(strstr(r.detail, "event 3 (test) was altered"));
}

static void
test_trail__catches_deleted_event(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;

	tamper(f, "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq = 4");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_int_equal(r.bad_seq, 4);
	assert_non_null(strstr(r.detail, "event 4 is missing"));
}

static void
test_trail__catches_reordered_events(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;

	/* Swap the contents of events 2 and 3, keeping the seq numbers. */
	tamper(f, "DROP TRIGGER event_no_update;"
	    "UPDATE event SET seq = -2 WHERE seq = 2;"
	    "UPDATE event SET seq = 2 WHERE seq = 3;"
	    "UPDATE event SET seq = 3 WHERE seq = -2;");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_int_equal(r.bad_seq, 2);
}

static void
test_trail__catches_edited_message(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;

	tamper(f, "DROP TRIGGER blob_no_update;"
	    "UPDATE blob SET data = CAST(replace(CAST(data AS TEXT), 'hi', "
	    "'HI') AS BLOB)");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_non_null(strstr(r.detail, "was altered"));
	assert_non_null(strstr(r.detail, f->sha));
	tamper(f, "DROP TRIGGER blob_no_delete; DELETE FROM blob;"
	    "INSERT INTO blob (sha256, size, stored_at) VALUES ('"
	    "0000000000000000000000000000000000000000000000000000000000000000'"
	    ", 5, 1)");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_non_null(strstr(r.detail, "missing"));
}

/* A store written before the bytes moved into it keeps them as files
 * under <db>.blobs/: still read, still verified. */
static void
test_trail__reads_and_verifies_old_blob_files(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;
	const char *raw = "Subject: old\r\n\r\nfrom before\r\n";
	char sha[65], *top, *dir, *path, *data = NULL, *sql;
	size_t len;

	dun_sha256_hex(sha, raw, strlen(raw));
	top = xasprintf("%s.blobs", f->db);
	dir = xasprintf("%s/%.2s", top, sha);
	path = dun_trail_blob_path(f->store, sha);
	assert_int_equal(mkdir(top, 0700), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(dun_file_write_atomic(path, raw, strlen(raw), 0600),
	    0);
	sql = xasprintf("INSERT INTO blob (sha256, size, stored_at) VALUES "
	    "('%s', %zu, 1)", sha, strlen(raw));
	tamper(f, sql);
	assert_int_equal(dun_trail_get_blob(f->store, &data, &len, sha), 0);
	assert_memory_equal(data, raw, len);
	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(r.blobs, 2);
	data[0] = 's';
	assert_int_equal(dun_file_write_atomic(path, data, len, 0600), 0);
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_non_null(strstr(r.detail, sha));
	free(data);
	free(sql);
	free(path);
	free(dir);
	free(top);
}

static void
test_trail__blobs_in_one_transaction(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;
	char sha[65], *data = NULL;
	size_t len;
	int i;

	assert_int_equal(dun_store_begin(f->store), 0);
	for (i = 0; i < 50; i++) {
		char *raw = xasprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i);
		assert_int_equal(dun_trail_put_blob(f->store, sha, raw,
		    strlen(raw), 2000), 0);
		free(raw);
	}
	assert_int_equal(dun_store_commit(f->store), 0);
	assert_int_equal(dun_trail_get_blob(f->store, &data, &len, sha), 0);
	assert_memory_equal(data, "Subject: 49\r\n\r\nbody 49\r\n", len);
	free(data);
	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(r.blobs, 51);
}

static void
free_event(struct dun_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->kind);
	free(ev->message_sha256);
	free(ev->detail);
	free(ev);
}

/* Keeps a copy of the last event seen. */
static int
keep_last(const struct dun_event *ev, void *arg)
{
	struct dun_event **last = arg;

	free_event(*last);
	*last = xcalloc(1, sizeof(**last));
	**last = *ev;
	(*last)->kind = xstrdup(ev->kind);
	(*last)->message_sha256 = xstrdup(ev->message_sha256);
	(*last)->detail = xstrdup(ev->detail);
	return 0;
}

/* Message row 1, for the fixture's stored bytes, and its `received`
 * event (given no SHA-256: the trail reads it from the row), as inbound
 * writes them: in one transaction, so the event carries the row. */
static int64_t
add_message(struct fixture *f)
{
	struct dun_trail_ref ref = { 0 };
	int64_t id;
	int inserted;

	assert_int_equal(dun_store_begin(f->store), 0);
	assert_int_equal(dun_store_inmsg_insert(f->store, &id, &inserted,
	    "INBOX", 1, 1, f->sha, 36, 0, 1000), 0);
	assert_int_equal(id, 1);
	ref.message_id = id;
	assert_int_equal(dun_trail_append(f->store, 2000, "received", &ref,
	    "{}"), 0);
	assert_int_equal(dun_store_commit(f->store), 0);
	return id;
}

static void
test_trail__event_hashes_its_message(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;
	struct dun_event *last = NULL;

	/* No SHA-256 given: the trail reads it from the message row. */
	add_message(f);
	assert_int_equal(dun_store_event_foreach(f->store, 0, keep_last,
	    &last), 0);
	assert_non_null(last);
	assert_int_equal(last->message_id, 1);
	assert_string_equal(last->message_sha256, f->sha);
	free_event(last);
	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(r.messages, 1);
	assert_int_equal(r.head_seq, 6);
}

static void
test_trail__catches_deleted_message_bytes(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;
	char *sql;

	add_message(f);
	sql = xasprintf("DROP TRIGGER blob_no_delete; DELETE FROM blob WHERE "
	    "sha256 = '%s'", f->sha);
	tamper(f, sql);
	free(sql);
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	/* Event 3 named the bytes first (by SHA-256 alone). */
	assert_int_equal(r.bad_seq, 3);
	assert_non_null(strstr(r.detail, "missing"));
	assert_non_null(strstr(r.detail, f->sha));
}

static void
test_trail__catches_message_without_event(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;

	add_message(f);
	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	/* The tail cut back to before the message's event. */
	tamper(f, "DROP TRIGGER event_no_delete; DELETE FROM event WHERE "
	    "seq = 6");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_non_null(strstr(r.detail, "message 1 (in reply) is named by "
	    "no event"));
}

static void
test_trail__catches_altered_message_row(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;

	add_message(f);
	tamper(f, "UPDATE message SET sha256 = '"
	    "1111111111111111111111111111111111111111111111111111111111111111'");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_int_equal(r.bad_seq, 6);
	assert_non_null(strstr(r.detail, "the row was altered"));
	tamper(f, "DELETE FROM message");
	assert_int_equal(dun_trail_verify(f->store, &r), DUN_ETAMPER);
	assert_non_null(strstr(r.detail, "not in the store"));
}

/* A cut that takes only events about no message leaves a chain that
 * verifies: the head recorded before it shows the cut. */
static void
test_trail__recorded_head(void **state)
{
	struct fixture *f = *state;
	struct dun_verify_report r;
	char head[65];

	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(r.head_seq, 5);
	memcpy(head, r.head_hash, sizeof(head));
	assert_int_equal(dun_trail_verify_head(f->store, &r, 5, head), 0);
	assert_int_equal(dun_trail_verify_head(f->store, &r, 0, head), 0);
	assert_int_equal(dun_trail_append(f->store, 2000, "test", NULL,
	    "{}"), 0);
	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(dun_trail_verify_head(f->store, &r, 5, head), 0);

	tamper(f, "DROP TRIGGER event_no_delete; DELETE FROM event WHERE "
	    "seq >= 5");
	assert_int_equal(dun_trail_verify(f->store, &r), 0);
	assert_int_equal(r.head_seq, 4);
	assert_int_equal(dun_trail_verify_head(f->store, &r, 5, head),
	    DUN_ETAMPER);
	assert_int_equal(r.bad_seq, 5);
	assert_non_null(strstr(r.detail, "event 5 was removed from the end"));
	assert_int_equal(dun_trail_verify_head(f->store, &r, 4, head),
	    DUN_ETAMPER);
	assert_non_null(strstr(r.detail, "rewritten"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trail__intact_chain_verifies,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_trail__store_refuses_edits,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_trail__catches_edited_event,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_trail__catches_deleted_event,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__catches_reordered_events, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__catches_edited_message, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__blobs_in_one_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__reads_and_verifies_old_blob_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__event_hashes_its_message, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__catches_deleted_message_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__catches_message_without_event, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_trail__catches_altered_message_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trail__recorded_head,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
