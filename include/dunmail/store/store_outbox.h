/*
 * The store's outbox statements (src/store/store_outbox.c): outbound rows of the
 * message table with their message_case and recipient rows, and hand-off
 * rows for what a person must look at. Only outbox.c calls these; the
 * state machine and its trail events live there.
 *
 * Errors: DUN_ESTORE, DUN_ENOTFOUND.
 */
#ifndef DUNMAIL_STORE_OUTBOX_H
#define DUNMAIL_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"

enum dun_outbox_state {
	DUN_OUTBOX_PLANNED,   /* committed, nothing sent (or retry due) */
	DUN_OUTBOX_SENDING,   /* the end of data may have reached the server */
	DUN_OUTBOX_SENT,      /* the server accepted it */
	DUN_OUTBOX_FAILED,    /* refused for good, or retries used up */
	DUN_OUTBOX_UNKNOWN,   /* cannot tell; a person decides */
	DUN_OUTBOX_CANCELLED, /* never sent: a stop condition came first */
	DUN_OUTBOX_NSTATES
};

const char *dun_outbox_state_name(enum dun_outbox_state state);
/* -1 if unknown. */
int dun_outbox_state_from_name(const char *name);

struct dun_outbox_case {
	int64_t case_id;
	int stage_index;  /* policy stage, -1 if not a reminder stage */
	char *stage;      /* owned; stage name, "" if none */
	char *skipped;    /* owned; stages caught up over, "" if none */
};

struct dun_outbox_rcpt {
	char *address;    /* owned */
	char *status;     /* owned; pending, accepted, rejected, deferred */
	int code;         /* SMTP reply code, 0 if none */
	char *reply;      /* owned; the server's reply line */
};

struct dun_outbox_row {
	int64_t id;           /* message.id */
	int64_t debtor_id;
	enum dun_outbox_state state;
	char *kind;           /* owned; reminder, promise_confirm, ... */
	char *template;       /* owned */
	char *language;       /* owned */
	char *message_id;     /* owned; without <> */
	char *in_reply_to;    /* owned */
	char *refs;           /* owned */
	char *token;          /* owned */
	char *subject;        /* owned */
	char *from;           /* owned; envelope sender */
	char sha256[65];      /* the message bytes, stored as a blob */
	int64_t size;
	int attempts;
	dun_time_t next_attempt_at;
	dun_time_t created_at;
	dun_time_t sent_at;
	int sent_copy;        /* 1 in the Sent folder, 0 pending, -1 none */
	char *smtp_reply;     /* owned */
	char *last_error;     /* owned */
	struct dun_outbox_case *cases;  /* owned */
	size_t ncases;
	struct dun_outbox_rcpt *rcpts;  /* owned */
	size_t nrcpts;
};

struct dun_outbox_list {
	struct dun_outbox_row **items; /* owned */
	size_t count;
};

/* Inserts the message row (state planned), its cases and recipients.
 * Call inside a transaction. */
int dun_store_outbox_insert(struct dun_store *store, int64_t *id_out,
	const struct dun_outbox_row *row);
int dun_store_outbox_get(struct dun_store *store,
	struct dun_outbox_row **out, int64_t id);
/* Rows in state (all outbound rows if state < 0), oldest first. With
 * due_before > 0 only rows whose next_attempt_at <= due_before. */
int dun_store_outbox_list(struct dun_store *store,
	struct dun_outbox_list *out, int state, dun_time_t due_before);
/* Sent rows whose Sent-folder copy is still pending. */
int dun_store_outbox_list_copy_pending(struct dun_store *store,
	struct dun_outbox_list *out);
/* Writes state, attempts, next_attempt_at, sent_at, smtp_reply and
 * last_error from row. */
int dun_store_outbox_update(struct dun_store *store,
	const struct dun_outbox_row *row);
int dun_store_outbox_set_copy(struct dun_store *store, int64_t id,
	int sent_copy);
int dun_store_outbox_set_rcpt(struct dun_store *store, int64_t id,
	const char *address, const char *status, int code, const char *reply);
/* *busy_out = 1 if the case is on an outbound row that is planned,
 * sending or unknown: the outbox owns it until that row settles. */
int dun_store_outbox_case_busy(struct dun_store *store, int64_t case_id,
	int *busy_out);
/* Counts outbound rows per state into counts[DUN_OUTBOX_NSTATES]. */
int dun_store_outbox_count(struct dun_store *store,
	int64_t counts[DUN_OUTBOX_NSTATES]);

void dun_outbox_row_free(struct dun_outbox_row *row);
void dun_outbox_list_free(struct dun_outbox_list *list);

#endif
