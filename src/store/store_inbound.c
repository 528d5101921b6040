/* Store: inbound messages, mailbox sync state, classifications and the
 * look-ups that match replies. See store_inbound.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/store/store_inbound.h"
#include "store_internal.h"

int
dun_store_mailbox_get(struct dun_store *store, const char *name,
    uint32_t *uidvalidity_out, uint32_t *last_uid_out)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT uidvalidity, "
	    "last_uid FROM mailbox WHERE name = ?1");
	int rc;

	*uidvalidity_out = 0;
	*last_uid_out = 0;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*uidvalidity_out = (uint32_t)sqlite3_column_int64(st, 0);
		*last_uid_out = (uint32_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = dun_error_set(DUN_ENOTFOUND, "mailbox %s not seen yet",
		    name);
	else
		rc = store__error(store, "read mailbox state");
	store__finish(store, st);
	return rc;
}

int
dun_store_mailbox_set(struct dun_store *store, const char *name,
    uint32_t uidvalidity, uint32_t last_uid, dun_time_t now)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO mailbox (name, "
	    "uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (name) DO UPDATE SET uidvalidity = excluded."
	    "uidvalidity, last_uid = excluded.last_uid, updated_at = "
	    "excluded.updated_at");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, last_uid);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "save mailbox state");
	store__finish(store, st);
	return rc;
}

int
dun_store_inmsg_insert(struct dun_store *store, int64_t *id_out,
    int *inserted, const char *mailbox, uint32_t uidvalidity, uint32_t uid,
    const char *sha256, int64_t size, int truncated, dun_time_t now)
{
	sqlite3_stmt *st;
	int rc;

	*inserted = 0;
	*id_out = 0;
	st = store__prepare(store, "INSERT INTO message (direction, kind, "
	    "mailbox, uidvalidity, uid, sha256, size, truncated, created_at) "
	    "VALUES ('in', 'reply', ?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT DO NOTHING");
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	store__bind_text(st, 4, sha256);
	sqlite3_bind_int64(st, 5, size);
	sqlite3_bind_int(st, 6, truncated);
	sqlite3_bind_int64(st, 7, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "store inbound message");
	if (rc == 0 && sqlite3_changes(store->db) == 1) {
		*inserted = 1;
		*id_out = sqlite3_last_insert_rowid(store->db);
	}
	store__finish(store, st);
	if (rc == 0 && *inserted)
		rc = store__note(store, STORE_T_MESSAGE, *id_out);
	if (rc < 0 || *inserted)
		return rc;
	st = store__prepare(store, "SELECT id FROM message WHERE direction = "
	    "'in' AND mailbox = ?1 AND uidvalidity = ?2 AND uid = ?3");
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	if (sqlite3_step(st) == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	else
		rc = store__error(store, "find inbound message");
	store__finish(store, st);
	return rc;
}

int
dun_store_inmsg_find_copy(struct dun_store *store, int64_t *id_out,
    const char *mailbox, const char *sha256, const char *message_id)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT id FROM message "
	    "WHERE direction = 'in' AND mailbox = ?1 AND (sha256 = ?2 OR "
	    "(?3 <> '' AND message_id = ?3)) ORDER BY id LIMIT 1");
	int rc;

	*id_out = 0;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, mailbox);
	store__bind_text(st, 2, sha256);
	store__bind_text(st, 3, message_id ? message_id : "");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, "find inbound copy");
	store__finish(store, st);
	return rc;
}

int
dun_store_inmsg_rekey(struct dun_store *store, int64_t id,
    uint32_t uidvalidity, uint32_t uid)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE message SET "
	    "uidvalidity = ?2, uid = ?3 WHERE id = ?1");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "re-key inbound message");
	store__finish(store, st);
	return rc;
}

#define INMSG_COLS "id, uidvalidity, uid, sha256, size, truncated, " \
	"processed, filed_at, folder, message_id"

static void
inmsg_from_row(sqlite3_stmt *st, struct dun_inmsg *m)
{
	const unsigned char *t;

	m->id = sqlite3_column_int64(st, 0);
	m->uidvalidity = (uint32_t)sqlite3_column_int64(st, 1);
	m->uid = (uint32_t)sqlite3_column_int64(st, 2);
	t = sqlite3_column_text(st, 3);
	snprintf(m->sha256, sizeof(m->sha256), "%s", t ? (const char *)t : "");
	m->size = sqlite3_column_int64(st, 4);
	m->truncated = sqlite3_column_int(st, 5);
	m->processed = sqlite3_column_int(st, 6);
	m->filed_at = sqlite3_column_int64(st, 7);
	m->folder = store__col_text(st, 8);
	m->message_id = store__col_text(st, 9);
}

int
dun_store_inmsg_unfiled(struct dun_store *store, const char *mailbox,
    struct dun_inmsg_list *out)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT " INMSG_COLS " FROM "
	    "message WHERE direction = 'in' AND filed_at = 0 AND mailbox = ?1 "
	    "ORDER BY id");
	int rc;

	out->items = NULL;
	out->count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, mailbox);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->items = xreallocarray(out->items, out->count + 1,
		    sizeof(*out->items));
		inmsg_from_row(st, &out->items[out->count++]);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "list unfiled");
	store__finish(store, st);
	if (rc < 0)
		dun_inmsg_list_free(out);
	return rc;
}

int
dun_store_inmsg_get(struct dun_store *store, struct dun_inmsg *out,
    int64_t id)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT " INMSG_COLS " FROM "
	    "message WHERE id = ?1 AND direction = 'in'");
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		inmsg_from_row(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = dun_error_set(DUN_ENOTFOUND, "no inbound message %lld",
		    (long long)id);
	else
		rc = store__error(store, "read inbound message");
	store__finish(store, st);
	return rc;
}

void
dun_inmsg_clear(struct dun_inmsg *m)
{
	free(m->folder);
	free(m->message_id);
	m->folder = m->message_id = NULL;
}

void
dun_inmsg_list_free(struct dun_inmsg_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		dun_inmsg_clear(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

int
dun_store_inmsg_claim(struct dun_store *store, int64_t id, int *claimed)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE message SET "
	    "processed = 1 WHERE id = ?1 AND processed = 0");
	int rc;

	*claimed = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "claim inbound message");
	if (rc == 0)
		*claimed = sqlite3_changes(store->db) == 1;
	store__finish(store, st);
	return rc;
}

int
dun_store_inmsg_record(struct dun_store *store, int64_t id,
    const struct dun_inmsg_result *r)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE message SET "
	    "message_id = ?2, in_reply_to = ?3, refs = ?4, token = ?5, "
	    "subject = ?6, from_addr = ?7, date_header = ?8, class = ?9, "
	    "folder = ?10, debtor_id = NULLIF(?11, 0), sender_contact = ?12, "
	    "match_method = ?13 WHERE id = ?1");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	store__bind_text(st, 2, r->message_id ? r->message_id : "");
	store__bind_text(st, 3, r->in_reply_to ? r->in_reply_to : "");
	store__bind_text(st, 4, r->refs ? r->refs : "");
	store__bind_text(st, 5, r->token ? r->token : "");
	store__bind_text(st, 6, r->subject ? r->subject : "");
	store__bind_text(st, 7, r->from_addr ? r->from_addr : "");
	sqlite3_bind_int64(st, 8, r->date_header);
	store__bind_text(st, 9, r->cls ? r->cls : "");
	store__bind_text(st, 10, r->folder ? r->folder : "");
	sqlite3_bind_int64(st, 11, r->debtor_id);
	sqlite3_bind_int(st, 12, r->sender_contact);
	store__bind_text(st, 13, r->match_method ? r->match_method : "");
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "record inbound message");
	store__finish(store, st);
	return rc < 0 ? rc : store__note(store, STORE_T_MESSAGE, id);
}

int
dun_store_inmsg_set_filed(struct dun_store *store, int64_t id,
    dun_time_t now)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE message SET "
	    "filed_at = ?2 WHERE id = ?1 AND filed_at = 0");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	/* 0 means "not filed": a clock at the epoch still files. */
	sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "mark message filed");
	if (rc == 0 && sqlite3_changes(store->db) == 0)
		rc = DUN_EEXISTS;
	store__finish(store, st);
	return rc;
}

