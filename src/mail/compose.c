/* RFC 5322 / MIME composition by hand; see compose.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/compose.h"

#define FOLD_AT 78          /* RFC 5322's SHOULD; 998 is the MUST */
#define ENCODED_WORD_MAX 75 /* RFC 2047 */
#define QP_LINE 76

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
dun_compose_random(char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet), i = 0, j;
	unsigned char buf[64];
	ssize_t got;
	/* Reject the top of the byte range so every symbol is as likely. */
	unsigned limit = 256 - 256 % (unsigned)k;

	while (i < n) {
		got = getrandom(buf, sizeof(buf), 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		for (j = 0; j < (size_t)got && i < n; j++)
			if (buf[j] < limit)
				out[i++] = alphabet[buf[j] % k];
	}
	out[n] = '\0';
}

void
dun_compose_base64(struct dun_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char line[78];
	size_t i, n;

	/* A line at a time: 57 bytes in, 76 characters and CRLF out. */
	for (i = 0; i < len; i += 57) {
		size_t chunk = len - i < 57 ? len - i : 57, j;

		for (j = 0, n = 0; j < chunk; j += 3) {
			unsigned v = (unsigned)p[i + j] << 16;
			if (j + 1 < chunk)
				v |= (unsigned)p[i + j + 1] << 8;
			if (j + 2 < chunk)
				v |= p[i + j + 2];
			line[n++] = b64chars[v >> 18 & 63];
			line[n++] = b64chars[v >> 12 & 63];
			line[n++] = j + 1 < chunk ? b64chars[v >> 6 & 63] :
			    '=';
			line[n++] = j + 2 < chunk ? b64chars[v & 63] : '=';
		}
		line[n++] = '\r';
		line[n++] = '\n';
		dun_buf_add(out, line, n);
	}
}

/* Base64 without line breaks, for encoded-words. */
static void
b64_inline(struct dun_buf *out, const unsigned char *p, size_t len)
{
	struct dun_buf tmp = DUN_BUF_INIT;

	dun_compose_base64(&tmp, p, len);
	while (tmp.len && (tmp.data[tmp.len - 1] == '\n' ||
	    tmp.data[tmp.len - 1] == '\r'))
		tmp.len--;
	dun_buf_add(out, tmp.data, tmp.len);
	dun_buf_free(&tmp);
}

static int
qp_needs(unsigned char c, size_t col, int last, const char *rest)
{
	if (c == '=' || c > 126 || (c < 32 && c != '\t'))
		return 1;
	if ((c == ' ' || c == '\t') && last)
		return 1;
	/* A line starting "." or "From " survives SMTP and mbox unharmed
	 * when encoded. */
	if (col == 0 && (c == '.' || (c == 'F' && strncmp(rest, "From ",
	    5) == 0)))
		return 1;
	return 0;
}

void
dun_compose_qp(struct dun_buf *out, const char *text, size_t len)
{
	size_t i = 0, eol, col;

	while (i < len) {
		for (eol = i; eol < len && text[eol] != '\n'; eol++)
			;
		size_t end = eol;
		if (end > i && text[end - 1] == '\r')
			end--;
		col = 0;
		for (; i < end; i++) {
			unsigned char c = (unsigned char)text[i];
			int enc = qp_needs(c, col, i + 1 == end, text + i);
			size_t piece = enc ? 3 : 1;
			if (col + piece > QP_LINE - 1) {
				dun_buf_puts(out, "=\r\n");
				col = 0;
				enc = qp_needs(c, col, i + 1 == end, text + i);
				piece = enc ? 3 : 1;
			}
			if (enc)
				dun_buf_printf(out, "=%02X", c);
			else
				dun_buf_add(out, &c, 1);
			col += piece;
		}
		dun_buf_puts(out, "\r\n");
		i = eol + 1;
	}
}

/* The value with CR, LF and other controls made spaces and invalid
 * UTF-8 replaced: nothing in it can end the header line. */
