/* Date and amount expressions: rows of [text, reply date, locale] ->
 * [first date found] and [text] -> [amount, currency]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/reply/dates.h"

static const struct {
	const char *text;
	const char *ref;     /* the reply's local date */
	const char *locale;
	const char *want;    /* first date, "ambiguous" or "-" for none */
} date_rows[] = {
	/* Thu 2026-11-19 */
	{ "by Friday", "2026-11-19", NULL, "2026-11-20" },
	{ "ok will pay thurs", "2026-11-19", NULL, "2026-11-26" },
	{ "next Tuesday", "2026-11-19", NULL, "2026-11-24" },
	{ "this Wednesday", "2026-11-23", NULL, "2026-11-25" },
	{ "Friday next week", "2026-11-19", NULL, "2026-11-27" },
	{ "tomorrow", "2026-11-19", NULL, "2026-11-20" },
	{ "sory we wil pay tommorow", "2026-11-19", NULL, "2026-11-20" },
	{ "the day after tomorrow", "2026-11-19", NULL, "2026-11-21" },
	{ "today", "2026-11-19", NULL, "2026-11-19" },
	{ "by the end of the month", "2026-11-19", NULL, "2026-11-30" },
	{ "EOM", "2026-11-19", NULL, "2026-11-30" },
	{ "month-end", "2026-11-19", NULL, "2026-11-30" },
	{ "the last working day of the month", "2026-11-02", NULL,
	    "2026-11-30" },
	{ "by the end of this week", "2026-11-19", NULL, "2026-11-20" },
	{ "on 30 November", "2026-11-19", NULL, "2026-11-30" },
	{ "November 27", "2026-11-19", NULL, "2026-11-27" },
	{ "by 1st Dec", "2026-11-19", NULL, "2026-12-01" },
	{ "13-Nov", "2026-11-19", NULL, "2026-11-13" },
	{ "the 25th", "2026-11-19", NULL, "2026-11-25" },
	{ "the 15th", "2026-11-19", NULL, "2026-12-15" },
	{ "Monday 16th", "2026-11-12", NULL, "2026-11-16" },
	{ "Thursday 26 November", "2026-11-19", NULL, "2026-11-26" },
	{ "20/11/2026", "2026-11-19", NULL, "2026-11-20" },
	{ "11/20/2026", "2026-11-19", NULL, "2026-11-20" },
	{ "24.11.2026", "2026-11-19", NULL, "2026-11-24" },
	{ "2026-12-04", "2026-11-19", NULL, "2026-12-04" },
	{ "03/04", "2026-11-19", NULL, "ambiguous" },
	{ "03/04", "2026-11-19", "en-GB", "2027-04-03" },
	{ "03/12", "2026-11-19", "en-US", "2027-03-12" },
	{ "within 3 days", "2026-11-19", NULL, "2026-11-22" },
	{ "within 5 business days", "2026-11-12", NULL, "2026-11-19" },
	{ "in two weeks", "2026-11-19", NULL, "2026-12-03" },
	{ "January 5", "2026-12-20", NULL, "2027-01-05" },
	{ "end of December", "2026-11-19", NULL, "2026-12-31" },
	{ "price 3.5 per unit, 1,200.50 total", "2026-11-19", NULL, "-" },
	{ "call 0412 555 019 at 10:14", "2026-11-19", NULL, "-" },
	{ "INV-2026-0142", "2026-11-19", NULL, "-" },
	/* Chinese, Thu 2026-11-19 */
	{ "本周五", "2026-11-19", NULL, "2026-11-20" },
	{ "这周四把钱转过去", "2026-11-23", NULL, "2026-11-26" },
	{ "下周一", "2026-11-19", NULL, "2026-11-23" },
	{ "下週三", "2026-11-18", NULL, "2026-11-25" },
	{ "下个礼拜一付款", "2026-11-12", NULL, "2026-11-16" },
	{ "周五下午付", "2026-11-19", NULL, "2026-11-20" },
	{ "星期天", "2026-11-19", NULL, "2026-11-22" },
	{ "明天", "2026-11-19", NULL, "2026-11-20" },
	{ "今天下午", "2026-11-19", NULL, "2026-11-19" },
	{ "后天付款", "2026-11-19", NULL, "2026-11-21" },
	{ "月底前", "2026-11-19", NULL, "2026-11-30" },
	{ "这个月底", "2026-11-19", NULL, "2026-11-30" },
	{ "11月30日", "2026-11-19", NULL, "2026-11-30" },
	{ "十二月五日", "2026-11-19", NULL, "2026-12-05" },
	{ "2026年12月5日", "2026-11-19", NULL, "2026-12-05" },
	{ "三天内", "2026-11-19", NULL, "2026-11-22" },
	{ "两天后到账", "2026-11-11", NULL, "2026-11-13" },
	{ "5个工作日内", "2026-11-19", NULL, "2026-11-26" },
	{ "每月15号", "2026-11-24", NULL, "2026-12-15" },
	{ "本月20号", "2026-11-02", NULL, "2026-11-20" },
	{ "11号", "2026-11-04", NULL, "2026-11-11" },
	{ "这周内", "2026-11-18", NULL, "2026-11-20" },
	{ "流水号2026111200318", "2026-11-19", NULL, "-" },
};

