/* The workflow: a classified reply becomes a case event; what is handed
 * to a person is forwarded with a summary; hand-offs without a case are
 * decided; the next instant something falls due. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/agent/outbound.h"
#include "dunmail/agent/outbox.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/cases/cases.h"
#include "dunmail/cases/sched.h"
#include "dunmail/core/common.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/core/money.h"
#include "dunmail/mail/compose.h"
#include "dunmail/reply/classify.h"
#include "dunmail/store/store_inbound.h"
#include "dunmail/store/store_outbox.h"
#include "dunmail/store/trail.h"

/* What a person may do with a case handed to them. */
#define RESOLVE_CASE_ACTIONS "resume|close|plan [DATE]|hold-until DATE|" \
	"set-contact ADDR|lift-opt-out"

/* "Invoice:" lines: number, open amount, state. */
static void
summary_invoices(struct dun_buf *b, struct dun_store *store,
    const int64_t *case_ids, size_t ncases)
{
	size_t i;

	for (i = 0; i < ncases; i++) {
		struct dun_case *c = NULL;
		struct dun_invoice *inv = NULL;
		char open[64];

		if (dun_store_case_get(store, &c, case_ids[i]) < 0 ||
		    dun_store_invoice_get_id(store, &inv, c->invoice_id) < 0) {
			dun_case_free(c);
			continue;
		}
		dun_money_format(open, sizeof(open), inv->open_minor,
		    inv->currency, "en");
		dun_buf_printf(b, "Invoice:    %s, %s open, now %s\n",
		    inv->number, open, dun_case_state_name(c->state));
		dun_case_free(c);
		dun_invoice_free(inv);
	}
}

/* The command lines that record a decision on each case. */
static void
summary_case_commands(struct dun_buf *b, struct dun_store *store,
    const int64_t *case_ids, size_t ncases)
{
	size_t i;

	dun_buf_printf(b, "To record a decision:\n\n");
	for (i = 0; i < ncases; i++) {
		struct dun_case *c = NULL;
		if (dun_store_case_get(store, &c, case_ids[i]) == 0)
			dun_buf_printf(b, "    dunmail resolve %s --action "
			    RESOLVE_CASE_ACTIONS " --note TEXT\n",
			    c->invoice_number);
		dun_case_free(c);
	}
}

/* The summary a person reads first, then the reply as it arrived. d is
 * NULL for a reply that matched no debtor; hl its open hand-offs. */
static void
forward_summary(struct dun_buf *b, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_inbound_reply *reply,
    const struct dun_debtor *d, const struct dun_handoff_list *hl,
    const char *reason)
{
	const struct dun_classification *cls = reply->cls;
	const struct dun_parsed *p = reply->parsed;
	size_t i;

	dun_buf_printf(b, "dunmail handed this reply to a person: %s.\n",
	    reason);
	if (reply->ncases == 0)
		dun_buf_printf(b, "It matched no case%s: a person decides "
		    "where it belongs.\n", d ? " (no open case of this debtor)" :
		    strcmp(reason, "unmatched") == 0 ? " and no debtor (no "
		    "thread, token, invoice number or known sender)" : "");
	dun_buf_puts(b, "\n");
	if (d)
		dun_buf_printf(b, "Debtor:     %s (%s)\n", d->name, d->ref);
	else
		dun_buf_printf(b, "Debtor:     none matched\n");
	dun_buf_printf(b, "From:       %s%s\n", p && p->from_addr ?
	    p->from_addr : "(unknown)", reply->sender_contact || d == NULL ?
	    "" : " (NOT a contact of this debtor)");
	if (p && p->subject)
		dun_buf_printf(b, "Subject:    %s\n", p->subject);
	if (d && !reply->trusted && reply->trust_why)
		dun_buf_printf(b, "Trust:      NOT verified: %s; the reply "
		    "changed nothing\n", reply->trust_why);
	if (reply->auth_verdict && *reply->auth_verdict)
		dun_buf_printf(b, "Auth:       %s\n", reply->auth_verdict);
	if (reply->ncases == 0)
		dun_buf_printf(b, "Invoices:   none matched\n");
	summary_invoices(b, store, reply->case_ids, reply->ncases);
	if (cls) {
		dun_buf_printf(b, "Class:      %s (confidence %.2f, rule %s)\n",
		    dun_class_name(cls->cls), cls->confidence,
		    cls->rule && *cls->rule ? cls->rule : "-");
		if (cls->evidence && *cls->evidence)
			dun_buf_printf(b, "Matched:    \"%s\"\n", cls->evidence);
		if (cls->candidates && *cls->candidates)
			dun_buf_printf(b, "Candidates: %s\n", cls->candidates);
	}
	dun_buf_printf(b, "Matched by: %s\n\n", reply->match_method ?
	    reply->match_method : "-");
	if (reply->ncases > 0)
		summary_case_commands(b, store, reply->case_ids,
		    reply->ncases);
	else {
		dun_buf_printf(b, "To record a decision (`dunmail queue` lists "
		    "it as hand-off %lld):\n\n", hl->count ?
		    (long long)hl->items[0].id : 0LL);
		for (i = 0; i < hl->count; i++)
			dun_buf_printf(b, "    dunmail resolve --handoff %lld "
			    "--action assign INVOICE --note TEXT\n"
			    "        (it concerns INVOICE: the reply joins that "
			    "case's trail)\n"
			    "    dunmail resolve --handoff %lld --action dismiss "
			    "--note TEXT\n"
			    "        (nothing for accounts receivable to do)\n",
			    (long long)hl->items[i].id,
			    (long long)hl->items[i].id);
	}
	dun_buf_printf(b, "\nThe reply is attached as it arrived (stored "
	    "under SHA-256 %s).\n-- \ndunmail, for %s\n", reply->sha256,
	    cfg->company);
}