static int
outmsg_by(struct dun_store *store, int64_t *id_out, int64_t *debtor_id_out,
    char sha_out[65], const char *column, const char *value)
{
	char *sql = xasprintf("SELECT id, IFNULL(debtor_id, 0), sha256 FROM "
	    "message WHERE direction = 'out' AND %s = ?1 AND ?1 <> '' "
	    "ORDER BY id DESC LIMIT 1", column);
	sqlite3_stmt *st = store__prepare(store, sql);
	const unsigned char *t;
	int rc;

	free(sql);
	*id_out = 0;
	*debtor_id_out = 0;
	sha_out[0] = '\0';
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, value);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		*debtor_id_out = sqlite3_column_int64(st, 1);
		t = sqlite3_column_text(st, 2);
		snprintf(sha_out, 65, "%s", t ? (const char *)t : "");
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, "find sent message");
	store__finish(store, st);
	return rc;
}

int
dun_store_outmsg_by_message_id(struct dun_store *store, int64_t *id_out,
    int64_t *debtor_id_out, char sha_out[65], const char *message_id)
{
	return outmsg_by(store, id_out, debtor_id_out, sha_out, "message_id",
	    message_id);
}

int
dun_store_outmsg_by_token(struct dun_store *store, int64_t *id_out,
    int64_t *debtor_id_out, char sha_out[65], const char *token)
{
	return outmsg_by(store, id_out, debtor_id_out, sha_out, "token", token);
}

