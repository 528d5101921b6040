/* Store: invoices, payments and cases. See store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "store_internal.h"

/* What is owed: the open amount the ledger last reported, lowered by the
 * payments imported since, never below zero (docs/ledger.md). */
#define OPEN_EXPR "MAX(0, ledger_open_minor - paid_minor)"

static const char invoice_cols[] = "id, debtor_id, number, issue_date, "
    "due_date, currency, amount_minor, ledger_open_minor, paid_minor, "
    OPEN_EXPR ", pdf_path, pdf_sha256, source_hash";

static struct dun_invoice *
invoice_from_row(sqlite3_stmt *st)
{
	struct dun_invoice *inv = xcalloc(1, sizeof(*inv));
	char *text;

	inv->id = sqlite3_column_int64(st, 0);
	inv->debtor_id = sqlite3_column_int64(st, 1);
	inv->number = store__col_text(st, 2);
	text = store__col_text(st, 3);
	if (dun_date_parse(&inv->issue_date, text) < 0)
		inv->issue_date = DUN_DATE_NONE;
	free(text);
	text = store__col_text(st, 4);
	if (dun_date_parse(&inv->due_date, text) < 0)
		inv->due_date = DUN_DATE_NONE;
	free(text);
	text = store__col_text(st, 5);
	snprintf(inv->currency, sizeof(inv->currency), "%s", text);
	free(text);
	inv->amount_minor = sqlite3_column_int64(st, 6);
	inv->ledger_open_minor = sqlite3_column_int64(st, 7);
	inv->paid_minor = sqlite3_column_int64(st, 8);
	inv->open_minor = sqlite3_column_int64(st, 9);
	inv->pdf_path = store__col_text(st, 10);
	inv->pdf_sha256 = store__col_text(st, 11);
	inv->source_hash = store__col_text(st, 12);
	return inv;
}

static int
invoice_query(struct dun_store *store, struct dun_invoice **out,
    const char *where, const char *text, int64_t id)
{
	char *sql = xasprintf("SELECT %s FROM invoice WHERE %s", invoice_cols,
	    where);
	sqlite3_stmt *st = store__prepare(store, sql);
	int rc;

	free(sql);
	*out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	if (text)
		store__bind_text(st, 1, text);
	else
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = invoice_from_row(st);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = dun_error_set(DUN_ENOTFOUND, "no invoice %s",
		    text ? text : "with that id");
	else
		rc = store__error(store, "load invoice");
	store__finish(store, st);
	return rc;
}

int
dun_store_invoice_get(struct dun_store *store, struct dun_invoice **out,
    const char *number)
{
	return invoice_query(store, out, "number = ?1", number, 0);
}

int
dun_store_invoice_get_id(struct dun_store *store, struct dun_invoice **out,
    int64_t id)
{
	return invoice_query(store, out, "id = ?1", NULL, id);
}

static void
bind_invoice(sqlite3_stmt *st, const struct dun_invoice *inv)
{
	char issue[11], due[11];

	dun_date_format(issue, inv->issue_date);
	dun_date_format(due, inv->due_date);
	sqlite3_bind_int64(st, 1, inv->debtor_id);
	store__bind_text(st, 2, inv->number);
	store__bind_text(st, 3, issue);
	store__bind_text(st, 4, due);
	store__bind_text(st, 5, inv->currency);
	sqlite3_bind_int64(st, 6, inv->amount_minor);
	sqlite3_bind_int64(st, 7, inv->ledger_open_minor);
	store__bind_text(st, 8, inv->pdf_path ? inv->pdf_path : "");
	store__bind_text(st, 9, inv->pdf_sha256 ? inv->pdf_sha256 : "");
	store__bind_text(st, 10, inv->source_hash ? inv->source_hash : "");
}

int
dun_store_invoice_insert(struct dun_store *store, int64_t *id_out,
    const struct dun_invoice *inv)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO invoice "
	    "(debtor_id, number, issue_date, due_date, currency, amount_minor,"
	    " ledger_open_minor, pdf_path, pdf_sha256, source_hash) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	bind_invoice(st, inv);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "insert invoice");
	store__finish(store, st);
	if (rc == 0) {
		*id_out = sqlite3_last_insert_rowid(store->db);
		rc = store__note(store, STORE_T_INVOICE, *id_out);
	}
	return rc;
}

int
dun_store_invoice_update(struct dun_store *store,
    const struct dun_invoice *inv)
{
	/* A new open amount from the ledger is taken to include the
	 * payments imported before it. */
	sqlite3_stmt *st = store__prepare(store, "UPDATE invoice SET "
	    "debtor_id = ?1, issue_date = ?3, due_date = ?4, currency = ?5, "
	    "amount_minor = ?6, paid_minor = CASE WHEN ledger_open_minor = ?7 "
	    "THEN paid_minor ELSE 0 END, ledger_open_minor = ?7, pdf_path = ?8, "
	    "pdf_sha256 = ?9, source_hash = ?10 WHERE number = ?2");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	bind_invoice(st, inv);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "update invoice");
	store__finish(store, st);
	return rc < 0 ? rc : store__note_query(store, STORE_T_INVOICE,
	    "SELECT id FROM invoice WHERE number = ?3", 0, 0, inv->number);
}

