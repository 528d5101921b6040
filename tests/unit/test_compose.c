/* MIME composition read back at the byte level: CRLF only, line lengths,
 * boundaries, RFC 2047 subjects and names, RFC 2231 file names, QP and
 * base64 bodies, and data that tries to start a header of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/mail/compose.h"
#include "testutil.h"

/* --- little decoders, independent of the encoder ---------------------- */

static int
b64val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = strchr(a, c);

	return c && p ? (int)(p - a) : -1;
}

/* Decodes base64, skipping CR/LF; returns the length. */
static size_t
b64_decode(char *out, const char *in, size_t len)
{
	unsigned v = 0;
	int bits = 0, d;
	size_t n = 0, i;

	for (i = 0; i < len; i++) {
		if (in[i] == '=' )
			break;
		if ((d = b64val(in[i])) < 0)
			continue;
		v = v << 6 | (unsigned)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (char)(v >> bits & 0xff);
		}
	}
	out[n] = '\0';
	return n;
}

static size_t
qp_decode(char *out, const char *in, size_t len)
{
	size_t i, n = 0;
	unsigned v;

	for (i = 0; i < len; i++) {
		if (in[i] == '=' && i + 2 < len && in[i + 1] == '\r' &&
		    in[i + 2] == '\n') {
			i += 2;
		} else if (in[i] == '=' && i + 2 < len &&
		    sscanf(in + i + 1, "%2x", &v) == 1) {
			out[n++] = (char)v;
			i += 2;
		} else
			out[n++] = in[i];
	}
	out[n] = '\0';
	return n;
}

/* The unfolded value of header name (first occurrence), or NULL. */
static char *
header_get(const char *msg, const char *name)
{
	const char *p = msg, *end;
	size_t nl = strlen(name);
	struct dun_buf b = DUN_BUF_INIT;

	while (p && strncmp(p, "\r\n", 2) != 0) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			for (;;) {
				end = strstr(p, "\r\n");
				dun_buf_add(&b, p, (size_t)(end - p));
				p = end + 2;
				if (*p != ' ' && *p != '\t')
					break;
			}
			return dun_buf_detach(&b, NULL);
		}
		p = strstr(p, "\r\n");
		p = p ? p + 2 : NULL;
	}
	return NULL;
}

/* Decodes every =?UTF-8?B?...?= in s, dropping the space between
 * adjacent encoded-words, and checks each is within 75 characters. */
static char *
decode_2047(const char *s)
{
	struct dun_buf b = DUN_BUF_INIT;
	char tmp[256];
	const char *p = s, *q, *e;
	int last_word = 0;

	dun_buf_puts(&b, "");
	while (*p) {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0 &&
		    (e = strstr(p + 10, "?=")) != NULL) {
			assert_true(e + 2 - p <= 75);
			dun_buf_add(&b, tmp, b64_decode(tmp, p + 10,
			    (size_t)(e - p - 10)));
			p = e + 2;
			last_word = 1;
			continue;
		}
		if (last_word && *p == ' ') {
			for (q = p; *q == ' '; q++)
				;
			if (strncmp(q, "=?", 2) == 0) {
				p = q;
				continue;
			}
		}
		dun_buf_add(&b, p, 1);
		p++;
		last_word = 0;
	}
	return dun_buf_detach(&b, NULL);
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* filename*= or filename*0*= filename*1*= ... from a header value. */
static char *
decode_2231(const char *value, const char *attr)
{
	struct dun_buf raw = DUN_BUF_INIT, out = DUN_BUF_INIT;
	char key[64];
	const char *p, *e;
	size_t i;
	int seg;

	snprintf(key, sizeof(key), "%s*=", attr);
	if ((p = strstr(value, key)) != NULL) {
		p += strlen(key);
		e = p + strcspn(p, "; ");
		dun_buf_add(&raw, p, (size_t)(e - p));
	} else
		for (seg = 0;; seg++) {
			snprintf(key, sizeof(key), "%s*%d*=", attr, seg);
			if ((p = strstr(value, key)) == NULL)
				break;
			p += strlen(key);
			e = p + strcspn(p, "; ");
			dun_buf_add(&raw, p, (size_t)(e - p));
		}
	assert_non_null(raw.data);
	assert_true(dun_str_has_prefix(raw.data, "UTF-8''"));
	dun_buf_puts(&out, "");
	for (i = 7; i < raw.len; i++) {
		if (raw.data[i] == '%' && i + 2 < raw.len + 1) {
			char c = (char)(hexval(raw.data[i + 1]) << 4 |
			    hexval(raw.data[i + 2]));
			dun_buf_add(&out, &c, 1);
			i += 2;
		} else
			dun_buf_add(&out, raw.data + i, 1);
	}
	dun_buf_free(&raw);
	return dun_buf_detach(&out, NULL);
}

