/* Money parsing and formatting: table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dunmail/common.h"
#include "dunmail/money.h"

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
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		int64_t v = -999;
		int rc = dun_money_parse(&v, rows[i].text, rows[i].cur);
		if (rows[i].ok) {
			assert_int_equal(rc, 0);
			assert_int_equal(v, rows[i].minor);
		} else
			assert_int_equal(rc, DUN_EINVAL);
	}
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
		cmocka_unit_test(test_money__format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
