/* Store: outbound message rows (the outbox), their cases, recipients and
 * hand-offs. See store_outbox.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/store/store_outbox.h"
#include "store_internal.h"

static const char *const outbox_state_names[DUN_OUTBOX_NSTATES] = {
	[DUN_OUTBOX_PLANNED] = "planned",
	[DUN_OUTBOX_SENDING] = "sending",
	[DUN_OUTBOX_SENT] = "sent",
	[DUN_OUTBOX_FAILED] = "failed",
	[DUN_OUTBOX_UNKNOWN] = "unknown",
	[DUN_OUTBOX_CANCELLED] = "cancelled",
};

const char *
dun_outbox_state_name(enum dun_outbox_state state)
{
	if ((unsigned)state >= DUN_OUTBOX_NSTATES)
		return "invalid";
	return outbox_state_names[state];
}

int
dun_outbox_state_from_name(const char *name)
{
	int i;

	for (i = 0; i < DUN_OUTBOX_NSTATES; i++)
		if (strcmp(outbox_state_names[i], name) == 0)
			return i;
	return -1;
}

static int
step_done(struct dun_store *store, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, what);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
dun_store_outbox_insert(struct dun_store *store, int64_t *id_out,
    const struct dun_outbox_row *row)
{
	sqlite3_stmt *st = NULL;
	struct dun_buf to = DUN_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < row->nrcpts; i++)
		dun_buf_printf(&to, "%s%s", i ? ", " : "",
		    row->rcpts[i].address);
	st = store__prepare(store, "INSERT INTO message (direction, kind, "
	    "debtor_id, message_id, in_reply_to, refs, token, subject, "
	    "from_addr, to_addrs, sha256, size, template, language, "
	    "outbox_state, attempts, next_attempt_at, sent_copy, created_at) "
	    "VALUES ('out', ?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11, ?12,"
	    " ?13, 'planned', 0, ?14, ?15, ?16)");
	if (st == NULL) {
		rc = DUN_ESTORE;
		goto cleanup;
	}
	store__bind_text(st, 1, row->kind);
	sqlite3_bind_int64(st, 2, row->debtor_id);
	store__bind_text(st, 3, row->message_id);
	store__bind_text(st, 4, row->in_reply_to ? row->in_reply_to : "");
	store__bind_text(st, 5, row->refs ? row->refs : "");
	store__bind_text(st, 6, row->token ? row->token : "");
	store__bind_text(st, 7, row->subject ? row->subject : "");
	store__bind_text(st, 8, row->from);
	store__bind_text(st, 9, to.data ? to.data : "");
	store__bind_text(st, 10, row->sha256);
	sqlite3_bind_int64(st, 11, row->size);
	store__bind_text(st, 12, row->template ? row->template : "");
	store__bind_text(st, 13, row->language ? row->language : "");
	sqlite3_bind_int64(st, 14, row->next_attempt_at);
	sqlite3_bind_int(st, 15, row->sent_copy);
	sqlite3_bind_int64(st, 16, row->created_at);
	if ((rc = step_done(store, st, "insert outbound message")) < 0)
		goto cleanup;
	*id_out = sqlite3_last_insert_rowid(store->db);
	store__finish(store, st);

	st = store__prepare(store, "INSERT INTO message_case (message_id, "
	    "case_id, stage, stage_index, skipped) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (st == NULL) {
		rc = DUN_ESTORE;
		goto cleanup;
	}
	for (i = 0; i < row->ncases && rc == 0; i++) {
		sqlite3_bind_int64(st, 1, *id_out);
		sqlite3_bind_int64(st, 2, row->cases[i].case_id);
		store__bind_text(st, 3, row->cases[i].stage ?
		    row->cases[i].stage : "");
		sqlite3_bind_int(st, 4, row->cases[i].stage_index);
		store__bind_text(st, 5, row->cases[i].skipped ?
		    row->cases[i].skipped : "");
		rc = step_done(store, st, "insert message case");
	}
	store__finish(store, st);

	st = store__prepare(store, "INSERT OR IGNORE INTO recipient "
	    "(message_id, address, status) VALUES (?1, ?2, 'pending')");
	if (st == NULL) {
		rc = DUN_ESTORE;
		goto cleanup;
	}
	for (i = 0; i < row->nrcpts && rc == 0; i++) {
		sqlite3_bind_int64(st, 1, *id_out);
		store__bind_text(st, 2, row->rcpts[i].address);
		rc = step_done(store, st, "insert recipient");
	}
	store__finish(store, st);
	st = NULL;
	/* The row, its cases and its recipients, for the trail. */
	if (rc == 0)
		rc = store__note(store, STORE_T_MESSAGE, *id_out);
	if (rc == 0)
		rc = store__note_query(store, STORE_T_MESSAGE_CASE, "SELECT "
		    "rowid FROM message_case WHERE message_id = ?1", *id_out, 0,
		    NULL);
	if (rc == 0)
		rc = store__note_query(store, STORE_T_RECIPIENT, "SELECT "
		    "rowid FROM recipient WHERE message_id = ?1", *id_out, 0,
		    NULL);
