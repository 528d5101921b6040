/* dunmail export INVOICE DIR: a bundle someone outside the company can
 * check: every message as .eml, a readable timeline, every event of the
 * case with its hash fields, the chain around them (hashes only), a
 * checker, and SHA256SUMS over all of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/core/json.h"
#include "dunmail/core/money.h"
#include "dunmail/store/store.h"
#include "dunmail/store/trail.h"

/* A message file of the bundle, by the message row and bytes it holds. */
struct export_file {
	int64_t message_id; /* 0 if only an event's SHA-256 named it */
	char sha256[65];
	char *name;         /* owned; "messages/...eml" */
};

struct export_ctx {
	struct dun_store *store;           /* borrowed */
	const char *tz;                    /* borrowed; the debtor's zone */
	struct dun_event *evs;             /* owned; the case's trail */
	size_t nevs;
	struct export_file *files;         /* owned */
	size_t nfiles;
	struct dun_buf sums;               /* SHA256SUMS */
};

static int
collect_event(const struct dun_event *ev, void *arg)
{
	struct export_ctx *x = arg;
	struct dun_event *e;

	x->evs = xreallocarray(x->evs, x->nevs + 1, sizeof(*x->evs));
	e = &x->evs[x->nevs++];
	*e = *ev;
	e->kind = xstrdup(ev->kind);
	e->message_sha256 = xstrdup(ev->message_sha256);
	e->detail = xstrdup(ev->detail);
	return 0;
}

static int
in_case(const struct export_ctx *x, int64_t seq)
{
	size_t lo = 0, hi = x->nevs;

	while (lo < hi) { /* x->evs is in seq order */
		size_t mid = lo + (hi - lo) / 2;
		if (x->evs[mid].seq == seq)
			return 1;
		if (x->evs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static const char *
file_of(const struct export_ctx *x, int64_t message_id, const char *sha256)
{
	size_t i;

	for (i = 0; i < x->nfiles; i++)
		if ((sha256 && *sha256 && strcmp(x->files[i].sha256,
		    sha256) == 0) || (message_id > 0 &&
		    x->files[i].message_id == message_id))
			return x->files[i].name;
	return NULL;
}

static int
write_file(const char *dir, const char *name, const void *data, size_t len,
    struct dun_buf *sums)
{
	char *path = xasprintf("%s/%s", dir, name);
	char sha[DUN_SHA256_HEX];
	int rc = dun_file_write_atomic(path, data, len, 0600);

	free(path);
	if (rc < 0)
		return rc;
	dun_sha256_hex(sha, data, len);
	dun_buf_printf(sums, "%s  %s\n", sha, name);
	return 0;
}

/* Writes the stored bytes of sha256 as name. */
static int
export_message(struct export_ctx *x, const char *dir, int64_t message_id,
    const char *sha256, char *name)
{
	struct export_file *f;
	char *data = NULL;
	size_t len;
	int rc;

	if ((rc = dun_trail_get_blob(x->store, &data, &len, sha256)) < 0 ||
	    (rc = write_file(dir, name, data, len, &x->sums)) < 0) {
		free(data);
		free(name);
		return rc;
	}
	free(data);
	x->files = xreallocarray(x->files, x->nfiles + 1, sizeof(*x->files));
	f = &x->files[x->nfiles++];
	f->message_id = message_id;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha256);
	f->name = name;
	return 0;
}

/* --- timeline.md ------------------------------------------------------ */

/* Text from a debtor or a server, on one line, with Markdown's own
 * characters escaped so it reads as written. */
static void
md_text(struct dun_buf *b, const char *s)
{
	int space = 0;

	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t' || *s == ' ') {
			space = 1;
			continue;
		}
		if (space && b->len)
			dun_buf_add(b, " ", 1);
		space = 0;
		if (strchr("\\`*[]<>|", *s))
			dun_buf_add(b, "\\", 1);
		dun_buf_add(b, s, 1);
	}
}

/* A field of an event's detail, "" if it has none; caller frees. */
static char *
field(struct export_ctx *x, const struct dun_event *ev, const char *path,
    const char *member)
{
	char *v = NULL;

	if (dun_store_json_text(x->store, &v, ev->detail, path, member) < 0 ||
	    v == NULL)
		return xstrdup("");
	return v;
}

