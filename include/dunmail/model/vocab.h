/*
 * The vocabulary every stage shares: a case's states and next actions, the
 * decisions a person records, and the classes of a reply, each with the
 * one table of names that the store, the trail, the CLI and the docs use.
 * It sits below the store, so that the store names what it keeps without
 * knowing the state machine (cases/) or the classifier (reply/).
 *
 * Errors: none.
 */
#ifndef DUNMAIL_MODEL_VOCAB_H
#define DUNMAIL_MODEL_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"

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
/* True for every state but closed: money may still be owed. */
int dun_case_state_open(enum dun_case_state state);

enum dun_human_action {
	DUN_HUMAN_RESUME,       /* back to reminders as the policy says */
	DUN_HUMAN_CLOSE,        /* no more action; the case is closed */
	DUN_HUMAN_PLAN,         /* a payment plan: no reminders until a date */
	DUN_HUMAN_HOLD_UNTIL,   /* no reminders until a date, then resume */
	DUN_HUMAN_SET_CONTACT,  /* a new contact address; resume */
	DUN_HUMAN_LIFT_OPT_OUT, /* the debtor may be written to again */
	DUN_HUMAN_NACTIONS
};

const char *dun_human_action_name(enum dun_human_action action);
int dun_human_action_from_name(const char *name);

enum dun_class {
	DUN_CLASS_PROMISE_TO_PAY,
	DUN_CLASS_DISPUTE,
	DUN_CLASS_HARDSHIP,
	DUN_CLASS_PAID,
	DUN_CLASS_OPT_OUT,
	DUN_CLASS_WRONG_CONTACT,
	DUN_CLASS_INVOICE_REQUEST,
	DUN_CLASS_AUTO_REPLY,
	DUN_CLASS_BOUNCE,
	DUN_CLASS_UNKNOWN,
	DUN_NCLASSES
};

const char *dun_class_name(enum dun_class cls);
int dun_class_from_name(const char *name); /* -1 if unknown */

/* What the classifier made of a reply; the store keeps it as it is. */
struct dun_classification {
	enum dun_class cls;
	double confidence;      /* 0..1 */
	char *rule;             /* owned; id of the deciding rule, "" */
	char *evidence;         /* owned; the matched words */
	dun_date_t promised_on; /* DUN_DATE_NONE if none */
	int date_ambiguous;     /* a date was named but could not be read */
	int64_t amount_minor;   /* -1 if none */
	char currency[4];       /* "" if none */
	char **invoices;        /* owned; invoice numbers named in the text */
	size_t ninvoices;
	char language[3];       /* "en" or "zh", from the text itself */
	char *candidates;       /* owned; "dispute:0.70 promise_to_pay:0.65"
	                         * when unknown because of a close call */
};

/* Frees what c owns and sets it back to "nothing found". */
void dun_classification_clear(struct dun_classification *c);

#endif
