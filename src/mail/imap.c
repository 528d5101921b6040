/*
 * IMAP client on libetpan's mailimap; see imap.h. TLS is verified by
 * tls.c (OpenSSL) on the peer chain taken from the stream, right after the
 * handshake and before LOGIN, because Debian's libetpan (GnuTLS) checks
 * nothing itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/imap.h"
#include "dunmail/mail/tls.h"

/* Bytes one response may take: a fetched chunk is at most one message
 * of DUN_IMAP_MAX_MESSAGE or 16 MiB of them (inbound.c), plus framing. */
#define RESPONSE_CAP (4 * (size_t)DUN_IMAP_MAX_MESSAGE)
#define QUOTE_CAP 80    /* a server line quoted back in an error */

/*
 * libetpan's stream driver with two guards in front of its read (see
 * guard_read). low->driver points at drv, the first member, so the
 * guard finds itself from the stream; every other entry is the original.
 */
struct stream_guard {
	mailstream_low_driver drv;
	ssize_t (*read)(mailstream_low *, void *, size_t);
	ssize_t (*write)(mailstream_low *, const void *, size_t);
	struct dun_imap *imap;        /* borrowed: its owner */
};

struct dun_imap {
	mailimap *s;                  /* owned */
	const struct dun_server *srv; /* borrowed from the config */
	char delim;
	int delim_known;
	char *selected;               /* owned; "" if none */
	char **folders;               /* owned; known to exist */
	size_t nfolders;
	struct stream_guard guard;
	size_t rx;                    /* bytes of the response being read */
	int eof;                      /* the server closed the connection */
	int toobig;                   /* a response passed RESPONSE_CAP */
	int broken;                   /* the stream is unusable: no LOGOUT */
};

/* Failures that leave the stream in an unknown state. */
static int
etpan_broken(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_SSL:
		return 1;
	default:
		return 0;
	}
}

/*
 * libetpan reads a literal ({n} and n bytes) in a loop that ends on an
 * error but not on end of file: a server that announces more than it
 * sends and closes would spin it forever. End of file is an error here.
 * And no response may pass RESPONSE_CAP, or a server could fill memory
 * (and libetpan's temporary files) with one endless line or literal.
 */
static ssize_t
guard_read(mailstream_low *low, void *buf, size_t n)
{
	struct stream_guard *g = (struct stream_guard *)low->driver;
	struct dun_imap *imap = g->imap;
	ssize_t r;

	if (n == 0)
		return 0;
	if (imap->eof || imap->toobig)
		return -1;
	r = g->read(low, buf, n);
	if (r == 0) {
		imap->eof = 1;
		return -1;
	}
	if (r > 0 && (imap->rx += (size_t)r) > RESPONSE_CAP) {
		imap->toobig = 1;
		return -1;
	}
	return r;
}

/* A command starts a new response. */
static ssize_t
guard_write(mailstream_low *low, const void *buf, size_t n)
{
	struct stream_guard *g = (struct stream_guard *)low->driver;

	g->imap->rx = 0;
	return g->write(low, buf, n);
}

static void
guard_install(struct dun_imap *imap, mailstream *stream)
{
	mailstream_low *low = mailstream_get_low(stream);

	if (low == NULL || low->driver == &imap->guard.drv)
		return;
	imap->guard.drv = *low->driver;
	imap->guard.read = low->driver->mailstream_read;
	imap->guard.write = low->driver->mailstream_write;
	imap->guard.imap = imap;
	imap->guard.drv.mailstream_read = guard_read;
	imap->guard.drv.mailstream_write = guard_write;
	low->driver = &imap->guard.drv;
}

