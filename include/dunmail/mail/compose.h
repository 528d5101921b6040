/*
 * RFC 5322 / MIME message bytes, written by hand so that every byte is
 * ours to test: multipart/mixed holding multipart/alternative (text/plain
 * then text/html, UTF-8, quoted-printable, or base64 when mostly not
 * ASCII) and each PDF as base64 in
 * 76-character lines. CRLF everywhere, no line over 998 octets. Header
 * values from data are RFC 2047 encoded when not plain ASCII, attachment
 * names RFC 2231 encoded (with an RFC 2047 name= for old clients), and a
 * CR or LF in any value is turned into a space: data can never start a
 * header of its own.
 *
 * Errors: DUN_EINVAL (an address that is not one).
 */
#ifndef DUNMAIL_COMPOSE_H
#define DUNMAIL_COMPOSE_H

#include <stddef.h>

#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"

struct dun_compose_attachment {
	const char *filename;     /* borrowed; UTF-8 */
	const char *content_type; /* borrowed; "application/pdf" */
	const char *data;         /* borrowed */
	size_t len;
};

struct dun_compose_input {
	const char *from_name;    /* borrowed; display name, UTF-8 */
	const char *from_addr;    /* borrowed */
	const char *to_name;      /* borrowed; display name for every To */
	const char *const *to_addrs; /* borrowed */
	size_t nto;
	const char *subject;      /* borrowed; UTF-8 */
	const char *message_id;   /* borrowed; without <> */
	const char *in_reply_to;  /* borrowed; without <>, "" or NULL: none */
	const char *references;   /* borrowed; space-separated, without <> */
	const char *token;        /* borrowed; X-Dunmail-Token, or NULL */
	const char *reply_to;     /* borrowed; Reply-To address, or NULL */
	/* borrowed; List-Unsubscribe mailto address (the subject asks STOP
	 * with the token), or NULL for none */
	const char *unsubscribe_to;
	const char *language;     /* borrowed; Content-Language, or NULL */
	dun_time_t date;
	const char *date_tz;      /* borrowed; zone of the Date header */
	const char *text;         /* borrowed; text/plain, LF or CRLF */
	const char *html;         /* borrowed; text/html */
	const struct dun_compose_attachment *attachments; /* borrowed */
	size_t nattachments;
};

/* The message bytes; *out is the caller's. */
int dun_compose(char **out, size_t *len_out,
	const struct dun_compose_input *in);

/* Appends "Name: value" with value RFC 2047 encoded if it needs to be
 * and folded to 78 columns; CR and LF in value become spaces. */
void dun_compose_header(struct dun_buf *out, const char *name,
	const char *value);

/* Appends an address header "Name: display <addr>[, ...]". */
int dun_compose_address(struct dun_buf *out, const char *name,
	const char *display, const char *const *addrs, size_t naddrs);

/* Quoted-printable, CRLF line ends, lines of at most 76 characters. */
void dun_compose_qp(struct dun_buf *out, const char *text, size_t len);

/* Base64 in lines of 76 characters, each ended by CRLF. */
void dun_compose_base64(struct dun_buf *out, const void *data, size_t len);

/* n random characters from alphabet, NUL-terminated (out has n + 1). */
void dun_compose_random(char *out, size_t n, const char *alphabet);

/* Alphabets for tokens and Message-IDs: no 0/O or 1/I to misread. */
#define DUN_TOKEN_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define DUN_MSGID_ALPHABET "23456789abcdefghjkmnpqrstuvwxyz"

#endif
