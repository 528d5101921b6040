/* Private to the store implementation files (src/store*.c): the handle
 * and statement helpers. Nothing outside the store includes sqlite3. */
#ifndef DUNMAIL_STORE_INTERNAL_H
#define DUNMAIL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "dunmail/store/store.h"

/* A statement kept prepared between calls: most store calls run the same
 * few dozen statements over and over, and preparing one costs more than
 * running it. Keyed by the SQL text, so built SQL is cached too. */
struct store_stmt {
	char *sql;         /* owned; NULL for a free slot */
	sqlite3_stmt *st;
	int busy;          /* handed out and not yet finished */
};

#define STORE_STMT_SLOTS 128 /* a power of two */

/* The tables whose rows decide what dunmail does. Every change to one
 * goes into the trail: the event that follows the change in its
 * transaction carries the row's image (the columns below, as SQLite's
 * json_object), so verify can replay the trail into these rows. */
enum store_table {
	STORE_T_DEBTOR,
	STORE_T_CONTACT,
	STORE_T_INVOICE,
	STORE_T_PAYMENT,
	STORE_T_CASE,
	STORE_T_HANDOFF,
	STORE_T_MESSAGE,
	STORE_T_MESSAGE_CASE,
	STORE_T_RECIPIENT,
	STORE_T_COUNT
};

struct store_tracked {
	const char *table;  /* SQL name; the key is its rowid */
	const char *image;  /* SQL expression: the row's image */
	const char *label;  /* SQL expression naming the row for a person */
};
extern const struct store_tracked store__tracked[STORE_T_COUNT];

struct store_note {
	enum store_table table;
	int64_t rowid;
};

struct dun_store {
	sqlite3 *db;
	char *path;      /* owned */
	char *blob_dir;  /* owned */
	int tx_depth;
	int tx_failed;   /* an inner level failed: the outer one rolls back */
	int64_t busy_since_ms; /* when the current wait for a lock began */
	/* Rows of the state tables changed since the last event of the
	 * open transaction: the next event carries their images. */
	struct store_note *notes; /* owned */
	size_t nnotes, notes_cap;
	struct store_stmt stmts[STORE_STMT_SLOTS];
};

/* Prepares sql, or hands out the cached statement for it; on failure
 * sets the error and returns NULL. Every statement it returns goes back
 * through store__finish, never sqlite3_finalize. */
sqlite3_stmt *store__prepare(struct dun_store *store, const char *sql);
/* Resets a statement from store__prepare and returns it to the cache
 * (or finalizes it if it was not cached). NULL is fine. */
void store__finish(struct dun_store *store, sqlite3_stmt *st);
/* Sets a DUN_ESTORE error naming what failed and SQLite's message. */
int store__error(struct dun_store *store, const char *what);
/* Runs one statement with no result rows. */
int store__exec(struct dun_store *store, const char *sql);
/* Column text as an owned string ("" for NULL). */
char *store__col_text(sqlite3_stmt *st, int col);
/* The column as text, borrowed until the next step; "" for NULL. */
const char *store__col_str(sqlite3_stmt *st, int col);
/* Binds text, NULL for NULL. */
int store__bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Row rowid of table t changed: the next event of the transaction carries
 * its image (outside a transaction, a `state` event at once). */
int store__note(struct dun_store *store, enum store_table t, int64_t rowid);
/* Notes every rowid of t that sql (a SELECT of rowids) returns, with ?1
 * and ?2 the integers a and b and ?3 text (if not NULL). */
int store__note_query(struct dun_store *store, enum store_table t,
	const char *sql, int64_t a, int64_t b, const char *text);

#endif
