/* dunmail send [--now T] [--dry-run]: settle what a crash left, retry
 * what is due, then send what the scheduler says is due now. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/agent/outbound.h"
#include "dunmail/agent/outbox.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/cases/cases.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/core/money.h"
#include "dunmail/store/trail.h"

#define STALE_AFTER (24 * 3600) /* a planned row older than this is re-planned */
#define SEND_GROUP 16 /* messages planned per transaction, then sent */
#define WORKERS_MAX 8 /* sending processes, the run's own included */

struct send_run {
	struct cli_ctx *ctx;
	struct dun_outbox ob;
	int dry_run;
	int json;         /* --dry-run --json: one JSON object a message */
	int stop_rc;      /* the error that stopped the run, or 0 */
	int problems_rc;  /* first per-message problem (template, PDF) */
	int share, shares; /* this process sends debtors id % shares == share */
	int report_fd;    /* a worker's report to the run that started it */
	int unknown_streak; /* ends of data unanswered in a row */
};

/*
 * Two ends of data in a row that went unanswered say more about the
 * server than about the messages: the run stops before it puts more in
 * doubt (each such message goes to a person and is never resent); the
 * rest stay planned for the next run.
 */
#define UNKNOWN_STREAK_STOP 2

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

/* One invoice of a message, for --json. */
static void
json_invoice(struct dun_buf *b, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_out_batch *batch,
    size_t i, const struct dun_debtor *d, dun_time_t now)
{
	struct dun_case *c = NULL;
	struct dun_invoice *inv = NULL;
	int s = batch->stage_index ? batch->stage_index[i] : -1;
	long days;
	char date[11], amount[64];

	if (dun_store_case_get(store, &c, batch->case_ids[i]) < 0 ||
	    dun_store_invoice_get_id(store, &inv, c->invoice_id) < 0) {
		dun_case_free(c);
		return;
	}
	days = (long)(dun_tz_date(now, d->timezone) - inv->due_date);
	dun_date_format(date, inv->due_date);
	dun_money_plain(amount, sizeof(amount), inv->open_minor,
	    inv->currency);
	dun_json_open(b);
	dun_json_str(b, "invoice", inv->number);
	/* The stage it gets; "" when it is listed at no stage of its own
	 * (an answer, or an overdue invoice completing a final notice). */
	dun_json_str(b, "stage", s >= 0 && (size_t)s < cfg->policy.nstages ?
	    cfg->policy.stages[s].template : "");
	dun_json_str(b, "due_date", date);
	dun_json_int(b, "days_overdue", days > 0 ? days : 0);
	dun_json_str(b, "open_amount", amount);
	dun_json_str(b, "currency", inv->currency);
	dun_json_close(b);
	dun_case_free(c);
	dun_invoice_free(inv);
}

/* send --dry-run --json: the message as one line of JSON
 * (docs/sending.md). */
static void
print_json(struct send_run *run, const struct dun_out_batch *batch,
    const struct dun_out_message *msg, const struct dun_debtor *d)
{
	struct dun_buf b = DUN_BUF_INIT, arr = DUN_BUF_INIT;
	char at[32];
	size_t i;

	dun_buf_puts(&arr, "[");
	for (i = 0; i < msg->nrcpts; i++) {
		dun_buf_puts(&arr, i ? ",\"" : "\"");
		dun_json_escape(&arr, msg->rcpts[i]);
		dun_buf_puts(&arr, "\"");
	}
	dun_buf_puts(&arr, "]");
	dun_time_format_utc(at, run->ctx->now);
	dun_json_open(&b);
	dun_json_str(&b, "debtor_ref", d->ref);
	dun_json_str(&b, "template", batch->template);
	dun_json_raw(&b, "to", arr.data);
	dun_json_str(&b, "subject", msg->subject);
	dun_json_str(&b, "at", at);
	dun_buf_free(&arr);
	dun_buf_puts(&arr, "[");
	for (i = 0; i < batch->ncases; i++)
		json_invoice(&arr, run->ctx->store, run->ctx->cfg, batch, i, d,
		    run->ctx->now);
	dun_buf_puts(&arr, "]");
	dun_json_raw(&b, "invoices", arr.data);
	dun_json_close(&b);
	printf("%s\n", b.data);
	dun_buf_free(&arr);
	dun_buf_free(&b);
}