/* Appends `prefix"value"suffix` if the field is there, value escaped. */
static void
put_field(struct dun_buf *b, struct export_ctx *x, const struct dun_event *ev,
    const char *prefix, const char *path, const char *suffix)
{
	char *v = field(x, ev, path, NULL);

	if (*v) {
		dun_buf_puts(b, prefix);
		md_text(b, v);
		dun_buf_puts(b, suffix);
	}
	free(v);
}

static void
put_time(struct dun_buf *b, dun_time_t t, const char *tz)
{
	char utc[21], local[80];

	dun_time_format_utc(utc, t);
	utc[10] = ' ';
	utc[19] = '\0';
	dun_time_format_local(local, sizeof(local), t, tz);
	dun_buf_printf(b, "%s UTC (%s)", utc, local);
}

static void
say_transition(struct dun_buf *b, struct export_ctx *x,
    const struct dun_event *ev)
{
	char *from = field(x, ev, "$.from", NULL);
	char *to = field(x, ev, "$.to", NULL);
	char *next = field(x, ev, "$.next", NULL);
	char *next_at = field(x, ev, "$.next_at", NULL);
	char *op = field(x, ev, "$.operator", NULL);

	if (*op) {
		dun_buf_puts(b, "**Human decision** by ");
		md_text(b, op);
		put_field(b, x, ev, ": ", "$.action", "");
		put_field(b, x, ev, ", note \"", "$.note", "\"");
		dun_buf_puts(b, ". ");
	}
	if (strcmp(from, to) != 0)
		dun_buf_printf(b, "Case %s \xe2\x86\x92 **%s**", from, to);
	else
		dun_buf_printf(b, "Case stays %s", to);
	dun_buf_printf(b, " (%s)", ev->kind);
	put_field(b, x, ev, ": ", "$.reason", "");
	if (*next && strcmp(next, "none") != 0) {
		dun_buf_printf(b, ". Next: %s", next);
		put_field(b, x, ev, " (", "$.next_detail", ")");
		if (*next_at && strcmp(next_at, "0") != 0) {
			dun_buf_puts(b, " at ");
			put_time(b, (dun_time_t)strtoll(next_at, NULL, 10),
			    x->tz);
		}
	}
	put_field(b, x, ev, ". Answer to send: ", "$.send", "");
	put_field(b, x, ev, ". **Handed to a person**: ", "$.handoff", "");
	put_field(b, x, ev, ". Contact: ", "$.contact", "");
	dun_buf_puts(b, ".");
	free(from);
	free(to);
	free(next);
	free(next_at);
	free(op);
}

/* An outgoing message's life in the outbox (outbox.c). */
static void
say_outbox(struct dun_buf *b, struct export_ctx *x, const struct dun_event *ev)
{
	static const struct {
		const char *kind, *head, *tail;
	} says[] = {
		{ "planned", "Planned", "" },
		{ "sending", "Handing", " to the SMTP server" },
		{ "sent", "**Sent**", "" },
		{ "send_failed", "**Sending failed**:", "" },
		{ "send_unknown", "**Outcome unknown** (do not resend before "
		  "checking):", "" },
		{ "send_deferred", "Sending deferred:", "" },
		{ "send_cancelled", "Sending cancelled:", "" },
	};
	char *kind = field(x, ev, "$.kind", NULL);
	char *template = field(x, ev, "$.template", NULL);
	char *stage = field(x, ev, "$.stage", NULL);
	const char *k = ev->kind;
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(says) - 1; i++)
		if (strcmp(k, says[i].kind) == 0)
			break;
	dun_buf_printf(b, "%s %s", says[i].head, *kind ? kind : "message");
	if (*stage)
		dun_buf_printf(b, " stage %s", stage);
	else if (*template && strcmp(template, kind) != 0)
		dun_buf_printf(b, " %s", template);
	dun_buf_puts(b, says[i].tail);
	if (strcmp(k, "planned") == 0) {
		put_field(b, x, ev, " to ", "$.to", "");
		put_field(b, x, ev, ", subject \"", "$.subject", "\"");
		put_field(b, x, ev, "; stages caught up over: ", "$.skipped",
		    "");
	} else if (strcmp(k, "sending") == 0) {
		put_field(b, x, ev, ", attempt ", "$.attempts", "");
	} else {
		char *to = field(x, ev, "$.result.recipients", "$.address");
		char *rcpt = field(x, ev, "$.result.recipients", "$.reply");
		if (*to)
			dun_buf_printf(b, " to %s", to);
		put_field(b, x, ev, ", SMTP reply \"", "$.result.smtp_reply",
		    "\"");
		if (*rcpt) {
			dun_buf_puts(b, " (RCPT TO answered \"");
			md_text(b, rcpt);
			dun_buf_puts(b, "\")");
		}
		put_field(b, x, ev, "; ", "$.result.reason", "");
		put_field(b, x, ev, "; ", "$.reason", "");
		if (strcmp(k, "send_deferred") == 0) {
			char *at = field(x, ev, "$.result.retry_at", NULL);
			if (*at) {
				dun_buf_puts(b, "; next try ");
				put_time(b, (dun_time_t)strtoll(at, NULL, 10),
				    x->tz);
			}
			free(at);
		}
		free(to);
		free(rcpt);
	}
	dun_buf_puts(b, ".");
	free(kind);
	free(template);
	free(stage);
}

