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
#include "dunmail/store/store.h"
#include "dunmail/core/timeutil.h"

struct dun_import_stats {
	int rows;
	int debtors_new, debtors_updated;
	int invoices_new, invoices_updated, invoices_unchanged;
	int payments_new, payments_known;
	int cases_opened, cases_closed, cases_reopened;
};

int dun_ledger_import_invoices(struct dun_store *store,
	const struct dun_config *cfg, const char *path, dun_time_t now,
	struct dun_import_stats *stats, struct dun_diags *diags);

int dun_ledger_import_payments(struct dun_store *store,
	const struct dun_config *cfg, const char *path, dun_time_t now,
	struct dun_import_stats *stats, struct dun_diags *diags);

#endif
