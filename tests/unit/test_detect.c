/* Bounces and auto-replies: our fixtures, then every message of the
 * labelled reply corpus (tests/data/replies) against its label. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/parse/parse.h"

static struct dun_parsed *
parse_path(const char *path)
{
	struct dun_parsed *p = NULL;
	char *data;
	size_t len;

	if (dun_file_read(&data, &len, path, 0) < 0)
		fail_msg("%s: %s", path, dun_error_last());
	assert_int_equal(dun_parse_message(&p, data, len, NULL), 0);
	free(data);
	return p;
}

static struct dun_parsed *
parse_fixture(const char *name)
{
	char *path = xasprintf("%s/mime/%s", TEST_DATA_DIR, name);
	struct dun_parsed *p = parse_path(path);

	free(path);
	return p;
}

static void
test_detect__dsn_postfix(void **state)
{
	struct dun_parsed *p = parse_fixture("dsn_postfix.eml");

	assert_int_equal(p->auto_kind, DUN_AUTO_BOUNCE);
	assert_int_equal(p->bounce_hard, 1);
	assert_int_equal(p->nbounce_rcpts, 2);
	assert_string_equal(p->bounce_rcpts[0].recipient, "j.smith@buyer.test");
	assert_string_equal(p->bounce_rcpts[0].action, "failed");
	assert_string_equal(p->bounce_rcpts[0].status, "5.1.1");
	assert_int_equal(p->bounce_rcpts[0].hard, 1);
	assert_string_equal(p->bounce_rcpts[1].recipient, "ap@buyer.test");
	assert_string_equal(p->bounce_rcpts[1].status, "4.4.1");
	assert_int_equal(p->bounce_rcpts[1].hard, 0);
	assert_string_equal(p->bounced_message_id,
	    "dun.20261123.q1w2e3@vendor.test");
	assert_non_null(strstr(p->auto_evidence, "delivery-status"));
	dun_parsed_free(p);
}

static void
test_detect__text_bounces(void **state)
{
	static const struct {
		const char *file, *rcpt, *status, *msgid;
	} rows[] = {
		{ "exim_bounce.eml", "finance@tidewater.test", "5.1.1",
		  "dun.20261123.exim01@vendor.test" },
		{ "exchange_ndr.eml", "ap.clerk@buyer.test", "5.1.10",
		  "dun.20261123.ex0001@vendor.test" },
	};
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		struct dun_parsed *p = parse_fixture(rows[i].file);
		print_message("%s\n", rows[i].file);
		assert_int_equal(p->auto_kind, DUN_AUTO_BOUNCE);
		assert_int_equal(p->bounce_hard, 1);
		assert_int_equal(p->nbounce_rcpts, 1);
		assert_string_equal(p->bounce_rcpts[0].recipient, rows[i].rcpt);
		assert_string_equal(p->bounce_rcpts[0].status, rows[i].status);
		assert_string_equal(p->bounced_message_id, rows[i].msgid);
		dun_parsed_free(p);
	}
}

static void
test_detect__out_of_office(void **state)
{
	struct dun_parsed *p = parse_fixture("ooo_headers.eml");

	assert_int_equal(p->auto_kind, DUN_AUTO_REPLY);
	assert_string_equal(p->auto_evidence, "Auto-Submitted: auto-replied");
	assert_int_equal(p->return_date, dun_date_from_ymd(2026, 11, 30));
	dun_parsed_free(p);

	p = parse_fixture("ooo_noheaders_zh.eml");
	assert_int_equal(p->auto_kind, DUN_AUTO_REPLY);
	assert_int_equal(p->return_date, dun_date_from_ymd(2026, 11, 30));
	dun_parsed_free(p);

	/* X-Auto-Response-Suppress alone is a person's reply. */
	p = parse_fixture("suppress_only.eml");
	assert_int_equal(p->auto_kind, DUN_AUTO_NONE);
	dun_parsed_free(p);
}