/* The server's last response text, made printable and short. */
static void
server_text(struct dun_imap *imap, char *out, size_t outlen)
{
	const char *t = imap->s ? imap->s->imap_response : NULL;
	size_t i;

	snprintf(out, outlen, "%s", t && *t ? t : "no response text");
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

/* The last line the server sent, as libetpan's parser last saw it:
 * printable, binary as \xNN, cut at QUOTE_CAP; "" if nothing came. */
static void
server_said(struct dun_imap *imap, char *out, size_t outlen)
{
	MMAPString *b = imap->s ? imap->s->imap_stream_buffer : NULL;
	size_t end, start, i, n = 0;

	out[0] = '\0';
	if (b == NULL || b->str == NULL)
		return;
	end = b->len;
	while (end > 0 && (b->str[end - 1] == '\n' || b->str[end - 1] == '\r'))
		end--;
	for (start = end; start > 0 && b->str[start - 1] != '\n'; start--)
		;
	for (i = start; i < end && n + 8 < outlen; i++) {
		unsigned char c = (unsigned char)b->str[i];
		if (i - start >= QUOTE_CAP) {
			n += (size_t)snprintf(out + n, outlen - n, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x",
			    c);
	}
	out[n] = '\0';
}

/* Why a stream went bad, in words: what the server did, to what. */
static void
broken_text(struct dun_imap *imap, int r, const char *what, char *out,
    size_t outlen)
{
	char said[QUOTE_CAP * 4 + 16];

	server_said(imap, said, sizeof(said));
	if (imap->toobig)
		snprintf(out, outlen, "its answer to %s ran past %zu MiB, "
		    "more than any message dunmail fetches", what,
		    RESPONSE_CAP >> 20);
	else if (imap->eof)
		snprintf(out, outlen, "it closed the connection in the middle "
		    "of its answer to %s%s%s%s", what, *said ? " (last line: "
		    "\"" : "", said, *said ? "\")" : "");
	else if ((r == MAILIMAP_ERROR_PARSE || r == MAILIMAP_ERROR_PROTOCOL) &&
	    *said)
		snprintf(out, outlen, "it answered %s with \"%s\", which is "
		    "not an IMAP response", what, said);
	else if (r == MAILIMAP_ERROR_STREAM)
		snprintf(out, outlen, "no answer to %s within %d s ([imap] "
		    "timeout), or the connection failed", what,
		    imap->srv->timeout_s);
	else
		snprintf(out, outlen, "%s: connection failed or the server's "
		    "answer did not parse (libetpan error %d)", what, r);
}

static int
imap_fail(struct dun_imap *imap, int r, const char *what)
{
	char text[QUOTE_CAP * 4 + 200];

	if (etpan_broken(r)) {
		imap->broken = 1;
		broken_text(imap, r, what, text, sizeof(text));
		dun_error_set(DUN_ENET, "imap server %s:%d: %s; the session "
		    "was dropped", imap->srv->host, imap->srv->port, text);
		dun_error_set_retry(DUN_RETRY_TEMP);
	} else {
		server_text(imap, text, sizeof(text));
		dun_error_set(DUN_ENET, "imap server %s:%d refused %s: %s",
		    imap->srv->host, imap->srv->port, what, text);
		dun_error_set_retry(DUN_RETRY_WAIT);
	}
	return DUN_ENET;
}

static void
imap_logger(mailimap *s, int log_type, const char *str, size_t size,
    void *arg)
{
	const char *dir;
	size_t show = size;

	(void)s;
	(void)arg;
	switch (log_type) {
	case MAILSTREAM_LOG_TYPE_DATA_RECEIVED:
		dir = "S:";
		break;
	case MAILSTREAM_LOG_TYPE_DATA_SENT:
		dir = "C:";
		break;
	case MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE:
		log_trace(TRACE_IMAP, "C: <credentials redacted>");
		return;
	default:
		return;
	}
	/* Message bodies go by too: show the start only. */
	if (show > 200)
		show = 200;
	while (show > 0 && (str[show - 1] == '\n' || str[show - 1] == '\r'))
		show--;
	log_trace(TRACE_IMAP, "%s %.*s%s", dir, (int)show, str,
	    size > 200 ? " ..." : "");
}

static void
tls_setup(struct mailstream_ssl_context *ctx, void *arg)
{
	struct dun_imap *imap = arg;
	const char *name = imap->srv->tls_name;

	/* SNI takes host names only, never address literals. */
	if (name && *name && !dun_tls_name_is_ip(name))
		mailstream_ssl_set_server_name(ctx, (char *)name);
}

/* Takes the peer chain off the stream and has tls.c verify it. */
static int
imap_verify_tls(struct dun_imap *imap)
{
	mailstream *stream = imap->s->imap_stream;
	unsigned char *leaf = NULL;
	ssize_t leaf_len;
	carray *chain;
	struct dun_tls_cert *certs = NULL;
	size_t n = 0;
	unsigned i;
	int rc;

	leaf_len = mailstream_ssl_get_certificate(stream, &leaf);
	chain = mailstream_get_certificate_chain(stream);
	certs = xcalloc((chain ? carray_count(chain) : 0) + 1, sizeof(*certs));
	if (leaf_len > 0) {
		certs[n].der = leaf;
		certs[n++].len = (size_t)leaf_len;
	}
	for (i = 0; chain && i < carray_count(chain); i++) {
		MMAPString *str = carray_get(chain, i);
		/* GnuTLS lists the leaf first again. */
		if (n > 0 && str->len == certs[0].len &&
		    memcmp(str->str, certs[0].der, str->len) == 0)
			continue;
		certs[n].der = (unsigned char *)str->str;
		certs[n++].len = str->len;
	}
	rc = dun_tls_verify(imap->srv, "imap", certs, n);
	free(certs);
	free(leaf);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return rc;
}

static int
imap_capability(struct dun_imap *imap)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(imap->s, &caps);

	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "CAPABILITY");
	mailimap_capability_data_free(caps);
	return 0;
}

