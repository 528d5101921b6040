/*
 * The content half of outbound dunning on top of the store: turning the
 * scheduler's plan into batches, re-checking stop conditions, and
 * rendering and composing one batch into message bytes.
 * See outbound.h, sched.h and docs/policy.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/agent/outbound.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/core/address.h"
#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/compose.h"
#include "dunmail/mail/render.h"

/* A reminder continues the debtor's thread (same token, In-Reply-To the
 * last message) if that message went within this many days. */
#define THREAD_DAYS 90
/* References keeps the thread's first id and this many of the last. */
#define REFS_KEEP 9
#define PDF_CAP (32u << 20)

int
dun_outbound_due(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, struct dun_out_batches *out)
{
	struct dun_sched_plan plan;
	size_t from, i;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Due dates passing, promises broken, holds ending: the state
	 * machine's transitions go into the store (and its trail) first, so
	 * what is planned is what the store says. */
	if ((rc = dun_workflow_tick(store, cfg, now)) < 0)
		return rc;
	if ((rc = dun_sched_load(&plan, store, cfg, now, 0)) < 0)
		return rc;
	for (from = 0; from < plan.count; from = i) {
		for (i = from + 1; i < plan.count &&
		    plan.debtors[i] == plan.debtors[from]; i++)
			;
		dun_sched_batches(out, plan.debtors[from]->id,
		    plan.items + from, i - from);
	}
	for (i = 0; i < out->count; i++)
		log_trace(TRACE_SCHED, "due: debtor %lld %s, %zu case(s)",
		    (long long)out->items[i].debtor_id, out->items[i].template,
		    out->items[i].ncases);
	dun_sched_plan_free(&plan);
	return 0;
}

/* --- recheck --------------------------------------------------------- */

/* The scheduler's rule (sched.c contact_ok): not marked invalid, and an
 * address send can write. */
static int
sendable(const struct dun_debtor *d, size_t i)
{
	return !d->email_invalid[i] && dun_email_valid(d->emails[i]);
}

static int
has_valid_contact(const struct dun_debtor *d)
{
	size_t i;

	for (i = 0; i < d->nemails; i++)
		if (sendable(d, i))
			return 1;
	return 0;
}

/* Why a case may no longer get this message, or NULL if it may. */
static const char *
case_stop(const struct dun_case *c, const struct dun_invoice *inv,
    const struct dun_out_batch *batch, const struct dun_policy *policy,
    const char *tz, dun_time_t now)
{
	if (batch->kind == DUN_OUT_REMINDER) {
		if (c->state != DUN_CASE_UPCOMING &&
		    c->state != DUN_CASE_OVERDUE &&
		    c->state != DUN_CASE_ESCALATED)
			return dun_case_state_name(c->state);
		if (inv->open_minor <= 0)
			return "nothing owed";
		if (c->hold_until > now)
			return "held";
		if (c->promised_on != DUN_DATE_NONE && dun_tz_date(now, tz) <=
		    c->promised_on + policy->promise_grace_days)
			return "a promise to pay is in force";
		return NULL;
	}
	if (!dun_sched_answer_allowed(batch->template, c->state,
	    inv->open_minor))
		return dun_case_state_name(c->state);
	return NULL;
}

static void
batch_drop(struct dun_out_batch *batch, size_t i)
{
	if (batch->skipped) {
		free(batch->skipped[i]);
		memmove(batch->skipped + i, batch->skipped + i + 1,
		    (batch->ncases - i - 1) * sizeof(*batch->skipped));
	}
	if (batch->stage_index)
		memmove(batch->stage_index + i, batch->stage_index + i + 1,
		    (batch->ncases - i - 1) * sizeof(*batch->stage_index));
	memmove(batch->case_ids + i, batch->case_ids + i + 1,
	    (batch->ncases - i - 1) * sizeof(*batch->case_ids));
	batch->ncases--;
}

/* The letter's stage is its most advanced invoice's. When the invoice
 * that gave it is dropped, the letter is worded by the stage left; an
 * invoice listed only to make a final notice complete (stage -1) goes
 * only in a final notice. */
static void
reword(struct dun_out_batch *batch, const struct dun_policy *policy,
    struct dun_buf *why)
{
	size_t i;
	int top = -1;

