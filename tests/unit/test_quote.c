/* The quote stripper: public fixtures with known replies (talon,
 * email_reply_parser) and the quoting styles of the clients debtors use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dunmail/core/common.h"
#include "dunmail/parse/parse.h"

#define QUOTES CORPORA_DIR "/quotes"

static char *
strip_file(const char *path)
{
	char *data, *out;
	size_t len;

	if (dun_file_read(&data, &len, path, 0) < 0)
		fail_msg("%s: %s (tests/data/corpora must be present)", path,
		    dun_error_last());
	out = dun_quote_strip(data, NULL);
	free(data);
	return out;
}

/* email_reply_parser's fixtures: what its own tests expect visible. */
static const struct {
	const char *file, *expected;
} erp[] = {
	{ "email_1_3.txt", "Oh thanks.\n\nHaving the function would be great."
	  "\n\n-Abhishek Kona" },
	{ "email_1_4.txt", "Awesome! I haven't had another problem with it." },
	{ "email_1_7.txt", ":+1:" },
	{ "email_1_8.txt", "I will reply under this one\n\nand under this." },
	{ "email_2_1.txt", "Outlook with a reply" },
	{ "email_2_2.txt", "Outlook with a reply directly above line" },
	{ "email_2_3.txt", "Outlook with a reply directly above line" },
	{ "email_BlackBerry.txt", "Here is another email" },
	{ "email_iPhone.txt", "Here is another email" },
	{ "email_multi_word_sent_from_my_mobile_device.txt",
	  "Here is another email" },
	{ "email_sent_from_my_not_signature.txt", "Here is another email\n\n"
	  "Sent from my desk, is much easier then my mobile phone." },
	{ "correct_sig.txt", "this is an email with a correct -- signature." },
	{ "email_one_is_not_on.txt", "Thank, this is really helpful.\n\n"
	  "One outstanding question I had:\n\nLocally (on development), when "
	  "I run..." },
	{ "pathological.txt", "I think you're onto something. I will try to "
	  "fix the problem as soon as I\nget back to a computer." },
};

static void
test_quote__email_reply_parser(void **state)
{
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(erp); i++) {
		char *path = xasprintf("%s/email_reply_parser/%s", QUOTES,
		    erp[i].file);
		char *out = strip_file(path);
		print_message("%s\n", erp[i].file);
		assert_string_equal(out, erp[i].expected);
		free(out);
		free(path);
	}
}

/* Bottom posting: the words under the quote stay, the quote goes. */
static void
test_quote__bottom_post(void **state)
{
	char *out = strip_file(QUOTES "/email_reply_parser/email_1_2.txt");

	assert_true(dun_str_has_prefix(out, "Hi,\n\nYou can list the keys"));
	assert_non_null(strstr(out, "delete them all individually.\""));
	assert_null(strstr(out, "Hi folks"));
	assert_null(strstr(out, "riak-users mailing list"));
	free(out);
	out = strip_file(QUOTES "/email_reply_parser/greedy_on.txt");
	assert_true(dun_str_has_prefix(out, "On your remote host you can "
	    "run:"));
	assert_null(strstr(out, "odd issue"));
	free(out);
}

/* talon's standard replies: each one's reply is "Hello". */
static void
test_quote__talon_standard_replies(void **state)
{
	static const char *const files[] = { "android.eml", "aol.eml",
		"apple_mail.eml", "apple_mail_2.eml", "comcast.eml",
		"gmail.eml", "hotmail.eml", "iphone.eml", "outlook.eml",
		"sparrow.eml", "thunderbird.eml", "yahoo.eml" };
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(files); i++) {
		char *path = xasprintf("%s/talon/standard_replies/%s", QUOTES,
		    files[i]), *data;
		struct dun_parsed *p;
		size_t len;

		if (dun_file_read(&data, &len, path, 0) < 0)
			fail_msg("%s: %s", path, dun_error_last());
		assert_int_equal(dun_parse_message(&p, data, len, NULL), 0);
		print_message("%s\n", files[i]);
		assert_string_equal(p->text, "Hello");
		dun_parsed_free(p);
		free(data);
		free(path);
	}
}

/* talon's HTML replies, as HTML-only messages: each one's reply is
 * "Hi. I am fine. Thanks, Alex" (empty lines aside). */
