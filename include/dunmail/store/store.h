/*
 * The store: one SQLite file in WAL mode, mode 0600, schema versioned by
 * PRAGMA user_version with forward migrations. Every SQL statement lives
 * behind this interface (src/store*.c), so a second implementation (say
 * PostgreSQL) replaces these files, not their callers.
 *
 * Errors: DUN_ESTORE (the database failed: disk full, locked, corrupt),
 * DUN_ENOTFOUND, DUN_EINVAL.
 */
#ifndef DUNMAIL_STORE_H
#define DUNMAIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"
#include "dunmail/model/vocab.h"

struct dun_store;

struct dun_debtor {
	int64_t id;
	char *ref;        /* owned */
	char *name;       /* owned */
	char *language;   /* owned; "en" or "zh" */
	char *timezone;   /* owned; IANA */
	char *region;     /* owned; holiday region, may be "" */
	int opted_out;
	char **emails;    /* owned; contacts in order, lowercase */
	int *email_invalid; /* owned; parallel to emails */
	size_t nemails;
};

struct dun_invoice {
	int64_t id;
	int64_t debtor_id;
	char *number;     /* owned */
	dun_date_t issue_date;
	dun_date_t due_date;
	char currency[4];
	int64_t amount_minor;
	int64_t ledger_open_minor; /* the open amount the ledger last said */
	int64_t paid_minor;        /* payments imported since the ledger
	                            * last reported ledger_open_minor */
	int64_t open_minor;        /* ledger_open - paid, at least 0 */
	char *pdf_path;   /* owned; absolute, may be "" */
	char *pdf_sha256; /* owned; may be "" */
	char *source_hash; /* owned; hash of the imported row */
};

struct dun_case {
	int64_t id;
	int64_t invoice_id;
	int64_t debtor_id;
	enum dun_case_state state;
	char *invoice_number; /* owned, denormalised for display */
	int stage_sent;       /* index of the last stage sent, -1 = none */
	dun_time_t last_reminder_at; /* 0 = never */
	dun_date_t promised_on;      /* DUN_DATE_NONE if no promise */
	int64_t promised_minor;      /* -1 if no amount */
	int broken_promises;
	dun_time_t hold_until;       /* 0 = no hold */
	enum dun_next_action next_action;
	char *next_detail;    /* owned; stage name or human reason */
	dun_time_t next_action_at;
	dun_time_t opened_at;
	dun_time_t closed_at;        /* 0 = open */
	dun_time_t updated_at;
};

struct dun_event {
	int64_t seq;
	dun_time_t at;
	char *kind;          /* owned; imported, state, sent, received, ... */
	int64_t case_id;     /* 0 = none */
	int64_t debtor_id;   /* 0 = none */
	int64_t message_id;  /* 0 = none */
	char *message_sha256; /* owned; "" = none */
	char *detail;        /* owned; canonical JSON object */
	char prev_hash[65];
	char hash[65];
};

/* Opening. Creates the file (0600) and migrates it to the current schema.
 * An existing file is made 0600 too, and so are its -wal and -shm. */
int dun_store_open(struct dun_store **out, const char *path);
/* The same for a store that must exist already: DUN_ENOTFOUND if the
 * file is not there (for the commands that only read or act on one). */
int dun_store_open_existing(struct dun_store **out, const char *path);
void dun_store_close(struct dun_store *store);
int dun_store_schema_version(struct dun_store *store);
const char *dun_store_path(const struct dun_store *store);
/* Where dunmail before schema 2 kept raw messages as files named by
 * SHA-256: "<db>.blobs" (read by trail.c for those stores only). */
const char *dun_store_blob_dir(const struct dun_store *store);

/* Transactions nest by depth; only the outermost commits. */
int dun_store_begin(struct dun_store *store);
int dun_store_commit(struct dun_store *store);
/*
 * With relaxed set, commits do not wait for the disk: each survives a
 * crash of the process, but a power cut only once a later commit made
 * without it has synced. For records a power cut may cost ('sent' after
 * the durable 'sending' is reconciled either way). Only outside a
 * transaction; inside one it does nothing. Set it back to 0 after.
 */
int dun_store_set_relaxed(struct dun_store *store, int relaxed);
void dun_store_rollback(struct dun_store *store);

/* Debtors and contacts. changed_out: 0 same, 1 updated, 2 new. */
int dun_store_debtor_upsert(struct dun_store *store, int64_t *id_out,
	const struct dun_debtor *debtor, int *changed_out);
int dun_store_debtor_get(struct dun_store *store, struct dun_debtor **out,
	int64_t id);
