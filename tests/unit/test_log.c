/* Trace categories: -T and DUNMAIL_TRACE, "all" included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"

static void
test_log__parse_trace(void **state)
{
	static const struct {
		const char *spec;
		int mask;
	} rows[] = {
		{ "smtp", TRACE_SMTP },
		{ "smtp,imap", TRACE_SMTP | TRACE_IMAP },
		{ "classify,store", TRACE_CLASSIFY | TRACE_STORE },
		{ "all", TRACE_ALL },
		{ "smtp,all", TRACE_ALL },
		{ "", 0 },
		{ "smtp,bogus", -1 },
		{ "SMTP", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++)
		if (log_parse_trace(rows[i].spec) != rows[i].mask)
			fail_msg("'%s': %d, expected %d", rows[i].spec,
			    log_parse_trace(rows[i].spec), rows[i].mask);
	/* "all" is a mask, never read as the -1 of an error, and it holds
	 * every category. */
	assert_true(TRACE_ALL > 0);
	assert_int_equal(TRACE_ALL & (TRACE_SMTP | TRACE_IMAP | TRACE_CASE |
	    TRACE_SCHED | TRACE_PARSE | TRACE_STORE | TRACE_CLASSIFY),
	    TRACE_ALL);
}

static void
test_log__trace_env_all(void **state)
{
	(void)state;
	log_set_trace(0);
	setenv("DUNMAIL_TRACE", "all", 1);
	log_init("test_log", 0, 0);
	unsetenv("DUNMAIL_TRACE");
	assert_true(log_trace_enabled(TRACE_SMTP));
	assert_true(log_trace_enabled(TRACE_CLASSIFY));
	log_set_trace(0);
	setenv("DUNMAIL_TRACE", "imap", 1);
	log_init("test_log", 0, 0);
	unsetenv("DUNMAIL_TRACE");
	assert_true(log_trace_enabled(TRACE_IMAP));
	assert_false(log_trace_enabled(TRACE_SMTP));
	log_set_trace(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log__parse_trace),
		cmocka_unit_test(test_log__trace_env_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
