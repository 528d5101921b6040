/* Opening the store: who may create it, and its files kept private. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "dunmail/store/store.h"
#include "testutil.h"

static int
setup(void **state)
{
	*state = test_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	test_rmtree(*state);
	free(*state);
	return 0;
}

static int
mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 0777);
}

/* Commands that only read must not leave an empty store behind a typo. */
static void
test_store__open_existing_does_not_create(void **state)
{
	struct dun_store *store = NULL;
	char *db = xasprintf("%s/missing.db", (char *)*state);

	assert_int_equal(dun_store_open_existing(&store, db), DUN_ENOTFOUND);
	assert_null(store);
	assert_non_null(strstr(dun_error_last(), "does not exist"));
	assert_int_equal(access(db, F_OK), -1);
	/* Once made, it opens. */
	assert_int_equal(dun_store_open(&store, db), 0);
	dun_store_close(store);
	assert_int_equal(dun_store_open_existing(&store, db), 0);
	assert_true(dun_store_schema_version(store) > 0);
	dun_store_close(store);
	free(db);
}

/* A store made public by hand (or copied with cp) is made 0600 again,
 * and with it the -wal and -shm files. */
static void
test_store__made_private(void **state)
{
	struct dun_store *store = NULL;
	char *db = xasprintf("%s/s.db", (char *)*state);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);

	assert_int_equal(dun_store_open(&store, db), 0);
	assert_int_equal(mode_of(db), 0600);
	assert_int_equal(mode_of(wal), 0600);
	assert_int_equal(mode_of(shm), 0600);
	dun_store_close(store);
	assert_int_equal(chmod(db, 0644), 0);
	free(test_write(*state, "s.db-wal", ""));
	assert_int_equal(chmod(wal, 0644), 0);
	assert_int_equal(dun_store_open_existing(&store, db), 0);
	assert_int_equal(mode_of(db), 0600);
	assert_int_equal(mode_of(wal), 0600);
	assert_int_equal(mode_of(shm), 0600);
	dun_store_close(store);
	free(db);
	free(wal);
	free(shm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_store__open_existing_does_not_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__made_private,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
