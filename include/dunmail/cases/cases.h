/*
 * The case state machine: the states and next actions, their names, and
 * the one setter that changes a case's state. The setter writes the trail
 * event in the same store transaction as the change, so no state change
 * exists without its evidence. docs/workflow.md has the table.
 *
 * Errors: DUN_ENOTFOUND (no such case), DUN_ESTORE.
 */
#ifndef DUNMAIL_CASES_H
#define DUNMAIL_CASES_H

#include "dunmail/core/timeutil.h"
#include "dunmail/ledger/ledger.h"
#include "dunmail/model/vocab.h"

struct dun_store;
struct dun_config;
struct dun_case;
struct dun_policy;

/* What happens to a case. */
enum dun_case_event_kind {
	DUN_EV_REPLY,          /* a classified reply (cls, extractions) */
	DUN_EV_LEDGER_SETTLED, /* the ledger shows nothing owed */
	DUN_EV_LEDGER_OPEN,    /* the ledger shows it owed (again, or new) */
	DUN_EV_REMINDER_SENT,  /* a policy stage went out */
	DUN_EV_TIME,           /* time passed: promises, holds, due dates */
	DUN_EV_HUMAN,          /* a person's decision (dunmail resolve) */
};

struct dun_case_event {
	enum dun_case_event_kind kind;
	/* DUN_EV_REPLY: the class is an enum dun_class (classify.h). */
	int cls;
	dun_date_t promised_on;  /* or DUN_DATE_NONE */
	int64_t promised_minor;  /* or -1 */
	dun_date_t return_date;  /* auto-reply's, or DUN_DATE_NONE */
	int bounce_hard;
	/* The reply passed the trust decision (reply/trust.h): only then
	 * may it change the case; otherwise a person is asked, and why. */
	int trusted;
	const char *untrusted_why; /* borrowed; or NULL */
	int handed_off;          /* the caller already queued it for a person */
	/* DUN_EV_LEDGER_OPEN: the case was just created (dun_case_open) */
	int opened;
	/* DUN_EV_REMINDER_SENT; deadline: the final notice's, on a
	 * business day (0 = none) */
	int stage_index;
	int final_stage;
	dun_date_t deadline;
	/* DUN_EV_TIME: the invoice copy a send_copy case asked for went
	 * (or was dropped as too late), so its schedule is next again. */
	int copy_done;
	/* DUN_EV_HUMAN */
	enum dun_human_action human;
	dun_date_t until;        /* plan / hold-until, or DUN_DATE_NONE */
};

/* An event of kind with nothing else said: no dates, no amount. */
void dun_case_event_init(struct dun_case_event *ev,
	enum dun_case_event_kind kind);

/* The result of a transition: the new state and next action, the trail
 * event that records it, and what the caller must also do. */
struct dun_case_outcome {
	enum dun_case_state state;
	enum dun_next_action next;
	/* remind: the policy stage the scheduler sends next; human: the
	 * reason; wait: what is waited for; send_copy: the template. */
	char next_detail[64];
	dun_time_t next_at;      /* 0 = as soon as the policy allows */
	char event[32];          /* trail event kind, e.g. "promise" */
	char reason[200];        /* for a person */
	const char *send_template; /* an automatic reply to send, or NULL */
	char handoff[32];        /* "" or why a person must look */
	int opt_out;             /* 1 set, -1 lift, 0 leave */
	int contact_invalid;     /* mark the replying contact invalid */
	dun_date_t promised_on;
	int64_t promised_minor;
	int broken_promises;
	dun_time_t hold_until;
	int stage_sent;
	dun_time_t last_reminder_at;
};

/*
 * The state machine, as a pure function of the case, the event, the
 * policy, the debtor's zone and now. It returns 1 if something changed,
 * 0 if the event changes nothing for this case.
 */
int dun_case_transition(struct dun_case_outcome *out,
	const struct dun_case *c, const struct dun_case_event *ev,
	const struct dun_policy *policy, dun_date_t due_date, const char *tz,
	dun_time_t now);

