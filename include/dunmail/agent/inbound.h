/*
 * The inbound pipeline behind `dunmail poll`: fetch new mail over IMAP,
 * store the raw bytes (by SHA-256) and the message row, then parse, strip
 * quotes, detect bounces and auto-replies, classify, match to cases and
 * record, then file the message into a folder per outcome on the server.
 *
 * Order is what makes it crash-safe: the raw message and its row are
 * committed before anything changes on the server; processing is one
 * transaction that first claims the row (processed = 1), so it happens
 * once; filing is done after that commit and recorded after the server
 * said yes. A run that died anywhere is finished by the next one. A
 * message that cannot be processed is stored as it came and handed to a
 * person; it never stops the run.
 *
 * Errors: DUN_ENET, DUN_ETLS, DUN_EAUTH (from imap.c), DUN_ESTORE,
 * DUN_EIO, DUN_ECONFIG (rules files).
 */
#ifndef DUNMAIL_INBOUND_H
#define DUNMAIL_INBOUND_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/parse/parse.h"
#include "dunmail/reply/classify.h"
#include "dunmail/store/store.h"

/*
 * What processing made of one reply, handed to the reply hook inside the
 * processing transaction (after classification, matching, hand-offs and
 * trail events are written; before the commit). Everything is borrowed.
 */
struct dun_inbound_reply {
	int64_t message_id;       /* message row */
	const char *sha256;       /* the raw bytes in the blob store */
	const char *raw;          /* those bytes, read back; NULL if not */
	size_t raw_len;
	const struct dun_parsed *parsed;  /* NULL if it could not be parsed */
	const struct dun_classification *cls;
	int64_t debtor_id;        /* 0 = matched to no debtor */
	const int64_t *case_ids;  /* the cases it applies to */
	size_t ncases;
	const char *match_method; /* thread, token, invoice, sender, bounce,
	                           * none */
	int sender_contact;       /* 1 if From is a contact of the debtor */
	int trusted;              /* the trust decision (reply/trust.h): 0
	                           * means it changes no case by itself */
	const char *trust_why;    /* what decided it, in words */
	const char *auth_verdict; /* the receiving server's, or NULL when
	                           * [inbound] authserv_id is not set */
	int named_invoices;       /* it named invoices: cases are just those */
	int handed_off;           /* a person was asked to look */
	const char *folder;       /* where it will be filed ("Dunning/...") */
};

/*
 * The reply hook: the case workflow (promise -> promised, dispute ->
 * disputed, ...) plugs in here. It runs inside the processing
 * transaction; a negative return undoes everything written for the
 * message. A store or disk failure (DUN_EIO, retry class TEMP or WAIT)
 * then stops the run and the message is processed again on the next one;
 * any other failure hands the message to a person (class unknown, rule
 * processing_failed, no case touched) and the run goes on.
 */
typedef int (*dun_inbound_reply_fn)(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_inbound_reply *reply, void *arg);

/* The default hook: changes nothing (processing already recorded the
 * classification, the match, hand-offs and the trail). */
int dun_inbound_on_reply(struct dun_store *store,
	const struct dun_config *cfg, dun_time_t now,
	const struct dun_inbound_reply *reply, void *arg);

/* Only the CLI reads the clock: it hands one in. */
typedef dun_time_t (*dun_clock_fn)(void *arg);

struct dun_inbound_opts {
	dun_time_t now;            /* used when clock is NULL */
	dun_clock_fn clock;        /* read once per event, e.g. in --idle */
	void *clock_arg;
	dun_inbound_reply_fn on_reply; /* NULL = dun_inbound_on_reply */
	void *on_reply_arg;
	volatile sig_atomic_t *stop;   /* set by SIGTERM/SIGINT */
	int poll_interval_s;       /* --idle without IDLE; 0 = 60 */
	int no_poll_lock;          /* deliver: files nothing, so it does not
	                            * take the one-poller lock */
};

