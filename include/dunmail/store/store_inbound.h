/*
 * The store's half of inbound mail (src/store/store_inbound.c): mailbox sync
 * state, inbound message rows keyed by (mailbox, UIDVALIDITY, UID), their
 * processing and filing marks, classifications, and the look-ups that
 * match a reply to the message it answers.
 *
 * Errors: DUN_ESTORE, DUN_ENOTFOUND.
 */
#ifndef DUNMAIL_STORE_INBOUND_H
#define DUNMAIL_STORE_INBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"
#include "dunmail/model/vocab.h"
#include "dunmail/store/store.h"

/* Sync state of a watched mailbox; DUN_ENOTFOUND if never seen. */
int dun_store_mailbox_get(struct dun_store *store, const char *name,
	uint32_t *uidvalidity_out, uint32_t *last_uid_out);
int dun_store_mailbox_set(struct dun_store *store, const char *name,
	uint32_t uidvalidity, uint32_t last_uid, dun_time_t now);

/* An inbound message row. */
struct dun_inmsg {
	int64_t id;
	uint32_t uidvalidity;
	uint32_t uid;
	char sha256[65];
	int64_t size;        /* on the server */
	int truncated;       /* only the header was stored */
	int processed;
	dun_time_t filed_at; /* 0 = not yet filed on the server */
	char *folder;        /* owned; where it is to go, "" if not decided */
	char *message_id;    /* owned; "" if unknown yet */
};

struct dun_inmsg_list {
	struct dun_inmsg *items; /* owned */
	size_t count;
};

/*
 * Inserts the row of a message just fetched, unless (mailbox, uidvalidity,
 * uid) is already there: *inserted says which; *id_out is the row either way.
 */
int dun_store_inmsg_insert(struct dun_store *store, int64_t *id_out,
	int *inserted, const char *mailbox, uint32_t uidvalidity, uint32_t uid,
	const char *sha256, int64_t size, int truncated, dun_time_t now);
/* A stored inbound message with the same bytes or Message-ID
 * (after a UIDVALIDITY change); DUN_ENOTFOUND if none. */
int dun_store_inmsg_find_copy(struct dun_store *store, int64_t *id_out,
	const char *mailbox, const char *sha256, const char *message_id);
/* Gives a known message its new key after a UIDVALIDITY change. */
int dun_store_inmsg_rekey(struct dun_store *store, int64_t id,
	uint32_t uidvalidity, uint32_t uid);
/* Messages of mailbox not yet filed on the server, oldest first. */
int dun_store_inmsg_unfiled(struct dun_store *store, const char *mailbox,
	struct dun_inmsg_list *out);
int dun_store_inmsg_get(struct dun_store *store, struct dun_inmsg *out,
	int64_t id);
void dun_inmsg_clear(struct dun_inmsg *m);
void dun_inmsg_list_free(struct dun_inmsg_list *list);

/* Marks the row processed; *claimed is 0 if it already was (so nothing
 * is processed twice). Call inside the processing transaction. */
int dun_store_inmsg_claim(struct dun_store *store, int64_t id, int *claimed);

/* What processing found out about an inbound message. */
struct dun_inmsg_result {
	const char *message_id, *in_reply_to, *refs, *token;
	const char *subject, *from_addr;
	dun_time_t date_header;
	const char *cls;          /* class name */
	const char *folder;       /* where it is to be filed */
	int64_t debtor_id;        /* 0 = none */
	int sender_contact;
	const char *match_method;
};
int dun_store_inmsg_record(struct dun_store *store, int64_t id,
	const struct dun_inmsg_result *r);
/* DUN_EEXISTS (no message set) if it was filed already. */
int dun_store_inmsg_set_filed(struct dun_store *store, int64_t id,
	dun_time_t now);

/* An outbound message by Message-ID or by case token; DUN_ENOTFOUND. */
int dun_store_outmsg_by_message_id(struct dun_store *store, int64_t *id_out,
	int64_t *debtor_id_out, char sha_out[65], const char *message_id);
int dun_store_outmsg_by_token(struct dun_store *store, int64_t *id_out,
	int64_t *debtor_id_out, char sha_out[65], const char *token);

/* The cases a message concerns (message_case). Caller frees *out. */
int dun_store_message_case_ids(struct dun_store *store, int64_t **out,
	size_t *count, int64_t message_id);
int dun_store_message_case_add(struct dun_store *store, int64_t message_id,
	int64_t case_id);

int dun_store_classification_add(struct dun_store *store, int64_t *id_out,
	int64_t message_id, const struct dun_classification *c,
	dun_time_t now);

#endif
