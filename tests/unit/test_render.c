/* Templates: variables in both languages, the invoice section, escaping
 * of values in the HTML part, and lint problems with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/config/config.h"
#include "dunmail/mail/render.h"
#include "testutil.h"

static dun_date_t
D(const char *s)
{
	dun_date_t d;

	if (dun_date_parse(&d, s) < 0)
		abort();
	return d;
}

static void
set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static struct dun_config *
test_config(void)
{
	struct dun_config *cfg = dun_config_defaults("/nonexistent");
	const char *src = getenv("DUNMAIL_SOURCE_DIR");

	set(&cfg->company, "Acme Vendor Ltd");
	set(&cfg->sender_name, "Accounts Receivable");
	set(&cfg->sender_email, "ar@vendor.test");
	set(&cfg->sender_phone, "+44 117 496 0000");
	set(&cfg->payment_instructions, "Bank transfer to **Acme Vendor "
	    "Ltd**");
	set(&cfg->next_step_en, "we will refer the account");
	set(&cfg->next_step_zh, "我司将移交催收");
	free(cfg->templates_dir);
	cfg->templates_dir = xasprintf("%s/templates", src ? src :
	    DUNMAIL_SOURCE_DIR);
	return cfg;
}

static const struct dun_render_invoice invoices[] = {
	{ "INV-2026-0142", 0, 0, "USD", 480000, 480000, "INV-2026-0142.pdf",
	  0 },
	{ "INV-2026-0168", 0, 0, "EUR", 12000, 12000, "INV-2026-0168.pdf",
	  0 },
	{ "INV-2026-0190", 0, 0, "USD", 10000, 5050, "发票-INV-2026-0190.pdf",
	  0 },
};

static void
vars_init(struct dun_render_vars *v, struct dun_render_invoice *inv,
    size_t n)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++) {
		inv[i] = invoices[i];
		inv[i].issue_date = D("2026-10-10") + (dun_date_t)i;
		inv[i].due_date = D("2026-11-09") + (dun_date_t)i;
	}
	v->debtor_name = "Acme Corp";
	v->debtor_ref = "CUST-1001";
	v->token = "DUN-7F3K2Q";
	v->today = D("2026-11-22");
	v->promised_on = D("2026-11-30");
	v->promised_minor = -1;
	v->final_deadline = D("2026-12-02");
	v->invoices = inv;
	v->ninvoices = n;
}

static const char tmpl[] =
    "Subject: Reminder: {{invoice_numbers}} {{case_token}}\n"
    "\n"
    "Dear {{debtor_name}} ({{debtor_ref}}),\n"
    "\n"
    "{{#invoices}}\n"
    "- {{invoice_number}} of {{issue_date}}: {{open_amount}} of "
    "{{amount}}, due {{due_date}} (overdue: {{days_overdue}}, until: "
    "{{days_until_due}}) {{pdf_name}}\n"
    "{{/invoices}}\n"
    "\n"
    "Total {{total_open}} in {{invoice_count}}; today {{today}}; by "
    "{{final_deadline}}, {{next_step}}. Promised {{promised_amount}} by "
    "{{promised_date}}.\n"
    "\n"
    "{{payment_instructions}}\n"
    "\n"
    "{{sender_name}}  \n"
    "{{company_name}} {{sender_email}} {{sender_phone}}\n";

static void
test_render__variables_en(void **state)
{
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[3];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	vars_init(&v, inv, 3);
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", tmpl,
	    strlen(tmpl), &v), 0);
	assert_string_equal(r.subject, "Reminder: INV-2026-0142, "
	    "INV-2026-0168, INV-2026-0190 [ref:DUN-7F3K2Q]");
	assert_non_null(strstr(r.text, "Dear Acme Corp (CUST-1001),\n\n- "
	    "INV-2026-0142 of 10 October 2026: USD 4,800.00 of USD 4,800.00, "
	    "due 9 November 2026 (overdue: 13, until: 0) INV-2026-0142.pdf\n"
	    "- INV-2026-0168 of 11 October 2026: EUR 120.00 of EUR 120.00"));
	assert_non_null(strstr(r.text, "(overdue: 11, until: 0) "
	    "发票-INV-2026-0190.pdf\n\nTotal"));
	assert_non_null(strstr(r.text, "Total USD 4,850.50 and EUR 120.00 in "
	    "3; today 22 November 2026; by 2 December 2026, we will refer the "
	    "account. Promised USD 4,850.50 and EUR 120.00 by 30 November "
	    "2026."));
	/* The plain part is plain text: the Markdown emphasis is gone. */
	assert_non_null(strstr(r.text, "Bank transfer to Acme Vendor "
	    "Ltd\n\nAccounts Receivable  \nAcme Vendor Ltd ar@vendor.test "
	    "+44 117 496 0000\n"));
	assert_null(strstr(r.text, "{{"));
	/* The HTML part: a list, the Markdown of payment_instructions, the
	 * hard line break of the signature. */
	assert_non_null(strstr(r.html, "<li>INV-2026-0142 of 10 October "
	    "2026"));
	assert_non_null(strstr(r.html, "<strong>Acme Vendor Ltd</strong>"));
	assert_non_null(strstr(r.html, "Accounts Receivable<br />"));
	assert_int_equal(r.names_pdf, 1);
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