static char *
header_clean(const char *value)
{
	char *s = dun_utf8_sanitize(value ? value : "", strlen(value ? value :
	    ""), NULL);
	unsigned char *p;

	for (p = (unsigned char *)s; *p; p++)
		if (*p < 32 || *p == 127)
			*p = ' ';
	return s;
}

static int
needs_encoding(const char *s)
{
	const unsigned char *p;
	size_t word = 0;

	if (strstr(s, "=?"))
		return 1;
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80)
			return 1;
		word = *p == ' ' ? 0 : word + 1;
		if (word > FOLD_AT - 10)
			return 1;
	}
	return 0;
}

static size_t
utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* RFC 2047 B encoded-words, each within 75 characters and folded so no
 * line passes 76; *col tracks the current column. */
static void
encode_words(struct dun_buf *out, const char *s, size_t *col)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t room = FOLD_AT - 2 - *col, take = 0, bytes;
		if (room > ENCODED_WORD_MAX)
			room = ENCODED_WORD_MAX;
		if (room < 12 + 8) {
			dun_buf_puts(out, "\r\n ");
			*col = 1;
			continue;
		}
		bytes = (room - 12) / 4 * 3;
		while (i + take < len) {
			size_t n = utf8_len(p[i + take]);
			if (take + n > bytes)
				break;
			take += n;
		}
		/* A word is not cut in two: the word ends the encoded-word
		 * with its space (readers that show a break between
		 * encoded-words then break between words). Text without
		 * spaces (Chinese) is cut between characters. */
		if (i + take < len && p[i + take] != ' ') {
			size_t sp = take;
			while (sp > 0 && p[i + sp - 1] != ' ')
				sp--;
			if (sp > 0)
				take = sp;
		}
		if (take == 0)
			take = utf8_len(p[i]);
		dun_buf_puts(out, "=?UTF-8?B?");
		b64_inline(out, p + i, take);
		dun_buf_puts(out, "?=");
		*col += 12 + (take + 2) / 3 * 4;
		i += take;
		if (i < len) {
			dun_buf_puts(out, "\r\n ");
			*col = 1;
		}
	}
}

/* Plain ASCII words folded at spaces. */
static void
fold_words(struct dun_buf *out, const char *s, size_t *col)
{
	const char *p = s, *sp;
	size_t n;
	int first = 1;

	while (*p) {
		sp = strchr(p, ' ');
		n = sp ? (size_t)(sp - p) : strlen(p);
		if (!first) {
			if (*col + 1 + n > FOLD_AT) {
				dun_buf_puts(out, "\r\n ");
				*col = 1;
			} else {
				dun_buf_puts(out, " ");
				(*col)++;
			}
		}
		dun_buf_add(out, p, n);
		*col += n;
		first = 0;
		p += n;
		if (*p == ' ')
			p++;
	}
}

void
dun_compose_header(struct dun_buf *out, const char *name, const char *value)
{
	char *v = header_clean(value);
	size_t col = strlen(name) + 2;

	dun_buf_printf(out, "%s: ", name);
	if (needs_encoding(v))
		encode_words(out, v, &col);
	else
		fold_words(out, v, &col);
	dun_buf_puts(out, "\r\n");
	free(v);
}

static int
addr_ok(const char *a)
{
	const char *at = strrchr(a, '@');
	const unsigned char *p;

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
		return 0;
	for (p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p >= 127 || strchr("<>\"(),;:\\[]", *p))
			return 0;
	return 1;
}

/* A display name as a quoted-string, folded at its spaces (FWS inside a
 * quoted-string, RFC 5322 3.2.4) so no line passes FOLD_AT. Its words
 * are short: needs_encoding() sends longer ones to encode_words(). */
