/* Ledger import: real CSV (quotes, commas, newlines, BOM), idempotent
 * re-import, updates, payments, and all-or-nothing bad rows with
 * FILE:LINE: column: problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "dunmail/cases/cases.h"
#include "dunmail/config/config.h"
#include "dunmail/core/address.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/ledger/ledger.h"
#include "dunmail/store/store.h"
#include "testutil.h"

struct fixture {
	char *dir;
	struct dun_config *cfg;
	struct dun_store *store;
	dun_time_t now;
};

#define HEADER "debtor_ref,debtor_name,email,language,timezone,region," \
	"invoice_number,issue_date,due_date,currency,amount,open_amount,pdf\n"

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	test_env_open(&f->dir, &f->cfg, &f->store);
	free(test_write(f->dir, "a.pdf", "%PDF-1.4\n% test\n"));
	free(test_write(f->dir, "not.pdf", "hello"));
	assert_int_equal(dun_time_parse(&f->now, "2026-11-20T12:00:00Z"), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_env_close(f->dir, f->cfg, f->store);
	free(f);
	return 0;
}

static int
import(struct fixture *f, const char *name, const char *csv,
    struct dun_import_stats *st, struct dun_diags *diags)
{
	char *path = test_write(f->dir, name, csv);
	int rc = dun_ledger_import_invoices(f->store, f->cfg, &dun_cases_ledger, path, f->now, st,
	    diags);

	free(path);
	return rc;
}

static void
test_ledger__real_csv_and_reimport(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_invoice *inv = NULL;
	struct dun_debtor *d = NULL;
	struct dun_case *c = NULL;
	int64_t events;
	const char *csv = "\xef\xbb\xbf" HEADER
	    "C1,\"Acme, Corp\",\"ap@acme.test; Boss@Acme.test\",en,"
	    "America/New_York,US,INV-1,2026-10-01,2026-11-01,USD,\"4,800.00\","
	    "4800.00,a.pdf\n"
	    "C2,\"Huaxin  Trading \"\"East\"\"\",h@buyer.test,zh-CN,"
	    "Asia/Shanghai,CN,INV-2,2026-11-01,2026-12-01,CNY,42000,,\n"
	    "\n"
	    "C1,\"Acme, Corp\",\"ap@acme.test; Boss@Acme.test\",en,"
	    "America/New_York,US,INV-3,2026-10-05,2026-11-05,USD,100,0,\n";

	assert_int_equal(import(f, "inv.csv", csv, &st, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_int_equal(st.rows, 3);
	assert_int_equal(st.invoices_new, 3);
	assert_int_equal(st.debtors_new, 2);
	assert_int_equal(st.cases_opened, 2); /* INV-3 is settled */

	assert_int_equal(dun_store_debtor_by_ref(f->store, &d, "C1"), 0);
	assert_string_equal(d->name, "Acme, Corp");
	assert_int_equal(d->nemails, 2);
	assert_string_equal(d->emails[1], "boss@acme.test");
	dun_debtor_free(d);
	assert_int_equal(dun_store_debtor_by_ref(f->store, &d, "C2"), 0);
	assert_string_equal(d->name, "Huaxin Trading \"East\"");
	assert_string_equal(d->language, "zh");
	dun_debtor_free(d);

	assert_int_equal(dun_store_invoice_get(f->store, &inv, "INV-1"), 0);
	assert_int_equal(inv->amount_minor, 480000);
	assert_int_equal(inv->open_minor, 480000);
	assert_int_equal(inv->pdf_path[0], '/');
	assert_int_equal(strlen(inv->pdf_sha256), 64);
	dun_invoice_free(inv);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-1"), 0);
	assert_int_equal(c->state, DUN_CASE_OVERDUE);
	dun_case_free(c);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-2"), 0);
	assert_int_equal(c->state, DUN_CASE_UPCOMING);
	dun_case_free(c);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-3"),
	    DUN_ENOTFOUND);

	/* The same file again changes nothing, not even the trail. */
	events = dun_store_event_count(f->store);
	assert_int_equal(import(f, "inv.csv", csv, &st, &diags), 0);
	assert_int_equal(st.invoices_unchanged, 3);
	assert_int_equal(st.invoices_new + st.invoices_updated, 0);
	assert_int_equal(dun_store_event_count(f->store), events);
}

