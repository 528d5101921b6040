/*
 * The outbox: the crash-safe state machine every outbound message goes
 * through, planned -> sending -> sent | failed | unknown (| cancelled),
 * with each step committed to the store, with its trail events, before
 * the step after it can happen. See docs/sending.md.
 *
 *   planned    committed with the message bytes (a blob), recipients,
 *              cases and stages before any byte goes out; also a
 *              deferred retry (attempts > 0, next_attempt_at)
 *   sending    committed right before the end of data is written: the
 *              only state in which the server may hold the message
 *              without our knowing
 *   sent       the server said 2xx to the end of data
 *   failed     5xx, or retries used up: handed to a person
 *   unknown    the end of data went out and no answer came back, or a
 *              crash left the row in 'sending' and the Sent folder does
 *              not have it: handed to a person, never resent by itself
 *   cancelled  never sent (a stop condition came first, or it went stale)
 *
 * Errors: DUN_ESTORE, DUN_EIO, DUN_ETAMPER (a stored message changed),
 * and the transport's DUN_ENET / DUN_ETLS / DUN_EAUTH when the run must
 * stop.
 */
#ifndef DUNMAIL_OUTBOX_H
#define DUNMAIL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/agent/outbound.h"
#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/mail/smtp.h"
#include "dunmail/store/store.h"
#include "dunmail/store/store_outbox.h"

/* What the outbox sends through: function pointers, so the tests drive
 * the state machine without a network. */
struct dun_outbox_transport {
	int (*send)(void *arg, struct dun_smtp_result *res, const char *from,
	    char *const *rcpts, size_t nrcpts, const char *data, size_t len,
	    dun_smtp_commit_fn commit, void *commit_arg);
	/* Several messages on several connections with one commit
	 * (dun_smtp_send_group); NULL if the transport sends one at a
	 * time. */
	int (*send_group)(void *arg, struct dun_smtp_job *jobs, size_t n,
	    dun_smtp_group_commit_fn commit, void *commit_arg);
	/* The Sent folder; both NULL when there is none. */
	int (*sent_append)(void *arg, const char *data, size_t len);
	int (*sent_find)(void *arg, const char *message_id, int *found);
	void *arg;
};

struct dun_outbox_stats {
	int planned, sent, deferred, failed, unknown, cancelled, skipped;
	int reconciled, copies, copy_errors;
};

struct dun_outbox {
	struct dun_store *store;                 /* borrowed */
	const struct dun_config *cfg;            /* borrowed */
	const struct dun_outbox_transport *tx;   /* borrowed */
	struct dun_outbox_stats stats;
	/* Called in the transaction that hands a send problem to a person
	 * (kind "send_failed", "send_unknown", "recipient_refused"), to
	 * tell them as well as queue it. NULL: the queue only. */
	int (*on_handoff)(struct dun_store *store,
	    const struct dun_config *cfg, dun_time_t now,
	    const struct dun_outbox_row *row, const char *kind,
	    const char *why);
};

void dun_outbox_init(struct dun_outbox *ob, struct dun_store *store,
	const struct dun_config *cfg, const struct dun_outbox_transport *tx);

/* Commits a planned row for msg (the bytes as a blob, recipients, cases
 * with their stages, a "planned" trail event per case). */
int dun_outbox_plan(struct dun_outbox *ob, int64_t *id_out,
	const struct dun_out_batch *batch, const struct dun_out_message *msg,
	dun_time_t now);

/*
 * Sends planned row id and records the outcome: sent; planned again with
 * a backoff (4xx, connection trouble); failed or unknown with a hand-off.
 * Returns 0 when the row is settled for this run (state_out says how),
 * or the transport's error when the run should stop (nothing can go to
 * this server now: TLS, login, connection refused); the row then waits
 * for the next run.
 */
int dun_outbox_send(struct dun_outbox *ob, int64_t id, dun_time_t now,
	enum dun_outbox_state *state_out);
/*
 * The same, for a row just planned from msg in this process: its bytes
 * are taken from msg instead of read back from the blob store (they are
 * the bytes whose SHA-256 the row records; the call checks that).
 */
int dun_outbox_send_planned(struct dun_outbox *ob, int64_t id,
	const struct dun_out_message *msg, dun_time_t now,
	enum dun_outbox_state *state_out);
/*
 * Rows just planned from msgs[0..n-1] in this process, sent at once on
 * the transport's connections (at most DUN_SMTP_GROUP_MAX), with one
 * durable 'sending' commit for all of them right before their ends of
 * data. Each row ends as dun_outbox_send would leave it (states_out[i]).
 * Returns 0, or the first error that should stop the run.
 */
int dun_outbox_send_group(struct dun_outbox *ob, const int64_t *ids,
	const struct dun_out_message *msgs, size_t n, dun_time_t now,
	enum dun_outbox_state *states_out);

/* After a crash: each row left in 'sending' becomes sent (its
 * Message-ID is in the Sent folder) or unknown (handed to a person). */
int dun_outbox_reconcile(struct dun_outbox *ob, dun_time_t now);

/* Appends to the Sent folder the sent messages whose copy is pending. */
int dun_outbox_copy_pending(struct dun_outbox *ob, dun_time_t now);

/* Moves a planned row to cancelled with the reason (trail per case). */
int dun_outbox_cancel(struct dun_outbox *ob, int64_t id, dun_time_t now,
	const char *why);

/* Seconds to wait after `attempts` failed attempts (retry_base_s doubled
 * each time), or -1 once the policy's retry_max is used up. */
int64_t dun_outbox_backoff(const struct dun_policy *policy, int attempts);

/* True if now is a sending time for a debtor in zone tz and holiday
 * region: a policy weekday, inside the window, not a holiday. */
int dun_outbox_in_window(const struct dun_policy *policy, const char *tz,
	const char *region, dun_time_t now);

/* The kind's name as stored in message.kind, and back (-1 if unknown). */
const char *dun_out_kind_name(enum dun_out_kind kind);
int dun_out_kind_from_name(const char *name);

/* The real transport: SMTP per cfg->smtp, the Sent folder per
 * cfg->imap_sent over IMAP ("" = none). Connections open on first use. */
int dun_outbox_net_open(struct dun_outbox_transport *tx,
	const struct dun_config *cfg);
void dun_outbox_net_close(struct dun_outbox_transport *tx);

/*
 * Test hook: with DUNMAIL_TEST_CRASH_AT=POINT[:N] in the environment the
 * process _exit()s the N-th time (default 1st) it reaches POINT: planned,
 * sending, replied, sent, copied.
 */
void dun_outbox__crash_point(const char *point);

#endif