static void
put_quoted_folded(struct dun_buf *out, const char *s, size_t *col)
{
	const char *p = s;
	size_t n, w, i;
	int first = 1;

	dun_buf_puts(out, "\"");
	(*col)++;
	for (;;) {
		n = strcspn(p, " ");
		for (i = 0, w = n; i < n; i++)
			w += p[i] == '"' || p[i] == '\\';
		if (!first) {
			/* Room for the word and the closing quote. */
			if (*col + 1 + w + 1 > FOLD_AT) {
				dun_buf_puts(out, "\r\n ");
				*col = 1;
			} else {
				dun_buf_puts(out, " ");
				(*col)++;
			}
		}
		for (i = 0; i < n; i++) {
			if (p[i] == '"' || p[i] == '\\')
				dun_buf_puts(out, "\\");
			dun_buf_add(out, p + i, 1);
		}
		*col += w;
		first = 0;
		p += n;
		if (*p == '\0')
			break;
		p++;
	}
	dun_buf_puts(out, "\"");
	(*col)++;
}

int
dun_compose_address(struct dun_buf *out, const char *name,
    const char *display, const char *const *addrs, size_t naddrs)
{
	char *d = header_clean(display);
	size_t i, col, alen;

	for (i = 0; i < naddrs; i++)
		if (!addr_ok(addrs[i])) {
			free(d);
			return dun_error_set(DUN_EINVAL, "'%s' is not an "
			    "e-mail address dunmail will write to", addrs[i]);
		}
	dun_buf_printf(out, "%s: ", name);
	col = strlen(name) + 2;
	for (i = 0; i < naddrs; i++) {
		if (i) {
			dun_buf_puts(out, ",\r\n ");
			col = 1;
		}
		/* A long name folds like any header (a 1,707-character
		 * name once made one 1,707-octet line; RFC 5322 allows 998). */
		if (*d && needs_encoding(d))
			encode_words(out, d, &col);
		else if (*d)
			put_quoted_folded(out, d, &col);
		alen = strlen(addrs[i]) + 2;
		if (*d && col + 1 + alen > FOLD_AT) {
			dun_buf_puts(out, "\r\n ");
			col = 1;
		} else if (*d) {
			dun_buf_puts(out, " ");
			col++;
		}
		dun_buf_printf(out, "<%s>", addrs[i]);
		col += alen;
	}
	dun_buf_puts(out, "\r\n");
	free(d);
	return 0;
}

/* A msg-id's characters only; anything else is dropped. */
static void
put_msgid(struct dun_buf *out, const char *id, size_t n)
{
	size_t i;

	dun_buf_puts(out, "<");
	for (i = 0; i < n; i++)
		if ((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' &&
		    id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') ||
		    strchr(".!#$%&'*+/=?^_`{|}~@-", id[i]))
			dun_buf_add(out, id + i, 1);
	dun_buf_puts(out, ">");
}

static void
header_ids(struct dun_buf *out, const char *name, const char *ids)
{
	const char *p = ids, *e;
	size_t col = strlen(name) + 1, n;

	dun_buf_printf(out, "%s:", name);
	while (*p) {
		while (*p == ' ' || *p == '<' || *p == '>')
			p++;
		for (e = p; *e && *e != ' '; e++)
			;
		n = (size_t)(e - p);
		while (n && p[n - 1] == '>')
			n--;
		if (n) {
			if (col + n + 3 > FOLD_AT) {
				dun_buf_puts(out, "\r\n");
				col = 0;
			}
			dun_buf_puts(out, " ");
			put_msgid(out, p, n);
			col += n + 3;
		}
		p = e;
	}
	dun_buf_puts(out, "\r\n");
}

static int
ascii_plain(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 32 || *p >= 127)
			return 0;
	return 1;
}

/* RFC 2231 attribute-char: what may stand unencoded. */
static int
attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c && strchr("!#$&+-.^_`|~", c));
}

static void
put_quoted(struct dun_buf *out, const char *s)
{
	dun_buf_puts(out, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			dun_buf_puts(out, "\\");
		dun_buf_add(out, s, 1);
	}
	dun_buf_puts(out, "\"");
}

/* One character, percent-encoded where RFC 2231 wants it. */
static void
enc_char(struct dun_buf *out, const unsigned char *p, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (attr_char(p[k]))
			dun_buf_add(out, p + k, 1);
		else
			dun_buf_printf(out, "%%%02X", p[k]);
}

