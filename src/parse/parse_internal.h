/*
 * Shared between the parser's files (parse.c, html.c, detect.c, quote.c):
 * raw header lookup, HTML to text, and detection of automatic mail.
 * Not an interface for other modules.
 */
#ifndef DUNMAIL_PARSE_INTERNAL_H
#define DUNMAIL_PARSE_INTERNAL_H

#include <stddef.h>

#include "dunmail/parse/parse.h"

/* Caps on what one message may make us hold. */
#define PARSE_TEXT_CAP (8u << 20)     /* decoded text of one part */
#define PARSE_HTML_CAP (4u << 20)     /* HTML handed to gumbo */
#define PARSE_MAX_PARTS 1000          /* MIME parts looked at */
#define PARSE_MAX_ATTACH 200          /* attachment names kept */

/*
 * The value of the first header `name` in the header block hdrs (which
 * ends at the first empty line or at len), unfolded, with the leading
 * and trailing blanks removed; NULL if absent. Caller frees.
 */
char *parse__header(const char *hdrs, size_t len, const char *name);
/* Length of the header block at data, up to and including the blank line
 * (or len when there is none). */
size_t parse__header_len(const char *data, size_t len);
/* RFC 5322 date (with obsolete zones and common misspellings). */
int parse__date(const char *s, dun_time_t *out, long *offset_out);
/* First Message-ID-looking token <...> in s, without <>; NULL if none. */
char *parse__msgid(const char *s);
/* A copy of in without NUL bytes if it is valid UTF-8, else NULL. */
char *dun__utf8_copy_if_valid(const char *in, size_t len, size_t *len_out);

/*
 * HTML (UTF-8) to text: block elements make lines, script/style/head are
 * dropped. Quoted originals (blockquote, gmail_quote, Outlook's and QQ's
 * reply headers and what follows them) are kept but every line of them is
 * prefixed with "> ", so that the quote stripper removes them while
 * body_text still shows them. Caller frees.
 */
char *dun_html_to_text(const char *html, size_t len);

/* What detection looks at besides the parsed fields. */
struct detect_in {
	const char *hdrs;            /* top-level header block */
	size_t hdrs_len;
	int is_report;               /* multipart/report */
	char *report_type;           /* its report-type, lowercase, or NULL */
	char *dsn;                   /* message/delivery-status, decoded */
	size_t dsn_len;
	char *returned;              /* text/rfc822-headers or message/rfc822 */
	size_t returned_len;
};

/* Sets auto_kind, bounce_*, return_date, auto_evidence on p from its
 * headers, subject, body_text and the report parts. */
void dun_detect_run(struct dun_parsed *p, const struct detect_in *in);

#endif
