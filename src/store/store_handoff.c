/* Store: hand-offs to people, and contact changes they make. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "store_internal.h"

int
dun_store_handoff_insert(struct dun_store *store, int64_t *id_out,
    int64_t case_id, int64_t message_id, const char *reason, dun_time_t now)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO handoff "
	    "(case_id, message_id, reason, created_at) VALUES "
	    "(NULLIF(?1, 0), NULLIF(?2, 0), ?3, ?4)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, message_id);
	store__bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "add hand-off");
	store__finish(store, st);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(store->db);
	if (rc == 0)
		rc = store__note(store, STORE_T_HANDOFF,
		    sqlite3_last_insert_rowid(store->db));
	return rc;
}

/* The columns handoff_row() reads, from handoff h LEFT JOIN message m. */
#define HANDOFF_COLS "h.id, IFNULL(h.case_id, 0), IFNULL(h.message_id, 0), " \
	"h.reason, h.created_at, h.resolved_at, h.resolution, h.operator, " \
	"h.note, IFNULL(m.from_addr, ''), IFNULL(m.subject, '') FROM handoff h " \
	"LEFT JOIN message m ON m.id = h.message_id"

static void
handoff_row(struct dun_handoff *h, sqlite3_stmt *st)
{
	h->id = sqlite3_column_int64(st, 0);
	h->case_id = sqlite3_column_int64(st, 1);
	h->message_id = sqlite3_column_int64(st, 2);
	h->reason = store__col_text(st, 3);
	h->created_at = sqlite3_column_int64(st, 4);
	h->resolved_at = sqlite3_column_int64(st, 5);
	h->resolution = store__col_text(st, 6);
	h->operator_name = store__col_text(st, 7);
	h->note = store__col_text(st, 8);
	h->from_addr = store__col_text(st, 9);
	h->subject = store__col_text(st, 10);
}

static void
handoff_clear(struct dun_handoff *h)
{
	free(h->reason);
	free(h->resolution);
	free(h->operator_name);
	free(h->note);
	free(h->from_addr);
	free(h->subject);
}

/* The open hand-offs a statement with ?1 selects, oldest first. */
static int
handoff_query(struct dun_store *store, struct dun_handoff_list *out,
    const char *where, int64_t arg)
{
	char *sql = xasprintf("SELECT " HANDOFF_COLS " WHERE "
	    "h.resolved_at = 0 AND %s ORDER BY h.created_at, h.id", where);
	sqlite3_stmt *st = store__prepare(store, sql);
	int rc;

	free(sql);
	out->items = NULL;
	out->count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, arg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->items = xreallocarray(out->items, out->count + 1,
		    sizeof(*out->items));
		handoff_row(&out->items[out->count++], st);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "list hand-offs");
	store__finish(store, st);
	if (rc < 0)
		dun_handoff_list_free(out);
	return rc;
}

int
dun_store_handoff_list(struct dun_store *store, struct dun_handoff_list *out,
    int64_t case_id)
{
	return handoff_query(store, out, "(?1 = 0 OR h.case_id = ?1)",
	    case_id);
}

int
dun_store_handoff_list_message(struct dun_store *store,
    struct dun_handoff_list *out, int64_t message_id)
{
	return handoff_query(store, out, "h.message_id = ?1", message_id);
}

int
dun_store_handoff_get(struct dun_store *store, struct dun_handoff **out,
    int64_t id)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT " HANDOFF_COLS
	    " WHERE h.id = ?1");
	int rc;

	*out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = xcalloc(1, sizeof(**out));
		handoff_row(*out, st);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = dun_error_set(DUN_ENOTFOUND, "no hand-off %lld: see "
		    "`dunmail queue`", (long long)id);
	else
		rc = store__error(store, "read hand-off");
	store__finish(store, st);
	return rc;
}

void
dun_handoff_free(struct dun_handoff *h)
{
	if (h == NULL)
		return;
	handoff_clear(h);
	free(h);
}