static void
print_message(struct send_run *run, const char *verb,
    const struct dun_out_batch *batch, const struct dun_out_message *msg)
{
	struct dun_store *store = run->ctx->store;
	struct dun_debtor *d = NULL;
	char *invoices;
	size_t i;

	if (dun_store_debtor_get(store, &d, batch->debtor_id) < 0)
		d = NULL;
	if (run->json) {
		if (d)
			print_json(run, batch, msg, d);
		dun_debtor_free(d);
		return;
	}
	invoices = invoice_list(store, batch->case_ids, batch->ncases);
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

/* The run's outbox: what it cannot send is queued and forwarded to a
 * person. */
static void
send_outbox_init(struct send_run *run, const struct dun_outbox_transport *tx)
{
	dun_outbox_init(&run->ob, run->ctx->store, run->ctx->cfg, tx);
	run->ob.on_handoff = dun_workflow_forward_send_problem;
}

/* Counts what became of one message toward UNKNOWN_STREAK_STOP. */
static void
note_outcome(struct send_run *run, enum dun_outbox_state state)
{
	const struct dun_config *cfg = run->ctx->cfg;

	if (state == DUN_OUTBOX_SENT) {
		run->unknown_streak = 0;
		return;
	}
	if (state != DUN_OUTBOX_UNKNOWN || run->stop_rc != 0 ||
	    ++run->unknown_streak < UNKNOWN_STREAK_STOP)
		return;
	run->stop_rc = dun_error_set(DUN_ENET, "%s:%d: the end of data of "
	    "%d messages in a row went unanswered: stopping this run so that "
	    "no more are put in doubt; the rest wait for the next run",
	    cfg->smtp.host, cfg->smtp.port, run->unknown_streak);
	dun_error_set_retry(DUN_RETRY_TEMP);
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
	/* A forward to our own people goes at once, whatever the debtor's
	 * local time (and one about a reply that matched no debtor has
	 * none). */
	go = strcmp(row->kind, "forward") == 0;
	if (!go) {
		if ((rc = dun_store_debtor_get(ctx->store, &d,
		    row->debtor_id)) < 0)
			return rc;
		go = dun_outbox_in_window(&ctx->cfg->policy, d->timezone,
		    d->region, ctx->now);
		dun_debtor_free(d);
	}
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
	else if (run->dry_run && run->json)
		rc = 0; /* a retry was shown when it was first planned */
	else if (run->dry_run) {
		printf("would retry %s (%s) to %s: %s\n", row->message_id,
		    row->template, row->rcpts ? row->rcpts[0].address : "?",
		    row->subject);
		rc = 0;
	} else {
		rc = dun_outbox_send(&run->ob, row->id, ctx->now, &state);
		if (rc == 0)
			note_outcome(run, state);
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
 * [smtp] connections is the total: up to one process per CPU (at most
 * WORKERS_MAX, and only with two connections or more each), each with
 * its share of the connections.
 */
static int
send_processes(const struct dun_config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int procs = cfg->smtp_connections / 2;

	if (cpus > 0 && procs > cpus)
		procs = (int)cpus;
	if (procs > WORKERS_MAX)
		procs = WORKERS_MAX;
	return procs < 1 ? 1 : procs;
}

static size_t
send_connections(const struct send_run *run)
{
	int conns = run->ctx->cfg->smtp_connections / (run->shares > 1 ?
	    run->shares : 1);

	if (conns > DUN_SMTP_GROUP_MAX)
		conns = DUN_SMTP_GROUP_MAX;
	return conns < 1 ? 1 : (size_t)conns;
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
 * Checked again under the write lock, right before planning: the cases
 * must still be free and still qualify, exactly as when msg was
 * rendered. Returns 1 to plan, 0 to drop the message (the next run plans
 * afresh), or an error.
 */
static int
still_due(struct send_run *run, struct dun_out_batch *batch)
{
	struct cli_ctx *ctx = run->ctx;
	size_t before = batch->ncases;
	char *why = NULL;
	int rc, go;

	if ((rc = drop_busy(ctx->store, batch)) < 0)
		return rc;
	if (batch->ncases != before)
		go = 0;
	else if ((go = dun_outbound_recheck(ctx->store, ctx->cfg, ctx->now,
	    batch, &why)) > 0 && batch->ncases != before)
		go = 0;
	if (go == 0) {
		log_info("not sending %s to debtor %lld: changed while it was "
		    "written (%s); the next run plans it again",
		    batch->template, (long long)batch->debtor_id,
		    why ? why : "a case is no longer free");
		run->ob.stats.skipped++;
	}
	free(why);
	return go;
}

/*
 * The planned messages of a group, conns at a time, each on its own
 * connection, with one durable 'sending' commit per round
 * (dun_outbox_send_group).
 */
static int
send_parallel(struct send_run *run, struct dun_out_batch **of,
    const struct dun_out_message *msgs, const int64_t *ids,
    const int *planned, size_t k, size_t conns)
{
	struct dun_out_message round[DUN_SMTP_GROUP_MAX];
	struct dun_out_batch *whose[DUN_SMTP_GROUP_MAX];
	enum dun_outbox_state states[DUN_SMTP_GROUP_MAX];
	int64_t rids[DUN_SMTP_GROUP_MAX];
	size_t i = 0, m, j;
	int rc = 0;

	if (conns > DUN_SMTP_GROUP_MAX)
		conns = DUN_SMTP_GROUP_MAX;
	while (i < k && run->stop_rc == 0) {
		for (m = 0; i < k && m < conns; i++) {
			if (!planned[i])
				continue;
			round[m] = msgs[i];
			whose[m] = of[i];
			rids[m++] = ids[i];
		}
		if (m == 0)
			break;
		rc = stop_on(run, dun_outbox_send_group(&run->ob, rids, round,
		    m, run->ctx->now, states));
		for (j = 0; j < m; j++) {
			if (states[j] == DUN_OUTBOX_SENT)
				print_message(run, "sent", whose[j], &round[j]);
			if (rc == 0)
				note_outcome(run, states[j]);
		}
	}
	return rc;
}

/*
 * Up to SEND_GROUP due batches: checked and rendered without holding the
 * store's write lock (rendering is most of the CPU, and another sending
 * process may want the lock meanwhile), then checked again and planned
 * in one transaction (one commit and one sync for all their rows and
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
	int planned[SEND_GROUP];
	size_t i, k = 0, conns = send_connections(run);
	int rc = 0;

	for (i = 0; i < n && k < SEND_GROUP; i++) {
		if ((rc = prepare_batch(run, &batches[i], &msgs[k])) < 0)
			break;
		if (rc == 1)
			of[k++] = &batches[i];
		rc = 0;
	}
	if (rc < 0 || k == 0 || run->dry_run)
		goto cleanup;
	if ((rc = dun_store_begin(ctx->store)) < 0)
		goto cleanup;
	for (i = 0; i < k && rc >= 0; i++) {
		planned[i] = 0;
		if ((rc = still_due(run, of[i])) > 0 &&
		    (rc = dun_outbox_plan(&run->ob, &ids[i], of[i], &msgs[i],
		    ctx->now)) == 0)
			planned[i] = 1;
	}
	if (rc < 0) {
		dun_store_rollback(ctx->store);
		goto cleanup;
	}
	if ((rc = dun_store_commit(ctx->store)) < 0)
		goto cleanup;
	if (conns > 1 && run->ob.tx->send_group) {
		rc = send_parallel(run, of, msgs, ids, planned, k, conns);
		goto cleanup;
	}
	for (i = 0; i < k && run->stop_rc == 0; i++) {
		if (!planned[i])
			continue;
		rc = stop_on(run, dun_outbox_send_planned(&run->ob, ids[i],
		    &msgs[i], ctx->now, &state));
		if (state == DUN_OUTBOX_SENT)
			print_message(run, "sent", of[i], &msgs[i]);
		if (rc == 0)
			note_outcome(run, state);
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

/*
 * Sending on several connections: the run starts workers (this binary
 * again, `send --share I/N`), each with its own store connection and its
 * own SMTP connection, and each sends the due batches of the debtors
 * whose id is I modulo N; the run itself takes share 0. Shares never
 * meet: every debtor's messages, threads and caps stay in one process,
 * and the outbox rows, the trail's chain and the cases are guarded by
 * the store's write lock as with any two processes. A worker does not
 * settle crash leftovers or retries (the run did that before starting
 * it) and reports its counts on a pipe.
 */

/* The run's lock on the store's sending, kept by its workers too. */
static int send_lock_fd = -1;

struct workers {
	pid_t pid[WORKERS_MAX];
	int fd[WORKERS_MAX];
	int n;
	char error[300];
};

/* Moves this process's share of the due batches to the front; returns
 * how many there are. The rest stay in place for dun_out_batches_free. */
static size_t
share_order(struct send_run *run, struct dun_out_batches *due)
{
	size_t i, kept = 0;

	for (i = 0; i < due->count; i++) {
		struct dun_out_batch t;

		if (due->items[i].debtor_id % run->shares != run->share)
			continue;
		t = due->items[kept];
		due->items[kept++] = due->items[i];
		due->items[i] = t;
	}
	return kept;
}

static void
workers_start(struct workers *w, struct send_run *run)
{
	struct cli_ctx *ctx = run->ctx;
	char now[32], share[32], fdarg[16];
	struct tm tm;
	time_t t = (time_t)ctx->now;
	int i;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fflush(stdout);
	fflush(stderr);
	for (i = 1; i < run->shares && w->n < WORKERS_MAX; i++) {
		int p[2];
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0) {
			log_warn("send: no pipe for worker %d; its share waits "
			    "for the next run", i);
			continue;
		}
		snprintf(share, sizeof(share), "%d/%d", i, run->shares);
		snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
		if ((pid = fork()) < 0) {
			log_warn("send: cannot start worker %d; its share waits "
			    "for the next run", i);
			close(p[0]);
			close(p[1]);
			continue;
		}
		if (pid == 0) {
			const char *argv[12];
			int k = 0;

			/* A fresh process: no SQLite, curl or TLS state from
			 * this one is ever used across the fork. */
			fcntl(p[1], F_SETFD, 0);
			/* The worker holds the run's lock as long as it runs:
			 * should the run die first, no new run can take its
			 * in-flight rows for a crash's leftovers. */
			if (send_lock_fd >= 0)
				fcntl(send_lock_fd, F_SETFD, 0);
			argv[k++] = "dunmail";
			if (ctx->config_path) {
				argv[k++] = "-c";
				argv[k++] = ctx->config_path;
			}
			if (ctx->verbose)
				argv[k++] = "-v";
			argv[k++] = "send";
			argv[k++] = "--now";
			argv[k++] = now;
			argv[k++] = "--share";
			argv[k++] = share;
			argv[k++] = "--report-fd";
			argv[k++] = fdarg;
			argv[k] = NULL;
			execv("/proc/self/exe", (char *const *)argv);
			_exit(EX_OSERR);
		}
		close(p[1]);
		w->pid[w->n] = pid;
		w->fd[w->n++] = p[0];
	}
}

/* The report a worker writes when it is done: its counts, then the
 * error that stopped it, if any. */
static void
report_write(struct send_run *run, int rc)
{
	const struct dun_outbox_stats *s = &run->ob.stats;
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "%d %d %d %d %d %d %d %d %d %d %d "
	    "%s\n", s->planned, s->sent, s->deferred, s->failed, s->unknown,
	    s->cancelled, s->skipped, s->copies, s->copy_errors,
	    run->stop_rc ? run->stop_rc : rc, run->problems_rc,
	    rc < 0 || run->stop_rc ? dun_error_last() : "");
	if (n > 0 && write(run->report_fd, line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1) < 0)
		log_warn("send: cannot report to the run");
	close(run->report_fd);
}

/* Waits for every worker and adds its counts to this run's. */
static int
workers_wait(struct workers *w, struct send_run *run)
{
	struct dun_outbox_stats *s = &run->ob.stats;
	int i, failed = 0;

	for (i = 0; i < w->n; i++) {
		char buf[1024];
		ssize_t len = 0, r;
		int status = 0, v[11], rc = -1, text = 0;

		while (len < (ssize_t)sizeof(buf) - 1 && (r = read(w->fd[i],
		    buf + len, sizeof(buf) - 1 - (size_t)len)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			len += r;
		}
		buf[len > 0 ? len : 0] = '\0';
		close(w->fd[i]);
		while (waitpid(w->pid[i], &status, 0) < 0 && errno == EINTR)
			;
		/* Eleven numbers, then the error text if any. */
		if (sscanf(buf, "%d %d %d %d %d %d %d %d %d %d %d %n", &v[0],
		    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
		    &v[9], &v[10], &text) == 11) {
			s->planned += v[0];
			s->sent += v[1];
			s->deferred += v[2];
			s->failed += v[3];
			s->unknown += v[4];
			s->cancelled += v[5];
			s->skipped += v[6];
			s->copies += v[7];
			s->copy_errors += v[8];
			rc = v[9];
			if (v[10] < 0 && run->problems_rc == 0)
				run->problems_rc = v[10];
		}
		if (rc < 0 || !WIFEXITED(status)) {
			snprintf(w->error, sizeof(w->error), "%s", text > 0 &&
			    buf[text] ? buf + text : "it died before reporting; "
			    "its messages are settled by the next run");
			w->error[strcspn(w->error, "\n")] = '\0';
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

static int
run_due(struct send_run *run)
{
	struct dun_out_batches due;
	struct workers w;
	size_t i, n;
	int rc, procs;

	memset(&due, 0, sizeof(due));
	memset(&w, 0, sizeof(w));
	if ((rc = dun_outbound_due(run->ctx->store, run->ctx->cfg,
	    run->ctx->now, &due)) < 0)
		return rc;
	n = due.count;
	if (run->shares == 0 && !run->dry_run && n > SEND_GROUP &&
	    (procs = send_processes(run->ctx->cfg)) > 1) {
		/* Enough for more than one process: the other shares go
		 * to workers, this process keeps share 0. */
		run->shares = procs;
		run->share = 0;
		workers_start(&w, run);
	}
	if (run->shares > 1) {
		n = share_order(run, &due);
		log_info("send: %s %d/%d: %zu due", run->share ? "worker" :
		    "run", run->share, run->shares, n);
	}
	for (i = 0; i < n && run->stop_rc == 0; i += SEND_GROUP)
		if ((rc = send_group(run, &due.items[i], n - i < SEND_GROUP ?
		    n - i : SEND_GROUP)) < 0 && run->stop_rc == 0)
			break;
	dun_out_batches_free(&due);
	if (w.n > 0 && workers_wait(&w, run) < 0 && rc == 0 &&
	    run->stop_rc == 0)
		rc = dun_error_set(DUN_ERROR, "a sending process failed: %s",
		    w.error);
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
		/* The holder wrote its verb and pid (below). */
		char holder[64] = "", verb[16] = "send";
		long pid = 0;
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);

		if (n > 0) {
			holder[n] = '\0';
			if (sscanf(holder, "%15[a-z] %ld", verb, &pid) < 1)
				snprintf(verb, sizeof(verb), "send");
		}
		if (pid > 0)
			fprintf(stderr, "dunmail: `dunmail %s` (pid %ld) is "
			    "sending from this store (%s is locked); ", verb,
			    pid, path);
		else
			fprintf(stderr, "dunmail: another `dunmail %s` is "
			    "sending from this store (%s is locked); ", verb,
			    path);
		fprintf(stderr, "%s\n", strcmp(verb, "run") == 0 ?
		    "`run` sends what is due by itself: stop it first, or "
		    "leave the sending to it" : "try again when it ends");
		close(fd);
		free(path);
		return EX_TEMPFAIL;
	}
	/* Who holds it, for the next one refused. */
	if (ftruncate(fd, 0) == 0) {
		char holder[64];
		int n = snprintf(holder, sizeof(holder), "%s %ld\n",
		    ctx->cmd ? ctx->cmd->name : "send", (long)getpid());
		if (pwrite(fd, holder, (size_t)n, 0) != n)
			log_debug("%s: cannot note the holder", path);
	}
	free(path);
	*fd_out = send_lock_fd = fd;
	return 0;
}

/* Time passes for every case (due dates, promises, holds), then: settle
 * what a crash left, copy to Sent, retry, and send what is due. */
static int
send_pass(struct send_run *run, struct dun_outbox_transport *tx)
{
	struct cli_ctx *ctx = run->ctx;
	int rc;

	send_outbox_init(run, tx);
	if ((rc = dun_workflow_tick(ctx->store, ctx->cfg, ctx->now)) < 0)
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
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 't' },
		/* Internal: a worker started by a run (see workers_start). */
		{ "share", required_argument, NULL, 's' },
		{ "report-fd", required_argument, NULL, 'r' },
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
		case 'j':
			run.json = 1;
			break;
		case 't':
			if (dun_time_parse(&ctx->now, optarg) < 0) {
				fprintf(stderr, "dunmail: --now: %s\n",
				    dun_error_last());
				return EX_USAGE;
			}
			ctx->now_given = 1;
			break;
		case 's':
			if (sscanf(optarg, "%d/%d", &run.share, &run.shares) !=
			    2 || run.shares < 2 || run.shares > WORKERS_MAX ||
			    run.share < 1 || run.share >= run.shares)
				return cli_usage("send");
			break;
		case 'r':
			run.report_fd = atoi(optarg);
			break;
		default:
			return cli_usage("send");
		}
	}
	if (optind != argc || (run.shares && run.report_fd <= 2) ||
	    (run.json && !run.dry_run))
		return cli_usage("send");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	if (run.shares) {
		/* A worker: the run holds the lock and has settled the
		 * leftovers; this process sends its share and reports. */
		setvbuf(stdout, NULL, _IOLBF, 0);
		dun_outbox_net_open(&tx, ctx->cfg);
		send_outbox_init(&run, &tx);
		rc = run_due(&run);
		report_write(&run, rc);
		dun_outbox_net_close(&tx);
		return rc < 0 ? cli_fail(rc) : 0;
	}
	if (run.dry_run) {
		/* Everything the dry run touches is rolled back. */
		send_outbox_init(&run, &tx);
		if ((rc = dun_store_begin(ctx->store)) < 0)
			return cli_fail(rc);
		if ((rc = dun_workflow_tick(ctx->store, ctx->cfg, ctx->now)) >= 0)
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