/* A case's state change (from, to, reason), as cases.c and case_apply.c
 * write them. */
static int
is_transition(struct export_ctx *x, const struct dun_event *ev)
{
	char *to = field(x, ev, "$.to", NULL);
	char *reason = field(x, ev, "$.reason", NULL);
	int yes = *to && *reason;

	free(to);
	free(reason);
	return yes;
}

/* What an event says, in words. */
static void
describe(struct dun_buf *b, struct export_ctx *x, const struct dun_event *ev)
{
	const char *k = ev->kind;

	if (strcmp(k, "imported") == 0 || strcmp(k, "ledger_update") == 0) {
		dun_buf_puts(b, strcmp(k, "imported") == 0 ? "Invoice "
		    "imported from the ledger" : "The ledger changed the "
		    "invoice");
		put_field(b, x, ev, ": ", "$.currency", "");
		put_field(b, x, ev, " ", "$.amount", "");
		put_field(b, x, ev, ", open ", "$.open_amount", "");
		put_field(b, x, ev, ", due ", "$.due_date", "");
		put_field(b, x, ev, " (line ", "$.line", " of the file)");
		dun_buf_puts(b, ".");
	} else if (strcmp(k, "payment") == 0) {
		dun_buf_puts(b, "**Payment** recorded");
		put_field(b, x, ev, ": ", "$.currency", "");
		put_field(b, x, ev, " ", "$.amount", "");
		put_field(b, x, ev, " paid on ", "$.paid_on", "");
		put_field(b, x, ev, ", reference ", "$.reference", "");
		put_field(b, x, ev, "; open after it: ", "$.open_after", "");
		dun_buf_puts(b, ".");
	} else if (strcmp(k, "planned") == 0 || strcmp(k, "sending") == 0 ||
	    strcmp(k, "sent") == 0 || strncmp(k, "send_", 5) == 0) {
		if (strcmp(k, "send_skipped") == 0) {
			dun_buf_puts(b, "Nothing sent");
			put_field(b, x, ev, " (", "$.template", ")");
			put_field(b, x, ev, ": ", "$.why", "");
			dun_buf_puts(b, ".");
		} else
			say_outbox(b, x, ev);
	} else if (strcmp(k, "received") == 0) {
		dun_buf_puts(b, "**Reply received**");
		put_field(b, x, ev, " in ", "$.mailbox", "");
		put_field(b, x, ev, " (UID ", "$.uid", "");
		put_field(b, x, ev, ", ", "$.size", " bytes)");
		dun_buf_puts(b, ".");
	} else if (strcmp(k, "classified") == 0) {
		dun_buf_puts(b, "Reply");
		put_field(b, x, ev, " from ", "$.from", "");
		put_field(b, x, ev, " **classified as ", "$.class", "**");
		put_field(b, x, ev, " (confidence ", "$.confidence", "");
		put_field(b, x, ev, ", rule ", "$.rule", "");
		put_field(b, x, ev, ", matched words \"", "$.evidence", "\"");
		dun_buf_puts(b, ")");
		put_field(b, x, ev, "; matched to the case by ", "$.match", "");
		put_field(b, x, ev, "; invoices named: ", "$.named_invoices",
		    "");
		put_field(b, x, ev, "; away until ", "$.return_date", "");
		put_field(b, x, ev, "; to be filed in ", "$.folder", "");
		put_field(b, x, ev, "; could not be read: ", "$.error", "");
		put_field(b, x, ev, ". Their words as read: \"", "$.words",
		    "\"");
		dun_buf_puts(b, ".");
	} else if (strcmp(k, "filed") == 0) {
		put_field(b, x, ev, "Filed on the mail server in ", "$.folder",
		    ".");
	} else if (strcmp(k, "handoff") == 0) {
		dun_buf_puts(b, "**Handed to a person**");
		put_field(b, x, ev, ": ", "$.reason", "");
		put_field(b, x, ev, " (reply classed ", "$.class", ")");
		dun_buf_puts(b, ".");
	} else if (strcmp(k, "contact_invalid") == 0 ||
	    strcmp(k, "soft_bounce") == 0) {
		dun_buf_puts(b, strcmp(k, "soft_bounce") == 0 ?
		    "Delivery failed for now to" : "**Address marked invalid**:");
		put_field(b, x, ev, " ", "$.recipient", "");
		put_field(b, x, ev, ", the mail server reported ", "$.status",
		    "");
		put_field(b, x, ev, " (", "$.action", ")");
		dun_buf_puts(b, ".");
	} else if (strcmp(k, "sender_not_contact") == 0) {
		put_field(b, x, ev, "", "$.from", ": ");
		put_field(b, x, ev, "", "$.note", ".");
	} else if (is_transition(x, ev)) {
		say_transition(b, x, ev);
	} else {
		dun_buf_printf(b, "%s: `", k);
		md_text(b, ev->detail);
		dun_buf_puts(b, "`");
	}
}