static void
test_render__variables_zh(void **state)
{
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[3];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	vars_init(&v, inv, 2);
	inv[0].currency = "CNY";
	inv[0].open_minor = 3600000;
	inv[1].currency = "USD";
	inv[1].open_minor = 520000;
	v.promised_minor = 1000000;
	assert_int_equal(dun_render_source(&r, cfg, "zh", "t.md", tmpl,
	    strlen(tmpl), &v), 0);
	assert_non_null(strstr(r.text, "INV-2026-0142 of 2026年10月10日: "
	    "¥36,000.00 of ¥4,800.00, due 2026年11月9日"));
	assert_non_null(strstr(r.text, "Total ¥36,000.00 及 USD 5,200.00 in "
	    "2; today 2026年11月22日; by 2026年12月2日, 我司将移交催收. "
	    "Promised ¥10,000.00 by 2026年11月30日."));
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

static void
test_render__dates_and_totals(void **state)
{
	const struct {
		const char *date, *lang, *want;
	} rows[] = {
		{ "2026-11-22", "en", "22 November 2026" },
		{ "2026-12-02", "en", "2 December 2026" },
		{ "2027-01-01", "en", "1 January 2027" },
		{ "2026-11-22", "zh", "2026年11月22日" },
		{ "2026-12-02", "zh", "2026年12月2日" },
		{ "2026-12-02", "de", "2 December 2026" },
	};
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[3];
	struct dun_render_vars v;
	struct dun_rendered r;
	const char *src = "Subject: {{total_open}}\n\nx\n";
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		dun_render_date(out, sizeof(out), D(rows[i].date),
		    rows[i].lang);
		assert_string_equal(out, rows[i].want);
	}
	/* Three currencies, in order of first appearance. */
	vars_init(&v, inv, 3);
	inv[0].currency = "GBP";
	inv[1].currency = "USD";
	inv[2].currency = "EUR";
	inv[0].open_minor = 100;
	inv[1].open_minor = 200;
	inv[2].open_minor = 300;
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "GBP 1.00, USD 2.00 and EUR 3.00");
	dun_rendered_free(&r);
	inv[0].currency = "CNY";
	assert_int_equal(dun_render_source(&r, cfg, "zh", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "¥1.00、USD 2.00 及 EUR 3.00");
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

/* A debtor name is data: it cannot add markup to the HTML part or a
 * line to the subject, and the plain part shows it as it is. */
static void
test_render__escaping(void **state)
{
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[1];
	struct dun_render_vars v;
	struct dun_rendered r;
	const char *src = "Subject: To {{debtor_name}}\n\nDear "
	    "{{debtor_name}},\n\n{{#invoices}}\n- {{invoice_number}}\n"
	    "{{/invoices}}\n";

	(void)state;
	vars_init(&v, inv, 1);
	v.debtor_name = "<script>alert(1)</script> *x* _y_ [a](http://e.test)"
	    " &amp; `c`\r\nBcc: evil@e.test";
	inv[0].number = "# 1. <b>INV</b>";
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_null(strchr(r.subject, '\n'));
	assert_null(strchr(r.subject, '\r'));
	assert_non_null(strstr(r.text, "Dear <script>alert(1)</script> *x* "
	    "_y_ [a](http://e.test) &amp; `c`  Bcc: evil@e.test,"));
	assert_null(strstr(r.html, "<script"));
	assert_null(strstr(r.html, "<em>"));
	assert_null(strstr(r.html, "<a "));
	assert_null(strstr(r.html, "<code>"));
	assert_null(strstr(r.html, "<b>"));
	assert_null(strstr(r.html, "<h1>"));
	assert_non_null(strstr(r.html, "&lt;script&gt;alert(1)&lt;/script&gt; "
	    "*x* _y_ [a](http://e.test) &amp;amp; `c`"));
	assert_non_null(strstr(r.html, "<li># 1. &lt;b&gt;INV&lt;/b&gt;</li>"));
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

static void
test_render__unknown_variable(void **state)
{
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[1];
	struct dun_render_vars v;
	struct dun_rendered r;
	const char *src = "Subject: x\n\nline 3\n\n{{#invoices}}\n"
	    "- {{open_amout}}\n{{/invoices}}\n";

	(void)state;
	vars_init(&v, inv, 1);
	assert_int_equal(dun_render_source(&r, cfg, "zh", "mail/zh/o.md", src,
	    strlen(src), &v), DUN_EPARSE);
	assert_non_null(strstr(dun_error_last(), "mail/zh/o.md:6: unknown "
	    "variable 'open_amout'"));
	assert_null(r.subject);
	dun_config_free(cfg);
}

static void
test_render__lint_table(void **state)
{
	const struct {
		const char *src;
		int line;
		const char *want;  /* NULL = clean */
	} rows[] = {
		{ "Subject: a {{case_token}}\n\nb\n", 0, NULL },
		{ "Subjct: a\n\nb\n", 1, "line 1 must be 'Subject: ...'" },
		{ "Subject: a\nb\n", 2, "line 2 must be empty" },
		{ "Subject: a\n\n{{#invoices}}\n- {{pdf_name}}\n", 3,
		  "never closed" },
		{ "Subject: a\n\n{{/invoices}}\n", 3, "without {{#invoices}}" },
		{ "Subject: a\n\n{{#invoices}}\n{{#invoices}}\n{{/invoices}}\n",
		  4, "cannot be nested" },
		{ "Subject: a\n\n {{#invoices}}\n{{/invoices}}\n", 3,
		  "alone on its line" },
		{ "Subject: a\n\nx {{/invoices}}\n", 3, "alone on its line" },
		{ "Subject: a\n\nDue {{due_date}}\n", 3,
		  "per-invoice variable 'due_date' outside" },
		{ "Subject: {{invoice_number}}\n\nx\n", 1, "per-invoice" },
		{ "Subject: {{#invoices}}\n\nx\n", 1,
		  "subject cannot contain the invoice section" },
		{ "Subject: a\n\nx\ny {{debtor_nam}}\n", 4,
		  "unknown variable 'debtor_nam'" },
		{ "Subject: a\n\nx {{debtor_name\n", 3, "without a closing" },
		{ "\xef\xbb\xbfSubject: a\n\nx\n", 1, "byte-order mark" },
		{ "Subject: a\n\n\xff\n", 0, "UTF-8" },
		/* Front matter and blocks. */
		{ "---\nrequires: debtor_name, promised_date\n---\n"
		  "Subject: a\n\nb\n", 0, NULL },
		{ "---\nrequires: debtor_name\nSubject: a\n\nb\n", 1,
		  "never closed" },
		{ "---\nneeds: x\n---\nSubject: a\n\nb\n", 2,
		  "unknown front matter line" },
		{ "---\nrequires: due_date\n---\nSubject: a\n\nb\n", 0,
		  "not a global variable" },
		{ "---\n---\nSubjct: a\n\nb\n", 3, "line 3 must be" },
		{ "Subject: a\n\n{{#overdue}}\n{{#invoices}}\n- {{pdf_name}}\n"
		  "{{/invoices}}\n{{/overdue}}\n", 0, NULL },
		{ "Subject: a\n\n{{#overdue}}\n{{#coming_due}}\n", 4,
		  "inside the block" },
		{ "Subject: a\n\n{{#overdue}}\nx\n{{/due_today}}\n", 5,
		  "does not close" },
		{ "Subject: a\n\n{{#due_today}}\nx\n", 3, "never closed" },
	};
	struct dun_diags diags;
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		memset(&diags, 0, sizeof(diags));
		dun_render_lint_source(&diags, "x.md", rows[i].src,
		    strlen(rows[i].src));
		if (rows[i].want == NULL) {
			assert_int_equal(diags.count, 0);
			continue;
		}
		if (diags.count == 0 || diags.items[0].line != rows[i].line ||
		    strstr(diags.items[0].msg, rows[i].want) == NULL) {
			print_error("row %zu: got %zu problems, first %d: %s\n",
			    i, diags.count, diags.count ? diags.items[0].line :
			    -1, diags.count ? diags.items[0].msg : "");
			fail();
		}
		dun_diags_free(&diags);
	}
}

/* Each invoice where it stands on the day: the blocks list only theirs,
 * with their own totals; an empty block is left out. */
static void
test_render__blocks(void **state)
{
	static const char src[] =
	    "Subject: {{overdue_numbers}} {{total_overdue}}\n\n"
	    "{{#overdue}}\nOverdue:\n\n{{#invoices}}\n- {{invoice_number}} "
	    "{{days_overdue}}\n{{/invoices}}\n\nSum {{total_open}}\n\n"
	    "{{/overdue}}\n"
	    "{{#due_today}}\nToday:\n\n{{#invoices}}\n- {{invoice_number}}\n"
	    "{{/invoices}}\n\n{{/due_today}}\n"
	    "{{#coming_due}}\nSoon:\n\n{{#invoices}}\n- {{invoice_number}} "
	    "in {{days_until_due}}\n{{/invoices}}\n\nSum {{total_open}}\n\n"
	    "{{/coming_due}}\n"
	    "All {{total_open}}\n";
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[3];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	vars_init(&v, inv, 3);
	v.today = D("2026-11-10");  /* 0142 overdue, 0168 today, 0190 soon */
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "INV-2026-0142 USD 4,800.00");
	assert_string_equal(r.text, "Overdue:\n\n- INV-2026-0142 1\n\n"
	    "Sum USD 4,800.00\n\nToday:\n\n- INV-2026-0168\n\nSoon:\n\n"
	    "- INV-2026-0190 in 1\n\nSum USD 50.50\n\nAll USD 4,850.50 and "
	    "EUR 120.00\n");
	dun_rendered_free(&r);
	v.today = D("2026-11-01");  /* nothing overdue, nothing today */
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_null(strstr(r.text, "Overdue"));
	assert_null(strstr(r.text, "Today"));
	assert_non_null(strstr(r.text, "Soon:"));
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

/* {{#also_overdue}}: an overdue invoice at an earlier stage than the
 * letter's is worded apart from the ones the letter's stage is about;
 * total_overdue and overdue_numbers still cover both. A template
 * without the block words both in {{#overdue}}. */
static void
test_render__also_overdue(void **state)
{
	static const char src[] =
	    "Subject: {{overdue_numbers}} {{total_overdue}}\n\n"
	    "{{#overdue}}\nAgain:\n\n{{#invoices}}\n- {{invoice_number}}\n"
	    "{{/invoices}}\n\n{{/overdue}}\n"
	    "{{#also_overdue}}\nAlso:\n\n{{#invoices}}\n- "
	    "{{invoice_number}}\n{{/invoices}}\n\nSum {{total_open}}\n\n"
	    "{{/also_overdue}}\n"
	    "Pay {{total_overdue}}\n";
	static const char flat[] =
	    "Subject: {{overdue_numbers}}\n\n"
	    "{{#overdue}}\nAgain:\n\n{{#invoices}}\n- {{invoice_number}}\n"
	    "{{/invoices}}\n\n{{/overdue}}\n";
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[3];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	vars_init(&v, inv, 3);
	v.today = D("2026-12-20");  /* all three overdue */
	inv[1].currency = "USD";
	inv[1].behind = 1;
	inv[2].behind = 1;
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "INV-2026-0142, INV-2026-0168, "
	    "INV-2026-0190 USD 4,970.50");
	assert_string_equal(r.text, "Again:\n\n- INV-2026-0142\n\n"
	    "Also:\n\n- INV-2026-0168\n- INV-2026-0190\n\nSum USD 170.50"
	    "\n\nPay USD 4,970.50\n");
	dun_rendered_free(&r);
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", flat,
	    strlen(flat), &v), 0);
	assert_string_equal(r.text, "Again:\n\n- INV-2026-0142\n"
	    "- INV-2026-0168\n- INV-2026-0190\n");
	dun_rendered_free(&r);
	/* The shipped final notice: the invoice behind is outside the
	 * part the deadline's consequences speak of. */
	v.final_deadline = D("2026-12-29");
	assert_int_equal(dun_render(&r, cfg, "en", "final_notice", &v), 0);
	assert_true(strstr(r.text, "INV-2026-0142") <
	    strstr(r.text, "does not yet apply"));
	assert_true(strstr(r.text, "does not yet apply") <
	    strstr(r.text, "INV-2026-0168"));
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