cleanup:
	store__finish(store, st);
	dun_buf_free(&to);
	return rc;
}

static const char row_cols[] = "id, debtor_id, outbox_state, kind, "
    "template, language, message_id, in_reply_to, refs, token, subject, "
    "from_addr, sha256, size, attempts, next_attempt_at, created_at, "
    "sent_at, sent_copy, smtp_reply, last_error";

static struct dun_outbox_row *
row_from_stmt(sqlite3_stmt *st)
{
	struct dun_outbox_row *r = xcalloc(1, sizeof(*r));
	const unsigned char *t;
	int v;

	r->id = sqlite3_column_int64(st, 0);
	r->debtor_id = sqlite3_column_int64(st, 1);
	t = sqlite3_column_text(st, 2);
	v = dun_outbox_state_from_name(t ? (const char *)t : "");
	/* An unreadable state is the one that sends nothing by itself. */
	r->state = v < 0 ? DUN_OUTBOX_UNKNOWN : (enum dun_outbox_state)v;
	r->kind = store__col_text(st, 3);
	r->template = store__col_text(st, 4);
	r->language = store__col_text(st, 5);
	r->message_id = store__col_text(st, 6);
	r->in_reply_to = store__col_text(st, 7);
	r->refs = store__col_text(st, 8);
	r->token = store__col_text(st, 9);
	r->subject = store__col_text(st, 10);
	r->from = store__col_text(st, 11);
	t = sqlite3_column_text(st, 12);
	snprintf(r->sha256, sizeof(r->sha256), "%s", t ? (const char *)t : "");
	r->size = sqlite3_column_int64(st, 13);
	r->attempts = sqlite3_column_int(st, 14);
	r->next_attempt_at = sqlite3_column_int64(st, 15);
	r->created_at = sqlite3_column_int64(st, 16);
	r->sent_at = sqlite3_column_int64(st, 17);
	r->sent_copy = sqlite3_column_int(st, 18);
	r->smtp_reply = store__col_text(st, 19);
	r->last_error = store__col_text(st, 20);
	return r;
}

static int
row_load_parts(struct dun_store *store, struct dun_outbox_row *r)
{
	sqlite3_stmt *st;
	int rc;

	st = store__prepare(store, "SELECT case_id, stage_index, stage, "
	    "skipped FROM message_case WHERE message_id = ?1 ORDER BY rowid");
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dun_outbox_case *c;

		r->cases = xreallocarray(r->cases, r->ncases + 1,
		    sizeof(*r->cases));
		c = &r->cases[r->ncases++];
		c->case_id = sqlite3_column_int64(st, 0);
		c->stage_index = sqlite3_column_int(st, 1);
		c->stage = store__col_text(st, 2);
		c->skipped = store__col_text(st, 3);
	}
	store__finish(store, st);
	if (rc != SQLITE_DONE)
		return store__error(store, "load message cases");

	st = store__prepare(store, "SELECT address, status, smtp_code, reply "
	    "FROM recipient WHERE message_id = ?1 ORDER BY rowid");
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dun_outbox_rcpt *p;

		r->rcpts = xreallocarray(r->rcpts, r->nrcpts + 1,
		    sizeof(*r->rcpts));
		p = &r->rcpts[r->nrcpts++];
		p->address = store__col_text(st, 0);
		p->status = store__col_text(st, 1);
		p->code = sqlite3_column_int(st, 2);
		p->reply = store__col_text(st, 3);
	}
	store__finish(store, st);
	return rc == SQLITE_DONE ? 0 : store__error(store, "load recipients");
}

int
dun_store_outbox_get(struct dun_store *store, struct dun_outbox_row **out,
    int64_t id)
{
	char *sql = xasprintf("SELECT %s FROM message WHERE id = ?1 AND "
	    "direction = 'out'", row_cols);
	sqlite3_stmt *st = store__prepare(store, sql);
	struct dun_outbox_row *r = NULL;
	int rc;

	free(sql);
	*out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = row_from_stmt(st);
	else if (rc == SQLITE_DONE)
		rc = dun_error_set(DUN_ENOTFOUND, "no outbound message %lld",
		    (long long)id);
	else
		rc = store__error(store, "load outbound message");
	store__finish(store, st);
	if (r == NULL)
		return rc;
	if ((rc = row_load_parts(store, r)) < 0) {
		dun_outbox_row_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static int
list_query(struct dun_store *store, struct dun_outbox_list *out,
    const char *where, const char *state, dun_time_t due_before)
{
	char *sql = xasprintf("SELECT %s FROM message WHERE direction = 'out'"
	    " AND %s ORDER BY id", row_cols, where);
	sqlite3_stmt *st = store__prepare(store, sql);
	size_t i;
	int rc;

	free(sql);
	out->items = NULL;
	out->count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, state ? state : "");
	sqlite3_bind_int64(st, 2, due_before);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->items = xreallocarray(out->items, out->count + 1,
		    sizeof(*out->items));
		out->items[out->count++] = row_from_stmt(st);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "list outbox");
	store__finish(store, st);
	for (i = 0; i < out->count && rc == 0; i++)
		rc = row_load_parts(store, out->items[i]);
	if (rc < 0)
		dun_outbox_list_free(out);
	return rc;
}

