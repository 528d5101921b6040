/*
 * Replaying the trail into the state tables: every event carries the
 * images of the rows its transaction changed ("state_rows", store.c), so
 * one pass over the events in order rebuilds what each row must hold, and
 * one pass over each table compares. A row that differs, one the trail
 * never wrote, and one the trail wrote that is gone are all tampering.
 * Memory: a hash map of (table, rowid) to the SHA-256 of the row's last
 * image (16 bytes of it) and the event that wrote it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/store/trail.h"
#include "store_internal.h"

struct replay_entry {
	int64_t rowid;
	int64_t seq;              /* the event that wrote the last image */
	unsigned char digest[16]; /* of that image */
	unsigned char table;
	unsigned char used;
	unsigned char gone;       /* the last image said deleted */
	unsigned char seen;       /* found in the table */
};

struct replay_map {
	struct replay_entry *slots; /* owned */
	size_t cap, count;          /* cap a power of two */
};

static size_t
slot_hash(unsigned table, int64_t rowid)
{
	uint64_t x = (uint64_t)rowid * 0x9e3779b97f4a7c15ull + table;

	x ^= x >> 31; /* splitmix64's finish */
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	return (size_t)x;
}

static struct replay_entry *
map_find(struct replay_map *m, unsigned table, int64_t rowid, int add)
{
	size_t i, mask;

	if (add && (m->count + 1) * 4 > m->cap * 3) {
		struct replay_map bigger = { NULL, m->cap ? m->cap * 2 : 1024,
		    0 };

		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].used)
				*map_find(&bigger, m->slots[i].table,
				    m->slots[i].rowid, 1) = m->slots[i];
		free(m->slots);
		*m = bigger;
	}
	if (m->cap == 0)
		return NULL;
	mask = m->cap - 1;
	for (i = slot_hash(table, rowid) & mask;; i = (i + 1) & mask) {
		struct replay_entry *e = &m->slots[i];

		if (!e->used) {
			if (!add)
				return NULL;
			e->used = 1;
			e->table = (unsigned char)table;
			e->rowid = rowid;
			m->count++;
			return e;
		}
		if (e->table == table && e->rowid == rowid)
			return e;
	}
}

static void
digest_of(unsigned char out[16], const char *image)
{
	char hex[DUN_SHA256_HEX];
	int i;

	dun_sha256_hex(hex, image, strlen(image));
	for (i = 0; i < 16; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' :
		    hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ?
		    hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
}

static int
table_index(const char *name)
{
	int t;

	for (t = 0; t < STORE_T_COUNT; t++)
		if (strcmp(store__tracked[t].table, name) == 0)
			return t;
	return -1;
}

/* Pass one: every image every event carries, in order; the last wins. */
static int
replay_events(struct dun_store *store, struct replay_map *m,
    struct dun_verify_report *r)
{
	/* The subquery keeps json_each away from events without rows. */
	sqlite3_stmt *st = store__prepare(store, "SELECT e.seq, e.kind, "
	    "json_extract(j.value, '$.t'), json_extract(j.value, '$.k'), "
	    "json(json_extract(j.value, '$.row')) FROM (SELECT seq, kind, "
	    "detail FROM event WHERE instr(detail, '\"state_rows\":[') > 0 "
	    "AND json_valid(detail)) e, json_each(e.detail, '$.state_rows') j "
	    "ORDER BY e.seq, j.key");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		int t = table_index(store__col_str(st, 2));
		struct replay_entry *e;

		if (r->baseline_seq == 0 &&
		    strcmp(store__col_str(st, 1), "baseline") == 0)
			r->baseline_seq = seq;
		if (t < 0)
			continue; /* a table this dunmail does not keep */
		e = map_find(m, (unsigned)t, sqlite3_column_int64(st, 3), 1);
		e->seq = seq;
		e->gone = sqlite3_column_type(st, 4) == SQLITE_NULL;
		if (!e->gone)
			digest_of(e->digest, store__col_str(st, 4));
		r->images++;
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "replay the trail");
	store__finish(store, st);
	return rc;
}

/* The first column where the store's image and the one event seq wrote
 * differ, said for a person into r->detail. */
