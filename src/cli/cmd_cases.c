/* dunmail cases [--state S] [--json]: every case as it stands at now
 * (dun_case_as_of: time passing is shown, not written). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dunmail/cases/cases.h"
#include "dunmail/core/json.h"
#include "dunmail/core/money.h"
#include "dunmail/store/store.h"

static void
print_case_json(const struct dun_case *c, const struct dun_invoice *inv,
    const struct dun_debtor *d)
{
	struct dun_buf b = DUN_BUF_INIT;
	char due[11], amount[48], at[21];

	dun_date_format(due, inv->due_date);
	dun_json_open(&b);
	dun_json_str(&b, "invoice", inv->number);
	dun_json_str(&b, "debtor_ref", d->ref);
	dun_json_str(&b, "debtor", d->name);
	dun_json_str(&b, "due_date", due);
	dun_json_str(&b, "currency", inv->currency);
	dun_money_plain(amount, sizeof(amount), inv->amount_minor,
	    inv->currency);
	dun_json_str(&b, "amount", amount);
	dun_money_plain(amount, sizeof(amount), inv->open_minor,
	    inv->currency);
	dun_json_str(&b, "open_amount", amount);
	dun_json_str(&b, "state", dun_case_state_name(c->state));
	dun_json_str(&b, "next_action", dun_next_action_name(c->next_action));
	dun_json_str(&b, "next_detail", c->next_detail);
	if (c->next_action_at) {
		dun_time_format_utc(at, c->next_action_at);
		dun_json_str(&b, "next_action_at", at);
	} else
		dun_json_strn(&b, "next_action_at", NULL);
	dun_json_close(&b);
	printf("%s\n", b.data);
	dun_buf_free(&b);
}

int
cmd_cases(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_case_list list;
	int ch, rc, state = -1, json = 0;
	size_t i, shown = 0;

	while ((ch = getopt_long(argc, argv, "s:j", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((state = dun_case_state_from_name(optarg)) < 0) {
				fprintf(stderr, "dunmail: unknown state '%s'\n",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 'j': json = 1; break;
		default: return cli_usage("cases");
		}
	}
	if (optind != argc)
		return cli_usage("cases");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	/* Every case: the state filter applies to the state as of now. */
	if ((rc = dun_store_case_list(ctx->store, &list, -1, 0)) < 0)
		return cli_fail(rc);
	if (!json)
		printf("%-16s %-28s %-10s %18s %-10s %s\n", "INVOICE",
		    "DEBTOR", "DUE", "OPEN", "STATE", "NEXT");
	for (i = 0; i < list.count; i++) {
		struct dun_case *c = list.items[i];
		struct dun_invoice *inv = NULL;
		struct dun_debtor *d = NULL;
		char due[11], open[48], next[160], at[64], name[128];
		char number[128];

		if ((rc = dun_store_invoice_get_id(ctx->store, &inv,
		    c->invoice_id)) < 0 || (rc = dun_store_debtor_get(
		    ctx->store, &d, inv->debtor_id)) < 0 ||
		    (rc = dun_case_as_of(ctx->store, ctx->cfg, c,
		    inv->due_date, d->timezone, ctx->now)) < 0) {
			dun_invoice_free(inv);
			dun_debtor_free(d);
			dun_case_list_free(&list);
			return cli_fail(rc);
		}
		if (state >= 0 && c->state != (enum dun_case_state)state) {
			dun_invoice_free(inv);
			dun_debtor_free(d);
			continue;
		}
		shown++;
		if (json)
			print_case_json(c, inv, d);
		else {
			dun_date_format(due, inv->due_date);
			dun_money_plain(open, sizeof(open), inv->open_minor,
			    inv->currency);
			snprintf(open + strlen(open), sizeof(open) -
			    strlen(open), " %s", inv->currency);
			snprintf(next, sizeof(next), "%s",
			    dun_next_action_name(c->next_action));
			if (c->next_detail && *c->next_detail)
				snprintf(next + strlen(next), sizeof(next) -
				    strlen(next), "(%s)", c->next_detail);
			if (c->next_action_at) {
				dun_time_format_local(at, sizeof(at),
				    c->next_action_at, d->timezone);
				snprintf(next + strlen(next), sizeof(next) -
				    strlen(next), " at %s", at);
			}
			dun_utf8_fit(name, sizeof(name), d->name, 28);
			/* Stores imported before control characters were
			 * refused may hold them: never raw to a terminal. */
			dun_str_shown(number, sizeof(number), inv->number);
			printf("%-16s %s %-10s %18s %-10s %s\n",
			    number, name, due, open,
			    dun_case_state_name(c->state), next);
		}
		dun_invoice_free(inv);
		dun_debtor_free(d);
	}
	if (!json)
		printf("%zu case%s\n", shown, shown == 1 ? "" : "s");
	dun_case_list_free(&list);
	return 0;
}