static int
has_cap(struct dun_imap *imap, const char *name)
{
	return mailimap_has_extension(imap->s, (char *)name);
}

static int
is_loopback(const char *host)
{
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) ||
	    !strcmp(host, "::1");
}

static int
imap_login(struct dun_imap *imap, const struct dun_config *cfg)
{
	char *password = NULL, text[300];
	int r, rc;

	if (has_cap(imap, "LOGINDISABLED"))
		return imap_fail(imap, MAILIMAP_ERROR_LOGIN, "LOGIN "
		    "(LOGINDISABLED: the server wants TLS first)");
	if ((rc = dun_secret_get(&password, &cfg->imap.secret,
	    "imap password")) < 0)
		return rc;
	r = mailimap_login(imap->s, cfg->imap.user, password);
	dun_secret_free(password);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	if (etpan_broken(r))
		return imap_fail(imap, r, "LOGIN");
	server_text(imap, text, sizeof(text));
	dun_error_set(DUN_EAUTH, "imap server %s:%d refused the login of "
	    "%s: %s; check [imap] user and password_cmd/password_env",
	    imap->srv->host, imap->srv->port, cfg->imap.user, text);
	dun_error_set_retry(DUN_RETRY_FINAL);
	return DUN_EAUTH;
}

/* A TCP connection to host:port within timeout_s; -1 with *why set. */
static int
tcp_connect(const char *host, int port, int timeout_s, const char **why)
{
	struct addrinfo hints, *ai = NULL, *a;
	char service[16];
	int fd = -1, r, err = 0, flags;
	socklen_t len = sizeof(err);
	struct pollfd pfd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	if ((r = getaddrinfo(host, service, &hints, &ai)) != 0) {
		*why = gai_strerror(r);
		return -1;
	}
	*why = "no address";
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
		    a->ai_protocol);
		if (fd < 0) {
			*why = strerror(errno);
			continue;
		}
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		err = 0;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			err = errno;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (err == EINPROGRESS) {
				r = poll(&pfd, 1, timeout_s * 1000);
				err = r == 0 ? ETIMEDOUT : r < 0 ? errno : 0;
				if (err == 0 && getsockopt(fd, SOL_SOCKET,
				    SO_ERROR, &err, &len) < 0)
					err = errno;
			}
		}
		if (err == 0) {
			fcntl(fd, F_SETFL, flags);
			break;
		}
		*why = strerror(err);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/*
 * Connects and reads the greeting through the guarded stream; *greeting
 * is libetpan's verdict (authenticated or not). The errors say what the
 * server did: nothing, nonsense, or a refusal.
 */
