/*
 * SMTP submission through libcurl; see smtp.h.
 *
 * libcurl's SMTP is strictly lock-step (no PIPELINING), so its debug
 * stream is a faithful transcript: each command (CURLINFO_HEADER_OUT) is
 * followed by its reply (CURLINFO_HEADER_IN). We pair them in order to get
 * each RCPT's reply and the reply to the end of data, which libcurl does
 * not return through its API. Recipients are sent with
 * MAIL_RCPT_ALLOWFAILS (spelt ALLLOWFAILS before curl 8.2, present since
 * 7.69), so one refused address does not sink the others.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/smtp.h"

#ifndef CURLOPT_MAIL_RCPT_ALLOWFAILS
#define CURLOPT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define REPLY_CAP 512   /* one reply line kept, bytes */
#define LINE_CAP 2048   /* a server line longer than this is cut */
#define PENDING_MAX 8   /* commands awaiting a reply; lock-step needs 1 */
#define REPLY_MAX (16 * 1024) /* one multi-line reply; EHLO's is < 2 KiB */
#define ODD_CAP 64      /* the nonsense quoted back in an error */

enum cmd_kind { CMD_NONE, CMD_GREETING, CMD_EHLO, CMD_STARTTLS, CMD_MAIL,
	CMD_RCPT, CMD_DATA, CMD_EOD, CMD_AUTH, CMD_QUIT, CMD_OTHER };

/* What the server was answering, for an error message. */
static const char *const cmd_names[] = {
	[CMD_NONE] = "nothing", [CMD_GREETING] = "the greeting",
	[CMD_EHLO] = "EHLO", [CMD_STARTTLS] = "STARTTLS",
	[CMD_MAIL] = "MAIL FROM", [CMD_RCPT] = "RCPT TO", [CMD_DATA] = "DATA",
	[CMD_EOD] = "the end of data", [CMD_AUTH] = "AUTH",
	[CMD_QUIT] = "QUIT", [CMD_OTHER] = "a command",
};

struct pending {
	enum cmd_kind kind;
	size_t rcpt;       /* for CMD_RCPT */
};

struct dun_smtp {
	CURL *curl;                   /* owned; kept across messages */
	struct curl_slist *connect_to; /* owned */
	char *url;                    /* owned */
	char *where;                  /* owned; "host:port" for messages */
	int timeout_s;
	char errbuf[CURL_ERROR_SIZE];

	/* The transaction in progress. */
	struct dun_smtp_result *res;  /* borrowed */
	const char *data;             /* borrowed */
	size_t len, off;
	dun_smtp_commit_fn commit;
	void *commit_arg;
	int eof_seen;
	int commit_rc;
	struct pending pending[PENDING_MAX];
	size_t npending;
	size_t rcpts_sent;
	int last_code;                /* last final reply seen, not QUIT's */
	char last_reply[REPLY_CAP];   /* that reply's line */
	int in_auth;                  /* a 334 challenge is outstanding */
	char line[LINE_CAP];          /* a reply line being assembled */
	size_t linelen;

	/* What went wrong with the server's side, for the message: the
	 * first line that is not an SMTP reply, a reply that never ended,
	 * the first command left without a reply. */
	char odd[ODD_CAP];
	int too_long;
	size_t reply_bytes;           /* of the reply being read */
	enum cmd_kind odd_to;         /* what the odd line answered */
	enum cmd_kind unanswered;
	size_t commands;              /* sent in this transaction */
	int mail_sent;                /* the transaction itself began */
	struct curl_slist *rcpt_list; /* owned while sending */
	char *mail_from;              /* owned while sending */
	size_t nrcpts;

	/* In a group (dun_smtp_send_group): the upload stops before its
	 * end of data until the group's commit says go. */
	int grouped;
	int held;                     /* paused at the last chunk */
	int released;                 /* the group commit has run */
};

struct dun_smtp_group {
	CURLM *multi;                 /* owned: the pool of connections */
};

static const char *const rcpt_status_names[] = {
	[DUN_RCPT_PENDING] = "pending",
	[DUN_RCPT_ACCEPTED] = "accepted",
	[DUN_RCPT_DEFERRED] = "deferred",
	[DUN_RCPT_REJECTED] = "rejected",
};

