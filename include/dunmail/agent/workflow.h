/*
 * The agent's workflow: what a classified reply does to its cases (the
 * inbound reply hook), and the automatic messages that follow from it
 * (acknowledgements, confirmations, invoice copies, and the forward of a
 * reply to the people who must look at it). Everything it sends goes
 * through the outbox, so it is in the trail like any reminder.
 *
 * Errors: DUN_ESTORE, DUN_EINVAL, DUN_ENOTFOUND, and the outbox's and
 * composer's errors.
 */
#ifndef DUNMAIL_WORKFLOW_H
#define DUNMAIL_WORKFLOW_H

#include "dunmail/agent/inbound.h"
#include "dunmail/cases/cases.h"
#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"
#include "dunmail/store/store_outbox.h"

/* The inbound reply hook (struct dun_inbound_opts.on_reply): applies the
 * reply to each of its cases through the state machine. A reply handed to
 * a person (with or without a case) is forwarded to [handoff] address
 * with a summary: debtor, invoices, open amounts, class, matched words,
 * and the `dunmail resolve` command that settles it. */
int dun_workflow_on_reply(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_inbound_reply *reply, void *arg);

/*
 * Time passing (dun_cases_tick_with): due dates, promises, holds and
 * stages, and in the same transaction as each change the forward of a
 * case it hands to a person (promises broken too often): the summary,
 * with the last promise attached as it arrived. Returns the number of
 * cases changed.
 */
int dun_workflow_tick(struct dun_store *store, const struct dun_config *cfg,
	dun_time_t now);

/*
 * Forwards, for a person, a message the outbox could not settle: kind is
 * "send_failed", "send_unknown" or "recipient_refused", why the words.
 * The summary names the debtor, invoices, recipients and the server's
 * reply; the message is attached as it was to go. Called inside the
 * outbox's transaction that queues the hand-off (struct dun_outbox's
 * on_handoff). A forward itself is never forwarded.
 */
int dun_workflow_forward_send_problem(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_outbox_row *row, const char *kind, const char *why);
/*
 * A person's decision on a hand-off that concerns no case (a reply that
 * matched none): action "dismiss" (nothing to do), or "assign" with
 * invoice (the reply joins that case's trail; the case is unchanged).
 * Resolves the hand-off with the operator and note and writes a
 * `decision` event. *case_out (may be NULL) is the case assigned to.
 * DUN_EINVAL for another action, a hand-off with a case or one resolved
 * already; DUN_ENOTFOUND for an unknown hand-off or invoice.
 */
int dun_workflow_handoff_decide(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now, int64_t handoff_id,
	const char *action, const char *invoice, const char *note,
	int64_t *case_out);

/*
 * The next instant after now at which something falls due: a reminder or
 * an answer whose window or day comes, a promise's follow-up or a hold
 * ending, an outbox retry. *at_out = 0 if nothing is waiting.
 */
int dun_workflow_next_due(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now, dun_time_t *at_out);

#endif
