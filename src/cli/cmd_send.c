/* dunmail send [--now T] [--dry-run]: settle what a crash left, retry
 * what is due, then send what the scheduler says is due now. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/cases.h"
#include "dunmail/json.h"
#include "dunmail/log.h"
#include "dunmail/outbound.h"
#include "dunmail/outbox.h"
#include "dunmail/trail.h"

#define STALE_AFTER (24 * 3600) /* a planned row older than this is re-planned */
#define SEND_GROUP 16 /* messages planned per transaction, then sent */

struct send_run {
	struct cli_ctx *ctx;
	struct dun_outbox ob;
	int dry_run;
	int stop_rc;      /* the error that stopped the run, or 0 */
	int problems_rc;  /* first per-message problem (template, PDF) */
};

/* "INV-1, INV-2" for a person to read. */
static char *
invoice_list(struct dun_store *store, const int64_t *case_ids, size_t n)
{
	struct dun_buf b = DUN_BUF_INIT;
	struct dun_case *c;
	size_t i;

	dun_buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		if (dun_store_case_get(store, &c, case_ids[i]) < 0)
			continue;
		dun_buf_printf(&b, "%s%s", b.len ? ", " : "",
		    c->invoice_number);
		dun_case_free(c);
	}
	return dun_buf_detach(&b, NULL);
}

/* Drops the cases the outbox still owns (a row planned, sending or
 * unknown): they are retried, reconciled or with a person. */
static int
drop_busy(struct dun_store *store, struct dun_out_batch *batch)
{
	size_t i, kept = 0;
	int busy, rc;

	for (i = 0; i < batch->ncases; i++) {
		if ((rc = dun_store_outbox_case_busy(store,
		    batch->case_ids[i], &busy)) < 0)
			return rc;
		if (busy) {
			if (batch->skipped)
				free(batch->skipped[i]);
			continue;
		}
		batch->case_ids[kept] = batch->case_ids[i];
		if (batch->stage_index)
			batch->stage_index[kept] = batch->stage_index[i];
		if (batch->skipped)
			batch->skipped[kept] = batch->skipped[i];
		kept++;
	}
	batch->ncases = kept;
	return 0;
}

static void
print_message(struct send_run *run, const char *verb,
    const struct dun_out_batch *batch, const struct dun_out_message *msg)
{
	struct dun_store *store = run->ctx->store;
	struct dun_debtor *d = NULL;
	char *invoices = invoice_list(store, batch->case_ids, batch->ncases);
	size_t i;

	if (dun_store_debtor_get(store, &d, batch->debtor_id) < 0)
		d = NULL;
	printf("%s %s (%s) %s [%s] to ", verb, d ? d->ref : "?",
	    d ? d->name : "?", batch->template, invoices);
	for (i = 0; i < msg->nrcpts; i++)
		printf("%s%s", i ? ", " : "", msg->rcpts[i]);
	printf(": %s\n", msg->subject ? msg->subject : "");
	dun_debtor_free(d);
	free(invoices);
}

static int
stop_on(struct send_run *run, int rc)
{
	if (rc < 0 && run->stop_rc == 0)
		run->stop_rc = rc;
	return rc;
}

/* A batch rebuilt from an outbox row, for the recheck. */
static void
batch_from_row(struct dun_out_batch *b, const struct dun_outbox_row *row)
{
	size_t i;
	int kind = dun_out_kind_from_name(row->kind);

	memset(b, 0, sizeof(*b));
	b->debtor_id = row->debtor_id;
	b->kind = kind < 0 ? DUN_OUT_REMINDER : (enum dun_out_kind)kind;
	b->template = xstrdup(row->template);
	b->ncases = row->ncases;
	b->case_ids = xcalloc(row->ncases + 1, sizeof(*b->case_ids));
	b->stage_index = xcalloc(row->ncases + 1, sizeof(*b->stage_index));
	b->skipped = xcalloc(row->ncases + 1, sizeof(*b->skipped));
	for (i = 0; i < row->ncases; i++) {
		b->case_ids[i] = row->cases[i].case_id;
		b->stage_index[i] = row->cases[i].stage_index;
		b->skipped[i] = xstrdup(row->cases[i].skipped);
	}
}

