/* Store: reading the trail's event rows, and the blob index. Appending is
 * store.c's, with the state rows each event carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/store/trail.h"
#include "store_internal.h"

#define EVENT_COLS "seq, at, kind, case_id, debtor_id, message_id, " \
	"message_sha256, detail, prev_hash, hash"

/* Steps st (selecting EVENT_COLS, parameters bound) and calls fn for each
 * row; finishes st. */
static int
events_each(struct dun_store *store, sqlite3_stmt *st,
    int (*fn)(const struct dun_event *ev, void *arg), void *arg)
{
	struct dun_event ev;
	const unsigned char *t;
	int rc, r = 0;

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

int
dun_store_event_foreach(struct dun_store *store, int64_t case_id,
    int (*fn)(const struct dun_event *ev, void *arg), void *arg)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT " EVENT_COLS " FROM "
	    "event WHERE ?1 = 0 OR case_id = ?1 ORDER BY seq");

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	return events_each(store, st, fn, arg);
}

/* The messages of a case: those its events name (a reminder planned for
 * it, a reply classified for it or assigned to it, an out-of-office that
 * held it while it answered another). From the events alone, which are
 * hashed: a link edited into message_case brings nothing in. */
#define CASE_MESSAGES "SELECT message_id FROM event WHERE case_id = ?1 " \
	"AND message_id > 0"

int
dun_store_case_trail_foreach(struct dun_store *store, int64_t case_id,
    int (*fn)(const struct dun_event *ev, void *arg), void *arg)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT " EVENT_COLS " FROM "
	    "event WHERE case_id = ?1 OR (message_id > 0 AND message_id IN ("
	    CASE_MESSAGES ")) ORDER BY seq");

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	return events_each(store, st, fn, arg);
}

int
dun_store_event_range_foreach(struct dun_store *store, int64_t first_seq,
    int64_t last_seq, int (*fn)(const struct dun_event *ev, void *arg),
    void *arg)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT " EVENT_COLS " FROM "
	    "event WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq");

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, first_seq);
	sqlite3_bind_int64(st, 2, last_seq);
	return events_each(store, st, fn, arg);
}

/* The one text column sql selects for key, into out[65]; DUN_ENOTFOUND
 * without a row. */
static int
hash_by_key(struct dun_store *store, const char *sql, int64_t key,
    char out[65], const char *what)
{
	sqlite3_stmt *st = store__prepare(store, sql);
	int rc;

	out[0] = '\0';
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, key);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(out, 65, "%s", store__col_str(st, 0));
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, what);
	store__finish(store, st);
	return rc;
}

int
dun_store__message_sha256(struct dun_store *store, char out[65],
    int64_t message_id)
{
	return hash_by_key(store, "SELECT sha256 FROM message WHERE id = ?1",
	    message_id, out, "read a message's SHA-256");
}

int
dun_store__event_hash_at(struct dun_store *store, char out[65], int64_t seq)
{
	return hash_by_key(store, "SELECT hash FROM event WHERE seq = ?1",
	    seq, out, "read an event's hash");
}

int
dun_store__event_refs_foreach(struct dun_store *store,
    int (*fn)(const struct dun_store_event_ref *ref, void *arg), void *arg)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT e.seq, e.kind, "
	    "e.message_id, e.message_sha256, m.id IS NOT NULL, "
	    "IFNULL(m.sha256, ''), b.sha256 IS NOT NULL FROM event e "
	    "LEFT JOIN message m ON m.id = e.message_id "
	    "LEFT JOIN blob b ON b.sha256 = e.message_sha256 "
	    "WHERE e.message_id > 0 OR e.message_sha256 <> '' ORDER BY e.seq");
	struct dun_store_event_ref ref;
	int rc, r = 0;

	if (st == NULL)
		return DUN_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ref, 0, sizeof(ref));
		ref.seq = sqlite3_column_int64(st, 0);
		ref.kind = store__col_str(st, 1);
		ref.message_id = sqlite3_column_int64(st, 2);
		ref.message_sha256 = store__col_str(st, 3);
		ref.message_found = sqlite3_column_int(st, 4);
		ref.row_sha256 = store__col_str(st, 5);
		ref.blob_found = sqlite3_column_int(st, 6);
		if ((r = fn(&ref, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store__error(store, "read the events' messages");
	store__finish(store, st);
	return r;
}

int
dun_store__message_refs_foreach(struct dun_store *store,
    int (*fn)(const struct dun_store_message_ref *ref, void *arg), void *arg)
{
	/* One pass over the events (no index on event.message_id). */
	sqlite3_stmt *st = store__prepare(store, "SELECT m.id, m.direction, "
	    "m.kind, m.sha256, b.sha256 IS NOT NULL, IFNULL(e.n, 0) "
	    "FROM message m LEFT JOIN blob b ON b.sha256 = m.sha256 "
	    "LEFT JOIN (SELECT message_id, count(*) AS n FROM event "
	    "WHERE message_id > 0 GROUP BY message_id) e "
	    "ON e.message_id = m.id ORDER BY m.id");
	struct dun_store_message_ref ref;
	int rc, r = 0;

	if (st == NULL)
		return DUN_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ref, 0, sizeof(ref));
		ref.id = sqlite3_column_int64(st, 0);
		ref.direction = store__col_str(st, 1);
		ref.kind = store__col_str(st, 2);
		ref.sha256 = store__col_str(st, 3);
		ref.blob_found = sqlite3_column_int(st, 4);
		ref.events = sqlite3_column_int64(st, 5);
		if ((r = fn(&ref, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store__error(store, "read the messages");
	store__finish(store, st);
	return r;
}

int
dun_store_json_text(struct dun_store *store, char **out, const char *json,
    const char *path, const char *member)
{
	/* SQLite's JSON reader, so the CLI needs none of its own. */
	sqlite3_stmt *st = store__prepare(store, "SELECT CASE "
	    "WHEN NOT json_valid(?1) THEN NULL "
	    "WHEN json_type(?1, ?2) = 'array' THEN (SELECT group_concat("
	    "CASE WHEN ?3 IS NULL THEN value ELSE json_extract(value, ?3) END, "
	    "', ') FROM json_each(?1, ?2)) "
	    "ELSE json_extract(?1, ?2) END");
	int rc;

	*out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, json);
	store__bind_text(st, 2, path);
	store__bind_text(st, 3, member);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*out = store__col_text(st, 0);
		rc = 0;
	} else
		rc = store__error(store, "read a JSON field");
	store__finish(store, st);
	return rc;
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