const char *
dun_rcpt_status_name(enum dun_rcpt_status status)
{
	if ((unsigned)status >= DUN_ARRAY_SIZE(rcpt_status_names))
		return "invalid";
	return rcpt_status_names[status];
}

dun_retry_t
dun_smtp_reply_class(int code)
{
	if (code >= 200 && code < 400)
		return DUN_RETRY_NONE;
	if (code >= 400 && code < 500)
		return DUN_RETRY_TEMP;
	if (code >= 500 && code < 600)
		return DUN_RETRY_FINAL;
	return DUN_RETRY_TEMP; /* no reply: the connection went */
}

/* What to look at for a TLS failure, by what failed: a server without
 * STARTTLS is not a CA problem. */
static const char *
tls_hint(CURLcode cc)
{
	switch (cc) {
	case CURLE_USE_SSL_FAILED:
		return "the server does not offer STARTTLS, which [smtp] tls = "
		    "starttls requires; check [smtp] host and port (587 is "
		    "submission with STARTTLS; 465 is implicit TLS, tls = "
		    "implicit)";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
		return "the server's certificate is not trusted or does not "
		    "carry the name dunmail checks: check [smtp] ca_file (the "
		    "CA of a private certificate) and tls_name";
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return "the server's public key is not the one [smtp] "
		    "pin_sha256 names: its certificate was renewed with a new "
		    "key, or this is not your server";
	case CURLE_SSL_CACERT_BADFILE:
		return "[smtp] ca_file cannot be loaded as a CA bundle (PEM)";
	case CURLE_SSL_CONNECT_ERROR:
		return "the TLS handshake failed: check [smtp] port and tls "
		    "(465 is implicit TLS, 587 STARTTLS)";
	default:
		return "check [smtp] tls, ca_file, tls_name and pin_sha256";
	}
}

int
dun_smtp__classify(int curl_code, int smtp_code, dun_retry_t *retry_out)
{
	dun_retry_t by_reply = smtp_code >= 400 ?
	    dun_smtp_reply_class(smtp_code) : DUN_RETRY_TEMP;

	switch ((CURLcode)curl_code) {
	case CURLE_OK:
		*retry_out = DUN_RETRY_NONE;
		return 0;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_USE_SSL_FAILED:
		/* A certificate or TLS setup a person must look at. */
		*retry_out = DUN_RETRY_FINAL;
		return DUN_ETLS;
	case CURLE_LOGIN_DENIED:
		/* 454 is a temporary authentication failure. */
		*retry_out = smtp_code >= 400 && smtp_code < 500 ?
		    DUN_RETRY_TEMP : DUN_RETRY_FINAL;
		return DUN_EAUTH;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_BAD_FUNCTION_ARGUMENT:
		*retry_out = DUN_RETRY_FINAL;
		return DUN_ECONFIG;
	case CURLE_OUT_OF_MEMORY:
		fatalx("libcurl: out of memory");
	default:
		/* Connection trouble, time-outs and refused commands: the
		 * reply code, if the server gave one, decides. */
		*retry_out = by_reply;
		return DUN_ENET;
	}
}

void
dun_smtp_result_free(struct dun_smtp_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	free(res->reply);
	for (i = 0; i < res->nrcpts; i++) {
		free(res->rcpts[i].address);
		free(res->rcpts[i].reply);
	}
	free(res->rcpts);
	memset(res, 0, sizeof(*res));
}

/* The transcript. */

static void
pending_push(struct dun_smtp *s, enum cmd_kind kind, size_t rcpt)
{
	if (s->npending == PENDING_MAX) {
		memmove(s->pending, s->pending + 1,
		    (PENDING_MAX - 1) * sizeof(s->pending[0]));
		s->npending--;
	}
	s->pending[s->npending].kind = kind;
	s->pending[s->npending].rcpt = rcpt;
	s->npending++;
}

/* Lock-step: a command goes out only once the one before it was
 * answered, so whatever still waits for a reply when the next is sent
 * (QUIT after a time-out) never got one. Its reply must not be taken
 * from the next command's. */
static void
pending_abandon(struct dun_smtp *s)
{
	if (s->npending == 0)
		return;
	if (s->unanswered == CMD_NONE)
		s->unanswered = s->pending[0].kind;
	s->npending = 0;
}

