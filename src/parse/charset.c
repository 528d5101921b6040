/* Charsets to UTF-8: label normalisation, iconv with replacement, RFC 2047,
 * and transfer decodings that never refuse input. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dunmail/core/common.h"
#include "dunmail/parse/charset.h"
#include "parse_internal.h"

#define REPLACEMENT "\xef\xbf\xbd"

/* Labels that mail clients write and iconv spells differently, or that
 * name a subset of a bigger charset people really use under that label. */
static const struct {
	const char *label;
	const char *iconv;
} charset_aliases[] = {
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "cp936", "GB18030" },
	{ "x-gbk", "GB18030" }, { "euc-cn", "GB18030" },
	{ "x-euc-cn", "GB18030" }, { "csgb2312", "GB18030" },
	{ "gb_2312-80", "GB18030" }, { "ms936", "GB18030" },
	{ "windows-936", "GB18030" }, { "chinese", "GB18030" },
	{ "iso-ir-58", "GB18030" }, { "gb18030", "GB18030" },
	{ "x-mac-chinesesimp", "GB18030" }, { "hz-gb-2312", "HZ" },
	{ "big5", "CP950" }, { "big-5", "CP950" }, { "cn-big5", "CP950" },
	{ "x-x-big5", "CP950" }, { "csbig5", "CP950" }, { "x-big5", "CP950" },
	{ "cp950", "CP950" }, { "windows-950", "CP950" },
	{ "big5_tw", "CP950" }, { "big5-tw", "CP950" }, { "big5tw", "CP950" },
	{ "ms950", "CP950" }, { "big5-eten", "CP950" }, { "x-gb2312", "GB18030" },
	{ "gb_2312", "GB18030" }, { "gb2312-80", "GB18030" },
	{ "euc_cn", "GB18030" }, { "ms-936", "GB18030" },
	{ "big5-hkscs", "BIG5-HKSCS" }, { "big5hkscs", "BIG5-HKSCS" },
	{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "x-utf-8", "UTF-8" },
	{ "iso-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
	{ "iso8859-1", "WINDOWS-1252" }, { "iso_8859-1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" },
	{ "ks_c_5601-1987", "CP949" }, { "euc-kr", "CP949" },
	{ "ks_c_5601", "CP949" }, { "shift_jis", "CP932" },
	{ "x-sjis", "CP932" }, { "sjis", "CP932" }, { "windows-31j", "CP932" },
	{ "unicode-1-1-utf-7", "UTF-7" }, { "x-unicode20utf8", "UTF-8" },
	{ "tis-620", "CP874" }, { "windows-874", "CP874" },
};

/*
 * Conversion descriptors to UTF-8, one per charset, opened once per thread
 * and reused (iconv_open loads a gconv module each time): reset before
 * each use. Labels iconv does not know are remembered too.
 */
#define CD_CACHE 16
static __thread struct {
	char name[48];
	iconv_t cd;      /* (iconv_t)-1: iconv does not know it */
} cd_cache[CD_CACHE];
static __thread unsigned cd_used, cd_next;

static iconv_t
cd_get(const char *name)
{
	unsigned i;
	iconv_t cd;

	for (i = 0; i < cd_used; i++)
		if (strcmp(cd_cache[i].name, name) == 0) {
			cd = cd_cache[i].cd;
			if (cd != (iconv_t)-1)
				iconv(cd, NULL, NULL, NULL, NULL);
			return cd;
		}
	cd = iconv_open("UTF-8", name);
	if (cd_used < CD_CACHE)
		i = cd_used++;
	else {
		i = cd_next++ % CD_CACHE;
		if (cd_cache[i].cd != (iconv_t)-1)
			iconv_close(cd_cache[i].cd);
	}
	snprintf(cd_cache[i].name, sizeof(cd_cache[i].name), "%s", name);
	cd_cache[i].cd = cd;
	return cd;
}