/* CRLF only, and no line over max octets. */
static void
check_lines(const char *data, size_t len, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (data[i] == '\r') {
			assert_true(i + 1 < len && data[i + 1] == '\n');
			assert_true(col <= max);
			col = 0;
			i++;
			continue;
		}
		assert_true(data[i] != '\n');
		col++;
	}
	assert_int_equal(col, 0);
}

/* The body of the part whose headers contain marker. */
static char *
part_body(const char *msg, const char *marker, const char *boundary)
{
	const char *p = strstr(msg, marker), *body, *end;
	char delim[96];

	assert_non_null(p);
	body = strstr(p, "\r\n\r\n") + 4;
	snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	end = strstr(body, delim);
	assert_non_null(end);
	return xstrndup(body, (size_t)(end - body));
}

/* --- tests ------------------------------------------------------------ */

static const char subject_zh[] = "逾期提醒：发票 INV-2026-0146, INV-2026-0190 "
    "已过付款期限，请尽快安排付款 [ref:DUN-7F3K2Q]";
static const char long_name[] = "发票-INV-2026-0181-深圳龙腾电子有限公司-"
    "二〇二六年十月三十日开具-增值税专用发票.pdf";

static void
compose_sample(char **out, size_t *len, const char *subject,
    const char *to_name, const char *text, struct dun_compose_attachment *att,
    size_t natt)
{
	const char *to[2] = { "huaxin@buyer.test", "ap@buyer.test" };
	struct dun_compose_input in;

	memset(&in, 0, sizeof(in));
	in.from_name = "Accounts Receivable, \"Acme\" Vendor";
	in.from_addr = "ar@vendor.test";
	in.to_name = to_name;
	in.to_addrs = to;
	in.nto = 2;
	in.subject = subject;
	in.message_id = "dun.20261116.abcdefghjkmnpqrs@vendor.test";
	in.in_reply_to = "dun.20261109.first@vendor.test";
	in.references = "dun.20261102.zero@vendor.test "
	    "dun.20261109.first@vendor.test";
	in.token = "DUN-7F3K2Q";
	in.language = "zh";
	in.date = 1794794400; /* 2026-11-16T02:00:00Z */
	in.date_tz = "Asia/Shanghai";
	in.text = text;
	in.html = "<!DOCTYPE html>\n<p>尊敬的客户</p>\n";
	in.attachments = att;
	in.nattachments = natt;
	assert_int_equal(dun_compose(out, len, &in), 0);
}