int
dun_store_payment_add(struct dun_store *store, int64_t invoice_id,
    dun_date_t paid_on, const char *currency, int64_t amount_minor,
    const char *reference)
{
	sqlite3_stmt *st;
	char date[11];
	int rc, added;

	dun_date_format(date, paid_on);
	st = store__prepare(store, "INSERT OR IGNORE INTO payment (invoice_id,"
	    " paid_on, currency, amount_minor, reference) VALUES "
	    "(?1, ?2, ?3, ?4, ?5)");
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, invoice_id);
	store__bind_text(st, 2, date);
	store__bind_text(st, 3, currency);
	sqlite3_bind_int64(st, 4, amount_minor);
	store__bind_text(st, 5, reference);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "insert payment");
	added = sqlite3_changes(store->db);
	store__finish(store, st);
	if (rc < 0)
		return rc;
	if (!added)
		return 1;
	if ((rc = store__note(store, STORE_T_PAYMENT,
	    sqlite3_last_insert_rowid(store->db))) < 0 ||
	    (rc = store__note(store, STORE_T_INVOICE, invoice_id)) < 0)
		return rc;
	st = store__prepare(store, "UPDATE invoice SET paid_minor = "
	    "paid_minor + ?2 WHERE id = ?1");
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, invoice_id);
	sqlite3_bind_int64(st, 2, amount_minor);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "apply payment");
	store__finish(store, st);
	return rc;
}

void
dun_invoice_free(struct dun_invoice *inv)
{
	if (inv == NULL)
		return;
	free(inv->number);
	free(inv->pdf_path);
	free(inv->pdf_sha256);
	free(inv->source_hash);
	free(inv);
}

/* Cases. */

static const char case_cols[] = "c.id, c.invoice_id, i.debtor_id, c.state, "
    "i.number, c.stage_sent, c.last_reminder_at, c.promised_on, "
    "c.promised_minor, c.broken_promises, c.hold_until, c.next_action, "
    "c.next_detail, c.next_action_at, c.opened_at, c.closed_at, "
    "c.updated_at";

static struct dun_case *
case_from_row(sqlite3_stmt *st)
{
	struct dun_case *c = xcalloc(1, sizeof(*c));
	const unsigned char *t;
	int v;

	c->id = sqlite3_column_int64(st, 0);
	c->invoice_id = sqlite3_column_int64(st, 1);
	c->debtor_id = sqlite3_column_int64(st, 2);
	t = sqlite3_column_text(st, 3);
	v = dun_case_state_from_name(t ? (const char *)t : "");
	c->state = v < 0 ? DUN_CASE_ON_HOLD : (enum dun_case_state)v;
	c->invoice_number = store__col_text(st, 4);
	c->stage_sent = sqlite3_column_int(st, 5);
	c->last_reminder_at = sqlite3_column_int64(st, 6);
	t = sqlite3_column_text(st, 7);
	if (t == NULL || dun_date_parse(&c->promised_on, (const char *)t) < 0)
		c->promised_on = DUN_DATE_NONE;
	c->promised_minor = sqlite3_column_int64(st, 8);
	c->broken_promises = sqlite3_column_int(st, 9);
	c->hold_until = sqlite3_column_int64(st, 10);
	t = sqlite3_column_text(st, 11);
	v = dun_next_action_from_name(t ? (const char *)t : "");
	c->next_action = v < 0 ? DUN_NEXT_NONE : (enum dun_next_action)v;
	c->next_detail = store__col_text(st, 12);
	c->next_action_at = sqlite3_column_int64(st, 13);
	c->opened_at = sqlite3_column_int64(st, 14);
	c->closed_at = sqlite3_column_int64(st, 15);
	c->updated_at = sqlite3_column_int64(st, 16);
	return c;
}

int
dun_store_case_create(struct dun_store *store, int64_t *id_out,
    int64_t invoice_id, enum dun_case_state state, dun_time_t now)
{
	/* The row only: dun_case_open() (cases.h) calls this and lets the
	 * state machine set the state and next action, with their event. */
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO dcase "
	    "(invoice_id, state, next_action, opened_at, updated_at) VALUES "
	    "(?1, ?2, 'remind', ?3, ?3)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, invoice_id);
	store__bind_text(st, 2, dun_case_state_name(state));
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "create case");
	store__finish(store, st);
	/* The case's first event carries its invoice and debtor too, so
	 * the case's own events say whose it is (export). */
	if (rc == 0) {
		*id_out = sqlite3_last_insert_rowid(store->db);
		rc = store__note(store, STORE_T_CASE, *id_out);
	}
	if (rc == 0)
		rc = store__note(store, STORE_T_INVOICE, invoice_id);
	if (rc == 0)
		rc = store__note_query(store, STORE_T_DEBTOR, "SELECT debtor_id "
		    "FROM invoice WHERE id = ?1", invoice_id, 0, NULL);
	return rc;
}