static void
on_command(struct dun_smtp *s, const char *line, size_t len)
{
	char shown[128];

	pending_abandon(s);
	s->commands++;
	s->reply_bytes = 0;
	if (len >= 8 && !strncasecmp(line, "RCPT TO:", 8))
		pending_push(s, CMD_RCPT, s->rcpts_sent++);
	else if (len >= 10 && !strncasecmp(line, "MAIL FROM:", 10)) {
		pending_push(s, CMD_MAIL, 0);
		s->mail_sent = 1;
	} else if (len >= 4 && !strncasecmp(line, "DATA", 4))
		pending_push(s, CMD_DATA, 0);
	else if (len >= 4 && (!strncasecmp(line, "EHLO", 4) ||
	    !strncasecmp(line, "HELO", 4)))
		pending_push(s, CMD_EHLO, 0);
	else if (len >= 8 && !strncasecmp(line, "STARTTLS", 8))
		pending_push(s, CMD_STARTTLS, 0);
	else if (len >= 4 && !strncasecmp(line, "QUIT", 4))
		pending_push(s, CMD_QUIT, 0);
	else if (len >= 4 && !strncasecmp(line, "AUTH", 4)) {
		pending_push(s, CMD_AUTH, 0);
		if (log_trace_enabled(TRACE_SMTP)) {
			/* Mechanism only: an initial response is a secret. */
			size_t n = 4;
			if (len > 5 && line[4] == ' ')
				n = 5 + strcspn(line + 5, " \r\n");
			if (n > len)
				n = len;
			log_trace(TRACE_SMTP, "> %.*s [redacted]", (int)n,
			    line);
		}
		return;
	} else if (s->in_auth) {
		/* The answer to a 334 challenge: credentials. */
		pending_push(s, CMD_AUTH, 0);
		log_trace(TRACE_SMTP, "> [redacted]");
		return;
	} else
		pending_push(s, CMD_OTHER, 0);
	if (log_trace_enabled(TRACE_SMTP)) {
		size_t n = 0;
		while (n < len && n + 1 < sizeof(shown) && line[n] != '\r' &&
		    line[n] != '\n') {
			shown[n] = line[n];
			n++;
		}
		shown[n] = '\0';
		log_trace(TRACE_SMTP, "> %s", shown);
	}
}

/*
 * The code of an SMTP reply line (RFC 5321 4.2: "2yz" to "5yz", then a
 * space, a hyphen or the end), with *more set for a "250-" line that
 * continues; 0 if the line is not an SMTP reply at all.
 */
static int
reply_code(const char *line, size_t len, int *more)
{
	*more = 0;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || line[2] < '0' || line[2] > '9' ||
	    (len > 3 && line[3] != ' ' && line[3] != '-'))
		return 0;
	*more = len > 3 && line[3] == '-';
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* What the server is answering now. */
static enum cmd_kind
waiting_for(const struct dun_smtp *s)
{
	if (s->unanswered != CMD_NONE)
		return s->unanswered;
	if (s->npending > 0)
		return s->pending[0].kind;
	return s->commands == 0 ? CMD_GREETING : CMD_NONE;
}

/*
 * libcurl hands every server line to the header callback as well, and
 * ignores a line that is not a reply until the time-out. Nonsense ends
 * the transfer here, at once, and is kept for the message; so does a
 * reply that never ends (REPLY_MAX).
 */
static size_t
header_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct dun_smtp *s = arg;
	size_t len = size * nitems, i, n = 0;
	int code, more;

	s->reply_bytes += len;
	code = reply_code(data, len, &more);
	if (code == 0) {
		s->odd_to = waiting_for(s);
		/* Printable, and binary shown as \xNN. */
		for (i = 0; i < len && n + 5 < sizeof(s->odd); i++) {
			unsigned char c = (unsigned char)data[i];
			if ((c == '\r' || c == '\n') && i + 2 >= len)
				break;
			if (isprint(c) && c != '\\')
				s->odd[n++] = (char)c;
			else
				n += (size_t)snprintf(s->odd + n, 5, "\\x%02x",
				    c);
		}
		s->odd[n] = '\0';
		return 0;
	}
	if (s->reply_bytes > REPLY_MAX) {
		s->odd_to = waiting_for(s);
		s->too_long = 1;
		return 0;
	}
	if (!more)
		s->reply_bytes = 0;
	return len;
}