	if (batch->stage_index == NULL)
		return;
	for (i = 0; i < batch->ncases; i++)
		if (batch->stage_index[i] > top)
			top = batch->stage_index[i];
	if (top < 0 || (size_t)top >= policy->nstages) {
		if (batch->ncases)
			dun_buf_printf(why, "%sno invoice left at a stage of "
			    "its own", why->len ? "; " : "");
		while (batch->ncases)
			batch_drop(batch, batch->ncases - 1);
		return;
	}
	if (strcmp(batch->template, policy->stages[top].template) == 0)
		return;
	free(batch->template);
	batch->template = xstrdup(policy->stages[top].template);
	if ((size_t)top + 1 == policy->nstages)
		return;
	for (i = 0; i < batch->ncases;)
		if (batch->stage_index[i] < 0)
			batch_drop(batch, i);
		else
			i++;
}

int
dun_outbound_recheck(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, struct dun_out_batch *batch, char **why_out)
{
	struct dun_debtor *d = NULL;
	struct dun_case *c = NULL;
	struct dun_invoice *inv = NULL;
	struct dun_buf why = DUN_BUF_INIT;
	const char *stop = NULL;
	size_t i;
	int rc, pending;

	if (why_out)
		*why_out = NULL;
	/* A forward goes to our own people: no debtor condition stops it. */
	if (batch->kind == DUN_OUT_FORWARD)
		return 1;
	if ((rc = dun_store_debtor_get(store, &d, batch->debtor_id)) < 0)
		return rc;
	if (d->opted_out)
		stop = "the debtor opted out";
	else if (!has_valid_contact(d))
		stop = "no valid contact address";
	else if ((rc = dun_store_reply_pending(store, &pending, d->id)) < 0)
		goto cleanup;
	else if (pending)
		stop = "a reply from the debtor is not yet processed";
	if (stop) {
		dun_buf_puts(&why, stop);
		while (batch->ncases)
			batch_drop(batch, batch->ncases - 1);
	}
	for (i = 0; i < batch->ncases;) {
		if ((rc = dun_store_case_get(store, &c,
		    batch->case_ids[i])) < 0 ||
		    (rc = dun_store_invoice_get_id(store, &inv,
		    c->invoice_id)) < 0)
			goto cleanup;
		stop = case_stop(c, inv, batch, &cfg->policy, d->timezone, now);
		if (stop) {
			dun_buf_printf(&why, "%s%s: %s", why.len ? "; " : "",
			    c->invoice_number, stop);
			batch_drop(batch, i);
		} else
			i++;
		dun_case_free(c);
		dun_invoice_free(inv);
		c = NULL;
		inv = NULL;
	}
	if (batch->kind == DUN_OUT_REMINDER)
		reword(batch, &cfg->policy, &why);
	rc = batch->ncases > 0;
	if (why_out && why.len)
		*why_out = dun_buf_detach(&why, NULL);
cleanup:
	dun_buf_free(&why);
	dun_case_free(c);
	dun_invoice_free(inv);
	dun_debtor_free(d);
	return rc;
}

/* --- prepare ----------------------------------------------------------- */

struct prepared {
	struct dun_debtor *debtor;
	struct dun_case **cases;
	struct dun_invoice **invoices;
	struct dun_render_invoice *rinv;
	char **pdf_data;
	size_t *pdf_len;
	size_t n;
};

static void
prepared_free(struct prepared *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		dun_case_free(p->cases[i]);
		dun_invoice_free(p->invoices[i]);
		free(p->pdf_data[i]);
	}
	free(p->cases);
	free(p->invoices);
	free(p->rinv);
	free(p->pdf_data);
	free(p->pdf_len);
	dun_debtor_free(p->debtor);
	memset(p, 0, sizeof(*p));
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The PDF must be the one imported: a file changed since would attach a
 * different invoice than the one the email names. */
