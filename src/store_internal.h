/* Private to the store implementation files (src/store*.c): the handle
 * and statement helpers. Nothing outside the store includes sqlite3. */
#ifndef DUNMAIL_STORE_INTERNAL_H
#define DUNMAIL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "dunmail/store.h"

struct dun_store {
	sqlite3 *db;
	char *path;      /* owned */
	char *blob_dir;  /* owned */
	int tx_depth;
	int tx_failed;   /* an inner level failed: the outer one rolls back */
	int blobs_dirty; /* blob files written but not yet synced */
};

/* Prepares sql; on failure sets the error and returns NULL. */
sqlite3_stmt *store__prepare(struct dun_store *store, const char *sql);
/* Sets a DUN_ESTORE error naming what failed and SQLite's message. */
int store__error(struct dun_store *store, const char *what);
/* Runs one statement with no result rows. */
int store__exec(struct dun_store *store, const char *sql);
/* Column text as an owned string ("" for NULL). */
char *store__col_text(sqlite3_stmt *st, int col);
/* Binds text, NULL for NULL. */
int store__bind_text(sqlite3_stmt *st, int idx, const char *s);

#endif
