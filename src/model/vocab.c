/* The names of the shared vocabulary; see vocab.h. */
#include <stdlib.h>
#include <string.h>

#include "dunmail/model/vocab.h"

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
	return state != DUN_CASE_CLOSED;
}

static const char *const human_names[DUN_HUMAN_NACTIONS] = {
	[DUN_HUMAN_RESUME] = "resume",
	[DUN_HUMAN_CLOSE] = "close",
	[DUN_HUMAN_PLAN] = "plan",
	[DUN_HUMAN_HOLD_UNTIL] = "hold-until",
	[DUN_HUMAN_SET_CONTACT] = "set-contact",
	[DUN_HUMAN_LIFT_OPT_OUT] = "lift-opt-out",
};

const char *
dun_human_action_name(enum dun_human_action action)
{
	if ((unsigned)action >= DUN_HUMAN_NACTIONS)
		return "invalid";
	return human_names[action];
}

int
dun_human_action_from_name(const char *name)
{
	int i;

	for (i = 0; i < DUN_HUMAN_NACTIONS; i++)
		if (strcmp(human_names[i], name) == 0)
			return i;
	return -1;
}

static const char *const class_names[DUN_NCLASSES] = {
	"promise_to_pay", "dispute", "hardship", "paid", "opt_out",
	"wrong_contact", "invoice_request", "auto_reply", "bounce", "unknown",
};

const char *
dun_class_name(enum dun_class cls)
{
	if ((int)cls < 0 || cls >= DUN_NCLASSES)
		return "unknown";
	return class_names[cls];
}

int
dun_class_from_name(const char *name)
{
	int k;

	for (k = 0; k < DUN_NCLASSES; k++)
		if (strcmp(name, class_names[k]) == 0)
			return k;
	return -1;
}

void
dun_classification_clear(struct dun_classification *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->rule);
	free(c->evidence);
	for (i = 0; i < c->ninvoices; i++)
		free(c->invoices[i]);
	free(c->invoices);
	free(c->candidates);
	memset(c, 0, sizeof(*c));
	c->promised_on = DUN_DATE_NONE;
	c->amount_minor = -1;
}
