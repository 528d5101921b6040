/*
 * TLS peer verification with OpenSSL, for connections whose TLS is spoken
 * by another library (libetpan on GnuTLS verifies nothing by itself). The
 * caller hands over the peer's certificate chain as DER, leaf first, right
 * after the handshake and before any credential is sent; this module
 * checks the chain against the system store or a configured CA file, the
 * host name (or IP address), and the optional SHA-256 public-key pin.
 *
 * Errors: DUN_ETLS (retry class FINAL: a person must look), DUN_ECONFIG
 * (an unreadable CA file or a malformed pin).
 */
#ifndef DUNMAIL_TLS_H
#define DUNMAIL_TLS_H

#include <stddef.h>

#include "dunmail/config/config.h"

/* One certificate as the peer sent it. */
struct dun_tls_cert {
	const unsigned char *der; /* borrowed */
	size_t len;
};

/*
 * Verifies chain[0] (the leaf) through chain[1..n-1] (untrusted
 * intermediates) for server srv; what names the service in messages
 * ("imap", "smtp"). The message names host, port, expected name and the
 * reason, e.g. "certificate is for wrong.example, not localhost".
 */
int dun_tls_verify(const struct dun_server *srv, const char *what,
	const struct dun_tls_cert *chain, size_t n);

/* The pin of a certificate: base64 of SHA-256 over its DER SubjectPublic
 * KeyInfo, the value curl takes as "sha256//<pin>". 45 bytes with NUL. */
#define DUN_TLS_PIN_LEN 45
int dun_tls_pin_of(char out[DUN_TLS_PIN_LEN], const unsigned char *der,
	size_t len);

/* True if name is an IPv4 or IPv6 literal (no SNI is sent for those). */
int dun_tls_name_is_ip(const char *name);

#endif