static int
say_difference(struct dun_store *store, struct dun_verify_report *r,
    int t, int64_t rowid, const char *label, const char *image, int64_t seq)
{
	sqlite3_stmt *st = store__prepare(store, "WITH trail(image) AS ("
	    "SELECT json(json_extract(j.value, '$.row')) FROM event e, "
	    "json_each(e.detail, '$.state_rows') j WHERE e.seq = ?2 AND "
	    "json_extract(j.value, '$.t') = ?3 AND json_extract(j.value, "
	    "'$.k') = ?4 ORDER BY j.key DESC LIMIT 1) "
	    "SELECT a.key, json_quote(a.value), json_quote(b.value) FROM "
	    "trail, json_each(?1) a LEFT JOIN json_each(trail.image) b ON "
	    "b.key = a.key WHERE a.value IS NOT b.value OR a.type IS NOT "
	    "b.type LIMIT 1");
	const char *name = store__tracked[t].table;
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, image);
	sqlite3_bind_int64(st, 2, seq);
	store__bind_text(st, 3, name);
	sqlite3_bind_int64(st, 4, rowid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(r->detail, sizeof(r->detail), "%s %lld (%s): %s is "
		    "%.80s in the store, %.80s from the trail (event %lld): "
		    "the table was edited outside dunmail", name,
		    (long long)rowid, label, store__col_str(st, 0),
		    store__col_str(st, 1), store__col_str(st, 2),
		    (long long)seq);
	else
		snprintf(r->detail, sizeof(r->detail), "%s %lld (%s) differs "
		    "from its image in event %lld: the table was edited "
		    "outside dunmail", name, (long long)rowid, label,
		    (long long)seq);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store__error(store, "compare a row with the trail");
	store__finish(store, st);
	return rc < 0 ? rc : DUN_ETAMPER;
}

/*
 * Which rows are held to the trail. A message row without stored bytes
 * stores no message: dunmail writes none (tests fake sent rows that way),
 * and verify holds neither it nor its links to the trail, as it holds
 * them to no event (trail.c, verify_message).
 */
static const char *
held(int t)
{
	switch (t) {
	case STORE_T_MESSAGE:
		return "sha256 <> ''";
	case STORE_T_MESSAGE_CASE:
	case STORE_T_RECIPIENT:
		return "message_id IN (SELECT id FROM message WHERE "
		    "sha256 <> '')";
	default:
		return "1";
	}
}

/* Pass two, for table t: every row against its replayed image, then the
 * replayed rows the table no longer has. */
static int
compare_table(struct dun_store *store, struct replay_map *m, int t,
    struct dun_verify_report *r)
{
	const struct store_tracked *tr = &store__tracked[t];
	char *sql = xasprintf("SELECT rowid, json(%s), IFNULL(%s, '') FROM "
	    "%s WHERE %s ORDER BY rowid", tr->image, tr->label, tr->table,
	    held(t));
	sqlite3_stmt *st = store__prepare(store, sql);
	const struct replay_entry *missing = NULL;
	unsigned char digest[16];
	size_t i;
	int rc, r2 = 0;

	free(sql);
	if (st == NULL)
		return DUN_ESTORE;
	while (r2 == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rowid = sqlite3_column_int64(st, 0);
		const char *image = store__col_str(st, 1);
		struct replay_entry *e = map_find(m, (unsigned)t, rowid, 0);

		r->rows++;
		if (e == NULL || e->gone) {
			if (e)
				snprintf(r->detail, sizeof(r->detail), "%s %lld "
				    "(%.80s) is in the store, but event %lld "
				    "of the trail deleted it: the row was put "
				    "back outside dunmail", tr->table,
				    (long long)rowid, store__col_str(st, 2),
				    (long long)e->seq);
			else
				snprintf(r->detail, sizeof(r->detail), "%s %lld "
				    "(%.80s) is in the store, but no event of "
				    "the trail wrote it: the row was added "
				    "outside dunmail", tr->table,
				    (long long)rowid, store__col_str(st, 2));
			r2 = DUN_ETAMPER;
			break;
		}
		e->seen = 1;
		digest_of(digest, image);
		if (memcmp(digest, e->digest, sizeof(digest)) != 0)
			r2 = say_difference(store, r, t, rowid,
			    store__col_str(st, 2), image, e->seq);
	}
	if (r2 == 0 && rc != SQLITE_DONE)
		r2 = store__error(store, "read a state table");
	store__finish(store, st);
	if (r2 != 0)
		return r2;
	for (i = 0; i < m->cap; i++) {
		const struct replay_entry *e = &m->slots[i];

		if (e->used && e->table == t && !e->gone && !e->seen &&
		    (missing == NULL || e->rowid < missing->rowid))
			missing = e;
	}
	if (missing == NULL)
		return 0;
	snprintf(r->detail, sizeof(r->detail), "%s %lld is not in the store, "
	    "but event %lld of the trail wrote it: the row was deleted "
	    "outside dunmail", tr->table, (long long)missing->rowid,
	    (long long)missing->seq);
	return DUN_ETAMPER;
}

int
dun_store__replay_check(struct dun_store *store,
    struct dun_verify_report *r)
{
	struct replay_map m = { NULL, 0, 0 };
	int t, rc;

	rc = replay_events(store, &m, r);
	for (t = 0; t < STORE_T_COUNT && rc == 0; t++)
		rc = compare_table(store, &m, t, r);
	free(m.slots);
	return rc;
}

int
dun_store_snapshot(struct dun_store *store, int begin)
{
	/* A read transaction: every pass of verify sees the same commit,
	 * and writers are not held up (WAL). */
	if (store->tx_depth > 0)
		return 0;
	return store__exec(store, begin ? "BEGIN DEFERRED" : "COMMIT");
}
