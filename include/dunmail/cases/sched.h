/*
 * The scheduler: which message each open case needs at `now`, when, and
 * why. dun_sched_plan() is a pure function of one debtor's cases, the
 * debtor's sending history, the policy and now: it reads no clock and no
 * store, so it is tested as a table (tests/unit/test_sched.c).
 *
 * Reminders follow the policy stages (offsets from the due date). A
 * reminder goes only on a policy weekday, inside the window and not on a
 * holiday, all in the debtor's own zone; once a stage is after the due
 * date, min_gap_days must have passed since the debtor's last reminder;
 * at most max_per_week reminders go to a debtor in any 7 days. When
 * several stages are due at once (the agent was down), the most advanced
 * one is sent once and the others are recorded as skipped.
 *
 * Answers (promise_confirm, dispute_ack, hardship_offer, invoice_copy,
 * promise_broken) are queued by the case state machine: a transition
 * whose outcome names send_template writes it as "send" in its trail
 * event, and a case whose next_action is send_copy wants invoice_copy
 * from next_action_at. outbound.c finds those not yet answered by an
 * outbound message of that template and passes them in as `answer`; they
 * keep the window and holidays but not the gap or the weekly cap. A case
 * with an answer waiting sends no reminder in the same run.
 *
 * Errors: none; the planner cannot fail.
 */
#ifndef DUNMAIL_SCHED_H
#define DUNMAIL_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"

/* What a message is for. */
enum dun_out_kind {
	DUN_OUT_REMINDER,        /* a policy stage */
	DUN_OUT_PROMISE_CONFIRM,
	DUN_OUT_PROMISE_BROKEN,
	DUN_OUT_DISPUTE_ACK,
	DUN_OUT_HARDSHIP_OFFER,
	DUN_OUT_INVOICE_COPY,
	DUN_OUT_FORWARD,         /* a reply forwarded to the people (workflow) */
};

/* One message due now: one debtor, one template, one or more cases. */
struct dun_out_batch {
	int64_t debtor_id;
	enum dun_out_kind kind;
	char *template;        /* owned; e.g. "overdue_1" */
	int64_t *case_ids;     /* owned */
	int *stage_index;      /* owned; per case, the stage sent, or -1 */
	char **skipped;        /* owned; per case, stages caught up over, as
	                        * "before_due,due_today" ("" if none) */
	size_t ncases;
};

struct dun_out_batches {
	struct dun_out_batch *items; /* owned */
	size_t count;
};

void dun_out_batches_free(struct dun_out_batches *batches);

/* An answer older than this is dropped, not sent late. */
#define DUN_SCHED_ANSWER_TTL (7 * 86400)

/* One case as the planner sees it. */
struct dun_sched_case {
	const struct dun_case *c;        /* borrowed */
	const struct dun_invoice *inv;   /* borrowed */
	const char *answer;  /* borrowed; answer template waiting, or NULL */
	dun_time_t answer_at;            /* when it was queued */
};

/* One debtor's open cases and the reminders already sent to it. */
struct dun_sched_input {
	const struct dun_debtor *debtor; /* borrowed */
	struct dun_sched_case *cases;    /* borrowed */
	size_t ncases;
	const dun_time_t *sent;  /* borrowed; reminder send times, any order */
	size_t nsent;
};

enum dun_sched_action {
	DUN_SCHED_SEND,     /* due now */
	DUN_SCHED_WAIT,     /* due at `at` */
	DUN_SCHED_STOPPED,  /* a stop condition holds: nothing is sent */
	DUN_SCHED_DONE,     /* every stage has gone: nothing left to send */
};

/* The plan for one case. */
struct dun_sched_item {
	int64_t case_id;
	enum dun_sched_action action;
	enum dun_out_kind kind;
	char template[64];   /* the stage or answer template; "" if none */
	int stage_index;     /* the reminder stage, -1 for answers and stops */
	dun_time_t at;       /* now for SEND; the earliest instant for WAIT */
	char why[160];       /* for a person: "gap: last reminder 3 days ago" */
	char skipped[160];   /* stages caught up over: "before_due,due_today" */
	int new_state;       /* a time transition the caller applies, or -1 */
	int overdue;         /* a reminder case past its due date */
	int final_stage;     /* SEND of the last stage (the final notice) */
};

/*
 * Plans every case of one debtor. items_out receives in->ncases items in
 * the same order. Time transitions (a due date passing, a promise
 * broken, a hold ending) are predicted with dun_case_transition() and
 * reported in new_state; the plan is made as if they were applied.
 */
void dun_sched_plan(struct dun_sched_item *items_out,
	const struct dun_policy *policy, const struct dun_sched_input *in,
	dun_time_t now);

/*
 * Groups the SEND items of one debtor into batches appended to out: all
 * due reminders in one batch (the most advanced stage's template, each
 * case with its own stage and skipped list; a final notice also lists,
 * at stage -1, every other overdue case still waiting for a reminder),
 * and one batch per answer template.
 */
void dun_sched_batches(struct dun_out_batches *out, int64_t debtor_id,
	const struct dun_sched_item *items, size_t nitems);

/* The first instant at or after t when mail may go to a debtor in zone
 * tz and holiday region: a policy weekday, inside the window, not a
 * holiday. 0 if none within a year. */
dun_time_t dun_sched_next_open(const struct dun_policy *policy,
	const char *tz, const char *region, dun_time_t t);

/* date, or the first day after it that is a policy weekday and not a
 * holiday for region: where a deadline lands. */
dun_date_t dun_sched_business_day(const struct dun_policy *policy,
	const char *region, dun_date_t date);

/* True if date is a holiday for region ("" holidays apply to all). */
int dun_sched_is_holiday(const struct dun_policy *policy, const char *region,
	dun_date_t date);

const char *dun_sched_action_name(enum dun_sched_action action);

/* True if answer template tmpl still makes sense for a case in state st
 * with open_minor owed (a dispute_ack only while disputed, ...). */
int dun_sched_answer_allowed(const char *tmpl, enum dun_case_state st,
	int64_t open_minor);
/* The message kind of an answer template. */
enum dun_out_kind dun_sched_answer_kind(const char *tmpl);

/*
 * The plan of every open case (debtor_id 0) or one debtor's, loaded from
 * the store (src/agent/outbound.c): what `dunmail plan` prints. Parallel
 * arrays, in case-list order (by debtor, then due date).
 */
struct dun_sched_plan {
	struct dun_case_list cases;     /* owned */
	struct dun_invoice **invoices;  /* owned */
	struct dun_debtor **debtors;    /* owned; the case's debtor, shared
	                                 * by that debtor's cases */
	struct dun_sched_item *items;   /* owned */
	size_t *group;                  /* owned; cases of the same message
	                                 * when sent now (0 unless SEND) */
	size_t count;
};

int dun_sched_load(struct dun_sched_plan *out, struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now, int64_t debtor_id);
void dun_sched_plan_free(struct dun_sched_plan *plan);

#endif
