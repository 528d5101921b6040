/*
 * The outbox state machine; see outbox.h and docs/sending.md.
 *
 * Every transition is one store transaction holding the row's new state,
 * its recipients' results, the trail events (one per case, so each case's
 * own trail tells the whole story) and any hand-off. The one transition
 * that cannot be made safe by ordering alone, "the server may now hold
 * the message", is committed from inside the SMTP transaction, right
 * before libcurl writes the end of data: a row still 'planned' after a
 * crash provably went nowhere, and only a row in 'sending' is in doubt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dunmail/agent/outbox.h"
#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/core/common.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/imap.h"
#include "dunmail/store/trail.h"

#define REASON_CAP 300

static const char *const kind_names[] = {
	[DUN_OUT_REMINDER] = "reminder",
	[DUN_OUT_PROMISE_CONFIRM] = "promise_confirm",
	[DUN_OUT_PROMISE_BROKEN] = "promise_broken",
	[DUN_OUT_DISPUTE_ACK] = "dispute_ack",
	[DUN_OUT_HARDSHIP_OFFER] = "hardship_offer",
	[DUN_OUT_INVOICE_COPY] = "invoice_copy",
	[DUN_OUT_FORWARD] = "forward",
};

const char *
dun_out_kind_name(enum dun_out_kind kind)
{
	if ((unsigned)kind >= DUN_ARRAY_SIZE(kind_names))
		return "invalid";
	return kind_names[kind];
}

int
dun_out_kind_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(kind_names); i++)
		if (strcmp(kind_names[i], name) == 0)
			return (int)i;
	return -1;
}

void
dun_outbox__crash_point(const char *point)
{
	static int hits;
	const char *spec = getenv("DUNMAIL_TEST_CRASH_AT");
	size_t n;
	int want = 1;

	if (spec == NULL || *spec == '\0')
		return;
	n = strcspn(spec, ":");
	if (strlen(point) != n || strncmp(spec, point, n) != 0)
		return;
	if (spec[n] == ':')
		want = atoi(spec + n + 1);
	if (++hits == want) {
		fprintf(stderr, "dunmail: test crash at %s (%d)\n", point,
		    hits);
		_exit(99);
	}
}

void
dun_outbox_init(struct dun_outbox *ob, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_outbox_transport *tx)
{
	memset(ob, 0, sizeof(*ob));
	ob->store = store;
	ob->cfg = cfg;
	ob->tx = tx;
}

int64_t
dun_outbox_backoff(const struct dun_policy *policy, int attempts)
{
	int64_t wait;
	int i;

	if (attempts < 1)
		return 0;
	if (attempts >= policy->retry_max)
		return -1;
	wait = policy->retry_base_s > 0 ? policy->retry_base_s : 1;
	for (i = 1; i < attempts && wait < 7 * 86400; i++)
		wait *= 2;
	return wait;
}

int
dun_outbox_in_window(const struct dun_policy *policy, const char *tz,
    const char *region, dun_time_t now)
{
	struct tm tm;
	dun_date_t date;
	int minute;
	size_t i;

	if (dun_tz_localtime(&tm, now, tz) < 0)
		return 0;
	if (!(policy->weekdays & (1u << tm.tm_wday)))
		return 0;
	minute = tm.tm_hour * 60 + tm.tm_min;
	if (minute < policy->window_start || minute >= policy->window_end)
		return 0;
	date = dun_tz_date(now, tz);
	for (i = 0; i < policy->nholidays; i++)
		if (policy->holidays[i].date == date &&
		    (policy->holidays[i].region[0] == '\0' ||
		    (region && !strcmp(region, policy->holidays[i].region))))
			return 0;
	return 1;
}

/* One trail event per case of the row, in the caller's transaction; one
 * about no case for a row that has none (a forward of a reply that
 * matched no case), so its fate is in the trail too. */
static int
trail_cases(struct dun_outbox *ob, const struct dun_outbox_row *row,
    dun_time_t now, const char *kind, const char *extra_key,
    const char *extra_json)
{
	struct dun_trail_ref ref = { 0 };
	struct dun_buf detail = DUN_BUF_INIT;
	size_t i, n = row->ncases ? row->ncases : 1;
	int rc = 0;

	ref.debtor_id = row->debtor_id;
	ref.message_id = row->id;
	ref.message_sha256 = row->sha256;
	for (i = 0; i < n && rc == 0; i++) {
		dun_buf_clear(&detail);
		dun_json_open(&detail);
		dun_json_str(&detail, "message_id", row->message_id);
		dun_json_str(&detail, "kind", row->kind);
		dun_json_str(&detail, "template", row->template);
		dun_json_str(&detail, "stage", row->ncases ?
		    row->cases[i].stage : "");
		dun_json_str(&detail, "state",
		    dun_outbox_state_name(row->state));
		dun_json_int(&detail, "attempts", row->attempts);
		if (extra_key)
			dun_json_raw(&detail, extra_key, extra_json);
		dun_json_close(&detail);
		ref.case_id = row->ncases ? row->cases[i].case_id : 0;
		rc = dun_trail_append(ob->store, now, kind, &ref, detail.data);
	}
	dun_buf_free(&detail);
	return rc;
}

