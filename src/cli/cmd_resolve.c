/* dunmail resolve INVOICE --action A [ARG] --note TEXT, or
 * dunmail resolve --handoff ID --action A [ARG] --note TEXT: a person's
 * decision, recorded with the operator's name in the trail. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/cases/cases.h"
#include "dunmail/core/address.h"
#include "dunmail/store/store.h"

/* dismiss | assign INVOICE: a hand-off that concerns no case. */
static int
decide_handoff(struct cli_ctx *ctx, int64_t id, const char *action,
    const char *arg, const char *note)
{
	struct dun_handoff *h = NULL;
	int64_t case_id;
	int rc;

	if (strcmp(action, "assign") == 0 && arg == NULL) {
		fprintf(stderr, "dunmail: assign needs the invoice the reply "
		    "concerns: --action assign INVOICE\n");
		return EX_USAGE;
	}
	if (strcmp(action, "dismiss") == 0 && arg)
		return cli_usage("resolve");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = dun_workflow_handoff_decide(ctx->store, ctx->cfg, ctx->now,
	    id, action, arg, note, &case_id)) < 0)
		return cli_fail(rc);
	if ((rc = dun_store_handoff_get(ctx->store, &h, id)) < 0)
		return cli_fail(rc);
	if (case_id)
		printf("hand-off %lld (%s): the reply joins %s's trail; "
		    "recorded for %s\nto decide the case: dunmail resolve %s "
		    "--action ACTION --note TEXT\n", (long long)id, h->reason,
		    arg, ctx->cfg->operator_name, arg);
	else
		printf("hand-off %lld (%s): dismissed; recorded for %s\n",
		    (long long)id, h->reason, ctx->cfg->operator_name);
	dun_handoff_free(h);
	return 0;
}

/* The case a --handoff ID is about; a usage error if none. */
static int
handoff_case(struct cli_ctx *ctx, int64_t id, struct dun_case **out)
{
	struct dun_handoff *h = NULL;
	int rc;

	if ((rc = dun_store_handoff_get(ctx->store, &h, id)) < 0)
		return cli_fail(rc);
	if (h->case_id == 0) {
		fprintf(stderr, "dunmail: hand-off %lld (%s) matched no case: "
		    "--action assign INVOICE links it to one, --action "
		    "dismiss closes it\n", (long long)id, h->reason);
		rc = EX_USAGE;
	} else if (h->resolved_at) {
		fprintf(stderr, "dunmail: hand-off %lld was resolved already "
		    "(%s by %s); to decide its case again: dunmail resolve "
		    "INVOICE --action ...\n", (long long)id, h->resolution,
		    h->operator_name);
		rc = EX_DATAERR;
	} else if ((rc = dun_store_case_get(ctx->store, out,
	    h->case_id)) < 0)
		rc = cli_fail(rc);
	dun_handoff_free(h);
	return rc;
}

int
cmd_resolve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "action", required_argument, NULL, 'a' },
		{ "note", required_argument, NULL, 'n' },
		{ "handoff", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_case_event ev;
	struct dun_case_outcome o;
	struct dun_case *c = NULL;
	const char *action = NULL, *note = NULL, *invoice = NULL, *arg = NULL;
	long long handoff = 0;
	char *end;
	int ch, rc, a, npos;

	while ((ch = getopt_long(argc, argv, "a:n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': action = optarg; break;
		case 'n': note = optarg; break;
		case 'h':
			handoff = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || handoff <= 0) {
				fprintf(stderr, "dunmail: --handoff takes the "
				    "id `dunmail queue` shows\n");
				return EX_USAGE;
			}
			break;
		default: return cli_usage("resolve");
		}
	}
	npos = argc - optind;
	/* INVOICE [ARG], or with --handoff just [ARG]. */
	if (action == NULL || note == NULL || npos > 2 ||
	    (handoff == 0 && npos < 1) || (handoff && npos > 1))
		return cli_usage("resolve");
	if (handoff == 0)
		invoice = argv[optind++];
	if (optind < argc)
		arg = argv[optind];
	if (strcmp(action, "dismiss") == 0 || strcmp(action, "assign") == 0) {
		if (handoff == 0) {
			fprintf(stderr, "dunmail: %s is for a hand-off that "
			    "matched no case: dunmail resolve --handoff ID "
			    "--action %s%s --note TEXT\n", action, action,
			    strcmp(action, "assign") == 0 ? " INVOICE" : "");
			return EX_USAGE;
		}
		return decide_handoff(ctx, (int64_t)handoff, action, arg, note);
	}
	if ((a = dun_human_action_from_name(action)) < 0) {
		fprintf(stderr, "dunmail: --action must be resume, close, "
		    "plan [DATE], hold-until DATE, set-contact ADDR or "
		    "lift-opt-out (or, for a hand-off that matched no case, "
		    "dismiss or assign INVOICE)\n");
		return EX_USAGE;
	}
	dun_case_event_init(&ev, DUN_EV_HUMAN);
	ev.human = (enum dun_human_action)a;
	if (ev.human == DUN_HUMAN_HOLD_UNTIL || ev.human == DUN_HUMAN_PLAN) {
		if (arg == NULL && ev.human == DUN_HUMAN_HOLD_UNTIL) {
			fprintf(stderr, "dunmail: hold-until needs a date: "
			    "--action hold-until YYYY-MM-DD\n");
			return EX_USAGE;
		}
		if (arg && dun_date_parse(&ev.until, arg) < 0)
			return cli_fail(DUN_EINVAL);
	} else if (ev.human == DUN_HUMAN_SET_CONTACT) {
		if (arg == NULL || !dun_email_valid(arg)) {
			fprintf(stderr, "dunmail: set-contact needs an e-mail "
			    "address: --action set-contact ADDR\n");
			return EX_USAGE;
		}
	} else if (arg)
		return cli_usage("resolve");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if (handoff) {
		if ((rc = handoff_case(ctx, (int64_t)handoff, &c)) != 0)
			return rc;
	} else if ((rc = dun_store_case_by_invoice(ctx->store, &c,
	    invoice)) < 0)
		return cli_fail(rc);
	rc = dun_case_apply(ctx->store, ctx->cfg, c->id, &ev, ctx->now, 0,
	    ev.human == DUN_HUMAN_SET_CONTACT ? arg : NULL, note, &o);
	if (rc < 0) {
		dun_case_free(c);
		return cli_fail(rc);
	}
	printf("%s: %s -> %s; next %s%s%s; recorded for %s\n",
	    c->invoice_number, dun_case_state_name(c->state),
	    dun_case_state_name(o.state), dun_next_action_name(o.next),
	    o.next_detail[0] ? " " : "", o.next_detail,
	    ctx->cfg->operator_name);
	dun_case_free(c);
	return 0;
}