struct dun_inbound_stats {
	int64_t stored;      /* new messages stored */
	int64_t duplicates;  /* seen again after a UIDVALIDITY change */
	int64_t processed;
	int64_t filed;
	int64_t handoffs;
	int64_t unmatched;
	int64_t oversized;   /* over the size cap: header only */
	int64_t unparseable;
	int64_t failed;      /* processing failed: handed to a person */
	int64_t sessions;    /* IMAP sessions opened */
	/* Where the time went (monotonic clock, for benchmarks). */
	int64_t fetch_store_ms; /* fetching and committing raw messages */
	int64_t process_ms;     /* parse, classify, match, record */
	int64_t file_ms;        /* MOVE on the server and its record */
};

struct dun_inbound;

/* Loads the rules (templates/rules) once. */
int dun_inbound_new(struct dun_inbound **out, struct dun_store *store,
	const struct dun_config *cfg, const struct dun_inbound_opts *opts);
void dun_inbound_free(struct dun_inbound *ib);

/* One pass: finish anything a previous run left, fetch what is new,
 * process and file it, log out. */
int dun_inbound_poll(struct dun_inbound *ib, struct dun_inbound_stats *st);

/*
 * Stays connected until *opts.stop: IDLE (re-issued before
 * cfg->imap_idle_s), or NOOP polling every poll_interval_s on a server
 * without IDLE. Any protocol or stream error drops the session; it
 * reconnects after a capped, jittered backoff (1 s doubling to 5 min).
 * Returns early only on errors a person must fix (TLS, login, config).
 */
int dun_inbound_idle(struct dun_inbound *ib, struct dun_inbound_stats *st);

/* Without a network (tests, re-processing): stores raw bytes as if
 * fetched, and processes one stored row in a transaction of its own (a
 * message that fails by its own fault is handed to a person: call it
 * outside any transaction). */
int dun_inbound_store_raw(struct dun_inbound *ib, int64_t *id_out,
	const char *mailbox, uint32_t uidvalidity, uint32_t uid,
	const char *data, size_t len);
int dun_inbound_process(struct dun_inbound *ib, int64_t message_row,
	struct dun_inbound_stats *st);
/*
 * Processes stored rows in one transaction (one commit, one sync for the
 * lot). A message whose processing fails by its own fault rolls it back,
 * is handed to a person alone (committed on its own), and the rest is
 * processed again without it; it never takes the others down. Only a
 * store or disk failure fails the batch, leaving all of it unprocessed
 * for the next run. Call it outside any transaction.
 */
int dun_inbound_process_batch(struct dun_inbound *ib, const int64_t *rows,
	size_t n, struct dun_inbound_stats *st);

/* The mailbox name under which `dunmail deliver` keeps what it was
 * handed (never an IMAP mailbox: the parentheses say so). */
#define DUN_INBOUND_DELIVER_MAILBOX "(deliver)"

/*
 * `dunmail deliver`: stores one message an MTA hands over (size is the
 * whole message's; truncated: only its header is in data, it was over
 * the cap) as if fetched from DUN_INBOUND_DELIVER_MAILBOX, with the next
 * UID of that mailbox, and processes it as poll would. The same bytes
 * again are the same row (*duplicate): processed only if an earlier
 * delivery stopped first. The next poll appends it to its folder. A
 * negative return is the store's or the disk's: nothing was lost, the
 * MTA may deliver again. Call it outside any transaction.
 */
int dun_inbound_deliver(struct dun_inbound *ib, int64_t *id_out,
	int *duplicate, const char *data, size_t len, int64_t size,
	int truncated, struct dun_inbound_stats *st);

/* The folder (under root, '/'-separated) for a class; unmatched and
 * unparseable mail goes to "<root>/Needs attention". Caller frees. */
char *dun_inbound_folder(const char *root, enum dun_class cls,
	int needs_attention);

#endif