static void
test_ledger__updates_and_payments(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_invoice *inv = NULL;
	struct dun_case *c = NULL;
	char *pay;

	assert_int_equal(import(f, "v1.csv", HEADER
	    "C1,Acme,ap@acme.test,en,UTC,,INV-9,2026-10-01,2026-11-01,EUR,"
	    "1000.00,1000.00,\n", &st, &diags), 0);
	/* A new export with a lower open amount updates the case's money. */
	assert_int_equal(import(f, "v2.csv", HEADER
	    "C1,Acme,ap@acme.test,en,UTC,,INV-9,2026-10-01,2026-11-01,EUR,"
	    "1000.00,600.00,\n", &st, &diags), 0);
	assert_int_equal(st.invoices_updated, 1);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "INV-9"), 0);
	assert_int_equal(inv->open_minor, 60000);
	dun_invoice_free(inv);

	/* Payments: partial, then one that clears it; re-import is a no-op. */
	pay = test_write(f->dir, "pay.csv",
	    "invoice_number,paid_on,currency,amount,reference\n"
	    "INV-9,2026-11-10,EUR,100.00,T1\n"
	    "INV-9,2026-11-12,,500.00,T2\n");
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg, &dun_cases_ledger, pay,
	    f->now, &st, &diags), 0);
	assert_int_equal(st.payments_new, 2);
	assert_int_equal(st.cases_closed, 1);
	assert_int_equal(dun_store_case_by_invoice(f->store, &c, "INV-9"), 0);
	assert_int_equal(c->state, DUN_CASE_CLOSED);
	assert_true(c->closed_at > 0);
	dun_case_free(c);
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg, &dun_cases_ledger, pay,
	    f->now, &st, &diags), 0);
	assert_int_equal(st.payments_new, 0);
	assert_int_equal(st.payments_known, 2);
	free(pay);

	/* An unknown invoice in a payments file is a row problem. */
	pay = test_write(f->dir, "pay2.csv",
	    "invoice_number,paid_on,currency,amount,reference\n"
	    "INV-404,2026-11-10,EUR,1.00,T9\n");
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg, &dun_cases_ledger, pay,
	    f->now, &st, &diags), DUN_EINVAL);
	assert_int_equal(diags.count, 1);
	assert_int_equal(diags.items[0].line, 2);
	assert_non_null(strstr(diags.items[0].msg, "invoice_number: no "
	    "invoice 'INV-404'"));
	dun_diags_free(&diags);
	free(pay);
}

/* One bad row in the middle: nothing at all is imported, and the
 * problem names the file, the line and the column. */
