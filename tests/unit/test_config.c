/* Config loading: defaults, every kind of value, and file:line problems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "dunmail/config/config.h"
#include "testutil.h"

static int
setup(void **state)
{
	*state = test_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	test_rmtree(*state);
	free(*state);
	return 0;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
test_config__starter_is_valid(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	char *text = NULL, *path, *shipped;

	assert_int_equal(dun_config_starter_text(&text, NULL, NULL), 0);
	path = test_write(*state, "dunmail.conf", text);
	free(text);
	assert_int_equal(dun_config_load(&cfg, path, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_string_equal(cfg->sender_email, "ar@vendor.test");
	assert_string_equal(cfg->msgid_domain, "vendor.test");
	assert_int_equal(cfg->policy.nstages, 5);
	assert_int_equal(cfg->policy.stages[0].offset_days, -7);
	assert_string_equal(cfg->policy.stages[4].template, "final_notice");
	assert_int_equal(cfg->policy.window_start, 9 * 60);
	assert_int_equal(cfg->policy.window_end, 17 * 60);
	assert_int_equal(cfg->policy.weekdays, 0x3e); /* mon-fri */
	assert_int_equal(cfg->policy.nholidays, 2);
	assert_int_equal(cfg->smtp.tls, DUN_TLS_STARTTLS);
	assert_int_equal(cfg->imap.tls, DUN_TLS_IMPLICIT);
	/* Relative paths resolve against the config's directory. */
	assert_non_null(strstr(cfg->store_path, "/dunmail.db"));
	assert_int_equal(cfg->store_path[0], '/');
	/* The templates are the shipped ones (from a build tree: the
	 * sources'), not a templates/ folder that a fresh one lacks. */
	shipped = dun_config_templates_dir();
	assert_string_equal(cfg->templates_dir, shipped);
	assert_true(is_dir(shipped));
	text = xasprintf("%s/mail/en", shipped);
	assert_true(is_dir(text));
	free(text);
	free(shipped);
	assert_int_equal(cfg->ledger.decimal_sep, '.');
	dun_config_free(cfg);
	free(path);
}

/* `dunmail init --store PATH`: the starter names that store. */
static void
test_config__starter_names_store(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	char *text = NULL, *path, *store;

	store = xasprintf("%s/elsewhere/ar.db", (char *)*state);
	assert_int_equal(dun_config_starter_text(&text, store,
	    "/opt/dunmail/templates"), 0);
	path = test_write(*state, "dunmail.conf", text);
	free(text);
	assert_int_equal(dun_config_load(&cfg, path, &diags), 0);
	assert_string_equal(cfg->store_path, store);
	assert_string_equal(cfg->templates_dir, "/opt/dunmail/templates");
	assert_int_equal(dun_config_key_line(cfg, "store", "path") > 0, 1);
	dun_config_free(cfg);
	free(path);
	free(store);
	/* What INI would cut or read otherwise is refused. */
	assert_int_equal(dun_config_starter_text(&text, "a\nb.db", NULL),
	    DUN_EINVAL);
	assert_null(text);
	assert_int_equal(dun_config_starter_text(&text, "/x ;y.db", NULL),
	    DUN_EINVAL);
	assert_int_equal(dun_config_starter_text(&text, "/x.db ", NULL),
	    DUN_EINVAL);
}

