/* dunmail import invoices|payments FILE.csv */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dunmail/cases/cases.h"
#include "dunmail/ledger/ledger.h"

int
cmd_import(struct cli_ctx *ctx, int argc, char **argv)
{
	struct dun_import_stats stats;
	struct dun_diags diags = { 0 };
	int rc, payments;

	if (argc != 3 || (strcmp(argv[1], "invoices") &&
	    strcmp(argv[1], "payments")))
		return cli_usage("import");
	payments = strcmp(argv[1], "payments") == 0;
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	memset(&stats, 0, sizeof(stats));
	if (payments)
		rc = dun_ledger_import_payments(ctx->store, ctx->cfg, &dun_cases_ledger, argv[2],
		    ctx->now, &stats, &diags);
	else
		rc = dun_ledger_import_invoices(ctx->store, ctx->cfg, &dun_cases_ledger, argv[2],
		    ctx->now, &stats, &diags);
	if (rc < 0) {
		if (diags.count) {
			dun_diags_print(&diags);
			fprintf(stderr, "dunmail: %zu problem%s in %s; nothing "
			    "was imported\n", diags.count,
			    diags.count == 1 ? "" : "s", argv[2]);
		} else
			fprintf(stderr, "dunmail: %s; nothing was imported\n",
			    dun_error_last());
		dun_diags_free(&diags);
		return cli_exit_code(rc);
	}
	if (payments)
		printf("%s: %d rows: %d new payments, %d already known; "
		    "%d cases closed\n", argv[2], stats.rows,
		    stats.payments_new, stats.payments_known,
		    stats.cases_closed);
	else
		printf("%s: %d rows: %d new invoices, %d updated, %d "
		    "unchanged; %d new debtors, %d updated; %d cases opened, "
		    "%d closed, %d reopened\n", argv[2], stats.rows,
		    stats.invoices_new, stats.invoices_updated,
		    stats.invoices_unchanged, stats.debtors_new,
		    stats.debtors_updated, stats.cases_opened,
		    stats.cases_closed, stats.cases_reopened);
	return 0;
}
