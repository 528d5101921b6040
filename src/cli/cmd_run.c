/* dunmail run: the agent as one process. It keeps IMAP IDLE open on the
 * AR mailbox, processes each reply as it arrives, and wakes when the next
 * scheduled action falls due (or after --interval at most) to send it;
 * SIGHUP reloads the config, SIGTERM stops it cleanly. Its activity is
 * logged at info level without -v: a daemon's lines belong in the
 * journal. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/agent/inbound.h"
#include "dunmail/agent/outbox.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/core/log.h"

static volatile sig_atomic_t run_stop;   /* SIGTERM, SIGINT */
static volatile sig_atomic_t run_reload; /* SIGHUP */
static volatile sig_atomic_t run_wake;   /* any of them, or the alarm */

static void
on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		run_stop = 1;
	else if (sig == SIGHUP)
		run_reload = 1;
	run_wake = 1;
}

static dun_time_t
wall_clock(void *arg)
{
	(void)arg;
	return (dun_time_t)time(NULL);
}

/* Replies are processed inside IDLE; wake the loop so what they call for
 * (an acknowledgement, a copy) goes out at once. */
static int
on_reply(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, void *arg)
{
	int rc = dun_workflow_on_reply(store, cfg, now, reply, arg);

	run_wake = 1;
	return rc;
}

/*
 * Seconds to sleep: until the next scheduled action falls due, at most
 * interval (a safety poll: a change made beside us, a clock jump), at
 * least 1.
 */
static unsigned
next_wait(struct cli_ctx *ctx, int interval)
{
	dun_time_t now = (dun_time_t)time(NULL), due;
	char at[21];
	int64_t wait = interval;

	if (dun_workflow_next_due(ctx->store, ctx->cfg, now, &due) < 0) {
		log_warnx("next due: %s (looking again in %d s)",
		    dun_error_last(), interval);
		return (unsigned)interval;
	}
	if (due && due - now < wait)
		wait = due - now;
	if (wait < 1)
		wait = 1;
	if (due) {
		dun_time_format_utc(at, due);
		log_debug("next action due at %s; waking in %lld s", at,
		    (long long)wait);
	} else
		log_debug("nothing scheduled; looking again in %lld s",
		    (long long)wait);
	return (unsigned)wait;
}

static int
reload(struct cli_ctx *ctx)
{
	struct dun_config *fresh = NULL;
	struct dun_diags diags = { 0 };
	char *path = dun_config_find(ctx->config_path);
	int rc = path ? dun_config_load(&fresh, path, &diags) :
	    dun_error_set(DUN_ECONFIG, "the config file is gone");

	free(path);
	if (rc < 0) {
		log_warnx("SIGHUP: keeping the old config: %s",
		    dun_error_last());
		dun_diags_free(&diags);
		return rc;
	}
	dun_diags_free(&diags);
	if (strcmp(fresh->store_path, ctx->cfg->store_path) != 0)
		log_warnx("SIGHUP: [store] path changed; restart to use it");
	dun_config_free(ctx->cfg);
	ctx->cfg = fresh;
	log_info("config reloaded");
	return 0;
}

int
cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syslog", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	struct dun_outbox_transport tx;
	struct dun_inbound_opts iopts;
	struct dun_inbound *ib = NULL;
	int ch, rc, failed = 0, lock_fd = -1, interval = 300;
	unsigned wait;

	while ((ch = getopt_long(argc, argv, "si:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			log_init("dunmail", 1, ctx->verbose);
			break;
		case 'i':
			interval = atoi(optarg);
			if (interval < 5 || interval > 3600) {
				fprintf(stderr, "dunmail: --interval is 5 to "
				    "3600 seconds\n");
				return EX_USAGE;
			}
			break;
		default:
			return cli_usage("run");
		}
	}
	if (optind != argc)
		return cli_usage("run");
	/* -v asks nothing more of run: it logs info anyway; -vv debug. */
	log_set_verbose(ctx->verbose > 1 ? ctx->verbose : 1);
	if (ctx->now_given) {
		fprintf(stderr, "dunmail: run follows the clock; use `send "
		    "--now` and `poll` to simulate a date\n");
		return EX_USAGE;
	}
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if ((rc = cli_send_lock(ctx, &lock_fd)) != 0)
		return rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt a blocking IDLE read. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&tx, 0, sizeof(tx));
	log_info("dunmail run: watching %s on %s; sending when due, looking "
	    "at least every %d s", ctx->cfg->imap_mailbox,
	    ctx->cfg->imap.host, interval);
	while (!run_stop) {
		struct dun_outbox_stats sst;
		struct dun_inbound_stats ist;

		/* Cleared here, not just before IDLE: a signal that lands
		 * while a send pass runs must still cut the next sleep short,
		 * or a SIGHUP would wait a whole interval to be seen. */
		run_wake = 0;
		if (run_reload) {
			run_reload = 0;
			if (reload(ctx) == 0) {
				dun_inbound_free(ib);
				ib = NULL;
				dun_outbox_net_close(&tx);
			}
		}
		ctx->now = (dun_time_t)time(NULL);
		if (tx.send == NULL)
			dun_outbox_net_open(&tx, ctx->cfg);
		memset(&sst, 0, sizeof(sst));
		if ((rc = cli_send_pass(ctx, &tx, &sst)) < 0)
			log_warnx("send: %s (retrying later)",
			    dun_error_last());
		else if (sst.sent || sst.deferred || sst.failed || sst.unknown)
			log_info("send: %d sent, %d deferred, %d failed, %d "
			    "unknown", sst.sent, sst.deferred, sst.failed,
			    sst.unknown);
		if (run_stop)
			break;
		if (ib == NULL) {
			memset(&iopts, 0, sizeof(iopts));
			iopts.clock = wall_clock;
			iopts.on_reply = on_reply;
			iopts.stop = &run_wake;
			iopts.poll_interval_s = 60;
			if ((rc = dun_inbound_new(&ib, ctx->store, ctx->cfg,
			    &iopts)) < 0) {
				/* Another poller holds the store, or the rules
				 * do not load: say so with a failing status, so
				 * systemd's Restart=on-failure tries again. */
				log_warnx("inbound: %s", dun_error_last());
				failed = rc;
				break;
			}
		}
		/* Sleep in IDLE until a reply, a signal, or the next action
		 * falls due (recomputed after every pass and reload). */
		wait = next_wait(ctx, interval);
		alarm(wait);
		memset(&ist, 0, sizeof(ist));
		rc = dun_inbound_idle(ib, &ist);
		alarm(0);
		if (rc < 0 && !run_stop) {
			/* TLS, login or config: a person must fix it. Keep
			 * sending, try the mailbox again later. */
			log_warnx("inbound: %s", dun_error_last());
			dun_inbound_free(ib);
			ib = NULL;
			if (!run_wake)
				sleep(wait);
		}
	}
	log_info("dunmail run: stopping");
	dun_inbound_free(ib);
	dun_outbox_net_close(&tx);
	close(lock_fd);
	return failed < 0 ? cli_exit_code(failed) : 0;
}