static int
imap_open(struct dun_imap *imap, int *greeting)
{
	const struct dun_server *srv = imap->srv;
	const char *why = "";
	char said[QUOTE_CAP * 4 + 16];
	const char *check = "; check that [imap] host and port name an IMAP "
	    "server (993 for tls = implicit, 143 otherwise)";
	mailstream *stream;
	int fd, r;

	if ((fd = tcp_connect(srv->host, srv->port, srv->timeout_s,
	    &why)) < 0) {
		dun_error_set(DUN_ENET, "imap server %s:%d: cannot connect: "
		    "%s; is the host and port right and the server up?",
		    srv->host, srv->port, why);
		dun_error_set_retry(DUN_RETRY_TEMP);
		return DUN_ENET;
	}
	stream = srv->tls == DUN_TLS_IMPLICIT ?
	    mailstream_ssl_open_with_callback_timeout(fd, srv->timeout_s,
	    tls_setup, imap) : mailstream_socket_open_timeout(fd,
	    srv->timeout_s);
	if (stream == NULL) {
		close(fd);
		dun_error_set(DUN_ENET, "imap server %s:%d: the TLS handshake "
		    "failed (tls = implicit)%s", srv->host, srv->port, check);
		dun_error_set_retry(DUN_RETRY_TEMP);
		return DUN_ENET;
	}
	guard_install(imap, stream);
	/* Closes the stream itself when the greeting is not right. */
	r = mailimap_connect(imap->s, stream);
	*greeting = r;
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return 0;
	imap->broken = 1;
	server_said(imap, said, sizeof(said));
	if (r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION)
		dun_error_set(DUN_ENET, "imap server %s:%d refused the session "
		    "in its greeting: \"%s\"; try again later, or ask the "
		    "server's operator", srv->host, srv->port, said);
	else if (imap->eof)
		dun_error_set(DUN_ENET, "imap server %s:%d closed the "
		    "connection before its greeting%s", srv->host, srv->port,
		    check);
	else if (imap->toobig)
		dun_error_set(DUN_ENET, "imap server %s:%d: its greeting ran "
		    "past %zu MiB%s", srv->host, srv->port, RESPONSE_CAP >> 20,
		    check);
	else if (*said)
		dun_error_set(DUN_ENET, "imap server %s:%d greeted with "
		    "\"%s\", which is not IMAP%s", srv->host, srv->port,
		    said, check);
	else
		dun_error_set(DUN_ENET, "imap server %s:%d said nothing for "
		    "%d s after connecting: no IMAP greeting ([imap] "
		    "timeout)%s", srv->host, srv->port, srv->timeout_s, check);
	dun_error_set_retry(DUN_RETRY_TEMP);
	return DUN_ENET;
}

