/* Money parsing and formatting: table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/core/money.h"

static void
test_money__parse_table(void **state)
{
	static const struct {
		const char *text, *cur;
		int ok;
		int64_t minor;
	} rows[] = {
		{ "4800.00", "USD", 1, 480000 },
		{ "4,800.5", "USD", 1, 480050 },
		{ "4800", "EUR", 1, 480000 },
		{ "120000", "JPY", 1, 120000 },
		{ "1.5", "JPY", 0, 0 },          /* JPY has no decimals */
		{ "1.234", "KWD", 1, 1234 },
		{ "-12.30", "GBP", 1, -1230 },
		{ "12.345", "USD", 0, 0 },
		{ "abc", "USD", 0, 0 },
		{ "", "USD", 0, 0 },
		{ "10", "XXX", 0, 0 },           /* unknown currency */
		{ "10", "usd", 0, 0 },           /* codes are upper case */
		{ "1e5", "USD", 0, 0 },
		/* A comma only ever separates thousands. */
		{ "1,234,567.89", "USD", 1, 123456789 },
		{ "1,234", "EUR", 1, 123400 },
		{ "100,00", "EUR", 0, 0 },
		{ "1,2,3", "USD", 0, 0 },
		{ "1234,567", "USD", 0, 0 },
		{ "1,2345", "USD", 0, 0 },
		{ "1,234,56", "USD", 0, 0 },
		{ ",100", "USD", 0, 0 },
		{ "100,", "USD", 0, 0 },
		{ "1,234.5,6", "USD", 0, 0 },
		{ " 4,800.00 ", "USD", 1, 480000 },
		{ "-1,000", "JPY", 1, -1000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		int64_t v = -999;
		int rc = dun_money_parse(&v, rows[i].text, rows[i].cur);
		if (rows[i].ok) {
			if (rc != 0)
				fail_msg("row %zu '%s': %s", i, rows[i].text,
				    dun_error_last());
			assert_int_equal(v, rows[i].minor);
		} else if (rc != DUN_EINVAL)
			fail_msg("row %zu '%s' parsed as %lld", i,
			    rows[i].text, (long long)v);
	}
}

/* The refusal names the amount and what to do about it. */
static void
test_money__misplaced_comma_named(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(dun_money_parse(&v, "100,00", "EUR"), DUN_EINVAL);
	assert_non_null(strstr(dun_error_last(), "'100,00'"));
	assert_non_null(strstr(dun_error_last(), "decimal_separator = comma"));
}

/* Exports that write 1.234,56 and 100,00. */
static void
test_money__decimal_comma_table(void **state)
{
	static const struct {
		const char *text, *cur;
		int ok;
		int64_t minor;
	} rows[] = {
		{ "100,00", "EUR", 1, 10000 },
		{ "1.234,56", "EUR", 1, 123456 },
		{ "1.234.567,8", "EUR", 1, 123456780 },
		{ "1 234,56", "EUR", 1, 123456 },
		{ "1\xc2\xa0" "234,56", "EUR", 1, 123456 },     /* U+00A0 */
		{ "1\xe2\x80\xaf" "234,56", "EUR", 1, 123456 }, /* U+202F */
		{ "-12,3", "EUR", 1, -1230 },
		{ "4800", "EUR", 1, 480000 },
		{ "1,234", "KWD", 1, 1234 },
		{ "1.234", "JPY", 1, 1234 },
		{ "1.23", "EUR", 0, 0 },          /* '.' groups thousands */
		{ "1.234 567,00", "EUR", 0, 0 },  /* two kinds of separator */
		{ "1.2.3", "EUR", 0, 0 },
		{ "1,2,3", "EUR", 0, 0 },
		{ "12,345", "EUR", 0, 0 },        /* three decimals for EUR */
		{ "4,800.00", "USD", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		int64_t v = -999;
		int rc = dun_money_parse_sep(&v, rows[i].text, rows[i].cur,
		    ',');
		if (rows[i].ok) {
			if (rc != 0)
				fail_msg("row %zu '%s': %s", i, rows[i].text,
				    dun_error_last());
			assert_int_equal(v, rows[i].minor);
		} else if (rc != DUN_EINVAL)
			fail_msg("row %zu '%s' parsed as %lld", i,
			    rows[i].text, (long long)v);
	}
}

/* The whole of ISO 4217 list one, with the right minor units. */
static void
test_money__currency_exponents(void **state)
{
	static const struct {
		const char *code;
		int exponent;
	} rows[] = {
		{ "GHS", 2 }, { "ZMW", 2 }, { "ZWG", 2 }, { "CLF", 4 },
		{ "UYW", 4 }, { "UYI", 0 }, { "XAF", 0 }, { "VUV", 0 },
		{ "BHD", 3 }, { "TND", 3 }, { "AED", 2 }, { "ZAR", 2 },
		{ "USD", 2 }, { "JPY", 0 }, { "XCD", 2 },
		/* Metals, units of account and test codes are not. */
		{ "XAU", -1 }, { "XDR", -1 }, { "XSU", -1 }, { "XXX", -1 },
		{ "XTS", -1 }, { "ABC", -1 }, { "", -1 }, { "USDX", -1 },
	};
	size_t i;
	int64_t v;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++)
		if (dun_currency_exponent(rows[i].code) != rows[i].exponent)
			fail_msg("%s: exponent %d, expected %d", rows[i].code,
			    dun_currency_exponent(rows[i].code),
			    rows[i].exponent);
	assert_int_equal(dun_money_parse(&v, "1.2345", "CLF"), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(dun_money_parse(&v, "1,250.50", "GHS"), 0);
	assert_int_equal(v, 125050);
}

static void
test_money__format(void **state)
{
	char out[64];

	(void)state;
	dun_money_format(out, sizeof(out), 480000, "USD", "en");
	assert_string_equal(out, "USD 4,800.00");
	dun_money_format(out, sizeof(out), 4200000, "CNY", "zh");
	assert_string_equal(out, "\xc2\xa5" "42,000.00");
	dun_money_format(out, sizeof(out), 4200000, "CNY", "en");
	assert_string_equal(out, "CNY 42,000.00");
	dun_money_format(out, sizeof(out), 18500000, "TWD", "zh");
	assert_string_equal(out, "TWD 185,000.00");
	dun_money_format(out, sizeof(out), 120000, "JPY", "en");
	assert_string_equal(out, "JPY 120,000");
	dun_money_format(out, sizeof(out), -5, "USD", "en");
	assert_string_equal(out, "USD -0.05");
	dun_money_plain(out, sizeof(out), 297550, "USD");
	assert_string_equal(out, "2975.50");
	dun_money_plain(out, sizeof(out), 1234, "KWD");
	assert_string_equal(out, "1.234");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money__parse_table),
		cmocka_unit_test(test_money__misplaced_comma_named),
		cmocka_unit_test(test_money__decimal_comma_table),
		cmocka_unit_test(test_money__currency_exponents),
		cmocka_unit_test(test_money__format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