static int
handoff_update(struct dun_store *store, const char *where, int64_t arg,
    dun_time_t now, const char *resolution, const char *operator_name,
    const char *note)
{
	char *sql = xasprintf("SELECT id FROM handoff WHERE %s AND "
	    "resolved_at = 0", where);
	sqlite3_stmt *st;
	int rc;

	/* The rows it closes, for the trail. */
	rc = store__note_query(store, STORE_T_HANDOFF, sql, arg, 0, NULL);
	free(sql);
	if (rc < 0)
		return rc;
	sql = xasprintf("UPDATE handoff SET resolved_at = ?2, "
	    "resolution = ?3, operator = ?4, note = ?5 WHERE %s AND "
	    "resolved_at = 0", where);
	st = store__prepare(store, sql);
	free(sql);
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, arg);
	/* 0 means open: a clock at the epoch still resolves. */
	sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
	store__bind_text(st, 3, resolution);
	store__bind_text(st, 4, operator_name);
	store__bind_text(st, 5, note ? note : "");
	rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(store->db) :
	    store__error(store, "resolve hand-offs");
	store__finish(store, st);
	return rc;
}

int
dun_store_handoff_resolve(struct dun_store *store, int64_t case_id,
    dun_time_t now, const char *resolution, const char *operator_name,
    const char *note)
{
	return handoff_update(store, "case_id = ?1", case_id, now, resolution,
	    operator_name, note);
}

int
dun_store_handoff_resolve_one(struct dun_store *store, int64_t id,
    dun_time_t now, const char *resolution, const char *operator_name,
    const char *note)
{
	return handoff_update(store, "id = ?1", id, now, resolution,
	    operator_name, note);
}

int
dun_store_handoff_close_case(struct dun_store *store, int64_t case_id,
    dun_time_t now, const char *why)
{
	return handoff_update(store, "case_id = ?1", case_id, now,
	    "case_closed", "dunmail", why);
}

void
dun_handoff_list_free(struct dun_handoff_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		handoff_clear(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

int
dun_store_case_last_reply(struct dun_store *store,
    struct dun_case_reply *out, int64_t case_id, const char *cls)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT m.id, m.sha256, "
	    "m.from_addr, m.subject, m.created_at, IFNULL(c.evidence, ''), "
	    "IFNULL(c.rule, ''), IFNULL(c.promised_on, '') FROM message m "
	    "JOIN message_case mc ON mc.message_id = m.id LEFT JOIN "
	    "classification c ON c.message_id = m.id WHERE mc.case_id = ?1 "
	    "AND m.direction = 'in' AND m.class = ?2 ORDER BY m.id DESC, "
	    "c.id DESC LIMIT 1");
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	store__bind_text(st, 2, cls);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *sha = sqlite3_column_text(st, 1);
		out->message_id = sqlite3_column_int64(st, 0);
		snprintf(out->sha256, sizeof(out->sha256), "%s",
		    sha ? (const char *)sha : "");
		out->from_addr = store__col_text(st, 2);
		out->subject = store__col_text(st, 3);
		out->at = sqlite3_column_int64(st, 4);
		out->evidence = store__col_text(st, 5);
		out->rule = store__col_text(st, 6);
		out->promised_on = store__col_text(st, 7);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, "read the last reply of a case");
	store__finish(store, st);
	return rc;
}

void
dun_case_reply_clear(struct dun_case_reply *r)
{
	free(r->from_addr);
	free(r->subject);
	free(r->evidence);
	free(r->rule);
	free(r->promised_on);
	memset(r, 0, sizeof(*r));
}

int
dun_store_contact_add(struct dun_store *store, int64_t debtor_id,
    const char *email)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO contact "
	    "(debtor_id, email, position) VALUES (?1, ?2, (SELECT "
	    "IFNULL(MIN(position), 1) - 1 FROM contact WHERE debtor_id = ?1)) "
	    "ON CONFLICT (debtor_id, email) DO UPDATE SET invalid = 0, "
	    "invalid_reason = NULL");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, debtor_id);
	store__bind_text(st, 2, email);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "add contact");
	store__finish(store, st);
	return rc < 0 ? rc : store__note_query(store, STORE_T_CONTACT,
	    "SELECT id FROM contact WHERE debtor_id = ?1 AND email = ?3",
	    debtor_id, 0, email);
}