static void
test_ledger__bad_rows_roll_back(void **state)
{
	static const struct {
		const char *row;
		const char *needle;
	} rows[] = {
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,XYZ,1,1,",
		  "currency: unknown currency 'XYZ'" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-31,USD,1,1,",
		  "due_date: '2026-11-31' is not a date" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,-5,0,",
		  "amount: '-5' is not a positive amount" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,5,6,",
		  "open_amount: '6' is more than" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
		  "missing.pdf", "pdf: cannot read" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
		  "not.pdf", "is not a PDF" },
		{ "C2,B,b at x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,",
		  "email: 'b' is not an e-mail address" },
		{ "C2,B,\"b@x.test\r\nBcc: evil@x.test\",en,UTC,,INV-B,"
		  "2026-10-01,2026-11-01,USD,1,1,",
		  "email: contains a control character (U+000D, CR" },
		/* Control characters in any field (issue 11). */
		{ "C2,B,b@x.test,en,UTC,,INV-\x1b[2J,2026-10-01,2026-11-01,USD,"
		  "1,1,", "invoice_number: contains a control character "
		  "(U+001B, ESC) at character 5" },
		{ "C2,\"Bee\nLtd\",b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,"
		  "USD,1,1,", "debtor_name: contains a control character "
		  "(U+000A, LF" },
		{ "C2,\"Bee\tLtd\",b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,"
		  "USD,1,1,", "debtor_name: contains a control character "
		  "(U+0009, TAB)" },
		{ "C2,Bee\x0bLtd,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,"
		  "USD,1,1,", "debtor_name: contains a control character "
		  "(U+000B, VT)" },
		{ "C2,Bee\x7f,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,"
		  "USD,1,1,", "debtor_name: contains a control character "
		  "(U+007F, DEL)" },
		{ "C2,B\xc3\xa9" "e\xc2\x85Ltd,b@x.test,en,UTC,,INV-B,2026-10-01,"
		  "2026-11-01,USD,1,1,", "debtor_name: contains a control "
		  "character (U+0085, a C1 control) at character 4" },
		{ "C2,Bee\xe2\x80\xa8Ltd,b@x.test,en,UTC,,INV-B,2026-10-01,"
		  "2026-11-01,USD,1,1,", "debtor_name: contains a control "
		  "character (U+2028, LINE SEPARATOR)" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
		  "x\xe2\x80\xa9.pdf", "pdf: contains a control character "
		  "(U+2029, PARAGRAPH SEPARATOR)" },
		{ "C2,Bee\xe2\x80\xaeLtd,b@x.test,en,UTC,,INV-B,2026-10-01,"
		  "2026-11-01,USD,1,1,", "(U+202E, a bidirectional override)" },
		/* One rule for addresses at import and at send. */
		{ "C2,B,\xc3\xbc@b\xc3\xbc" "cher.test,en,UTC,,INV-B,2026-10-01,"
		  "2026-11-01,USD,1,1,", "email: '\xc3\xbc@b\xc3\xbc" "cher.test' "
		  "has characters outside ASCII" },
		{ "C2,B,b@xn--bcher-kva.test,fr,UTC,,INV-B,2026-10-01,"
		  "2026-11-01,USD,1,1,", "language: 'fr'" },
		/* PDF paths stay in the CSV's folder. */
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
		  "../a.pdf", "pdf: '../a.pdf' has a '..' step" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
		  "sub/../../a.pdf", "pdf: 'sub/../../a.pdf' has a '..' step" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
		  "/etc/passwd", "pdf: '/etc/passwd' is /etc/passwd, outside "
		  "the CSV file's folder; PDFs must be there (or set [ledger] "
		  "pdf_dir)" },
		{ "C2,B,b@x.test,fr,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,",
		  "language: 'fr' is not en or zh" },
		{ "C2,B,b@x.test,en,Moon/Base,,INV-B,2026-10-01,2026-11-01,USD,"
		  "1,1,", "timezone: 'Moon/Base'" },
		{ "C1,A,a@x.test,en,UTC,,INV-A,2026-10-01,2026-11-01,USD,9,9,",
		  "invoice_number: INV-A appears again with different data" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,\"2026-11-01",
		  "malformed CSV" },
		{ "C2,B,b..c@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,",
		  "email: 'b..c@x.test' is not an e-mail address" },
		{ "C2,B,.b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,",
		  "email: '.b@x.test' is not" },
		{ "C2,B,b.@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,",
		  "email: 'b.@x.test' is not" },
		/* A comma that is not a thousands separator. */
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,EUR,"
		  "\"100,00\",,", "amount: amount '100,00' has a comma" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,"
		  "\"1,2,3\",,", "amount: amount '1,2,3'" },
		{ "C2,B,b@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,ZMW,"
		  "\"5,000.00\",\"5000,00\",", "open_amount: amount '5000,00'" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		struct dun_import_stats st;
		struct dun_diags diags = { 0 };
		struct dun_invoice *inv = NULL;
		char *csv = xasprintf(HEADER
		    "C1,A,a@x.test,en,UTC,,INV-A,2026-10-01,2026-11-01,USD,1,1,"
		    "a.pdf\n%s\nC3,C,c@x.test,en,UTC,,INV-C,2026-10-01,"
		    "2026-11-01,USD,1,1,\n", rows[i].row);
		char *want;
		size_t k;
		int found = 0;

		assert_int_equal(import(f, "bad.csv", csv, &st, &diags),
		    DUN_EINVAL);
		want = xasprintf("%s/bad.csv", f->dir);
		for (k = 0; k < diags.count; k++)
			if (strstr(diags.items[k].msg, rows[i].needle) &&
			    diags.items[k].line == 3 &&
			    !strcmp(diags.items[k].file, want))
				found = 1;
		if (!found) {
			dun_diags_print(&diags);
			fail_msg("row %zu: expected bad.csv:3: %s", i,
			    rows[i].needle);
		}
		/* Nothing of the good rows around it went in. */
		assert_int_equal(dun_store_invoice_get(f->store, &inv,
		    "INV-A"), DUN_ENOTFOUND);
		assert_int_equal(dun_store_invoice_get(f->store, &inv,
		    "INV-C"), DUN_ENOTFOUND);
		assert_int_equal(dun_store_event_count(f->store), 0);
		dun_diags_free(&diags);
		free(want);
		free(csv);
	}
}

