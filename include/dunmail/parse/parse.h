/*
 * Reading what debtors really send: the MIME tree (libetpan mailmime),
 * charsets to UTF-8 (iconv), HTML to text (gumbo), RFC 2047/2231 decoding,
 * then the debtor's own words with quoted originals, forwarded headers,
 * signatures and disclaimers removed (quote.c), and detection of bounces
 * (RFC 3464 and plain-text MTA bounces) and auto-replies (RFC 3834 and
 * the usual headers and subjects).
 *
 * A message that cannot be parsed still yields a dun_parsed with
 * parse_error set and whatever could be read: it is never fatal.
 *
 * Errors: DUN_ETOOBIG (over the size cap).
 */
#ifndef DUNMAIL_PARSE_H
#define DUNMAIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"

enum dun_auto_kind {
	DUN_AUTO_NONE,
	DUN_AUTO_REPLY,   /* out of office, vacation, "we received your mail" */
	DUN_AUTO_BOUNCE,  /* a delivery status notification */
};

struct dun_bounce_rcpt {
	char *recipient;  /* owned; the failed address, lowercase */
	char *action;     /* owned; failed, delayed, ... */
	char *status;     /* owned; e.g. 5.1.1 */
	int hard;         /* 1 = permanent (5.x.x), 0 = soft */
};

struct dun_parsed {
	char *message_id;   /* owned; without <>, "" if none */
	char *in_reply_to;  /* owned; without <>, "" if none */
	char *references;   /* owned; space-separated ids without <> */
	char *subject;      /* owned; decoded to UTF-8 */
	char *from_addr;    /* owned; lowercase addr-spec, "" if none */
	char *from_name;    /* owned; decoded display name */
	dun_time_t date;    /* the Date header, 0 if missing or bad */
	long date_offset;   /* its zone offset in seconds east */

	char *body_text;    /* owned; the whole best text part, UTF-8 */
	char *text;         /* owned; the debtor's own words only, UTF-8 */
	int html_only;      /* the text came from text/html */

	enum dun_auto_kind auto_kind;
	int bounce_hard;    /* any recipient failed permanently */
	struct dun_bounce_rcpt *bounce_rcpts; /* owned */
	size_t nbounce_rcpts;
	char *bounced_message_id; /* owned; of our returned message, or "" */
	dun_date_t return_date;   /* auto-reply's return date, or NONE */
	char *auto_evidence;      /* owned; the header or words that told */

	char **attachment_names;  /* owned; decoded filenames */
	size_t nattachments;

	int parse_error;    /* the MIME structure was broken somewhere */
	char *error;        /* owned; what, for a person; "" if none */
};

struct dun_parse_opts {
	size_t max_size;          /* refuse bigger input; 0 = 32 MiB */
	/* The reminder this replies to (its text/plain), if known: any line
	 * of the reply identical to one of its lines is dropped. */
	const char *reminder_text;
};

int dun_parse_message(struct dun_parsed **out, const char *data, size_t len,
	const struct dun_parse_opts *opts);
void dun_parsed_free(struct dun_parsed *msg);

/* The quote and signature stripper on its own (quote.c). Caller frees. */
char *dun_quote_strip(const char *text, const char *reminder_text);

#endif
