/* Applying case transitions to the store: one transaction holds the case
 * row, the trail event, and the debtor, contact and hand-off changes that
 * go with it. The transition itself is the pure dun_case_transition(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/cases/cases.h"
#include "dunmail/config/config.h"
#include "dunmail/core/common.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/store/store.h"
#include "dunmail/store/trail.h"

int
dun_case_apply(struct dun_store *store, const struct dun_config *cfg,
    int64_t case_id, const struct dun_case_event *ev, dun_time_t now,
    int64_t message_id, const char *contact, const char *note,
    struct dun_case_outcome *out)
{
	struct dun_case *c = NULL;
	struct dun_invoice *inv = NULL;
	struct dun_debtor *d = NULL;
	struct dun_trail_ref ref = { 0 };
	struct dun_buf detail = DUN_BUF_INIT;
	struct dun_case_outcome o;
	int rc, changed, closed = 0;

	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	if ((rc = dun_store_case_get(store, &c, case_id)) < 0 ||
	    (rc = dun_store_invoice_get_id(store, &inv, c->invoice_id)) < 0 ||
	    (rc = dun_store_debtor_get(store, &d, c->debtor_id)) < 0)
		goto fail;
	changed = dun_case_transition(&o, c, ev, &cfg->policy, inv->due_date,
	    d->timezone, now);
	if (out)
		*out = o;
	/* A reply is evidence even when it changes nothing; time passing
	 * and a ledger saying what it said before are not. */
	if (!changed && ev->kind != DUN_EV_REPLY && ev->kind != DUN_EV_HUMAN &&
	    ev->kind != DUN_EV_REMINDER_SENT) {
		rc = dun_store_commit(store);
		goto done;
	}
	if (o.opt_out && (rc = dun_store_debtor_set_opt_out(store, d->id,
	    o.opt_out > 0)) < 0)
		goto fail;
	if (o.contact_invalid && contact && *contact &&
	    (rc = dun_store_contact_set_invalid(store, d->id, contact, 1,
	    o.event)) < 0 && rc != DUN_ENOTFOUND)
		goto fail;
	if (ev->kind == DUN_EV_HUMAN && ev->human == DUN_HUMAN_SET_CONTACT &&
	    contact && (rc = dun_store_contact_add(store, d->id, contact)) < 0)
		goto fail;
	if (o.handoff[0] && !ev->handed_off &&
	    (rc = dun_store_handoff_insert(store, NULL, c->id,
	    message_id, o.handoff, now)) < 0)
		goto fail;
	if (ev->kind == DUN_EV_HUMAN && (rc = dun_store_handoff_resolve(store,
	    c->id, now, dun_human_action_name(ev->human), cfg->operator_name,
	    note)) < 0)
		goto fail;
	/* Paid in the ledger: nobody needs to look at the case any more. */
	if (ev->kind == DUN_EV_LEDGER_SETTLED && o.state == DUN_CASE_CLOSED &&
	    (rc = closed = dun_store_handoff_close_case(store, c->id, now,
	    o.reason)) < 0)
		goto fail;

	dun_json_open(&detail);
	dun_json_str(&detail, "invoice", c->invoice_number);
	/* A case just opened was in no state before. */
	dun_json_str(&detail, "from", ev->kind == DUN_EV_LEDGER_OPEN &&
	    ev->opened ? "" : dun_case_state_name(c->state));
	dun_json_str(&detail, "to", dun_case_state_name(o.state));
	dun_json_str(&detail, "next", dun_next_action_name(o.next));
	dun_json_str(&detail, "next_detail", o.next_detail);
	dun_json_int(&detail, "next_at", o.next_at);
	dun_json_str(&detail, "reason", o.reason);
	if (o.handoff[0])
		dun_json_str(&detail, "handoff", o.handoff);
	if (o.send_template)
		dun_json_str(&detail, "send", o.send_template);
	if (closed > 0)
		dun_json_int(&detail, "handoffs_closed", closed);
	if (contact && *contact)
		dun_json_str(&detail, "contact", contact);
	if (ev->kind == DUN_EV_HUMAN) {
		dun_json_str(&detail, "action",
		    dun_human_action_name(ev->human));
		dun_json_str(&detail, "operator", cfg->operator_name);
		dun_json_str(&detail, "note", note ? note : "");
	} else if (note && *note)
		dun_json_str(&detail, "note", note);
	dun_json_close(&detail);
	ref.case_id = c->id;
	ref.debtor_id = d->id;
	ref.message_id = message_id;
	/* The row and its trail event, through the one setter. */
	if ((rc = dun_case__set_state(store, c, &o, &ref, detail.data,
	    now)) < 0)
		goto fail;
	rc = dun_store_commit(store);
	goto done;