static void
json_rcpts(struct dun_buf *b, const struct dun_smtp_result *res)
{
	size_t i;

	dun_buf_puts(b, "[");
	for (i = 0; res && i < res->nrcpts; i++) {
		if (i)
			dun_buf_puts(b, ",");
		dun_json_open(b);
		dun_json_str(b, "address", res->rcpts[i].address);
		dun_json_str(b, "status",
		    dun_rcpt_status_name(res->rcpts[i].status));
		dun_json_int(b, "code", res->rcpts[i].code);
		dun_json_str(b, "reply", res->rcpts[i].reply ?
		    res->rcpts[i].reply : "");
		dun_json_close(b);
	}
	dun_buf_puts(b, "]");
}

int
dun_outbox_plan(struct dun_outbox *ob, int64_t *id_out,
    const struct dun_out_batch *batch, const struct dun_out_message *msg,
    dun_time_t now)
{
	const struct dun_policy *policy = &ob->cfg->policy;
	struct dun_outbox_row row;
	struct dun_buf extra = DUN_BUF_INIT;
	size_t i;
	int rc;

	memset(&row, 0, sizeof(row));
	if (msg->nrcpts == 0)
		return dun_error_set(DUN_EINVAL, "message %s has no "
		    "recipients", msg->message_id);
	row.debtor_id = batch->debtor_id;
	row.state = DUN_OUTBOX_PLANNED;
	row.kind = (char *)dun_out_kind_name(batch->kind);
	row.template = batch->template;
	row.language = msg->language;
	row.message_id = msg->message_id;
	row.in_reply_to = msg->in_reply_to;
	row.refs = msg->references;
	row.token = msg->token;
	row.subject = msg->subject;
	row.from = msg->from;
	row.size = (int64_t)msg->len;
	row.created_at = now;
	row.next_attempt_at = now;
	row.sent_copy = ob->cfg->imap_sent && *ob->cfg->imap_sent ? 0 : -1;
	row.cases = xcalloc(batch->ncases ? batch->ncases : 1,
	    sizeof(*row.cases));
	row.ncases = batch->ncases;
	for (i = 0; i < batch->ncases; i++) {
		int s = batch->stage_index ? batch->stage_index[i] : -1;
		row.cases[i].case_id = batch->case_ids[i];
		row.cases[i].stage_index = s;
		row.cases[i].stage = s >= 0 && (size_t)s < policy->nstages ?
		    policy->stages[s].template : "";
		row.cases[i].skipped = batch->skipped && batch->skipped[i] ?
		    batch->skipped[i] : "";
	}
	row.rcpts = xcalloc(msg->nrcpts, sizeof(*row.rcpts));
	row.nrcpts = msg->nrcpts;
	for (i = 0; i < msg->nrcpts; i++)
		row.rcpts[i].address = msg->rcpts[i];

	if ((rc = dun_store_begin(ob->store)) < 0)
		goto cleanup;
	/* The bytes ride on the caller's commit, with the row naming them. */
	if ((rc = dun_trail_put_blob(ob->store, row.sha256, msg->data,
	    msg->len, now)) < 0 ||
	    (rc = dun_store_outbox_insert(ob->store, &row.id, &row)) < 0)
		goto fail;
	/* The planned event names the recipients, subject and the stages
	 * caught up over, per case. */
	for (i = 0; i < row.ncases; i++) {
		struct dun_trail_ref ref = { 0 };
		size_t j;

		dun_buf_clear(&extra);
		dun_json_open(&extra);
		dun_json_str(&extra, "message_id", row.message_id);
		dun_json_str(&extra, "kind", row.kind);
		dun_json_str(&extra, "template", row.template);
		dun_json_str(&extra, "stage", row.cases[i].stage);
		dun_json_str(&extra, "skipped", row.cases[i].skipped);
		dun_json_str(&extra, "subject", row.subject);
		dun_buf_puts(&extra, ",\"to\":[");
		for (j = 0; j < row.nrcpts; j++) {
			dun_buf_puts(&extra, j ? ",\"" : "\"");
			dun_json_escape(&extra, row.rcpts[j].address);
			dun_buf_puts(&extra, "\"");
		}
		dun_buf_puts(&extra, "]");
		dun_json_close(&extra);
		ref.case_id = row.cases[i].case_id;
		ref.debtor_id = row.debtor_id;
		ref.message_id = row.id;
		ref.message_sha256 = row.sha256;
		if ((rc = dun_trail_append(ob->store, now, "planned", &ref,
		    extra.data)) < 0)
			goto fail;
	}
	if ((rc = dun_store_commit(ob->store)) < 0)
		goto cleanup;
	ob->stats.planned++;
	*id_out = row.id;
	log_debug("outbox: planned %s (%s) as row %lld", row.message_id,
	    row.template, (long long)row.id);
	dun_outbox__crash_point("planned");
	goto cleanup;
fail:
	dun_store_rollback(ob->store);
cleanup:
	dun_buf_free(&extra);
	free(row.cases);
	free(row.rcpts);
	return rc;
}