static int
read_pdf(char **out, size_t *len_out, const struct dun_invoice *inv)
{
	char sha[DUN_SHA256_HEX];
	int rc;

	if ((rc = dun_file_read(out, len_out, inv->pdf_path, PDF_CAP)) < 0)
		return dun_error_set(DUN_EIO, "invoice %s: cannot read its PDF "
		    "%s: %s; nothing was sent for this debtor", inv->number,
		    inv->pdf_path, dun_error_last());
	dun_sha256_hex(sha, *out, *len_out);
	if (*inv->pdf_sha256 && strcmp(sha, inv->pdf_sha256) != 0) {
		free(*out);
		*out = NULL;
		return dun_error_set(DUN_EIO, "invoice %s: the PDF %s changed "
		    "since the ledger import (sha256 %s, imported %s); restore "
		    "it or import the ledger again; nothing was sent for this "
		    "debtor", inv->number, inv->pdf_path, sha, inv->pdf_sha256);
	}
	return 0;
}

static int
load_batch(struct prepared *p, struct dun_store *store,
    const struct dun_out_batch *batch)
{
	size_t i;
	int rc, top = -1;

	memset(p, 0, sizeof(*p));
	for (i = 0; batch->kind == DUN_OUT_REMINDER && batch->stage_index &&
	    i < batch->ncases; i++)
		if (batch->stage_index[i] > top)
			top = batch->stage_index[i];
	if ((rc = dun_store_debtor_get(store, &p->debtor,
	    batch->debtor_id)) < 0)
		return rc;
	p->cases = xcalloc(batch->ncases + 1, sizeof(*p->cases));
	p->invoices = xcalloc(batch->ncases + 1, sizeof(*p->invoices));
	p->rinv = xcalloc(batch->ncases + 1, sizeof(*p->rinv));
	p->pdf_data = xcalloc(batch->ncases + 1, sizeof(*p->pdf_data));
	p->pdf_len = xcalloc(batch->ncases + 1, sizeof(*p->pdf_len));
	for (i = 0; i < batch->ncases; i++) {
		p->n = i + 1;
		if ((rc = dun_store_case_get(store, &p->cases[i],
		    batch->case_ids[i])) < 0 ||
		    (rc = dun_store_invoice_get_id(store, &p->invoices[i],
		    p->cases[i]->invoice_id)) < 0)
			return rc;
		if (p->cases[i]->debtor_id != batch->debtor_id)
			return dun_error_set(DUN_EINVAL, "invoice %s is not "
			    "the debtor's", p->invoices[i]->number);
		p->rinv[i].number = p->invoices[i]->number;
		p->rinv[i].issue_date = p->invoices[i]->issue_date;
		p->rinv[i].due_date = p->invoices[i]->due_date;
		p->rinv[i].currency = p->invoices[i]->currency;
		p->rinv[i].amount_minor = p->invoices[i]->amount_minor;
		p->rinv[i].open_minor = p->invoices[i]->open_minor;
		p->rinv[i].pdf_name = base_name(p->invoices[i]->pdf_path);
		/* Each invoice is worded at its own stage: one behind the
		 * letter's is "also overdue", not "reminded again". */
		p->rinv[i].behind = top >= 0 && batch->stage_index[i] < top;
	}
	return 0;
}

/* The promise the message speaks of: the case row's, or for a broken
 * one (the transition cleared it) the date its follow-up was set from. */
static void
promise_of(struct dun_render_vars *v, struct dun_store *store,
    const struct dun_config *cfg, const struct prepared *p)
{
	dun_time_t next_at;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->cases[i]->promised_on != DUN_DATE_NONE) {
			v->promised_on = p->cases[i]->promised_on;
			v->promised_minor = p->cases[i]->promised_minor;
			return;
		}
	}
	for (i = 0; i < p->n; i++)
		if (dun_store_case_promise_followup(store, &next_at,
		    p->cases[i]->id) == 0 && next_at > 0) {
			/* next_at = window start of promised + grace + 1. */
			v->promised_on = dun_tz_date(next_at,
			    p->debtor->timezone) -
			    cfg->policy.promise_grace_days - 1;
			return;
		}
}