/* {{invoice_table}}: aligned columns in the plain part (CJK counted
 * two cells wide, amounts to the right), a real table in the HTML. */
static void
test_render__invoice_table(void **state)
{
	static const char src[] = "Subject: s\n\nBefore\n\n"
	    "{{invoice_table}}\n\nAfter **bold** \\*x\n";
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[3];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	vars_init(&v, inv, 3);
	v.today = D("2026-11-10");
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.text, "Before\n\n"
	    "Invoice        Due date          Status          Open amount\n"
	    "INV-2026-0142  9 November 2026   1 day overdue  USD 4,800.00\n"
	    "INV-2026-0168  10 November 2026  due today        EUR 120.00\n"
	    "INV-2026-0190  11 November 2026  due in 1 day      USD 50.50\n"
	    "\nAfter bold *x\n");
	assert_non_null(strstr(r.html, "<table"));
	assert_non_null(strstr(r.html, "<th style=\"text-align:left;padding:"
	    "2px 12px 2px 0\">Invoice</th>"));
	assert_non_null(strstr(r.html, ">INV-2026-0190</td>"));
	assert_non_null(strstr(r.html, "<strong>bold</strong>"));
	assert_null(strstr(r.html, "DUNTABLE"));
	dun_rendered_free(&r);
	assert_int_equal(dun_render_source(&r, cfg, "zh", "t.md", src,
	    strlen(src), &v), 0);
	assert_non_null(strstr(r.text, "发票号" "         " "到期日"
	    "          " "状态" "         " "    " "未付金额\n"));
	assert_non_null(strstr(r.text, "INV-2026-0142  2026年11月9日"
	    "   " "已逾期 1 天  USD 4,800.00\n"));
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

