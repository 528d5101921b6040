/* Store: the trail's event rows and the blob index. Hashing is trail.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/common.h"
#include "store_internal.h"

int
dun_store__event_last_hash(struct dun_store *store, char out[65],
    int64_t *seq_out)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT seq, hash FROM event "
	    "ORDER BY seq DESC LIMIT 1");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 1);
		*seq_out = sqlite3_column_int64(st, 0);
		snprintf(out, 65, "%s", h ? (const char *)h : "");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		memset(out, '0', 64);
		out[64] = '\0';
		*seq_out = 0;
		rc = 0;
	} else
		rc = store__error(store, "read last event");
	store__finish(store, st);
	return rc;
}

int
dun_store__event_insert(struct dun_store *store, struct dun_event *ev)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO event (seq, at, "
	    "kind, case_id, debtor_id, message_id, message_sha256, detail, "
	    "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, ev->seq);
	sqlite3_bind_int64(st, 2, ev->at);
	store__bind_text(st, 3, ev->kind);
	sqlite3_bind_int64(st, 4, ev->case_id);
	sqlite3_bind_int64(st, 5, ev->debtor_id);
	sqlite3_bind_int64(st, 6, ev->message_id);
	store__bind_text(st, 7, ev->message_sha256 ? ev->message_sha256 : "");
	store__bind_text(st, 8, ev->detail);
	store__bind_text(st, 9, ev->prev_hash);
	store__bind_text(st, 10, ev->hash);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "append event");
	store__finish(store, st);
	return rc;
}

int
dun_store_event_foreach(struct dun_store *store, int64_t case_id,
    int (*fn)(const struct dun_event *ev, void *arg), void *arg)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT seq, at, kind, "
	    "case_id, debtor_id, message_id, message_sha256, detail, "
	    "prev_hash, hash FROM event WHERE ?1 = 0 OR case_id = ?1 "
	    "ORDER BY seq");
	struct dun_event ev;
	const unsigned char *t;
	int rc, r = 0;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		ev.seq = sqlite3_column_int64(st, 0);
		ev.at = sqlite3_column_int64(st, 1);
		ev.kind = (char *)sqlite3_column_text(st, 2);
		ev.case_id = sqlite3_column_int64(st, 3);
		ev.debtor_id = sqlite3_column_int64(st, 4);
		ev.message_id = sqlite3_column_int64(st, 5);
		ev.message_sha256 = (char *)sqlite3_column_text(st, 6);
		ev.detail = (char *)sqlite3_column_text(st, 7);
		t = sqlite3_column_text(st, 8);
		snprintf(ev.prev_hash, sizeof(ev.prev_hash), "%s",
		    t ? (const char *)t : "");
		t = sqlite3_column_text(st, 9);
		snprintf(ev.hash, sizeof(ev.hash), "%s",
		    t ? (const char *)t : "");
		if (ev.kind == NULL)
			ev.kind = "";
		if (ev.message_sha256 == NULL)
			ev.message_sha256 = "";
		if (ev.detail == NULL)
			ev.detail = "";
		if ((r = fn(&ev, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store__error(store, "read events");
	store__finish(store, st);
	return r;
}

int64_t
dun_store_event_count(struct dun_store *store)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT count(*) FROM event");
	int64_t n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	store__finish(store, st);
	return n;
}

int
dun_store_blob_put(struct dun_store *store, const char *sha256,
    const void *data, size_t size, dun_time_t now)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT OR IGNORE INTO blob "
	    "(sha256, size, stored_at, data) VALUES (?1, ?2, ?3, ?4)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, sha256);
	sqlite3_bind_int64(st, 2, (int64_t)size);
	sqlite3_bind_int64(st, 3, now);
	/* Static: the statement is stepped before the caller's bytes go. */
	sqlite3_bind_blob64(st, 4, size ? data : "", size, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "store message bytes");
	store__finish(store, st);
	return rc;
}

int
dun_store_blob_get(struct dun_store *store, const char *sha256, char **out,
    size_t *len_out)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT data FROM blob "
	    "WHERE sha256 = ?1 AND data IS NOT NULL");
	int rc;

	*out = NULL;
	*len_out = 0;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, sha256);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const void *p = sqlite3_column_blob(st, 0);

		*out = xmalloc(n + 1);
		if (n)
			memcpy(*out, p, n);
		(*out)[n] = '\0';
		*len_out = n;
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, "read message bytes");
	store__finish(store, st);
	return rc;
}

int
dun_store_blob_foreach(struct dun_store *store,
    int (*fn)(const char *sha256, int64_t size, void *arg), void *arg)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT sha256, size FROM "
	    "blob ORDER BY sha256");
	int rc, r = 0;

	if (st == NULL)
		return DUN_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = fn((const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1), arg)) != 0)
			break;
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store__error(store, "read blobs");
	store__finish(store, st);
	return r;
}