static void
test_config__values(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	char *path = test_write(*state, "c.conf",
	    "[sender]\n"
	    "email = billing@example.com\n"
	    "payment_instructions = Line one\n"
	    "  Line two\n"
	    "[policy]\n"
	    "stages = +30 final_notice, -3 before_due, +5 overdue_1\n"
	    "weekdays = sat-mon\n"
	    "window = 08:30-18:00\n"
	    "[holidays]\n"
	    "CN = 2026-10-01, 2026-10-02\n"
	    "* = 2026-12-25\n"
	    "[ledger]\n"
	    "invoice.invoice_number = Invoice No\n"
	    "date_format = DD/MM/YYYY\n"
	    "delimiter = semicolon\n");

	assert_int_equal(dun_config_load(&cfg, path, &diags), 0);
	assert_string_equal(cfg->payment_instructions, "Line one\nLine two");
	assert_string_equal(cfg->msgid_domain, "example.com");
	/* Stages come back sorted by offset. */
	assert_int_equal(cfg->policy.stages[0].offset_days, -3);
	assert_int_equal(cfg->policy.stages[2].offset_days, 30);
	assert_int_equal(cfg->policy.weekdays, (1u << 6) | 1u | (1u << 1));
	assert_int_equal(cfg->policy.window_start, 8 * 60 + 30);
	assert_int_equal(cfg->policy.nholidays, 3);
	assert_string_equal(cfg->policy.holidays[0].region, "CN");
	assert_string_equal(cfg->policy.holidays[2].region, "");
	assert_string_equal(cfg->ledger.invoice_cols[DUN_COL_INVOICE_NUMBER],
	    "Invoice No");
	assert_int_equal(cfg->ledger.date_order, DUN_DATES_DMY);
	assert_int_equal(cfg->ledger.delimiter, ';');
	assert_int_equal(cfg->ledger.decimal_sep, '.');
	dun_config_free(cfg);
	free(path);

	path = test_write(*state, "c.conf", "[ledger]\n"
	    "decimal_separator = comma\n");
	assert_int_equal(dun_config_load(&cfg, path, &diags), 0);
	assert_int_equal(cfg->ledger.decimal_sep, ',');
	dun_config_free(cfg);
	free(path);
}

static void
test_config__problems_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} rows[] = {
		{ "[smtp]\nport = 99999\n", 2, "port: '99999'" },
		{ "[smtp]\nprot = 25\n", 2, "unknown key 'prot'" },
		{ "[policy]\nstages = soon overdue\n", 2, "stages:" },
		{ "[policy]\nwindow = 17:00-09:00\n", 2, "window:" },
		{ "[policy]\nweekdays = funday\n", 2, "weekdays:" },
		{ "[defaults]\ntimezone = Mars/Base\n", 2, "IANA" },
		{ "[holidays]\n* = 2026-02-30\n", 2, "holidays" },
		{ "\n\n[smtp]\ntls = maybe\n", 4, "tls: 'maybe'" },
		{ "[sender]\nemail = nobody\n", 2, "is not an address" },
		{ "[sender]\nname = X\nemail = a..b@vendor.test\n", 3,
		  "is not an address" },
		{ "[sender]\nemail = .ar@vendor.test\n", 2,
		  "is not an address" },
		{ "[ledger]\ninvoice.colour = X\n", 2, "no key 'invoice.colour'" },
		{ "[policy]\nmax_per_week = many\n", 2, "max_per_week" },
		{ "[smtp]\ntls = none\nhost = mail.example.com\n", 2,
		  "cleartext" },
		{ "[imap]\npassword_cmd = pass ar\n\npassword_env = PW\n", 4,
		  "not both" },
		{ "[imap]\npassword_env = PW\npassword_cmd = pass ar\n", 3,
		  "not both" },
		{ "[smtp]\n\nca_file = /nonexistent/ca.pem\n", 3,
		  "ca_file /nonexistent/ca.pem cannot be read" },
		{ "[ledger]\ndecimal_separator = dot\n", 2,
		  "decimal_separator: 'dot'" },
		{ "just some words\n", 1, "neither" },
	};
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		struct dun_config *cfg = NULL;
		struct dun_diags diags = { 0 };
		char *path = test_write(*state, "bad.conf", rows[i].text);
		size_t k;
		int found = 0;

		assert_int_equal(dun_config_load(&cfg, path, &diags),
		    DUN_ECONFIG);
		assert_null(cfg);
		assert_true(diags.count >= 1);
		for (k = 0; k < diags.count; k++)
			if (diags.items[k].line == rows[i].line &&
			    strstr(diags.items[k].msg, rows[i].needle))
				found = 1;
		if (!found) {
			dun_diags_print(&diags);
			fail_msg("row %zu: no problem at line %d with '%s'", i,
			    rows[i].line, rows[i].needle);
		}
		assert_string_equal(diags.items[0].file, path);
		dun_diags_free(&diags);
		free(path);
	}
}

