/*
 * Automatic mail: bounces first (RFC 3464 reports, then the plain-text
 * bounces of common MTAs), because bounces carry Auto-Submitted too; then
 * auto-replies (RFC 3834 headers, the usual subjects, out-of-office text)
 * with the return date they give, relative to the message's own Date.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"
#include "parse_internal.h"

#define DETECT_MAX_RCPTS 50
#define DETECT_SCAN_MAX (256u << 10)   /* text looked at for markers */

static void
set_evidence(struct dun_parsed *p, const char *ev)
{
	char *clean = dun_utf8_sanitize(ev, strlen(ev) > 300 ? 300 :
	    strlen(ev), NULL);
	size_t i;

	for (i = 0; clean[i]; i++)
		if ((unsigned char)clean[i] < 0x20)
			clean[i] = ' ';
	free(p->auto_evidence);
	p->auto_evidence = clean;
}

static void
add_rcpt(struct dun_parsed *p, const char *addr, const char *action,
    const char *status, int hard)
{
	struct dun_bounce_rcpt *r;
	size_t i;

	if (p->nbounce_rcpts >= DETECT_MAX_RCPTS)
		return;
	for (i = 0; i < p->nbounce_rcpts; i++)
		if (strcmp(p->bounce_rcpts[i].recipient, addr) == 0)
			return;
	p->bounce_rcpts = xreallocarray(p->bounce_rcpts, p->nbounce_rcpts + 1,
	    sizeof(*p->bounce_rcpts));
	r = &p->bounce_rcpts[p->nbounce_rcpts++];
	r->recipient = dun_str_lower(dun_utf8_sanitize(addr, strlen(addr),
	    NULL));
	r->action = xstrdup(action);
	r->status = xstrdup(status);
	r->hard = hard;
	if (hard)
		p->bounce_hard = 1;
}

/* An address at s (after an optional "<"), into out; 0 if none. */
static int
addr_at(char *out, size_t outlen, const char *s, const char *end)
{
	const char *a = s, *e, *at = NULL;
	size_t n;

	while (a < end && (*a == '<' || *a == ' ' || *a == '"'))
		a++;
	for (e = a; e < end && (isalnum((unsigned char)*e) ||
	    strchr("._%+-@'=", *e)); e++)
		if (*e == '@')
			at = e;
	while (e > a && (e[-1] == '.' || e[-1] == '-'))
		e--;
	if (at == NULL || at == a || at + 1 >= e || !memchr(at, '.',
	    (size_t)(e - at)))
		return 0;
	n = (size_t)(e - a);
	if (n >= outlen)
		return 0;
	memcpy(out, a, n);
	out[n] = '\0';
	dun_str_lower(out);
	return 1;
}

/* "5.1.1" style status code in [s, end), into out. */
static int
status_in(char out[16], const char *s, const char *end)
{
	const char *p;

	for (p = s; p + 5 <= end; p++) {
		const char *q = p;
		if ((*q != '2' && *q != '4' && *q != '5') || q[1] != '.' ||
		    (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		q += 2;
		if (q >= end || !isdigit((unsigned char)*q))
			continue;
		while (q < end && isdigit((unsigned char)*q) && q - p < 6)
			q++;
		if (q >= end || *q != '.' || q + 1 >= end ||
		    !isdigit((unsigned char)q[1]))
			continue;
		q++;
		while (q < end && isdigit((unsigned char)*q) && q - p < 10)
			q++;
		if (q < end && (isdigit((unsigned char)*q) || *q == '.'))
			continue;
		if ((size_t)(q - p) >= 16)
			continue;
		memcpy(out, p, (size_t)(q - p));
		out[q - p] = '\0';
		return 1;
	}
	return 0;
}

/* A three-digit SMTP reply code 4xx/5xx as a class status "5.0.0". */
static int
smtp_code_in(char out[16], const char *s, const char *end)
{
	const char *p;

	for (p = s; p + 3 <= end; p++) {
		if ((*p != '4' && *p != '5') || !isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) || p[1] > '5')
			continue;
		if (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.' ||
		    p[-1] == '-' || p[-1] == ':'))
			continue;
		if (p + 3 < end && (isalnum((unsigned char)p[3]) ||
		    p[3] == '.' || p[3] == ':' || p[3] == '-'))
			continue;
		snprintf(out, 16, "%c.0.0", *p);
		return 1;
	}
	return 0;
}