/* The one problem of a file that must be refused, at FILE:LINE. */
static void
expect_refused(struct fixture *f, const char *name, const char *csv,
    size_t len, int line, const char *needle)
{
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	char *path = xasprintf("%s/%s", f->dir, name);
	FILE *fp = fopen(path, "wb");
	int64_t events = dun_store_event_count(f->store);
	size_t k;
	int found = 0;

	assert_non_null(fp);
	assert_int_equal(fwrite(csv, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(dun_ledger_import_invoices(f->store, f->cfg,
	    &dun_cases_ledger, path, f->now, &st, &diags), DUN_EINVAL);
	for (k = 0; k < diags.count; k++)
		if (diags.items[k].line == line &&
		    !strcmp(diags.items[k].file, path) &&
		    strstr(diags.items[k].msg, needle))
			found = 1;
	if (!found) {
		dun_diags_print(&diags);
		fail_msg("%s: expected line %d: %s", name, line, needle);
	}
	assert_int_equal(dun_store_event_count(f->store), events);
	dun_diags_free(&diags);
	free(path);
}

/* A NUL used to cut the address short (strlen); the field's length
 * tells it was there. */
static void
test_ledger__nul_in_field(void **state)
{
	static const char csv[] = HEADER
	    "C1,A,a@x.test\0.evil.test,en,UTC,,INV-A,2026-10-01,2026-11-01,"
	    "USD,1,1,\n";
	static const char quoted[] = HEADER
	    "C1,A,a@x.test,en,UTC,,\"INV\0-A\",2026-10-01,2026-11-01,USD,1,"
	    "1,\n";

	expect_refused(*state, "nul.csv", csv, sizeof(csv) - 1, 2,
	    "email: contains a control character (U+0000, NUL) at "
	    "character 9");
	expect_refused(*state, "nulq.csv", quoted, sizeof(quoted) - 1, 2,
	    "invoice_number: contains a control character (U+0000, NUL)");
}

/* A name is at most 200 characters (not bytes); payments are checked
 * for control characters too. */
static void
test_ledger__long_name_and_payments(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_buf name = DUN_BUF_INIT;
	char *csv, *pay;
	int i;

	for (i = 0; i < 200; i++)
		dun_buf_puts(&name, "\xe5\x90\x8d"); /* 名: 3 bytes */
	csv = xasprintf(HEADER "C1,%s,a@x.test,en,UTC,,INV-A,2026-10-01,"
	    "2026-11-01,USD,1,1,\n", name.data);
	assert_int_equal(import(f, "name200.csv", csv, &st, &diags), 0);
	free(csv);
	dun_buf_puts(&name, "x");
	csv = xasprintf(HEADER "C2,%s,b@x.test,en,UTC,,INV-B,2026-10-01,"
	    "2026-11-01,USD,1,1,\n", name.data);
	expect_refused(f, "name201.csv", csv, strlen(csv), 2,
	    "debtor_name: 201 characters; a name is at most 200");
	free(csv);
	dun_buf_free(&name);

	pay = test_write(f->dir, "pay.csv",
	    "invoice_number,paid_on,amount,reference\n"
	    "INV-A,2026-11-10,1,T1\x1b]0;owned\x07\n");
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg,
	    &dun_cases_ledger, pay, f->now, &st, &diags), DUN_EINVAL);
	assert_int_equal(diags.count, 1);
	assert_int_equal(diags.items[0].line, 2);
	assert_non_null(strstr(diags.items[0].msg, "reference: contains a "
	    "control character (U+001B, ESC)"));
	dun_diags_free(&diags);
	free(pay);
}

/* PDFs: a FIFO must not hang the import, a device is no PDF, a symbolic
 * link may not lead out of the folder (but may stay inside it), and
 * [ledger] pdf_dir is the one other folder allowed. */