/* Charsets in which ASCII bytes are ASCII characters: pure ASCII input
 * needs no conversion. Not UTF-7, HZ, ISO-2022-*, UTF-16/32, EBCDIC. */
static int
ascii_compatible(const char *name)
{
	static const char *const prefixes[] = { "UTF-8", "GB18030", "GBK",
		"CP950", "BIG5", "WINDOWS-", "ISO-8859-", "ISO8859-", "CP125",
		"CP949", "CP932", "CP874", "KOI8", "EUC-", "SHIFT" };
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(prefixes); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static int
all_ascii(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] >= 0x80)
			return 0;
	return 1;
}

const char *
dun_charset_normalise(const char *label, char *buf, size_t buflen)
{
	char low[48];
	size_t i, n;
	iconv_t cd;

	if (label == NULL)
		return NULL;
	while (*label == ' ' || *label == '\t' || *label == '"' ||
	    *label == '\'')
		label++;
	for (n = 0; label[n] && label[n] != '"' && label[n] != '\'' &&
	    label[n] != ' ' && label[n] != ';' && label[n] != '*'; n++) {
		char c = label[n];
		if (n + 1 >= sizeof(low))
			return NULL;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == ':'))
			return NULL;
		low[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	low[n] = '\0';
	if (n == 0 || strcmp(low, "us-ascii") == 0 || strcmp(low, "ascii") == 0
	    || strcmp(low, "ansi_x3.4-1968") == 0 || strcmp(low, "unknown") == 0
	    || strcmp(low, "unknown-8bit") == 0 || strcmp(low, "x-unknown") == 0
	    || strcmp(low, "default") == 0)
		return NULL;
	for (i = 0; i < DUN_ARRAY_SIZE(charset_aliases); i++)
		if (strcmp(low, charset_aliases[i].label) == 0)
			return charset_aliases[i].iconv;
	if (buflen <= n)
		return NULL;
	memcpy(buf, low, n + 1);
	for (i = 0; i < n; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] = (char)(buf[i] - 'a' + 'A');
	/* Labels glibc does not know are as good as none. */
	if ((cd = cd_get(buf)) == (iconv_t)-1)
		return NULL;
	return buf;
}

/* Latin-1 to UTF-8, two bytes at most per input byte. */
static void
latin1_to_utf8(struct dun_buf *out, const unsigned char *in, size_t len)
{
	char pair[2];
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] < 0x80) {
			if (dun_buf_add(out, in + i, 1) < 0)
				return;
			continue;
		}
		pair[0] = (char)(0xc0 | (in[i] >> 6));
		pair[1] = (char)(0x80 | (in[i] & 0x3f));
		if (dun_buf_add(out, pair, 2) < 0)
			return;
	}
}