/* Which Chinese a debtor reads, and Chinese lists joined with 、. */
static void
test_render__chinese_scripts(void **state)
{
	static const char src[] = "Subject: 发票 {{invoice_numbers}}\n\n"
	    "{{company_name}}\n\n{{invoice_table}}\n";
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[2];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	assert_string_equal(dun_render_language("zh", "CN"), "zh");
	assert_string_equal(dun_render_language("zh", "TW"), "zh-Hant");
	assert_string_equal(dun_render_language("zh", "hk"), "zh-Hant");
	assert_string_equal(dun_render_language("zh-TW", ""), "zh-Hant");
	assert_string_equal(dun_render_language("zh-HK", NULL), "zh-Hant");
	assert_string_equal(dun_render_language("zh-Hant-TW", "US"),
	    "zh-Hant");
	assert_string_equal(dun_render_language("zh-CN", "TW"), "zh-Hant");
	assert_string_equal(dun_render_language("en", "TW"), "en");
	vars_init(&v, inv, 2);
	assert_int_equal(dun_render_source(&r, cfg, "zh", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "发票 INV-2026-0142、INV-2026-0168");
	assert_non_null(strstr(r.text, "发票号"));
	dun_rendered_free(&r);
	assert_int_equal(dun_render_source(&r, cfg, "zh-Hant", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "发票 INV-2026-0142、INV-2026-0168");
	assert_non_null(strstr(r.text, "發票號碼"));
	assert_non_null(strstr(r.text, "2026年11月9日"));
	assert_non_null(strstr(r.html, "<html lang=\"zh-Hant\">"));
	dun_rendered_free(&r);
	dun_config_free(cfg);
}

/* A required value left empty stops the rendering, naming it. */
static void
test_render__required_values(void **state)
{
	static const char src[] = "---\nrequires: promised_date\n---\n"
	    "Subject: by {{promised_date}}\n\nx\n";
	struct dun_config *cfg = test_config();
	struct dun_render_invoice inv[1];
	struct dun_render_vars v;
	struct dun_rendered r;

	(void)state;
	vars_init(&v, inv, 1);
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), 0);
	assert_string_equal(r.subject, "by 30 November 2026");
	assert_string_equal(r.text, "x\n");
	dun_rendered_free(&r);
	v.promised_on = DUN_DATE_NONE;
	assert_int_equal(dun_render_source(&r, cfg, "en", "t.md", src,
	    strlen(src), &v), DUN_EPARSE);
	assert_non_null(strstr(dun_error_last(), "'promised_date' is empty"));
	/* promise_confirm as shipped, in both languages. */
	assert_int_equal(dun_render(&r, cfg, "en", "promise_confirm", &v),
	    DUN_EPARSE);
	assert_int_equal(dun_render(&r, cfg, "zh", "promise_confirm", &v),
	    DUN_EPARSE);
	/* Lint: a configured value a template requires is empty. */
	{
		struct dun_diags diags = { 0 };
		set(&cfg->payment_instructions, "");
		assert_true(dun_render_lint(cfg, &diags) > 0);
		assert_non_null(strstr(diags.items[0].msg,
		    "'payment_instructions', which the configuration leaves "
		    "empty"));
		dun_diags_free(&diags);
	}
	dun_config_free(cfg);
}