/* One line per event: when, what happened, and the message it is about. */
static void
timeline_event(struct dun_buf *b, struct export_ctx *x,
    const struct dun_event *ev)
{
	const char *file = NULL;

	if (ev->message_id > 0 || *ev->message_sha256)
		file = file_of(x, ev->message_id, ev->message_sha256);
	dun_buf_puts(b, "- ");
	put_time(b, ev->at, x->tz);
	dun_buf_printf(b, " \xc2\xb7 #%lld \xc2\xb7 ", (long long)ev->seq);
	describe(b, x, ev);
	if (file)
		dun_buf_printf(b, " [%s](%s)", file + strlen("messages/"),
		    file);
	dun_buf_puts(b, "\n");
}

static void
events_jsonl(struct dun_buf *b, const struct dun_event *ev)
{
	dun_json_open(b);
	dun_json_int(b, "seq", ev->seq);
	dun_json_int(b, "at", ev->at);
	dun_json_str(b, "kind", ev->kind);
	dun_json_int(b, "case_id", ev->case_id);
	dun_json_int(b, "debtor_id", ev->debtor_id);
	dun_json_int(b, "message_id", ev->message_id);
	dun_json_str(b, "message_sha256", ev->message_sha256);
	dun_json_str(b, "detail", ev->detail);
	dun_json_str(b, "prev_hash", ev->prev_hash);
	dun_json_str(b, "hash", ev->hash);
	dun_json_close(b);
	dun_buf_puts(b, "\n");
}

struct chain_ctx {
	struct export_ctx *x;
	struct dun_buf out;
};

/* chain.jsonl: every event from the case's first to its last, the case's
 * or not, by its hashes only: enough to check no event of the case was
 * removed, and nothing of another debtor's. */
static int
chain_event(const struct dun_event *ev, void *arg)
{
	struct chain_ctx *c = arg;

	dun_json_open(&c->out);
	dun_json_int(&c->out, "seq", ev->seq);
	dun_json_str(&c->out, "prev_hash", ev->prev_hash);
	dun_json_str(&c->out, "hash", ev->hash);
	dun_json_bool(&c->out, "case", in_case(c->x, ev->seq));
	dun_json_close(&c->out);
	dun_buf_puts(&c->out, "\n");
	return 0;
}

