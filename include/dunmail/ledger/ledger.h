/*
 * Ledger import: invoices and payments from CSV exports (libcsv), columns
 * found by header name through the [ledger] mapping. An import is all or
 * nothing: every bad row is reported as FILE:LINE: column: problem and the
 * store is left exactly as it was.
 *
 * Errors: DUN_EINVAL (bad rows; diags lists them), DUN_EIO, DUN_ESTORE.
 */
#ifndef DUNMAIL_LEDGER_H
#define DUNMAIL_LEDGER_H

#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"

/*
 * What an import tells the case layer, which gives it these: the ledger
 * says what the money shows, the cases decide what that means for the
 * letters (cases.h, dun_cases_ledger). Each is called inside the import's
 * transaction; each returns a negative DUN_E* code on failure.
 */
struct dun_ledger_cases {
	/* An invoice is owed and has no case: open one, its id in *id_out.
	 * note (may be NULL) goes into the trail event. */
	int (*open)(void *arg, struct dun_store *store,
		const struct dun_config *cfg, int64_t *id_out,
		int64_t invoice_id, dun_time_t now, const char *note);
	/* Nothing is owed any more on the open case c: 1 if its state
	 * changed, 0 if not. why goes into the trail event. */
	int (*settled)(void *arg, struct dun_store *store,
		const struct dun_config *cfg, const struct dun_case *c,
		dun_time_t now, const char *why);
	/* Money is owed again on the closed case c: 1 if its state changed,
	 * 0 if not. */
	int (*reopened)(void *arg, struct dun_store *store,
		const struct dun_config *cfg, const struct dun_case *c,
		dun_time_t now);
	void *arg;
};

struct dun_import_stats {
	int rows;
	int debtors_new, debtors_updated;
	int invoices_new, invoices_updated, invoices_unchanged;
	int payments_new, payments_known;
	int cases_opened, cases_closed, cases_reopened;
};

int dun_ledger_import_invoices(struct dun_store *store,
	const struct dun_config *cfg,
	const struct dun_ledger_cases *cases, const char *path, dun_time_t now,
	struct dun_import_stats *stats, struct dun_diags *diags);

int dun_ledger_import_payments(struct dun_store *store,
	const struct dun_config *cfg,
	const struct dun_ledger_cases *cases, const char *path, dun_time_t now,
	struct dun_import_stats *stats, struct dun_diags *diags);

#endif