int
dun_store_message_case_ids(struct dun_store *store, int64_t **out,
    size_t *count, int64_t message_id)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT case_id FROM "
	    "message_case WHERE message_id = ?1 ORDER BY case_id");
	int rc;

	*out = NULL;
	*count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, message_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *count + 1, sizeof(**out));
		(*out)[(*count)++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "list message cases");
	store__finish(store, st);
	return rc;
}

int
dun_store_message_case_add(struct dun_store *store, int64_t message_id,
    int64_t case_id)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT OR IGNORE INTO "
	    "message_case (message_id, case_id) VALUES (?1, ?2)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, message_id);
	sqlite3_bind_int64(st, 2, case_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "link message to case");
	store__finish(store, st);
	return rc < 0 ? rc : store__note_query(store, STORE_T_MESSAGE_CASE,
	    "SELECT rowid FROM message_case WHERE message_id = ?1 AND "
	    "case_id = ?2", message_id, case_id, NULL);
}

int
dun_store_classification_add(struct dun_store *store, int64_t *id_out,
    int64_t message_id, const struct dun_classification *c, dun_time_t now)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO classification "
	    "(message_id, class, confidence, rule, evidence, promised_on, "
	    "amount_minor, currency, language, candidates, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	char date[11];
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, message_id);
	store__bind_text(st, 2, dun_class_name(c->cls));
	sqlite3_bind_double(st, 3, c->confidence);
	store__bind_text(st, 4, c->rule ? c->rule : "");
	store__bind_text(st, 5, c->evidence ? c->evidence : "");
	if (c->promised_on != DUN_DATE_NONE) {
		dun_date_format(date, c->promised_on);
		store__bind_text(st, 6, date);
	}
	if (c->amount_minor >= 0)
		sqlite3_bind_int64(st, 7, c->amount_minor);
	if (c->currency[0])
		store__bind_text(st, 8, c->currency);
	store__bind_text(st, 9, c->language);
	store__bind_text(st, 10, c->candidates ? c->candidates : "");
	sqlite3_bind_int64(st, 11, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "record classification");
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(store->db);
	store__finish(store, st);
	return rc;
}