static void
test_ledger__pdf_paths(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_invoice *inv = NULL;
	char *other = test_tmpdir(), *outside, *link, *fifo, *csv, *real;

	outside = test_write(other, "out.pdf", "%PDF-1.4\n% outside\n");
	link = xasprintf("%s/link.pdf", f->dir);
	assert_int_equal(symlink(outside, link), 0);
	fifo = xasprintf("%s/fifo.pdf", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	free(link);
	link = xasprintf("%s/inside.pdf", f->dir);
	assert_int_equal(symlink("a.pdf", link), 0);

#define ROW(pdf) HEADER "C1,A,a@x.test,en,UTC,,INV-A,2026-10-01," \
	"2026-11-01,USD,1,1," pdf "\n"
	expect_refused(f, "fifo.csv", ROW("fifo.pdf"), strlen(ROW("fifo.pdf")),
	    2, "fifo.pdf is not a regular file (a FIFO)");
	expect_refused(f, "link.csv", ROW("link.pdf"), strlen(ROW("link.pdf")),
	    2, "outside the CSV file's folder");
	csv = xasprintf(ROW("%s"), outside);
	expect_refused(f, "abs.csv", csv, strlen(csv), 2, "outside the CSV "
	    "file's folder");
	free(csv);
	csv = xasprintf(ROW("%s"), "/dev/null");
	expect_refused(f, "dev.csv", csv, strlen(csv), 2, "outside the CSV "
	    "file's folder");
	free(csv);
	expect_refused(f, "dir.csv", ROW("."), strlen(ROW(".")), 2,
	    "is not a regular file (a folder)");

	/* A link that stays inside is followed, and the real path kept. */
	assert_int_equal(import(f, "in.csv", ROW("inside.pdf"), &st, &diags),
	    0);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "INV-A"), 0);
	real = xasprintf("%s/a.pdf", f->dir);
	assert_non_null(strstr(inv->pdf_path, "/a.pdf"));
	dun_invoice_free(inv);
	free(real);

	/* With pdf_dir, the other folder's file is found by name and by its
	 * absolute path; the symbolic link into it is then allowed. */
	free(f->cfg->ledger.pdf_dir);
	f->cfg->ledger.pdf_dir = xstrdup(other);
	assert_int_equal(import(f, "pdfdir.csv", HEADER
	    "C1,A,a@x.test,en,UTC,,INV-B,2026-10-01,2026-11-01,USD,1,1,"
	    "out.pdf\n"
	    "C1,A,a@x.test,en,UTC,,INV-C,2026-10-01,2026-11-01,USD,1,1,"
	    "link.pdf\n", &st, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "INV-C"), 0);
	assert_non_null(strstr(inv->pdf_path, "/out.pdf"));
	dun_invoice_free(inv);
#undef ROW
	unlink(fifo);
	free(fifo);
	free(link);
	free(outside);
	test_rmtree(other);
	free(other);
}

static void
test_ledger__email_local_part(void **state)
{
	static const struct {
		const char *addr;
		int ok;
	} rows[] = {
		{ "a.b@buyer.test", 1 },
		{ "a+tag@buyer.test", 1 },
		{ "a..b@buyer.test", 0 },
		{ ".a@buyer.test", 0 },
		{ "a.@buyer.test", 0 },
		{ "a@buyer..test", 0 },
		{ "a@.buyer.test", 0 },
		{ "@buyer.test", 0 },
		{ "a@buyer", 0 },
		{ "\xc3\xbc@b\xc3\xbc" "cher.test", 0 }, /* no SMTPUTF8 */
		{ "a@b\xc3\xbc" "cher.test", 0 },
		{ "a@xn--bcher-kva.test", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++)
		if (dun_email_valid(rows[i].addr) != rows[i].ok)
			fail_msg("%s: expected %s", rows[i].addr,
			    rows[i].ok ? "valid" : "refused");
}

/* An empty file is named at its first line. */
static void
test_ledger__empty_file(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };

	assert_int_equal(import(f, "empty.csv", "", &st, &diags),
	    DUN_EINVAL);
	assert_int_equal(diags.count, 1);
	assert_int_equal(diags.items[0].line, 1);
	assert_non_null(strstr(diags.items[0].msg, "the file is empty"));
	dun_diags_free(&diags);
}

