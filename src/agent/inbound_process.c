/*
 * The inbound pipeline's processing of a stored message: parse, detect
 * bounces and auto-replies, strip quotes, classify, match to cases,
 * record, run the reply hook, and hand a message that fails by its own
 * fault to a person. A fetched chunk is processed in one transaction.
 * Fetching, storing and filing are inbound.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/agent/inbound.h"
#include "dunmail/core/common.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/imap.h"
#include "dunmail/parse/authres.h"
#include "dunmail/reply/trust.h"
#include "dunmail/store/store_inbound.h"
#include "dunmail/store/trail.h"
#include "inbound_internal.h"

/* Messages of one chunk that may fail (each redoing the chunk) before
 * the rest is processed one transaction each. */
#define BATCH_FAILURES 4
/* Look up at most this many invoice-number candidates per message. */
#define MAX_INVOICE_CANDIDATES 64
/* Bytes of the sender's own words kept in the `classified` event. */
#define WORDS_MAX 600

int
dun_inbound_on_reply(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, void *arg)
{
	(void)store;
	(void)cfg;
	(void)now;
	(void)reply;
	(void)arg;
	return 0;
}

char *
dun_inbound_folder(const char *root, enum dun_class cls, int needs_attention)
{
	const char *leaf;

	if (needs_attention)
		leaf = "Needs attention";
	else switch (cls) {
	case DUN_CLASS_PROMISE_TO_PAY: leaf = "Promise"; break;
	case DUN_CLASS_DISPUTE: leaf = "Dispute"; break;
	case DUN_CLASS_HARDSHIP: leaf = "Hardship"; break;
	case DUN_CLASS_PAID: leaf = "Paid"; break;
	case DUN_CLASS_OPT_OUT: leaf = "Opt-out"; break;
	case DUN_CLASS_WRONG_CONTACT: leaf = "Wrong contact"; break;
	case DUN_CLASS_INVOICE_REQUEST: leaf = "Invoice request"; break;
	case DUN_CLASS_AUTO_REPLY: leaf = "Auto-reply"; break;
	case DUN_CLASS_BOUNCE: leaf = "Bounce"; break;
	default: leaf = "Needs attention"; break;
	}
	if (root == NULL || *root == '\0')
		return xstrdup(leaf);
	return xasprintf("%s/%s", root, leaf);
}

/* --- reading raw headers (for what parse.h does not carry) ----------- */

/* The first value of header name in the raw message, unfolded; NULL if
 * absent. Only the header block is read, at most 64 KiB of it. */
char *
inbound__raw_header(const char *data, size_t len, const char *name)
{
	size_t nlen = strlen(name), i = 0, lim = len < 65536 ? len : 65536;
	struct dun_buf v = DUN_BUF_INIT;

	dun_buf_init(&v, 1024);
	while (i < lim) {
		size_t eol = i;
		while (eol < lim && data[eol] != '\n')
			eol++;
		if (eol == i || (eol == i + 1 && data[i] == '\r'))
			break; /* end of the header block */
		if (eol - i > nlen && data[i + nlen] == ':' &&
		    strncasecmp(data + i, name, nlen) == 0) {
			size_t j = i + nlen + 1;
			for (;;) {
				size_t end = eol;
				if (end > j && data[end - 1] == '\r')
					end--;
				if (dun_buf_add(&v, data + j, end - j) < 0)
					break;
				j = eol + 1;
				if (j >= lim || (data[j] != ' ' &&
				    data[j] != '\t'))
					break;
				eol = j;
				while (eol < lim && data[eol] != '\n')
					eol++;
			}
			{
				char *t = dun_str_trim(v.data ? v.data : "");
				char *r = xstrdup(t);
				dun_buf_free(&v);
				return r;
			}
		}
		i = eol + 1;
	}
	dun_buf_free(&v);
	return NULL;
}

/* "<id>" or "id" -> "id" (owned). */
char *
inbound__strip_angle(const char *s)
{
	const char *a = strchr(s, '<'), *b;

	if (a && (b = strchr(a, '>')) != NULL)
		return xstrndup(a + 1, (size_t)(b - a - 1));
	return xstrdup(s);
}

/* --- case tokens: DUN-[A-Z0-9]{6,} ----------------------------------- */

static size_t
find_tokens(const char *text, char tokens[][40], size_t max, size_t have)
{
	const char *p = text;

	while (text && (p = strcasestr(p, "DUN-")) != NULL && have < max) {
		const char *q = p + 4;
		size_t n = 0, k;
		int dup = 0;
		if (p > text && isalnum((unsigned char)p[-1])) {
			p = q;
			continue;
		}
		while (isalnum((unsigned char)q[n]) && n < 32)
			n++;
		if (n >= 6) {
			char tok[40];
			snprintf(tok, sizeof(tok), "DUN-%.*s", (int)n, q);
			for (k = 4; tok[k]; k++)
				tok[k] = (char)toupper((unsigned char)tok[k]);
			for (k = 0; k < have; k++)
				dup |= strcmp(tokens[k], tok) == 0;
			if (!dup)
				snprintf(tokens[have++], 40, "%s", tok);
		}
		p = q + n;
	}
	return have;
}

/* --- matching --------------------------------------------------------- */

struct match {
	int64_t debtor_id;
	int64_t *cases;          /* owned */
	size_t ncases;
	const char *method;      /* static */
	int64_t out_id;          /* the message of ours it answers, or 0 */
	char out_sha[65];
	char token[40];
	int named;               /* restricted to invoices it named */
	char *named_list;        /* owned; JSON array of invoice numbers */
};

static void
match_clear(struct match *m)
{
	free(m->cases);
	free(m->named_list);
	memset(m, 0, sizeof(*m));
}

static void
add_case(struct match *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->ncases; i++)
		if (m->cases[i] == id)
			return;
	m->cases = xreallocarray(m->cases, m->ncases + 1, sizeof(int64_t));
	m->cases[m->ncases++] = id;
}