static void
iconv_to_utf8(struct dun_buf *out, iconv_t cd, const char *in, size_t len)
{
	char chunk[4096], *ip = (char *)in, *op;
	size_t ileft = len, oleft, r;

	while (ileft > 0) {
		op = chunk;
		oleft = sizeof(chunk);
		r = iconv(cd, &ip, &ileft, &op, &oleft);
		if (dun_buf_add(out, chunk, sizeof(chunk) - oleft) < 0)
			return;
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ: one bad byte; EINVAL: a cut sequence at the end. */
		if (dun_buf_add(out, REPLACEMENT, 3) < 0)
			return;
		if (errno == EINVAL) {
			ileft = 0;
			break;
		}
		ip++;
		ileft--;
		/* Reset the shift state after an error. */
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = chunk;
	oleft = sizeof(chunk);
	if (iconv(cd, NULL, NULL, &op, &oleft) != (size_t)-1)
		dun_buf_add(out, chunk, sizeof(chunk) - oleft);
}

/* A copy of valid UTF-8 without NUL bytes, or NULL if in is not valid. */
char *
dun__utf8_copy_if_valid(const char *in, size_t len, size_t *len_out)
{
	char *out;
	const char *p;
	size_t n = 0;

	if (!dun_utf8_valid(in, len))
		return NULL;
	out = xmalloc(len + 1);
	/* memchr is fast; NUL bytes are rare. */
	while (len > 0 && (p = memchr(in, '\0', len)) != NULL) {
		memcpy(out + n, in, (size_t)(p - in));
		n += (size_t)(p - in);
		len -= (size_t)(p - in) + 1;
		in = p + 1;
	}
	memcpy(out + n, in, len);
	n += len;
	out[n] = '\0';
	if (len_out)
		*len_out = n;
	return out;
}

char *
dun_charset_to_utf8(const char *label, const char *in, size_t len,
    size_t cap, size_t *len_out)
{
	struct dun_buf raw;
	char namebuf[48], *clean = NULL, *p, *q;
	const char *name;
	size_t clen;
	iconv_t cd = (iconv_t)-1;

	dun_buf_init(&raw, 0);
	name = dun_charset_normalise(label, namebuf, sizeof(namebuf));
	if (name == NULL || strcmp(name, "UTF-8") == 0 ||
	    (ascii_compatible(name) && all_ascii(in, len))) {
		/* The common case: nothing to convert. */
		clean = dun__utf8_copy_if_valid(in, len, &clen);
		if (clean == NULL && name == NULL)
			latin1_to_utf8(&raw, (const unsigned char *)in, len);
		else if (clean == NULL)
			dun_buf_add(&raw, in, len);
	} else if ((cd = cd_get(name)) != (iconv_t)-1)
		iconv_to_utf8(&raw, cd, in, len);
	else
		dun_buf_add(&raw, in, len);

	if (clean == NULL) {
		clean = dun_utf8_sanitize(raw.data ? raw.data : "", raw.len,
		    &clen);
		/* NUL bytes would cut the C string: drop them. */
		for (p = q = clean; p < clean + clen; p++)
			if (*p != '\0')
				*q++ = *p;
		*q = '\0';
		clen = (size_t)(q - clean);
	}
	dun_buf_free(&raw);
	if (cap && clen > cap) {
		clen = cap;
		while (clen > 0 && ((unsigned char)clean[clen] & 0xc0) == 0x80)
			clen--;
		clean[clen] = '\0';
	}
	if (len_out)
		*len_out = clen;
	return clean;
}

/* Base64 digits (standard and URL-safe) to values, -1 for the rest: a
 * table, as this runs over every byte of most bodies. */
static const signed char b64_table[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

char *
dun_base64_decode(const char *in, size_t len, size_t *len_out)
{
	char *out = xmalloc(len / 4 * 3 + 4);
	size_t i, o = 0;
	unsigned int acc = 0;
	int bits = 0, v;

	for (i = 0; i < len; i++) {
		if (in[i] == '=')
			break;
		if ((v = b64_table[(unsigned char)in[i]]) < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (len_out)
		*len_out = o;
	return out;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
dun_qp_decode(const char *in, size_t len, int header, size_t *len_out)
{
	char *out = xmalloc(len + 1);
	size_t i, o = 0, j;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (header && c == '_') {
			out[o++] = ' ';
			continue;
		}
		if (c != '=') {
			out[o++] = (char)c;
			continue;
		}
		if (i + 2 < len + 0 && (hi = hex_value((unsigned char)in[i + 1]))
		    >= 0 && (lo = hex_value((unsigned char)in[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
			continue;
		}
		if (i + 2 == len && (hi = hex_value((unsigned char)in[i + 1]))
		    >= 0) {
			out[o++] = '=';
			continue;
		}
		/* Soft line break: "=" then optional blanks, then EOL. */
		for (j = i + 1; j < len && (in[j] == ' ' || in[j] == '\t'); j++)
			;
		if (j < len && in[j] == '\r')
			j++;
		if (j < len && in[j] == '\n') {
			i = j;
			continue;
		}
		if (j >= len) {
			i = len;
			break;
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	if (len_out)
		*len_out = o;
	return out;
}

/* One RFC 2047 encoded-word at s: charset, encoding and text bounds. */
struct eword {
	const char *cs, *text;
	size_t cslen, textlen, total;
	char enc;
};

static int
eword_scan(struct eword *w, const char *s)
{
	const char *p, *end;

	if (s[0] != '=' || s[1] != '?')
		return 0;
	w->cs = s + 2;
	for (p = w->cs; *p && *p != '?'; p++)
		if (*p == ' ' || *p == '\t' || p - w->cs > 40)
			return 0;
	if (*p != '?' || p == w->cs)
		return 0;
	w->cslen = (size_t)(p - w->cs);
	w->enc = p[1];
	if (!(w->enc == 'B' || w->enc == 'b' || w->enc == 'Q' ||
	    w->enc == 'q') || p[2] != '?')
		return 0;
	w->text = p + 3;
	end = strstr(w->text, "?=");
	if (end == NULL)
		return 0;
	w->textlen = (size_t)(end - w->text);
	w->total = (size_t)(end + 2 - s);
	return 1;
}

static void
flush_pending(struct dun_buf *out, struct dun_buf *pend, const char *cs)
{
	char *u;
	size_t n;

	if (pend->len == 0)
		return;
	u = dun_charset_to_utf8(cs, pend->data, pend->len, 0, &n);
	dun_buf_add(out, u, n);
	free(u);
	dun_buf_clear(pend);
}

#define HEADER_CAP (64u << 10)

char *
dun_rfc2047_decode(const char *value, const char *default_charset)
{
	struct dun_buf out, pend;
	struct eword w;
	char cs[48] = "", *dec, *p;
	const char *s = value, *lit;
	size_t n;
	int last_word = 0;

	dun_buf_init(&out, HEADER_CAP);
	dun_buf_init(&pend, HEADER_CAP);
	while (*s) {
		if (eword_scan(&w, s)) {
			char wcs[48];
			size_t l = w.cslen;
			const char *star = memchr(w.cs, '*', w.cslen);
			if (star)
				l = (size_t)(star - w.cs);   /* RFC 2231 lang */
			if (l >= sizeof(wcs))
				l = sizeof(wcs) - 1;
			memcpy(wcs, w.cs, l);
			wcs[l] = '\0';
			if (strcasecmp(wcs, cs) != 0) {
				flush_pending(&out, &pend, cs);
				snprintf(cs, sizeof(cs), "%s", wcs);
			}
			if (w.enc == 'B' || w.enc == 'b')
				dec = dun_base64_decode(w.text, w.textlen, &n);
			else
				dec = dun_qp_decode(w.text, w.textlen, 1, &n);
			dun_buf_add(&pend, dec, n);
			free(dec);
			s += w.total;
			last_word = 1;
			continue;
		}
		/* Literal run up to the next encoded-word candidate. */
		lit = s;
		do
			s++;
		while (*s && !(s[0] == '=' && s[1] == '?'));
		if (last_word) {
			const char *q = lit;
			while (q < s && (*q == ' ' || *q == '\t' || *q == '\r' ||
			    *q == '\n'))
				q++;
			if (q == s && *s && eword_scan(&w, s))
				continue;  /* blanks between two words */
		}
		flush_pending(&out, &pend, cs);
		cs[0] = '\0';
		last_word = 0;
		dec = dun_charset_to_utf8(default_charset, lit, (size_t)(s - lit),
		    0, &n);
		dun_buf_add(&out, dec, n);
		free(dec);
	}
	flush_pending(&out, &pend, cs);
	dun_buf_free(&pend);
	p = dun_buf_detach(&out, &n);
	/* Headers never carry control characters onward. */
	for (dec = p; *dec; dec++)
		if ((unsigned char)*dec < 0x20 || *dec == 0x7f)
			*dec = ' ';
	/* A cap cut may have split a character. */
	if (!dun_utf8_valid(p, strlen(p))) {
		dec = dun_utf8_sanitize(p, strlen(p), NULL);
		free(p);
		p = dec;
	}
	return p;
}
