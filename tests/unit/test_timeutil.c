/* Calendar and time-zone arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"

static void
test_timeutil__dates(void **state)
{
	static const char *good[] = { "1970-01-01", "2026-11-22",
		"2024-02-29", "2026-12-31", "2000-02-29" };
	static const char *bad[] = { "2026-02-29", "2026-13-01", "2026-11-31",
		"26-11-22", "2026/11/22", "2026-11-22x", "", "1900-02-29" };
	dun_date_t d;
	char out[11];
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(good); i++) {
		assert_int_equal(dun_date_parse(&d, good[i]), 0);
		dun_date_format(out, d);
		assert_string_equal(out, good[i]);
	}
	for (i = 0; i < DUN_ARRAY_SIZE(bad); i++)
		assert_int_equal(dun_date_parse(&d, bad[i]), DUN_EINVAL);
	assert_int_equal(dun_date_parse(&d, "1970-01-01"), 0);
	assert_int_equal(d, 0);
	assert_int_equal(dun_date_weekday(d), 4); /* Thursday */
	assert_int_equal(dun_date_parse(&d, "2026-11-22"), 0);
	assert_int_equal(dun_date_weekday(d), 0); /* Sunday */
}

static void
test_timeutil__iso_instants(void **state)
{
	static const struct {
		const char *text;
		dun_time_t t;
	} rows[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-22", 1795305600 },
		{ "2026-11-22T09:30:00Z", 1795305600 + 9 * 3600 + 1800 },
		{ "2026-11-22T09:30", 1795305600 + 9 * 3600 + 1800 },
		{ "2026-11-22T17:30:00+08:00", 1795305600 + 9 * 3600 + 1800 },
		{ "2026-11-22T04:30:00-0500", 1795305600 + 9 * 3600 + 1800 },
	};
	dun_time_t t;
	char out[21];
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		assert_int_equal(dun_time_parse(&t, rows[i].text), 0);
		assert_int_equal(t, rows[i].t);
	}
	assert_int_equal(dun_time_parse(&t, "yesterday"), DUN_EINVAL);
	assert_int_equal(dun_time_parse(&t, "2026-11-22T25:00Z"), DUN_EINVAL);
	dun_time_format_utc(out, 1795305600 + 9 * 3600 + 1800);
	assert_string_equal(out, "2026-11-22T09:30:00Z");
}

static void
test_timeutil__zones(void **state)
{
	dun_date_t d;
	dun_time_t t;
	char out[64];

	(void)state;
	assert_true(dun_tz_valid("Asia/Shanghai"));
	assert_true(dun_tz_valid("UTC"));
	assert_false(dun_tz_valid("Mars/Olympus"));
	assert_false(dun_tz_valid("../etc/passwd"));
	assert_int_equal(dun_date_parse(&d, "2026-11-16"), 0);
	/* 09:00 in Shanghai is 01:00 UTC. */
	t = dun_tz_instant(d, 9 * 60, "Asia/Shanghai");
	dun_time_format_utc(out, t);
	assert_string_equal(out, "2026-11-16T01:00:00Z");
	dun_time_format_local(out, sizeof(out), t, "Asia/Shanghai");
	assert_string_equal(out, "2026-11-16 09:00 Asia/Shanghai");
	/* New York in winter is UTC-5; in summer UTC-4. */
	t = dun_tz_instant(d, 9 * 60, "America/New_York");
	dun_time_format_utc(out, t);
	assert_string_equal(out, "2026-11-16T14:00:00Z");
	assert_int_equal(dun_date_parse(&d, "2026-07-01"), 0);
	t = dun_tz_instant(d, 9 * 60, "America/New_York");
	dun_time_format_utc(out, t);
	assert_string_equal(out, "2026-07-01T13:00:00Z");
	/* The local date differs from the UTC date near midnight. */
	assert_int_equal(dun_time_parse(&t, "2026-11-15T20:00:00Z"), 0);
	dun_date_format(out, dun_tz_date(t, "Asia/Shanghai"));
	assert_string_equal(out, "2026-11-16");
	dun_date_format(out, dun_tz_date(t, "America/Los_Angeles"));
	assert_string_equal(out, "2026-11-15");
	dun_time_format_rfc5322(out, sizeof(out), t, "Asia/Shanghai");
	assert_string_equal(out, "Mon, 16 Nov 2026 04:00:00 +0800");
}

/* The zone functions switch the process's TZ; dun_tz_reset() puts its
 * own back (syslog() stamps local time by it). */
static void
test_timeutil__tz_reset(void **state)
{
	const time_t t = 1795305600; /* 2026-11-22T00:00:00Z */
	const char *env = getenv("TZ");
	char *saved = env ? xstrdup(env) : NULL;
	struct tm tm;

	(void)state;
	dun_tz_reset();
	setenv("TZ", "America/Sao_Paulo", 1); /* the process's own: UTC-3 */
	tzset();
	/* A debtor's zone... */
	assert_int_equal(dun_tz_offset(t, "Pacific/Kiritimati"), 14 * 3600);
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_gmtoff, 14 * 3600);
	/* ...until reset. */
	dun_tz_reset();
	assert_string_equal(getenv("TZ"), "America/Sao_Paulo");
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_gmtoff, -3 * 3600);
	/* The zones work as before after it, and a second reset is free. */
	assert_int_equal(dun_tz_offset(t, "Asia/Shanghai"), 8 * 3600);
	assert_int_equal(dun_tz_offset(t, "Pacific/Kiritimati"), 14 * 3600);
	dun_tz_reset();
	dun_tz_reset();
	assert_string_equal(getenv("TZ"), "America/Sao_Paulo");
	/* A process without TZ gets none back. */
	unsetenv("TZ");
	tzset();
	assert_int_equal(dun_tz_offset(t, "Asia/Shanghai"), 8 * 3600);
	dun_tz_reset();
	assert_null(getenv("TZ"));
	if (saved)
		setenv("TZ", saved, 1);
	tzset();
	free(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeutil__dates),
		cmocka_unit_test(test_timeutil__iso_instants),
		cmocka_unit_test(test_timeutil__zones),
		cmocka_unit_test(test_timeutil__tz_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