static char *
returned_msgid(const char *s, size_t len)
{
	char *v, *id = NULL;
	const char *p;

	if (s == NULL || len == 0)
		return NULL;
	/* The returned message's own header block, or a header line
	 * somewhere in a text that quotes it. */
	if ((v = parse__header(s, len, "Message-ID")) != NULL) {
		id = parse__msgid(v);
		free(v);
		if (id)
			return id;
	}
	for (p = s; (p = strcasestr(p, "message-id:")) != NULL; p += 11) {
		if (p > s && p[-1] != '\n' && p[-1] != ' ' && p[-1] != '\t')
			continue;
		{
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *line = xstrndup(p + 11, n > 11 ? n - 11 : 0);
			id = parse__msgid(line);
			free(line);
		}
		if (id)
			return id;
	}
	return NULL;
}

/* --- RFC 3464 ---------------------------------------------------------- */

static int
detect_dsn(struct dun_parsed *p, const struct detect_in *in)
{
	const char *s = in->dsn, *end;
	struct dun_buf ev;
	size_t off = 0, blk, n = 0;
	char *id;

	if (!(in->report_type && strcmp(in->report_type, "delivery-status")
	    == 0) && !(in->is_report && in->dsn))
		return 0;
	dun_buf_init(&ev, 1024);
	dun_buf_puts(&ev, "multipart/report delivery-status");
	if (s != NULL) {
		end = s + in->dsn_len;
		while (off < in->dsn_len && n < DETECT_MAX_RCPTS) {
			char *rcpt, *action, *status, *diag, addr[320];
			char st[16] = "";
			int hard, failed;

			/* Blank lines before a block are not a block. */
			while (off < in->dsn_len && (s[off] == '\r' ||
			    s[off] == '\n' || s[off] == ' ' || s[off] == '\t'))
				off++;
			if (off >= in->dsn_len)
				break;
			blk = parse__header_len(s + off, (size_t)(end - s) - off);
			rcpt = parse__header(s + off, blk, "Final-Recipient");
			if (rcpt == NULL)
				rcpt = parse__header(s + off, blk,
				    "Original-Recipient");
			action = parse__header(s + off, blk, "Action");
			status = parse__header(s + off, blk, "Status");
			diag = parse__header(s + off, blk, "Diagnostic-Code");
			off += blk ? blk : 1;
			if (rcpt == NULL) {
				free(action);
				free(status);
				free(diag);
				continue;
			}
			{
				const char *semi = strchr(rcpt, ';');
				if (!addr_at(addr, sizeof(addr), semi ?
				    semi + 1 : rcpt, rcpt + strlen(rcpt)))
					snprintf(addr, sizeof(addr), "%s",
					    semi ? semi + 1 : rcpt);
			}
			if (status)
				status_in(st, status, status + strlen(status));
			if (st[0] == '\0' && diag)
				if (!status_in(st, diag, diag + strlen(diag)))
					smtp_code_in(st, diag, diag +
					    strlen(diag));
			if (action)
				dun_str_lower(action);
			failed = action == NULL || strcmp(action, "failed") == 0;
			hard = st[0] == '5' || (st[0] == '\0' && failed);
			if (action == NULL || strcmp(action, "failed") == 0 ||
			    strcmp(action, "delayed") == 0) {
				add_rcpt(p, dun_str_trim(addr), action ? action :
				    (hard ? "failed" : "delayed"), st, hard);
				dun_buf_printf(&ev, "; %s %s %s", action ?
				    action : "failed", st, addr);
				n++;
			}
			free(rcpt);
			free(action);
			free(status);
			free(diag);
		}
	}
	if (n == 0 && s != NULL) {
		/* Only "delivered" or "relayed": a receipt, not a bounce. */
		dun_buf_free(&ev);
		p->auto_kind = DUN_AUTO_REPLY;
		set_evidence(p, "delivery-status without a failed recipient");
		return 1;
	}
	p->auto_kind = DUN_AUTO_BOUNCE;
	if (n == 0)
		p->bounce_hard = 1;
	if ((id = returned_msgid(in->returned, in->returned_len)) != NULL) {
		free(p->bounced_message_id);
		p->bounced_message_id = id;
	}
	set_evidence(p, ev.data);
	dun_buf_free(&ev);
	return 1;
}