int
dun_imap_connect(struct dun_imap **out, const struct dun_config *cfg)
{
	const struct dun_server *srv = &cfg->imap;
	struct dun_imap *imap;
	int r, rc = 0, preauth;

	*out = NULL;
	imap = xcalloc(1, sizeof(*imap));
	imap->srv = srv;
	imap->selected = xstrdup("");
	if ((imap->s = mailimap_new(0, NULL)) == NULL)
		fatalx("mailimap_new: out of memory");
	mailimap_set_timeout(imap->s, srv->timeout_s);
	if (log_trace_enabled(TRACE_IMAP))
		mailimap_set_logger(imap->s, imap_logger, imap);

	if ((rc = imap_open(imap, &r)) < 0)
		goto fail;
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;

	switch (srv->tls) {
	case DUN_TLS_IMPLICIT:
		if ((rc = imap_verify_tls(imap)) < 0)
			goto fail;
		break;
	case DUN_TLS_STARTTLS:
		if (preauth) {
			rc = dun_error_set(DUN_ETLS, "imap server %s:%d greeted "
			    "with PREAUTH before STARTTLS: the session would "
			    "run without TLS; refusing", srv->host, srv->port);
			dun_error_set_retry(DUN_RETRY_FINAL);
			goto fail;
		}
		if ((rc = imap_capability(imap)) < 0)
			goto fail;
		if (!has_cap(imap, "STARTTLS")) {
			rc = dun_error_set(DUN_ETLS, "imap server %s:%d does "
			    "not offer STARTTLS, which the config requires "
			    "(tls = starttls); refusing; check [imap] host and "
			    "port (143 is IMAP with STARTTLS; 993 is implicit "
			    "TLS, tls = implicit)", srv->host, srv->port);
			dun_error_set_retry(DUN_RETRY_FINAL);
			goto fail;
		}
		r = mailimap_socket_starttls_with_callback(imap->s, tls_setup,
		    imap);
		if (r == MAILIMAP_NO_ERROR)
			guard_install(imap, imap->s->imap_stream);
		if (r != MAILIMAP_NO_ERROR) {
			rc = dun_error_set(DUN_ETLS, "imap server %s:%d: "
			    "STARTTLS failed (libetpan error %d); refusing to "
			    "continue without TLS", srv->host, srv->port, r);
			dun_error_set_retry(DUN_RETRY_TEMP);
			goto fail;
		}
		if ((rc = imap_verify_tls(imap)) < 0)
			goto fail;
		/* What was said before TLS may have been forged. */
		if ((rc = imap_capability(imap)) < 0)
			goto fail;
		break;
	case DUN_TLS_NONE:
		if (!srv->allow_plaintext || !is_loopback(srv->host)) {
			rc = dun_error_set(DUN_ECONFIG, "imap: tls = none is "
			    "allowed only to a loopback host with "
			    "allow_plaintext_loopback = yes");
			dun_error_set_retry(DUN_RETRY_FINAL);
			goto fail;
		}
		log_warnx("imap: %s:%d without TLS (allowed for a loopback "
		    "test server)", srv->host, srv->port);
		break;
	}
	if (!preauth) {
		/* STARTTLS asked already, after the handshake. */
		if (srv->tls != DUN_TLS_STARTTLS &&
		    (rc = imap_capability(imap)) < 0)
			goto fail;
		if ((rc = imap_login(imap, cfg)) < 0)
			goto fail;
	}
	/* Capabilities may grow after login. */
	if ((rc = imap_capability(imap)) < 0)
		goto fail;
	log_debug("imap: logged in to %s:%d as %s (MOVE %s, UIDPLUS %s, "
	    "IDLE %s)", srv->host, srv->port, cfg->imap.user,
	    has_cap(imap, "MOVE") ? "yes" : "no",
	    mailimap_has_uidplus(imap->s) ? "yes" : "no",
	    mailimap_has_idle(imap->s) ? "yes" : "no");
	*out = imap;
	return 0;
fail:
	dun_imap_close(imap);
	return rc;
}

void
dun_imap_close(struct dun_imap *imap)
{
	size_t i;

	if (imap == NULL)
		return;
	if (imap->s) {
		/* LOGOUT on a broken stream would only wait out the time-out,
		 * and mailimap_free says it to any stream still open. */
		if (imap->broken && imap->s->imap_stream) {
			mailstream_close(imap->s->imap_stream);
			imap->s->imap_stream = NULL;
		} else if (imap->s->imap_state != MAILIMAP_STATE_DISCONNECTED &&
		    imap->s->imap_stream)
			mailimap_logout(imap->s);
		mailimap_free(imap->s);
	}
	for (i = 0; i < imap->nfolders; i++)
		free(imap->folders[i]);
	free(imap->folders);
	free(imap->selected);
	free(imap);
}

char
dun_imap_delimiter(struct dun_imap *imap)
{
	clist *list = NULL;
	clistiter *it;

	if (imap->delim_known)
		return imap->delim;
	imap->delim = '/';
	if (mailimap_list(imap->s, "", "", &list) == MAILIMAP_NO_ERROR) {
		for (it = clist_begin(list); it; it = clist_next(it)) {
			struct mailimap_mailbox_list *mb = clist_content(it);
			if (mb->mb_delimiter)
				imap->delim = mb->mb_delimiter;
		}
		mailimap_list_result_free(list);
	}
	imap->delim_known = 1;
	return imap->delim;
}

int
dun_imap_has_idle(struct dun_imap *imap)
{
	return mailimap_has_idle(imap->s);
}

int
dun_imap_select(struct dun_imap *imap, const char *mailbox,
    uint32_t *uidvalidity_out, uint32_t *uidnext_out)
{
	struct mailimap_selection_info *sel;
	int r;

	r = mailimap_select(imap->s, mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		free(imap->selected);
		imap->selected = xstrdup("");
		return imap_fail(imap, r, "SELECT");
	}
	free(imap->selected);
	imap->selected = xstrdup(mailbox);
	sel = imap->s->imap_selection_info;
	*uidvalidity_out = sel ? sel->sel_uidvalidity : 0;
	*uidnext_out = sel ? sel->sel_uidnext : 0;
	if (*uidvalidity_out == 0)
		return dun_error_set(DUN_ENET, "imap server %s:%d sent no "
		    "UIDVALIDITY for %s; dunmail cannot track it safely",
		    imap->srv->host, imap->srv->port, mailbox);
	return 0;
}

