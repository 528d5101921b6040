/*
 * The receiving server's verdict on a message: Authentication-Results
 * (RFC 8601) as the MTA that took it in wrote it. Only the topmost header
 * carrying our authserv-id counts; lower ones, and ones of other ids, may
 * be the sender's own forgeries. The header is hostile input: it is
 * parsed with caps on everything and never trusted beyond its words.
 *
 * Errors: DUN_EPARSE (a header with no authserv-id).
 */
#ifndef DUNMAIL_AUTHRES_H
#define DUNMAIL_AUTHRES_H

#include <stddef.h>

/* Results kept from one header; further ones are ignored. */
#define DUN_AUTHRES_MAX 16

/* One "method=result" with the properties dunmail reads. */
struct dun_authres_result {
	char method[32];          /* lowercase: dmarc, dkim, spf, ... */
	char result[32];          /* lowercase: pass, fail, none, ... */
	char header_d[256];       /* dkim's header.d, lowercase */
	char header_from[256];    /* dmarc's header.from, lowercase */
	char smtp_mailfrom[256];  /* spf's smtp.mailfrom, lowercase */
};

/* One Authentication-Results header value, parsed. */
struct dun_authres {
	char authserv_id[256];    /* as written, case kept */
	int none;                 /* "; none": nothing was checked */
	struct dun_authres_result results[DUN_AUTHRES_MAX];
	size_t nresults;
};

/* Parses one header value (after "Authentication-Results:", folded or
 * not): comments, quoted strings, method versions, reasons and any
 * properties are read; a result it cannot read is skipped up to the next
 * ';'. DUN_EPARSE if there is no authserv-id at all. */
int dun_authres_parse(struct dun_authres *out, const char *value);

/* 1 if domains a and b are aligned in the relaxed sense dunmail uses:
 * equal, or one is a subdomain of the other (the shorter having a dot),
 * case-insensitive. An address's domain is taken after its last '@'. */
int dun_authres_aligned(const char *a, const char *b);

/* What the receiving server said about a message. */
struct dun_auth_check {
	int found;            /* a header of the authserv-id was there */
	int authenticated;    /* dmarc=pass, or aligned dkim/spf pass */
	char verdict[200];    /* why, in words, for the trail and a person */
	char header[1024];    /* the header value read (unfolded, capped) */
};

/*
 * Reads the topmost Authentication-Results header of raw (its header
 * block only) whose authserv-id is authserv_id (case-insensitive), and
 * decides whether the message is authenticated for from_addr's domain:
 * dmarc=pass, or dkim=pass with header.d aligned, or spf=pass with
 * smtp.mailfrom aligned. Never fails: no such header is "not
 * authenticated".
 */
void dun_authres_check(struct dun_auth_check *out, const char *raw,
	size_t len, const char *authserv_id, const char *from_addr);

/*
 * 1 if the header block of raw names its sender ambiguously: more than
 * one From header, or a From with more than one mailbox (RFC 5322 allows
 * it with a Sender; a receiving server may have judged another one than
 * the one dunmail reads). Such a reply is never trusted.
 */
int dun_authres_from_ambiguous(const char *raw, size_t len);

#endif