/* --- plain-text bounces ------------------------------------------------ */

static const char *const bounce_subjects[] = {
	"undelivered mail returned to sender", "delivery status notification",
	"mail delivery failed", "undeliverable:", "undeliverable mail",
	"returned mail:", "failure notice", "delivery failure",
	"mail system error - returned mail", "non remis", "unzustellbar",
	"delivery has failed", "message not delivered", "delayed mail",
	"warning: could not send message", "mail delivery failure",
	"undelivered mail", "delivery notification: delivery has failed",
	"系统退信", "退信", "投递失败", "无法投递", "邮件投递失败",
	"未能送达", "無法傳遞", "退件", "投遞失敗",
};

static const char *const bounce_markers[] = {
	"This message was created automatically by mail delivery software",
	"Hi. This is the qmail-send program",
	"This is the mail system at host",
	"Delivery has failed to these recipients",
	"Your message couldn't be delivered",
	"Your message wasn't delivered",
	"I'm sorry to have to inform you that your message could not",
	"The original message was received at",
	"could not be delivered to one or more recipients",
	"The following addresses had permanent fatal errors",
	"Message not delivered",
	"Address not found",
	"Mail delivery failed: returning message to sender",
	"系统退信", "投递失败", "很抱歉您发送的邮件被退回", "无法投递",
	"邮件被退回", "退信原因",
};

static const char *const delay_words[] = {
	"delayed", "will be retried", "still trying", "will continue trying",
	"temporary failure", "THIS IS A WARNING ONLY", "has not yet been",
	"Delivery Status Notification (Delay)", "延迟", "暂时无法", "延遲",
	"正在重试", "稍后重试",
};

static int
daemon_sender(const char *addr)
{
	return dun_str_casecmp_prefix(addr, "mailer-daemon@") ||
	    dun_str_casecmp_prefix(addr, "postmaster@") ||
	    dun_str_casecmp_prefix(addr, "mail-daemon@") ||
	    dun_str_casecmp_prefix(addr, "mailerdaemon@") ||
	    strcasestr(addr, "mailer-daemon") != NULL;
}

/* Where a bounce text starts quoting the returned message. */
static const char *
original_start(const char *s)
{
	static const char *const marks[] = {
		"------ This is a copy of the message",
		"--- Below this line is a copy of the message",
		"Original message headers",
		"----- Original message -----",
		"----- Transcript of session follows",
		"------ Original message",
		"Original Message Headers",
		"\nReceived: ", "\nReturn-Path: ",
	};
	const char *best = NULL, *h;
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(marks); i++)
		if ((h = strcasestr(s, marks[i])) != NULL &&
		    (best == NULL || h < best))
			best = h;
	return best ? best : s + strlen(s);
}

/* A line that names a message id: its <...> is not a recipient. */
static int
id_line(const char *s, const char *e)
{
	static const char *const marks[] = { "message-id", "message id",
		"邮件ID", "郵件ID", "邮件编号", "Message ID" };
	char buf[512];
	size_t n = (size_t)(e - s), i;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (i = 0; i < DUN_ARRAY_SIZE(marks); i++)
		if (strcasestr(buf, marks[i]))
			return 1;
	return 0;
}

static int
is_own(const char *addr, const struct dun_parsed *p, const char *to)
{
	return strcmp(addr, p->from_addr) == 0 || daemon_sender(addr) ||
	    (to && strcasestr(to, addr) != NULL) ||
	    dun_str_casecmp_prefix(addr, "postmaster@") ||
	    dun_str_casecmp_prefix(addr, "noreply@") ||
	    dun_str_casecmp_prefix(addr, "no-reply@");
}