/* Matches to the sent message out_id: its debtor and cases. */
static int
match_sent(struct dun_inbound *ib, struct match *m, int64_t out_id,
    int64_t debtor_id, const char *sha, const char *method)
{
	int64_t *ids = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = dun_store_message_case_ids(ib->store, &ids, &n, out_id)) < 0)
		return rc;
	m->out_id = out_id;
	m->debtor_id = debtor_id;
	snprintf(m->out_sha, sizeof(m->out_sha), "%s", sha);
	m->method = method;
	for (i = 0; i < n; i++)
		add_case(m, ids[i]);
	free(ids);
	return 0;
}

/* In-Reply-To, then References from the newest. */
static int
match_thread(struct dun_inbound *ib, struct match *m, const char *irt,
    const char *refs)
{
	char **ids = NULL, *copy, *tok, *save = NULL, sha[65];
	size_t n = 0, first_ref, i, j;
	int64_t out_id, debtor_id;
	int rc = 0;

	if (irt && *irt) {
		ids = xreallocarray(ids, n + 1, sizeof(char *));
		ids[n++] = xstrdup(irt);
	}
	first_ref = n;
	copy = xstrdup(refs ? refs : "");
	for (tok = strtok_r(copy, " \t", &save); tok && n < 64;
	    tok = strtok_r(NULL, " \t", &save)) {
		ids = xreallocarray(ids, n + 1, sizeof(char *));
		ids[n++] = inbound__strip_angle(tok);
	}
	free(copy);
	/* References lists the oldest first: newest first, please. */
	for (i = first_ref, j = n; i + 1 < j; i++, j--) {
		char *t = ids[i];
		ids[i] = ids[j - 1];
		ids[j - 1] = t;
	}
	for (i = 0; i < n && m->method == NULL && rc == 0; i++) {
		rc = dun_store_outmsg_by_message_id(ib->store, &out_id,
		    &debtor_id, sha, ids[i]);
		if (rc == 0)
			rc = match_sent(ib, m, out_id, debtor_id, sha,
			    "thread");
		else if (rc == DUN_ENOTFOUND)
			rc = 0;
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static int
match_token(struct dun_inbound *ib, struct match *m, const char *header,
    const char *subject, const char *body)
{
	char tokens[8][40], sha[65];
	size_t n = 0, i;
	int64_t out_id, debtor_id;
	int rc = 0;

	n = find_tokens(header, tokens, 8, n);
	n = find_tokens(subject, tokens, 8, n);
	n = find_tokens(body, tokens, 8, n);
	for (i = 0; i < n && m->method == NULL && rc == 0; i++) {
		rc = dun_store_outmsg_by_token(ib->store, &out_id, &debtor_id,
		    sha, tokens[i]);
		if (rc == 0) {
			rc = match_sent(ib, m, out_id, debtor_id, sha, "token");
			snprintf(m->token, sizeof(m->token), "%s", tokens[i]);
		} else if (rc == DUN_ENOTFOUND)
			rc = 0;
	}
	return rc;
}

/* Word-like runs with a digit: invoice-number candidates. */
static size_t
invoice_candidates(const char *text, char ***out, size_t have)
{
	const char *p = text;

	while (p && *p && have < MAX_INVOICE_CANDIDATES) {
		const char *s;
		size_t n;
		int digit = 0;
		while (*p && !(isalnum((unsigned char)*p)))
			p++;
		s = p;
		while (*p && (isalnum((unsigned char)*p) || *p == '-' ||
		    *p == '_' || *p == '/' || *p == '.'))
			digit |= isdigit((unsigned char)*p++);
		n = (size_t)(p - s);
		while (n > 0 && (s[n - 1] == '.' || s[n - 1] == '-' ||
		    s[n - 1] == '/'))
			n--;
		if (digit && n >= 3 && n <= 40) {
			size_t k;
			int dup = 0;
			for (k = 0; k < have; k++)
				dup |= strlen((*out)[k]) == n &&
				    strncmp((*out)[k], s, n) == 0;
			if (!dup) {
				*out = xreallocarray(*out, have + 1,
				    sizeof(char *));
				(*out)[have++] = xstrndup(s, n);
			}
		}
	}
	return have;
}

/*
 * Invoices named in text that exist: their cases (of debtor_id only, if
 * known). Appends numbers to *json.
 */
static int
named_cases(struct dun_inbound *ib, char **names, size_t nnames,
    int64_t debtor_id, struct match *into, struct dun_buf *json,
    int *foreign)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < nnames && rc == 0; i++) {
		struct dun_invoice *inv = NULL;
		struct dun_case *c = NULL;
		rc = dun_store_invoice_get(ib->store, &inv, names[i]);
		if (rc == DUN_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (debtor_id == 0)
			debtor_id = inv->debtor_id;
		if (inv->debtor_id == debtor_id) {
			rc = dun_store_case_by_invoice(ib->store, &c,
			    inv->number);
			if (rc == 0) {
				add_case(into, c->id);
				into->debtor_id = debtor_id;
				dun_buf_puts(json, json->len > 1 ? ",\"" :
				    "\"");
				dun_json_escape(json, inv->number);
				dun_buf_puts(json, "\"");
			} else if (rc == DUN_ENOTFOUND)
				rc = 0;
			dun_case_free(c);
		} else if (foreign != NULL)
			(*foreign)++;
		dun_invoice_free(inv);
	}
	return rc;
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The debtor whose contact from is, in *out; 0 when it is nobody's. */
static int
sender_debtor(struct dun_inbound *ib, const char *from, int64_t *out)
{
	struct dun_debtor *d = NULL;
	int rc;

	*out = 0;
	if (from == NULL || *from == '\0')
		return 0;
	rc = dun_store_debtor_by_email(ib->store, &d, from);
	if (rc == DUN_ENOTFOUND)
		return 0;
	if (rc == 0)
		*out = d->id;
	dun_debtor_free(d);
	return rc;
}

/* Every open case of the sender's debtor (sender_debtor). */
static int
match_sender(struct dun_inbound *ib, struct match *m, int64_t debtor_id)
{
	struct dun_case_list list;
	size_t i;
	int rc;

	if (debtor_id == 0)
		return 0;
	if ((rc = dun_store_case_list(ib->store, &list, -1, debtor_id)) == 0) {
		for (i = 0; i < list.count; i++)
			if (dun_case_state_open(list.items[i]->state))
				add_case(m, list.items[i]->id);
		dun_case_list_free(&list);
		m->debtor_id = debtor_id;
		m->method = "sender";
	}
	return rc;
}

static int
sender_is_contact(struct dun_inbound *ib, int64_t debtor_id,
    const char *from, struct dun_debtor **debtor_out)
{
	struct dun_debtor *d = NULL;
	size_t i;
	int found = 0;

	*debtor_out = NULL;
	if (debtor_id == 0 || dun_store_debtor_get(ib->store, &d, debtor_id) < 0)
		return 0;
	for (i = 0; from && i < d->nemails; i++)
		if (strcasecmp(d->emails[i], from) == 0)
			found = 1;
	*debtor_out = d;
	return found;
}

/* The text/plain of the reminder a reply answers, for the quote guard. */
static const char *
reminder_text(struct dun_inbound *ib, const char *sha)
{
	struct reminder_cache *slot;
	struct dun_parsed *p = NULL;
	char *data = NULL;
	size_t len, i;

	if (sha == NULL || *sha == '\0')
		return NULL;
	for (i = 0; i < REMINDER_CACHE; i++)
		if (strcmp(ib->cache[i].sha256, sha) == 0)
			return ib->cache[i].text;
	if (dun_trail_get_blob(ib->store, &data, &len, sha) < 0)
		return NULL;
	slot = &ib->cache[ib->cache_next++ % REMINDER_CACHE];
	free(slot->text);
	slot->text = NULL;
	snprintf(slot->sha256, sizeof(slot->sha256), "%s", sha);
	if (dun_parse_message(&p, data, len, NULL) == 0 && p && p->body_text)
		slot->text = xstrdup(p->body_text);
	dun_parsed_free(p);
	free(data);
	return slot->text;
}

/* --- processing one stored message ------------------------------------ */

static void
cls_init(struct dun_classification *c, enum dun_class cls, const char *rule,
    const char *evidence)
{
	memset(c, 0, sizeof(*c));
	c->cls = cls;
	c->confidence = 1.0;
	c->rule = xstrdup(rule);
	c->evidence = xstrdup(evidence ? evidence : "");
	c->promised_on = DUN_DATE_NONE;
	c->amount_minor = -1;
	c->candidates = xstrdup("");
}

static const char *
date_locale(struct dun_inbound *ib, const struct dun_debtor *d)
{
	if (d && strcmp(d->language, "zh") == 0)
		return "zh";
	switch (ib->cfg->ledger.date_order) {
	case DUN_DATES_DMY: return "en-GB";
	case DUN_DATES_MDY: return "en-US";
	default: return NULL;
	}
}

struct proc {
	struct dun_parsed *p;            /* owned; NULL if unparseable */
	struct dun_classification cls;
	struct match m;
	struct dun_debtor *debtor;       /* owned */
	int sender_contact;
	int foreign_named;  /* names only other debtors' invoices */
	int auth_configured;             /* [inbound] authserv_id is set */
	struct dun_auth_check auth;      /* the receiving server's verdict */
	struct dun_trust trust;          /* may it change a case by itself */
	int needs_attention;
	const char *why_attention;       /* hand-off reason if any */
	char *folder;                    /* owned */
	char *token_header;              /* owned */
	char *error;                     /* owned; why unparseable */
	int failed;                      /* processing failed: no hook */
};

static void
proc_clear(struct proc *pr)
{
	dun_parsed_free(pr->p);
	dun_classification_clear(&pr->cls);
	match_clear(&pr->m);
	dun_debtor_free(pr->debtor);
	free(pr->folder);
	free(pr->token_header);
	free(pr->error);
}

/* Bounces: to our message through its returned headers; the failed
 * recipients of a hard bounce become invalid contacts. */
static int
handle_bounce(struct dun_inbound *ib, struct proc *pr,
    const struct dun_inmsg *row, dun_time_t now)
{
	const struct dun_parsed *p = pr->p;
	struct dun_trail_ref ref;
	char sha[65], reason[160];
	int64_t out_id, debtor_id;
	size_t i;
	int rc = 0;

	if (p->bounced_message_id && *p->bounced_message_id) {
		rc = dun_store_outmsg_by_message_id(ib->store, &out_id,
		    &debtor_id, sha, p->bounced_message_id);
		if (rc == 0)
			rc = match_sent(ib, &pr->m, out_id, debtor_id, sha,
			    "bounce");
		else if (rc == DUN_ENOTFOUND)
			rc = 0;
	}
	if (rc < 0 || pr->m.debtor_id == 0)
		return rc;
	for (i = 0; i < p->nbounce_rcpts && rc == 0; i++) {
		const struct dun_bounce_rcpt *r = &p->bounce_rcpts[i];
		struct dun_buf d = DUN_BUF_INIT;
		memset(&ref, 0, sizeof(ref));
		ref.debtor_id = pr->m.debtor_id;
		ref.message_id = row->id;
		ref.message_sha256 = row->sha256;
		dun_json_open(&d);
		dun_json_str(&d, "recipient", r->recipient);
		dun_json_str(&d, "status", r->status ? r->status : "");
		dun_json_str(&d, "action", r->action ? r->action : "");
		dun_json_bool(&d, "hard", r->hard);
		dun_json_int(&d, "bounced_message", pr->m.out_id);
		dun_json_close(&d);
		if (r->hard) {
			snprintf(reason, sizeof(reason), "hard bounce %s",
			    r->status ? r->status : "");
			rc = dun_store_contact_set_invalid(ib->store,
			    pr->m.debtor_id, r->recipient, 1, reason);
			if (rc == DUN_ENOTFOUND)
				rc = 0;
			if (rc == 0)
				rc = dun_trail_append(ib->store, now,
				    "contact_invalid", &ref, d.data);
		} else
			rc = dun_trail_append(ib->store, now, "soft_bounce",
			    &ref, d.data);
		dun_buf_free(&d);
	}
	return rc;
}

/*
 * Who may steer a case, decided once for the reply: the sender among the
 * matched debtor's contacts and, where [inbound] authserv_id is set, the
 * receiving server's topmost Authentication-Results of that id saying it
 * is authenticated. The workflow and the cases act on pr->trust only.
 */
static void
decide_trust(struct dun_inbound *ib, struct proc *pr, const char *data,
    size_t len)
{
	struct dun_trust_in in;
	const char *authserv = ib->cfg->inbound_authserv_id;

	memset(&in, 0, sizeof(in));
	pr->auth_configured = authserv != NULL && *authserv != '\0';
	if (pr->auth_configured) {
		dun_authres_check(&pr->auth, data, len, authserv, pr->p ?
		    pr->p->from_addr : NULL);
		in.auth = &pr->auth;
	}
	in.sender_contact = pr->sender_contact;
	in.auth_configured = pr->auth_configured;
	in.bounce = pr->cls.cls == DUN_CLASS_BOUNCE;
	in.from_ambiguous = data != NULL &&
	    dun_authres_from_ambiguous(data, len);
	dun_trust_decide(&pr->trust, &in);
}

/* Parse, detect, classify, match: no writes except the bounce marks. */
static int
analyse(struct dun_inbound *ib, struct proc *pr, const struct dun_inmsg *row,
    const char *data, size_t len, dun_time_t now)
{
	struct dun_parse_opts popts;
	char **names = NULL;
	size_t nnames = 0, i;
	int64_t sender = 0; /* the debtor whose contact wrote it, or 0 */
	int rc;

	memset(&popts, 0, sizeof(popts));
	popts.max_size = DUN_IMAP_MAX_MESSAGE + 1;
	pr->token_header = inbound__raw_header(data, len, "X-Dunmail-Token");
	rc = dun_parse_message(&pr->p, data, len, &popts);
	if (rc < 0 || pr->p == NULL) {
		pr->error = xstrdup(dun_error_last());
		dun_parsed_free(pr->p);
		pr->p = NULL;
	}
	if (pr->p && pr->p->parse_error && (pr->p->text == NULL ||
	    *pr->p->text == '\0')) {
		pr->error = xstrdup(pr->p->error && *pr->p->error ?
		    pr->p->error : "the MIME structure is broken");
	}
	if (row->truncated) {
		free(pr->error);
		pr->error = xasprintf("over the %u MiB size cap (%lld bytes): "
		    "only the header was stored", DUN_IMAP_MAX_MESSAGE >> 20,
		    (long long)row->size);
	}

	if (pr->p && pr->p->auto_kind == DUN_AUTO_BOUNCE) {
		/* The same rule ids as `dunmail classify` reports. */
		cls_init(&pr->cls, DUN_CLASS_BOUNCE, pr->p->bounce_hard ?
		    "detect.bounce_hard" : "detect.bounce",
		    pr->p->auto_evidence);
		if ((rc = handle_bounce(ib, pr, row, now)) < 0)
			return rc;
	}
	/* Thread, then token: both name the reminder it answers. */
	if (pr->p && pr->m.method == NULL &&
	    (rc = match_thread(ib, &pr->m, pr->p->in_reply_to,
	    pr->p->references)) < 0)
		return rc;
	if (pr->p && pr->m.method == NULL &&
	    (rc = match_token(ib, &pr->m, pr->token_header, pr->p->subject,
	    pr->p->body_text)) < 0)
		return rc;
	if (pr->p && pr->m.out_sha[0] && pr->p->body_text) {
		const char *rt = reminder_text(ib, pr->m.out_sha);
		if (rt) {
			char *own = dun_quote_strip(pr->p->body_text, rt);
			if (own) {
				free(pr->p->text);
				pr->p->text = own;
			}
		}
	}
	if (pr->m.debtor_id)
		sender_is_contact(ib, pr->m.debtor_id, NULL, &pr->debtor);

	if (pr->p && pr->p->auto_kind == DUN_AUTO_REPLY)
		cls_init(&pr->cls, DUN_CLASS_AUTO_REPLY, "detect.auto_reply",
		    pr->p->auto_evidence);
	else if (pr->p && pr->p->auto_kind == DUN_AUTO_NONE &&
	    pr->error == NULL) {
		rc = dun_classify(&pr->cls, ib->rules, pr->p,
		    pr->debtor ? pr->debtor->timezone : ib->cfg->timezone,
		    date_locale(ib, pr->debtor));
		if (rc < 0) {
			log_warnx("message %lld: classifier failed: %s",
			    (long long)row->id, dun_error_last());
			cls_init(&pr->cls, DUN_CLASS_UNKNOWN, "classify:error",
			    dun_error_last());
			pr->cls.confidence = 0;
		}
	} else if (pr->cls.rule == NULL)
		cls_init(&pr->cls, DUN_CLASS_UNKNOWN, "unparseable",
		    pr->error);

	/* Invoice numbers the debtor named in their own words. */
	if (pr->p && pr->cls.cls != DUN_CLASS_BOUNCE) {
		int64_t scope;
		int foreign = 0;
		struct match named;
		struct dun_buf json = DUN_BUF_INIT;

		/* Not matched by thread: a contact's own debtor bounds the
		 * invoices it may name, so a reply naming another debtor's
		 * invoice first is never filed to that debtor. */
		if (pr->m.debtor_id == 0 && (rc = sender_debtor(ib,
		    pr->p->from_addr, &sender)) < 0)
			return rc;
		scope = pr->m.debtor_id ? pr->m.debtor_id : sender;
		memset(&named, 0, sizeof(named));
		for (i = 0; i < pr->cls.ninvoices; i++) {
			names = xreallocarray(names, nnames + 1,
			    sizeof(char *));
			names[nnames++] = xstrdup(pr->cls.invoices[i]);
		}
		nnames = invoice_candidates(pr->p->text, &names, nnames);
		dun_buf_puts(&json, "[");
		rc = named_cases(ib, names, nnames, scope, &named, &json,
		    &foreign);
		dun_buf_puts(&json, "]");
		free_names(names, nnames);
		names = NULL;
		nnames = 0;
		if (rc == 0 && named.ncases > 0) {
			/* Named invoices: only those cases. */
			free(pr->m.cases);
			pr->m.cases = named.cases;
			pr->m.ncases = named.ncases;
			named.cases = NULL;
			if (pr->m.method == NULL)
				pr->m.method = "invoice";
			pr->m.debtor_id = named.debtor_id;
			pr->m.named = 1;
			pr->m.named_list = dun_buf_detach(&json, NULL);
		}
		dun_buf_free(&json);
		match_clear(&named);
		if (rc < 0)
			return rc;
		/* Else invoice numbers in the subject. */
		if (pr->m.method == NULL && pr->p->subject) {
			json.len = 0;
			dun_buf_puts(&json, "[");
			nnames = invoice_candidates(pr->p->subject, &names, 0);
			rc = named_cases(ib, names, nnames, scope, &pr->m, &json,
			    &foreign);
			free_names(names, nnames);
			dun_buf_free(&json);
			if (rc < 0)
				return rc;
			if (pr->m.ncases)
				pr->m.method = "invoice";
		}
		pr->foreign_named = foreign > 0 && pr->m.method == NULL;
	}
	if (pr->p && pr->m.method == NULL && pr->cls.cls != DUN_CLASS_BOUNCE &&
	    (rc = match_sender(ib, &pr->m, sender)) < 0)
		return rc;
	if (pr->m.method == NULL)
		pr->m.method = "none";
	dun_debtor_free(pr->debtor);
	pr->debtor = NULL;
	pr->sender_contact = sender_is_contact(ib, pr->m.debtor_id,
	    pr->p ? pr->p->from_addr : NULL, &pr->debtor);
	if (pr->cls.cls == DUN_CLASS_BOUNCE)
		pr->sender_contact = 0; /* the MTA wrote it, not the debtor */
	decide_trust(ib, pr, data, len);
	if (pr->foreign_named && pr->trust.trusted &&
	    pr->cls.cls != DUN_CLASS_BOUNCE) {
		/* It speaks of another debtor's invoices only: a person
		 * decides what it means for this one. */
		pr->trust.trusted = 0;
		snprintf(pr->trust.why, sizeof(pr->trust.why), "the reply "
		    "names only invoices of another debtor");
	}

	/* Who must look, and where it goes. */
	if (pr->error) {
		pr->needs_attention = 1;
		pr->why_attention = row->truncated ? "oversized" :
		    "unparseable";
	} else if (pr->m.debtor_id == 0) {
		pr->needs_attention = 1;
		pr->why_attention = "unmatched";
	} else if (!pr->trust.trusted) {
		/* Whatever it says, a person decides (docs/workflow.md). */
		pr->why_attention = "unverified_sender";
	} else switch (pr->cls.cls) {
	case DUN_CLASS_UNKNOWN:
		pr->needs_attention = 1;
		pr->why_attention = "unknown";
		break;
	case DUN_CLASS_DISPUTE: pr->why_attention = "dispute"; break;
	case DUN_CLASS_HARDSHIP: pr->why_attention = "hardship"; break;
	case DUN_CLASS_PAID: pr->why_attention = "paid"; break;
	case DUN_CLASS_WRONG_CONTACT: pr->why_attention = "wrong_contact";
		break;
	case DUN_CLASS_OPT_OUT: pr->why_attention = "opt_out"; break;
	case DUN_CLASS_BOUNCE:
		if (pr->p->bounce_hard)
			pr->why_attention = "bounce_hard";
		break;
	default:
		break;
	}
	/* Whatever hands a reply to a person files it where people look:
	 * the class folders keep only what dunmail handled by itself. */
	if (pr->why_attention)
		pr->needs_attention = 1;
	pr->folder = dun_inbound_folder(ib->cfg->imap_folder_root,
	    pr->cls.cls, pr->needs_attention);
	return 0;
}

static void
json_cases(struct dun_buf *b, const struct match *m)
{
	size_t i;

	dun_buf_puts(b, "[");
	for (i = 0; i < m->ncases; i++)
		dun_buf_printf(b, "%s%lld", i ? "," : "",
		    (long long)m->cases[i]);
	dun_buf_puts(b, "]");
}

/* The trail detail of a classified reply. */
static char *
classified_detail(const struct proc *pr)
{
	struct dun_buf d = DUN_BUF_INIT, cases = DUN_BUF_INIT;
	char date[11];

	json_cases(&cases, &pr->m);
	dun_json_open(&d);
	dun_json_str(&d, "class", dun_class_name(pr->cls.cls));
	dun_json_double(&d, "confidence", pr->cls.confidence);
	dun_json_str(&d, "rule", pr->cls.rule ? pr->cls.rule : "");
	dun_json_str(&d, "evidence", pr->cls.evidence ? pr->cls.evidence : "");
	if (pr->cls.promised_on != DUN_DATE_NONE) {
		dun_date_format(date, pr->cls.promised_on);
		dun_json_str(&d, "promised_on", date);
	}
	if (pr->cls.amount_minor >= 0) {
		dun_json_int(&d, "amount_minor", pr->cls.amount_minor);
		dun_json_str(&d, "currency", pr->cls.currency);
	}
	if (pr->cls.candidates && *pr->cls.candidates)
		dun_json_str(&d, "candidates", pr->cls.candidates);
	dun_json_str(&d, "match", pr->m.method);
	if (pr->m.out_id)
		dun_json_int(&d, "answers_message", pr->m.out_id);
	if (pr->m.token[0])
		dun_json_str(&d, "token", pr->m.token);
	if (pr->m.named_list)
		dun_json_raw(&d, "named_invoices", pr->m.named_list);
	dun_json_raw(&d, "cases", cases.data);
	dun_json_str(&d, "from", pr->p && pr->p->from_addr ?
	    pr->p->from_addr : "");
	dun_json_bool(&d, "sender_is_contact", pr->sender_contact);
	dun_json_bool(&d, "trusted", pr->trust.trusted);
	dun_json_str(&d, "trust", pr->trust.why);
	if (pr->auth_configured) {
		/* The verdict and the header it came from, as read. */
		struct dun_buf a = DUN_BUF_INIT;
		dun_json_open(&a);
		dun_json_bool(&a, "found", pr->auth.found);
		dun_json_bool(&a, "authenticated", pr->auth.authenticated);
		dun_json_str(&a, "verdict", pr->auth.verdict);
		dun_json_str(&a, "header", pr->auth.header);
		dun_json_close(&a);
		dun_json_raw(&d, "auth", a.data);
		dun_buf_free(&a);
	}
	if (pr->p && pr->p->return_date != DUN_DATE_NONE &&
	    pr->cls.cls == DUN_CLASS_AUTO_REPLY) {
		dun_date_format(date, pr->p->return_date);
		dun_json_str(&d, "return_date", date);
	}
	if (pr->error)
		dun_json_str(&d, "error", pr->error);
	if (pr->p && pr->p->text) {
		/* What dunmail read as the sender's own words (after quote
		 * and signature stripping), so a person can check it. */
		char words[WORDS_MAX + 1];
		size_t n = strlen(pr->p->text);
		if (n > WORDS_MAX) {
			n = WORDS_MAX;
			while (n > 0 && ((unsigned char)pr->p->text[n] &
			    0xc0) == 0x80)
				n--;
		}
		memcpy(words, pr->p->text, n);
		words[n] = '\0';
		dun_json_str(&d, "words", words);
	}
	dun_json_str(&d, "folder", pr->folder);
	dun_json_close(&d);
	dun_buf_free(&cases);
	return dun_buf_detach(&d, NULL);
}

/*
 * The hook may hand a reply to a person where analyse() did not (a new
 * rule of the state machine): it is then filed where people look too, so
 * that folder holds every reply handed off. The `filed` event records
 * the folder it went to.
 */
static int
handed_by_hook(struct dun_inbound *ib, struct proc *pr, int64_t row_id,
    struct dun_inmsg_result *res, int *handed)
{
	struct dun_handoff_list hl;
	int rc;

	if ((rc = dun_store_handoff_list_message(ib->store, &hl,
	    row_id)) < 0)
		return rc;
	if (hl.count > 0 && !pr->needs_attention) {
		log_debug("message %lld: handed off by the workflow (%s): "
		    "filed under Needs attention", (long long)row_id,
		    hl.items[0].reason);
		pr->needs_attention = 1;
		free(pr->folder);
		pr->folder = dun_inbound_folder(ib->cfg->imap_folder_root,
		    pr->cls.cls, 1);
		res->folder = pr->folder;
		rc = dun_store_inmsg_record(ib->store, row_id, res);
	}
	*handed = hl.count > 0;
	dun_handoff_list_free(&hl);
	return rc;
}

/* Writes what analyse() found, in the caller's transaction. raw is the
 * stored message (NULL if it could not be read), for the hook. */
static int
record(struct dun_inbound *ib, struct proc *pr, const struct dun_inmsg *row,
    const char *raw, size_t raw_len, dun_time_t now,
    struct dun_inbound_stats *st)
{
	struct dun_inmsg_result res;
	struct dun_trail_ref ref;
	struct dun_inbound_reply reply;
	char *detail = NULL;
	size_t i;
	int rc, handed = 0;

	memset(&res, 0, sizeof(res));
	if (pr->p) {
		res.message_id = pr->p->message_id;
		res.in_reply_to = pr->p->in_reply_to;
		res.refs = pr->p->references;
		res.subject = pr->p->subject;
		res.from_addr = pr->p->from_addr;
		res.date_header = pr->p->date;
	}
	res.token = pr->m.token;
	res.cls = dun_class_name(pr->cls.cls);
	res.folder = pr->folder;
	res.debtor_id = pr->m.debtor_id;
	res.sender_contact = pr->sender_contact;
	res.match_method = pr->m.method;
	if ((rc = dun_store_inmsg_record(ib->store, row->id, &res)) < 0)
		return rc;
	if ((rc = dun_store_classification_add(ib->store, NULL, row->id,
	    &pr->cls, now)) < 0)
		return rc;
	for (i = 0; i < pr->m.ncases; i++)
		if ((rc = dun_store_message_case_add(ib->store, row->id,
		    pr->m.cases[i])) < 0)
			return rc;

	detail = classified_detail(pr);
	memset(&ref, 0, sizeof(ref));
	ref.debtor_id = pr->m.debtor_id;
	ref.message_id = row->id;
	ref.message_sha256 = row->sha256;
	/* One event per case, so each case's trail shows the reply. */
	if (pr->m.ncases == 0)
		rc = dun_trail_append(ib->store, now, "classified", &ref,
		    detail);
	for (i = 0; i < pr->m.ncases && rc == 0; i++) {
		ref.case_id = pr->m.cases[i];
		rc = dun_trail_append(ib->store, now, "classified", &ref,
		    detail);
	}
	free(detail);
	if (rc == 0 && pr->m.debtor_id && !pr->sender_contact &&
	    pr->cls.cls != DUN_CLASS_BOUNCE) {
		struct dun_buf d = DUN_BUF_INIT;
		dun_json_open(&d);
		dun_json_str(&d, "from", pr->p && pr->p->from_addr ?
		    pr->p->from_addr : "");
		dun_json_str(&d, "note", "sender is not a contact of the "
		    "debtor: this reply changes no case by itself");
		dun_json_close(&d);
		ref.case_id = 0;
		rc = dun_trail_append(ib->store, now, "sender_not_contact",
		    &ref, d.data);
		dun_buf_free(&d);
	}
	if (rc == 0 && pr->why_attention) {
		struct dun_buf d = DUN_BUF_INIT;
		dun_json_open(&d);
		dun_json_str(&d, "reason", pr->why_attention);
		dun_json_str(&d, "class", dun_class_name(pr->cls.cls));
		dun_json_close(&d);
		if (pr->m.ncases == 0) {
			ref.case_id = 0;
			rc = dun_store_handoff_insert(ib->store, NULL, 0, row->id,
			    pr->why_attention, now);
			if (rc == 0)
				rc = dun_trail_append(ib->store, now,
				    "handoff", &ref, d.data);
		}
		for (i = 0; i < pr->m.ncases && rc == 0; i++) {
			ref.case_id = pr->m.cases[i];
			rc = dun_store_handoff_insert(ib->store, NULL,
			    pr->m.cases[i], row->id, pr->why_attention, now);
			if (rc == 0)
				rc = dun_trail_append(ib->store, now,
				    "handoff", &ref, d.data);
		}
		dun_buf_free(&d);
		handed = 1;
	}
	if (rc < 0)
		return rc;

	memset(&reply, 0, sizeof(reply));
	reply.message_id = row->id;
	reply.sha256 = row->sha256;
	reply.parsed = pr->p;
	reply.cls = &pr->cls;
	reply.debtor_id = pr->m.debtor_id;
	reply.case_ids = pr->m.cases;
	reply.ncases = pr->m.ncases;
	reply.match_method = pr->m.method;
	reply.sender_contact = pr->sender_contact;
	reply.trusted = pr->trust.trusted;
	reply.trust_why = pr->trust.why;
	reply.auth_verdict = pr->auth_configured ? pr->auth.verdict : NULL;
	reply.named_invoices = pr->m.named;
	reply.handed_off = handed;
	reply.folder = pr->folder;
	reply.raw = raw;
	reply.raw_len = raw_len;
	/* A message whose processing failed touches no case: the hook is
	 * what may have failed. */
	if (!pr->failed && (rc = ib->opts.on_reply(ib->store, ib->cfg, now,
	    &reply, ib->opts.on_reply_arg)) < 0)
		return rc;
	if (!pr->failed && !handed && (rc = handed_by_hook(ib, pr, row->id,
	    &res, &handed)) < 0)
		return rc;
	if (st) {
		st->handoffs += handed;
		st->unmatched += pr->m.debtor_id == 0 && !pr->failed;
		st->unparseable += pr->error != NULL && !row->truncated &&
		    !pr->failed;
		st->failed += pr->failed;
	}
	return 0;
}

/*
 * Whether a failed processing is this message's own (a bug, a reply the
 * workflow refuses): then it goes to a person and the run goes on. A
 * failure of the store or the disk is not: the run stops and the next one
 * processes the message again (nothing was committed for it).
 */
static int
message_failure(int rc)
{
	dun_retry_t retry = dun_error_retry();

	if (rc == DUN_EIO || retry == DUN_RETRY_TEMP ||
	    retry == DUN_RETRY_WAIT)
		return 0;
	return 1;
}

/*
 * A message handed off because its processing failed is forwarded like
 * any other hand-off: the hook sees it with no case (so it can only
 * forward it), in a transaction of its own after the hand-off committed.
 * If that fails too, the queue and the folder still have the message.
 */
static void
forward_failed(struct dun_inbound *ib, struct proc *pr,
    const struct dun_inmsg *row, const char *raw, size_t raw_len,
    dun_time_t now)
{
	struct dun_inbound_reply reply;
	int rc;

	memset(&reply, 0, sizeof(reply));
	reply.message_id = row->id;
	reply.sha256 = row->sha256;
	reply.parsed = pr->p;
	reply.cls = &pr->cls;
	reply.match_method = pr->m.method;
	reply.handed_off = 1;
	reply.folder = pr->folder;
	reply.raw = raw;
	reply.raw_len = raw_len;
	if ((rc = dun_store_begin(ib->store)) == 0) {
		rc = ib->opts.on_reply(ib->store, ib->cfg, now, &reply,
		    ib->opts.on_reply_arg);
		if (rc == 0)
			rc = dun_store_commit(ib->store);
		else
			dun_store_rollback(ib->store);
	}
	if (rc < 0)
		log_warnx("message %lld: its hand-off is not forwarded: %s "
		    "(it is queued and filed)", (long long)row->id,
		    dun_error_last());
}

/*
 * Processing row id failed and was undone: record it as unknown with rule
 * processing_failed and the error, queue it for a person and file it
 * under Needs attention, in a transaction of its own. The raw bytes are
 * in the blob store already.
 */
static int
hand_off_failed(struct dun_inbound *ib, int64_t id, const char *error,
    struct dun_inbound_stats *st)
{
	struct dun_inmsg row;
	struct proc pr;
	char *raw = NULL, *mid = NULL;
	size_t len = 0;
	dun_time_t now = inbound__now(ib);
	int rc, claimed;

	memset(&pr, 0, sizeof(pr));
	if ((rc = dun_store_inmsg_get(ib->store, &row, id)) < 0)
		return rc;
	if ((rc = dun_store_begin(ib->store)) < 0)
		goto done;
	if ((rc = dun_store_inmsg_claim(ib->store, row.id, &claimed)) < 0)
		goto fail;
	if (!claimed) {
		rc = dun_store_commit(ib->store);
		goto done;
	}
	pr.failed = 1;
	pr.error = xasprintf("processing failed: %s", error);
	cls_init(&pr.cls, DUN_CLASS_UNKNOWN, "processing_failed", "");
	pr.cls.confidence = 0;
	pr.m.method = "none";
	pr.needs_attention = 1;
	pr.why_attention = "processing_failed";
	pr.folder = dun_inbound_folder(ib->cfg->imap_folder_root,
	    DUN_CLASS_UNKNOWN, 1);
	/* Only headers read raw: its Message-ID keeps a COPY server from
	 * getting it twice when a later run finishes filing it. */
	if (dun_trail_get_blob(ib->store, &raw, &len, row.sha256) == 0 &&
	    (mid = inbound__raw_header(raw, len, "Message-ID")) != NULL) {
		pr.p = xcalloc(1, sizeof(*pr.p));
		pr.p->message_id = inbound__strip_angle(mid);
		pr.p->subject = inbound__raw_header(raw, len, "Subject");
		pr.p->return_date = DUN_DATE_NONE;
	}
	if ((rc = record(ib, &pr, &row, raw, len, now, st)) < 0)
		goto fail;
	if ((rc = dun_store_commit(ib->store)) < 0)
		goto done;
	log_warnx("message %lld (uid %u): %s; handed to a person (%s)",
	    (long long)row.id, row.uid, pr.error, pr.folder);
	if (st)
		st->processed++;
	forward_failed(ib, &pr, &row, raw, len, now);
	goto done;
fail:
	dun_store_rollback(ib->store);
done:
	free(raw);
	free(mid);
	proc_clear(&pr);
	dun_inmsg_clear(&row);
	return rc;
}

/*
 * Processes one stored row inside the caller's transaction, if any. On
 * failure everything it wrote is to be rolled back by the caller, and
 * *own_fault says whether the failure is the message's own (the caller
 * then hands it to a person) or the store's or the disk's (the run stops).
 */
static int
process_row(struct dun_inbound *ib, int64_t message_row,
    struct dun_inbound_stats *st, int *own_fault)
{
	struct dun_inmsg row;
	struct proc pr;
	char *data = NULL;
	size_t len = 0;
	dun_time_t now = inbound__now(ib);
	int rc, claimed;

	*own_fault = 0;
	memset(&pr, 0, sizeof(pr));
	if ((rc = dun_store_inmsg_get(ib->store, &row, message_row)) < 0)
		return rc;
	if ((rc = dun_store_begin(ib->store)) < 0)
		goto cleanup;
	if ((rc = dun_store_inmsg_claim(ib->store, row.id, &claimed)) < 0)
		goto fail;
	if (!claimed) {
		/* Another run got there first: nothing to do twice. */
		rc = dun_store_commit(ib->store);
		goto cleanup;
	}
	if ((rc = dun_trail_get_blob(ib->store, &data, &len, row.sha256)) < 0) {
		/* The evidence store is damaged: a person must look at the
		 * disk, not at this message. */
		rc = dun_error_set(DUN_EIO, "message %lld: stored raw bytes "
		    "unreadable (%s); nothing processed, run `dunmail verify`",
		    (long long)row.id, dun_error_last());
		goto fail;
	}
	if ((rc = analyse(ib, &pr, &row, data, len, now)) < 0 ||
	    (rc = record(ib, &pr, &row, data, len, now, st)) < 0) {
		*own_fault = message_failure(rc);
		goto fail;
	}
	if ((rc = dun_store_commit(ib->store)) < 0)
		goto cleanup;
	log_debug("message %lld (uid %u): %s, %s%s, %zu case%s, -> %s",
	    (long long)row.id, row.uid, dun_class_name(pr.cls.cls),
	    pr.m.method, pr.trust.trusted ? "" : " (sender not trusted)",
	    pr.m.ncases, pr.m.ncases == 1 ? "" : "s", pr.folder);
	if (st)
		st->processed++;
	goto cleanup;
fail:
	dun_store_rollback(ib->store);
cleanup:
	proc_clear(&pr);
	free(data);
	dun_inmsg_clear(&row);
	return rc;
}

int
dun_inbound_process(struct dun_inbound *ib, int64_t message_row,
    struct dun_inbound_stats *st)
{
	struct dun_inbound_stats before;
	char *why;
	int rc, own_fault;

	if (st)
		before = *st;
	if ((rc = process_row(ib, message_row, st, &own_fault)) == 0 ||
	    !own_fault)
		return rc;
	/* Its own fault: a person gets it and the run goes on. */
	if (st)
		*st = before;
	why = xstrdup(dun_error_last());
	rc = hand_off_failed(ib, message_row, why, st);
	free(why);
	return rc;
}

/* --- processing a fetched chunk --------------------------------------- */

/*
 * The rows of one fetched chunk in one transaction: a commit (an fsync)
 * per chunk, not per message. Each row is still claimed, so nothing is
 * processed twice whatever happens. A message whose processing fails by
 * its own fault rolls the chunk back; it alone is handed to a person
 * (committed on its own) and the chunk is done again without it. After
 * BATCH_FAILURES such messages the rest goes one transaction each.
 */
int
dun_inbound_process_batch(struct dun_inbound *ib, const int64_t *ids,
    size_t n, struct dun_inbound_stats *st)
{
	struct dun_inbound_stats before;
	size_t i, failures = 0;
	char *why;
	int rc, own_fault = 0;

	while (n > 0) {
		if (failures == BATCH_FAILURES) {
			for (i = 0, rc = 0; i < n && rc == 0 &&
			    !inbound__stopped(ib); i++)
				rc = dun_inbound_process(ib, ids[i], st);
			return rc;
		}
		if (st)
			before = *st;
		if ((rc = dun_store_begin(ib->store)) < 0)
			return rc;
		for (i = 0; i < n && rc == 0 && !inbound__stopped(ib); i++)
			rc = process_row(ib, ids[i], st, &own_fault);
		if (rc == 0) {
			if ((rc = dun_store_commit(ib->store)) == 0)
				inbound__crash_point(ib, "processed");
			return rc;
		}
		dun_store_rollback(ib->store);
		if (st)
			*st = before;
		if (!own_fault)
			return rc; /* the store's or the disk's: all next run */
		why = xstrdup(dun_error_last());
		rc = hand_off_failed(ib, ids[i - 1], why, st);
		free(why);
		if (rc < 0)
			return rc;
		failures++;
		/* Those before it are done again; it is claimed now. */
	}
	return 0;
}
