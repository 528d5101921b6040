/* The MIME parser on our own fixtures (tests/data/mime, made by gen.py):
 * headers, charsets, the text a person wrote, attachment names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/parse/charset.h"
#include "dunmail/parse/parse.h"

static struct dun_parsed *
parse_file(const char *name, const char *reminder)
{
	struct dun_parse_opts opts = { 0, reminder };
	struct dun_parsed *p = NULL;
	char *path = xasprintf("%s/mime/%s", TEST_DATA_DIR, name), *data;
	size_t len;

	assert_int_equal(dun_file_read(&data, &len, path, 0), 0);
	assert_int_equal(dun_parse_message(&p, data, len, &opts), 0);
	assert_non_null(p);
	free(data);
	free(path);
	return p;
}

static char *
read_data(const char *name)
{
	char *path = xasprintf("%s/mime/%s", TEST_DATA_DIR, name), *data;
	size_t len;

	assert_int_equal(dun_file_read(&data, &len, path, 0), 0);
	free(path);
	return data;
}

struct row {
	const char *file;
	const char *subject;
	const char *from_addr;
	const char *from_name;
	const char *text;        /* the whole expected text */
	int html_only;
};

static const struct row rows[] = {
	{ "gmail_alt_qp.eml", "Re: Payment reminder: invoice INV-2026-0101",
	  "jane@buyer.test", "Jane Buyer",
	  "Hi,\n\nWe will pay INV-2026-0101 on Friday 27 November.\n\n"
	  "Thanks,\nJane", 0 },
	{ "outlook_plain.eml", "RE: Payment reminder: invoice INV-2026-0101",
	  "tom.okafor@buyer.test", "Okafor, Tom",
	  "We dispute this invoice: the goods arrived damaged.\n\nRegards\n"
	  "Tom", 0 },
	{ "outlook_html_only.eml", "RE: Payment reminder", "jane@buyer.test",
	  "Jane Buyer", "We paid this on 18 November, remittance ref 55512."
	  "\n\nKind regards,\nPriya", 1 },
	{ "qq_gbk_html.eml", "回复：付款提醒：发票 INV-2026-0202",
	  "88023145@qq.test", "张伟",
	  "您好，这笔款我们本周五安排支付。\n\n张伟", 1 },
	{ "foxmail_gb18030.eml", "Re: 付款提醒", "sunjg@jinhua-textile.test",
	  "孙建国", "您好，\n\n款项已安排，𠀀预计12月5日到账。\n\n孙建国", 0 },
	{ "outlook_tw_big5.eml", "回覆: 付款提醒", "lin@buyer.tw.test", NULL,
	  "您好，款項將於下週三匯出。\n\n林美玲", 0 },
	{ "rfc2231_attach.eml", "Re: remittance", "jane@buyer.test",
	  "Jane Buyer", "Remittance attached.", 0 },
	{ "suppress_only.eml", "RE: Payment reminder", "jane@buyer.test",
	  "Jane Buyer", "Paid today, thanks.", 0 },
};

static void
test_parse__fixtures(void **state)
{
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		struct dun_parsed *p = parse_file(rows[i].file, NULL);
		print_message("%s\n", rows[i].file);
		assert_string_equal(p->subject, rows[i].subject);
		assert_string_equal(p->from_addr, rows[i].from_addr);
		if (rows[i].from_name)
			assert_string_equal(p->from_name, rows[i].from_name);
		assert_string_equal(p->text, rows[i].text);
		assert_int_equal(p->html_only, rows[i].html_only);
		assert_int_equal(p->auto_kind, DUN_AUTO_NONE);
		assert_int_equal(p->parse_error, 0);
		assert_true(dun_utf8_valid(p->body_text, strlen(p->body_text)));
		dun_parsed_free(p);
	}
}