/* Every shipped template lints clean and renders in both languages. */
static void
test_render__shipped_templates(void **state)
{
	static const char *const names[] = { "before_due", "due_today",
		"overdue_1", "overdue_2", "final_notice", "promise_confirm",
		"promise_broken", "dispute_ack", "hardship_offer",
		"invoice_copy" };
	static const char *const langs[] = { "en", "zh" };
	struct dun_config *cfg = test_config();
	struct dun_diags diags = { 0 };
	struct dun_render_invoice inv[2];
	struct dun_render_vars v;
	struct dun_rendered r;
	size_t i, l;

	(void)state;
	assert_int_equal(dun_render_lint(cfg, &diags), 0);
	assert_int_equal(diags.count, 0);
	vars_init(&v, inv, 2);
	for (l = 0; l < 2; l++)
		for (i = 0; i < DUN_ARRAY_SIZE(names); i++) {
			assert_int_equal(dun_render(&r, cfg, langs[l], names[i],
			    &v), 0);
			assert_non_null(strstr(r.subject, "[ref:DUN-7F3K2Q]"));
			assert_null(strstr(r.text, "{{"));
			assert_null(strstr(r.html, "{{"));
			/* Real plain text: no Markdown markers or escapes. */
			assert_null(strstr(r.text, "**"));
			assert_null(strstr(r.text, "\\"));
			assert_null(strstr(r.html, "DUNTABLE"));
			dun_rendered_free(&r);
		}
	/* A language without templates falls back to en. */
	assert_int_equal(dun_render(&r, cfg, "de", "overdue_1", &v), 0);
	assert_non_null(strstr(r.subject, "Payment reminder"));
	dun_rendered_free(&r);
	/* A missing stage template is a lint problem. */
	free(cfg->policy.stages[0].template);
	cfg->policy.stages[0].template = xstrdup("friendly_nudge");
	assert_true(dun_render_lint(cfg, &diags) >= 2);
	assert_non_null(strstr(diags.items[0].msg, "friendly_nudge"));
	dun_diags_free(&diags);
	dun_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render__variables_en),
		cmocka_unit_test(test_render__variables_zh),
		cmocka_unit_test(test_render__dates_and_totals),
		cmocka_unit_test(test_render__escaping),
		cmocka_unit_test(test_render__unknown_variable),
		cmocka_unit_test(test_render__lint_table),
		cmocka_unit_test(test_render__blocks),
		cmocka_unit_test(test_render__also_overdue),
		cmocka_unit_test(test_render__required_values),
		cmocka_unit_test(test_render__invoice_table),
		cmocka_unit_test(test_render__chinese_scripts),
		cmocka_unit_test(test_render__shipped_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