static void
batch_clear(struct dun_out_batch *b)
{
	size_t i;

	for (i = 0; i < b->ncases; i++)
		free(b->skipped[i]);
	free(b->skipped);
	free(b->case_ids);
	free(b->stage_index);
	free(b->template);
	memset(b, 0, sizeof(*b));
}

/* A planned row from an earlier run: a retry that is due, or one a crash
 * left before its end of data (nothing went out). */
static int
retry_row(struct send_run *run, const struct dun_outbox_row *row)
{
	struct cli_ctx *ctx = run->ctx;
	struct dun_out_batch b;
	struct dun_debtor *d = NULL;
	enum dun_outbox_state state;
	char *why = NULL;
	size_t before;
	int rc, go;

	if (ctx->now - row->created_at > STALE_AFTER)
		return dun_outbox_cancel(&run->ob, row->id, ctx->now, "stale: "
		    "planned more than a day ago; the scheduler plans it "
		    "again with today's figures");
	if ((rc = dun_store_debtor_get(ctx->store, &d, row->debtor_id)) < 0)
		return rc;
	/* A forward to our own people goes at once, whatever the debtor's
	 * local time. */
	go = strcmp(row->kind, "forward") == 0 ||
	    dun_outbox_in_window(&ctx->cfg->policy, d->timezone, d->region,
	    ctx->now);
	dun_debtor_free(d);
	if (!go) {
		run->ob.stats.skipped++;
		return 0; /* the next run inside the window takes it */
	}
	batch_from_row(&b, row);
	before = b.ncases;
	go = dun_outbound_recheck(ctx->store, ctx->cfg, ctx->now, &b, &why);
	if (go < 0)
		rc = go;
	else if (go == 0 || b.ncases != before)
		/* The stored bytes name every invoice: if one no longer
		 * qualifies, the message as written must not go. */
		rc = dun_outbox_cancel(&run->ob, row->id, ctx->now,
		    why ? why : "some invoices no longer qualify");
	else if (run->dry_run) {
		printf("would retry %s (%s) to %s: %s\n", row->message_id,
		    row->template, row->rcpts ? row->rcpts[0].address : "?",
		    row->subject);
		rc = 0;
	} else {
		rc = dun_outbox_send(&run->ob, row->id, ctx->now, &state);
		if (rc == 0 && state == DUN_OUTBOX_SENT)
			printf("sent %s (%s) to %s: %s\n", row->message_id,
			    row->template, row->rcpts ? row->rcpts[0].address :
			    "?", row->subject);
		stop_on(run, rc);
	}
	free(why);
	batch_clear(&b);
	return rc;
}

/*
 * Decides one due batch: drops cases the outbox still owns, checks the
 * stop conditions again and renders the message. Returns 1 with msg
 * filled when it should go, 0 when it should not (the reason is on the
 * cases' trail), or an error that stops the run.
 */
static int
prepare_batch(struct send_run *run, struct dun_out_batch *batch,
    struct dun_out_message *msg)
{
	struct cli_ctx *ctx = run->ctx;
	struct dun_trail_ref ref = { 0 };
	struct dun_buf detail = DUN_BUF_INIT;
	char *why = NULL;
	size_t i;
	int rc, go;

	memset(msg, 0, sizeof(*msg));
	if ((rc = drop_busy(ctx->store, batch)) < 0 || batch->ncases == 0)
		return rc;
	if ((go = dun_outbound_recheck(ctx->store, ctx->cfg, ctx->now, batch,
	    &why)) < 0)
		return go;
	if (go == 0) {
		run->ob.stats.skipped++;
		if (!run->dry_run) {
			/* Why nothing went, on each case's trail. */
			dun_json_open(&detail);
			dun_json_str(&detail, "template", batch->template);
			dun_json_str(&detail, "why", why ? why : "");
			dun_json_close(&detail);
			ref.debtor_id = batch->debtor_id;
			for (i = 0; i < batch->ncases && rc == 0; i++) {
				ref.case_id = batch->case_ids[i];
				rc = dun_trail_append(ctx->store, ctx->now,
				    "send_skipped", &ref, detail.data);
			}
		}
		log_info("not sending %s to debtor %lld: %s", batch->template,
		    (long long)batch->debtor_id, why ? why : "stopped");
		dun_buf_free(&detail);
		free(why);
		return rc;
	}
	free(why);
	if ((rc = dun_outbound_prepare(ctx->store, ctx->cfg, ctx->now, batch,
	    msg)) < 0) {
		/* One bad template or PDF stops one message, not the run. */
		log_warnx("cannot prepare %s for debtor %lld: %s",
		    batch->template, (long long)batch->debtor_id,
		    dun_error_last());
		if (run->problems_rc == 0)
			run->problems_rc = rc;
		dun_out_message_free(msg);
		return rc == DUN_ESTORE ? rc : 0;
	}
	if (run->dry_run) {
		print_message(run, "would send", batch, msg);
		dun_out_message_free(msg);
		return 0;
	}
	return 1;
}