fail:
	dun_store_rollback(store);
done:
	dun_buf_free(&detail);
	dun_case_free(c);
	dun_invoice_free(inv);
	dun_debtor_free(d);
	return rc;
}

/* Answers not sent within this long are dropped (docs/policy.md). */
#define ANSWER_MAX_AGE (7 * 86400)

/* 1 if the invoice copy a send_copy case asked for is no longer pending:
 * it was planned (and not cancelled) since, or it is too old to go. */
static int
copy_done(struct dun_store *store, const struct dun_case *c, dun_time_t now,
    int *done)
{
	struct dun_store_answer *answers = NULL;
	size_t n = 0, i;
	int rc;

	*done = 0;
	if (c->next_action != DUN_NEXT_SEND_COPY)
		return 0;
	if (now >= c->next_action_at + ANSWER_MAX_AGE) {
		*done = 1;
		return 0;
	}
	if ((rc = dun_store_answers_pending(store, &answers, &n, c->debtor_id,
	    c->next_action_at)) < 0)
		return rc;
	*done = 1;
	for (i = 0; i < n; i++)
		if (answers[i].case_id == c->id &&
		    strcmp(answers[i].template, "invoice_copy") == 0)
			*done = 0;
	free(answers);
	return 0;
}

/* The time event for case c at now (was the copy it asked for sent?)
 * and the transition it makes, computed without writing. */
static int
time_outcome(struct dun_store *store, const struct dun_config *cfg,
    const struct dun_case *c, dun_date_t due_date, const char *tz,
    dun_time_t now, struct dun_case_event *ev, struct dun_case_outcome *o)
{
	int rc;

	dun_case_event_init(ev, DUN_EV_TIME);
	if ((rc = copy_done(store, c, now, &ev->copy_done)) < 0)
		return rc;
	return dun_case_transition(o, c, ev, &cfg->policy, due_date, tz, now);
}

/* The states time moves on; a person holds disputes and hardship, and
 * closed is closed. */
static int
ticks(enum dun_case_state state)
{
	return state != DUN_CASE_CLOSED && state != DUN_CASE_DISPUTED &&
	    state != DUN_CASE_HARDSHIP;
}

/* Cases a tick changes per transaction. */
#define TICK_BATCH 256

int
dun_cases_tick(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now)
{
	return dun_cases_tick_with(store, cfg, now, NULL, NULL);
}

int
dun_cases_tick_with(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, dun_case_apply_fn apply, void *arg)
{
	static const enum dun_case_state states[] = { DUN_CASE_UPCOMING,
		DUN_CASE_PROMISED, DUN_CASE_PAID, DUN_CASE_ON_HOLD,
		DUN_CASE_OVERDUE, DUN_CASE_ESCALATED };
	struct dun_case_event ev;
	struct dun_case_outcome o;
	struct dun_case_list list;
	struct dun_invoice *inv = NULL;
	struct dun_debtor *d = NULL;   /* each list is ordered by debtor */
	size_t i, k, batched = 0;
	int rc = 0, changed = 0, open = 0;

	for (k = 0; k < DUN_ARRAY_SIZE(states) && rc >= 0; k++) {
		if ((rc = dun_store_case_list(store, &list, (int)states[k],
		    0)) < 0)
			break;
		for (i = 0; i < list.count && rc >= 0; i++) {
			const struct dun_case *c = list.items[i];

			if (d == NULL || d->id != c->debtor_id) {
				dun_debtor_free(d);
				d = NULL;
				if ((rc = dun_store_debtor_get(store, &d,
				    c->debtor_id)) < 0)
					break;
			}
			if ((rc = dun_store_invoice_get_id(store, &inv,
			    c->invoice_id)) < 0)
				break;
			/* Only a case that changes costs a write. */
			rc = time_outcome(store, cfg, c, inv->due_date,
			    d->timezone, now, &ev, &o);
			dun_invoice_free(inv);
			inv = NULL;
			if (rc <= 0)
				continue;
			/* The changes go TICK_BATCH to a commit: one sync
			 * each, not one per case, and the write lock is
			 * never held for long. */
			if (!open && (rc = dun_store_begin(store)) < 0)
				break;
			open = 1;
			/* The caller's apply may act on it too (the workflow
			 * forwards a case it hands to a person). */
			if (apply != NULL)
				rc = apply(arg, store, cfg, c->id, &ev, now, &o);
			else
				rc = dun_case_apply(store, cfg, c->id, &ev, now,
				    0, NULL, NULL, &o);
			if (rc == 0)
				changed++;
			if (rc == 0 && ++batched == TICK_BATCH) {
				open = batched = 0;
				rc = dun_store_commit(store);
			}
		}
		dun_case_list_free(&list);
	}
	if (open) {
		if (rc >= 0)
			rc = dun_store_commit(store);
		else
			dun_store_rollback(store);
	}
	dun_debtor_free(d);
	return rc < 0 ? rc : changed;
}

