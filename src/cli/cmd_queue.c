/* dunmail queue [--json]: what waits for a person, oldest first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dunmail/core/json.h"
#include "dunmail/core/money.h"
#include "dunmail/store/store.h"

int
cmd_queue(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_handoff_list list;
	int ch, rc, json = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		default: return cli_usage("queue");
		}
	}
	if (optind != argc)
		return cli_usage("queue");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = dun_store_handoff_list(ctx->store, &list, 0)) < 0)
		return cli_fail(rc);
	if (!json && list.count == 0)
		printf("nothing waits for a person\n");
	for (i = 0; i < list.count; i++) {
		struct dun_handoff *h = &list.items[i];
		struct dun_case *c = NULL;
		struct dun_invoice *inv = NULL;
		struct dun_debtor *d = NULL;
		char since[21], open[48] = "", name[64], *command;
		const char *number = "-";

		if (h->case_id &&
		    dun_store_case_get(ctx->store, &c, h->case_id) == 0 &&
		    dun_store_invoice_get_id(ctx->store, &inv,
		    c->invoice_id) == 0 &&
		    dun_store_debtor_get(ctx->store, &d, inv->debtor_id) == 0) {
			number = inv->number;
			dun_money_format(open, sizeof(open), inv->open_minor,
			    inv->currency, "en");
		}
		/* A case is decided by its invoice; a reply that matched
		 * none by its hand-off id. */
		command = h->case_id ? xasprintf("dunmail resolve %s --action "
		    "ACTION --note TEXT", number) : xasprintf("dunmail resolve "
		    "--handoff %lld --action dismiss|assign INVOICE --note "
		    "TEXT", (long long)h->id);
		dun_time_format_utc(since, h->created_at);
		if (json) {
			struct dun_buf b = DUN_BUF_INIT;
			dun_json_open(&b);
			dun_json_int(&b, "id", h->id);
			dun_json_str(&b, "since", since);
			dun_json_str(&b, "reason", h->reason);
			dun_json_strn(&b, "invoice", inv ? inv->number : NULL);
			dun_json_strn(&b, "debtor", d ? d->name : NULL);
			dun_json_strn(&b, "state", c ?
			    dun_case_state_name(c->state) : NULL);
			dun_json_str(&b, "open_amount", open);
			dun_json_int(&b, "message", h->message_id);
			dun_json_str(&b, "from", h->from_addr);
			dun_json_str(&b, "subject", h->subject);
			dun_json_str(&b, "command", command);
			dun_json_close(&b);
			printf("%s\n", b.data);
			dun_buf_free(&b);
		} else {
			char who[96];
			snprintf(who, sizeof(who), "(not matched) %s",
			    h->from_addr);
			dun_utf8_fit(name, sizeof(name), d ? d->name : who, 24);
			printf("%s  #%-5lld %-16s %s %-18s %-20s  %s\n", since,
			    (long long)h->id, number, name, open, h->reason,
			    command);
		}
		free(command);
		dun_case_free(c);
		dun_invoice_free(inv);
		dun_debtor_free(d);
	}
	dun_handoff_list_free(&list);
	return 0;
}