int dun_store_debtor_by_ref(struct dun_store *store, struct dun_debtor **out,
	const char *ref);
/* The debtor owning a contact address (case-insensitive). */
int dun_store_debtor_by_email(struct dun_store *store,
	struct dun_debtor **out, const char *email);
int dun_store_debtor_set_opt_out(struct dun_store *store, int64_t debtor_id,
	int opted_out);
int dun_store_contact_set_invalid(struct dun_store *store, int64_t debtor_id,
	const char *email, int invalid, const char *reason);
void dun_debtor_free(struct dun_debtor *debtor);

/* Invoices. */
int dun_store_invoice_get(struct dun_store *store, struct dun_invoice **out,
	const char *number);
int dun_store_invoice_get_id(struct dun_store *store,
	struct dun_invoice **out, int64_t id);
int dun_store_invoice_insert(struct dun_store *store, int64_t *id_out,
	const struct dun_invoice *invoice);
/* Updates the ledger fields; recomputes open_minor. */
int dun_store_invoice_update(struct dun_store *store,
	const struct dun_invoice *invoice);
/* Records a payment; 0 if new, 1 if it was already there. */
int dun_store_payment_add(struct dun_store *store, int64_t invoice_id,
	dun_date_t paid_on, const char *currency, int64_t amount_minor,
	const char *reference);
void dun_invoice_free(struct dun_invoice *invoice);

/* Cases. */
int dun_store_case_create(struct dun_store *store, int64_t *id_out,
	int64_t invoice_id, enum dun_case_state state, dun_time_t now);
int dun_store_case_get(struct dun_store *store, struct dun_case **out,
	int64_t id);
int dun_store_case_by_invoice(struct dun_store *store, struct dun_case **out,
	const char *invoice_number);
/* Writes every mutable field of c but its state, which only the case
 * module's setter, dun_case__set_state(), writes. */
int dun_store_case_save(struct dun_store *store, const struct dun_case *c);
/* Low level, for cases.c only: the state column. */
int dun_store__case_set_state(struct dun_store *store, int64_t id,
	enum dun_case_state state, dun_time_t now);

struct dun_case_list {
	struct dun_case **items; /* owned */
	size_t count;
};
/* state < 0 lists every state; debtor_id 0 lists every debtor. Ordered
 * by debtor, then due date. */
int dun_store_case_list(struct dun_store *store, struct dun_case_list *out,
	int state, int64_t debtor_id);
void dun_case_list_free(struct dun_case_list *list);
void dun_case_free(struct dun_case *c);

/* Hand-offs: what waits for a person (dunmail queue / resolve). */
struct dun_handoff {
	int64_t id;
	int64_t case_id;     /* 0 = not matched to a case */
	int64_t message_id;  /* 0 = none */
	char *reason;        /* owned */
	dun_time_t created_at;
	dun_time_t resolved_at; /* 0 = open */
	char *resolution;    /* owned */
	char *operator_name; /* owned */
	char *note;          /* owned */
	char *from_addr;     /* owned; the message's sender, "" if none */
	char *subject;       /* owned; the message's subject, "" if none */
};

struct dun_handoff_list {
	struct dun_handoff *items; /* owned */
	size_t count;
};

int dun_store_handoff_insert(struct dun_store *store, int64_t *id_out,
	int64_t case_id, int64_t message_id, const char *reason,
	dun_time_t now);
/* Open hand-offs, oldest first (case_id 0 = all). */
int dun_store_handoff_list(struct dun_store *store,
	struct dun_handoff_list *out, int64_t case_id);
/* Open hand-offs of one message, oldest first. */
int dun_store_handoff_list_message(struct dun_store *store,
	struct dun_handoff_list *out, int64_t message_id);
/* One hand-off, open or not; DUN_ENOTFOUND. Free with dun_handoff_free. */
int dun_store_handoff_get(struct dun_store *store, struct dun_handoff **out,
	int64_t id);
void dun_handoff_free(struct dun_handoff *h);
/* Resolves every open hand-off of a case; returns how many. */
int dun_store_handoff_resolve(struct dun_store *store, int64_t case_id,
	dun_time_t now, const char *resolution, const char *operator_name,
	const char *note);
/* Resolves one hand-off; returns 1, or 0 if it was resolved already. */
int dun_store_handoff_resolve_one(struct dun_store *store, int64_t id,
	dun_time_t now, const char *resolution, const char *operator_name,
	const char *note);