static void
test_compose__structure_and_round_trip(void **state)
{
	static const char text[] =
	    "尊敬的上海华信贸易有限公司：\n\nFrom the ledger:\n.\n"
	    "A long line: 0123456789 0123456789 0123456789 0123456789 "
	    "0123456789 0123456789 0123456789 0123456789 0123456789 = end\n"
	    "Signature with a hard break  \nTabs\tstay\t\n";
	char pdf1[3000], pdf2[100], *msg, *v, *dec, *body, *want;
	char *decoded = xmalloc(8192);
	struct dun_compose_attachment att[2];
	size_t len, i, n;

	(void)state;
	for (i = 0; i < sizeof(pdf1); i++)
		pdf1[i] = (char)(i * 7 + 3);
	memcpy(pdf2, "%PDF-1.4\n", 9);
	memset(pdf2 + 9, 'x', sizeof(pdf2) - 9);
	att[0].filename = long_name;
	att[0].content_type = "application/pdf";
	att[0].data = pdf1;
	att[0].len = sizeof(pdf1);
	att[1].filename = "INV-2026-0146.pdf";
	att[1].content_type = "application/pdf";
	att[1].data = pdf2;
	att[1].len = sizeof(pdf2);
	compose_sample(&msg, &len, subject_zh, "上海华信贸易有限公司", text,
	    att, 2);
	assert_int_equal(strlen(msg), len);
	check_lines(msg, len, 78);

	v = header_get(msg, "Subject");
	dec = decode_2047(v);
	assert_string_equal(dec, subject_zh);
	free(v);
	free(dec);
	v = header_get(msg, "To");
	dec = decode_2047(v);
	assert_string_equal(dec, "上海华信贸易有限公司 <huaxin@buyer.test>, "
	    "上海华信贸易有限公司 <ap@buyer.test>");
	free(v);
	free(dec);
	v = header_get(msg, "From");
	assert_string_equal(v, "\"Accounts Receivable, \\\"Acme\\\" Vendor\" "
	    "<ar@vendor.test>");
	free(v);
	v = header_get(msg, "Message-ID");
	assert_string_equal(v, "<dun.20261116.abcdefghjkmnpqrs@vendor.test>");
	free(v);
	v = header_get(msg, "In-Reply-To");
	assert_string_equal(v, "<dun.20261109.first@vendor.test>");
	free(v);
	v = header_get(msg, "References");
	assert_string_equal(v, "<dun.20261102.zero@vendor.test> "
	    "<dun.20261109.first@vendor.test>");
	free(v);
	v = header_get(msg, "X-Dunmail-Token");
	assert_string_equal(v, "DUN-7F3K2Q");
	free(v);
	v = header_get(msg, "Date");
	assert_string_equal(v, "Mon, 16 Nov 2026 10:00:00 +0800");
	free(v);
	assert_null(header_get(msg, "Auto-Submitted"));

	/* The tree: mixed { alternative { plain, html }, pdf, pdf }. */
	v = header_get(msg, "Content-Type");
	assert_true(dun_str_has_prefix(v, "multipart/mixed; boundary=\""));
	{
		char mixed[64], alt[64], delim[80];
		sscanf(strchr(v, '"') + 1, "%63[^\"]", mixed);
		assert_non_null(strstr(msg, "multipart/alternative;\r\n "
		    "boundary=\""));
		sscanf(strstr(msg, "multipart/alternative;\r\n boundary=\"") +
		    strlen("multipart/alternative;\r\n boundary=\""),
		    "%63[^\"]", alt);
		assert_string_not_equal(mixed, alt);
		snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", mixed);
		assert_non_null(strstr(msg, delim));
		assert_true(dun_str_has_prefix(strstr(msg, delim) +
		    strlen(delim), "") && msg + len == strstr(msg, delim) +
		    strlen(delim));
		snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", alt);
		assert_non_null(strstr(msg, delim));
		/* plain before html inside the alternative. */
		assert_true(strstr(msg, "text/plain; charset=UTF-8") <
		    strstr(msg, "text/html; charset=UTF-8"));

		body = part_body(msg, "text/plain; charset=UTF-8", alt);
		n = qp_decode(decoded, body, strlen(body));
		want = xstrdup(text);
		{
			struct dun_buf crlf = DUN_BUF_INIT;
			const char *p;
			for (p = text; *p; p++)
				dun_buf_puts(&crlf, *p == '\n' ? "\r\n" :
				    (char[2]){ *p, 0 });
			free(want);
			want = dun_buf_detach(&crlf, NULL);
		}
		/* The CRLF before a boundary belongs to the boundary: the
		 * text's final line break is the delimiter's. */
		assert_int_equal(n, strlen(want) - 2);
		assert_memory_equal(decoded, want, n);
		/* A line-ending space is encoded, "From " and "." too. */
		assert_non_null(strstr(body, "hard break =20\r\n"));
		assert_non_null(strstr(body, "\r\n=46rom the ledger"));
		assert_non_null(strstr(body, "\r\n=2E\r\n"));
		free(want);
		free(body);

		body = part_body(msg, "filename*0*=", mixed);
		n = b64_decode(decoded, body, strlen(body));
		assert_int_equal(n, sizeof(pdf1));
		assert_memory_equal(decoded, pdf1, n);
		free(body);
		body = part_body(msg, "filename=\"INV-2026-0146.pdf\"", mixed);
		n = b64_decode(decoded, body, strlen(body));
		assert_int_equal(n, sizeof(pdf2));
		assert_memory_equal(decoded, pdf2, n);
		free(body);
	}
	free(v);

	/* The Chinese file name: RFC 2231 with continuations, and the
	 * RFC 2047 name= fallback. */
	{
		const char *ct = strstr(msg, "Content-Type: application/pdf");
		char *hdrs = xstrndup(ct, (size_t)(strstr(ct, "\r\n\r\n") -
		    ct));
		char *unf = xstrdup(""), *p;
		struct dun_buf b = DUN_BUF_INIT;
		for (p = hdrs; *p; p++)
			if (*p != '\r')
				dun_buf_add(&b, *p == '\n' ? " " : p, 1);
		free(unf);
		unf = dun_buf_detach(&b, NULL);
		assert_non_null(strstr(unf, "filename*1*="));
		dec = decode_2231(unf, "filename");
		assert_string_equal(dec, long_name);
		free(dec);
		p = strstr(unf, "name=\"") + 6;
		*strchr(p, '"') = '\0';
		dec = decode_2047(p);
		assert_string_equal(dec, long_name);
		free(dec);
		free(unf);
		free(hdrs);
	}
	free(decoded);
	free(msg);
}