static char *
references_for(const char *prev_refs, const char *prev_id)
{
	char *all = xasprintf("%s %s", prev_refs ? prev_refs : "",
	    prev_id ? prev_id : ""), *tok, *save = NULL;
	char **ids = NULL;
	size_t n = 0, i;
	struct dun_buf b = DUN_BUF_INIT;

	for (tok = strtok_r(all, " \t", &save); tok;
	    tok = strtok_r(NULL, " \t", &save)) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = tok;
	}
	dun_buf_puts(&b, "");
	/* RFC 5322 3.6.4: keep the first; here also the newest few. */
	for (i = 0; i < n; i++)
		if (i == 0 || i + REFS_KEEP >= n)
			dun_buf_printf(&b, "%s%s", b.len ? " " : "", ids[i]);
	free(ids);
	free(all);
	return dun_buf_detach(&b, NULL);
}

/* Preview ids: derived from the batch, so a preview is repeatable and
 * can never be mistaken for a sent message. */
static void
derived(char *out, size_t n, const char *alphabet, const char *seed)
{
	char hex[DUN_SHA256_HEX];
	size_t i, k = strlen(alphabet);

	dun_sha256_hex(hex, seed, strlen(seed));
	for (i = 0; i < n && i < 32; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = alphabet[v % k];
	}
	out[i] = '\0';
}

static int
outbound_compose(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_out_batch *batch, int preview,
    struct dun_out_message *out)
{
	struct prepared p;
	struct dun_render_vars vars;
	struct dun_rendered r;
	struct dun_compose_input in;
	struct dun_compose_attachment *att = NULL;
	const char *lang;
	char *prev_id = NULL, *prev_refs = NULL, *prev_token = NULL;
	char rnd[24], ymd[11], seed[256];
	size_t i, natt = 0;
	int rc, y, m, dd;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (batch->ncases == 0)
		return dun_error_set(DUN_EINVAL, "an empty batch");
	if ((rc = load_batch(&p, store, batch)) < 0)
		goto cleanup;
	/* zh-TW and zh in Taiwan, Hong Kong, Macao read Traditional. */
	lang = dun_render_language(*p.debtor->language ? p.debtor->language :
	    cfg->language, p.debtor->region);

	rc = dun_store_thread_last(store, &prev_id, &prev_refs, &prev_token,
	    p.debtor->id, now - (dun_time_t)THREAD_DAYS * 86400);
	if (rc < 0 && rc != DUN_ENOTFOUND)
		goto cleanup;
	snprintf(seed, sizeof(seed), "%s|%s|%lld|%lld", p.debtor->ref,
	    batch->template, (long long)now, (long long)batch->case_ids[0]);
	out->token = prev_token && *prev_token ? xstrdup(prev_token) : NULL;
	if (out->token == NULL) {
		if (preview)
			derived(rnd, 6, DUN_TOKEN_ALPHABET, seed);
		else
			dun_compose_random(rnd, 6, DUN_TOKEN_ALPHABET);
		out->token = xasprintf("DUN-%s", rnd);
	}
	dun_date_to_ymd(dun_tz_date(now, cfg->timezone), &y, &m, &dd);
	snprintf(ymd, sizeof(ymd), "%04d%02d%02d", y, m, dd);
	if (preview) {
		derived(rnd, 16, DUN_MSGID_ALPHABET, seed);
		out->message_id = xasprintf("dun.%s.preview-%s@%s", ymd, rnd,
		    cfg->msgid_domain);
	} else {
		dun_compose_random(rnd, 16, DUN_MSGID_ALPHABET);
		out->message_id = xasprintf("dun.%s.%s@%s", ymd, rnd,
		    cfg->msgid_domain);
	}
	out->in_reply_to = xstrdup(prev_id ? prev_id : "");
	out->references = prev_id ? references_for(prev_refs, prev_id) :
	    xstrdup("");

	memset(&vars, 0, sizeof(vars));
	vars.debtor_name = p.debtor->name;
	vars.debtor_ref = p.debtor->ref;
	vars.token = out->token;
	vars.today = dun_tz_date(now, p.debtor->timezone);
	vars.promised_on = DUN_DATE_NONE;
	vars.promised_minor = -1;
	/* A deadline on a day the debtor does business (apply_stages in
	 * outbox.c waits for the same day). */
	vars.final_deadline = dun_sched_business_day(&cfg->policy,
	    p.debtor->region, vars.today + cfg->policy.final_deadline_days);
	vars.invoices = p.rinv;
	vars.ninvoices = p.n;
	if (batch->kind == DUN_OUT_PROMISE_CONFIRM ||
	    batch->kind == DUN_OUT_PROMISE_BROKEN)
		promise_of(&vars, store, cfg, &p);
	if ((rc = dun_render(&r, cfg, lang, batch->template, &vars)) < 0)
		goto cleanup;