/* A case closed without a person (the ledger shows it settled): its open
 * hand-offs are resolved as "case_closed" by "dunmail" with why as the
 * note. Returns how many; the caller writes the trail event, in the same
 * transaction. */
int dun_store_handoff_close_case(struct dun_store *store, int64_t case_id,
	dun_time_t now, const char *why);
void dun_handoff_list_free(struct dun_handoff_list *list);

/* The newest inbound reply of a case classified cls (a class name), for
 * the evidence a hand-off shows; DUN_ENOTFOUND if there is none. */
struct dun_case_reply {
	int64_t message_id;
	char sha256[65];
	char *from_addr;     /* owned */
	char *subject;       /* owned */
	char *evidence;      /* owned; the matched words */
	char *rule;          /* owned */
	char *promised_on;   /* owned; "YYYY-MM-DD" or "" */
	dun_time_t at;       /* received */
};
int dun_store_case_last_reply(struct dun_store *store,
	struct dun_case_reply *out, int64_t case_id, const char *cls);
void dun_case_reply_clear(struct dun_case_reply *r);
/* Adds (or re-validates) a contact address for a debtor. */
int dun_store_contact_add(struct dun_store *store, int64_t debtor_id,
	const char *email);


/* Events: the trail. Only trail.c appends (dun_trail_append). */
int dun_store__event_last_hash(struct dun_store *store, char out[65],
	int64_t *seq_out);
/* Appends ev (kind, at, refs and detail set) as the next event: sets its
 * seq, prev_hash and hash. The images of the state rows changed since the
 * transaction's last event go into its detail as "state_rows"
 * (docs/workflow.md, The trail), and into the hash with it. */
int dun_store__event_append(struct dun_store *store, struct dun_event *ev);
/* The hash of an event's canonical form (dun_trail_hash). */
void dun_store__event_hash(char out[65], const struct dun_event *ev);
/* Calls fn for every event in seq order (case_id 0 = all); stops and
 * returns fn's value if non-zero. */
int dun_store_event_foreach(struct dun_store *store, int64_t case_id,
	int (*fn)(const struct dun_event *ev, void *arg), void *arg);
int64_t dun_store_event_count(struct dun_store *store);

/* Blobs: raw messages by SHA-256 (trail.c hashes; verify walks them). */
/* Stores bytes under their SHA-256 (a no-op if already there). */
int dun_store_blob_put(struct dun_store *store, const char *sha256,
	const void *data, size_t size, dun_time_t now);
/* The bytes stored in the store (caller frees; NUL-terminated);
 * DUN_ENOTFOUND if none, or if they are a file from before (trail.c). */
int dun_store_blob_get(struct dun_store *store, const char *sha256,
	char **out, size_t *len_out);
int dun_store_blob_foreach(struct dun_store *store,
	int (*fn)(const char *sha256, int64_t size, void *arg), void *arg);

/*
 * Outbound planning (src/store/store_outbound.c), for the scheduler and the
 * composer.
 */
/* Reminder send times (kinds reminder and promise_broken, sent or
 * possibly sent) to a debtor at or after since, newest first. */
int dun_store_reminder_times(struct dun_store *store, dun_time_t **out,
	size_t *count, int64_t debtor_id, dun_time_t since);

/* An answer the state machine asked for (a "send" in a case's trail
 * event, or next_action send_copy) that no outbound message of that
 * template has answered yet. */
struct dun_store_answer {
	int64_t case_id;
	char template[32];
	dun_time_t at;      /* when it was asked for */
};
/* The debtor's unanswered answers asked for at or after since, at most
 * one per case (the newest). */
int dun_store_answers_pending(struct dun_store *store,
	struct dun_store_answer **out, size_t *count, int64_t debtor_id,
	dun_time_t since);

/* The newest outbound message to the debtor (sent or possibly sent)
 * created at or after since: its Message-ID, References and token, all
 * owned by the caller. DUN_ENOTFOUND if there is none. */
int dun_store_thread_last(struct dun_store *store, char **message_id_out,
	char **refs_out, char **token_out, int64_t debtor_id,
	dun_time_t since);

/* *pending_out = 1 if an inbound message from the debtor is stored but
 * not yet classified and applied. */
int dun_store_reply_pending(struct dun_store *store, int *pending_out,
	int64_t debtor_id);

/* The date of the newest promise for a case, from its trail when the
 * case row no longer holds it (a broken promise clears it): the promise
 * event's follow-up time and the grace it was given. */
int dun_store_case_promise_followup(struct dun_store *store,
	dun_time_t *next_at_out, int64_t case_id);

#endif