static void
test_dates__table(void **state)
{
	struct dun_date_hit hits[8];
	dun_date_t ref;
	char got[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(date_rows); i++) {
		assert_int_equal(dun_date_parse(&ref, date_rows[i].ref), 0);
		n = dun_dates_scan(hits, 8, date_rows[i].text,
		    strlen(date_rows[i].text), ref,
		    dun_day_order_from_locale(date_rows[i].locale));
		if (n == 0)
			strcpy(got, "-");
		else if (hits[0].ambiguous)
			strcpy(got, "ambiguous");
		else
			dun_date_format(got, hits[0].date);
		if (strcmp(got, date_rows[i].want) != 0)
			fail_msg("'%s' on %s: want %s, got %s",
			    date_rows[i].text, date_rows[i].ref,
			    date_rows[i].want, got);
	}
}

static void
test_dates__done_clause(void **state)
{
	static const char text[] = "今天已经提交银行了，预计两天后到账";
	struct dun_date_hit hits[4];
	dun_date_t ref;
	size_t n;

	(void)state;
	dun_date_parse(&ref, "2026-11-11");
	n = dun_dates_scan(hits, 4, text, strlen(text), ref,
	    DUN_DAY_ORDER_UNKNOWN);
	assert_int_equal(n, 2);
	assert_int_equal(hits[0].done, 1);
	assert_int_equal(hits[1].done, 0);
}

static void
test_dates__no_reference(void **state)
{
	struct dun_date_hit hits[4];
	size_t n;

	(void)state;
	n = dun_dates_scan(hits, 4, "Friday, 2026-12-04, the 25th", 28,
	    DUN_DATE_NONE, DUN_DAY_ORDER_UNKNOWN);
	assert_int_equal(n, 1);  /* only the one that needs no reference */
	assert_int_equal(hits[0].date, dun_date_from_ymd(2026, 12, 4));
}

static const struct {
	const char *text;
	int zh;
	int64_t minor;
	const char *currency;
} amount_rows[] = {
	{ "pay $500 a month", 0, 50000, "USD" },
	{ "€1,200", 0, 120000, "EUR" },
	{ "GBP 300", 0, 30000, "GBP" },
	{ "300 EUR", 0, 30000, "EUR" },
	{ "HK$15,600", 0, 1560000, "HKD" },
	{ "S$1,000", 0, 100000, "SGD" },
	{ "USD 8,120.50", 0, 812050, "USD" },
	{ "£3,912.40", 0, 391240, "GBP" },
	{ "每月还2000", 1, 200000, "CNY" },
	{ "每月还2000", 0, -1, "" },
	{ "¥5,000", 1, 500000, "CNY" },
	{ "5万元", 1, 5000000, "CNY" },
	{ "8.6万", 1, 8600000, "CNY" },
	{ "人民币12,500元", 1, 1250000, "CNY" },
	{ "RMB 6,800.00", 1, 680000, "CNY" },
	{ "NT$36,500", 1, 3650000, "TWD" },
	{ "3000美元", 1, 300000, "USD" },
	{ "共计¥21,450.00", 1, 2145000, "CNY" },
	{ "每月15号付", 1, -1, "" },
	{ "PO 4500123 for 120 pcs", 0, -1, "" },
};

static void
test_dates__amounts(void **state)
{
	struct dun_amount_hit hits[4];
	size_t i, n;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(amount_rows); i++) {
		n = dun_amounts_scan(hits, 4, amount_rows[i].text,
		    strlen(amount_rows[i].text), amount_rows[i].zh);
		if (amount_rows[i].minor < 0) {
			if (n != 0)
				fail_msg("'%s': want none, got %lld %s",
				    amount_rows[i].text,
				    (long long)hits[0].minor, hits[0].currency);
			continue;
		}
		if (n == 0 || hits[0].minor != amount_rows[i].minor ||
		    strcmp(hits[0].currency, amount_rows[i].currency) != 0)
			fail_msg("'%s': want %lld %s, got %lld %s",
			    amount_rows[i].text,
			    (long long)amount_rows[i].minor,
			    amount_rows[i].currency,
			    n ? (long long)hits[0].minor : -1LL,
			    n ? hits[0].currency : "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates__table),
		cmocka_unit_test(test_dates__done_clause),
		cmocka_unit_test(test_dates__no_reference),
		cmocka_unit_test(test_dates__amounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
