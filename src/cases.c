/* The case state machine's names and its one state setter; see cases.h. */
#include <string.h>

#include "dunmail/cases.h"
#include "dunmail/common.h"
#include "dunmail/json.h"
#include "dunmail/log.h"
#include "dunmail/store.h"
#include "dunmail/trail.h"

static const char *const state_names[DUN_CASE_NSTATES] = {
	[DUN_CASE_UPCOMING] = "upcoming",
	[DUN_CASE_OVERDUE] = "overdue",
	[DUN_CASE_PROMISED] = "promised",
	[DUN_CASE_DISPUTED] = "disputed",
	[DUN_CASE_HARDSHIP] = "hardship",
	[DUN_CASE_ON_HOLD] = "on_hold",
	[DUN_CASE_ESCALATED] = "escalated",
	[DUN_CASE_PAID] = "paid",
	[DUN_CASE_CLOSED] = "closed",
};

static const char *const action_names[DUN_NEXT_NACTIONS] = {
	[DUN_NEXT_NONE] = "none",
	[DUN_NEXT_REMIND] = "remind",
	[DUN_NEXT_FOLLOW_UP_PROMISE] = "follow_up_promise",
	[DUN_NEXT_SEND_COPY] = "send_copy",
	[DUN_NEXT_HUMAN] = "human",
	[DUN_NEXT_WAIT] = "wait",
};

const char *
dun_case_state_name(enum dun_case_state state)
{
	if ((unsigned)state >= DUN_CASE_NSTATES)
		return "invalid";
	return state_names[state];
}

int
dun_case_state_from_name(const char *name)
{
	int i;

	for (i = 0; i < DUN_CASE_NSTATES; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

const char *
dun_next_action_name(enum dun_next_action action)
{
	if ((unsigned)action >= DUN_NEXT_NACTIONS)
		return "invalid";
	return action_names[action];
}

int
dun_next_action_from_name(const char *name)
{
	int i;

	for (i = 0; i < DUN_NEXT_NACTIONS; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}

int
dun_case_state_open(enum dun_case_state state)
{
	return state != DUN_CASE_PAID && state != DUN_CASE_CLOSED;
}

int
dun_case_set_state(struct dun_store *store, int64_t case_id,
    enum dun_case_state new_state, dun_time_t now, const char *reason)
{
	struct dun_case *c = NULL;
	struct dun_trail_ref ref = { 0 };
	struct dun_buf detail = DUN_BUF_INIT;
	int rc;

	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	if ((rc = dun_store_case_get(store, &c, case_id)) < 0)
		goto fail;
	if (c->state == new_state) {
		dun_case_free(c);
		return dun_store_commit(store);
	}
	if ((rc = dun_store__case_set_state(store, case_id, new_state,
	    now)) < 0)
		goto fail;
	dun_json_open(&detail);
	dun_json_str(&detail, "invoice", c->invoice_number);
	dun_json_str(&detail, "from", dun_case_state_name(c->state));
	dun_json_str(&detail, "to", dun_case_state_name(new_state));
	dun_json_str(&detail, "reason", reason ? reason : "");
	dun_json_close(&detail);
	ref.case_id = case_id;
	ref.debtor_id = c->debtor_id;
	if ((rc = dun_trail_append(store, now, "state", &ref,
	    detail.data)) < 0)
		goto fail;
	log_trace(TRACE_CASE, "case %s: %s -> %s (%s)", c->invoice_number,
	    dun_case_state_name(c->state), dun_case_state_name(new_state),
	    reason ? reason : "");
	dun_buf_free(&detail);
	dun_case_free(c);
	return dun_store_commit(store);
fail:
	dun_buf_free(&detail);
	dun_case_free(c);
	dun_store_rollback(store);
	return rc;
}