/* [ledger] decimal_separator = comma: 1.234,56 and 100,00. */
static void
test_ledger__decimal_comma(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_invoice *inv = NULL;
	char *pay;

	f->cfg->ledger.decimal_sep = ',';
	f->cfg->ledger.delimiter = ';';
	assert_int_equal(import(f, "eu.csv",
	    "debtor_ref;debtor_name;email;invoice_number;due_date;currency;"
	    "amount;open_amount\n"
	    "K-1;Kestrel GmbH;pay@kestrel.test;RE-1;2026-12-03;EUR;"
	    "1.234,56;100,00\n"
	    "K-1;Kestrel GmbH;pay@kestrel.test;RE-2;2026-12-03;EUR;"
	    "1 500;\n", &st, &diags), 0);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "RE-1"), 0);
	assert_int_equal(inv->amount_minor, 123456);
	assert_int_equal(inv->open_minor, 10000);
	dun_invoice_free(inv);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "RE-2"), 0);
	assert_int_equal(inv->amount_minor, 150000);
	dun_invoice_free(inv);
	pay = test_write(f->dir, "pay.csv",
	    "invoice_number;paid_on;amount;reference\n"
	    "RE-1;2026-11-10;99,50;T1\n");
	assert_int_equal(dun_ledger_import_payments(f->store, f->cfg, &dun_cases_ledger, pay,
	    f->now, &st, &diags), 0);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "RE-1"), 0);
	assert_int_equal(inv->open_minor, 50);
	dun_invoice_free(inv);
	free(pay);
	/* An amount from a period export is refused, not misread. */
	assert_int_equal(import(f, "us.csv",
	    "debtor_ref;debtor_name;email;invoice_number;due_date;currency;"
	    "amount\n"
	    "K-1;Kestrel GmbH;pay@kestrel.test;RE-3;2026-12-03;EUR;1.50\n",
	    &st, &diags), DUN_EINVAL);
	assert_non_null(strstr(diags.items[0].msg, "amount '1.50'"));
	dun_diags_free(&diags);
}

static void
test_ledger__column_mapping(void **state)
{
	struct fixture *f = *state;
	struct dun_import_stats st;
	struct dun_diags diags = { 0 };
	struct dun_invoice *inv = NULL;

	free(f->cfg->ledger.invoice_cols[DUN_COL_INVOICE_NUMBER]);
	f->cfg->ledger.invoice_cols[DUN_COL_INVOICE_NUMBER] =
	    xstrdup("Invoice No.");
	free(f->cfg->ledger.invoice_cols[DUN_COL_DEBTOR_REF]);
	f->cfg->ledger.invoice_cols[DUN_COL_DEBTOR_REF] = xstrdup("Customer ID");
	f->cfg->ledger.date_order = DUN_DATES_DMY;
	f->cfg->ledger.delimiter = ';';
	assert_int_equal(import(f, "mapped.csv",
	    "Customer ID;debtor_name;email;Invoice No.;due_date;currency;amount\n"
	    "K-7;Kestrel Ltd;pay@kestrel.test;SI-0042;03/12/2026;GBP;12.50\n",
	    &st, &diags), 0);
	assert_int_equal(dun_store_invoice_get(f->store, &inv, "SI-0042"), 0);
	assert_int_equal(inv->due_date, dun_date_from_ymd(2026, 12, 3));
	assert_int_equal(inv->open_minor, 1250);
	dun_invoice_free(inv);
	/* A missing required column is named. */
	assert_int_equal(import(f, "nohdr.csv", "foo;bar\n1;2\n", &st, &diags),
	    DUN_EINVAL);
	assert_non_null(strstr(diags.items[0].msg, "no column 'Customer ID'"));
	assert_int_equal(diags.items[0].line, 1);
	dun_diags_free(&diags);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_ledger__real_csv_and_reimport, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ledger__updates_and_payments, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ledger__bad_rows_roll_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger__column_mapping,
		    setup, teardown),
		cmocka_unit_test(test_ledger__email_local_part),
		cmocka_unit_test_setup_teardown(test_ledger__empty_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger__decimal_comma,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger__nul_in_field,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ledger__long_name_and_payments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger__pdf_paths,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