int
dun_case_as_of(struct dun_store *store, const struct dun_config *cfg,
    struct dun_case *c, dun_date_t due_date, const char *tz, dun_time_t now)
{
	struct dun_case_event ev;
	struct dun_case_outcome o;
	int rc;

	/*
	 * Computed, not applied: a read-only command must not write the
	 * trail, and `--now` may ask about a day that has not come (its
	 * events would be dated in the future). The tick send and run
	 * apply is this same transition, so what is shown is what the
	 * store will say then.
	 */
	if (!ticks(c->state))
		return 0;
	if ((rc = time_outcome(store, cfg, c, due_date, tz, now, &ev,
	    &o)) <= 0)
		return rc;
	c->state = o.state;
	c->next_action = o.next;
	free(c->next_detail);
	c->next_detail = xstrdup(o.next_detail);
	c->next_action_at = o.next_at;
	c->promised_on = o.promised_on;
	c->promised_minor = o.promised_minor;
	c->broken_promises = o.broken_promises;
	c->hold_until = o.hold_until;
	return 1;
}

int
dun_case_open(struct dun_store *store, const struct dun_config *cfg,
    int64_t *id_out, int64_t invoice_id, dun_time_t now, const char *note,
    struct dun_case_outcome *out)
{
	struct dun_case_event ev;
	int rc;

	dun_case_event_init(&ev, DUN_EV_LEDGER_OPEN);
	ev.opened = 1;
	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	/* The row first, as upcoming; the transition says where it is. */
	if ((rc = dun_store_case_create(store, id_out, invoice_id,
	    DUN_CASE_UPCOMING, now)) < 0 ||
	    (rc = dun_case_apply(store, cfg, *id_out, &ev, now, 0, NULL, note,
	    out)) < 0) {
		dun_store_rollback(store);
		return rc;
	}
	return dun_store_commit(store);
}

/* --- what the ledger tells the cases (ledger.h) ------------------------- */

static int
ledger_open(void *arg, struct dun_store *store, const struct dun_config *cfg,
    int64_t *id_out, int64_t invoice_id, dun_time_t now, const char *note)
{
	return dun_case_open(store, cfg, id_out, invoice_id, now, note, NULL);
}

static int
ledger_event(struct dun_store *store, const struct dun_config *cfg,
    const struct dun_case *c, enum dun_case_event_kind kind, dun_time_t now,
    const char *note)
{
	struct dun_case_event ev;
	struct dun_case_outcome o;
	int rc;

	dun_case_event_init(&ev, kind);
	if ((rc = dun_case_apply(store, cfg, c->id, &ev, now, 0, NULL, note,
	    &o)) < 0)
		return rc;
	return o.state != c->state;
}

static int
ledger_settled(void *arg, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_case *c, dun_time_t now,
    const char *why)
{
	return ledger_event(store, cfg, c, DUN_EV_LEDGER_SETTLED, now, why);
}

static int
ledger_reopened(void *arg, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_case *c, dun_time_t now)
{
	return ledger_event(store, cfg, c, DUN_EV_LEDGER_OPEN, now, NULL);
}

const struct dun_ledger_cases dun_cases_ledger = {
	.open = ledger_open,
	.settled = ledger_settled,
	.reopened = ledger_reopened,
	.arg = NULL,
};
