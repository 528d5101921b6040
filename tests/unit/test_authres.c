/* Authentication-Results (RFC 8601): the parser and the verdict, as
 * tables of [header(s), From] -> [what dunmail reads, authenticated]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/parse/authres.h"

/* [header value] -> [authserv-id, none, results as "m=r d/from/mailfrom"]. */
static void
test_authres__parse_table(void **state)
{
	static const struct {
		const char *value;
		int ok;
		const char *authserv_id;
		int none;
		const char *want; /* results, "method=result[ d=..][ f=..][ m=..]" */
	} rows[] = {
		{ "mx.example.com; dmarc=pass header.from=buyer.test", 1,
		  "mx.example.com", 0, "dmarc=pass f=buyer.test" },
		/* RFC 8601 appendix B examples, more or less. */
		{ "example.com; spf=pass smtp.mailfrom=example.net", 1,
		  "example.com", 0, "spf=pass m=example.net" },
		{ "example.com; none", 1, "example.com", 1, "" },
		{ "example.com 1; none", 1, "example.com", 1, "" },
		{ "example.com;\r\n  dkim=pass (good signature) header.d=mail-router.example.net;\r\n"
		  "  dkim=fail (bad signature) header.d=newyork.example.com", 1,
		  "example.com", 0,
		  "dkim=pass d=mail-router.example.net|dkim=fail d=newyork.example.com" },
		/* Comments anywhere, nested, with quoted pairs. */
		{ "(c1) mx.x.test (c2 (nested \\) paren)) ; (x) DKIM (y) = (z) "
		  "Pass (w) header (v) . (u) d (t) = (s) Buyer.Test (r)", 1,
		  "mx.x.test", 0, "dkim=pass d=buyer.test" },
		/* Method versions, reasons, quoted values, other ptypes. */
		{ "mx.x.test; dkim/1=pass reason=\"good; really\" header.i=@b.test "
		  "header.d=\"b.test\" header.b=abc/def=", 1, "mx.x.test", 0,
		  "dkim=pass d=b.test" },
		{ "\"quoted.id\"; spf=softfail smtp.mailfrom=u@B.test", 1,
		  "quoted.id", 0, "spf=softfail m=u@b.test" },
		/* Junk is skipped up to the next ';', the rest still read. */
		{ "mx.x.test; ==garbage==; dmarc=fail; spf pass; dkim=", 1,
		  "mx.x.test", 0, "dmarc=fail" },
		{ "mx.x.test junk; arc=none", 1, "mx.x.test", 0, "arc=none" },
		/* Unclosed comment and quote: the end of the value ends them. */
		{ "mx.x.test; dmarc=pass (unclosed", 1, "mx.x.test", 0,
		  "dmarc=pass" },
		{ "mx.x.test; dkim=pass header.d=\"unclosed", 1, "mx.x.test", 0,
		  "dkim=pass d=unclosed" },
		{ "", 0, "", 0, "" },
		{ "   (only a comment)  ", 0, "", 0, "" },
		{ "; dmarc=pass", 0, "", 0, "" },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dun_authres a;
		char got[512];
		size_t n = 0;
		int rc = dun_authres_parse(&a, rows[i].value);

		if ((rc == 0) != rows[i].ok)
			fail_msg("row %zu (%s): rc %d", i, rows[i].value, rc);
		if (!rows[i].ok)
			continue;
		got[0] = '\0';
		for (k = 0; k < a.nresults; k++) {
			const struct dun_authres_result *r = &a.results[k];
			n += (size_t)snprintf(got + n, sizeof(got) - n,
			    "%s%s=%s%s%s%s%s%s%s", k ? "|" : "", r->method,
			    r->result, *r->header_d ? " d=" : "", r->header_d,
			    *r->header_from ? " f=" : "", r->header_from,
			    *r->smtp_mailfrom ? " m=" : "", r->smtp_mailfrom);
		}
		if (strcmp(a.authserv_id, rows[i].authserv_id) != 0 ||
		    a.none != rows[i].none || strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu (%s): id '%s' none %d results '%s'",
			    i, rows[i].value, a.authserv_id, a.none, got);
	}
}

