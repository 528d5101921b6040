/*
 * The scheduler's input from the store: each debtor's open cases, the
 * answers waiting and the reminders already sent, planned with
 * dun_sched_plan(). See sched.h and docs/policy.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/core/common.h"
#include "dunmail/core/log.h"

/* How far back the gap and the weekly cap look. */
#define HISTORY_DAYS 400

void
dun_sched_plan_free(struct dun_sched_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->count; i++) {
		dun_invoice_free(plan->invoices[i]);
		/* Debtors are shared by consecutive cases: free each once. */
		if (i + 1 == plan->count ||
		    plan->debtors[i] != plan->debtors[i + 1])
			dun_debtor_free(plan->debtors[i]);
	}
	free(plan->invoices);
	free(plan->debtors);
	free(plan->items);
	free(plan->group);
	dun_case_list_free(&plan->cases);
	memset(plan, 0, sizeof(*plan));
}

/* Plans cases [from, to) of one debtor. */
static int
plan_debtor(struct dun_sched_plan *plan, struct dun_store *store,
    const struct dun_config *cfg, dun_time_t now, size_t from, size_t to)
{
	struct dun_debtor *d = plan->debtors[from];
	struct dun_sched_input in;
	struct dun_sched_case *sc;
	struct dun_store_answer *answers = NULL;
	dun_time_t *sent = NULL;
	size_t nanswers = 0, nsent = 0, i, j, n = to - from, reminders = 0;
	int rc, final = 0;

	if ((rc = dun_store_reminder_times(store, &sent, &nsent, d->id,
	    now - (dun_time_t)HISTORY_DAYS * 86400)) < 0)
		return rc;
	if ((rc = dun_store_answers_pending(store, &answers, &nanswers, d->id,
	    now - DUN_SCHED_ANSWER_TTL)) < 0) {
		free(sent);
		return rc;
	}
	sc = xcalloc(n, sizeof(*sc));
	for (i = 0; i < n; i++) {
		sc[i].c = plan->cases.items[from + i];
		sc[i].inv = plan->invoices[from + i];
		for (j = 0; j < nanswers; j++)
			if (answers[j].case_id == sc[i].c->id) {
				sc[i].answer = answers[j].template;
				sc[i].answer_at = answers[j].at;
			}
	}
	memset(&in, 0, sizeof(in));
	in.debtor = d;
	in.cases = sc;
	in.ncases = n;
	in.sent = sent;
	in.nsent = nsent;
	dun_sched_plan(plan->items + from, &cfg->policy, &in, now);
	for (i = from; i < to; i++)
		if (plan->items[i].action == DUN_SCHED_SEND &&
		    plan->items[i].kind == DUN_OUT_REMINDER) {
			reminders++;
			final |= plan->items[i].final_stage;
		}
	/* A final notice also lists the other overdue invoices
	 * (dun_sched_batches). */
	for (i = from; final && i < to; i++)
		reminders += plan->items[i].action == DUN_SCHED_WAIT &&
		    plan->items[i].kind == DUN_OUT_REMINDER &&
		    plan->items[i].overdue;
	for (i = from; i < to; i++) {
		if (plan->items[i].action != DUN_SCHED_SEND)
			continue;
		if (plan->items[i].kind == DUN_OUT_REMINDER)
			plan->group[i] = reminders;
		else
			for (j = from; j < to; j++)
				plan->group[i] += plan->items[j].action ==
				    DUN_SCHED_SEND &&
				    strcmp(plan->items[j].template,
				    plan->items[i].template) == 0;
	}
	free(sc);
	free(sent);
	free(answers);
	return 0;
}

int
dun_sched_load(struct dun_sched_plan *out, struct dun_store *store,
    const struct dun_config *cfg, dun_time_t now, int64_t debtor_id)
{
	struct dun_case_list all;
	size_t i, kept = 0, from;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dun_store_case_list(store, &all, -1, debtor_id)) < 0)
		return rc;
	/* Closed cases need nothing; keep the rest, in list order. */
	out->cases.items = xcalloc(all.count + 1, sizeof(*out->cases.items));
	for (i = 0; i < all.count; i++) {
		if (all.items[i]->state == DUN_CASE_CLOSED) {
			dun_case_free(all.items[i]);
			continue;
		}
		out->cases.items[kept++] = all.items[i];
	}
	free(all.items);
	out->cases.count = kept;
	out->count = kept;
	out->invoices = xcalloc(kept + 1, sizeof(*out->invoices));
	out->debtors = xcalloc(kept + 1, sizeof(*out->debtors));
	out->items = xcalloc(kept + 1, sizeof(*out->items));
	out->group = xcalloc(kept + 1, sizeof(*out->group));
	for (i = 0; i < kept; i++) {
		struct dun_case *c = out->cases.items[i];
		if ((rc = dun_store_invoice_get_id(store, &out->invoices[i],
		    c->invoice_id)) < 0)
			goto fail;
		if (i > 0 && out->cases.items[i - 1]->debtor_id == c->debtor_id)
			out->debtors[i] = out->debtors[i - 1];
		else if ((rc = dun_store_debtor_get(store, &out->debtors[i],
		    c->debtor_id)) < 0)
			goto fail;
	}
	for (from = 0; from < kept; from = i) {
		for (i = from + 1; i < kept &&
		    out->debtors[i] == out->debtors[from]; i++)
			;
		if ((rc = plan_debtor(out, store, cfg, now, from, i)) < 0)
			goto fail;
	}
	return 0;
fail:
	/* Entries not loaded are NULL, which the free walk accepts. */
	dun_sched_plan_free(out);
	return rc;
}
