/* dunmail plan [--now T] [--json]: for each open case, the next message,
 * when, and why. Changes nothing; keys of --json in docs/policy.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dunmail/cases/sched.h"
#include "dunmail/core/json.h"
#include "dunmail/core/money.h"

static void
print_json(const struct dun_sched_plan *plan, size_t i)
{
	const struct dun_sched_item *it = &plan->items[i];
	const struct dun_debtor *d = plan->debtors[i];
	struct dun_buf b = DUN_BUF_INIT;
	char utc[21], local[96];

	dun_json_open(&b);
	dun_json_str(&b, "invoice", plan->cases.items[i]->invoice_number);
	dun_json_int(&b, "case_id", it->case_id);
	dun_json_str(&b, "debtor_ref", d->ref);
	dun_json_str(&b, "debtor", d->name);
	dun_json_str(&b, "state",
	    dun_case_state_name(plan->cases.items[i]->state));
	dun_json_strn(&b, "new_state", it->new_state >= 0 ?
	    dun_case_state_name((enum dun_case_state)it->new_state) : NULL);
	dun_json_str(&b, "action", dun_sched_action_name(it->action));
	dun_json_str(&b, "kind", it->action == DUN_SCHED_SEND ||
	    it->action == DUN_SCHED_WAIT ? (it->kind == DUN_OUT_REMINDER ?
	    "reminder" : it->template) : "");
	dun_json_str(&b, "template", it->template);
	dun_json_int(&b, "stage_index", it->stage_index);
	if (it->at) {
		dun_time_format_utc(utc, it->at);
		dun_time_format_local(local, sizeof(local), it->at,
		    d->timezone);
	}
	dun_json_strn(&b, "at", it->at ? utc : NULL);
	dun_json_strn(&b, "at_local", it->at ? local : NULL);
	dun_json_str(&b, "timezone", d->timezone);
	dun_json_str(&b, "why", it->why);
	dun_json_str(&b, "skipped", it->skipped);
	dun_json_int(&b, "group", (int64_t)plan->group[i]);
	dun_json_close(&b);
	printf("%s\n", b.data);
	dun_buf_free(&b);
}

static void
print_text(const struct dun_sched_plan *plan, size_t i)
{
	const struct dun_sched_item *it = &plan->items[i];
	const struct dun_debtor *d = plan->debtors[i];
	char name[96], state[40], what[160], local[96], number[128];

	dun_utf8_fit(name, sizeof(name), d->name, 24);
	dun_str_shown(number, sizeof(number),
	    plan->cases.items[i]->invoice_number);
	if (it->new_state >= 0)
		snprintf(state, sizeof(state), "%s>%s",
		    dun_case_state_name(plan->cases.items[i]->state),
		    dun_case_state_name((enum dun_case_state)it->new_state));
	else
		snprintf(state, sizeof(state), "%s",
		    dun_case_state_name(plan->cases.items[i]->state));
	if (it->at)
		dun_time_format_local(local, sizeof(local), it->at,
		    d->timezone);
	switch (it->action) {
	case DUN_SCHED_SEND:
		snprintf(what, sizeof(what), "%s now, %s", it->template, local);
		if (plan->group[i] > 1)
			snprintf(what + strlen(what), sizeof(what) -
			    strlen(what), " (one email, %zu invoices)",
			    plan->group[i]);
		break;
	case DUN_SCHED_WAIT:
		snprintf(what, sizeof(what), "%s at %s", it->template, local);
		break;
	default:
		snprintf(what, sizeof(what), "-");
		break;
	}
	printf("%-16s %s %-18s %s\n%16s   %s\n", number, name, state, what,
	    "", it->why);
}

int
cmd_plan(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_sched_plan plan;
	size_t i, messages = 0, invoices = 0;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 't':
			if (dun_time_parse(&ctx->now, optarg) < 0) {
				fprintf(stderr, "dunmail: --now: %s\n",
				    dun_error_last());
				return EX_USAGE;
			}
			ctx->now_given = 1;
			break;
		default:
			return cli_usage("plan");
		}
	}
	if (optind != argc)
		return cli_usage("plan");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = dun_sched_load(&plan, ctx->store, ctx->cfg, ctx->now,
	    0)) < 0)
		return cli_fail(rc);
	for (i = 0; i < plan.count; i++) {
		if (json)
			print_json(&plan, i);
		else
			print_text(&plan, i);
		if (plan.items[i].action != DUN_SCHED_SEND)
			continue;
		invoices++;
		/* Each message's first case counts it. */
		{
			size_t j;
			int first = 1;
			for (j = 0; j < i; j++)
				if (plan.debtors[j] == plan.debtors[i] &&
				    plan.items[j].action == DUN_SCHED_SEND &&
				    (plan.items[j].kind == plan.items[i].kind &&
				    (plan.items[i].kind == DUN_OUT_REMINDER ||
				    strcmp(plan.items[j].template,
				    plan.items[i].template) == 0)))
					first = 0;
			messages += first;
		}
	}
	if (!json) {
		char now[21];
		dun_time_format_utc(now, ctx->now);
		printf("%zu open case%s at %s: %zu message%s due now, "
		    "covering %zu invoice%s\n", plan.count,
		    plan.count == 1 ? "" : "s", now, messages,
		    messages == 1 ? "" : "s", invoices,
		    invoices == 1 ? "" : "s");
	}
	dun_sched_plan_free(&plan);
	return 0;
}