/* Relaxed alignment: equal, or one a subdomain of the other. */
static void
test_authres__aligned_table(void **state)
{
	static const struct {
		const char *a, *b;
		int aligned;
	} rows[] = {
		{ "buyer.test", "buyer.test", 1 },
		{ "Buyer.Test", "buyer.test.", 1 },
		{ "mail.buyer.test", "buyer.test", 1 },
		{ "buyer.test", "mail.buyer.test", 1 },
		{ "ap@mail.buyer.test", "acme@buyer.test", 1 },
		{ "evilbuyer.test", "buyer.test", 0 },
		{ "buyer.test.evil", "buyer.test", 0 },
		{ "buyer.test", "test", 0 },     /* a bare suffix never aligns */
		{ "", "buyer.test", 0 },
		{ "buyer.test", "", 0 },
		{ "elsewhere.test", "buyer.test", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (dun_authres_aligned(rows[i].a, rows[i].b) !=
		    rows[i].aligned)
			fail_msg("row %zu: %s ~ %s should be %d", i, rows[i].a,
			    rows[i].b, rows[i].aligned);
}

/* [message headers, From] -> [found, authenticated]: only the topmost
 * header of our authserv-id counts. */
static void
test_authres__check_table(void **state)
{
	static const struct {
		const char *name;
		const char *headers;
		const char *from;
		int found, authenticated;
	} rows[] = {
		{ "dmarc pass",
		  "Authentication-Results: mx.example.com; dmarc=pass "
		  "header.from=buyer.test\r\n", "acme@buyer.test", 1, 1 },
		{ "dmarc fail",
		  "Authentication-Results: mx.example.com; dmarc=fail "
		  "header.from=buyer.test\r\n", "acme@buyer.test", 1, 0 },
		{ "dmarc pass for another From domain",
		  "Authentication-Results: mx.example.com; dmarc=pass "
		  "header.from=other.test\r\n", "acme@buyer.test", 1, 0 },
		{ "a forged pass below the real fail",
		  "Received: from x\r\n"
		  "Authentication-Results: mx.example.com; dmarc=fail\r\n"
		  "Authentication-Results: mx.example.com; dmarc=pass\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "a forged pass of another id above ours",
		  "Authentication-Results: mx.evil.test; dmarc=pass\r\n"
		  "Authentication-Results: MX.Example.COM; dmarc=fail\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "only another id", "Authentication-Results: mx.evil.test; "
		  "dmarc=pass\r\n", "acme@buyer.test", 0, 0 },
		{ "none at all", "Subject: hi\r\n", "acme@buyer.test", 0, 0 },
		{ "aligned dkim",
		  "Authentication-Results: mx.example.com;\r\n"
		  "\tdkim=pass (2048-bit key) header.d=mail.buyer.test "
		  "header.s=s1;\r\n\tdmarc=none\r\n", "acme@buyer.test", 1, 1 },
		{ "unaligned dkim",
		  "Authentication-Results: mx.example.com; dkim=pass "
		  "header.d=elsewhere.test; spf=pass "
		  "smtp.mailfrom=bounce@elsewhere.test\r\n", "acme@buyer.test",
		  1, 0 },
		{ "aligned spf",
		  "Authentication-Results: mx.example.com; spf=pass "
		  "smtp.mailfrom=bounces@buyer.test\r\n", "acme@buyer.test", 1,
		  1 },
		{ "spf softfail",
		  "Authentication-Results: mx.example.com; spf=softfail "
		  "smtp.mailfrom=buyer.test\r\n", "acme@buyer.test", 1, 0 },
		{ "none",
		  "Authentication-Results: mx.example.com; none\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "in the body only",
		  "Subject: x\r\n\r\nAuthentication-Results: mx.example.com; "
		  "dmarc=pass\r\n", "acme@buyer.test", 0, 0 },
		{ "no From", "Authentication-Results: mx.example.com; dkim=pass "
		  "header.d=buyer.test\r\n", NULL, 1, 0 },
		{ "version after the id",
		  "Authentication-Results: mx.example.com 1; dmarc=pass\r\n",
		  "acme@buyer.test", 1, 1 },
		/* Forms a pattern filter that strips forged copies may miss:
		 * the topmost header naming our id must be written plainly. */
		{ "a comment before the id",
		  "Authentication-Results: (x) mx.example.com; dmarc=pass\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "the id quoted",
		  "Authentication-Results: \"mx.example.com\"; dmarc=pass\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "a space before the colon",
		  "Authentication-Results : mx.example.com; dmarc=pass\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "a disguised pass above the real one",
		  "Authentication-Results: \"mx.example.com\"; dmarc=pass\r\n"
		  "Authentication-Results: mx.example.com; dmarc=pass\r\n",
		  "acme@buyer.test", 1, 0 },
		{ "binary junk",
		  "Authentication-Results: mx.example.com; dmarc=\xff\x01pass"
		  "\r\n", "acme@buyer.test", 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dun_auth_check c;

		dun_authres_check(&c, rows[i].headers, strlen(rows[i].headers),
		    "mx.example.com", rows[i].from);
		if (c.found != rows[i].found ||
		    c.authenticated != rows[i].authenticated)
			fail_msg("%s: found %d authenticated %d (%s)",
			    rows[i].name, c.found, c.authenticated, c.verdict);
	}
}

/* [header block] -> ambiguous sender: two From headers or two mailboxes
 * in one are never trusted; quotes and comments do not count. */
static void
test_authres__from_ambiguous_table(void **state)
{
	static const struct {
		const char *headers;
		int ambiguous;
	} rows[] = {
		{ "From: Acme <acme@buyer.test>\r\nSubject: x\r\n", 0 },
		{ "From: acme@buyer.test\r\nFrom: evil@evil.test\r\n", 1 },
		{ "from : acme@buyer.test\r\nFROM: evil@evil.test\r\n", 1 },
		{ "From: acme@buyer.test, evil@evil.test\r\n", 1 },
		{ "From: acme@buyer.test,\r\n evil@evil.test\r\n", 1 },
		{ "From: \"acme@buyer.test\" <evil@evil.test>\r\n", 0 },
		{ "From: (acme@buyer.test) <evil@evil.test>\r\n", 0 },
		{ "From: \"a \\\" b@c\" <acme@buyer.test>\r\n", 0 },
		{ "Subject: x\r\n\r\nFrom: a@b.test\r\nFrom: c@d.test\r\n", 0 },
		{ "From: acme@buyer.test\r\nReply-To: a@b.test, c@d.test\r\n",
		  0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (dun_authres_from_ambiguous(rows[i].headers,
		    strlen(rows[i].headers)) != rows[i].ambiguous)
			fail_msg("row %zu: %s should be %d", i, rows[i].headers,
			    rows[i].ambiguous);
}

/* The header read is the one the verdict came from, unfolded. */
static void
test_authres__check_keeps_header(void **state)
{
	static const char msg[] =
	    "Authentication-Results: mx.example.com;\r\n dmarc=fail\r\n"
	    "Authentication-Results: mx.example.com; dmarc=pass\r\n\r\nbody";
	struct dun_auth_check c;

	(void)state;
	dun_authres_check(&c, msg, sizeof(msg) - 1, "mx.example.com",
	    "a@buyer.test");
	assert_string_equal(c.header, "mx.example.com; dmarc=fail");
	assert_int_equal(c.authenticated, 0);
	assert_non_null(strstr(c.verdict, "dmarc=fail"));
}

/* Hostile sizes: long values are cut, never overflow. */
static void
test_authres__long_input(void **state)
{
	struct dun_buf b = DUN_BUF_INIT;
	struct dun_authres a;
	struct dun_auth_check c;
	size_t i;

	(void)state;
	dun_buf_puts(&b, "Authentication-Results: mx.example.com");
	for (i = 0; i < 2000; i++)
		dun_buf_puts(&b, "; dkim=pass header.d=aaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test (((");
	dun_buf_puts(&b, "\r\n\r\n");
	dun_authres_check(&c, b.data, b.len, "mx.example.com", "x@y.test");
	assert_int_equal(c.found, 1);
	assert_int_equal(c.authenticated, 0);
	assert_int_equal(dun_authres_parse(&a, b.data + 24), 0);
	assert_true(a.nresults <= DUN_AUTHRES_MAX);
	dun_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authres__parse_table),
		cmocka_unit_test(test_authres__aligned_table),
		cmocka_unit_test(test_authres__check_table),
		cmocka_unit_test(test_authres__from_ambiguous_table),
		cmocka_unit_test(test_authres__check_keeps_header),
		cmocka_unit_test(test_authres__long_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