static void
test_parse__threading_headers(void **state)
{
	struct dun_parsed *p = parse_file("gmail_alt_qp.eml", NULL);

	assert_string_equal(p->message_id, "reply.1@buyer.test");
	assert_string_equal(p->in_reply_to, "dun.20261120.abc123@vendor.test");
	assert_string_equal(p->references, "dun.20261101.zzz999@vendor.test "
	    "dun.20261120.abc123@vendor.test");
	/* Mon, 23 Nov 2026 09:15:00 +0000 */
	assert_int_equal(p->date, (dun_time_t)dun_date_from_ymd(2026, 11, 23)
	    * 86400 + 9 * 3600 + 15 * 60);
	assert_int_equal(p->date_offset, 0);
	/* body_text keeps the quote that text drops. */
	assert_non_null(strstr(p->body_text, "Total outstanding"));
	assert_null(strstr(p->text, "Total outstanding"));
	dun_parsed_free(p);
}

static void
test_parse__html_marks_quotes(void **state)
{
	struct dun_parsed *p = parse_file("outlook_html_only.eml", NULL);

	assert_non_null(strstr(p->body_text, "> According to our records"));
	assert_null(strstr(p->body_text, "alert(1)"));
	dun_parsed_free(p);
}

static void
test_parse__attachments_rfc2231(void **state)
{
	struct dun_parsed *p = parse_file("rfc2231_attach.eml", NULL);

	assert_int_equal(p->nattachments, 2);
	assert_string_equal(p->attachment_names[0], "付款凭证.pdf");
	assert_string_equal(p->attachment_names[1], "发票.xlsx");
	dun_parsed_free(p);
}

static void
test_parse__broken_is_not_fatal(void **state)
{
	struct dun_parsed *p = parse_file("broken.eml", NULL);

	assert_int_equal(p->date, 0);
	assert_true(dun_utf8_valid(p->subject, strlen(p->subject)));
	assert_true(dun_utf8_valid(p->text, strlen(p->text)));
	assert_true(dun_utf8_valid(p->from_name, strlen(p->from_name)));
	assert_non_null(strstr(p->subject, "café"));
	assert_string_equal(p->from_addr, "bad@x.test");
	dun_parsed_free(p);
}

static void
test_parse__reminder_guard(void **state)
{
	/* A reply that pasted the reminder without quoting it. */
	char *rem = read_data("reminder_en.txt");
	const char *msg = "From: a@b.test\r\nSubject: x\r\n\r\n"
	    "Paid on Friday.\r\n\r\nAccording to our records, invoice "
	    "INV-2026-0101 of 1 October 2026 is overdue.\r\n"
	    "Total outstanding:   GBP 1,200.00\r\n";
	struct dun_parse_opts opts = { 0, rem };
	struct dun_parsed *p;

	assert_int_equal(dun_parse_message(&p, msg, strlen(msg), &opts), 0);
	assert_string_equal(p->text, "Paid on Friday.");
	dun_parsed_free(p);
	free(rem);
}

static void
test_parse__size_cap(void **state)
{
	struct dun_parse_opts opts = { 10, NULL };
	struct dun_parsed *p = (void *)1;

	assert_int_equal(dun_parse_message(&p, "From: a@b\r\n\r\nhello world",
	    24, &opts), DUN_ETOOBIG);
	assert_null(p);
}

static void
test_parse__rfc2047(void **state)
{
	static const struct { const char *in, *cs, *out; } cases[] = {
		/* Adjacent words join without the blanks between them. */
		{ "=?UTF-8?B?5LuY?= =?UTF-8?B?5qy+?=", NULL, "付款" },
		/* A character split across two words. */
		{ "=?utf-8?Q?=E4=BB?= =?utf-8?Q?=98?=", NULL, "付" },
		{ "=?gb2312?B?uLa/7g==?=", NULL, "付款" },
		{ "=?GBK?Q?=B8=B6=BF=EE?= ok", NULL, "付款 ok" },
		{ "=?big5?B?pUm02g==?=", NULL, "付款" },
		{ "=?iso-8859-1?q?caf=E9?= au lait", NULL, "café au lait" },
		{ "=?utf-8*en?Q?a_b?=", NULL, "a b" },
		{ "plain =?bogus", NULL, "plain =?bogus" },
		{ "=?no-such-charset?Q?=FF?=", NULL, "ÿ" },
		{ "raw \xb8\xb6\xbf\xee", "gbk", "raw 付款" },
		{ "line\r\n\tbreak", NULL, "line   break" },
	};
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(cases); i++) {
		char *d = dun_rfc2047_decode(cases[i].in, cases[i].cs);
		assert_string_equal(d, cases[i].out);
		free(d);
	}
}