/* filename*=UTF-8''... split into filename*0*=, filename*1*=, ... when
 * long. A segment ends between characters, never inside one: a reader
 * that decodes each segment on its own (RFC 2231 allows it) still sees
 * whole characters. */
static void
param_2231(struct dun_buf *out, const char *attr, const char *value)
{
	struct dun_buf enc = DUN_BUF_INIT, seg = DUN_BUF_INIT, ch;
	const unsigned char *p = (const unsigned char *)value;
	size_t i, n, len = strlen(value), nseg = 0, limit;

	dun_buf_puts(&enc, "UTF-8''");
	enc_char(&enc, p, len);
	limit = FOLD_AT - 2 - strlen(attr) - 6;
	if (enc.len <= limit) {
		dun_buf_printf(out, ";\r\n %s*=%s", attr, enc.data);
		dun_buf_free(&enc);
		return;
	}
	dun_buf_free(&enc);
	dun_buf_puts(&seg, "UTF-8''");
	for (i = 0; i < len; i += n) {
		n = utf8_len(p[i]);
		if (i + n > len)
			n = len - i;
		memset(&ch, 0, sizeof(ch));
		enc_char(&ch, p + i, n);
		if (seg.len > 0 && seg.len + ch.len > limit) {
			dun_buf_printf(out, ";\r\n %s*%zu*=%s", attr, nseg++,
			    seg.data);
			seg.len = 0;
			seg.data[0] = '\0';
		}
		dun_buf_add(&seg, ch.data, ch.len);
		dun_buf_free(&ch);
	}
	if (seg.len > 0)
		dun_buf_printf(out, ";\r\n %s*%zu*=%s", attr, nseg, seg.data);
	dun_buf_free(&seg);
}