static int
case_query(struct dun_store *store, struct dun_case **out, const char *where,
    const char *text, int64_t id)
{
	char *sql = xasprintf("SELECT %s FROM dcase c JOIN invoice i ON "
	    "i.id = c.invoice_id WHERE %s", case_cols, where);
	sqlite3_stmt *st = store__prepare(store, sql);
	int rc;

	free(sql);
	*out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	if (text)
		store__bind_text(st, 1, text);
	else
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = case_from_row(st);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = dun_error_set(DUN_ENOTFOUND, "no case for invoice %s",
		    text ? text : "with that id");
	else
		rc = store__error(store, "load case");
	store__finish(store, st);
	return rc;
}

int
dun_store_case_get(struct dun_store *store, struct dun_case **out,
    int64_t id)
{
	return case_query(store, out, "c.id = ?1", NULL, id);
}

int
dun_store_case_by_invoice(struct dun_store *store, struct dun_case **out,
    const char *invoice_number)
{
	return case_query(store, out, "i.number = ?1", invoice_number, 0);
}

int
dun_store_case_save(struct dun_store *store, const struct dun_case *c)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE dcase SET "
	    "stage_sent = ?2, last_reminder_at = ?3, promised_on = ?4, "
	    "promised_minor = ?5, broken_promises = ?6, hold_until = ?7, "
	    "next_action = ?8, next_detail = ?9, next_action_at = ?10, "
	    "closed_at = ?11, updated_at = ?12 WHERE id = ?1");
	char promised[11];
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_int(st, 2, c->stage_sent);
	sqlite3_bind_int64(st, 3, c->last_reminder_at);
	if (c->promised_on == DUN_DATE_NONE)
		sqlite3_bind_null(st, 4);
	else {
		dun_date_format(promised, c->promised_on);
		store__bind_text(st, 4, promised);
	}
	sqlite3_bind_int64(st, 5, c->promised_minor);
	sqlite3_bind_int(st, 6, c->broken_promises);
	sqlite3_bind_int64(st, 7, c->hold_until);
	store__bind_text(st, 8, dun_next_action_name(c->next_action));
	store__bind_text(st, 9, c->next_detail ? c->next_detail : "");
	sqlite3_bind_int64(st, 10, c->next_action_at);
	sqlite3_bind_int64(st, 11, c->closed_at);
	sqlite3_bind_int64(st, 12, c->updated_at);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "save case");
	store__finish(store, st);
	return rc < 0 ? rc : store__note(store, STORE_T_CASE, c->id);
}

/* The one UPDATE of a case's state: called by dun_case__set_state()
 * (cases.c) only, which writes the trail event in the same transaction. */
int
dun_store__case_set_state(struct dun_store *store, int64_t id,
    enum dun_case_state state, dun_time_t now)
{
	sqlite3_stmt *st = store__prepare(store, "UPDATE dcase SET state = ?2,"
	    " updated_at = ?3, closed_at = CASE WHEN ?4 THEN ?3 ELSE 0 END "
	    "WHERE id = ?1");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, id);
	store__bind_text(st, 2, dun_case_state_name(state));
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, !dun_case_state_open(state));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "set case state");
	store__finish(store, st);
	return rc < 0 ? rc : store__note(store, STORE_T_CASE, id);
}

int
dun_store_case_list(struct dun_store *store, struct dun_case_list *out,
    int state, int64_t debtor_id)
{
	char *sql = xasprintf("SELECT %s FROM dcase c JOIN invoice i ON "
	    "i.id = c.invoice_id WHERE (?1 = '' OR c.state = ?1) AND "
	    "(?2 = 0 OR i.debtor_id = ?2) ORDER BY i.debtor_id, i.due_date, "
	    "i.number", case_cols);
	sqlite3_stmt *st = store__prepare(store, sql);
	int rc;

	free(sql);
	out->items = NULL;
	out->count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	store__bind_text(st, 1, state < 0 ? "" :
	    dun_case_state_name((enum dun_case_state)state));
	sqlite3_bind_int64(st, 2, debtor_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->items = xreallocarray(out->items, out->count + 1,
		    sizeof(*out->items));
		out->items[out->count++] = case_from_row(st);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "list cases");
	store__finish(store, st);
	if (rc < 0)
		dun_case_list_free(out);
	return rc;
}

void
dun_case_free(struct dun_case *c)
{
	if (c == NULL)
		return;
	free(c->invoice_number);
	free(c->next_detail);
	free(c);
}

void
dun_case_list_free(struct dun_case_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		dun_case_free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}
