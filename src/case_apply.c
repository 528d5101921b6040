/* Applying case transitions to the store: one transaction holds the case
 * row, the trail event, and the debtor, contact and hand-off changes that
 * go with it. The transition itself is the pure dun_case_transition(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/cases.h"
#include "dunmail/common.h"
#include "dunmail/config.h"
#include "dunmail/json.h"
#include "dunmail/log.h"
#include "dunmail/store.h"
#include "dunmail/trail.h"

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
	int rc, changed;

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
	if (!changed && ev->kind == DUN_EV_TIME) {
		rc = dun_store_commit(store);
		goto done;
	}
	if (o.state != c->state && (rc = dun_store__case_set_state(store,
	    c->id, o.state, now)) < 0)
		goto fail;
	if (changed) {
		struct dun_case saved = *c;
		saved.next_action = o.next;
		saved.next_detail = o.next_detail;
		saved.next_action_at = o.next_at;
		saved.promised_on = o.promised_on;
		saved.promised_minor = o.promised_minor;
		saved.broken_promises = o.broken_promises;
		saved.hold_until = o.hold_until;
		saved.stage_sent = o.stage_sent;
		saved.last_reminder_at = o.last_reminder_at;
		saved.closed_at = o.state == DUN_CASE_CLOSED ? now : 0;
		saved.updated_at = now;
		if ((rc = dun_store_case_save(store, &saved)) < 0)
			goto fail;
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

	dun_json_open(&detail);
	dun_json_str(&detail, "invoice", c->invoice_number);
	dun_json_str(&detail, "from", dun_case_state_name(c->state));
	dun_json_str(&detail, "to", dun_case_state_name(o.state));
	dun_json_str(&detail, "next", dun_next_action_name(o.next));
	dun_json_str(&detail, "next_detail", o.next_detail);
	dun_json_int(&detail, "next_at", o.next_at);
	dun_json_str(&detail, "reason", o.reason);
	if (o.handoff[0])
		dun_json_str(&detail, "handoff", o.handoff);
	if (o.send_template)
		dun_json_str(&detail, "send", o.send_template);
	if (contact && *contact)
		dun_json_str(&detail, "contact", contact);
	if (ev->kind == DUN_EV_HUMAN) {
		dun_json_str(&detail, "action",
		    dun_human_action_name(ev->human));
		dun_json_str(&detail, "operator", cfg->operator_name);
		dun_json_str(&detail, "note", note ? note : "");
	}
	dun_json_close(&detail);
	ref.case_id = c->id;
	ref.debtor_id = d->id;
	ref.message_id = message_id;
	if ((rc = dun_trail_append(store, now, o.event, &ref,
	    detail.data)) < 0)
		goto fail;
	log_trace(TRACE_CASE, "case %s: %s -> %s, next %s (%s)",
	    c->invoice_number, dun_case_state_name(c->state),
	    dun_case_state_name(o.state), dun_next_action_name(o.next),
	    o.reason);
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

int
dun_cases_tick(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now)
{
	static const enum dun_case_state waiting[] = { DUN_CASE_UPCOMING,
		DUN_CASE_PROMISED, DUN_CASE_PAID, DUN_CASE_ON_HOLD,
		/* only for a copy asked for (below) */
		DUN_CASE_OVERDUE, DUN_CASE_ESCALATED };
	struct dun_case_event ev;
	struct dun_case_outcome o;
	struct dun_case_list list;
	size_t i, k;
	int rc, changed = 0;

	memset(&ev, 0, sizeof(ev));
	ev.kind = DUN_EV_TIME;
	for (k = 0; k < DUN_ARRAY_SIZE(waiting); k++) {
		if ((rc = dun_store_case_list(store, &list, (int)waiting[k],
		    0)) < 0)
			return rc;
		for (i = 0; i < list.count; i++) {
			if ((waiting[k] == DUN_CASE_OVERDUE ||
			    waiting[k] == DUN_CASE_ESCALATED) &&
			    list.items[i]->next_action != DUN_NEXT_SEND_COPY)
				continue;
			if ((rc = copy_done(store, list.items[i], now,
			    &ev.copy_done)) < 0) {
				dun_case_list_free(&list);
				return rc;
			}
			rc = dun_case_apply(store, cfg, list.items[i]->id, &ev,
			    now, 0, NULL, NULL, &o);
			if (rc < 0) {
				dun_case_list_free(&list);
				return rc;
			}
			if (o.state != list.items[i]->state ||
			    o.next != list.items[i]->next_action)
				changed++;
		}
		dun_case_list_free(&list);
	}
	return changed;
}