static void
set_text(char **field, const char *value)
{
	free(*field);
	*field = xstrndup(value ? value : "", REASON_CAP);
}

static int
record_rcpts(struct dun_outbox *ob, const struct dun_outbox_row *row,
    const struct dun_smtp_result *res)
{
	size_t i;
	int rc = 0;

	for (i = 0; res && i < res->nrcpts && rc == 0; i++)
		rc = dun_store_outbox_set_rcpt(ob->store, row->id,
		    res->rcpts[i].address,
		    dun_rcpt_status_name(res->rcpts[i].status),
		    res->rcpts[i].code, res->rcpts[i].reply);
	return rc;
}

/* Queues the row's cases for a person, and tells them (on_handoff). */
static int
handoff_cases(struct dun_outbox *ob, const struct dun_outbox_row *row,
    const char *kind, const char *reason, dun_time_t now)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < row->ncases && rc == 0; i++)
		rc = dun_store_handoff_insert(ob->store, NULL,
		    row->cases[i].case_id, row->id, reason, now);
	if (rc == 0 && ob->on_handoff)
		rc = ob->on_handoff(ob->store, ob->cfg, now, row, kind, reason);
	return rc;
}

/* The reminder stages advance only once the server has the message. */
static int
apply_stages(struct dun_outbox *ob, const struct dun_outbox_row *row,
    dun_time_t now)
{
	const struct dun_policy *policy = &ob->cfg->policy;
	struct dun_case_event ev;
	struct dun_debtor *d = NULL;
	size_t i;
	int rc = 0;

	if (strcmp(row->kind, "reminder") != 0)
		return 0;
	for (i = 0; i < row->ncases && rc == 0; i++) {
		if (row->cases[i].stage_index < 0)
			continue;
		dun_case_event_init(&ev, DUN_EV_REMINDER_SENT);
		ev.stage_index = row->cases[i].stage_index;
		ev.final_stage = (size_t)ev.stage_index + 1 ==
		    policy->nstages ||
		    strcmp(row->cases[i].stage, "final_notice") == 0;
		/* The deadline the letter named (outbound.c), from the day
		 * the server took it. */
		if (ev.final_stage && d == NULL &&
		    (rc = dun_store_debtor_get(ob->store, &d,
		    row->debtor_id)) < 0)
			break;
		if (ev.final_stage)
			ev.deadline = dun_sched_business_day(policy, d->region,
			    dun_tz_date(now, d->timezone) +
			    policy->final_deadline_days);
		rc = dun_case_apply(ob->store, ob->cfg, row->cases[i].case_id,
		    &ev, now, row->id, NULL, NULL, NULL);
	}
	dun_debtor_free(d);
	return rc;
}

/* sent: the row, recipients, trail, case stages and hand-offs for
 * refused recipients, in one transaction. res is NULL when reconciled. */
static int
record_sent(struct dun_outbox *ob, struct dun_outbox_row *row,
    const struct dun_smtp_result *res, dun_time_t now, const char *how)
{
	struct dun_buf extra = DUN_BUF_INIT;
	size_t i;
	int rc;

	row->state = DUN_OUTBOX_SENT;
	row->sent_at = now;
	row->next_attempt_at = 0;
	set_text(&row->smtp_reply, res ? res->reply : how);
	set_text(&row->last_error, "");
	dun_json_open(&extra);
	dun_json_str(&extra, "smtp_reply", row->smtp_reply);
	dun_json_str(&extra, "how", how);
	dun_buf_puts(&extra, ",\"recipients\":");
	json_rcpts(&extra, res);
	dun_json_close(&extra);
	/* Without waiting for the disk: the row is already 'sending',
	 * durably. A crash of the process cannot lose this commit; a power
	 * cut can, and leaves the row 'sending', which is reconciled. The
	 * next 'sending' commit's sync makes it durable anyway. */
	if ((rc = dun_store_set_relaxed(ob->store, 1)) < 0)
		goto cleanup;
	if ((rc = dun_store_begin(ob->store)) < 0)
		goto cleanup;
	if ((rc = dun_store_outbox_update(ob->store, row)) < 0 ||
	    (rc = record_rcpts(ob, row, res)) < 0 ||
	    (rc = trail_cases(ob, row, now, "sent", "result",
	    extra.data)) < 0 ||
	    (rc = apply_stages(ob, row, now)) < 0)
		goto fail;
	for (i = 0; res && i < res->nrcpts; i++) {
		char reason[REASON_CAP];

		if (res->rcpts[i].status == DUN_RCPT_ACCEPTED)
			continue;
		snprintf(reason, sizeof(reason), "recipient %s %s: %s",
		    res->rcpts[i].address,
		    dun_rcpt_status_name(res->rcpts[i].status),
		    res->rcpts[i].reply ? res->rcpts[i].reply : "");
		if ((rc = handoff_cases(ob, row, "recipient_refused", reason,
		    now)) < 0)
			goto fail;
	}
	rc = dun_store_commit(ob->store);
	goto cleanup;
fail:
	dun_store_rollback(ob->store);
cleanup:
	if (dun_store_set_relaxed(ob->store, 0) < 0 && rc == 0)
		rc = DUN_ESTORE;
	dun_buf_free(&extra);
	return rc;
}