/* The documented example must stay loadable: every key in it exists. */
static void
test_config__example_loads(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	const char *src = getenv("DUNMAIL_SOURCE_DIR");
	char *path;

	(void)state;
	assert_non_null(src);
	path = xasprintf("%s/contrib/dunmail.conf.example", src);
	if (dun_config_load(&cfg, path, &diags) < 0) {
		dun_diags_print(&diags);
		fail_msg("%s does not load", path);
	}
	assert_int_equal(cfg->policy.nstages, 5);
	assert_int_equal(cfg->ledger.delimiter, ',');
	assert_int_equal(cfg->ledger.decimal_sep, '.');
	assert_true(dun_config_key_line(cfg, "ledger",
	    "decimal_separator") > 0);
	assert_int_equal(cfg->policy.nholidays, 5);
	dun_config_free(cfg);
	free(path);
}

/* Where each key was set, for problems found after the whole file. */
static void
test_config__key_lines(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	char *path = test_write(*state, "c.conf",
	    "# comment\n"
	    "[templates]\n"
	    "dir = /somewhere\n"
	    "[sender]\n"
	    "payment_instructions = one\n"
	    "  two\n"
	    "email = ar@vendor.test\n");

	assert_int_equal(dun_config_load(&cfg, path, &diags), 0);
	assert_int_equal(dun_config_key_line(cfg, "templates", "dir"), 3);
	assert_int_equal(dun_config_key_line(cfg, "sender",
	    "payment_instructions"), 5);
	assert_int_equal(dun_config_key_line(cfg, "sender", "email"), 7);
	assert_int_equal(dun_config_key_line(cfg, "store", "path"), 0);
	assert_int_equal(dun_config_key_line(cfg, "nosuch", "key"), 0);
	dun_config_free(cfg);
	free(path);
}

/* For lint: a config with problems still comes back, every problem
 * listed, with defaults where its values were wrong. */
static void
test_config__partial_load(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	char *path = test_write(*state, "c.conf",
	    "[smtp]\n"
	    "port = 99999\n"
	    "[policy]\n"
	    "stages = soon\n"
	    "[templates]\n"
	    "dir = /elsewhere/templates\n"
	    "[sender]\n"
	    "email = nobody\n");

	assert_int_equal(dun_config_load_partial(&cfg, path, &diags),
	    DUN_ECONFIG);
	assert_non_null(cfg);
	assert_int_equal(diags.count, 4);
	assert_int_equal(diags.items[0].line, 2);
	assert_int_equal(diags.items[3].line, 8);
	assert_int_equal(cfg->smtp.port, 587);
	assert_string_equal(cfg->templates_dir, "/elsewhere/templates");
	assert_int_equal(dun_config_key_line(cfg, "templates", "dir"), 6);
	/* No stage could be read: the default ones stand in. */
	assert_int_equal(cfg->policy.nstages, 5);
	dun_config_free(cfg);
	dun_diags_free(&diags);

	/* A file that cannot be read gives nothing. */
	assert_int_equal(dun_config_load_partial(&cfg, "/nonexistent/x.conf",
	    &diags), DUN_ECONFIG);
	assert_null(cfg);
	free(path);
}

