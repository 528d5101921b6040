/* dunmail poll [--idle] [--json]: read replies over IMAP. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dunmail/agent/inbound.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/core/log.h"

static volatile sig_atomic_t poll_stop;

static void
on_signal(int sig)
{
	(void)sig;
	poll_stop = 1;
}

/* In --idle each event is stamped with the time it happened. */
static dun_time_t
wall_clock(void *arg)
{
	(void)arg;
	return (dun_time_t)time(NULL);
}

static void
print_stats(const struct dun_inbound_stats *st, int json, int rc)
{
	if (json) {
		printf("{\"ok\":%s,\"stored\":%lld,\"duplicates\":%lld,"
		    "\"processed\":%lld,\"filed\":%lld,\"handoffs\":%lld,"
		    "\"unmatched\":%lld,\"oversized\":%lld,"
		    "\"unparseable\":%lld,\"failed\":%lld,\"sessions\":%lld,"
		    "\"fetch_store_ms\":%lld,\"process_ms\":%lld,"
		    "\"file_ms\":%lld}\n",
		    rc == 0 ? "true" : "false", (long long)st->stored,
		    (long long)st->duplicates, (long long)st->processed,
		    (long long)st->filed, (long long)st->handoffs,
		    (long long)st->unmatched, (long long)st->oversized,
		    (long long)st->unparseable, (long long)st->failed,
		    (long long)st->sessions, (long long)st->fetch_store_ms,
		    (long long)st->process_ms, (long long)st->file_ms);
		return;
	}
	printf("poll: %lld new, %lld processed, %lld filed; %lld handed to a "
	    "person (%lld unmatched, %lld unparseable, %lld over the size "
	    "cap, %lld failed to process)%s\n", (long long)st->stored,
	    (long long)st->processed, (long long)st->filed,
	    (long long)st->handoffs, (long long)st->unmatched,
	    (long long)st->unparseable, (long long)st->oversized,
	    (long long)st->failed, st->duplicates ? "; some seen before" :
	    "");
}

int
cmd_poll(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "idle", no_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_inbound_opts io;
	struct dun_inbound_stats st;
	struct dun_inbound *ib = NULL;
	struct sigaction sa;
	int ch, rc, idle = 0, json = 0;

	while ((ch = getopt_long(argc, argv, "ij", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': idle = 1; break;
		case 'j': json = 1; break;
		default: return cli_usage("poll");
		}
	}
	if (optind != argc)
		return cli_usage("poll");
	if ((rc = cli_store(ctx)) != 0)
		return rc;

	/* No SA_RESTART: a signal must interrupt a blocking wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&io, 0, sizeof(io));
	memset(&st, 0, sizeof(st));
	io.now = ctx->now;
	if (idle && !ctx->now_given)
		io.clock = wall_clock;
	io.stop = &poll_stop;
	/* Each reply moves its cases on (promise, dispute, ...) and a reply
	 * for a person is forwarded to them. */
	io.on_reply = dun_workflow_on_reply;
	if ((rc = dun_inbound_new(&ib, ctx->store, ctx->cfg, &io)) < 0)
		return cli_fail(rc);
	rc = idle ? dun_inbound_idle(ib, &st) : dun_inbound_poll(ib, &st);
	dun_inbound_free(ib);
	if (rc < 0) {
		fprintf(stderr, "dunmail: %s\n", dun_error_last());
		print_stats(&st, json, rc);
		return cli_exit_code(rc);
	}
	if (poll_stop)
		log_info("poll: stopped by a signal");
	print_stats(&st, json, 0);
	return 0;
}