static void
ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Headers that automatic mail carries and a person's reply does not. */
static int
auto_headers(const struct detect_in *in)
{
	static const char *const names[] = { "Auto-Submitted",
		"X-Failed-Recipients", "X-Autoreply", "X-Auto-Response-Suppress",
		"X-Mailer-Daemon", "X-MS-Exchange-Message-Is-Ndr",
		"X-Original-Message-ID" };
	char *v;
	size_t i;
	int yes = 0;

	if ((v = parse__header(in->hdrs, in->hdrs_len, "Return-Path")) != NULL)
	{
		yes = strcmp(dun_str_trim(v), "<>") == 0;
		free(v);
	}
	for (i = 0; i < DUN_ARRAY_SIZE(names) && !yes; i++)
		if ((v = parse__header(in->hdrs, in->hdrs_len, names[i])) !=
		    NULL) {
			yes = 1;
			free(v);
		}
	return yes;
}

static int
detect_text_bounce(struct dun_parsed *p, const struct detect_in *in)
{
	const char *body = p->body_text, *end, *why = NULL, *s;
	char subj[512], st[16] = "", addr[320], *to, *id = NULL;
	int hard, delayed = 0, n = 0;
	size_t i;

	snprintf(subj, sizeof(subj), "%s", p->subject);
	ascii_lower(subj);
	/* bounce_subjects are lowercase: strstr, not strcasestr. */
	for (i = 0; i < DUN_ARRAY_SIZE(bounce_subjects) && !why; i++)
		if (strstr(subj, bounce_subjects[i]))
			why = bounce_subjects[i];
	/* The body is searched for MTA wording only when a header says the
	 * message may be automatic: a person's reply is never scanned. */
	if (!why && !daemon_sender(p->from_addr) && !auto_headers(in))
		return 0;
	for (i = 0; i < DUN_ARRAY_SIZE(bounce_markers) && !why; i++)
		if (strstr(body, bounce_markers[i]))
			why = bounce_markers[i];
	if (!why && daemon_sender(p->from_addr))
		why = p->from_addr;
	if (!why)
		return 0;

	end = original_start(body);
	if ((size_t)(end - body) > DETECT_SCAN_MAX)
		end = body + DETECT_SCAN_MAX;
	to = parse__header(in->hdrs, in->hdrs_len, "To");
	if (!status_in(st, body, end))
		smtp_code_in(st, body, end);
	for (i = 0; i < DUN_ARRAY_SIZE(delay_words); i++)
		if (strcasestr(subj, delay_words[i]) ||
		    memmem(body, (size_t)(end - body), delay_words[i],
		    strlen(delay_words[i])))
			delayed = 1;
	hard = st[0] == '5' || (st[0] != '4' && !delayed);
	/* The failed addresses: those the text names that are not ours or
	 * the daemon's, on lines that do not name a message id. */
	for (s = body; s < end && n < 10; ) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end, *q;
		if (id_line(s, le)) {
			if (id == NULL) {
				char *line = xstrndup(s, (size_t)(le - s));
				id = parse__msgid(line);
				free(line);
			}
			s = le + 1;
			continue;
		}
		for (q = s; q < le && n < 10; q++) {
			const char *at = memchr(q, '@', (size_t)(le - q));
			const char *a;
			if (at == NULL)
				break;
			for (a = at; a > s && (isalnum((unsigned char)a[-1]) ||
			    strchr("._%+-'=", a[-1])); a--)
				;
			q = at;
			if (!addr_at(addr, sizeof(addr), a, le))
				continue;
			q = a + strlen(addr) - 1;
			if (is_own(addr, p, to))
				continue;
			add_rcpt(p, addr, hard ? "failed" : "delayed", st, hard);
			n++;
		}
		s = le + 1;
	}
	free(to);
	p->auto_kind = DUN_AUTO_BOUNCE;
	if (n == 0 && hard)
		p->bounce_hard = 1;
	if (id == NULL)
		id = returned_msgid(in->returned, in->returned_len);
	if (id == NULL && *end)
		id = returned_msgid(end, strlen(end));
	if (id) {
		free(p->bounced_message_id);
		p->bounced_message_id = id;
	}
	{
		char *ev = xasprintf("bounce: %s%s%s", why, st[0] ? " " : "",
		    st);
		set_evidence(p, ev);
		free(ev);
	}
	return 1;
}

