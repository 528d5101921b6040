/*
 * Charsets to UTF-8 for the parser: label normalisation (GBK family to
 * GB18030, Big5 to CP950), iconv with invalid bytes replaced by U+FFFD,
 * and RFC 2047 encoded-word decoding. Never fails on bad input: what
 * cannot be decoded is replaced.
 */
#ifndef DUNMAIL_CHARSET_H
#define DUNMAIL_CHARSET_H

#include <stddef.h>

/* The iconv name to use for a MIME charset label, or NULL if unknown. */
const char *dun_charset_normalise(const char *label, char *buf,
	size_t buflen);

/*
 * Converts len bytes in charset label (NULL or unknown: UTF-8 if the bytes
 * are valid UTF-8, else Latin-1) to NUL-terminated valid UTF-8, at most
 * cap bytes of output (0 = no cap; longer output is cut at a character).
 * Caller frees.
 */
char *dun_charset_to_utf8(const char *label, const char *in, size_t len,
	size_t cap, size_t *len_out);

/*
 * Decodes an unfolded header value: RFC 2047 encoded-words (B and Q, any
 * charset, adjacent words joined without the whitespace between them,
 * bytes of adjacent words in one charset joined before conversion), and
 * raw 8-bit text in default_charset (NULL: UTF-8 or Latin-1). Result is
 * valid UTF-8 with control characters turned into spaces. Caller frees.
 */
char *dun_rfc2047_decode(const char *value, const char *default_charset);

/* Base64 and quoted-printable decoders that accept any input. */
char *dun_base64_decode(const char *in, size_t len, size_t *len_out);
char *dun_qp_decode(const char *in, size_t len, int header,
	size_t *len_out);

#endif
