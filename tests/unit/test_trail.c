/* The evidence trail: hash chain, stored files, and verify catching an
 * edited event, a deleted event, two reordered events and an edited file.
 * The tampering goes straight to SQLite and the disk, as an attacker
 * would, around the store's own append-only triggers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <sqlite3.h>

#include "dunmail/store.h"
#include "dunmail/trail.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