static void
test_detect__return_dates(void **state)
{
	static const struct {
		const char *subject, *body;
		int y, m, d;   /* 0 = none */
	} rows[] = {
		{ "Out of Office: x", "I am away until Monday 30 November.",
		  2026, 11, 30 },
		{ "Automatic reply: x", "I will be back on 2 December 2026.",
		  2026, 12, 2 },
		{ "Auto: x", "Returning 12/01, limited access.", 2026, 12, 1 },
		{ "自动回复: x", "我将于11月30日返回。", 2026, 11, 30 },
		{ "自動回覆: x", "本人休假至2026年12月3日。", 2026, 12, 3 },
		{ "Autoreply: x", "Back on Jan 5th.", 2027, 1, 5 },
		{ "Out of Office: x", "I am out of the office until Monday.",
		  2026, 11, 23 },
		{ "Out of Office: x", "On leave since 20 November, back on "
		  "November 30, 2026.", 2026, 11, 30 },
		{ "Automatic reply: x", "Thanks for your message.", 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		/* Sent on Friday 20 November 2026, 17:00 +0800. */
		char *msg = xasprintf("From: a@b.test\r\nSubject: %s\r\nDate: "
		    "Fri, 20 Nov 2026 17:00:00 +0800\r\nContent-Type: text/"
		    "plain; charset=utf-8\r\n\r\n%s\r\n", rows[i].subject,
		    rows[i].body);
		struct dun_parsed *p;
		assert_int_equal(dun_parse_message(&p, msg, strlen(msg), NULL),
		    0);
		print_message("%s\n", rows[i].body);
		assert_int_equal(p->auto_kind, DUN_AUTO_REPLY);
		assert_int_equal(p->return_date, rows[i].y ?
		    dun_date_from_ymd(rows[i].y, rows[i].m, rows[i].d) :
		    DUN_DATE_NONE);
		dun_parsed_free(p);
		free(msg);
	}
}

static void
test_detect__headers(void **state)
{
	static const struct {
		const char *headers;
		enum dun_auto_kind kind;
	} rows[] = {
		{ "Auto-Submitted: auto-replied\r\n", DUN_AUTO_REPLY },
		{ "Auto-Submitted: no\r\n", DUN_AUTO_NONE },
		{ "X-Autoreply: yes\r\n", DUN_AUTO_REPLY },
		{ "X-Autorespond: x\r\n", DUN_AUTO_REPLY },
		{ "Precedence: auto_reply\r\n", DUN_AUTO_REPLY },
		{ "Precedence: bulk\r\n", DUN_AUTO_NONE },
		{ "X-Apple-Action: vacation\r\n", DUN_AUTO_REPLY },
		{ "X-Auto-Response-Suppress: All\r\n", DUN_AUTO_NONE },
		{ "From: MAILER-DAEMON@x.test\r\n", DUN_AUTO_BOUNCE },
	};
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		char *msg = xasprintf("%sSubject: Re: reminder\r\n\r\n"
		    "We will pay on Friday.\r\n", rows[i].headers);
		struct dun_parsed *p;
		assert_int_equal(dun_parse_message(&p, msg, strlen(msg), NULL),
		    0);
		print_message("%s", rows[i].headers);
		assert_int_equal(p->auto_kind, rows[i].kind);
		dun_parsed_free(p);
		free(msg);
	}
}

/* Every labelled reply: auto_reply and bounce detected, nothing else. */
static void
test_detect__labelled_corpus(void **state)
{
	char *path = xasprintf("%s/replies/labels.tsv", TEST_DATA_DIR);
	char line[4096];
	FILE *fp = fopen(path, "r");
	int n = 0, wrong = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *file = strtok(line, "\t"), *cls = strtok(NULL, "\t");
		enum dun_auto_kind want;
		struct dun_parsed *p;
		char *eml;
		if (file == NULL || cls == NULL || strcmp(file, "file") == 0)
			continue;
		want = strcmp(cls, "auto_reply") == 0 ? DUN_AUTO_REPLY :
		    strcmp(cls, "bounce") == 0 ? DUN_AUTO_BOUNCE : DUN_AUTO_NONE;
		eml = xasprintf("%s/replies/%s", TEST_DATA_DIR, file);
		p = parse_path(eml);
		if (p->auto_kind != want) {
			print_error("%s: kind %d, labelled %s\n", file,
			    p->auto_kind, cls);
			wrong++;
		}
		if (want == DUN_AUTO_BOUNCE && p->nbounce_rcpts == 0) {
			print_error("%s: bounce without a recipient\n", file);
			wrong++;
		}
		n++;
		dun_parsed_free(p);
		free(eml);
	}
	fclose(fp);
	free(path);
	print_message("%d labelled replies\n", n);
	assert_true(n >= 350);
	assert_int_equal(wrong, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect__dsn_postfix),
		cmocka_unit_test(test_detect__text_bounces),
		cmocka_unit_test(test_detect__out_of_office),
		cmocka_unit_test(test_detect__return_dates),
		cmocka_unit_test(test_detect__headers),
		cmocka_unit_test(test_detect__labelled_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