/*
 * Up to SEND_GROUP due batches: rendered, then planned in one
 * transaction (one commit and one disk sync for all their rows and
 * bytes, every row durable before the first byte goes out), then sent
 * one by one on the open connection. A run stopped half-way leaves the
 * rest planned; the next run retries them after checking them again.
 */
static int
send_group(struct send_run *run, struct dun_out_batch *batches, size_t n)
{
	struct cli_ctx *ctx = run->ctx;
	struct dun_out_message msgs[SEND_GROUP];
	struct dun_out_batch *of[SEND_GROUP];
	enum dun_outbox_state state;
	int64_t ids[SEND_GROUP];
	size_t i, k = 0;
	int rc = 0;

	/* The checks, the rendering and the plans share one transaction:
	 * what is checked is what is planned, and SQLite takes its locks
	 * once for the group rather than for every query. */
	if (!run->dry_run && (rc = dun_store_begin(ctx->store)) < 0)
		return rc;
	for (i = 0; i < n && k < SEND_GROUP; i++) {
		if ((rc = prepare_batch(run, &batches[i], &msgs[k])) < 0)
			break;
		if (rc == 1) {
			of[k] = &batches[i];
			rc = dun_outbox_plan(&run->ob, &ids[k], of[k],
			    &msgs[k], ctx->now);
			k++;
			if (rc < 0)
				break;
		}
		rc = 0;
	}
	if (run->dry_run)
		goto cleanup;
	if (rc < 0) {
		dun_store_rollback(ctx->store);
		goto cleanup;
	}
	if ((rc = dun_store_commit(ctx->store)) < 0)
		goto cleanup;
	for (i = 0; i < k && run->stop_rc == 0; i++) {
		rc = stop_on(run, dun_outbox_send_planned(&run->ob, ids[i],
		    &msgs[i], ctx->now, &state));
		if (state == DUN_OUTBOX_SENT)
			print_message(run, "sent", of[i], &msgs[i]);
	}
cleanup:
	for (i = 0; i < k; i++)
		dun_out_message_free(&msgs[i]);
	return rc;
}

static int
run_retries(struct send_run *run)
{
	struct dun_outbox_list list;
	size_t i;
	int rc;

	if ((rc = dun_store_outbox_list(run->ctx->store, &list,
	    DUN_OUTBOX_PLANNED, run->ctx->now)) < 0)
		return rc;
	for (i = 0; i < list.count && run->stop_rc == 0; i++)
		if ((rc = retry_row(run, list.items[i])) < 0 &&
		    run->stop_rc == 0)
			break;
	dun_outbox_list_free(&list);
	return run->stop_rc ? run->stop_rc : rc;
}

static int
run_due(struct send_run *run)
{
	struct dun_out_batches due;
	size_t i;
	int rc;

	memset(&due, 0, sizeof(due));
	if ((rc = dun_outbound_due(run->ctx->store, run->ctx->cfg,
	    run->ctx->now, &due)) < 0)
		return rc;
	for (i = 0; i < due.count && run->stop_rc == 0; i += SEND_GROUP)
		if ((rc = send_group(run, &due.items[i], due.count - i <
		    SEND_GROUP ? due.count - i : SEND_GROUP)) < 0 &&
		    run->stop_rc == 0)
			break;
	dun_out_batches_free(&due);
	return run->stop_rc ? run->stop_rc : rc;
}