/* --- auto-replies ------------------------------------------------------ */

static const char *const auto_subjects[] = {
	"automatic reply", "auto:", "out of office", "autoreply",
	"auto-reply", "auto reply", "auto response", "autoresponse",
	"automatische antwort", "réponse automatique", "respuesta automática",
	"abwesenheitsnotiz", "out of the office", "vacation reply",
	"自动回复", "自動回覆", "自动答复", "自動回复", "自動答覆",
	"休假", "外出",
};

static const char *const vacation_words[] = {
	"vacation", "holiday", "out of office", "away", "absence", "leave",
	"休假", "假期",
};

/* Out-of-office phrases that a person writing a reply would not use. */
static const char *const ooo_phrases[] = {
	"I am out of the office", "I'm out of the office",
	"I am currently out of the office", "I will be out of the office",
	"I'll be out of the office", "I am out of office",
	"I'm currently out of the office", "I am currently out of office",
	"I am away from the office", "I'm away from the office",
	"I am currently away", "I am on annual leave", "I am on leave",
	"I'm on leave", "I am currently on leave", "I am on vacation",
	"I'm on vacation", "I am currently on vacation", "I am on holiday",
	"I'm on holiday", "limited access to email", "no access to email",
	"no access to e-mail", "without access to email", "I'm away until",
	"I am away until", "I will be away until", "I'll be away until",
	"on maternity leave", "on paternity leave", "on parental leave",
	"on sick leave", "on annual leave until", "on leave until",
	"limited access to my email", "limited access to e-mail",
	"This is an automatic reply", "This is an automated response",
	"this is an auto-reply", "Thank you for your email. I am",
	"我目前正在休假", "我正在休假", "我目前休假", "我已休假",
	"休假中", "不在办公室", "不在辦公室", "我将于", "我將於", "我会于",
	"我會於", "这是一封自动回复", "此邮件为自动回复", "本邮件为自动回复",
	"這是自動回覆", "自动回复", "自動回覆", "外出期间", "休假期间",
	"出差期间", "出差，期间", "出差期間", "回复可能不及时", "回覆可能不及時",
	"回复不及时", "无法及时回复", "無法及時回覆",
};

static int
detect_auto_headers(struct dun_parsed *p, const struct detect_in *in)
{
	static const char *const flags[] = {
		"X-Autoreply", "X-Autorespond", "X-Autoresponder",
		"X-Auto-Reply", "X-Autogenerated",
	};
	char *v, *ev = NULL;
	size_t i;

	if ((v = parse__header(in->hdrs, in->hdrs_len, "Auto-Submitted"))
	    != NULL) {
		char *t = dun_str_trim(v);
		if (*t && strncasecmp(t, "no", 2) != 0)
			ev = xasprintf("Auto-Submitted: %s", t);
		free(v);
	}
	for (i = 0; i < DUN_ARRAY_SIZE(flags) && ev == NULL; i++)
		if ((v = parse__header(in->hdrs, in->hdrs_len, flags[i]))
		    != NULL) {
			char *t = dun_str_trim(v);
			if (strcasecmp(t, "no") != 0 && strcasecmp(t, "false")
			    != 0)
				ev = xasprintf("%s: %s", flags[i], t);
			free(v);
		}
	if (ev == NULL && (v = parse__header(in->hdrs, in->hdrs_len,
	    "X-Apple-Action")) != NULL) {
		if (strcasestr(v, "vacation"))
			ev = xasprintf("X-Apple-Action: %s", v);
		free(v);
	}
	if (ev == NULL && (v = parse__header(in->hdrs, in->hdrs_len,
	    "Precedence")) != NULL) {
		char *t = dun_str_trim(v);
		if (strcasecmp(t, "auto_reply") == 0)
			ev = xasprintf("Precedence: %s", t);
		else if (strcasecmp(t, "bulk") == 0 ||
		    strcasecmp(t, "junk") == 0) {
			for (i = 0; i < DUN_ARRAY_SIZE(vacation_words); i++)
				if (strcasestr(p->subject, vacation_words[i])) {
					ev = xasprintf("Precedence: %s and "
					    "subject \"%s\"", t, p->subject);
					break;
				}
		}
		free(v);
	}
	if (ev == NULL)
		return 0;
	set_evidence(p, ev);
	free(ev);
	return 1;
}