static void
test_parse__charset_labels(void **state)
{
	char buf[48];
	char *u;

	assert_string_equal(dun_charset_normalise("GB2312", buf, sizeof(buf)),
	    "GB18030");
	assert_string_equal(dun_charset_normalise("x-gbk", buf, sizeof(buf)),
	    "GB18030");
	assert_string_equal(dun_charset_normalise("\"cp936\"", buf,
	    sizeof(buf)), "GB18030");
	assert_string_equal(dun_charset_normalise("Big5", buf, sizeof(buf)),
	    "CP950");
	assert_null(dun_charset_normalise("no-such", buf, sizeof(buf)));
	assert_null(dun_charset_normalise("../../etc", buf, sizeof(buf)));
	/* Invalid bytes become U+FFFD, never an error. */
	u = dun_charset_to_utf8("gbk", "\xb8\xb6\xff", 3, 0, NULL);
	assert_string_equal(u, "付\xef\xbf\xbd");
	free(u);
	u = dun_charset_to_utf8("utf-8", "a\xc3", 2, 0, NULL);
	assert_string_equal(u, "a\xef\xbf\xbd");
	free(u);
	u = dun_charset_to_utf8(NULL, "caf\xe9", 4, 0, NULL);
	assert_string_equal(u, "café");
	free(u);
}

static void
test_parse__dates(void **state)
{
	static const struct { const char *date; int y, m, d, hh, mm; long off;
	} cases[] = {
		{ "Mon, 23 Nov 2026 09:15:00 +0800", 2026, 11, 23, 1, 15, 28800 },
		{ "23 Nov 26 09:15 EST", 2026, 11, 23, 14, 15, -18000 },
		{ "Mon, 23 Nov 2026 09:15:00 GMT", 2026, 11, 23, 9, 15, 0 },
		{ "Mon, 23 Nov 2026 09:15:00 +0100 (CET)", 2026, 11, 23, 8, 15,
		  3600 },
		{ "Mon, 23 Nov 2026 09:15:00 PDT", 2026, 11, 23, 16, 15, -25200 },
		{ "Mon, 23 Nov 2026 09:15:00 Z", 2026, 11, 23, 9, 15, 0 },
		{ "Mon, 23 Nov 2026 09:15:00 -0000", 2026, 11, 23, 9, 15, 0 },
		{ "Mon,23 Nov 2026 9:15:00 +0000", 2026, 11, 23, 9, 15, 0 },
	};
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(cases); i++) {
		char *msg = xasprintf("From: a@b.test\r\nDate: %s\r\n\r\nx\r\n",
		    cases[i].date);
		struct dun_parsed *p;
		assert_int_equal(dun_parse_message(&p, msg, strlen(msg), NULL),
		    0);
		print_message("%s\n", cases[i].date);
		assert_int_equal(p->date, (dun_time_t)dun_date_from_ymd(
		    cases[i].y, cases[i].m, cases[i].d) * 86400 +
		    cases[i].hh * 3600 + cases[i].mm * 60);
		assert_int_equal(p->date_offset, cases[i].off);
		dun_parsed_free(p);
		free(msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse__fixtures),
		cmocka_unit_test(test_parse__threading_headers),
		cmocka_unit_test(test_parse__html_marks_quotes),
		cmocka_unit_test(test_parse__attachments_rfc2231),
		cmocka_unit_test(test_parse__broken_is_not_fatal),
		cmocka_unit_test(test_parse__reminder_guard),
		cmocka_unit_test(test_parse__size_cap),
		cmocka_unit_test(test_parse__rfc2047),
		cmocka_unit_test(test_parse__charset_labels),
		cmocka_unit_test(test_parse__dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