/* True if raw can travel as an 8bit message/rfc822 part: no NUL, no
 * line over 998 octets. */
static int
rfc822_safe(const char *raw, size_t len)
{
	size_t i, line = 0;

	for (i = 0; i < len; i++) {
		if (raw[i] == '\0')
			return 0;
		if (raw[i] == '\n')
			line = 0;
		else if (++line > 998)
			return 0;
	}
	return 1;
}

/* A message to the hand-off address: a summary, and the message it is
 * about attached as it arrived. */
struct handoff_mail {
	const char *reason;          /* X-Dunmail-Handoff, and the subject */
	const struct dun_debtor *d;  /* NULL: no debtor matched */
	const int64_t *case_ids;
	size_t ncases;
	const char *about;           /* the subject's tail: "" if none */
	const struct dun_buf *summary;
	const char *raw;             /* attached; NULL for none */
	size_t raw_len;
	int64_t message_id;          /* the message attached (trail), or 0 */
	const char *sha256;          /* its SHA-256, or "" */
};

/* True if raw has a CR that is not followed by LF. */
static int
has_bare_cr(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;

	while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (p + 1 == end || p[1] != '\n')
			return 1;
		p++;
	}
	return 0;
}

/* Attaches raw as message/rfc822 (base64 if it cannot go as 8bit). */
static void
attach_raw(struct dun_buf *msgb, const char *boundary, const char *raw,
    size_t len)
{
	size_t i, j;

	if (rfc822_safe(raw, len)) {
		dun_buf_printf(msgb, "\r\n--%s\r\nContent-Type: message/rfc822"
		    "\r\nContent-Disposition: attachment; filename=\"reply.eml"
		    "\"\r\n\r\n", boundary);
		/* The stored bytes with every line end made CRLF: a bare LF,
		 * and a bare CR too, which SMTP servers may take for a line
		 * end ("\r.\r\n" ends the data early: SMTP smuggling). */
		for (i = 0; i < len; i = j) {
			for (j = i; j < len && raw[j] != '\r' &&
			    raw[j] != '\n'; j++)
				;
			dun_buf_add(msgb, raw + i, j - i);
			if (j == len)
				break;
			dun_buf_add(msgb, "\r\n", 2);
			j += raw[j] == '\r' && j + 1 < len && raw[j + 1] == '\n' ?
			    2 : 1;
		}
		if (len && raw[len - 1] != '\n' && raw[len - 1] != '\r')
			dun_buf_puts(msgb, "\r\n");
	} else {
		dun_buf_printf(msgb, "\r\n--%s\r\nContent-Type: "
		    "application/octet-stream; name=\"reply.eml\"\r\n"
		    "Content-Disposition: attachment; filename=\"reply.eml\""
		    "\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary);
		dun_compose_base64(msgb, raw, len);
	}
}

/*
 * Plans a hand-off mail to [handoff] address in the outbox (kind
 * "forward"), inside the caller's transaction; the next send pass
 * delivers it, whatever the debtor's local time. The outbox's `planned`
 * event records it in each case's trail; one that concerns no case gets
 * a `planned` event of its own, naming the message it carries.
 */
static int
plan_handoff_mail(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct handoff_mail *hm)
{
	struct dun_buf msgb = DUN_BUF_INIT;
	struct dun_out_batch batch;
	struct dun_out_message msg;
	struct dun_outbox_transport tx;
	struct dun_outbox ob;
	char rnd[17], boundary[40], date[64];
	char *subject, *mid;
	const char *rcpt = cfg->handoff_address;
	int64_t id = 0;
	int rc;

	dun_compose_random(rnd, 16, DUN_MSGID_ALPHABET);
	mid = xasprintf("dun.fwd.%s@%s", rnd, cfg->msgid_domain);
	snprintf(boundary, sizeof(boundary), "=_fwd_%s", rnd);
	subject = xasprintf("[dunmail] %s: %s%s%s", hm->reason,
	    hm->d ? hm->d->name : "no debtor matched",
	    *hm->about ? " - " : "", hm->about);

	dun_compose_address(&msgb, "From", cfg->sender_name,
	    (const char *const *)&cfg->sender_email, 1);
	dun_compose_address(&msgb, "To", NULL, &rcpt, 1);
	dun_compose_header(&msgb, "Subject", subject);
	dun_time_format_rfc5322(date, sizeof(date), now, cfg->timezone);
	dun_buf_printf(&msgb, "Date: %s\r\nMessage-ID: <%s>\r\n"
	    "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
	    "X-Dunmail-Handoff: %s\r\n"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", date, mid,
	    hm->reason, boundary, boundary);
	if (hm->raw && rfc822_safe(hm->raw, hm->raw_len) &&
	    has_bare_cr(hm->raw, hm->raw_len)) {
		/* The attachment differs from the evidence: say so, above
		 * the signature. */
		struct dun_buf text = DUN_BUF_INIT;
		const char *sig = NULL, *p = hm->summary->data;
		const char *sha = hm->sha256 ? hm->sha256 : "";
		size_t at;

		while ((p = strstr(p, "\n-- \n")) != NULL)
			sig = p++;
		at = sig ? (size_t)(sig - hm->summary->data) + 1 :
		    hm->summary->len;
		dun_buf_add(&text, hm->summary->data, at);
		dun_buf_printf(&text, "\nNote: the attached message had bare "
		    "CR characters (a CR without LF, which can end an SMTP "
		    "message early); each was sent as a line end. The stored "
		    "original%s%s%s is unchanged, byte for byte (`dunmail "
		    "export` writes it out).\n", *sha ? " (SHA-256 " : "",
		    sha, *sha ? ")" : "");
		dun_buf_add(&text, hm->summary->data + at,
		    hm->summary->len - at);
		dun_compose_qp(&msgb, text.data, text.len);
		dun_buf_free(&text);
	} else
		dun_compose_qp(&msgb, hm->summary->data, hm->summary->len);
	if (hm->raw)
		attach_raw(&msgb, boundary, hm->raw, hm->raw_len);
	if (msgb.len < 2 || memcmp(msgb.data + msgb.len - 2, "\r\n", 2) != 0)
		dun_buf_puts(&msgb, "\r\n");
	dun_buf_printf(&msgb, "--%s--\r\n", boundary);

	memset(&batch, 0, sizeof(batch));
	batch.debtor_id = hm->d ? hm->d->id : 0;
	batch.kind = DUN_OUT_FORWARD;
	batch.template = "forward";
	batch.case_ids = (int64_t *)hm->case_ids;
	batch.ncases = hm->ncases;
	memset(&msg, 0, sizeof(msg));
	msg.data = msgb.data;
	msg.len = msgb.len;
	msg.message_id = mid;
	msg.in_reply_to = "";
	msg.references = "";
	msg.token = "";
	msg.subject = subject;
	msg.from = cfg->sender_email;
	msg.rcpts = (char **)&rcpt;
	msg.nrcpts = 1;
	msg.language = "en";
	memset(&tx, 0, sizeof(tx));
	dun_outbox_init(&ob, store, cfg, &tx);
	if ((rc = dun_store_begin(store)) < 0)
		goto cleanup;
	rc = dun_outbox_plan(&ob, &id, &batch, &msg, now);
	if (rc == 0 && hm->ncases == 0) {
		struct dun_trail_ref ref = { 0 };
		struct dun_buf d = DUN_BUF_INIT;

		dun_json_open(&d);
		dun_json_str(&d, "message_id", mid);
		dun_json_str(&d, "kind", "forward");
		dun_json_str(&d, "reason", hm->reason);
		dun_json_str(&d, "subject", subject);
		dun_json_str(&d, "to", rcpt);
		dun_json_int(&d, "forwards_message", hm->message_id);
		dun_json_str(&d, "forwards_sha256", hm->sha256);
		dun_json_close(&d);
		/* Names the forward (its bytes are hashed with the event),
		 * and in its detail the message it carries. */
		ref.debtor_id = hm->d ? hm->d->id : 0;
		ref.message_id = id;
		rc = dun_trail_append(store, now, "planned", &ref, d.data);
		dun_buf_free(&d);
	}
	if (rc == 0)
		rc = dun_store_commit(store);
	else
		dun_store_rollback(store);
	if (rc == 0)
		log_info("forward %lld planned to %s (%s)", (long long)id,
		    rcpt, hm->reason);
cleanup:
	free(subject);
	free(mid);
	dun_buf_free(&msgb);
	return rc;
}

static int
handoff_address_set(const struct dun_config *cfg)
{
	return cfg->handoff_address != NULL && *cfg->handoff_address != '\0';
}

/* The forward of a reply handed to a person, with its summary. */
static int
plan_forward(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, const char *reason)
{
	struct dun_debtor *d = NULL;
	struct dun_handoff_list hl = { NULL, 0 };
	struct dun_buf text = DUN_BUF_INIT;
	struct handoff_mail hm;
	char *stored = NULL;
	const char *raw;
	size_t len;
	int rc;

	if (!handoff_address_set(cfg))
		return 0;
	if (reply->debtor_id &&
	    (rc = dun_store_debtor_get(store, &d, reply->debtor_id)) < 0)
		return rc;
	if (reply->ncases == 0 && (rc = dun_store_handoff_list_message(store,
	    &hl, reply->message_id)) < 0)
		goto cleanup;
	/* What it is handed off for is what the queue says. */
	if (reply->ncases == 0 && hl.count > 0)
		reason = hl.items[0].reason;
	raw = reply->raw;
	len = reply->raw_len;
	if (raw == NULL) {
		if ((rc = dun_trail_get_blob(store, &stored, &len,
		    reply->sha256)) < 0)
			goto cleanup;
		raw = stored;
	}
	forward_summary(&text, store, cfg, reply, d, &hl, reason);
	memset(&hm, 0, sizeof(hm));
	hm.reason = reason;
	hm.d = d;
	hm.case_ids = reply->case_ids;
	hm.ncases = reply->ncases;
	hm.about = reply->parsed && reply->parsed->subject ?
	    reply->parsed->subject : "";
	hm.summary = &text;
	hm.raw = raw;
	hm.raw_len = len;
	hm.message_id = reply->message_id;
	hm.sha256 = reply->sha256;
	rc = plan_handoff_mail(store, cfg, now, &hm);
	if (rc == 0)
		log_info("reply %lld: forwarded for a person (%s)",
		    (long long)reply->message_id, reason);
cleanup:
	free(stored);
	dun_buf_free(&text);
	dun_handoff_list_free(&hl);
	dun_debtor_free(d);
	return rc;
}

/* The summary of a case handed to a person without a reply (promises
 * broken too often), with the last promise as its evidence. */
static void
case_summary(struct dun_buf *b, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_case *c,
    const struct dun_debtor *d, const struct dun_case_outcome *o,
    const struct dun_case_reply *promise)
{
	char at[21];

	dun_buf_printf(b, "dunmail handed this case to a person: %s.\n\n",
	    o->handoff);
	dun_buf_printf(b, "Debtor:     %s (%s)\n", d->name, d->ref);
	summary_invoices(b, store, &c->id, 1);
	dun_buf_printf(b, "Why:        %s\n", o->reason);
	dun_buf_printf(b, "Promises:   %d broken (a person takes over after "
	    "%d)\n", o->broken_promises, cfg->policy.max_broken_promises);
	if (promise) {
		dun_time_format_utc(at, promise->at);
		dun_buf_printf(b, "Class:      %s, the last promise (rule %s)"
		    "\n", dun_class_name(DUN_CLASS_PROMISE_TO_PAY),
		    *promise->rule ? promise->rule : "-");
		if (*promise->promised_on)
			dun_buf_printf(b, "Promised:   to pay by %s\n",
			    promise->promised_on);
		dun_buf_printf(b, "Received:   %s from %s\n", at,
		    promise->from_addr);
		if (*promise->subject)
			dun_buf_printf(b, "Subject:    %s\n", promise->subject);
		if (*promise->evidence)
			dun_buf_printf(b, "Matched:    \"%s\"\n",
			    promise->evidence);
	} else
		dun_buf_printf(b, "Class:      none (no promise reply is "
		    "stored for this case)\n");
	dun_buf_puts(b, "\n");
	summary_case_commands(b, store, &c->id, 1);
	if (promise)
		dun_buf_printf(b, "\nThe last promise is attached as it "
		    "arrived (stored under SHA-256 %s).\n", promise->sha256);
	dun_buf_printf(b, "-- \ndunmail, for %s\n", cfg->company);
}

/* The hand-off mail of a case handed to a person by time passing. */
static int
forward_case(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, int64_t case_id, const struct dun_case_outcome *o)
{
	struct dun_case *c = NULL;
	struct dun_debtor *d = NULL;
	struct dun_case_reply promise;
	struct dun_buf text = DUN_BUF_INIT;
	struct handoff_mail hm;
	char *raw = NULL;
	size_t len = 0;
	int rc, have;

	memset(&promise, 0, sizeof(promise));
	if (!handoff_address_set(cfg))
		return 0;
	if ((rc = dun_store_case_get(store, &c, case_id)) < 0 ||
	    (rc = dun_store_debtor_get(store, &d, c->debtor_id)) < 0)
		goto cleanup;
	rc = dun_store_case_last_reply(store, &promise, case_id,
	    dun_class_name(DUN_CLASS_PROMISE_TO_PAY));
	if (rc < 0 && rc != DUN_ENOTFOUND)
		goto cleanup;
	have = rc == 0;
	if (have && (rc = dun_trail_get_blob(store, &raw, &len,
	    promise.sha256)) < 0)
		goto cleanup;
	case_summary(&text, store, cfg, c, d, o, have ? &promise : NULL);
	memset(&hm, 0, sizeof(hm));
	hm.reason = o->handoff;
	hm.d = d;
	hm.case_ids = &c->id;
	hm.ncases = 1;
	hm.about = c->invoice_number;
	hm.summary = &text;
	hm.raw = raw;
	hm.raw_len = len;
	hm.message_id = have ? promise.message_id : 0;
	hm.sha256 = have ? promise.sha256 : "";
	rc = plan_handoff_mail(store, cfg, now, &hm);
	if (rc == 0)
		log_info("case %s: handed to a person (%s), forwarded",
		    c->invoice_number, o->handoff);
cleanup:
	free(raw);
	dun_buf_free(&text);
	dun_case_reply_clear(&promise);
	dun_case_free(c);
	dun_debtor_free(d);
	return rc;
}

/* The tick's dun_case_apply_fn: the change, and the forward of a case
 * it hands to a person, in one transaction. */
static int
apply_time(void *arg, struct dun_store *store, const struct dun_config *cfg,
    int64_t case_id, const struct dun_case_event *ev, dun_time_t now,
    struct dun_case_outcome *out)
{
	struct dun_case_outcome o;
	int rc;

	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	rc = dun_case_apply(store, cfg, case_id, ev, now, 0, NULL, NULL, &o);
	if (rc == 0 && o.handoff[0])
		rc = forward_case(store, cfg, now, case_id, &o);
	if (rc < 0) {
		dun_store_rollback(store);
		return rc;
	}
	if (out)
		*out = o;
	return dun_store_commit(store);
}

int
dun_workflow_tick(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now)
{
	return dun_cases_tick_with(store, cfg, now, apply_time, NULL);
}

int
dun_workflow_forward_send_problem(struct dun_store *store,
    const struct dun_config *cfg, dun_time_t now,
    const struct dun_outbox_row *row, const char *kind, const char *why)
{
	struct dun_debtor *d = NULL;
	struct dun_buf text = DUN_BUF_INIT;
	struct handoff_mail hm;
	int64_t *case_ids = NULL;
	char *raw = NULL, at[21];
	size_t len = 0, i;
	int rc = 0;

	/* A forward that cannot reach the hand-off address is not
	 * forwarded there again: the queue and the log say it. */
	if (!handoff_address_set(cfg) || strcmp(row->kind, "forward") == 0)
		return 0;
	if (row->debtor_id &&
	    (rc = dun_store_debtor_get(store, &d, row->debtor_id)) < 0)
		return rc;
	if (*row->sha256 && (rc = dun_trail_get_blob(store, &raw, &len,
	    row->sha256)) < 0)
		goto cleanup;
	case_ids = xcalloc(row->ncases ? row->ncases : 1, sizeof(*case_ids));
	for (i = 0; i < row->ncases; i++)
		case_ids[i] = row->cases[i].case_id;

	dun_buf_printf(&text, "dunmail handed this to a person: %s.\n\n",
	    kind);
	if (d)
		dun_buf_printf(&text, "Debtor:     %s (%s)\n", d->name, d->ref);
	summary_invoices(&text, store, case_ids, row->ncases);
	dun_buf_printf(&text, "Message:    %s, Message-ID <%s>\n",
	    row->template, row->message_id);
	dun_buf_printf(&text, "Subject:    %s\n", row->subject);
	for (i = 0; i < row->nrcpts; i++)
		dun_buf_printf(&text, "To:         %s\n", row->rcpts[i].address);
	dun_time_format_utc(at, row->created_at);
	dun_buf_printf(&text, "Planned:    %s, %d attempt(s)\n", at,
	    row->attempts);
	dun_buf_printf(&text, "What:       %s\n", why);
	if (row->smtp_reply && *row->smtp_reply)
		dun_buf_printf(&text, "Server:     %s\n", row->smtp_reply);
	if (strcmp(kind, "send_unknown") == 0)
		dun_buf_puts(&text, "\nThe server may have taken it: look in "
		    "the Sent folder or ask the debtor before sending it "
		    "again.\n");
	dun_buf_puts(&text, "\n");
	summary_case_commands(&text, store, case_ids, row->ncases);
	if (raw)
		dun_buf_printf(&text, "\nThe message is attached as it was "
		    "to go (stored under SHA-256 %s).\n", row->sha256);
	dun_buf_printf(&text, "-- \ndunmail, for %s\n", cfg->company);

	memset(&hm, 0, sizeof(hm));
	hm.reason = kind;
	hm.d = d;
	hm.case_ids = case_ids;
	hm.ncases = row->ncases;
	hm.about = row->subject ? row->subject : "";
	hm.summary = &text;
	hm.raw = raw;
	hm.raw_len = len;
	hm.message_id = row->id;
	hm.sha256 = row->sha256;
	rc = plan_handoff_mail(store, cfg, now, &hm);
	if (rc == 0)
		log_info("message %s: %s, forwarded for a person",
		    row->message_id, kind);
cleanup:
	free(case_ids);
	free(raw);
	dun_buf_free(&text);
	dun_debtor_free(d);
	return rc;
}

int
dun_workflow_on_reply(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, void *arg)
{
	const struct dun_classification *cls = reply->cls;
	const struct dun_parsed *p = reply->parsed;
	struct dun_case_event ev;
	struct dun_case_outcome o;
	const char *contact = NULL, *handoff = NULL;
	size_t i;
	int rc;

	(void)arg;
	if (cls == NULL)
		return 0;
	if (reply->ncases == 0)
		/* No case to apply it to: inbound queued it for a person;
		 * the forward says so. */
		return reply->handed_off ? plan_forward(store, cfg, now, reply,
		    dun_class_name(cls->cls)) : 0;
	dun_case_event_init(&ev, DUN_EV_REPLY);
	ev.cls = cls->cls;
	ev.promised_on = cls->promised_on;
	ev.promised_minor = cls->amount_minor;
	ev.return_date = p ? p->return_date : DUN_DATE_NONE;
	ev.bounce_hard = p ? p->bounce_hard : 0;
	/* Decided once, in inbound (reply/trust.h); the case acts on it. */
	ev.trusted = reply->trusted;
	ev.untrusted_why = reply->trust_why;
	ev.handed_off = reply->handed_off;
	if (cls->cls == DUN_CLASS_BOUNCE) {
		/* The address that failed, not the MTA that said so. */
		if (p && p->nbounce_rcpts)
			contact = p->bounce_rcpts[0].recipient;
	} else if (p)
		contact = p->from_addr;
	for (i = 0; i < reply->ncases; i++) {
		rc = dun_case_apply(store, cfg, reply->case_ids[i], &ev, now,
		    reply->message_id, contact, NULL, &o);
		if (rc < 0)
			return rc;
		if (o.handoff[0] && handoff == NULL)
			handoff = o.handoff;
		log_trace(TRACE_CASE, "reply %lld (%s) -> case %lld: %s",
		    (long long)reply->message_id, dun_class_name(cls->cls),
		    (long long)reply->case_ids[i], o.reason);
	}
	/* An out-of-office is about the person, not the invoice it answers:
	 * every open case of the debtor waits for the return date, or the
	 * debtor's other invoices would still be reminded while away. */
	if (cls->cls == DUN_CLASS_AUTO_REPLY && reply->trusted &&
	    reply->debtor_id && ev.return_date != DUN_DATE_NONE) {
		struct dun_case_list list;
		size_t k;

		if ((rc = dun_store_case_list(store, &list, -1,
		    reply->debtor_id)) < 0)
			return rc;
		for (k = 0; k < list.count && rc >= 0; k++) {
			struct dun_case *c = list.items[k];

			for (i = 0; i < reply->ncases; i++)
				if (reply->case_ids[i] == c->id)
					break;
			if (i < reply->ncases || !dun_case_state_open(c->state))
				continue;
			rc = dun_case_apply(store, cfg, c->id, &ev, now,
			    reply->message_id, contact, NULL, &o);
			log_trace(TRACE_CASE, "reply %lld (auto_reply) -> "
			    "case %lld of the same debtor: %s",
			    (long long)reply->message_id, (long long)c->id,
			    o.reason);
		}
		dun_case_list_free(&list);
		if (rc < 0)
			return rc;
	}
	/* Handing to a person: queued (above), filed (inbound), and
	 * forwarded with a summary. */
	if (reply->handed_off || handoff)
		return plan_forward(store, cfg, now, reply, !reply->trusted ?
		    "unverified_sender" : handoff && !reply->handed_off ?
		    handoff : dun_class_name(cls->cls));
	return 0;
}

/* --- a person's decision on a hand-off that concerns no case ---------- */

int
dun_workflow_handoff_decide(struct dun_store *store,
    const struct dun_config *cfg, dun_time_t now, int64_t handoff_id,
    const char *action, const char *invoice, const char *note,
    int64_t *case_out)
{
	struct dun_handoff *h = NULL;
	struct dun_case *c = NULL;
	struct dun_inmsg msg;
	struct dun_trail_ref ref = { 0 };
	struct dun_buf d = DUN_BUF_INIT;
	char *resolution = NULL;
	int assign = strcmp(action, "assign") == 0, rc;

	memset(&msg, 0, sizeof(msg));
	if (case_out)
		*case_out = 0;
	if (!assign && strcmp(action, "dismiss") != 0)
		return dun_error_set(DUN_EINVAL, "a hand-off without a case "
		    "takes --action dismiss or --action assign INVOICE");
	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	if ((rc = dun_store_handoff_get(store, &h, handoff_id)) < 0)
		goto fail;
	if (h->case_id) {
		rc = dun_error_set(DUN_EINVAL, "hand-off %lld is about a case: "
		    "resolve it with a case action (resume, close, plan, "
		    "hold-until, set-contact, lift-opt-out)",
		    (long long)handoff_id);
		goto fail;
	}
	if (h->resolved_at) {
		rc = dun_error_set(DUN_EINVAL, "hand-off %lld was resolved "
		    "already (%s by %s)", (long long)handoff_id, h->resolution,
		    h->operator_name);
		goto fail;
	}
	if (h->message_id &&
	    (rc = dun_store_inmsg_get(store, &msg, h->message_id)) < 0)
		goto fail;
	if (assign) {
		if ((rc = dun_store_case_by_invoice(store, &c, invoice)) < 0)
			goto fail;
		/* The reply joins the case: its trail, its export. */
		if (h->message_id && (rc = dun_store_message_case_add(store,
		    h->message_id, c->id)) < 0)
			goto fail;
		resolution = xasprintf("assign %s", c->invoice_number);
	} else
		resolution = xstrdup("dismiss");
	if ((rc = dun_store_handoff_resolve_one(store, h->id, now, resolution,
	    cfg->operator_name, note)) < 0)
		goto fail;
	dun_json_open(&d);
	dun_json_int(&d, "handoff", h->id);
	dun_json_str(&d, "reason", h->reason);
	dun_json_str(&d, "action", action);
	if (c)
		dun_json_str(&d, "invoice", c->invoice_number);
	dun_json_str(&d, "operator", cfg->operator_name);
	dun_json_str(&d, "note", note ? note : "");
	dun_json_close(&d);
	ref.case_id = c ? c->id : 0;
	ref.debtor_id = c ? c->debtor_id : 0;
	ref.message_id = h->message_id;
	ref.message_sha256 = h->message_id ? msg.sha256 : NULL;
	if ((rc = dun_trail_append(store, now, "decision", &ref, d.data)) < 0)
		goto fail;
	if ((rc = dun_store_commit(store)) < 0)
		goto done;
	if (case_out && c)
		*case_out = c->id;
	log_info("hand-off %lld (%s): %s, by %s", (long long)h->id,
	    h->reason, resolution, cfg->operator_name);
	goto done;
fail:
	dun_store_rollback(store);
done:
	free(resolution);
	dun_buf_free(&d);
	dun_inmsg_clear(&msg);
	dun_case_free(c);
	dun_handoff_free(h);
	return rc;
}

/* --- when the agent must look again ----------------------------------- */

static void
earliest(dun_time_t *at, dun_time_t t, dun_time_t now)
{
	if (t > now && (*at == 0 || t < *at))
		*at = t;
}

int
dun_workflow_next_due(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, dun_time_t *at_out)
{
	struct dun_sched_plan plan;
	struct dun_outbox_list rows;
	dun_time_t at = 0;
	size_t i;
	int rc;

	*at_out = 0;
	if ((rc = dun_sched_load(&plan, store, cfg, now, 0)) < 0)
		return rc;
	for (i = 0; i < plan.count; i++) {
		const struct dun_case *c = plan.cases.items[i];

		/* A reminder or an answer waiting for its window or day. */
		if (plan.items[i].action == DUN_SCHED_WAIT)
			earliest(&at, plan.items[i].at, now);
		/* A promise's follow-up, a hold or a paid claim ending:
		 * the state machine acts then (and may hand the case to a
		 * person). */
		if (dun_case_state_open(c->state))
			earliest(&at, c->hold_until, now);
		if (c->next_action == DUN_NEXT_FOLLOW_UP_PROMISE ||
		    c->next_action == DUN_NEXT_WAIT)
			earliest(&at, c->next_action_at, now);
	}
	dun_sched_plan_free(&plan);

	/* Retries the outbox holds, each in its debtor's window (a forward
	 * goes whenever it is due). */
	if ((rc = dun_store_outbox_list(store, &rows, DUN_OUTBOX_PLANNED,
	    0)) < 0)
		return rc;
	for (i = 0; i < rows.count && rc == 0; i++) {
		const struct dun_outbox_row *row = rows.items[i];
		dun_time_t t = row->next_attempt_at > now ?
		    row->next_attempt_at : now;
		struct dun_debtor *d = NULL;

		if (strcmp(row->kind, "forward") != 0 && row->debtor_id) {
			if ((rc = dun_store_debtor_get(store, &d,
			    row->debtor_id)) < 0)
				break;
			t = dun_sched_next_open(&cfg->policy, d->timezone,
			    d->region, t);
			dun_debtor_free(d);
		}
		earliest(&at, t, now);
	}
	dun_outbox_list_free(&rows);
	if (rc == 0)
		*at_out = at;
	return rc;
}