/* failed or unknown: settled, with a hand-off per case. */
static int
record_settled(struct dun_outbox *ob, struct dun_outbox_row *row,
    enum dun_outbox_state state, const struct dun_smtp_result *res,
    const char *reason, dun_time_t now)
{
	struct dun_buf extra = DUN_BUF_INIT;
	char why[REASON_CAP];
	int rc;

	row->state = state;
	row->next_attempt_at = 0;
	set_text(&row->last_error, reason);
	if (res && res->reply)
		set_text(&row->smtp_reply, res->reply);
	dun_json_open(&extra);
	dun_json_str(&extra, "reason", row->last_error);
	dun_buf_puts(&extra, ",\"recipients\":");
	json_rcpts(&extra, res);
	dun_json_close(&extra);
	snprintf(why, sizeof(why), "%s: %s", state == DUN_OUTBOX_UNKNOWN ?
	    "send outcome unknown (do not resend before checking)" :
	    "send failed", row->last_error);
	if ((rc = dun_store_begin(ob->store)) < 0)
		goto cleanup;
	if ((rc = dun_store_outbox_update(ob->store, row)) < 0 ||
	    (rc = record_rcpts(ob, row, res)) < 0 ||
	    (rc = trail_cases(ob, row, now, state == DUN_OUTBOX_UNKNOWN ?
	    "send_unknown" : "send_failed", "result", extra.data)) < 0 ||
	    (rc = handoff_cases(ob, row, state == DUN_OUTBOX_UNKNOWN ?
	    "send_unknown" : "send_failed", why, now)) < 0)
		goto fail;
	rc = dun_store_commit(ob->store);
	if (rc == 0)
		log_warnx("%s %s (%s): %s", state == DUN_OUTBOX_UNKNOWN ?
		    "outcome unknown for" : "could not send", row->message_id,
		    row->template, row->last_error);
	goto cleanup;
fail:
	dun_store_rollback(ob->store);
cleanup:
	dun_buf_free(&extra);
	return rc;
}

static int
record_deferred(struct dun_outbox *ob, struct dun_outbox_row *row,
    const struct dun_smtp_result *res, const char *reason, int64_t wait,
    dun_time_t now)
{
	struct dun_buf extra = DUN_BUF_INIT;
	int rc;

	row->state = DUN_OUTBOX_PLANNED;
	row->next_attempt_at = now + wait;
	set_text(&row->last_error, reason);
	dun_json_open(&extra);
	dun_json_str(&extra, "reason", row->last_error);
	dun_json_int(&extra, "retry_at", row->next_attempt_at);
	dun_buf_puts(&extra, ",\"recipients\":");
	json_rcpts(&extra, res);
	dun_json_close(&extra);
	if ((rc = dun_store_begin(ob->store)) < 0)
		goto cleanup;
	if ((rc = dun_store_outbox_update(ob->store, row)) < 0 ||
	    (rc = record_rcpts(ob, row, res)) < 0 ||
	    (rc = trail_cases(ob, row, now, "send_deferred", "result",
	    extra.data)) < 0)
		goto fail;
	rc = dun_store_commit(ob->store);
	goto cleanup;
fail:
	dun_store_rollback(ob->store);
cleanup:
	dun_buf_free(&extra);
	return rc;
}

struct sending_ctx {
	struct dun_outbox *ob;
	struct dun_outbox_row *row;
	dun_time_t now;
};

/* From inside the SMTP transaction, before the end of data. */
static int
commit_sending(void *arg)
{
	struct sending_ctx *ctx = arg;
	struct dun_outbox *ob = ctx->ob;
	int rc;

	ctx->row->state = DUN_OUTBOX_SENDING;
	if ((rc = dun_store_begin(ob->store)) < 0)
		return rc;
	if ((rc = dun_store_outbox_update(ob->store, ctx->row)) < 0 ||
	    (rc = trail_cases(ob, ctx->row, ctx->now, "sending", NULL,
	    NULL)) < 0) {
		dun_store_rollback(ob->store);
		ctx->row->state = DUN_OUTBOX_PLANNED;
		return rc;
	}
	if ((rc = dun_store_commit(ob->store)) < 0) {
		ctx->row->state = DUN_OUTBOX_PLANNED;
		return rc;
	}
	dun_outbox__crash_point("sending");
	return 0;
}

static int
load_bytes(struct dun_outbox *ob, const struct dun_outbox_row *row,
    char **data_out, size_t *len_out)
{
	char sha[DUN_SHA256_HEX];
	int rc;

	if ((rc = dun_trail_get_blob(ob->store, data_out, len_out,
	    row->sha256)) < 0)
		return rc;
	dun_sha256_hex(sha, *data_out, *len_out);
	if (strcmp(sha, row->sha256) != 0) {
		free(*data_out);
		*data_out = NULL;
		return dun_error_set(DUN_ETAMPER, "stored message %s for %s "
		    "was altered; refusing to send it", row->sha256,
		    row->message_id);
	}
	return 0;
}

