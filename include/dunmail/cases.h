/*
 * The case state machine: the states and next actions, their names, and
 * the one setter that changes a case's state. The setter writes the trail
 * event in the same store transaction as the change, so no state change
 * exists without its evidence.
 */
#ifndef DUNMAIL_CASES_H
#define DUNMAIL_CASES_H

#include "dunmail/timeutil.h"

enum dun_case_state {
	DUN_CASE_UPCOMING,
	DUN_CASE_OVERDUE,
	DUN_CASE_PROMISED,
	DUN_CASE_DISPUTED,
	DUN_CASE_HARDSHIP,
	DUN_CASE_ON_HOLD,
	DUN_CASE_ESCALATED, /* the final notice has been sent */
	DUN_CASE_PAID,
	DUN_CASE_CLOSED,
	DUN_CASE_NSTATES
};

enum dun_next_action {
	DUN_NEXT_NONE,
	DUN_NEXT_REMIND,           /* remind(stage) */
	DUN_NEXT_FOLLOW_UP_PROMISE,
	DUN_NEXT_SEND_COPY,
	DUN_NEXT_HUMAN,            /* human(reason) */
	DUN_NEXT_WAIT,             /* wait(until) */
	DUN_NEXT_NACTIONS
};

const char *dun_case_state_name(enum dun_case_state state);
/* -1 if the name is unknown. */
int dun_case_state_from_name(const char *name);
const char *dun_next_action_name(enum dun_next_action action);
int dun_next_action_from_name(const char *name);
/* True for states in which the case is still open (money owed). */
int dun_case_state_open(enum dun_case_state state);

struct dun_store;

/*
 * Moves case_id to new_state and appends a "state" event with the reason,
 * inside one transaction (joining the caller's if one is open). A change to
 * the same state writes nothing.
 */
int dun_case_set_state(struct dun_store *store, int64_t case_id,
	enum dun_case_state new_state, dun_time_t now, const char *reason);

#endif