int
dun_store_outbox_list(struct dun_store *store, struct dun_outbox_list *out,
    int state, dun_time_t due_before)
{
	return list_query(store, out, "(?1 = '' OR outbox_state = ?1) AND "
	    "(?2 = 0 OR next_attempt_at <= ?2)", state < 0 ? "" :
	    dun_outbox_state_name((enum dun_outbox_state)state), due_before);
}

int
dun_store_outbox_list_copy_pending(struct dun_store *store,
    struct dun_outbox_list *out)
{
	return list_query(store, out, "outbox_state = 'sent' AND sent_copy = 0"
	    " AND ?1 = '' AND ?2 = 0", NULL, 0);
}

int
dun_store_outbox_update(struct dun_store *store,
    const struct dun_outbox_row *row)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE message SET "
	    "outbox_state = ?2, attempts = ?3, next_attempt_at = ?4, "
	    "sent_at = ?5, smtp_reply = ?6, last_error = ?7, sent_copy = ?8 "
	    "WHERE id = ?1 AND direction = 'out'");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, row->id);
	store__bind_text(st, 2, dun_outbox_state_name(row->state));
	sqlite3_bind_int(st, 3, row->attempts);
	sqlite3_bind_int64(st, 4, row->next_attempt_at);
	sqlite3_bind_int64(st, 5, row->sent_at);
	store__bind_text(st, 6, row->smtp_reply ? row->smtp_reply : "");
	store__bind_text(st, 7, row->last_error ? row->last_error : "");
	sqlite3_bind_int(st, 8, row->sent_copy);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "update outbound message");
	if (rc == 0 && sqlite3_changes(store->db) == 0)
		rc = dun_error_set(DUN_ENOTFOUND, "no outbound message %lld",
		    (long long)row->id);
	store__finish(store, st);
	return rc;
}

int
dun_store_outbox_set_copy(struct dun_store *store, int64_t id,
    int sent_copy)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE message SET "
	    "sent_copy = ?2 WHERE id = ?1");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, sent_copy);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "mark Sent copy");
	store__finish(store, st);
	return rc;
}

int
dun_store_outbox_set_rcpt(struct dun_store *store, int64_t id,
    const char *address, const char *status, int code, const char *reply)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE recipient SET "
	    "status = ?3, smtp_code = ?4, reply = ?5 WHERE message_id = ?1 "
	    "AND address = ?2");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	store__bind_text(st, 2, address);
	store__bind_text(st, 3, status);
	sqlite3_bind_int(st, 4, code);
	store__bind_text(st, 5, reply ? reply : "");
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "record recipient");
	store__finish(store, st);
	return rc;
}

int
dun_store_outbox_case_busy(struct dun_store *store, int64_t case_id,
    int *busy_out)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT 1 FROM message_case "
	    "mc JOIN message m ON m.id = mc.message_id WHERE mc.case_id = ?1 "
	    "AND m.direction = 'out' AND m.outbox_state IN ('planned', "
	    "'sending', 'unknown') LIMIT 1");
	int rc;

	*busy_out = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*busy_out = 1;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store__error(store, "check case outbox");
	store__finish(store, st);
	return rc;
}

int
dun_store_outbox_count(struct dun_store *store,
    int64_t counts[DUN_OUTBOX_NSTATES])
{
	sqlite3_stmt *st = store__prepare(store, "SELECT outbox_state, "
	    "count(*) FROM message WHERE direction = 'out' GROUP BY 1");
	int rc, v;

	memset(counts, 0, sizeof(int64_t) * DUN_OUTBOX_NSTATES);
	if (st == NULL)
		return DUN_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		if ((v = dun_outbox_state_from_name(t ? (const char *)t :
		    "")) >= 0)
			counts[v] = sqlite3_column_int64(st, 1);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "count outbox");
	store__finish(store, st);
	return rc;
}

void
dun_outbox_row_free(struct dun_outbox_row *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->kind);
	free(r->template);
	free(r->language);
	free(r->message_id);
	free(r->in_reply_to);
	free(r->refs);
	free(r->token);
	free(r->subject);
	free(r->from);
	free(r->smtp_reply);
	free(r->last_error);
	for (i = 0; i < r->ncases; i++) {
		free(r->cases[i].stage);
		free(r->cases[i].skipped);
	}
	free(r->cases);
	for (i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].address);
		free(r->rcpts[i].status);
		free(r->rcpts[i].reply);
	}
	free(r->rcpts);
	free(r);
}

void
dun_outbox_list_free(struct dun_outbox_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		dun_outbox_row_free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}