static void
copy_to_sent(struct dun_outbox *ob, struct dun_outbox_row *row,
    const char *data, size_t len)
{
	int rc, found = 0;

	if (row->sent_copy != 0 || ob->tx->sent_append == NULL)
		return;
	/* Some servers file submitted mail themselves, and a crash may
	 * have come between our append and its record. */
	if (ob->tx->sent_find && (rc = ob->tx->sent_find(ob->tx->arg,
	    row->message_id, &found)) < 0)
		found = 0;
	if (!found && (rc = ob->tx->sent_append(ob->tx->arg, data,
	    len)) < 0) {
		log_warnx("Sent copy of %s not saved (retried next run): %s",
		    row->message_id, dun_error_last());
		ob->stats.copy_errors++;
		return;
	}
	dun_outbox__crash_point("copied");
	if (dun_store_outbox_set_copy(ob->store, row->id, 1) == 0) {
		row->sent_copy = 1;
		ob->stats.copies++;
	}
}

/*
 * Records what became of a send: rc and res from the transport, err and
 * retry its error. Returns 0 when the row is settled for this run, or the
 * error that should stop the run.
 */
static int
settle(struct dun_outbox *ob, struct dun_outbox_row *row, int rc,
    struct dun_smtp_result *res, const char *err, dun_retry_t retry,
    const char *bytes, size_t len, dun_time_t now,
    enum dun_outbox_state *state_out)
{
	size_t i;
	int answered = 0;
	int64_t wait;

	if (rc == 0) {
		dun_outbox__crash_point("replied");
		if ((rc = record_sent(ob, row, res, now, "smtp")) < 0)
			return rc;
		*state_out = DUN_OUTBOX_SENT;
		ob->stats.sent++;
		log_info("sent %s (%s) to %zu recipient%s: %s",
		    row->message_id, row->template, row->nrcpts,
		    row->nrcpts == 1 ? "" : "s", row->smtp_reply);
		dun_outbox__crash_point("sent");
		copy_to_sent(ob, row, bytes, len);
		return 0;
	}
	if (row->state == DUN_OUTBOX_PLANNED && res->data_ended == 0 &&
	    (rc == DUN_ESTORE || rc == DUN_EIO))
		/* Our own store failed before the end of data. */
		return dun_error_set(rc, "%s", err);
	for (i = 0; i < res->nrcpts; i++)
		if (res->rcpts[i].code != 0)
			answered = 1;
	if (res->data_ended && res->code == 0) {
		/* The end of data went out; the answer never came. */
		*state_out = DUN_OUTBOX_UNKNOWN;
		ob->stats.unknown++;
		return record_settled(ob, row, DUN_OUTBOX_UNKNOWN, res, err,
		    now);
	}
	if (!answered && (rc == DUN_ETLS || rc == DUN_ECONFIG ||
	    (rc == DUN_EAUTH && retry == DUN_RETRY_FINAL))) {
		/* Nothing can go to this server: the row waits, the run
		 * stops and says why. */
		dun_error_set(rc, "%s", err);
		dun_error_set_retry(retry);
		return rc;
	}
	if (retry == DUN_RETRY_TEMP || retry == DUN_RETRY_WAIT) {
		wait = dun_outbox_backoff(&ob->cfg->policy, row->attempts);
		if (wait < 0) {
			char gave_up[REASON_CAP];
			snprintf(gave_up, sizeof(gave_up), "gave up after %d "
			    "attempts: %s", row->attempts, err);
			rc = record_settled(ob, row, DUN_OUTBOX_FAILED, res,
			    gave_up, now);
			*state_out = DUN_OUTBOX_FAILED;
			ob->stats.failed++;
		} else {
			rc = record_deferred(ob, row, res, err, wait, now);
			*state_out = DUN_OUTBOX_PLANNED;
			ob->stats.deferred++;
			log_warnx("deferred %s (%s), attempt %d, retry in "
			    "%llds: %s", row->message_id, row->template,
			    row->attempts, (long long)wait, err);
		}
		if (rc == 0 && !answered) {
			/* The server itself is unwell: stop this run. */
			rc = dun_error_set(DUN_ENET, "%s", err);
			dun_error_set_retry(retry);
		}
		return rc;
	}
	*state_out = DUN_OUTBOX_FAILED;
	ob->stats.failed++;
	return record_settled(ob, row, DUN_OUTBOX_FAILED, res, err, now);
}

static int
outbox_send(struct dun_outbox *ob, int64_t id,
    const struct dun_out_message *msg, dun_time_t now,
    enum dun_outbox_state *state_out)
{
	struct dun_outbox_row *row = NULL;
	struct dun_smtp_result res;
	struct sending_ctx ctx;
	char **rcpts = NULL;
	char *data = NULL, err[REASON_CAP];
	const char *bytes;
	size_t len = 0, i;
	dun_retry_t retry;
	int rc;