static void
on_reply_line(struct dun_smtp *s, const char *line)
{
	struct dun_smtp_result *res = s->res;
	struct pending p = { CMD_GREETING, 0 };
	int code, more;

	log_trace(TRACE_SMTP, "< %s", line);
	/* "250-..." continues; "250 ..." or "250" ends a reply. Anything
	 * else is nonsense, which header_cb reports. */
	if ((code = reply_code(line, strlen(line), &more)) == 0 || more)
		return;
	if (s->npending > 0) {
		p = s->pending[0];
		memmove(s->pending, s->pending + 1,
		    (s->npending - 1) * sizeof(s->pending[0]));
		s->npending--;
	}
	if (p.kind == CMD_QUIT)
		return; /* says nothing of the transaction */
	s->last_code = code;
	snprintf(s->last_reply, sizeof(s->last_reply), "%s", line);
	s->in_auth = code == 334;
	if (res == NULL)
		return;
	if (p.kind == CMD_RCPT && p.rcpt < res->nrcpts) {
		struct dun_smtp_rcpt *r = &res->rcpts[p.rcpt];
		r->code = code;
		r->status = code < 400 ? DUN_RCPT_ACCEPTED : code < 500 ?
		    DUN_RCPT_DEFERRED : DUN_RCPT_REJECTED;
		free(r->reply);
		r->reply = xstrndup(line, REPLY_CAP);
	} else if (p.kind == CMD_EOD || (p.kind == CMD_DATA && code >= 400)) {
		res->code = code;
		free(res->reply);
		res->reply = xstrndup(line, REPLY_CAP);
	} else if (p.kind == CMD_MAIL && code >= 400) {
		free(res->reply);
		res->reply = xstrndup(line, REPLY_CAP);
	}
}

static int
debug_cb(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
	struct dun_smtp *s = arg;
	size_t i;

	(void)curl;
	switch (type) {
	case CURLINFO_HEADER_OUT:
		on_command(s, data, size);
		break;
	case CURLINFO_HEADER_IN:
		for (i = 0; i < size; i++) {
			if (data[i] == '\n') {
				if (s->linelen && s->line[s->linelen - 1] ==
				    '\r')
					s->linelen--;
				s->line[s->linelen] = '\0';
				on_reply_line(s, s->line);
				s->linelen = 0;
			} else if (s->linelen + 1 < sizeof(s->line))
				s->line[s->linelen++] = data[i];
		}
		break;
	case CURLINFO_TEXT:
		if (log_trace_enabled(TRACE_SMTP))
			log_trace(TRACE_SMTP, "* %.*s", (int)(size &&
			    data[size - 1] == '\n' ? size - 1 : size), data);
		break;
	default:
		break;
	}
	return 0;
}

/* The end of data is the point of no return; the store must know before
 * the server can accept. libcurl writes it after the last body byte and
 * need not ask for more once INFILESIZE bytes are read, so the commit runs
 * before the last chunk is handed over. */
static int
before_end_of_data(struct dun_smtp *s)
{
	if (s->eof_seen)
		return 0;
	s->eof_seen = 1;
	if (s->commit && (s->commit_rc = s->commit(s->commit_arg)) < 0)
		return -1;
	if (s->res)
		s->res->data_ended = 1;
	pending_push(s, CMD_EOD, 0);
	return 0;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct dun_smtp *s = arg;
	size_t want = size * nitems, n = s->len - s->off;

	if (n > want)
		n = want;
	if (s->off + n == s->len && s->grouped && !s->released) {
		/* Wait here for the group's one commit. */
		s->held = 1;
		return CURL_READFUNC_PAUSE;
	}
	if (s->off + n == s->len && s->grouped) {
		if (s->commit_rc < 0)
			return CURL_READFUNC_ABORT;
	} else if (s->off + n == s->len && before_end_of_data(s) < 0)
		return CURL_READFUNC_ABORT;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return n;
}

static void
setopt_fail(CURLcode rc, const char *what)
{
	if (rc != CURLE_OK)
		fatalx("libcurl cannot set %s: %s", what,
		    curl_easy_strerror(rc));
}

