/* dunmail resolve INVOICE --action A [ARG] --note TEXT: a person's
 * decision, recorded with the operator's name in the trail. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dunmail/cases.h"
#include "dunmail/ledger.h"
#include "dunmail/store.h"

int
cmd_resolve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "action", required_argument, NULL, 'a' },
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_case_event ev;
	struct dun_case_outcome o;
	struct dun_case *c = NULL;
	const char *action = NULL, *note = NULL, *invoice, *arg = NULL;
	int ch, rc, a;

	while ((ch = getopt_long(argc, argv, "a:n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': action = optarg; break;
		case 'n': note = optarg; break;
		default: return cli_usage("resolve");
		}
	}
	if (action == NULL || note == NULL || optind >= argc ||
	    argc - optind > 2)
		return cli_usage("resolve");
	invoice = argv[optind];
	if (argc - optind == 2)
		arg = argv[optind + 1];
	if ((a = dun_human_action_from_name(action)) < 0) {
		fprintf(stderr, "dunmail: --action must be resume, close, "
		    "plan [DATE], hold-until DATE, set-contact ADDR or "
		    "lift-opt-out\n");
		return EX_USAGE;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = DUN_EV_HUMAN;
	ev.human = (enum dun_human_action)a;
	ev.until = DUN_DATE_NONE;
	ev.promised_on = DUN_DATE_NONE;
	ev.return_date = DUN_DATE_NONE;
	if (ev.human == DUN_HUMAN_HOLD_UNTIL || ev.human == DUN_HUMAN_PLAN) {
		if (arg == NULL && ev.human == DUN_HUMAN_HOLD_UNTIL) {
			fprintf(stderr, "dunmail: hold-until needs a date: "
			    "--action hold-until YYYY-MM-DD\n");
			return EX_USAGE;
		}
		if (arg && dun_date_parse(&ev.until, arg) < 0)
			return cli_fail(DUN_EINVAL);
	} else if (ev.human == DUN_HUMAN_SET_CONTACT) {
		if (arg == NULL || !dun_ledger_email_valid(arg)) {
			fprintf(stderr, "dunmail: set-contact needs an e-mail "
			    "address: --action set-contact ADDR\n");
			return EX_USAGE;
		}
	} else if (arg)
		return cli_usage("resolve");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = dun_store_case_by_invoice(ctx->store, &c, invoice)) < 0)
		return cli_fail(rc);
	rc = dun_case_apply(ctx->store, ctx->cfg, c->id, &ev, ctx->now, 0,
	    ev.human == DUN_HUMAN_SET_CONTACT ? arg : NULL, note, &o);
	if (rc < 0) {
		dun_case_free(c);
		return cli_fail(rc);
	}
	printf("%s: %s -> %s; next %s%s%s; recorded for %s\n", invoice,
	    dun_case_state_name(c->state), dun_case_state_name(o.state),
	    dun_next_action_name(o.next), o.next_detail[0] ? " " : "",
	    o.next_detail, ctx->cfg->operator_name);
	dun_case_free(c);
	return 0;
}
