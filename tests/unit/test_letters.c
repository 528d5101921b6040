/* Every shipped template in every language as a whole message: rendered
 * with an overdue, a due-today and a coming-due invoice, composed with a
 * PDF attached. The plain part is plain text (no Markdown left), the
 * HTML part has its table, and with DUNMAIL_LETTERS_DIR set the messages
 * are written there as LANG-NAME.eml for tests/spam.sh (SpamAssassin and
 * Python's email parser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/mail/compose.h"
#include "dunmail/mail/render.h"
#include "testutil.h"

static const char *const names[] = { "before_due", "due_today",
	"overdue_1", "overdue_2", "final_notice", "promise_confirm",
	"promise_broken", "dispute_ack", "hardship_offer", "invoice_copy" };

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

static const char *
source_dir(void)
{
	const char *src = getenv("DUNMAIL_SOURCE_DIR");

	return src && *src ? src : DUNMAIL_SOURCE_DIR;
}

static struct dun_config *
letters_config(void)
{
	struct dun_config *cfg = dun_config_defaults("/nonexistent");

	set(&cfg->company, "Acme Vendor Ltd");
	set(&cfg->sender_name, "Accounts Receivable");
	set(&cfg->sender_email, "ar@vendor.test");
	set(&cfg->sender_phone, "+44 117 496 0000");
	set(&cfg->payment_instructions, "Bank transfer to **Acme Vendor "
	    "Ltd**\n\n- Bank: Example Bank plc\n- IBAN: GB00 EXMP 0000 0000 "
	    "0000 00\n- Please quote the invoice number as the payment "
	    "reference.");
	set(&cfg->next_step_en, "we will refer the account to our "
	    "collections agency and suspend further deliveries on credit");
	set(&cfg->next_step_zh, "我司将把该账户移交合作催收机构处理，并暂停"
	    "对贵司的赊销供货");
	free(cfg->templates_dir);
	cfg->templates_dir = xasprintf("%s/templates", source_dir());
	return cfg;
}

/* The languages that have a template set. */
static size_t
languages(char langs[8][17])
{
	static const char *const known[] = { "en", "zh", "zh-Hant" };
	struct dun_config *cfg = letters_config();
	size_t n = 0, i;

	for (i = 0; i < DUN_ARRAY_SIZE(known); i++) {
		char *path = dun_render_path(cfg, known[i], "overdue_1");
		if (access(path, R_OK) == 0)
			snprintf(langs[n++], 17, "%s", known[i]);
		free(path);
	}
	dun_config_free(cfg);
	return n;
}

static void
test_letters__every_template(void **state)
{
	struct dun_config *cfg = letters_config();
	/* One of each block: 0142 overdue at the letter's stage, 0131
	 * overdue at an earlier one (also_overdue), 0168 due today, 0190
	 * coming due. */
	struct dun_render_invoice inv[4] = {
		{ "INV-2026-0142", 0, 0, "EUR", 480000, 480000,
		  "INV-2026-0142.pdf", 0 },
		{ "INV-2026-0168", 0, 0, "EUR", 12000, 12000,
		  "INV-2026-0168.pdf", 0 },
		{ "INV-2026-0190", 0, 0, "EUR", 10000, 5050,
		  "INV-2026-0190.pdf", 0 },
		{ "INV-2026-0131", 0, 0, "EUR", 25000, 25000,
		  "INV-2026-0131.pdf", 1 },
	};
	struct dun_render_vars v;
	struct dun_rendered r;
	struct dun_compose_input in;
	struct dun_compose_attachment att;
	const char *dir = getenv("DUNMAIL_LETTERS_DIR");
	const char *to[1] = { "ap@buyer.test" };
	char langs[8][17], *pdf = NULL, *path, *msg;
	size_t nlangs = languages(langs), l, i, pdf_len = 0, len;

	(void)state;
	assert_true(nlangs >= 2);
	path = xasprintf("%s/contrib/demo/pdf/INV-2026-0142.pdf",
	    source_dir());
	assert_int_equal(dun_file_read(&pdf, &pdf_len, path, 1u << 20), 0);
	free(path);
	memset(&v, 0, sizeof(v));
	inv[0].issue_date = D("2026-10-10");
	inv[0].due_date = D("2026-11-09");
	inv[1].issue_date = D("2026-10-22");
	inv[1].due_date = D("2026-11-22");
	inv[2].issue_date = D("2026-10-29");
	inv[2].due_date = D("2026-11-29");
	inv[3].issue_date = D("2026-10-16");
	inv[3].due_date = D("2026-11-15");
	v.debtor_name = "Globex GmbH";
	v.debtor_ref = "CUST-1002";
	v.token = "DUN-7F3K2Q";
	v.today = D("2026-11-22");
	v.promised_on = D("2026-11-30");
	v.promised_minor = -1;
	v.final_deadline = D("2026-11-30");
	v.invoices = inv;
	v.ninvoices = 4;
	for (l = 0; l < nlangs; l++)
		for (i = 0; i < DUN_ARRAY_SIZE(names); i++) {
			if (dun_render(&r, cfg, langs[l], names[i], &v) < 0) {
				print_error("%s/%s: %s\n", langs[l], names[i],
				    dun_error_last());
				fail();
			}
			/* Plain text is plain: no Markdown markers. */
			if (strstr(r.text, "**") || strstr(r.text, "\\") ||
			    strstr(r.text, "__")) {
				print_error("%s/%s: Markdown in the plain part\n",
				    langs[l], names[i]);
				fail();
			}
			memset(&in, 0, sizeof(in));
			memset(&att, 0, sizeof(att));
			att.filename = "INV-2026-0142.pdf";
			att.content_type = "application/pdf";
			att.data = pdf;
			att.len = pdf_len;
			in.from_name = cfg->sender_name;
			in.from_addr = cfg->sender_email;
			in.to_name = v.debtor_name;
			in.to_addrs = to;
			in.nto = 1;
			in.subject = r.subject;
			in.message_id = "dun.20261122.abcdefghijklmnop@vendor.test";
			in.token = v.token;
			in.reply_to = "ar-replies@vendor.test";
			in.language = langs[l];
			in.date = dun_tz_instant(v.today, 10 * 60, "UTC");
			in.date_tz = "Europe/London";
			in.text = r.text;
			in.html = r.html;
			in.attachments = &att;
			in.nattachments = 1;
			assert_int_equal(dun_compose(&msg, &len, &in), 0);
			assert_non_null(strstr(msg, "\r\nReply-To: "
			    "<ar-replies@vendor.test>\r\n"));
			assert_null(strstr(msg, "List-Unsubscribe"));
			if (l == 0 && i == 0) {
				/* [sender] list_unsubscribe = yes. */
				char *msg2;
				size_t len2;
				in.unsubscribe_to = "ar-replies@vendor.test";
				assert_int_equal(dun_compose(&msg2, &len2, &in),
				    0);
				assert_non_null(strstr(msg2, "\r\nList-"
				    "Unsubscribe: <mailto:ar-replies@vendor."
				    "test?subject=STOP%20%5Bref%3ADUN-7F3K2Q"
				    "%5D>\r\n"));
				free(msg2);
				in.unsubscribe_to = NULL;
			}
			if (dir && *dir) {
				FILE *f;
				path = xasprintf("%s/%s-%s.eml", dir, langs[l],
				    names[i]);
				f = fopen(path, "wb");
				assert_non_null(f);
				assert_int_equal(fwrite(msg, 1, len, f), len);
				fclose(f);
				free(path);
			}
			free(msg);
			dun_rendered_free(&r);
		}
	free(pdf);
	dun_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_letters__every_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