/* One `send` per store at a time: a second one would take the first's
 * in-flight rows for a crash's leftovers. */
int
cli_send_lock(struct cli_ctx *ctx, int *fd_out)
{
	char *path = xasprintf("%s.send.lock", ctx->cfg->store_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "dunmail: cannot open %s: %s\n", path,
		    strerror(errno));
		free(path);
		return EX_CANTCREAT;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "dunmail: another `dunmail send` is running "
		    "on this store (%s is locked); try again when it ends\n",
		    path);
		close(fd);
		free(path);
		return EX_TEMPFAIL;
	}
	free(path);
	*fd_out = fd;
	return 0;
}

/* Time passes for every case (due dates, promises, holds), then: settle
 * what a crash left, copy to Sent, retry, and send what is due. */
static int
send_pass(struct send_run *run, struct dun_outbox_transport *tx)
{
	struct cli_ctx *ctx = run->ctx;
	int rc;

	dun_outbox_init(&run->ob, ctx->store, ctx->cfg, tx);
	if ((rc = dun_cases_tick(ctx->store, ctx->cfg, ctx->now)) < 0)
		return rc;
	if ((rc = dun_outbox_reconcile(&run->ob, ctx->now)) == 0 &&
	    (rc = dun_outbox_copy_pending(&run->ob, ctx->now)) == 0 &&
	    (rc = run_retries(run)) == 0)
		rc = run_due(run);
	return rc;
}

int
cli_send_pass(struct cli_ctx *ctx, struct dun_outbox_transport *tx,
    struct dun_outbox_stats *stats)
{
	struct send_run run;
	int rc;

	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	rc = send_pass(&run, tx);
	*stats = run.ob.stats;
	return rc;
}

static int
finish(struct send_run *run, int rc)
{
	struct dun_outbox_stats *s = &run->ob.stats;

	if (run->dry_run)
		return rc < 0 ? cli_fail(rc) : 0;
	fprintf(stderr, "dunmail: send: %d sent, %d deferred, %d failed, "
	    "%d unknown, %d cancelled, %d skipped%s\n", s->sent, s->deferred,
	    s->failed, s->unknown, s->cancelled, s->skipped,
	    s->reconciled ? " (after reconciling a crash)" : "");
	if (s->failed || s->unknown)
		fprintf(stderr, "dunmail: %d message%s need a person: see "
		    "`dunmail queue`\n", s->failed + s->unknown,
		    s->failed + s->unknown == 1 ? "" : "s");
	if (rc < 0)
		return cli_fail(rc);
	if (run->problems_rc < 0)
		return cli_exit_code(run->problems_rc);
	return s->deferred ? EX_TEMPFAIL : 0;
}

int
cmd_send(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_outbox_transport tx;
	struct send_run run;
	int ch, rc, lock_fd = -1;

	memset(&run, 0, sizeof(run));
	memset(&tx, 0, sizeof(tx));
	run.ctx = ctx;
	while ((ch = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			run.dry_run = 1;
			break;
		case 't':
			if (dun_time_parse(&ctx->now, optarg) < 0) {
				fprintf(stderr, "dunmail: --now: %s\n",
				    dun_error_last());
				return EX_USAGE;
			}
			ctx->now_given = 1;
			break;
		default:
			return cli_usage("send");
		}
	}
	if (optind != argc)
		return cli_usage("send");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if (run.dry_run) {
		/* Everything the dry run touches is rolled back. */
		dun_outbox_init(&run.ob, ctx->store, ctx->cfg, &tx);
		if ((rc = dun_store_begin(ctx->store)) < 0)
			return cli_fail(rc);
		if ((rc = dun_cases_tick(ctx->store, ctx->cfg, ctx->now)) >= 0)
			rc = run_due(&run);
		dun_store_rollback(ctx->store);
		return finish(&run, rc);
	}
	if ((rc = cli_send_lock(ctx, &lock_fd)) != 0)
		return rc;
	dun_outbox_net_open(&tx, ctx->cfg);
	rc = send_pass(&run, &tx);
	rc = finish(&run, rc);
	dun_outbox_net_close(&tx);
	close(lock_fd);
	return rc;
}