/* Splits fall between characters and between words: each RFC 2231
 * segment decodes to whole UTF-8 characters on its own, and an encoded
 * subject never cuts a word between two encoded-words. */
static void
test_compose__split_boundaries(void **state)
{
	static const char name[] = "发票-INV-2026-0190-上海华信贸易有限公司-"
	    "二〇二六年十一月-对账单与付款通知.pdf";
	static const char subject[] = "Zahlungserinnerung für die Rechnungen "
	    "INV-2026-0142 und INV-2026-0168 der Globex GmbH, überfällig seit "
	    "dem 9. November";
	struct dun_compose_attachment att = { name, "application/pdf", "%PDF",
		4 };
	struct dun_compose_input in;
	const char *to[1] = { "ap@buyer.test" };
	struct dun_buf h = DUN_BUF_INIT;
	char *msg, *p, *e, seg[256], word[256];
	size_t len, n, k, segs = 0, words = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.from_addr = "ar@vendor.test";
	in.to_addrs = to;
	in.nto = 1;
	in.subject = "s";
	in.message_id = "dun.20261122.abc@vendor.test";
	in.date = 1795000000;
	in.date_tz = "UTC";
	in.text = "x\n";
	in.attachments = &att;
	in.nattachments = 1;
	assert_int_equal(dun_compose(&msg, &len, &in), 0);
	for (p = msg; (p = strstr(p, "filename*")) != NULL; p = e) {
		p = strchr(p, '=') + 1;
		for (e = p; *e && *e != ';' && *e != '\r'; e++)
			;
		if (strncmp(p, "UTF-8''", 7) == 0)
			p += 7;
		for (n = 0; p < e && n + 1 < sizeof(seg); n++)
			if (*p == '%') {
				seg[n] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 3;
			} else
				seg[n] = *p++;
		seg[n] = '\0';
		assert_true(dun_utf8_valid(seg, n));
		segs++;
	}
	assert_true(segs >= 3);
	free(msg);

	dun_compose_header(&h, "Subject", subject);
	for (p = h.data; (p = strstr(p, "=?UTF-8?B?")) != NULL; p = e + 2) {
		e = strstr(p + 10, "?=");
		n = b64_decode(word, p + 10, (size_t)(e - p - 10));
		word[n] = '\0';
		words++;
		k = strlen(e + 2) > 2 ? 1 : 0;  /* not the last word */
		if (k && strstr(e + 2, "=?UTF-8?B?"))
			assert_int_equal(word[n - 1], ' ');
	}
	assert_true(words >= 2);
	dun_buf_free(&h);
}