int
dun_smtp_open(struct dun_smtp **out, const struct dun_server *srv,
    const char *ehlo_name)
{
	static int curl_ready;
	struct dun_smtp *s;
	const char *name = srv->tls_name && *srv->tls_name ? srv->tls_name :
	    srv->host;
	char *secret = NULL, *pin = NULL, *route;
	int rc = 0;

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return dun_error_set(DUN_ERROR, "libcurl would not "
			    "initialise");
		curl_ready = 1;
	}
	s = xcalloc(1, sizeof(*s));
	if ((s->curl = curl_easy_init()) == NULL)
		fatalx("libcurl: out of memory");
	s->url = xasprintf("%s://%s:%d/%s", srv->tls == DUN_TLS_IMPLICIT ?
	    "smtps" : "smtp", name, srv->port, ehlo_name && *ehlo_name ?
	    ehlo_name : "localhost");
	s->where = xasprintf(strchr(srv->host, ':') ? "[%s]:%d" : "%s:%d",
	    srv->host, srv->port);
	s->timeout_s = srv->timeout_s;
	/* Verify and send SNI for tls_name, connect to host. */
	if (strcmp(name, srv->host) != 0) {
		route = xasprintf(strchr(srv->host, ':') ? "%s:%d:[%s]:%d" :
		    "%s:%d:%s:%d", name, srv->port, srv->host, srv->port);
		s->connect_to = curl_slist_append(NULL, route);
		free(route);
		if (s->connect_to == NULL)
			fatalx("libcurl: out of memory");
	}
	setopt_fail(curl_easy_setopt(s->curl, CURLOPT_URL, s->url), "url");
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (s->connect_to)
		curl_easy_setopt(s->curl, CURLOPT_CONNECT_TO, s->connect_to);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_USE_SSL, srv->tls == DUN_TLS_NONE ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (srv->ca_file && *srv->ca_file) {
		/* Instead of the system store, not as well as it. */
		setopt_fail(curl_easy_setopt(s->curl, CURLOPT_CAINFO,
		    srv->ca_file), "ca_file");
		curl_easy_setopt(s->curl, CURLOPT_CAPATH, NULL);
	}
	if (srv->pin_sha256 && *srv->pin_sha256) {
		pin = dun_str_has_prefix(srv->pin_sha256, "sha256//") ?
		    xstrdup(srv->pin_sha256) : xasprintf("sha256//%s",
		    srv->pin_sha256);
		if (curl_easy_setopt(s->curl, CURLOPT_PINNEDPUBLICKEY, pin) !=
		    CURLE_OK) {
			rc = dun_error_set(DUN_ECONFIG, "[smtp] pin_sha256: "
			    "this libcurl cannot pin public keys");
			goto fail;
		}
	}
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, (long)srv->timeout_s);
	curl_easy_setopt(s->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)srv->timeout_s);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_TIME, (long)srv->timeout_s);
	curl_easy_setopt(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(s->curl, CURLOPT_MAXAGE_CONN, 300L);
	/* The debug stream is our transcript, so it is always on. */
	curl_easy_setopt(s->curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(s->curl, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(s->curl, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
	if (srv->user && *srv->user) {
		if ((rc = dun_secret_get(&secret, &srv->secret, "smtp")) < 0)
			goto fail;
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, srv->user);
		/* libcurl keeps its own copy; ours is wiped at once. */
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, secret);
		dun_secret_free(secret);
		secret = NULL;
	}
	free(pin);
	*out = s;
	return 0;
fail:
	free(pin);
	dun_smtp_close(s);
	return rc;
}

void
dun_smtp_close(struct dun_smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl) {
		s->res = NULL;
		curl_easy_cleanup(s->curl); /* says QUIT */
	}
	curl_slist_free_all(s->connect_to);
	free(s->url);
	free(s->where);
	free(s);
}

/* An address for MAIL FROM / RCPT TO, refusing CR, LF and brackets. */
static int
envelope_addr(char **out, const char *addr)
{
	if (addr == NULL || strpbrk(addr, "\r\n<> ") != NULL)
		return dun_error_set(DUN_EINVAL, "refusing envelope address "
		    "'%s'", addr ? addr : "(null)");
	*out = xasprintf("<%s>", addr);
	return 0;
}