static void
test_quote__talon_html_replies(void **state)
{
	static const char *const files[] = { "gmail.html", "hotmail.html",
		"mail_ru.html", "ms_outlook_2003.html", "ms_outlook_2007.html",
		"ms_outlook_2010.html", "thunderbird.html", "windows_mail.html",
		"yandex_ru.html" };
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(files); i++) {
		char *path = xasprintf("%s/talon/html_replies/%s", QUOTES,
		    files[i]), *data, *msg, *s, *d;
		struct dun_parsed *p;
		size_t len;

		if (dun_file_read(&data, &len, path, 0) < 0)
			fail_msg("%s: %s", path, dun_error_last());
		msg = xasprintf("Content-Type: text/html; charset=utf-8\r\n"
		    "\r\n%s", data);
		assert_int_equal(dun_parse_message(&p, msg, strlen(msg), NULL),
		    0);
		for (s = d = p->text; *s; s++)
			if (!(*s == '\n' && s[1] == '\n'))
				*d++ = *s;
		*d = '\0';
		print_message("%s\n", files[i]);
		assert_int_equal(p->html_only, 1);
		assert_string_equal(p->text, "Hi. I am fine.\nThanks,\nAlex");
		dun_parsed_free(p);
		free(msg);
		free(data);
		free(path);
	}
}

/* The labelled reply corpus: the invoice numbers left in `text` are
 * exactly those the debtor wrote (labels.tsv), never the quoted
 * reminder's. */
static void
test_quote__labelled_corpus_invoices(void **state)
{
	char *path = xasprintf("%s/replies/labels.tsv", TEST_DATA_DIR);
	char line[4096];
	FILE *fp = fopen(path, "r");
	int n = 0, wrong = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *file = strtok(line, "\t"), *cls = strtok(NULL, "\t");
		char *inv = NULL, *eml, *data, *s;
		struct dun_parsed *p;
		size_t len, found = 0, labelled = 0;
		int k;

		if (file == NULL || cls == NULL || strcmp(file, "file") == 0 ||
		    strcmp(cls, "auto_reply") == 0 || strcmp(cls, "bounce") == 0)
			continue;
		/* promised_date amount currency language invoices */
		for (k = 0; k < 5; k++)
			inv = strtok(NULL, "\t");
		eml = xasprintf("%s/replies/%s", TEST_DATA_DIR, file);
		assert_int_equal(dun_file_read(&data, &len, eml, 0), 0);
		assert_int_equal(dun_parse_message(&p, data, len, NULL), 0);
		for (s = inv; s && *s && strcmp(s, "-"); s = strchr(s, ','))
			labelled++, s += *s == ',';
		for (s = p->text; (s = strstr(s, "INV-")) != NULL; s += 4) {
			char num[16];
			snprintf(num, sizeof(num), "%.13s", s);
			found++;
			if (inv == NULL || strstr(inv, num) == NULL) {
				print_error("%s: %s is not the debtor's\n",
				    file, num);
				wrong++;
			}
		}
		if (labelled && found == 0) {
			print_error("%s: the debtor's %s are gone\n", file, inv);
			wrong++;
		}
		if (*p->text == '\0') {
			print_error("%s: nothing left\n", file);
			wrong++;
		}
		n++;
		dun_parsed_free(p);
		free(data);
		free(eml);
	}
	fclose(fp);
	free(path);
	print_message("%d labelled replies\n", n);
	assert_true(n >= 300);
	assert_int_equal(wrong, 0);
}