/* Data with CR/LF in it never becomes a header. */
static void
test_compose__no_header_injection(void **state)
{
	static const char *const headers[] = { "Date", "From", "To", "Subject",
		"Message-ID", "In-Reply-To", "References", "X-Dunmail-Token",
		"Content-Language", "MIME-Version", "Content-Type" };
	const char *rows[][2] = {
		{ "Reminder\r\nBcc: evil@attacker.test", "Acme" },
		{ "Reminder\nBcc: evil@attacker.test\n\nbody", "Acme\r\nCc: x@y" },
		{ "发票\r\nBcc: evil@attacker.test", "名字\nBcc: a@b.test" },
		{ "x\rBcc: evil@attacker.test", "\r\n\r\n" },
	};
	char *msg, *v, *p;
	size_t len, i, k;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		compose_sample(&msg, &len, rows[i][0], rows[i][1], "x\n", NULL,
		    0);
		check_lines(msg, len, 78);
		/* Every header line of the top is one we wrote. */
		for (p = msg; strncmp(p, "\r\n", 2) != 0;
		    p = strstr(p, "\r\n") + 2) {
			int known = *p == ' ' || *p == '\t';
			for (k = 0; k < DUN_ARRAY_SIZE(headers) && !known; k++)
				known = strncmp(p, headers[k],
				    strlen(headers[k])) == 0 &&
				    p[strlen(headers[k])] == ':';
			if (!known) {
				print_error("row %zu: stray header line: %.40s\n",
				    i, p);
				fail();
			}
		}
		assert_null(strstr(msg, "\r\nBcc:"));
		assert_null(strstr(msg, "\r\nCc:"));
		v = header_get(msg, "Subject");
		p = decode_2047(v);
		assert_non_null(strstr(p, "Bcc: evil@attacker.test"));
		assert_null(strchr(p, '\r'));
		assert_null(strchr(p, '\n'));
		free(p);
		free(v);
		free(msg);
	}
}

/* A long display name, ASCII or not, is folded: no line over 78, the
 * name whole once unfolded (a 1,707-character name once made a To: line
 * of 1,707 octets). */
static void
test_compose__long_display_name(void **state)
{
	static const char *const words[] = {
		"Acme Widget \"Trading\" Company \\ Holdings ",
		"深圳龙腾电子有限公司 Shenzhen ",
		"Überseehandel Aktiengesellschaft ",
	};
	struct dun_buf name = DUN_BUF_INIT, want = DUN_BUF_INIT;
	char *msg, *v, *dec, *q;
	size_t len, i, k;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(words); i++) {
		dun_buf_puts(&name, "");
		name.len = 0;
		while (name.len < 1707)
			dun_buf_puts(&name, words[i]);
		name.data[name.len - 1] = 'x';
		compose_sample(&msg, &len, "Reminder", name.data, "x\n", NULL,
		    0);
		check_lines(msg, len, 78);
		v = header_get(msg, "To");
		dec = decode_2047(v);
		want.len = 0;
		for (k = 0; k < 2; k++) {
			if (i == 0) {
				/* ASCII stays a quoted-string, escapes and all. */
				dun_buf_puts(&want, "\"");
				for (q = name.data; *q; q++) {
					if (*q == '"' || *q == '\\')
						dun_buf_puts(&want, "\\");
					dun_buf_add(&want, q, 1);
				}
				dun_buf_puts(&want, "\"");
			} else
				dun_buf_puts(&want, name.data);
			dun_buf_puts(&want, k ? " <ap@buyer.test>" :
			    " <huaxin@buyer.test>, ");
		}
		assert_string_equal(dec, want.data);
		free(dec);
		free(v);
		free(msg);
	}
	dun_buf_free(&name);
	dun_buf_free(&want);
}

