/* The inbound reply hook: a classified reply becomes a case event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/cases.h"
#include "dunmail/classify.h"
#include "dunmail/common.h"
#include "dunmail/compose.h"
#include "dunmail/log.h"
#include "dunmail/money.h"
#include "dunmail/outbound.h"
#include "dunmail/outbox.h"
#include "dunmail/trail.h"
#include "dunmail/workflow.h"

/* The summary a person reads first, then the reply as it arrived. */
static void
forward_summary(struct dun_buf *b, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_inbound_reply *reply,
    const struct dun_debtor *d, const char *reason)
{
	const struct dun_classification *cls = reply->cls;
	const struct dun_parsed *p = reply->parsed;
	size_t i;

	dun_buf_printf(b, "dunmail handed this reply to a person: %s.\n\n",
	    reason);
	dun_buf_printf(b, "Debtor:     %s (%s)\n", d->name, d->ref);
	dun_buf_printf(b, "From:       %s%s\n", p && p->from_addr ?
	    p->from_addr : "(unknown)", reply->sender_contact ? "" :
	    " (NOT a contact of this debtor)");
	if (p && p->subject)
		dun_buf_printf(b, "Subject:    %s\n", p->subject);
	for (i = 0; i < reply->ncases; i++) {
		struct dun_case *c = NULL;
		struct dun_invoice *inv = NULL;
		char open[64];

		if (dun_store_case_get(store, &c, reply->case_ids[i]) < 0 ||
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
	dun_buf_printf(b, "To record a decision:\n\n");
	for (i = 0; i < reply->ncases; i++) {
		struct dun_case *c = NULL;
		if (dun_store_case_get(store, &c, reply->case_ids[i]) == 0)
			dun_buf_printf(b, "    dunmail resolve %s --action "
			    "resume|close|plan [DATE]|hold-until DATE|"
			    "set-contact ADDR|lift-opt-out --note TEXT\n",
			    c->invoice_number);
		dun_case_free(c);
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

/*
 * Plans the forward of a handed-off reply to [handoff] address in the
 * outbox (kind "forward"), inside the caller's transaction; the next send
 * pass delivers it, whatever the debtor's local time.
 */
static int
plan_forward(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, const char *reason)
{
	struct dun_debtor *d = NULL;
	struct dun_buf text = DUN_BUF_INIT, msgb = DUN_BUF_INIT;
	struct dun_out_batch batch;
	struct dun_out_message msg;
	struct dun_outbox_transport tx;
	struct dun_outbox ob;
	char rnd[17], boundary[40], date[64], *stored = NULL;
	char *subject, *mid;
	const char *rcpt, *raw;
	size_t len, i, next;
	int64_t id;
	int rc;

	if (cfg->handoff_address == NULL || *cfg->handoff_address == '\0' ||
	    reply->debtor_id == 0)
		return 0;
	if ((rc = dun_store_debtor_get(store, &d, reply->debtor_id)) < 0)
		return rc;
	raw = reply->raw;
	len = reply->raw_len;
	if (raw == NULL) {
		if ((rc = dun_trail_get_blob(store, &stored, &len,
		    reply->sha256)) < 0)
			goto cleanup;
		raw = stored;
	}
	dun_compose_random(rnd, 16, DUN_MSGID_ALPHABET);
	mid = xasprintf("dun.fwd.%s@%s", rnd, cfg->msgid_domain);
	snprintf(boundary, sizeof(boundary), "=_fwd_%s", rnd);
	subject = xasprintf("[dunmail] %s: %s%s%s", reason, d->name,
	    reply->parsed && reply->parsed->subject ? " - " : "",
	    reply->parsed && reply->parsed->subject ?
	    reply->parsed->subject : "");
	forward_summary(&text, store, cfg, reply, d, reason);

	rcpt = cfg->handoff_address;
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
	    reason, boundary, boundary);
	dun_compose_qp(&msgb, text.data, text.len);
	if (rfc822_safe(raw, len)) {
		dun_buf_printf(&msgb, "\r\n--%s\r\nContent-Type: message/rfc822"
		    "\r\nContent-Disposition: attachment; filename=\"reply.eml"
		    "\"\r\n\r\n", boundary);
		/* The stored bytes, with every line end made CRLF: a line
		 * at a time, not a byte. */
		for (i = 0; i < len; i = next) {
			const char *nl = memchr(raw + i, '\n', len - i);
			next = nl ? (size_t)(nl - raw) : len;
			dun_buf_add(&msgb, raw + i, next - i);
			if (next == len)
				break;
			if (next == 0 || raw[next - 1] != '\r')
				dun_buf_add(&msgb, "\r", 1);
			dun_buf_add(&msgb, "\n", 1);
			next++;
		}
		if (len && raw[len - 1] != '\n')
			dun_buf_puts(&msgb, "\r\n");
	} else {
		dun_buf_printf(&msgb, "\r\n--%s\r\nContent-Type: "
		    "application/octet-stream; name=\"reply.eml\"\r\n"
		    "Content-Disposition: attachment; filename=\"reply.eml\""
		    "\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary);
		dun_compose_base64(&msgb, raw, len);
	}
	dun_buf_printf(&msgb, "--%s--\r\n", boundary);

	memset(&batch, 0, sizeof(batch));
	batch.debtor_id = d->id;
	batch.kind = DUN_OUT_FORWARD;
	batch.template = "forward";
	batch.case_ids = (int64_t *)reply->case_ids;
	batch.ncases = reply->ncases;
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
	rc = dun_outbox_plan(&ob, &id, &batch, &msg, now);
	if (rc == 0)
		log_info("reply %lld: forward %lld planned to %s (%s)",
		    (long long)reply->message_id, (long long)id, rcpt, reason);
	free(subject);
	free(mid);
cleanup:
	free(stored);
	dun_buf_free(&text);
	dun_buf_free(&msgb);
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
	if (cls == NULL || reply->ncases == 0)
		return 0; /* unmatched: inbound already queued it for a person */
	memset(&ev, 0, sizeof(ev));
	ev.kind = DUN_EV_REPLY;
	ev.cls = cls->cls;
	ev.promised_on = cls->promised_on;
	ev.promised_minor = cls->amount_minor;
	ev.return_date = p ? p->return_date : DUN_DATE_NONE;
	ev.bounce_hard = p ? p->bounce_hard : 0;
	ev.known_contact = reply->sender_contact;
	ev.handed_off = reply->handed_off;
	ev.until = DUN_DATE_NONE;
	if (cls->cls == DUN_CLASS_BOUNCE) {
		/* The address that failed, not the MTA that said so. */
		ev.known_contact = 1;
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
	if (cls->cls == DUN_CLASS_AUTO_REPLY && reply->sender_contact &&
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
		return plan_forward(store, cfg, now, reply,
		    dun_class_name(cls->cls));
	return 0;
}