static int
uid_cmp(const void *a, const void *b)
{
	const struct dun_imap_uid *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Walks one FETCH response item list. */
static void
msg_att_fields(struct mailimap_msg_att *ma, uint32_t *uid, uint32_t *size,
    const char **body, size_t *body_len)
{
	clistiter *it;

	for (it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (body && st->att_data.att_body_section) {
				*body = st->att_data.att_body_section->
				    sec_body_part;
				*body_len = st->att_data.att_body_section->
				    sec_length;
			}
			break;
		}
	}
}

int
dun_imap_list(struct dun_imap *imap, uint32_t lo, uint32_t hi, size_t max,
    struct dun_imap_uids *out)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it;
	int r;

	out->items = NULL;
	out->count = 0;
	if (lo == 0)
		lo = 1;
	set = mailimap_set_new_interval(lo, hi);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(imap->s, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "UID FETCH (listing)");
	for (it = clist_begin(result); it; it = clist_next(it)) {
		uint32_t uid = 0, size = 0;
		msg_att_fields(clist_content(it), &uid, &size, NULL, NULL);
		/* "N:*" returns the last message even below N. */
		if (uid < lo || (hi && uid > hi))
			continue;
		out->items = xreallocarray(out->items, out->count + 1,
		    sizeof(*out->items));
		out->items[out->count].uid = uid;
		out->items[out->count++].size = size;
	}
	mailimap_fetch_list_free(result);
	if (out->count > 1) /* items is NULL when nothing came back */
		qsort(out->items, out->count, sizeof(*out->items), uid_cmp);
	if (max && out->count > max)
		out->count = max;
	return 0;
}

void
dun_imap_uids_free(struct dun_imap_uids *uids)
{
	free(uids->items);
	uids->items = NULL;
	uids->count = 0;
}

static struct mailimap_set *
set_of(const struct dun_imap_uid *uids, size_t n, size_t max_size,
    int oversized)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++) {
		if ((uids[i].size > max_size) != oversized)
			continue;
		mailimap_set_add_single(set, uids[i].uid);
		any = 1;
	}
	if (!any) {
		mailimap_set_free(set);
		return NULL;
	}
	return set;
}

static int
fetch_set(struct dun_imap *imap, struct mailimap_set *set, int headers_only,
    dun_imap_msg_fn fn, void *arg)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_section *section;
	clist *result = NULL;
	clistiter *it;
	int r, rc = 0;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	section = headers_only ? mailimap_section_new_header() :
	    mailimap_section_new(NULL);
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(section));
	r = mailimap_uid_fetch(imap->s, set, ft, &result);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "UID FETCH");
	/* In the server's order (ascending UID, as listed). */
	for (it = clist_begin(result); it && rc == 0; it = clist_next(it)) {
		struct dun_imap_msg msg;
		memset(&msg, 0, sizeof(msg));
		msg_att_fields(clist_content(it), &msg.uid, &msg.size,
		    &msg.data, &msg.len);
		/* Unsolicited FETCH responses (flag changes) carry no body. */
		if (msg.uid == 0 || msg.data == NULL)
			continue;
		msg.headers_only = headers_only;
		rc = fn(&msg, arg);
	}
	mailimap_fetch_list_free(result);
	return rc;
}

int
dun_imap_fetch(struct dun_imap *imap, const struct dun_imap_uid *uids,
    size_t n, size_t max_size, dun_imap_msg_fn fn, void *arg)
{
	struct mailimap_set *set;
	int rc = 0;

	if (max_size == 0)
		max_size = DUN_IMAP_MAX_MESSAGE;
	if ((set = set_of(uids, n, max_size, 0)) != NULL) {
		rc = fetch_set(imap, set, 0, fn, arg);
		mailimap_set_free(set);
	}
	if (rc == 0 && (set = set_of(uids, n, max_size, 1)) != NULL) {
		rc = fetch_set(imap, set, 1, fn, arg);
		mailimap_set_free(set);
	}
	return rc;
}