static int
detect_auto_subject(struct dun_parsed *p)
{
	char *ev;
	size_t i;

	char low[512];

	snprintf(low, sizeof(low), "%s", p->subject);
	ascii_lower(low);
	for (i = 0; i < DUN_ARRAY_SIZE(auto_subjects); i++) {
		/* auto_subjects are lowercase. */
		const char *h = strstr(low, auto_subjects[i]);
		/* The English ones start the subject (after Re:/[tags]). */
		if (h == NULL || ((unsigned char)auto_subjects[i][0] < 0x80 &&
		    h - low > 12))
			continue;
		ev = xasprintf("subject: %s", p->subject);
		set_evidence(p, ev);
		free(ev);
		return 1;
	}
	return 0;
}

static int
detect_auto_text(struct dun_parsed *p)
{
	const char *txt = *p->text ? p->text : p->body_text;
	char low[3001], phrase[64];
	size_t i, k, n = strlen(txt);

	/* A long text is a person's, whatever it says. */
	if (n > 3000)
		return 0;
	/* Lowercase (ASCII) once, then plain strstr: strcasestr per phrase
	 * over the whole text was a good part of the parse time. */
	for (k = 0; k <= n; k++)
		low[k] = (char)((txt[k] >= 'A' && txt[k] <= 'Z') ?
		    txt[k] - 'A' + 'a' : txt[k]);
	for (i = 0; i < DUN_ARRAY_SIZE(ooo_phrases); i++) {
		const char *h;
		for (k = 0; ooo_phrases[i][k] && k + 1 < sizeof(phrase); k++)
			phrase[k] = (char)((ooo_phrases[i][k] >= 'A' &&
			    ooo_phrases[i][k] <= 'Z') ? ooo_phrases[i][k] -
			    'A' + 'a' : ooo_phrases[i][k]);
		phrase[k] = '\0';
		if ((h = strstr(low, phrase)) == NULL)
			continue;
		h = txt + (h - low);
		/* "我将于" alone is a promise too: it must be a return. */
		if ((strcmp(ooo_phrases[i], "我将于") == 0 ||
		    strcmp(ooo_phrases[i], "我將於") == 0 ||
		    strcmp(ooo_phrases[i], "我会于") == 0 ||
		    strcmp(ooo_phrases[i], "我會於") == 0)) {
			const char *e = h + strlen(ooo_phrases[i]);
			int ret = 0;
			for (k = 0; k < 60 && e[k] && e[k] != '\n'; k++)
				if (strncmp(e + k, "返回", 6) == 0 ||
				    strncmp(e + k, "回来", 6) == 0 ||
				    strncmp(e + k, "回來", 6) == 0 ||
				    strncmp(e + k, "返岗", 6) == 0 ||
				    strncmp(e + k, "回到办公室", 15) == 0 ||
				    strncmp(e + k, "上班", 6) == 0)
					ret = 1;
			if (!ret)
				continue;
		}
		{
			char *ev = xasprintf("text: %s", ooo_phrases[i]);
			set_evidence(p, ev);
			free(ev);
		}
		return 1;
	}
	return 0;
}

/* --- return dates ------------------------------------------------------ */

static const char *const months_en[] = { "january", "february", "march",
	"april", "may", "june", "july", "august", "september", "october",
	"november", "december" };

static const char *const weekdays_en[] = { "sunday", "monday", "tuesday",
	"wednesday", "thursday", "friday", "saturday" };

/* Month named at s (full or three letters, a whole word): 1..12 and its
 * length, or 0. */
static int
month_word(const char *s, size_t *len)
{
	int i;
	size_t n;

	for (i = 0; i < 12; i++) {
		n = strlen(months_en[i]);
		if (strncasecmp(s, months_en[i], n) == 0 &&
		    !isalpha((unsigned char)s[n])) {
			*len = n;
			return i + 1;
		}
		if (strncasecmp(s, months_en[i], 3) == 0 &&
		    (!isalpha((unsigned char)s[3]) || (i == 8 &&
		    strncasecmp(s, "sept", 4) == 0 &&
		    !isalpha((unsigned char)s[4])))) {
			*len = (i == 8 && tolower((unsigned char)s[3]) == 't')
			    ? 4 : 3;
			if (s[*len] == '.')
				(*len)++;
			return i + 1;
		}
	}
	return 0;
}