/* Every message of the case, and any other an event of it names. */
static int
export_messages(struct export_ctx *x, const char *dir,
    const struct dun_case_messages *msgs)
{
	size_t i;
	int rc;

	for (i = 0; i < msgs->count; i++) {
		const struct dun_case_message *m = &msgs->items[i];

		if (*m->sha256 == '\0')
			continue; /* planned, never composed */
		if ((rc = export_message(x, dir, m->id, m->sha256,
		    xasprintf("messages/%03zu-%s-%s.eml", x->nfiles + 1,
		    m->direction, *m->cls ? m->cls : m->kind))) < 0)
			return rc;
	}
	for (i = 0; i < x->nevs; i++) {
		const struct dun_event *ev = &x->evs[i];

		if (*ev->message_sha256 == '\0' ||
		    file_of(x, 0, ev->message_sha256))
			continue;
		if ((rc = export_message(x, dir, ev->message_id,
		    ev->message_sha256, xasprintf("messages/%03zu-event-%lld"
		    ".eml", x->nfiles + 1, (long long)ev->seq))) < 0)
			return rc;
	}
	return 0;
}

/* timeline.md: the invoice, its messages, then its trail in words. */
static void
timeline_write(struct dun_buf *b, struct export_ctx *x,
    const struct dun_invoice *inv, const struct dun_debtor *d,
    const struct dun_case *c, const struct dun_case_messages *msgs)
{
	char amount[48], open[48], due[11];
	size_t i;

	dun_money_format(amount, sizeof(amount), inv->amount_minor,
	    inv->currency, "en");
	dun_money_format(open, sizeof(open), inv->open_minor, inv->currency,
	    "en");
	dun_date_format(due, inv->due_date);
	dun_buf_printf(b, "# Invoice %s\n\nDebtor: ", inv->number);
	md_text(b, d->name);
	dun_buf_printf(b, " (%s), time zone %s  \nDue: %s  \n"
	    "Amount: %s  \nOpen: %s  \nState: %s\n\n## Messages\n\n"
	    "| time (UTC) | time (%s) | direction | what | subject | result "
	    "| file |\n| --- | --- | --- | --- | --- | --- | --- |\n",
	    d->ref, x->tz, due, amount, open, dun_case_state_name(c->state),
	    x->tz);
	for (i = 0; i < msgs->count; i++) {
		const struct dun_case_message *m = &msgs->items[i];
		const char *file = file_of(x, m->id, m->sha256);
		char utc[21], local[80];

		dun_time_format_utc(utc, m->at);
		dun_time_format_local(local, sizeof(local), m->at, x->tz);
		dun_buf_printf(b, "| %s | %s | %s | %s | ", utc, local,
		    m->direction, *m->cls ? m->cls : m->kind);
		md_text(b, m->subject);
		dun_buf_puts(b, " | ");
		md_text(b, *m->smtp_reply ? m->smtp_reply :
		    m->outbox_state);
		if (file)
			dun_buf_printf(b, " | [%s](%s) |\n",
			    file + strlen("messages/"), file);
		else
			dun_buf_puts(b, " | (not stored) |\n");
	}
	dun_buf_printf(b, "\n## What happened\n\nEach line is one "
	    "event of the trail (#N is its place in it; events.jsonl holds "
	    "each with its hashes): the time in UTC and in the debtor's "
	    "zone, what happened, and the message it is about.\n\n");
	for (i = 0; i < x->nevs; i++)
		timeline_event(b, x, &x->evs[i]);
}

