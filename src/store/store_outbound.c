/* The store's statements for outbound planning: reminder history, the
 * answers cases asked for, threads. See store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "store_internal.h"

/* Outbound rows that count as written to the debtor: sent, or possibly
 * sent (a person decides those; assume the worst for the gap and cap). */
#define OUT_WENT "outbox_state IN ('sent', 'sending', 'unknown')"

int
dun_store_reminder_times(struct dun_store *store, dun_time_t **out,
    size_t *count, int64_t debtor_id, dun_time_t since)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT CASE WHEN sent_at > "
	    "0 THEN sent_at ELSE created_at END AS t FROM message WHERE "
	    "direction = 'out' AND debtor_id = ?1 AND kind IN ('reminder', "
	    "'promise_broken') AND " OUT_WENT " AND t >= ?2 ORDER BY t DESC");
	int rc;

	*out = NULL;
	*count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, debtor_id);
	sqlite3_bind_int64(st, 2, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *count + 1, sizeof(**out));
		(*out)[(*count)++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "reminder history");
	store__finish(store, st);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return rc;
}

int
dun_store_answers_pending(struct dun_store *store,
    struct dun_store_answer **out, size_t *count, int64_t debtor_id,
    dun_time_t since)
{
	/* An answer is asked for by the trail event of the transition that
	 * wants it (detail "send"), or by next_action send_copy; it is
	 * answered by any outbound message of that template for the case
	 * planned at or after it, unless that message was cancelled. */
	sqlite3_stmt *st = store__prepare(store,
	    "WITH asked(case_id, tmpl, at) AS ("
	    "  SELECT e.case_id, json_extract(e.detail, '$.send'), e.at"
	    "  FROM event e JOIN dcase c ON c.id = e.case_id"
	    "  JOIN invoice i ON i.id = c.invoice_id"
	    "  WHERE e.kind IN ('promise', 'dispute', 'hardship',"
	    "  'invoice_request', 'promise_broken') AND e.at >= ?2"
	    "  AND i.debtor_id = ?1 AND json_valid(e.detail)"
	    "  AND json_extract(e.detail, '$.send') IS NOT NULL"
	    " UNION"
	    "  SELECT c.id, 'invoice_copy', c.next_action_at FROM dcase c"
	    "  JOIN invoice i ON i.id = c.invoice_id"
	    "  WHERE i.debtor_id = ?1 AND c.next_action = 'send_copy'"
	    "  AND c.next_action_at >= ?2)"
	    " SELECT a.case_id, a.tmpl, MAX(a.at) FROM asked a"
	    " WHERE NOT EXISTS (SELECT 1 FROM message_case mc"
	    "  JOIN message m ON m.id = mc.message_id"
	    "  WHERE mc.case_id = a.case_id AND m.direction = 'out'"
	    "  AND m.template = a.tmpl AND m.created_at >= a.at"
	    "  AND m.outbox_state <> 'cancelled')"
	    " GROUP BY a.case_id, a.tmpl ORDER BY a.case_id, MAX(a.at)");
	struct dun_store_answer *a;
	const unsigned char *t;
	int rc;

	*out = NULL;
	*count = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, debtor_id);
	sqlite3_bind_int64(st, 2, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t case_id = sqlite3_column_int64(st, 0);
		/* At most one per case: the newest wins. */
		if (*count && (*out)[*count - 1].case_id == case_id &&
		    (*out)[*count - 1].at > sqlite3_column_int64(st, 2))
			continue;
		if (*count && (*out)[*count - 1].case_id == case_id)
			a = &(*out)[*count - 1];
		else {
			*out = xreallocarray(*out, *count + 1, sizeof(**out));
			a = &(*out)[(*count)++];
		}
		a->case_id = case_id;
		t = sqlite3_column_text(st, 1);
		snprintf(a->template, sizeof(a->template), "%s",
		    t ? (const char *)t : "");
		a->at = sqlite3_column_int64(st, 2);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "pending answers");
	store__finish(store, st);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return rc;
}

int
dun_store_thread_last(struct dun_store *store, char **message_id_out,
    char **refs_out, char **token_out, int64_t debtor_id, dun_time_t since)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT message_id, refs, "
	    "token FROM message WHERE direction = 'out' AND debtor_id = ?1 "
	    "AND kind <> 'forward' "
	    "AND " OUT_WENT " AND created_at >= ?2 AND message_id <> '' "
	    "ORDER BY created_at DESC, id DESC LIMIT 1");
	int rc;

	*message_id_out = *refs_out = *token_out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, debtor_id);
	sqlite3_bind_int64(st, 2, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*message_id_out = store__col_text(st, 0);
		*refs_out = store__col_text(st, 1);
		*token_out = store__col_text(st, 2);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, "find thread");
	store__finish(store, st);
	return rc;
}

int
dun_store_reply_pending(struct dun_store *store, int *pending_out,
    int64_t debtor_id)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT EXISTS (SELECT 1 "
	    "FROM message WHERE direction = 'in' AND processed = 0 AND "
	    "debtor_id = ?1)");
	int rc;

	*pending_out = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, debtor_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*pending_out = sqlite3_column_int(st, 0);
		rc = 0;
	} else
		rc = store__error(store, "pending replies");
	store__finish(store, st);
	return rc;
}

int
dun_store_case_promise_followup(struct dun_store *store,
    dun_time_t *next_at_out, int64_t case_id)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT json_extract(detail, "
	    "'$.next_at') FROM event WHERE case_id = ?1 AND kind = 'promise' "
	    "AND json_valid(detail) ORDER BY seq DESC LIMIT 1");
	int rc;

	*next_at_out = 0;
	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*next_at_out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = DUN_ENOTFOUND;
	else
		rc = store__error(store, "find promise");
	store__finish(store, st);
	return rc;
}