int
dun_imap_uid_present(struct dun_imap *imap, uint32_t uid, int *present)
{
	struct dun_imap_uids list;
	int rc;

	*present = 0;
	if ((rc = dun_imap_list(imap, uid, uid, 0, &list)) < 0)
		return rc;
	*present = list.count > 0;
	dun_imap_uids_free(&list);
	return 0;
}

static int
folder_known(struct dun_imap *imap, const char *folder)
{
	size_t i;

	for (i = 0; i < imap->nfolders; i++)
		if (strcmp(imap->folders[i], folder) == 0)
			return 1;
	return 0;
}

static int
folder_exists(struct dun_imap *imap, const char *folder, int *exists)
{
	clist *list = NULL;
	clistiter *it;
	int r;

	*exists = 0;
	r = mailimap_list(imap->s, "", folder, &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "LIST");
	for (it = clist_begin(list); it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		struct mailimap_mbx_list_flags *fl = mb->mb_flag;
		int nonexistent = 0;
		if (fl && fl->mbf_oflags) {
			clistiter *f;
			for (f = clist_begin(fl->mbf_oflags); f;
			    f = clist_next(f)) {
				struct mailimap_mbx_list_oflag *of =
				    clist_content(f);
				if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT &&
				    of->of_flag_ext &&
				    (!strcasecmp(of->of_flag_ext, "NonExistent") ||
				    !strcasecmp(of->of_flag_ext, "Noselect")))
					nonexistent = 1;
			}
		}
		if (fl && fl->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
		    fl->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
			nonexistent = 1;
		if (!nonexistent)
			*exists = 1;
	}
	mailimap_list_result_free(list);
	return 0;
}

int
dun_imap_ensure_folder(struct dun_imap *imap, const char *folder)
{
	int exists, r, rc;

	if (folder_known(imap, folder))
		return 0;
	if ((rc = folder_exists(imap, folder, &exists)) < 0)
		return rc;
	if (!exists) {
		r = mailimap_create(imap->s, folder);
		if (r != MAILIMAP_NO_ERROR) {
			/* Someone else may have made it meanwhile. */
			if (etpan_broken(r) ||
			    folder_exists(imap, folder, &exists) < 0 ||
			    !exists)
				return imap_fail(imap, r, "CREATE");
		} else {
			log_info("imap: created folder %s", folder);
			mailimap_subscribe(imap->s, folder);
		}
	}
	imap->folders = xreallocarray(imap->folders, imap->nfolders + 1,
	    sizeof(char *));
	imap->folders[imap->nfolders++] = xstrdup(folder);
	return 0;
}

static int
delete_set(struct dun_imap *imap, struct mailimap_set *set)
{
	struct mailimap_flag_list *flags;
	struct mailimap_store_att_flags *store;
	int r;

	flags = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(flags, mailimap_flag_new_deleted());
	store = mailimap_store_att_flags_new_add_flags_silent(flags);
	r = mailimap_uid_store(imap->s, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "UID STORE +FLAGS (\\Deleted)");
	/* Plain EXPUNGE would also remove what a person marked deleted:
	 * without UIDPLUS the messages stay flagged instead. */
	if (mailimap_has_uidplus(imap->s)) {
		r = mailimap_uid_expunge(imap->s, set);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(imap, r, "UID EXPUNGE");
	}
	return 0;
}

static struct mailimap_set *
uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i;

	for (i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i]);
	return set;
}

int
dun_imap_delete(struct dun_imap *imap, const uint32_t *uids, size_t n)
{
	struct mailimap_set *set;
	int rc;

	if (n == 0)
		return 0;
	set = uid_set(uids, n);
	rc = delete_set(imap, set);
	mailimap_set_free(set);
	return rc;
}

int
dun_imap_move(struct dun_imap *imap, const uint32_t *uids, size_t n,
    const char *folder)
{
	struct mailimap_set *set;
	int r, rc;

	if (n == 0)
		return 0;
	if ((rc = dun_imap_ensure_folder(imap, folder)) < 0)
		return rc;
	set = uid_set(uids, n);
	if (has_cap(imap, "MOVE")) {
		r = mailimap_uid_move(imap->s, set, folder);
		rc = r == MAILIMAP_NO_ERROR ? 0 :
		    imap_fail(imap, r, "UID MOVE");
	} else {
		r = mailimap_uid_copy(imap->s, set, folder);
		/* Nothing is deleted unless the copy succeeded. */
		rc = r == MAILIMAP_NO_ERROR ? delete_set(imap, set) :
		    imap_fail(imap, r, "UID COPY");
	}
	mailimap_set_free(set);
	return rc;
}

