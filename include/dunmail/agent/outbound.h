/*
 * The contract between the content half of outbound dunning (scheduler,
 * templates, MIME: src/cases/sched.c, src/mail/render.c, src/mail/compose.c) and the
 * transport half (outbox, SMTP, `dunmail send`: src/agent/outbox.c, src/mail/smtp.c).
 *
 * dun_outbound_due() says which messages are due at `now`, grouped per
 * debtor. dun_outbound_prepare() renders and composes one of them into
 * exact message bytes, choosing its Message-ID, threading headers and case
 * token. dun_outbound_recheck() re-tests the stop conditions right before
 * a send. The transport half never decides what to send, only how.
 *
 * Errors: DUN_ESTORE, DUN_EPARSE (a template), DUN_EIO (a PDF).
 */
#ifndef DUNMAIL_OUTBOUND_H
#define DUNMAIL_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/cases/sched.h"
#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"

/* Everything the transport needs to send and record one message. */
struct dun_out_message {
	char *data;            /* owned; RFC 5322 bytes, CRLF */
	size_t len;
	char *message_id;      /* owned; without <> */
	char *in_reply_to;     /* owned; "" if first in thread */
	char *references;      /* owned; space-separated ids, without <> */
	char *token;           /* owned; the case token, e.g. DUN-7F3K2Q */
	char *subject;         /* owned; UTF-8, unencoded */
	char *from;            /* owned; envelope sender */
	char **rcpts;          /* owned; envelope recipients (valid contacts) */
	size_t nrcpts;
	char *language;        /* owned */
};

int dun_outbound_due(struct dun_store *store, const struct dun_config *cfg,
	dun_time_t now, struct dun_out_batches *out);

int dun_outbound_prepare(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_out_batch *batch, struct dun_out_message *out);
void dun_out_message_free(struct dun_out_message *msg);

/* As dun_outbound_prepare, for `dunmail preview`: the Message-ID (marked
 * "preview") and a new thread's token derive from the batch and now, so
 * the same question gives the same bytes; nothing is stored. */
int dun_outbound_preview(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_out_batch *batch, struct dun_out_message *out);

/*
 * Right before sending: 1 if the batch may still go, 0 if a stop
 * condition now holds (paid or zero balance, opt-out, dispute, hardship,
 * a promise in force, no valid contact, a reply received since planning);
 * why_out then says which. Cases that no longer qualify are dropped from
 * the batch; 0 means none is left.
 */
int dun_outbound_recheck(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	struct dun_out_batch *batch, char **why_out);

#endif