	memset(&res, 0, sizeof(res));
	err[0] = '\0';
	*state_out = DUN_OUTBOX_PLANNED;
	if ((rc = dun_store_outbox_get(ob->store, &row, id)) < 0)
		return rc;
	if (row->state != DUN_OUTBOX_PLANNED) {
		*state_out = row->state;
		dun_outbox_row_free(row);
		return 0;
	}
	if (msg) {
		/* Planned from msg a moment ago in this process: its hash is
		 * the row's (dun_outbox_plan computed it from these bytes). */
		if (strcmp(msg->message_id, row->message_id) != 0 ||
		    (int64_t)msg->len != row->size) {
			rc = dun_error_set(DUN_EINVAL, "message %s: the bytes "
			    "given are not the planned ones", row->message_id);
			goto cleanup;
		}
		bytes = msg->data;
		len = msg->len;
	} else if ((rc = load_bytes(ob, row, &data, &len)) < 0) {
		if (rc == DUN_ETAMPER) {
			snprintf(err, sizeof(err), "%s", dun_error_last());
			rc = record_settled(ob, row, DUN_OUTBOX_FAILED, NULL,
			    err, now);
			*state_out = row->state;
			ob->stats.failed++;
		}
		goto cleanup;
	} else
		bytes = data;
	rcpts = xcalloc(row->nrcpts + 1, sizeof(*rcpts));
	for (i = 0; i < row->nrcpts; i++)
		rcpts[i] = row->rcpts[i].address;
	ctx.ob = ob;
	ctx.row = row;
	ctx.now = now;
	row->attempts++;
	rc = ob->tx->send(ob->tx->arg, &res, row->from, rcpts, row->nrcpts,
	    bytes, len, commit_sending, &ctx);
	if (rc < 0) {
		retry = dun_error_retry();
		snprintf(err, sizeof(err), "%s", dun_error_last());
	} else
		retry = DUN_RETRY_NONE;
	rc = settle(ob, row, rc, &res, err, retry, bytes, len, now,
	    state_out);
cleanup:
	dun_smtp_result_free(&res);
	free(rcpts);
	free(data);
	dun_outbox_row_free(row);
	return rc;
}

int
dun_outbox_send(struct dun_outbox *ob, int64_t id, dun_time_t now,
    enum dun_outbox_state *state_out)
{
	return outbox_send(ob, id, NULL, now, state_out);
}

int
dun_outbox_send_planned(struct dun_outbox *ob, int64_t id,
    const struct dun_out_message *msg, dun_time_t now,
    enum dun_outbox_state *state_out)
{
	return outbox_send(ob, id, msg, now, state_out);
}

struct group_ctx {
	struct dun_outbox *ob;
	dun_time_t now;
};

/* The group's one 'sending' commit, from inside the SMTP transfers,
 * before any of their ends of data. */