/* Sets up one transaction on s; the transfer itself is the caller's. */
static int
send_begin(struct dun_smtp *s, struct dun_smtp_result *res,
    const char *from, char *const *rcpts, size_t nrcpts, const char *data,
    size_t len, dun_smtp_commit_fn commit, void *arg)
{
	struct curl_slist *tmp;
	char *a = NULL;
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	res->rcpts = xcalloc(nrcpts ? nrcpts : 1, sizeof(*res->rcpts));
	res->nrcpts = nrcpts;
	for (i = 0; i < nrcpts; i++)
		res->rcpts[i].address = xstrdup(rcpts[i]);
	s->rcpt_list = NULL;
	s->mail_from = NULL;
	s->nrcpts = nrcpts;
	if (nrcpts == 0)
		return dun_error_set(DUN_EINVAL, "no recipients");
	if ((rc = envelope_addr(&s->mail_from, from)) < 0)
		return rc;
	for (i = 0; i < nrcpts; i++) {
		if ((rc = envelope_addr(&a, rcpts[i])) < 0)
			return rc;
		tmp = curl_slist_append(s->rcpt_list, a);
		free(a);
		if (tmp == NULL)
			fatalx("libcurl: out of memory");
		s->rcpt_list = tmp;
	}
	s->res = res;
	s->data = data;
	s->len = len;
	s->off = 0;
	s->commit = commit;
	s->commit_arg = arg;
	s->commit_rc = 0;
	s->eof_seen = 0;
	s->npending = 0;
	s->rcpts_sent = 0;
	s->last_code = 0;
	s->last_reply[0] = '\0';
	s->in_auth = 0;
	s->linelen = 0;
	s->odd[0] = '\0';
	s->too_long = 0;
	s->reply_bytes = 0;
	s->odd_to = s->unanswered = CMD_NONE;
	s->commands = 0;
	s->mail_sent = 0;
	s->held = s->released = 0;
	s->errbuf[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, s->mail_from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, s->rcpt_list);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	return 0;
}

/*
 * The error for a server that answered nonsense, too much or nothing:
 * what it said (quoted, made printable), to which command, and what to
 * check. tail ends the sentence: was the message delivered?
 */
static void
describe_fault(struct dun_smtp *s, int rc, CURLcode cc, const char *tail)
{
	const char *curl_text = s->errbuf[0] ? s->errbuf :
	    curl_easy_strerror(cc);
	enum cmd_kind to = s->odd[0] || s->too_long ? s->odd_to :
	    waiting_for(s);
	const char *what = cmd_names[to];
	const char *check = to == CMD_GREETING || to == CMD_EHLO ?
	    "; check that [smtp] host and port name an SMTP submission "
	    "server" : "";
	curl_off_t connect_us = 0;

	/* A connection that never opened took no time to connect. */
	if (cc == CURLE_OPERATION_TIMEDOUT && to == CMD_GREETING)
		curl_easy_getinfo(s->curl, CURLINFO_CONNECT_TIME_T,
		    &connect_us);
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    (cc == CURLE_OPERATION_TIMEDOUT && to == CMD_GREETING &&
	    connect_us == 0))
		dun_error_set(rc, "SMTP server %s: cannot connect (libcurl: "
		    "%s)%s; is the host and port right and the server up?",
		    s->where, curl_text, tail);
	else if (s->odd[0] && to == CMD_GREETING)
		dun_error_set(rc, "SMTP server %s greeted with \"%s\", which "
		    "is not SMTP%s%s", s->where, s->odd, tail, check);
	else if (s->odd[0])
		dun_error_set(rc, "SMTP server %s answered %s with \"%s\", "
		    "which is not an SMTP reply%s%s", s->where, what, s->odd,
		    tail, check);
	else if (s->too_long)
		dun_error_set(rc, "SMTP server %s: its reply to %s ran past %d "
		    "KiB without ending%s%s", s->where, what, REPLY_MAX / 1024,
		    tail, check);
	else if (cc == CURLE_OPERATION_TIMEDOUT && to != CMD_NONE)
		dun_error_set(rc, "SMTP server %s said nothing for %d s when "
		    "it should have answered %s ([smtp] timeout)%s%s",
		    s->where, s->timeout_s, what, tail, check);
	else if (to != CMD_NONE)
		dun_error_set(rc, "SMTP server %s: no usable reply to %s "
		    "(libcurl: %s)%s%s", s->where, what, curl_text, tail,
		    check);
	else
		dun_error_set(rc, "SMTP server %s: %s%s", s->where, curl_text,
		    tail);
}

