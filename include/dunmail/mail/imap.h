/*
 * IMAP through libetpan's mailimap, with TLS verified by tls.c (OpenSSL)
 * before any credential is sent. Used by `dunmail poll`, by `run`, and by
 * the outbound side to append sent mail and to reconcile unknown sends.
 *
 * Errors: DUN_ENET (retry class set), DUN_ETLS, DUN_EAUTH, DUN_ETOOBIG.
 * A server that answers nonsense, closes in the middle of an answer or
 * sends more than 128 MiB for one command gets DUN_ENET (TEMP) with its
 * host:port and the line it sent, and its session is dropped.
 */
#ifndef DUNMAIL_IMAP_H
#define DUNMAIL_IMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dunmail/config/config.h"

struct dun_imap;

/* Connects, verifies TLS, logs in. */
int dun_imap_connect(struct dun_imap **out, const struct dun_config *cfg);
void dun_imap_close(struct dun_imap *imap);

/* Appends a message to folder (created if missing) with \Seen. */
int dun_imap_append(struct dun_imap *imap, const char *folder,
	const char *data, size_t len);

/* Sets *found to 1 if folder holds a message whose Message-ID header is
 * message_id (without <>). A missing folder means not found. */
int dun_imap_find_message_id(struct dun_imap *imap, const char *folder,
	const char *message_id, int *found);

/*
 * Below: what `dunmail poll` (src/agent/inbound.c) needs. A session selects one
 * mailbox at a time; every failure but a NO to one command leaves the
 * session unusable and the caller drops it (dun_imap_close) and reconnects.
 */

/* Largest message fetched whole; a bigger one is fetched headers only. */
#define DUN_IMAP_MAX_MESSAGE (32u << 20)

/* SELECTs mailbox; its UIDVALIDITY and UIDNEXT (0 if not sent). */
int dun_imap_select(struct dun_imap *imap, const char *mailbox,
	uint32_t *uidvalidity_out, uint32_t *uidnext_out);

struct dun_imap_uid {
	uint32_t uid;
	uint32_t size; /* RFC822.SIZE */
};

struct dun_imap_uids {
	struct dun_imap_uid *items; /* owned, ascending */
	size_t count;
};

/*
 * Lists the messages of the selected mailbox with lo <= UID <= hi (hi 0
 * means "*"), at most max of them. UIDs below lo are dropped: servers
 * answer "N:*" with the last message when N is above every UID.
 */
int dun_imap_list(struct dun_imap *imap, uint32_t lo, uint32_t hi,
	size_t max, struct dun_imap_uids *out);
void dun_imap_uids_free(struct dun_imap_uids *uids);

/* One fetched message, valid during the callback only. */
struct dun_imap_msg {
	uint32_t uid;
	uint32_t size;         /* RFC822.SIZE: the size on the server */
	const char *data;      /* borrowed; the bytes fetched */
	size_t len;
	int headers_only;      /* over DUN_IMAP_MAX_MESSAGE: header only */
};
typedef int (*dun_imap_msg_fn)(const struct dun_imap_msg *msg, void *arg);

/*
 * Fetches the given messages with BODY.PEEK (no flag changes), calling fn
 * for each in the server's order; messages over max_size (0 = the
 * default cap) come headers only. A non-zero return from fn stops and is
 * returned. Messages the server no longer has are skipped.
 */
int dun_imap_fetch(struct dun_imap *imap, const struct dun_imap_uid *uids,
	size_t n, size_t max_size, dun_imap_msg_fn fn, void *arg);

/* Sets *present to 1 if the selected mailbox still has uid. */
int dun_imap_uid_present(struct dun_imap *imap, uint32_t uid, int *present);

/*
 * Moves messages of the selected mailbox to folder (created if missing):
 * MOVE where the server has it, else COPY, then STORE \Deleted and UID
 * EXPUNGE of exactly those UIDs (UIDPLUS; without it they stay flagged
 * \Deleted). Nothing is deleted when the copy fails.
 */
int dun_imap_move(struct dun_imap *imap, const uint32_t *uids, size_t n,
	const char *folder);

/* Removes messages of the selected mailbox: STORE \Deleted, then UID
 * EXPUNGE of exactly those (UIDPLUS; without it they stay flagged). */
int dun_imap_delete(struct dun_imap *imap, const uint32_t *uids, size_t n);

/* Creates folder (and subscribes) unless it exists. */
int dun_imap_ensure_folder(struct dun_imap *imap, const char *folder);

/* The server's hierarchy delimiter ('/' if it names none). */
char dun_imap_delimiter(struct dun_imap *imap);
int dun_imap_has_idle(struct dun_imap *imap);

/*
 * IDLE on the selected mailbox until the server reports a change, timeout_s
 * passes, or *stop becomes non-zero (a signal interrupts the wait). Sets
 * *changed when the server said something. Ends with DONE either way.
 */
int dun_imap_idle(struct dun_imap *imap, int timeout_s,
	volatile sig_atomic_t *stop, int *changed);

/* 1 if the server announced new messages (EXISTS) since the last call:
 * an announcement that came with another command's answer, which IDLE
 * would not repeat. Clears the mark. */
int dun_imap_saw_exists(struct dun_imap *imap);

/* NOOP, to keep a session alive and learn of new mail without IDLE. */
int dun_imap_noop(struct dun_imap *imap);

#endif
