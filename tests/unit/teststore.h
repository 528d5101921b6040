/*
 * Helpers for unit tests that look into a store with SQL: include after
 * <cmocka.h> and "store_internal.h".
 */
#ifndef DUNMAIL_TESTSTORE_H
#define DUNMAIL_TESTSTORE_H

#include <sqlite3.h>

#include "dunmail/core/common.h"

/* The first column of the first row of sql as an integer (-1: no row). */
static inline int64_t
test_q_int(struct dun_store *store, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(store->db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as text (caller frees; "" if none). */
static inline char *
test_q_text(struct dun_store *store, const char *sql)
{
	sqlite3_stmt *st;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(store->db, sql, -1, &st, NULL),
	    SQLITE_OK);
	v = xstrdup(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st,
	    0) : "");
	sqlite3_finalize(st);
	return v;
}

static inline void
test_exec(struct dun_store *store, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

#endif
