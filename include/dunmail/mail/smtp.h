/*
 * SMTP submission through libcurl: one connection kept across the
 * messages of a run, TLS required (STARTTLS or implicit) and verified
 * (chain, host name, optional SHA-256 key pin) before AUTH, per-recipient
 * results, the server's final reply, and a retry class for every failure.
 *
 * Errors: DUN_ENET (retry class TEMP for 4xx, connection trouble, a
 * 5xx to the greeting or EHLO and a server answering nonsense; FINAL for
 * a 5xx to the transaction), DUN_ETLS (FINAL), DUN_EAUTH (FINAL),
 * DUN_ECONFIG. A message names the server (host:port), quotes what it
 * said and says what to check.
 */
#ifndef DUNMAIL_SMTP_H
#define DUNMAIL_SMTP_H

#include <stddef.h>

#include "dunmail/config/config.h"
#include "dunmail/core/common.h"

struct dun_smtp;

enum dun_rcpt_status {
	DUN_RCPT_PENDING,  /* RCPT never answered */
	DUN_RCPT_ACCEPTED, /* 2xx */
	DUN_RCPT_DEFERRED, /* 4xx */
	DUN_RCPT_REJECTED, /* 5xx */
};

const char *dun_rcpt_status_name(enum dun_rcpt_status status);

struct dun_smtp_rcpt {
	char *address;               /* owned */
	enum dun_rcpt_status status;
	int code;                    /* RCPT reply code, 0 if none */
	char *reply;                 /* owned; the reply line, capped */
};

struct dun_smtp_result {
	int code;          /* reply to the end of data, 0 if none came */
	char *reply;       /* owned; that reply, "250 2.0.0 Ok: queued as X" */
	int data_ended;    /* the end of data was (or may have been) sent */
	struct dun_smtp_rcpt *rcpts; /* owned; one per envelope recipient */
	size_t nrcpts;
};

void dun_smtp_result_free(struct dun_smtp_result *res);

/*
 * Called once per message right before the end of data is written: the
 * last moment at which the server cannot have accepted the message. A
 * negative return aborts the transaction, so nothing is delivered.
 */
typedef int (*dun_smtp_commit_fn)(void *arg);

/* Prepares a connection to srv (connecting happens on the first send).
 * ehlo_name is the name given in EHLO. The password is fetched here. */
int dun_smtp_open(struct dun_smtp **out, const struct dun_server *srv,
	const char *ehlo_name);
void dun_smtp_close(struct dun_smtp *smtp);

/*
 * Sends one message. Returns 0 when the server accepted the end of data
 * (some recipients may still have been refused: see res->rcpts); else a
 * DUN_E* code with the retry class set. res is filled in either way and
 * the caller frees it.
 */
int dun_smtp_send(struct dun_smtp *smtp, struct dun_smtp_result *res,
	const char *from, char *const *rcpts, size_t nrcpts,
	const char *data, size_t len, dun_smtp_commit_fn commit, void *arg);

/*
 * Several messages at once, each on a connection of its own, with one
 * commit for all of them: every upload stops right before its end of
 * data; when all are there (or finished early, refused), commit runs once
 * with the waiting jobs, and a negative return aborts them all, as the
 * single-message commit does. Then every end of data goes out. This is
 * group commit: one durable 'sending' for n messages, the same guarantee.
 * The connections are pooled in the group (a libcurl multi handle).
 * Fills each job's outcome as dun_smtp_send would return it.
 */
#define DUN_SMTP_GROUP_MAX 16

struct dun_smtp_job {
	struct dun_smtp *smtp;        /* its connection, not shared */
	const char *from;
	char *const *rcpts;
	size_t nrcpts;
	const char *data;
	size_t len;
	void *arg;                    /* the caller's */
	struct dun_smtp_result res;   /* out; the caller frees it */
	int rc;                       /* out: as dun_smtp_send returns */
	dun_retry_t retry;            /* out: the error's retry class */
	char error[512];              /* out: the error's message */
};

typedef int (*dun_smtp_group_commit_fn)(void *arg, struct dun_smtp_job **jobs,
	size_t n);

struct dun_smtp_group;
int dun_smtp_group_new(struct dun_smtp_group **out);
void dun_smtp_group_free(struct dun_smtp_group *g);
int dun_smtp_send_group(struct dun_smtp_group *g, struct dun_smtp_job *jobs,
	size_t n, dun_smtp_group_commit_fn commit, void *arg);

/* Retry class of an SMTP reply code: 2xx/3xx NONE, 4xx TEMP, else FINAL. */
dun_retry_t dun_smtp_reply_class(int code);

/*
 * Semi-private, for the tests: maps a libcurl result (as an int) and the
 * last SMTP reply code to a DUN_E* code and its retry class.
 */
int dun_smtp__classify(int curl_code, int smtp_code, dun_retry_t *retry_out);

#endif
