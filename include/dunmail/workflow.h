/*
 * The agent's workflow: what a classified reply does to its cases (the
 * inbound reply hook), and the automatic messages that follow from it
 * (acknowledgements, confirmations, invoice copies, and the forward of a
 * reply to the people who must look at it). Everything it sends goes
 * through the outbox, so it is in the trail like any reminder.
 *
 * Errors: DUN_ESTORE, and the outbox's and composer's errors.
 */
#ifndef DUNMAIL_WORKFLOW_H
#define DUNMAIL_WORKFLOW_H

#include "dunmail/config.h"
#include "dunmail/inbound.h"
#include "dunmail/store.h"
#include "dunmail/timeutil.h"

/* The inbound reply hook (struct dun_inbound_opts.on_reply): applies the
 * reply to each of its cases through the state machine. */
int dun_workflow_on_reply(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_inbound_reply *reply, void *arg);

#endif