static void
test_config__secrets(void **state)
{
	struct dun_secret s = { 0 };
	char *out = NULL;

	(void)state;
	s.command = "printf 'hunter2\\nsecond line\\n'";
	s.env = "";
	assert_int_equal(dun_secret_get(&out, &s, "smtp"), 0);
	assert_string_equal(out, "hunter2");
	dun_secret_free(out);
	s.command = "exit 3";
	assert_int_equal(dun_secret_get(&out, &s, "smtp"), DUN_ECONFIG);
	assert_non_null(strstr(dun_error_last(), "failed"));
	s.command = "true";
	assert_int_equal(dun_secret_get(&out, &s, "smtp"), DUN_ECONFIG);
	assert_non_null(strstr(dun_error_last(), "nothing"));
	s.command = "";
	s.env = "DUNMAIL_TEST_SECRET";
	setenv("DUNMAIL_TEST_SECRET", "s3cret", 1);
	assert_int_equal(dun_secret_get(&out, &s, "imap"), 0);
	assert_string_equal(out, "s3cret");
	dun_secret_free(out);
	unsetenv("DUNMAIL_TEST_SECRET");
	assert_int_equal(dun_secret_get(&out, &s, "imap"), DUN_ECONFIG);
	/* The message names the variable, never a value. */
	assert_non_null(strstr(dun_error_last(), "DUNMAIL_TEST_SECRET"));
}

/* [sender] values per language and currency; a letter takes the most
 * specific one, else the plain key. */
static void
test_config__sender_per_language(void **state)
{
	struct dun_config *cfg = NULL;
	struct dun_diags diags = { 0 };
	char *path = test_write(*state, "dunmail.conf",
	    "[sender]\n"
	    "company = Acme Vendor Ltd\n"
	    "company[zh] = 艾克美供应商有限公司\n"
	    "company[zh-Hant] = 艾克美供應商有限公司\n"
	    "payment_instructions = Pay by transfer.\n"
	    "payment_instructions[EUR] = SEPA to DE00.\n"
	    "payment_instructions[zh.CNY] = 人民币汇款\n"
	    "  至招商银行\n"
	    "next_step[zh-Hant] = 本公司將移交催收\n"
	    "legal = Acme Vendor Ltd, reg. 01234567\n"
	    "reply_to = replies@vendor.test\n"
	    "list_unsubscribe = yes\n");

	assert_int_equal(dun_config_load(&cfg, path, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_string_equal(dun_config_sender(cfg, "company", "en", NULL),
	    "Acme Vendor Ltd");
	assert_string_equal(dun_config_sender(cfg, "company", "zh", NULL),
	    "艾克美供应商有限公司");
	assert_string_equal(dun_config_sender(cfg, "company", "zh-Hant", NULL),
	    "艾克美供應商有限公司");
	assert_string_equal(dun_config_sender(cfg, "payment_instructions",
	    "en", "EUR"), "SEPA to DE00.");
	assert_string_equal(dun_config_sender(cfg, "payment_instructions",
	    "en", "USD"), "Pay by transfer.");
	assert_string_equal(dun_config_sender(cfg, "payment_instructions",
	    "zh-Hant", "CNY"), "人民币汇款\n至招商银行");
	assert_string_equal(dun_config_sender(cfg, "next_step", "zh-Hant",
	    NULL), "本公司將移交催收");
	assert_string_equal(dun_config_sender(cfg, "next_step", "zh", NULL),
	    cfg->next_step_zh);
	assert_string_equal(dun_config_sender(cfg, "legal", "zh", NULL),
	    "Acme Vendor Ltd, reg. 01234567");
	assert_string_equal(cfg->reply_to, "replies@vendor.test");
	assert_int_equal(cfg->list_unsubscribe, 1);
	dun_config_free(cfg);
	free(path);

	/* Only the sender's details take a qualifier. */
	path = test_write(*state, "dunmail.conf", "[sender]\n"
	    "email[zh] = x@vendor.test\nreply_to = not an address\n");
	assert_true(dun_config_load(&cfg, path, &diags) < 0);
	assert_true(diags.count >= 2);
	assert_non_null(strstr(diags.items[0].msg, "email[zh]"));
	dun_diags_free(&diags);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config__starter_is_valid,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_config__starter_names_store,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_config__values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config__key_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config__partial_load,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_config__problems_name_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_config__sender_per_language, setup, teardown),
		cmocka_unit_test(test_config__secrets),
		cmocka_unit_test(test_config__example_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
