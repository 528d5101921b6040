/* dunmail preview INVOICE [--stage S] [--now T]: the exact message bytes
 * the case's next message would have, with the debtor's other invoices
 * that would go in the same email. Sends nothing and writes nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dunmail/agent/outbound.h"
#include "dunmail/cases/sched.h"

/* The index of case_id in the plan, or -1. */
static long
find_case(const struct dun_sched_plan *plan, int64_t case_id)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->cases.items[i]->id == case_id)
			return (long)i;
	return -1;
}

static int
stage_index_of(const struct dun_policy *policy, const char *name)
{
	size_t i;

	for (i = 0; i < policy->nstages; i++)
		if (strcmp(policy->stages[i].template, name) == 0)
			return (int)i;
	return -1;
}

/* --stage S: this case at stage (or answer) S, with the debtor's cases
 * that are due for the same kind of message at that time. */
static void
forced_batch(struct dun_out_batch *b, const struct dun_policy *policy,
    const struct dun_sched_plan *plan, size_t k, const char *stage)
{
	int si = stage_index_of(policy, stage);
	enum dun_out_kind kind = si >= 0 ? DUN_OUT_REMINDER :
	    dun_sched_answer_kind(stage);
	size_t i;

	memset(b, 0, sizeof(*b));
	b->debtor_id = plan->debtors[k]->id;
	b->kind = kind;
	b->template = xstrdup(stage);
	b->case_ids = xcalloc(plan->count + 1, sizeof(*b->case_ids));
	b->stage_index = xcalloc(plan->count + 1, sizeof(*b->stage_index));
	b->skipped = xcalloc(plan->count + 1, sizeof(*b->skipped));
	for (i = 0; i < plan->count; i++) {
		const struct dun_sched_item *it = &plan->items[i];
		if (i != k && (it->action != DUN_SCHED_SEND ||
		    it->kind != kind || (kind != DUN_OUT_REMINDER &&
		    strcmp(it->template, stage) != 0)))
			continue;
		b->case_ids[b->ncases] = it->case_id;
		b->stage_index[b->ncases] = i == k ? si : it->stage_index;
		b->skipped[b->ncases] = xstrdup(i == k ? "" : it->skipped);
		b->ncases++;
	}
}

/* Moves the batch holding case_id out of all into b; 0 if none. */
static int
take_batch(struct dun_out_batch *b, struct dun_out_batches *all,
    int64_t case_id)
{
	size_t i, j;

	for (i = 0; i < all->count; i++)
		for (j = 0; j < all->items[i].ncases; j++)
			if (all->items[i].case_ids[j] == case_id) {
				*b = all->items[i];
				all->items[i] = all->items[--all->count];
				return 1;
			}
	return 0;
}

/* Frees a batch that is not in a list. */
static void
batch_clear(struct dun_out_batch *b)
{
	struct dun_out_batches one;

	one.items = xmalloc(sizeof(*one.items));
	one.items[0] = *b;
	one.count = 1;
	dun_out_batches_free(&one);
	memset(b, 0, sizeof(*b));
}

int
cmd_preview(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_sched_plan plan;
	struct dun_out_batches all;
	struct dun_out_batch b;
	struct dun_out_message msg;
	struct dun_case *c = NULL;
	const char *stage = NULL;
	dun_time_t when;
	long k;
	int ch, rc, ex = 0, have = 0;

	memset(&plan, 0, sizeof(plan));
	memset(&all, 0, sizeof(all));
	memset(&b, 0, sizeof(b));
	memset(&msg, 0, sizeof(msg));
	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			stage = optarg;
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
			return cli_usage("preview");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("preview");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = dun_store_case_by_invoice(ctx->store, &c,
	    argv[optind])) < 0)
		return cli_fail(rc);
	when = ctx->now;
	if ((rc = dun_sched_load(&plan, ctx->store, ctx->cfg, when,
	    c->debtor_id)) < 0)
		goto fail;
	if ((k = find_case(&plan, c->id)) < 0) {
		fprintf(stderr, "dunmail: preview: %s is closed; nothing would "
		    "be sent\n", c->invoice_number);
		ex = EX_DATAERR;
		goto cleanup;
	}
	if (stage) {
		forced_batch(&b, &ctx->cfg->policy, &plan, (size_t)k, stage);
		have = 1;
	} else {
		if (plan.items[k].action == DUN_SCHED_WAIT &&
		    plan.items[k].at) {
			/* The message it will get: plan again at that time. */
			when = plan.items[k].at;
			dun_sched_plan_free(&plan);
			if ((rc = dun_sched_load(&plan, ctx->store, ctx->cfg,
			    when, c->debtor_id)) < 0)
				goto fail;
			k = find_case(&plan, c->id);
		}
		if (k >= 0 && plan.items[k].action == DUN_SCHED_SEND) {
			dun_sched_batches(&all, plan.debtors[k]->id,
			    plan.items, plan.count);
			have = take_batch(&b, &all, c->id);
		}
		if (!have) {
			fprintf(stderr, "dunmail: preview: nothing to send for "
			    "%s (%s); --stage STAGE shows a stage anyway\n",
			    c->invoice_number, k >= 0 ? plan.items[k].why :
			    "closed");
			ex = EX_DATAERR;
			goto cleanup;
		}
	}
	if ((rc = dun_outbound_preview(ctx->store, ctx->cfg, when, &b,
	    &msg)) < 0)
		goto fail;
	fwrite(msg.data, 1, msg.len, stdout);
	{
		char local[96];
		dun_time_format_local(local, sizeof(local), when,
		    plan.debtors[k]->timezone);
		fprintf(stderr, "dunmail: preview of %s (%zu invoice%s) to %s "
		    "as at %s; nothing was sent\n", b.template, b.ncases,
		    b.ncases == 1 ? "" : "s", msg.rcpts[0], local);
	}
	goto cleanup;
fail:
	ex = cli_fail(rc);
cleanup:
	dun_out_message_free(&msg);
	if (have)
		batch_clear(&b);
	dun_out_batches_free(&all);
	dun_sched_plan_free(&plan);
	dun_case_free(c);
	return ex;
}
