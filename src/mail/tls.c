/* Certificate chain, host name and pin verification; see tls.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/tls.h"

int
dun_tls_name_is_ip(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
}

static int
tls_fail(const struct dun_server *srv, const char *what, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static int
tls_fail(const struct dun_server *srv, const char *what, const char *fmt,
    ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	dun_error_set(DUN_ETLS, "%s server %s:%d: TLS certificate refused "
	    "(expected name %s): %s; nothing was sent", what, srv->host,
	    srv->port, srv->tls_name, reason);
	dun_error_set_retry(DUN_RETRY_FINAL);
	return DUN_ETLS;
}

/* "DNS:a, DNS:b, IP:1.2.3.4" or the subject CN, for the message. */
static void
cert_names(char *out, size_t outlen, X509 *x)
{
	GENERAL_NAMES *sans;
	struct dun_buf b = DUN_BUF_INIT;
	int i, n;

	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	n = sans ? sk_GENERAL_NAME_num(sans) : 0;
	for (i = 0; i < n && i < 8; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type == GEN_DNS) {
			const unsigned char *s =
			    ASN1_STRING_get0_data(gn->d.dNSName);
			dun_buf_printf(&b, "%s%.*s", b.len ? ", " : "",
			    ASN1_STRING_length(gn->d.dNSName), s);
		} else if (gn->type == GEN_IPADD) {
			const unsigned char *ip =
			    ASN1_STRING_get0_data(gn->d.iPAddress);
			int iplen = ASN1_STRING_length(gn->d.iPAddress);
			char text[INET6_ADDRSTRLEN];
			if (inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, text,
			    sizeof(text)))
				dun_buf_printf(&b, "%s%s", b.len ? ", " : "",
				    text);
		}
	}
	GENERAL_NAMES_free(sans);
	if (b.len == 0) {
		char cn[256] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		    NID_commonName, cn, sizeof(cn));
		dun_buf_puts(&b, *cn ? cn : "no name at all");
	}
	snprintf(out, outlen, "%s", b.data);
	dun_buf_free(&b);
}

int
dun_tls_pin_of(char out[DUN_TLS_PIN_LEN], const unsigned char *der,
    size_t len)
{
	const unsigned char *p = der;
	unsigned char *spki = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *x;
	int n;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return dun_error_set(DUN_ETLS, "certificate does not parse");
	n = i2d_PUBKEY(X509_get0_pubkey(x), &spki);
	X509_free(x);
	if (n <= 0)
		return dun_error_set(DUN_ETLS, "certificate has no public key");
	EVP_Digest(spki, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(spki);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	return 0;
}

/* Pins may be "sha256//X", "X", several separated by ';' or ','. */
static int
pin_matches(const char *pins, const char *actual)
{
	char *copy = xstrdup(pins), *tok, *save = NULL;
	int found = 0;

	for (tok = strtok_r(copy, ";, \t", &save); tok && !found;
	    tok = strtok_r(NULL, ";, \t", &save)) {
		if (dun_str_has_prefix(tok, "sha256//"))
			tok += 8;
		found = strcmp(tok, actual) == 0;
	}
	free(copy);
	return found;
}

int
dun_tls_verify(const struct dun_server *srv, const char *what,
    const struct dun_tls_cert *chain, size_t n)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509 *leaf = NULL;
	const char *name = srv->tls_name && *srv->tls_name ? srv->tls_name :
	    srv->host;
	char names[512], pin[DUN_TLS_PIN_LEN];
	size_t i;
	int rc = 0;

	if (n == 0 || chain[0].der == NULL)
		return tls_fail(srv, what, "the server sent no certificate");
	for (i = 0; i < n; i++) {
		const unsigned char *p = chain[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)chain[i].len);
		if (x == NULL) {
			rc = tls_fail(srv, what, "certificate %zu of the "
			    "chain does not parse", i);
			goto cleanup;
		}
		if (i == 0)
			leaf = x;
		else {
			if (untrusted == NULL)
				untrusted = sk_X509_new_null();
			sk_X509_push(untrusted, x);
		}
	}

	store = X509_STORE_new();
	if (srv->ca_file && *srv->ca_file) {
		if (X509_STORE_load_file(store, srv->ca_file) != 1) {
			rc = dun_error_set(DUN_ECONFIG, "%s: ca_file %s holds "
			    "no usable certificate", what, srv->ca_file);
			dun_error_set_retry(DUN_RETRY_FINAL);
			goto cleanup;
		}
	} else if (X509_STORE_set_default_paths(store) != 1) {
		rc = tls_fail(srv, what, "the system certificate store "
		    "cannot be loaded; set ca_file");
		goto cleanup;
	}
	ctx = X509_STORE_CTX_new();
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1)
		fatalx("X509_STORE_CTX_init failed");
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	if (X509_verify_cert(ctx) != 1) {
		int err = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		char subject[256] = "";
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
		if (bad)
			X509_NAME_oneline(X509_get_subject_name(bad), subject,
			    sizeof(subject));
		rc = tls_fail(srv, what, "%s (certificate %d of the chain, "
		    "%s)%s", X509_verify_cert_error_string(err), depth,
		    subject, srv->ca_file && *srv->ca_file ?
		    "; is ca_file the right CA?" : "; the system store does "
		    "not trust it (set ca_file for a private CA)");
		goto cleanup;
	}
	if (dun_tls_name_is_ip(name)) {
		if (X509_check_ip_asc(leaf, name, 0) != 1) {
			cert_names(names, sizeof(names), leaf);
			rc = tls_fail(srv, what, "certificate is for %s, not "
			    "the address %s", names, name);
			goto cleanup;
		}
	} else if (X509_check_host(leaf, name, 0,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) != 1) {
		cert_names(names, sizeof(names), leaf);
		rc = tls_fail(srv, what, "certificate is for %s, not %s",
		    names, name);
		goto cleanup;
	}
	if (srv->pin_sha256 && *srv->pin_sha256) {
		if ((rc = dun_tls_pin_of(pin, chain[0].der, chain[0].len)) < 0)
			goto cleanup;
		if (!pin_matches(srv->pin_sha256, pin)) {
			rc = tls_fail(srv, what, "public key pin mismatch: "
			    "the server's key is sha256//%s", pin);
			goto cleanup;
		}
	}
	log_debug("%s: %s:%d certificate verified for %s", what, srv->host,
	    srv->port, name);
cleanup:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return rc;
}
