/*
 * IMAP through libetpan's mailimap, with TLS verified by tls.c (OpenSSL)
 * before any credential is sent. Used by `dunmail poll`, by `run`, and by
 * the outbound side to append sent mail and to reconcile unknown sends.
 *
 * Errors: DUN_ENET (retry class set), DUN_ETLS, DUN_EAUTH, DUN_ETOOBIG.
 */
#ifndef DUNMAIL_IMAP_H
#define DUNMAIL_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/config.h"

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

#endif