static void
test_compose__bad_address(void **state)
{
	const char *bad[] = { "a@b.test\r\nBcc: c@d.test", "a b@c.test",
		"<a@b.test>", "nobody", "@b.test", "a@" };
	struct dun_buf b = DUN_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(bad); i++)
		assert_int_equal(dun_compose_address(&b, "To", "x", &bad[i], 1),
		    DUN_EINVAL);
	dun_buf_free(&b);
}

static void
test_compose__qp_table(void **state)
{
	const struct {
		const char *in, *want;
	} rows[] = {
		{ "plain\n", "plain\r\n" },
		{ "a=b\n", "a=3Db\r\n" },
		{ "end  \n", "end =20\r\n" },
		{ "tab\t\n", "tab=09\r\n" },
		{ "é\n", "=C3=A9\r\n" },
		{ ".\n", "=2E\r\n" },
		{ "From me\n", "=46rom me\r\n" },
		{ "crlf\r\nin\r\n", "crlf\r\nin\r\n" },
		{ "no final newline", "no final newline\r\n" },
		{ "x\n\n", "x\r\n\r\n" },
		/* 80 'a': a soft break after 75 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaa\n",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaa=\r\naaaaa\r\n" },
		/* never split an =XX */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaa=\n",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaa=\r\n=3D\r\n" },
	};
	struct dun_buf b = DUN_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		dun_buf_clear(&b);
		dun_buf_puts(&b, "");
		dun_compose_qp(&b, rows[i].in, strlen(rows[i].in));
		if (strcmp(b.data, rows[i].want) != 0) {
			print_error("qp row %zu: got '%s'\n", i, b.data);
			fail();
		}
	}
	dun_buf_free(&b);
}

static void
test_compose__base64_and_random(void **state)
{
	struct dun_buf b = DUN_BUF_INIT;
	char data[200], back[256], t1[7], t2[7];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)i;
	dun_compose_base64(&b, data, sizeof(data));
	check_lines(b.data, b.len, 76);
	assert_int_equal(strstr(b.data, "\r\n") - b.data, 76);
	assert_int_equal(b64_decode(back, b.data, b.len), sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	dun_buf_free(&b);

	dun_compose_random(t1, 6, DUN_TOKEN_ALPHABET);
	dun_compose_random(t2, 6, DUN_TOKEN_ALPHABET);
	assert_int_equal(strlen(t1), 6);
	assert_int_equal(strspn(t1, DUN_TOKEN_ALPHABET), 6);
	assert_string_not_equal(t1, t2); /* 1 in 2^30 */
}

/* A mostly Chinese body goes as base64 of its CRLF form. */
static void
test_compose__cjk_body_base64(void **state)
{
	char *msg, *body, decoded[512];
	size_t len, n;

	(void)state;
	compose_sample(&msg, &len, "x", "y", "尊敬的客户：\n\n您好！  \n", NULL,
	    0);
	check_lines(msg, len, 78);
	body = strstr(msg, "text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	assert_non_null(body);
	body = xstrndup(strstr(body, "\r\n\r\n") + 4, 200);
	*strstr(body, "\r\n--") = '\0';
	n = b64_decode(decoded, body, strlen(body));
	assert_int_equal(n, strlen("尊敬的客户：\r\n\r\n您好！  \r\n"));
	assert_memory_equal(decoded, "尊敬的客户：\r\n\r\n您好！  \r\n", n);
	free(body);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose__structure_and_round_trip),
		cmocka_unit_test(test_compose__no_header_injection),
		cmocka_unit_test(test_compose__long_display_name),
		cmocka_unit_test(test_compose__bad_address),
		cmocka_unit_test(test_compose__qp_table),
		cmocka_unit_test(test_compose__base64_and_random),
		cmocka_unit_test(test_compose__cjk_body_base64),
		cmocka_unit_test(test_compose__split_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
