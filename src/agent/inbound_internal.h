/* Private to the inbound implementation files (inbound.c, inbound_process.c): the
 * handle and the few helpers both the IMAP side and processing use. */
#ifndef DUNMAIL_INBOUND_INTERNAL_H
#define DUNMAIL_INBOUND_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dunmail/agent/inbound.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/imap.h"

/* Reminders kept parsed for the quote guard (inbound_process.c). */
#define REMINDER_CACHE 8

struct reminder_cache {
	char sha256[65];
	char *text; /* owned */
};

struct dun_inbound {
	struct dun_store *store;       /* borrowed */
	const struct dun_config *cfg;  /* borrowed */
	struct dun_inbound_opts opts;
	struct dun_rules *rules;       /* owned */
	struct dun_imap *imap;         /* owned; NULL when not connected */
	uint32_t uidvalidity;          /* of the selected mailbox */
	int rescan;                    /* UIDVALIDITY changed this session */
	struct reminder_cache cache[REMINDER_CACHE];
	unsigned cache_next;
	int lock_fd;                   /* flock: one poller per store */
	const char *crash_at;          /* DUNMAIL_TEST_CRASH_AT point */
	long crash_count;
};

/* The time for a decision: the clock handed in, or opts.now. */
static inline dun_time_t
inbound__now(struct dun_inbound *ib)
{
	return ib->opts.clock ? ib->opts.clock(ib->opts.clock_arg) :
	    ib->opts.now;
}

/* Whether SIGTERM/SIGINT asked the run to stop. */
static inline int
inbound__stopped(struct dun_inbound *ib)
{
	return ib->opts.stop && *ib->opts.stop;
}

/*
 * Test hook: DUNMAIL_TEST_CRASH_AT=POINT[:N] kills the process with
 * SIGKILL the Nth time (default first) it passes POINT: stored,
 * processed, moved, filed. Used by the crash tests only.
 */
static inline void
inbound__crash_point(struct dun_inbound *ib, const char *point)
{
	size_t n;

	if (ib->crash_at == NULL)
		return;
	n = strlen(point);
	if (strncmp(ib->crash_at, point, n) != 0 ||
	    (ib->crash_at[n] != '\0' && ib->crash_at[n] != ':'))
		return;
	if (--ib->crash_count <= 0) {
		log_warnx("DUNMAIL_TEST_CRASH_AT: killing myself at %s", point);
		raise(SIGKILL);
	}
}

/* The first value of header name in the raw message, unfolded; NULL if
 * absent. */
char *inbound__raw_header(const char *data, size_t len, const char *name);
/* "<id>" or "id" -> "id" (owned). */
char *inbound__strip_angle(const char *s);

#endif