/* Reads the outcome of a transaction from libcurl's result and the
 * replies seen, and releases what send_begin set up. */
static int
send_end(struct dun_smtp *s, struct dun_smtp_result *res, CURLcode cc,
    int rc)
{
	dun_retry_t retry = DUN_RETRY_NONE;
	size_t i, accepted = 0, deferred = 0, nrcpts = s->nrcpts;
	int code;

	s->res = NULL;
	if (rc < 0)
		goto cleanup;
	for (i = 0; i < nrcpts; i++) {
		if (res->rcpts[i].status == DUN_RCPT_ACCEPTED)
			accepted++;
		else if (res->rcpts[i].status == DUN_RCPT_DEFERRED)
			deferred++;
	}
	if (cc == CURLE_OK) {
		if (res->code == 0) {
			/* libcurl saw a 2xx we did not: keep what it says. */
			res->code = 250;
			res->reply = xstrdup("250 (reply not captured)");
		}
		res->data_ended = 1;
		goto cleanup;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK && s->commit_rc < 0) {
		/* The store refused 'sending': its error stands, and the
		 * end of data was never written. */
		rc = s->commit_rc;
		res->data_ended = 0;
		goto cleanup;
	}
	/* Which reply decides: every recipient refused -> theirs (any
	 * 4xx makes it temporary); else the last one seen. */
	code = s->last_code;
	if (accepted == 0 && nrcpts > 0 && s->rcpts_sent == nrcpts &&
	    res->rcpts[nrcpts - 1].code != 0)
		code = deferred ? 450 : res->rcpts[0].code;
	rc = dun_smtp__classify((int)cc, code, &retry);
	if (rc == DUN_ENET && retry == DUN_RETRY_FINAL && !s->mail_sent) {
		/* A 5xx to the greeting or EHLO refuses this session, not
		 * the message: no message is failed for it. */
		retry = DUN_RETRY_TEMP;
		dun_error_set(rc, "SMTP server %s refused the session: %s; "
		    "nothing was sent; if this persists, check [smtp] host "
		    "and port or ask the server's operator", s->where,
		    s->last_reply[0] ? s->last_reply : s->errbuf);
	} else if (res->data_ended && res->code == 0)
		/* The end of data went out and no reply came back: the
		 * server may have accepted it. */
		describe_fault(s, rc, cc, "; the message may have been "
		    "accepted");
	else if (accepted == 0 && s->rcpts_sent == nrcpts && nrcpts > 0 &&
	    res->rcpts[0].code >= 400)
		dun_error_set(rc, "SMTP: every recipient was refused; "
		    "first: %s: %s", res->rcpts[0].address,
		    res->rcpts[0].reply ? res->rcpts[0].reply : "");
	else if (rc == DUN_ETLS)
		dun_error_set(rc, "SMTP %s: TLS: %s; %s", s->url,
		    s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc),
		    tls_hint(cc));
	else if (rc == DUN_EAUTH)
		dun_error_set(rc, "SMTP %s: the server refused the login "
		    "(%d); check [smtp] user and the password", s->url,
		    code);
	else if (res->reply)
		dun_error_set(rc, "SMTP server %s: %s: %s", s->where,
		    s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc),
		    res->reply);
	else
		describe_fault(s, rc, cc, "; nothing was delivered");
	dun_error_set_retry(retry);
cleanup:
	s->data = NULL;
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(s->rcpt_list);
	s->rcpt_list = NULL;
	free(s->mail_from);
	s->mail_from = NULL;
	return rc;
}

int
dun_smtp_send(struct dun_smtp *s, struct dun_smtp_result *res,
    const char *from, char *const *rcpts, size_t nrcpts, const char *data,
    size_t len, dun_smtp_commit_fn commit, void *arg)
{
	CURLcode cc = CURLE_OK;
	int rc;

	s->grouped = 0;
	if ((rc = send_begin(s, res, from, rcpts, nrcpts, data, len, commit,
	    arg)) == 0)
		cc = curl_easy_perform(s->curl);
	return send_end(s, res, cc, rc);
}