static const struct {
	const char *name, *in, *out;
} cases[] = {
	{ "split attribution",
	  "Will pay Friday.\n\nOn Fri, Nov 20, 2026 at 5:04 PM Acme Vendor Ltd "
	  "AR <\nar@vendor.test> wrote:\n\n> Dear Buyer\n",
	  "Will pay Friday." },
	{ "unquoted original after attribution",
	  "OK\n\nOn 20 Nov 2026, at 17:04, Acme <ar@vendor.test> wrote:\n\n"
	  "Dear Buyer,\nplease pay.\n", "OK" },
	{ "french and german",
	  "Payé.\n\nLe ven. 20 nov. 2026 à 17:04, Acme <ar@vendor.test> a "
	  "écrit :\n> Bonjour\n", "Payé." },
	{ "german",
	  "Bezahlt.\n\nAm 20.11.2026 um 17:04 schrieb Acme <ar@vendor.test>:\n"
	  "> Hallo\n", "Bezahlt." },
	{ "netease 在…写道",
	  "下周付款。\n\n在 2026-11-01 17:40:01，\"Acme\" <ar@vendor.test> 写道："
	  "\n> 尊敬的客户\n", "下周付款。" },
	{ "gmail zh 于…写道",
	  "好的\n\nAcme Vendor Ltd AR <ar@vendor.test> 于2026年10月30日周五 "
	  "17:04写道：\n\n> 尊敬的\n", "好的" },
	{ "traditional 於…寫道",
	  "已匯款\n\n於 2026年11月20日 下午5:04，Acme <ar@vendor.test> 寫道：\n"
	  "> 敬啟者\n", "已匯款" },
	{ "outlook zh header block with full-width colons",
	  "已付款。\n\n发件人： Acme <ar@vendor.test>\n发送时间： 2026年11月20日"
	  "\n收件人： 张伟\n主题： 付款提醒\n\n尊敬的客户\n", "已付款。" },
	{ "outlook tw header block",
	  "收到\n\n寄件者: Acme <ar@vendor.test>\n寄件日期: 2026年11月20日\n"
	  "收件者: 林\n主旨: 付款提醒\n\n敬啟者\n", "收到" },
	{ "qq separator",
	  "本周五付款\n\n------------------ 原始邮件 ------------------\n"
	  "发件人: \"Acme\"<ar@vendor.test>;\n", "本周五付款" },
	{ "qq separator with &nbsp;",
	  "OK\n------------------&nbsp;Original&nbsp;------------------\n"
	  "From: x\n", "OK" },
	{ "outlook original message",
	  "Paid.\n\n-----Original Message-----\nFrom: Acme\nSent: today\n",
	  "Paid." },
	{ "outlook zh old",
	  "三天内付款。\n\n-----邮件原件-----\n发件人: Acme\n", "三天内付款。" },
	{ "forward keeps the colleague's words",
	  "Please see below, can you check?\n\n---------- Forwarded message "
	  "---------\nFrom: Debtor <d@x.test>\nDate: today\nSubject: x\n\n"
	  "We dispute it.\n", "Please see below, can you check?" },
	{ "bare forward keeps the forwarded words",
	  "---------- Forwarded message ---------\nFrom: Debtor <d@x.test>\n"
	  "Date: today\nSubject: x\nTo: y\n\nWe dispute it.\n",
	  "We dispute it." },
	{ "signature delimiter", "Paid.\n-- \nJane\nCFO\n", "Paid." },
	{ "mobile signatures", "好\n\n发自我的iPhone\n", "好" },
	{ "outlook mobile", "Yes\n\nGet Outlook for iOS\n", "Yes" },
	{ "disclaimer",
	  "We will pay.\n\nThis email and any attachments are confidential and "
	  "intended solely for the addressee.\n", "We will pay." },
	{ "disclaimer zh",
	  "我们会付款。\n\n本邮件及其附件含有保密信息，仅限于发送给上面地址中列出"
	  "的个人或群组。\n", "我们会付款。" },
	{ "disclaimer tw",
	  "會付款\n\n此電子郵件及其附件可能含有機密資料。\n", "會付款" },
	{ "inline answers",
	  "> Can you pay?\nYes, Friday.\n> Which invoice?\nINV-1.\n",
	  "Yes, Friday.\nINV-1." },
	{ "crlf and blank runs", "a\r\n\r\n\r\n\r\nb\r\n", "a\n\nb" },
	{ "not an attribution", "On Monday we will pay.\nThanks\n",
	  "On Monday we will pay.\nThanks" },
	{ "empty", "", "" },
};

static void
test_quote__styles(void **state)
{
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(cases); i++) {
		char *out = dun_quote_strip(cases[i].in, NULL);
		print_message("%s\n", cases[i].name);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

static void
test_quote__reminder_guard(void **state)
{
	const char *rem = "Dear Buyer,\n\nInvoice INV-2026-0101 is overdue.\n"
	    "Thanks,\n";
	char *out = dun_quote_strip("Thanks,\nwe pay today.\n\nInvoice  "
	    "INV-2026-0101 is   overdue.\n", rem);

	/* Short common lines ("Thanks,") are not a sure sign: kept. */
	assert_string_equal(out, "Thanks,\nwe pay today.");
	free(out);
}

static void
test_quote__invalid_utf8(void **state)
{
	char *out = dun_quote_strip("ok \xff\xfe\n> q\n", NULL);

	assert_true(dun_utf8_valid(out, strlen(out)));
	assert_string_equal(out, "ok \xef\xbf\xbd\xef\xbf\xbd");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote__email_reply_parser),
		cmocka_unit_test(test_quote__bottom_post),
		cmocka_unit_test(test_quote__talon_standard_replies),
		cmocka_unit_test(test_quote__talon_html_replies),
		cmocka_unit_test(test_quote__labelled_corpus_invoices),
		cmocka_unit_test(test_quote__styles),
		cmocka_unit_test(test_quote__reminder_guard),
		cmocka_unit_test(test_quote__invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