struct when {
	dun_date_t sent;   /* the message's local date, or NONE */
	dun_date_t best;   /* latest date found within a year after sent */
};

/* A date with or without a year, resolved against the sent date:
 * DUN_DATE_NONE if invalid or outside a year after it. */
static dun_date_t
resolve(const struct when *w, int y, int m, int d)
{
	dun_date_t date;
	int sy, sm, sd;

	if (m < 1 || m > 12 || d < 1)
		return DUN_DATE_NONE;
	if (y >= 0 && y < 100)
		y += 2000;
	if (y < 0) {
		if (w->sent == DUN_DATE_NONE)
			return DUN_DATE_NONE;
		dun_date_to_ymd(w->sent, &sy, &sm, &sd);
		y = sy;
		if (d > dun_days_in_month(y, m))
			return DUN_DATE_NONE;
		date = dun_date_from_ymd(y, m, d);
		/* Shortly before: a past date ("since 20 November"); long
		 * before: next year's ("until 5 January"). */
		if (date < w->sent) {
			if (w->sent - date <= 60)
				return DUN_DATE_NONE;
			y++;
		}
	}
	if (y < 1970 || y > 9999 || d > dun_days_in_month(y, m))
		return DUN_DATE_NONE;
	date = dun_date_from_ymd(y, m, d);
	if (w->sent != DUN_DATE_NONE && (date < w->sent ||
	    date > w->sent + 366))
		return DUN_DATE_NONE;
	return date;
}

static void
take(struct when *w, dun_date_t date)
{
	if (date != DUN_DATE_NONE && (w->best == DUN_DATE_NONE ||
	    date > w->best))
		w->best = date;
}

static void
consider(struct when *w, int y, int m, int d)
{
	take(w, resolve(w, y, m, d));
}

/* 12/01: day and month order unknown; the nearer reading wins. */
static void
consider_either(struct when *w, int y, int a, int b)
{
	dun_date_t x = resolve(w, y, a, b), z = resolve(w, y, b, a);

	if (x == DUN_DATE_NONE || (z != DUN_DATE_NONE && z < x))
		x = z;
	take(w, x);
}

static int
num_at(const char *s, int maxdigits, int *v, size_t *len)
{
	int n = 0, val = 0;

	while (n < maxdigits && isdigit((unsigned char)s[n]))
		val = val * 10 + (s[n++] - '0');
	if (n == 0 || isdigit((unsigned char)s[n]))
		return 0;
	*v = val;
	*len = (size_t)n;
	return 1;
}