static const char checker[] =
"#!/usr/bin/env python3\n"
"# Checks this bundle without dunmail:\n"
"#  - every event's hash is recomputed from its fields (events.jsonl);\n"
"#  - chain.jsonl, the whole trail from the case's first event to its\n"
"#    last (sequence numbers and hashes only), is unbroken: each entry's\n"
"#    prev_hash is the hash before it;\n"
"#  - every event of the case sits in that chain with its hashes, and\n"
"#    every place the chain marks as the case's has its event here;\n"
"#  - every message an event names is here with the SHA-256 recorded;\n"
"#  - every file SHA256SUMS lists has its hash.\n"
"# The chain's last hash is the trail as it stood; compare it with a head\n"
"# recorded out of band (`dunmail verify` prints `head SEQ:HASH`).\n"
"import hashlib, json, os, sys\n"
"here = os.path.dirname(os.path.abspath(__file__))\n"
"bad = 0\n"
"def problem(text):\n"
"    global bad\n"
"    print(text)\n"
"    bad += 1\n"
"def lines(name):\n"
"    with open(os.path.join(here, name), encoding='utf-8') as f:\n"
"        return [json.loads(l) for l in f if l.strip()]\n"
"files = {}\n"
"for name in sorted(os.listdir(os.path.join(here, 'messages'))):\n"
"    with open(os.path.join(here, 'messages', name), 'rb') as f:\n"
"        files[hashlib.sha256(f.read()).hexdigest()] = name\n"
"events = lines('events.jsonl')\n"
"named = set()\n"
"for e in events:\n"
"    canon = 'dunmail-event-v1\\n%d\\n%d\\n%s\\n%d\\n%d\\n%d\\n%s\\n%s\\n%s' % (\n"
"        e['seq'], e['at'], e['kind'], e['case_id'], e['debtor_id'],\n"
"        e['message_id'], e['message_sha256'], e['detail'], e['prev_hash'])\n"
"    if hashlib.sha256(canon.encode('utf-8')).hexdigest() != e['hash']:\n"
"        problem('event %d: hash does not match its fields' % e['seq'])\n"
"    if e['message_sha256']:\n"
"        named.add(e['message_sha256'])\n"
"        if e['message_sha256'] not in files:\n"
"            problem('event %d: message %s missing or altered' % (e['seq'], e['message_sha256']))\n"
"chain = lines('chain.jsonl')\n"
"for a, b in zip(chain, chain[1:]):\n"
"    if b['seq'] == a['seq'] + 2:\n"
"        problem('chain: event %d missing' % (a['seq'] + 1))\n"
"    elif b['seq'] > a['seq'] + 2:\n"
"        problem('chain: events %d to %d missing' % (a['seq'] + 1, b['seq'] - 1))\n"
"    elif b['seq'] != a['seq'] + 1:\n"
"        problem('chain: event %d out of place after event %d' % (b['seq'], a['seq']))\n"
"    elif b['prev_hash'] != a['hash']:\n"
"        problem('chain: event %d does not follow event %d' % (b['seq'], a['seq']))\n"
"at = {c['seq']: c for c in chain}\n"
"ours = set()\n"
"for e in events:\n"
"    c = at.get(e['seq'])\n"
"    if c is None or not c['case'] or c['hash'] != e['hash'] or c['prev_hash'] != e['prev_hash']:\n"
"        problem('event %d: not in the chain as recorded' % e['seq'])\n"
"    ours.add(e['seq'])\n"
"for c in chain:\n"
"    if c['case'] and c['seq'] not in ours:\n"
"        problem('event %d of the case is missing from events.jsonl' % c['seq'])\n"
"if events and chain and (chain[0]['seq'] != events[0]['seq'] or chain[-1]['seq'] != events[-1]['seq']):\n"
"    problem('chain: does not run from the first event of the case to its last')\n"
"for sha, name in sorted(files.items(), key=lambda i: i[1]):\n"
"    if sha not in named:\n"
"        print('note: messages/%s is named by no event (not covered by the chain)' % name)\n"
"with open(os.path.join(here, 'SHA256SUMS'), encoding='utf-8') as f:\n"
"    for line in f:\n"
"        want, name = line.rstrip('\\n').split('  ', 1)\n"
"        try:\n"
"            with open(os.path.join(here, name), 'rb') as g:\n"
"                if hashlib.sha256(g.read()).hexdigest() != want:\n"
"                    problem('%s: altered (SHA256SUMS)' % name)\n"
"        except OSError:\n"
"            problem('%s: missing (SHA256SUMS)' % name)\n"
"if chain:\n"
"    print('chain: events %d to %d, last hash %s' % (chain[0]['seq'], chain[-1]['seq'], chain[-1]['hash']))\n"
"print('bundle %s' % ('FAILED' if bad else 'ok'))\n"
"sys.exit(1 if bad else 0)\n";

static void
export_clear(struct export_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nevs; i++) {
		free(x->evs[i].kind);
		free(x->evs[i].message_sha256);
		free(x->evs[i].detail);
	}
	free(x->evs);
	for (i = 0; i < x->nfiles; i++)
		free(x->files[i].name);
	free(x->files);
	dun_buf_free(&x->sums);
}