int
dun_smtp_group_new(struct dun_smtp_group **out)
{
	struct dun_smtp_group *g = xcalloc(1, sizeof(*g));

	if ((g->multi = curl_multi_init()) == NULL)
		fatalx("libcurl: out of memory");
	*out = g;
	return 0;
}

void
dun_smtp_group_free(struct dun_smtp_group *g)
{
	if (g == NULL)
		return;
	curl_multi_cleanup(g->multi);
	free(g);
}

/* Every job still transferring is held at its end of data: run the
 * group's commit once for all of them, then let them go on. */
static void
group_release(struct dun_smtp_job *jobs, size_t n,
    dun_smtp_group_commit_fn commit, void *arg)
{
	struct dun_smtp_job *held[DUN_SMTP_GROUP_MAX];
	size_t i, k = 0;
	int rc;

	for (i = 0; i < n; i++)
		if (jobs[i].smtp->held && !jobs[i].smtp->released)
			held[k++] = &jobs[i];
	if (k == 0)
		return;
	rc = commit(arg, held, k);
	for (i = 0; i < k; i++) {
		struct dun_smtp *s = held[i]->smtp;

		s->released = 1;
		s->eof_seen = 1;
		if (rc < 0) {
			s->commit_rc = rc;
			snprintf(held[i]->error, sizeof(held[i]->error), "%s",
			    dun_error_last());
		} else {
			s->res->data_ended = 1;
			pending_push(s, CMD_EOD, 0);
		}
		curl_easy_pause(s->curl, CURLPAUSE_CONT);
	}
}

int
dun_smtp_send_group(struct dun_smtp_group *g, struct dun_smtp_job *jobs,
    size_t n, dun_smtp_group_commit_fn commit, void *arg)
{
	CURLcode ccs[DUN_SMTP_GROUP_MAX];
	int begun[DUN_SMTP_GROUP_MAX], done[DUN_SMTP_GROUP_MAX];
	size_t i, left = 0;
	int running = 0;

	if (n > DUN_SMTP_GROUP_MAX)
		return dun_error_set(DUN_EINVAL, "at most %d messages in a "
		    "group", DUN_SMTP_GROUP_MAX);
	for (i = 0; i < n; i++) {
		struct dun_smtp *s = jobs[i].smtp;

		ccs[i] = CURLE_OK;
		done[i] = 1;
		jobs[i].error[0] = '\0';
		s->grouped = 1;
		jobs[i].rc = send_begin(s, &jobs[i].res, jobs[i].from,
		    jobs[i].rcpts, jobs[i].nrcpts, jobs[i].data, jobs[i].len,
		    NULL, NULL);
		if ((begun[i] = jobs[i].rc == 0)) {
			curl_multi_add_handle(g->multi, s->curl);
			done[i] = 0;
			left++;
		}
	}
	while (left > 0) {
		CURLMsg *m;
		int q, active = 0;

		curl_multi_perform(g->multi, &running);
		while ((m = curl_multi_info_read(g->multi, &q)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < n; i++) {
				if (!begun[i] || done[i] ||
				    jobs[i].smtp->curl != m->easy_handle)
					continue;
				ccs[i] = m->data.result;
				done[i] = 1;
				left--;
				curl_multi_remove_handle(g->multi,
				    jobs[i].smtp->curl);
				break;
			}
		}
		for (i = 0; i < n; i++)
			if (!done[i] && !(jobs[i].smtp->held &&
			    !jobs[i].smtp->released))
				active++;
		if (left > 0 && active == 0) {
			/* Everyone left is waiting at its end of data. */
			group_release(jobs, n, commit, arg);
			continue;
		}
		if (left > 0)
			curl_multi_poll(g->multi, NULL, 0, 1000, NULL);
	}
	for (i = 0; i < n; i++) {
		struct dun_smtp *s = jobs[i].smtp;

		jobs[i].rc = send_end(s, &jobs[i].res, ccs[i], jobs[i].rc);
		jobs[i].retry = jobs[i].rc < 0 ? dun_error_retry() :
		    DUN_RETRY_NONE;
		if (jobs[i].rc < 0 && jobs[i].error[0] == '\0')
			snprintf(jobs[i].error, sizeof(jobs[i].error), "%s",
			    dun_error_last());
		s->grouped = 0;
	}
	return 0;
}