	if (batch->kind == DUN_OUT_REMINDER ||
	    batch->kind == DUN_OUT_INVOICE_COPY || r.names_pdf) {
		att = xcalloc(p.n + 1, sizeof(*att));
		for (i = 0; i < p.n; i++) {
			if (*p.invoices[i]->pdf_path == '\0')
				continue;
			if ((rc = read_pdf(&p.pdf_data[i], &p.pdf_len[i],
			    p.invoices[i])) < 0)
				goto cleanup;
			att[natt].filename = p.rinv[i].pdf_name;
			att[natt].content_type = "application/pdf";
			att[natt].data = p.pdf_data[i];
			att[natt].len = p.pdf_len[i];
			natt++;
		}
	}

	out->rcpts = xcalloc(p.debtor->nemails + 1, sizeof(*out->rcpts));
	for (i = 0; i < p.debtor->nemails; i++)
		if (sendable(p.debtor, i))
			out->rcpts[out->nrcpts++] =
			    xstrdup(p.debtor->emails[i]);
		else if (!p.debtor->email_invalid[i])
			log_warnx("debtor %s: not sending to '%s': not an "
			    "address dunmail can write (ASCII only); replace "
			    "it in the ledger", p.debtor->ref,
			    p.debtor->emails[i]);
	if (out->nrcpts == 0) {
		rc = dun_error_set(DUN_EINVAL, "debtor %s has no valid contact "
		    "address", p.debtor->ref);
		goto cleanup;
	}
	out->subject = xstrdup(r.subject);
	out->from = xstrdup(cfg->sender_email);
	out->language = xstrdup(lang);

	memset(&in, 0, sizeof(in));
	/* The sender's name in the debtor's language (name[zh] = ...). */
	in.from_name = dun_config_sender(cfg, "name", lang, NULL);
	if (in.from_name == NULL || *in.from_name == '\0')
		in.from_name = dun_config_sender(cfg, "company", lang, NULL);
	in.from_addr = cfg->sender_email;
	in.to_name = p.debtor->name;
	in.to_addrs = (const char *const *)out->rcpts;
	in.nto = out->nrcpts;
	in.subject = r.subject;
	in.message_id = out->message_id;
	in.in_reply_to = out->in_reply_to;
	in.references = out->references;
	in.token = out->token;
	in.reply_to = cfg->reply_to;
	in.unsubscribe_to = cfg->list_unsubscribe ? (cfg->reply_to &&
	    *cfg->reply_to ? cfg->reply_to : cfg->sender_email) : NULL;
	in.language = lang;
	in.date = now;
	in.date_tz = cfg->timezone;
	in.text = r.text;
	in.html = r.html;
	in.attachments = att;
	in.nattachments = natt;
	rc = dun_compose(&out->data, &out->len, &in);
cleanup:
	if (rc < 0)
		dun_out_message_free(out);
	free(att);
	free(prev_id);
	free(prev_refs);
	free(prev_token);
	dun_rendered_free(&r);
	prepared_free(&p);
	return rc;
}

int
dun_outbound_prepare(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_out_batch *batch,
    struct dun_out_message *out)
{
	return outbound_compose(store, cfg, now, batch, 0, out);
}

int
dun_outbound_preview(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_out_batch *batch,
    struct dun_out_message *out)
{
	return outbound_compose(store, cfg, now, batch, 1, out);
}

void
dun_out_message_free(struct dun_out_message *msg)
{
	size_t i;

	if (msg == NULL)
		return;
	free(msg->data);
	free(msg->message_id);
	free(msg->in_reply_to);
	free(msg->references);
	free(msg->token);
	free(msg->subject);
	free(msg->from);
	for (i = 0; i < msg->nrcpts; i++)
		free(msg->rcpts[i]);
	free(msg->rcpts);
	free(msg->language);
	memset(msg, 0, sizeof(*msg));
}