int
cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct export_ctx x;
	struct chain_ctx chain;
	struct dun_buf timeline = DUN_BUF_INIT, events = DUN_BUF_INIT;
	struct dun_buf readme = DUN_BUF_INIT;
	struct dun_case *c = NULL;
	struct dun_invoice *inv = NULL;
	struct dun_debtor *d = NULL;
	struct dun_case_messages msgs = { 0 };
	struct dun_verify_report vr;
	const char *dir;
	char *msgdir = NULL;
	int rc, verified;
	size_t i;

	memset(&x, 0, sizeof(x));
	memset(&chain, 0, sizeof(chain));
	if (argc != 3)
		return cli_usage("export");
	dir = argv[2];
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	x.store = ctx->store;
	chain.x = &x;
	if ((rc = dun_store_invoice_get(ctx->store, &inv, argv[1])) < 0 ||
	    (rc = dun_store_case_by_invoice(ctx->store, &c, argv[1])) < 0 ||
	    (rc = dun_store_debtor_get(ctx->store, &d, inv->debtor_id)) < 0)
		goto fail;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = dun_error_set_errno(DUN_EIO, "cannot create %s", dir);
		goto fail;
	}
	msgdir = xasprintf("%s/messages", dir);
	if (mkdir(msgdir, 0700) < 0) {
		rc = dun_error_set_errno(DUN_EEXISTS, "%s (export into a new "
		    "or empty directory)", msgdir);
		goto fail;
	}
	x.tz = d->timezone && *d->timezone ? d->timezone : "UTC";
	if ((rc = dun_store_case_trail_messages(ctx->store, &msgs,
	    c->id)) < 0 ||
	    (rc = dun_store_case_trail_foreach(ctx->store, c->id,
	    collect_event, &x)) < 0)
		goto fail;

	if ((rc = export_messages(&x, dir, &msgs)) < 0)
		goto fail;
	timeline_write(&timeline, &x, inv, d, c, &msgs);
	for (i = 0; i < x.nevs; i++)
		events_jsonl(&events, &x.evs[i]);
	if (x.nevs > 0 && (rc = dun_store_event_range_foreach(ctx->store,
	    x.evs[0].seq, x.evs[x.nevs - 1].seq, chain_event, &chain)) < 0)
		goto fail;
	if ((rc = write_file(dir, "timeline.md", timeline.data,
	    timeline.len, &x.sums)) < 0 ||
	    (rc = write_file(dir, "events.jsonl", events.data ?
	    events.data : "", events.len, &x.sums)) < 0 ||
	    (rc = write_file(dir, "chain.jsonl", chain.out.data ?
	    chain.out.data : "", chain.out.len, &x.sums)) < 0 ||
	    (rc = write_file(dir, "verify.py", checker, strlen(checker),
	    &x.sums)) < 0)
		goto fail;
	verified = dun_trail_verify(ctx->store, &vr) == 0;
	dun_buf_printf(&readme, "Evidence bundle for invoice %s, exported by "
	    "dunmail %s.\n\nThe store's whole trail %s when exported (%lld "
	    "events, %lld stored messages); its head was\n\n    head "
	    "%lld:%s\n\nCompare it with a head recorded out of band.\n\n"
	    "  messages/     every message in and out, byte for byte (.eml)\n"
	    "  timeline.md   what happened, in words, with times\n"
	    "  events.jsonl  the case's events with their hash fields\n"
	    "  chain.jsonl   the trail from the case's first event to its "
	    "last: hashes only\n  verify.py     rechecks all of it without "
	    "dunmail\n\nCheck the files:   sha256sum -c SHA256SUMS\n"
	    "Check the events:  python3 verify.py\n", inv->number,
	    DUN_VERSION, verified ? "verified intact" : "did NOT verify",
	    (long long)vr.events, (long long)vr.blobs,
	    (long long)vr.head_seq, vr.head_hash);
	if ((rc = write_file(dir, "README.txt", readme.data, readme.len,
	    &x.sums)) < 0)
		goto fail;
	{
		char *path = xasprintf("%s/SHA256SUMS", dir);
		rc = dun_file_write_atomic(path, x.sums.data, x.sums.len,
		    0600);
		free(path);
		if (rc < 0)
			goto fail;
	}
	printf("exported %s to %s: %zu messages, %zu events, timeline.md, "
	    "events.jsonl, chain.jsonl, SHA256SUMS\n", inv->number, dir,
	    x.nfiles, x.nevs);
	rc = 0;
	goto done;
fail:
	rc = cli_fail(rc);
done:
	dun_case_messages_free(&msgs);
	export_clear(&x);
	dun_buf_free(&chain.out);
	dun_buf_free(&timeline);
	dun_buf_free(&events);
	dun_buf_free(&readme);
	free(msgdir);
	dun_case_free(c);
	dun_invoice_free(inv);
	dun_debtor_free(d);
	return rc;
}