int
dun_imap_append(struct dun_imap *imap, const char *folder, const char *data,
    size_t len)
{
	struct mailimap_flag_list *flags;
	int r, rc;

	if ((rc = dun_imap_ensure_folder(imap, folder)) < 0)
		return rc;
	flags = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(flags, mailimap_flag_new_seen());
	r = mailimap_append(imap->s, folder, flags, NULL, data, len);
	mailimap_flag_list_free(flags);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "APPEND");
	return 0;
}

/* Re-selects what was selected before a look elsewhere. */
static int
reselect(struct dun_imap *imap, const char *mailbox)
{
	uint32_t v, n;

	if (*mailbox == '\0')
		return 0;
	return dun_imap_select(imap, mailbox, &v, &n);
}

int
dun_imap_find_message_id(struct dun_imap *imap, const char *folder,
    const char *message_id, int *found)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	char *value, *prev = NULL;
	int exists, r, rc = 0;

	*found = 0;
	if (strpbrk(message_id, "\r\n\"\\") != NULL)
		return dun_error_set(DUN_EINVAL, "Message-ID %s cannot be "
		    "searched for", message_id);
	if (strcmp(imap->selected, folder) != 0) {
		if ((rc = folder_exists(imap, folder, &exists)) < 0)
			return rc;
		if (!exists)
			return 0;
		prev = xstrdup(imap->selected);
		r = mailimap_examine(imap->s, folder);
		if (r != MAILIMAP_NO_ERROR) {
			rc = imap_fail(imap, r, "EXAMINE");
			goto cleanup;
		}
		free(imap->selected);
		imap->selected = xstrdup(folder);
	}
	value = xasprintf("<%s>", message_id);
	key = mailimap_search_key_new_header(xstrdup("Message-ID"), value);
	r = mailimap_uid_search(imap->s, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		rc = imap_fail(imap, r, "UID SEARCH");
		goto cleanup;
	}
	*found = !clist_isempty(result);
	mailimap_search_result_free(result);
cleanup:
	if (prev) {
		int rc2 = reselect(imap, prev);
		if (rc == 0)
			rc = rc2;
		free(prev);
	}
	return rc;
}

int
dun_imap_saw_exists(struct dun_imap *imap)
{
	struct mailimap_selection_info *sel = imap->s->imap_selection_info;
	int saw;

	if (sel == NULL)
		return 0;
	saw = sel->sel_has_exists;
	sel->sel_has_exists = 0;
	return saw;
}

int
dun_imap_noop(struct dun_imap *imap)
{
	int r = mailimap_noop(imap->s);

	return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(imap, r, "NOOP");
}

int
dun_imap_idle(struct dun_imap *imap, int timeout_s,
    volatile sig_atomic_t *stop, int *changed)
{
	struct pollfd pfd;
	mailstream *stream = imap->s->imap_stream;
	int r, n, waited_ms = 0, timeout_ms = timeout_s * 1000;

	*changed = 0;
	r = mailimap_idle(imap->s);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "IDLE");
	/* The server may have spoken in the same packet as "+ idling". */
	if (stream->read_buffer_len > 0)
		*changed = 1;
	while (!*changed && !(stop && *stop) && waited_ms < timeout_ms) {
		int slice = timeout_ms - waited_ms;
		pfd.fd = mailimap_idle_get_fd(imap->s);
		pfd.events = POLLIN;
		pfd.revents = 0;
		/* Wake now and then so a stop request is never missed. */
		if (slice > 1000)
			slice = 1000;
		n = poll(&pfd, 1, slice);
		if (n < 0 && errno != EINTR)
			return dun_error_set_errno(DUN_ENET, "imap: poll");
		if (n > 0)
			*changed = 1;
		else if (n == 0)
			waited_ms += slice;
	}
	r = mailimap_idle_done(imap->s);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, "IDLE DONE");
	return 0;
}