static void
put_attachment(struct dun_buf *out, const char *boundary,
    const struct dun_compose_attachment *a)
{
	char *name = header_clean(a->filename);
	size_t col;

	dun_buf_printf(out, "--%s\r\nContent-Type: %s", boundary,
	    a->content_type ? a->content_type : "application/octet-stream");
	if (ascii_plain(name) && !strstr(name, "=?") &&
	    strlen(name) < FOLD_AT - 12) {
		dun_buf_puts(out, ";\r\n name=");
		put_quoted(out, name);
		dun_buf_puts(out, "\r\nContent-Disposition: attachment;\r\n "
		    "filename=");
		put_quoted(out, name);
	} else {
		/* Old clients read name= as RFC 2047 inside quotes; new ones
		 * read filename*= (RFC 2231). */
		dun_buf_puts(out, ";\r\n name=\"");
		col = 8;
		encode_words(out, name, &col);
		dun_buf_puts(out, "\"\r\nContent-Disposition: attachment");
		param_2231(out, "filename", name);
	}
	dun_buf_puts(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	dun_compose_base64(out, a->data, a->len);
	free(name);
}

/* Text mostly outside ASCII (Chinese) is a third the size in base64
 * and no less readable raw; the rest stays quoted-printable. */
static int
mostly_8bit(const char *text, size_t len)
{
	size_t i, high = 0;

	for (i = 0; i < len; i++)
		high += (unsigned char)text[i] >= 0x80;
	return high * 4 > len;
}

static void
put_text_part(struct dun_buf *out, const char *boundary, const char *type,
    const char *text)
{
	struct dun_buf crlf = DUN_BUF_INIT;
	size_t len = text ? strlen(text) : 0, i;

	dun_buf_printf(out, "--%s\r\nContent-Type: %s; charset=UTF-8\r\n",
	    boundary, type);
	if (!mostly_8bit(text, len)) {
		dun_buf_puts(out, "Content-Transfer-Encoding: quoted-printable"
		    "\r\n\r\n");
		dun_compose_qp(out, text ? text : "", len);
		return;
	}
	/* Line ends are CRLF in the canonical form that base64 carries. */
	dun_buf_puts(&crlf, "");
	for (i = 0; i < len; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			dun_buf_puts(&crlf, "\r");
		dun_buf_add(&crlf, text + i, 1);
	}
	dun_buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
	dun_compose_base64(out, crlf.data, crlf.len);
	dun_buf_free(&crlf);
}

int
dun_compose(char **out, size_t *len_out, const struct dun_compose_input *in)
{
	struct dun_buf b = DUN_BUF_INIT;
	char date[64], hash[DUN_SHA256_HEX], mixed[48], alt[48];
	const char *from[1] = { in->from_addr };
	size_t i;
	int rc;

	*out = NULL;
	*len_out = 0;
	/* Boundaries start "=_", which quoted-printable and base64 can
	 * never produce; derived from the Message-ID, they make the bytes
	 * a pure function of the input. */
	dun_sha256_hex(hash, in->message_id, strlen(in->message_id));
	snprintf(mixed, sizeof(mixed), "=_dun_mixed_%.24s", hash);
	snprintf(alt, sizeof(alt), "=_dun_alt_%.24s", hash);

	dun_time_format_rfc5322(date, sizeof(date), in->date,
	    in->date_tz ? in->date_tz : "UTC");
	dun_buf_printf(&b, "Date: %s\r\n", date);
	if ((rc = dun_compose_address(&b, "From", in->from_name, from,
	    1)) < 0 ||
	    (rc = dun_compose_address(&b, "To", in->to_name, in->to_addrs,
	    in->nto)) < 0)
		goto fail;
	if (in->reply_to && *in->reply_to) {
		const char *rt[1] = { in->reply_to };
		if ((rc = dun_compose_address(&b, "Reply-To", NULL, rt,
		    1)) < 0)
			goto fail;
	}
	dun_compose_header(&b, "Subject", in->subject);
	header_ids(&b, "Message-ID", in->message_id);
	if (in->in_reply_to && *in->in_reply_to)
		header_ids(&b, "In-Reply-To", in->in_reply_to);
	if (in->references && *in->references)
		header_ids(&b, "References", in->references);
	if (in->token && *in->token)
		dun_compose_header(&b, "X-Dunmail-Token", in->token);
	if (in->unsubscribe_to && *in->unsubscribe_to) {
		if (!addr_ok(in->unsubscribe_to)) {
			rc = dun_error_set(DUN_EINVAL, "bad List-Unsubscribe "
			    "address");
			goto fail;
		}
		/* The reply it writes is a STOP with the token, which the
		 * classifier's en.optout.subject rule takes as an opt-out. */
		dun_buf_printf(&b, "List-Unsubscribe: <mailto:%s?subject=STOP",
		    in->unsubscribe_to);
		if (in->token && *in->token && ascii_plain(in->token))
			dun_buf_printf(&b, "%%20%%5Bref%%3A%s%%5D", in->token);
		dun_buf_puts(&b, ">\r\n");
	}
	if (in->language && *in->language && ascii_plain(in->language))
		dun_compose_header(&b, "Content-Language", in->language);
	dun_buf_puts(&b, "MIME-Version: 1.0\r\n");
	if (in->nattachments)
		dun_buf_printf(&b, "Content-Type: multipart/mixed;\r\n "
		    "boundary=\"%s\"\r\n\r\nThis is a multipart message in "
		    "MIME format.\r\n\r\n--%s\r\n", mixed, mixed);
	dun_buf_printf(&b, "Content-Type: multipart/alternative;\r\n "
	    "boundary=\"%s\"\r\n\r\n", alt);
	if (!in->nattachments)
		dun_buf_puts(&b, "This is a multipart message in MIME "
		    "format.\r\n\r\n");
	put_text_part(&b, alt, "text/plain", in->text);
	put_text_part(&b, alt, "text/html", in->html);
	dun_buf_printf(&b, "--%s--\r\n", alt);
	if (in->nattachments) {
		for (i = 0; i < in->nattachments; i++) {
			dun_buf_puts(&b, "\r\n");
			put_attachment(&b, mixed, &in->attachments[i]);
		}
		dun_buf_printf(&b, "\r\n--%s--\r\n", mixed);
	}
	*out = dun_buf_detach(&b, len_out);
	return 0;
fail:
	dun_buf_free(&b);
	return rc;
}