static int
commit_sending_group(void *arg, struct dun_smtp_job **jobs, size_t n)
{
	struct group_ctx *g = arg;
	struct dun_outbox *ob = g->ob;
	size_t i;
	int rc;

	if ((rc = dun_store_begin(ob->store)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		struct dun_outbox_row *row = jobs[i]->arg;

		row->state = DUN_OUTBOX_SENDING;
		if ((rc = dun_store_outbox_update(ob->store, row)) == 0)
			rc = trail_cases(ob, row, g->now, "sending", NULL,
			    NULL);
	}
	if (rc < 0)
		dun_store_rollback(ob->store);
	else
		rc = dun_store_commit(ob->store);
	for (i = 0; i < n; i++) {
		struct dun_outbox_row *row = jobs[i]->arg;

		if (rc < 0)
			row->state = DUN_OUTBOX_PLANNED;
		else
			dun_outbox__crash_point("sending");
	}
	return rc;
}

/* The sent rows of a group: one transaction, committed without waiting
 * for the disk (they are all durably 'sending' already). */
static int
record_sent_group(struct dun_outbox *ob, struct dun_outbox_row **rows,
    struct dun_smtp_job *jobs, size_t k, dun_time_t now)
{
	size_t i;
	int rc;

	for (i = 0; i < k; i++)
		if (jobs[i].rc == 0)
			dun_outbox__crash_point("replied");
	if ((rc = dun_store_set_relaxed(ob->store, 1)) < 0)
		return rc;
	if ((rc = dun_store_begin(ob->store)) == 0) {
		for (i = 0; i < k && rc == 0; i++)
			if (jobs[i].rc == 0)
				rc = record_sent(ob, rows[i], &jobs[i].res,
				    now, "smtp");
		if (rc < 0)
			dun_store_rollback(ob->store);
		else
			rc = dun_store_commit(ob->store);
	}
	if (dun_store_set_relaxed(ob->store, 0) < 0 && rc == 0)
		rc = DUN_ESTORE;
	return rc;
}

int
dun_outbox_send_group(struct dun_outbox *ob, const int64_t *ids,
    const struct dun_out_message *msgs, size_t n, dun_time_t now,
    enum dun_outbox_state *states_out)
{
	struct dun_smtp_job jobs[DUN_SMTP_GROUP_MAX];
	struct dun_outbox_row *rows[DUN_SMTP_GROUP_MAX];
	size_t slot[DUN_SMTP_GROUP_MAX]; /* job -> its index in ids, msgs */
	struct group_ctx g = { ob, now };
	size_t i, j, k = 0;
	int rc = 0, first = 0;

	if (n > DUN_SMTP_GROUP_MAX || ob->tx->send_group == NULL)
		return dun_error_set(DUN_EINVAL, "this transport cannot send "
		    "%zu messages at once", n);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < n; i++) {
		struct dun_outbox_row *row = NULL;
		char **rcpts;

		states_out[i] = DUN_OUTBOX_PLANNED;
		if ((rc = dun_store_outbox_get(ob->store, &row, ids[i])) < 0)
			goto cleanup;
		if (row->state != DUN_OUTBOX_PLANNED ||
		    strcmp(msgs[i].message_id, row->message_id) != 0 ||
		    (int64_t)msgs[i].len != row->size) {
			/* Not for sending now, or not these bytes: leave it
			 * to the single path, which checks it again. */
			states_out[i] = row->state;
			dun_outbox_row_free(row);
			continue;
		}
		rcpts = xcalloc(row->nrcpts + 1, sizeof(*rcpts));
		for (j = 0; j < row->nrcpts; j++)
			rcpts[j] = row->rcpts[j].address;
		row->attempts++;
		jobs[k].from = row->from;
		jobs[k].rcpts = rcpts;
		jobs[k].nrcpts = row->nrcpts;
		jobs[k].data = msgs[i].data;
		jobs[k].len = msgs[i].len;
		jobs[k].arg = row;
		slot[k] = i;
		rows[k++] = row;
	}
	if (k == 0)
		goto cleanup;
	if ((rc = ob->tx->send_group(ob->tx->arg, jobs, k,
	    commit_sending_group, &g)) < 0)
		goto cleanup;
	/* The accepted ones are recorded in one transaction, without
	 * waiting for the disk, as record_sent does for one. */
	if ((first = record_sent_group(ob, rows, jobs, k, now)) < 0)
		goto cleanup;
	for (i = 0; i < k; i++) {
		const struct dun_out_message *msg = &msgs[slot[i]];
		enum dun_outbox_state *st = &states_out[slot[i]];

		if (jobs[i].rc == 0) {
			*st = DUN_OUTBOX_SENT;
			ob->stats.sent++;
			log_info("sent %s (%s) to %zu recipient%s: %s",
			    rows[i]->message_id, rows[i]->template,
			    rows[i]->nrcpts, rows[i]->nrcpts == 1 ? "" : "s",
			    rows[i]->smtp_reply);
			dun_outbox__crash_point("sent");
			copy_to_sent(ob, rows[i], msg->data, msg->len);
			continue;
		}
		rc = settle(ob, rows[i], jobs[i].rc, &jobs[i].res,
		    jobs[i].error, jobs[i].retry, msg->data, msg->len, now,
		    st);
		if (rc < 0 && first == 0)
			first = rc;
	}
	rc = first;
cleanup:
	for (i = 0; i < k; i++) {
		dun_smtp_result_free(&jobs[i].res);
		free((void *)jobs[i].rcpts);
		dun_outbox_row_free(rows[i]);
	}
	return rc;
}

int
dun_outbox_cancel(struct dun_outbox *ob, int64_t id, dun_time_t now,
    const char *why)
{
	struct dun_outbox_row *row = NULL;
	struct dun_buf extra = DUN_BUF_INIT;
	int rc;

	if ((rc = dun_store_outbox_get(ob->store, &row, id)) < 0)
		return rc;
	if (row->state != DUN_OUTBOX_PLANNED)
		goto cleanup;
	row->state = DUN_OUTBOX_CANCELLED;
	row->next_attempt_at = 0;
	set_text(&row->last_error, why);
	dun_buf_puts(&extra, "\"");
	dun_json_escape(&extra, row->last_error);
	dun_buf_puts(&extra, "\"");
	if ((rc = dun_store_begin(ob->store)) < 0)
		goto cleanup;
	if ((rc = dun_store_outbox_update(ob->store, row)) < 0 ||
	    (rc = trail_cases(ob, row, now, "send_cancelled", "reason",
	    extra.data)) < 0) {
		dun_store_rollback(ob->store);
		goto cleanup;
	}
	if ((rc = dun_store_commit(ob->store)) == 0) {
		ob->stats.cancelled++;
		log_info("cancelled %s (%s): %s", row->message_id,
		    row->template, why);
	}
cleanup:
	dun_buf_free(&extra);
	dun_outbox_row_free(row);
	return rc;
}

int
dun_outbox_reconcile(struct dun_outbox *ob, dun_time_t now)
{
	struct dun_outbox_list list;
	size_t i;
	int rc, found;

	if ((rc = dun_store_outbox_list(ob->store, &list, DUN_OUTBOX_SENDING,
	    0)) < 0)
		return rc;
	for (i = 0; i < list.count && rc == 0; i++) {
		struct dun_outbox_row *row = list.items[i];

		found = 0;
		if (ob->tx->sent_find) {
			if (ob->tx->sent_find(ob->tx->arg, row->message_id,
			    &found) < 0) {
				/* Ask again next run; the cases stay held. */
				log_warnx("cannot reconcile %s now: %s",
				    row->message_id, dun_error_last());
				continue;
			}
		}
		ob->stats.reconciled++;
		if (found) {
			row->sent_copy = 1;
			rc = record_sent(ob, row, NULL, now, "reconciled: "
			    "found in the Sent folder after a crash");
			ob->stats.sent++;
		} else {
			rc = record_settled(ob, row, DUN_OUTBOX_UNKNOWN, NULL,
			    ob->tx->sent_find ? "interrupted while sending "
			    "and not in the Sent folder: it may or may not "
			    "have been delivered" : "interrupted while "
			    "sending; no Sent folder to check: it may or may "
			    "not have been delivered", now);
			ob->stats.unknown++;
		}
	}
	dun_outbox_list_free(&list);
	return rc;
}