static void
scan_dates(struct when *w, const char *t)
{
	const char *s;
	size_t l, l2, l3;
	int a, b, c, m;

	for (s = t; *s; s++) {
		int boundary = s == t || !isalnum((unsigned char)s[-1]);

		/* "30 November 2026", "30th of Nov" */
		if (boundary && num_at(s, 2, &a, &l)) {
			const char *q = s + l;
			if (strncasecmp(q, "st", 2) == 0 ||
			    strncasecmp(q, "nd", 2) == 0 ||
			    strncasecmp(q, "rd", 2) == 0 ||
			    strncasecmp(q, "th", 2) == 0)
				q += 2;
			while (*q == ' ' || *q == '.')
				q++;
			if (strncasecmp(q, "of ", 3) == 0)
				q += 3;
			if ((m = month_word(q, &l2)) != 0) {
				q += l2;
				while (*q == ' ' || *q == ',')
					q++;
				if (num_at(q, 4, &c, &l3) && l3 == 4)
					consider(w, c, m, a);
				else
					consider(w, -1, m, a);
			}
		}
		/* "November 30, 2026", "Nov 30th" */
		if (boundary && isalpha((unsigned char)*s) &&
		    (m = month_word(s, &l)) != 0) {
			const char *q = s + l;
			while (*q == ' ')
				q++;
			if (num_at(q, 2, &a, &l2)) {
				q += l2;
				if (strncasecmp(q, "st", 2) == 0 ||
				    strncasecmp(q, "nd", 2) == 0 ||
				    strncasecmp(q, "rd", 2) == 0 ||
				    strncasecmp(q, "th", 2) == 0)
					q += 2;
				while (*q == ' ' || *q == ',')
					q++;
				if (num_at(q, 4, &c, &l3) && l3 == 4)
					consider(w, c, m, a);
				else
					consider(w, -1, m, a);
			}
		}
		/* "2026-12-01", "2026年12月1日", "12月1日", "12/01", "1.12.2026" */
		if (boundary && num_at(s, 4, &a, &l)) {
			const char *q = s + l;
			if (l == 4 && (*q == '-' || *q == '/' || *q == '.') &&
			    num_at(q + 1, 2, &b, &l2) && q[1 + l2] == *q &&
			    num_at(q + 2 + l2, 2, &c, &l3))
				consider(w, a, b, c);
			else if (l == 4 && strncmp(q, "年", 3) == 0 &&
			    num_at(q + 3, 2, &b, &l2) &&
			    strncmp(q + 3 + l2, "月", 3) == 0 &&
			    num_at(q + 6 + l2, 2, &c, &l3))
				consider(w, a, b, c);
			else if (l <= 2 && strncmp(q, "月", 3) == 0 &&
			    num_at(q + 3, 2, &b, &l2) && (strncmp(q + 3 + l2,
			    "日", 3) == 0 || strncmp(q + 3 + l2, "号", 3) == 0
			    || strncmp(q + 3 + l2, "號", 3) == 0))
				consider(w, -1, a, b);
			else if (l <= 2 && (*q == '/' || *q == '.') &&
			    num_at(q + 1, 2, &b, &l2)) {
				const char *r = q + 1 + l2;
				int y = -1;
				if (*r == *q && num_at(r + 1, 4, &c, &l3) &&
				    (l3 == 2 || l3 == 4))
					y = c;
				consider_either(w, y, a, b);
			}
			s += l - 1;
		}
	}
}

/* "until Monday", "back on Tuesday": the next such day after sent. */
static void
scan_weekday(struct when *w, const char *t)
{
	static const char *const lead[] = { "until ", "till ", "back on ",
		"return on ", "returning on ", "back ", "returning " };
	size_t i, d;
	const char *h;

	if (w->sent == DUN_DATE_NONE)
		return;
	for (i = 0; i < DUN_ARRAY_SIZE(lead); i++) {
		if ((h = strcasestr(t, lead[i])) == NULL)
			continue;
		h += strlen(lead[i]);
		for (d = 0; d < 7; d++)
			if (strncasecmp(h, weekdays_en[d],
			    strlen(weekdays_en[d])) == 0) {
				int ahead = ((int)d - dun_date_weekday(w->sent)
				    + 7) % 7;
				w->best = w->sent + (ahead ? ahead : 7);
				return;
			}
	}
}

static void
return_date(struct dun_parsed *p)
{
	struct when w;
	const char *txt = *p->text ? p->text : p->body_text;
	char *cut;

	w.sent = p->date ? (dun_date_t)((p->date + p->date_offset) / 86400 -
	    ((p->date + p->date_offset) % 86400 < 0)) : DUN_DATE_NONE;
	w.best = DUN_DATE_NONE;
	cut = xstrndup(txt, strlen(txt) > 8000 ? 8000 : strlen(txt));
	scan_dates(&w, cut);
	if (w.best == DUN_DATE_NONE)
		scan_weekday(&w, cut);
	free(cut);
	p->return_date = w.best;
}

void
dun_detect_run(struct dun_parsed *p, const struct detect_in *in)
{
	if (detect_dsn(p, in) || detect_text_bounce(p, in)) {
		if (p->auto_kind == DUN_AUTO_REPLY)
			return_date(p);
		return;
	}
	if (detect_auto_headers(p, in) || detect_auto_subject(p) ||
	    detect_auto_text(p)) {
		p->auto_kind = DUN_AUTO_REPLY;
		return_date(p);
	}
}
