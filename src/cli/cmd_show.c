/* dunmail show INVOICE [--json]: one case and its trail. With --json the
 * first line is the case, then one line per event. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dunmail/cases/cases.h"
#include "dunmail/core/json.h"
#include "dunmail/core/money.h"
#include "dunmail/store/store.h"

struct show_ctx {
	const char *tz;
	int json;
};

static int
print_event(const struct dun_event *ev, void *arg)
{
	struct show_ctx *sc = arg;
	char at[64];

	if (sc->json) {
		printf("{\"seq\":%lld,\"at\":%lld,\"kind\":\"%s\",\"detail\":%s,"
		    "\"hash\":\"%s\"}\n", (long long)ev->seq, (long long)ev->at,
		    ev->kind, ev->detail, ev->hash);
		return 0;
	}
	dun_time_format_local(at, sizeof(at), ev->at, sc->tz);
	printf("  #%-5lld %s  %-12s %s\n", (long long)ev->seq, at, ev->kind,
	    ev->detail);
	return 0;
}

/* --json: the case first (one object), then one line per event. */
static void
print_case_json(const struct dun_case *c, const struct dun_invoice *inv,
    const struct dun_debtor *d)
{
	struct dun_buf b = DUN_BUF_INIT, contacts = DUN_BUF_INIT;
	char date[11], amount[48], at[21];
	size_t i;

	dun_json_open(&b);
	dun_json_str(&b, "invoice", inv->number);
	dun_json_str(&b, "debtor_ref", d->ref);
	dun_json_str(&b, "debtor", d->name);
	dun_json_str(&b, "timezone", d->timezone);
	dun_buf_puts(&contacts, "[");
	for (i = 0; i < d->nemails; i++) {
		dun_json_open(&contacts);
		dun_json_str(&contacts, "email", d->emails[i]);
		dun_json_bool(&contacts, "invalid", d->email_invalid[i]);
		dun_json_close(&contacts);
	}
	dun_buf_puts(&contacts, "]");
	dun_json_raw(&b, "contacts", contacts.data);
	dun_json_bool(&b, "opted_out", d->opted_out);
	dun_date_format(date, inv->due_date);
	dun_json_str(&b, "due_date", date);
	dun_json_str(&b, "currency", inv->currency);
	dun_money_plain(amount, sizeof(amount), inv->amount_minor,
	    inv->currency);
	dun_json_str(&b, "amount", amount);
	dun_money_plain(amount, sizeof(amount), inv->open_minor,
	    inv->currency);
	dun_json_str(&b, "open_amount", amount);
	dun_json_strn(&b, "state", c ? dun_case_state_name(c->state) : NULL);
	if (c) {
		dun_json_str(&b, "next_action",
		    dun_next_action_name(c->next_action));
		dun_json_str(&b, "next_detail", c->next_detail);
		if (c->next_action_at) {
			dun_time_format_utc(at, c->next_action_at);
			dun_json_str(&b, "next_action_at", at);
		} else
			dun_json_strn(&b, "next_action_at", NULL);
		dun_json_int(&b, "stage_sent", c->stage_sent);
		if (c->promised_on != DUN_DATE_NONE) {
			dun_date_format(date, c->promised_on);
			dun_json_str(&b, "promised_on", date);
		} else
			dun_json_strn(&b, "promised_on", NULL);
		dun_json_int(&b, "broken_promises", c->broken_promises);
		if (c->hold_until) {
			dun_time_format_utc(at, c->hold_until);
			dun_json_str(&b, "hold_until", at);
		} else
			dun_json_strn(&b, "hold_until", NULL);
	}
	dun_json_close(&b);
	printf("%s\n", b.data);
	dun_buf_free(&b);
	dun_buf_free(&contacts);
}

int
cmd_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_case *c = NULL;
	struct dun_invoice *inv = NULL;
	struct dun_debtor *d = NULL;
	struct show_ctx sc = { "UTC", 0 };
	char date[11], amount[48], open[48];
	int ch, rc;
	size_t i;

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': sc.json = 1; break;
		default: return cli_usage("show");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("show");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = dun_store_invoice_get(ctx->store, &inv, argv[optind])) < 0)
		return cli_fail(rc);
	if ((rc = dun_store_debtor_get(ctx->store, &d, inv->debtor_id)) < 0)
		goto fail;
	rc = dun_store_case_by_invoice(ctx->store, &c, inv->number);
	if (rc < 0 && rc != DUN_ENOTFOUND)
		goto fail;
	/* The case as it stands at now; the trail below is what was
	 * written (see dun_case_as_of). */
	if (c && (rc = dun_case_as_of(ctx->store, ctx->cfg, c, inv->due_date,
	    d->timezone, ctx->now)) < 0)
		goto fail;
	sc.tz = d->timezone;
	if (!sc.json) {
		dun_money_format(amount, sizeof(amount), inv->amount_minor,
		    inv->currency, "en");
		dun_money_format(open, sizeof(open), inv->open_minor,
		    inv->currency, "en");
		printf("Invoice   %s\n", inv->number);
		printf("Debtor    %s (%s), %s, %s\n", d->name, d->ref,
		    d->language, d->timezone);
		for (i = 0; i < d->nemails; i++)
			printf("Contact   %s%s\n", d->emails[i],
			    d->email_invalid[i] ? " (invalid)" : "");
		if (d->opted_out)
			printf("Opt-out   yes: no email until a person lifts "
			    "it\n");
		dun_date_format(date, inv->issue_date);
		printf("Issued    %s\n", date);
		dun_date_format(date, inv->due_date);
		printf("Due       %s\n", date);
		printf("Amount    %s\nOpen      %s\n", amount, open);
		printf("PDF       %s\n", *inv->pdf_path ? inv->pdf_path :
		    "(none)");
		if (c) {
			printf("State     %s\n", dun_case_state_name(c->state));
			printf("Next      %s%s%s%s\n",
			    dun_next_action_name(c->next_action),
			    *c->next_detail ? "(" : "", c->next_detail,
			    *c->next_detail ? ")" : "");
			if (c->promised_on != DUN_DATE_NONE) {
				dun_date_format(date, c->promised_on);
				printf("Promised  %s (broken promises: %d)\n",
				    date, c->broken_promises);
			}
			printf("Trail\n");
		} else
			printf("State     no case (settled when imported)\n");
	}
	if (sc.json)
		print_case_json(c, inv, d);
	if (c && (rc = dun_store_event_foreach(ctx->store, c->id,
	    print_event, &sc)) < 0)
		goto fail;
	rc = 0;
	goto done;
fail:
	rc = cli_fail(rc);
done:
	dun_case_free(c);
	dun_invoice_free(inv);
	dun_debtor_free(d);
	return rc;
}