int
dun_outbox_copy_pending(struct dun_outbox *ob, dun_time_t now)
{
	struct dun_outbox_list list;
	char *data;
	size_t i, len;
	int rc;

	(void)now;
	if (ob->tx->sent_append == NULL)
		return 0;
	if ((rc = dun_store_outbox_list_copy_pending(ob->store, &list)) < 0)
		return rc;
	for (i = 0; i < list.count; i++) {
		if (load_bytes(ob, list.items[i], &data, &len) < 0) {
			log_warnx("Sent copy of %s: %s",
			    list.items[i]->message_id, dun_error_last());
			continue;
		}
		copy_to_sent(ob, list.items[i], data, len);
		free(data);
	}
	dun_outbox_list_free(&list);
	return 0;
}

/* The real transport. */

struct outbox_net {
	const struct dun_config *cfg; /* borrowed */
	struct dun_smtp *smtp;        /* owned */
	struct dun_smtp *conns[DUN_SMTP_GROUP_MAX]; /* owned; for groups */
	struct dun_smtp_group *group; /* owned; their pool */
	struct dun_imap *imap;        /* owned */
};

static int
net_send(void *arg, struct dun_smtp_result *res, const char *from,
    char *const *rcpts, size_t nrcpts, const char *data, size_t len,
    dun_smtp_commit_fn commit, void *commit_arg)
{
	struct outbox_net *n = arg;
	int rc;

	memset(res, 0, sizeof(*res));
	if (n->smtp == NULL && (rc = dun_smtp_open(&n->smtp, &n->cfg->smtp,
	    n->cfg->msgid_domain)) < 0)
		return rc;
	return dun_smtp_send(n->smtp, res, from, rcpts, nrcpts, data, len,
	    commit, commit_arg);
}

static int
net_send_group(void *arg, struct dun_smtp_job *jobs, size_t n,
    dun_smtp_group_commit_fn commit, void *commit_arg)
{
	struct outbox_net *net = arg;
	size_t i;
	int rc;

	if (net->group == NULL && (rc = dun_smtp_group_new(&net->group)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (net->conns[i] == NULL && (rc = dun_smtp_open(&net->conns[i],
		    &net->cfg->smtp, net->cfg->msgid_domain)) < 0)
			return rc;
		jobs[i].smtp = net->conns[i];
	}
	return dun_smtp_send_group(net->group, jobs, n, commit, commit_arg);
}

static int
net_imap(struct outbox_net *n)
{
	if (n->imap)
		return 0;
	return dun_imap_connect(&n->imap, n->cfg);
}

static int
net_sent_append(void *arg, const char *data, size_t len)
{
	struct outbox_net *n = arg;
	int rc;

	if ((rc = net_imap(n)) < 0)
		return rc;
	if ((rc = dun_imap_append(n->imap, n->cfg->imap_sent, data,
	    len)) < 0) {
		/* Reconnect next time rather than trust the session. */
		dun_imap_close(n->imap);
		n->imap = NULL;
	}
	return rc;
}

static int
net_sent_find(void *arg, const char *message_id, int *found)
{
	struct outbox_net *n = arg;
	int rc;

	*found = 0;
	if ((rc = net_imap(n)) < 0)
		return rc;
	if ((rc = dun_imap_find_message_id(n->imap, n->cfg->imap_sent,
	    message_id, found)) < 0) {
		dun_imap_close(n->imap);
		n->imap = NULL;
	}
	return rc;
}

int
dun_outbox_net_open(struct dun_outbox_transport *tx,
    const struct dun_config *cfg)
{
	struct outbox_net *n = xcalloc(1, sizeof(*n));

	memset(tx, 0, sizeof(*tx));
	n->cfg = cfg;
	tx->send = net_send;
	tx->send_group = net_send_group;
	if (cfg->imap_sent && *cfg->imap_sent) {
		tx->sent_append = net_sent_append;
		tx->sent_find = net_sent_find;
	}
	tx->arg = n;
	return 0;
}

void
dun_outbox_net_close(struct dun_outbox_transport *tx)
{
	struct outbox_net *n = tx->arg;
	size_t i;

	if (n == NULL)
		return;
	dun_smtp_close(n->smtp);
	for (i = 0; i < DUN_SMTP_GROUP_MAX; i++)
		dun_smtp_close(n->conns[i]);
	dun_smtp_group_free(n->group);
	if (n->imap)
		dun_imap_close(n->imap);
	free(n);
	/* Closed all through: callers reopen when send is NULL. */
	memset(tx, 0, sizeof(*tx));
}