/*
 * Applies an event to a case in one transaction: the transition, the
 * case row and its trail event (through the setter below), the debtor's
 * opt-out, the contact mark and the hand-off row. message_id/contact/note
 * may be 0/NULL; a note goes into the trail event. A time or ledger event
 * that changes nothing writes nothing.
 */
int dun_case_apply(struct dun_store *store, const struct dun_config *cfg,
	int64_t case_id, const struct dun_case_event *ev, dun_time_t now,
	int64_t message_id, const char *contact, const char *note,
	struct dun_case_outcome *out);

/*
 * Opens the case of an invoice the ledger shows owed: creates the row and
 * applies DUN_EV_LEDGER_OPEN (opened) to it, so the transition decides its
 * state and next action and a trail event names the new case, all in one
 * transaction (joining the caller's). note may be NULL.
 */
int dun_case_open(struct dun_store *store, const struct dun_config *cfg,
	int64_t *id_out, int64_t invoice_id, dun_time_t now, const char *note,
	struct dun_case_outcome *out);

/* Applies DUN_EV_TIME to every open case: due dates passing, promises
 * expiring, holds ending, the next stage coming due. Returns the number
 * of cases changed. */
int dun_cases_tick(struct dun_store *store, const struct dun_config *cfg,
	dun_time_t now);

/*
 * How a tick applies the time event to one case that it changes, inside
 * the tick's transaction: what dun_case_apply() does, and whatever the
 * layer above must do with it in the same transaction (the workflow plans
 * the forward of a case it hands to a person). Returns 0 or a DUN_E*.
 */
typedef int (*dun_case_apply_fn)(void *arg, struct dun_store *store,
	const struct dun_config *cfg, int64_t case_id,
	const struct dun_case_event *ev, dun_time_t now,
	struct dun_case_outcome *out);

/* dun_cases_tick() with each change applied through apply (NULL: plain
 * dun_case_apply). */
int dun_cases_tick_with(struct dun_store *store, const struct dun_config *cfg,
	dun_time_t now, dun_case_apply_fn apply, void *arg);

/*
 * The case as it stands at now: the DUN_EV_TIME transition the next tick
 * would apply, written into c (state, next action, hold, promise) and not
 * into the store. For read-only commands (cases, show). Returns 1 if c
 * changed, 0 if not, or a negative DUN_E* code.
 */
int dun_case_as_of(struct dun_store *store, const struct dun_config *cfg,
	struct dun_case *c, dun_date_t due_date, const char *tz,
	dun_time_t now);

/*
 * The policy stage the scheduler sends next for a case whose last stage
 * sent is stage_sent, on local date today: the most advanced later stage
 * whose date has come (the others are caught up over), else the first
 * not yet sent; -1 when every stage went.
 */
int dun_case_next_stage(const struct dun_policy *policy, int stage_sent,
	dun_date_t due_date, dun_date_t today);

/* The most advanced stage that may follow stage_sent: stages up to the
 * due date may be caught up over, but each stage after it needs the one
 * before it sent (escalation is earned, one step at a time). */
int dun_case_stage_limit(const struct dun_policy *policy, int stage_sent);

/* The next_detail of an escalated case waiting for its final notice's
 * deadline; when it passes unpaid, human(final_notice_expired). */
#define DUN_FINAL_DEADLINE "final_deadline"

struct dun_trail_ref;
/*
 * The one state setter, for the case module only (dun_case_apply calls
 * it; nothing else writes a case's state): writes outcome o over case c
 * (state, next action, promise, hold, stage), appends the trail event
 * o->event with ref and detail_json, and logs old -> new, in one
 * transaction (joining the caller's).
 */
int dun_case__set_state(struct dun_store *store, const struct dun_case *c,
	const struct dun_case_outcome *o, const struct dun_trail_ref *ref,
	const char *detail_json, dun_time_t now);

/* What a ledger import reports, applied to the cases: an owed invoice
 * opens its case (dun_case_open), a settled one closes it, a reopened one
 * opens it again (DUN_EV_LEDGER_SETTLED / DUN_EV_LEDGER_OPEN through
 * dun_case_apply). Pass it to dun_ledger_import_invoices/_payments. */
extern const struct dun_ledger_cases dun_cases_ledger;

#endif
