/*
 * SMTP transport: the retry classification table, and real transactions
 * with libcurl against a scripted SMTP server on loopback (a forked child)
 * for per-recipient replies, the captured reply to the end of data, the
 * commit hook, a lost connection after the end of data, and connection
 * reuse. With the mail sandbox running (eval "$(tests/sandbox/sandbox.sh
 * env)"), also STARTTLS + AUTH, implicit TLS, and the TLS refusals: wrong
 * name, unknown CA, wrong pin, wrong password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "dunmail/config/config.h"
#include "dunmail/mail/smtp.h"
#include "testutil.h"

static void
test_smtp__reply_class(void **state)
{
	static const struct { int code; dun_retry_t retry; } rows[] = {
		{ 250, DUN_RETRY_NONE }, { 354, DUN_RETRY_NONE },
		{ 421, DUN_RETRY_TEMP }, { 450, DUN_RETRY_TEMP },
		{ 452, DUN_RETRY_TEMP }, { 500, DUN_RETRY_FINAL },
		{ 550, DUN_RETRY_FINAL }, { 554, DUN_RETRY_FINAL },
		{ 0, DUN_RETRY_TEMP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++)
		assert_int_equal(dun_smtp_reply_class(rows[i].code),
		    rows[i].retry);
}

/* libcurl codes by number, so only smtp.c includes curl.h. */
static void
test_smtp__classify(void **state)
{
	static const struct {
		int curl, smtp, want_rc;
		dun_retry_t want_retry;
	} rows[] = {
		{ 0 /* OK */, 250, 0, DUN_RETRY_NONE },
		{ 7 /* COULDNT_CONNECT */, 0, DUN_ENET, DUN_RETRY_TEMP },
		{ 28 /* OPERATION_TIMEDOUT */, 0, DUN_ENET, DUN_RETRY_TEMP },
		{ 56 /* RECV_ERROR */, 250, DUN_ENET, DUN_RETRY_TEMP },
		{ 55 /* SEND_ERROR: RCPT */, 450, DUN_ENET, DUN_RETRY_TEMP },
		{ 55 /* SEND_ERROR: RCPT */, 550, DUN_ENET, DUN_RETRY_FINAL },
		{ 8 /* WEIRD_SERVER_REPLY */, 421, DUN_ENET, DUN_RETRY_TEMP },
		{ 8 /* WEIRD_SERVER_REPLY */, 554, DUN_ENET, DUN_RETRY_FINAL },
		{ 60 /* PEER_FAILED_VERIFICATION */, 0, DUN_ETLS,
		  DUN_RETRY_FINAL },
		{ 90 /* PINNEDPUBKEYNOTMATCH */, 0, DUN_ETLS, DUN_RETRY_FINAL },
		{ 64 /* USE_SSL_FAILED: no STARTTLS */, 0, DUN_ETLS,
		  DUN_RETRY_FINAL },
		{ 35 /* SSL_CONNECT_ERROR */, 0, DUN_ETLS, DUN_RETRY_FINAL },
		{ 67 /* LOGIN_DENIED */, 535, DUN_EAUTH, DUN_RETRY_FINAL },
		{ 67 /* LOGIN_DENIED */, 454, DUN_EAUTH, DUN_RETRY_TEMP },
		{ 1 /* UNSUPPORTED_PROTOCOL */, 0, DUN_ECONFIG,
		  DUN_RETRY_FINAL },
	};
	dun_retry_t retry;
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		assert_int_equal(dun_smtp__classify(rows[i].curl,
		    rows[i].smtp, &retry), rows[i].want_rc);
		assert_int_equal(retry, rows[i].want_retry);
	}
}

/* A scripted SMTP server: RCPT to an address starting "bad" gets 550,
 * "busy" gets 451; the mode spoils one place (below). Serves connections
 * until killed; each accepted connection is counted in a pipe. */
enum serve_mode {
	SERVE_OK,
	SERVE_DROP_AFTER_DOT,  /* closes after the end of data, no reply */
	SERVE_MUTE_AFTER_DOT,  /* no reply to the end of data; QUIT's 221 */
	SERVE_GREET_554,       /* refuses the session in its greeting */
	SERVE_NOT_SMTP,        /* a greeting that is not SMTP */
	SERVE_RCPT_NONSENSE,   /* RCPT answered "25O ok" */
};

struct fake_server {
	pid_t pid;
	int port;
	int count_fd;
	int connections;
};

/* Connections accepted so far. */
static int
fake_connections(struct fake_server *fs)
{
	char buf[64];
	ssize_t n;

	while ((n = read(fs->count_fd, buf, sizeof(buf))) > 0)
		fs->connections += (int)n;
	return fs->connections;
}

static void
say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(2);
}

static void
serve(int fd, int mode, int *queued)
{
	char buf[65536], line[1024];
	size_t used = 0, ll = 0;
	int in_data = 0;
	ssize_t n;

	say(fd, mode == SERVE_GREET_554 ? "554 5.3.2 no service here\r\n" :
	    mode == SERVE_NOT_SMTP ? "HELLO I AM NOT SMTP\r\n" :
	    "220 fake ESMTP\r\n");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;
		for (i = 0; i < n; i++) {
			char c = buf[i];
			if (ll + 1 < sizeof(line))
				line[ll++] = c;
			if (c != '\n')
				continue;
			line[ll] = '\0';
			ll = 0;
			if (in_data) {
				if (strcmp(line, ".\r\n") == 0) {
					in_data = 0;
					if (mode == SERVE_DROP_AFTER_DOT)
						_exit(0);
					if (mode == SERVE_MUTE_AFTER_DOT)
						continue;
					snprintf(line, sizeof(line), "250 2.0.0 "
					    "Ok: queued as FAKE%d\r\n",
					    ++*queued);
					say(fd, line);
				}
				continue;
			}
			if (!strncasecmp(line, "EHLO", 4))
				say(fd, "250-fake\r\n250 8BITMIME\r\n");
			else if (!strncasecmp(line, "MAIL", 4))
				say(fd, "250 2.1.0 Ok\r\n");
			else if (!strncasecmp(line, "RCPT TO:<bad", 12))
				say(fd, "550 5.1.1 <bad>: no such user\r\n");
			else if (!strncasecmp(line, "RCPT TO:<busy", 13))
				say(fd, "451 4.3.0 try later\r\n");
			else if (!strncasecmp(line, "RCPT", 4) &&
			    mode == SERVE_RCPT_NONSENSE)
				say(fd, "25O ok\r\n");
			else if (!strncasecmp(line, "RCPT", 4))
				say(fd, "250 2.1.5 Ok\r\n");
			else if (!strncasecmp(line, "DATA", 4)) {
				say(fd, "354 go ahead\r\n");
				in_data = 1;
			} else if (!strncasecmp(line, "QUIT", 4)) {
				say(fd, "221 bye\r\n");
				return;
			} else if (!strncasecmp(line, "RSET", 4) ||
			    !strncasecmp(line, "NOOP", 4))
				say(fd, "250 Ok\r\n");
			else
				say(fd, "502 no\r\n");
		}
	}
	(void)used;
}

/* concurrent: each connection served by a process of its own, as a
 * group of connections needs; else one after the other. */
static void
fake_start_mode(struct fake_server *fs, int mode, int concurrent)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	int lfd, pfd[2], one = 1, queued = 0;

	assert_int_equal(pipe(pfd), 0);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &slen), 0);
	fs->port = ntohs(sa.sin_port);
	fs->pid = fork();
	assert_true(fs->pid >= 0);
	if (fs->pid == 0) {
		close(pfd[0]);
		for (;;) {
			int fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				_exit(1);
			if (write(pfd[1], "c", 1) < 0)
				_exit(1);
			if (concurrent && fork() == 0) {
				close(lfd);
				serve(fd, mode, &queued);
				_exit(0);
			} else if (!concurrent)
				serve(fd, mode, &queued);
			close(fd);
		}
	}
	close(lfd);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	fs->count_fd = pfd[0];
	fs->connections = 0;
}

static void
fake_start(struct fake_server *fs, int mode)
{
	fake_start_mode(fs, mode, 0);
}

static int
fake_stop(struct fake_server *fs)
{
	int connections;

	kill(fs->pid, SIGTERM);
	waitpid(fs->pid, NULL, 0);
	connections = fake_connections(fs);
	close(fs->count_fd);
	return connections;
}

static struct dun_server
plain_server(int port)
{
	struct dun_server srv;

	memset(&srv, 0, sizeof(srv));
	srv.host = "127.0.0.1";
	srv.port = port;
	srv.tls = DUN_TLS_NONE;
	srv.tls_name = "127.0.0.1";
	srv.ca_file = "";
	srv.pin_sha256 = "";
	srv.user = "";
	srv.allow_plaintext = 1;
	srv.timeout_s = 10;
	return srv;
}

static int commits;

static int
count_commit(void *arg)
{
	(void)arg;
	commits++;
	return 0;
}

static int
refuse_commit(void *arg)
{
	(void)arg;
	commits++;
	return dun_error_set(DUN_ESTORE, "disk full (test)");
}

static const char message[] = "From: <ar@vendor.test>\r\nTo: <a@buyer.test>"
    "\r\nSubject: test\r\nMessage-ID: <t1@vendor.test>\r\n\r\n.a line "
    "starting with a dot\r\nbye\r\n";

static void
test_smtp__per_recipient_results(void **state)
{
	struct fake_server fs;
	struct dun_server srv;
	struct dun_smtp *smtp;
	struct dun_smtp_result res;
	char *rcpts[] = { "a@buyer.test", "bad@buyer.test", "c@buyer.test" };
	char *all_bad[] = { "bad1@buyer.test", "busy@buyer.test" };
	int i;

	(void)state;
	fake_start(&fs, SERVE_OK);
	srv = plain_server(fs.port);
	assert_int_equal(dun_smtp_open(&smtp, &srv, "vendor.test"), 0);
	commits = 0;
	/* Two messages over one connection. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test",
		    rcpts, 3, message, strlen(message), count_commit, NULL),
		    0);
		assert_int_equal(res.code, 250);
		assert_non_null(strstr(res.reply, "queued as FAKE"));
		assert_int_equal(res.data_ended, 1);
		assert_int_equal(res.rcpts[0].status, DUN_RCPT_ACCEPTED);
		assert_int_equal(res.rcpts[1].status, DUN_RCPT_REJECTED);
		assert_int_equal(res.rcpts[1].code, 550);
		assert_string_equal(res.rcpts[1].reply,
		    "550 5.1.1 <bad>: no such user");
		assert_int_equal(res.rcpts[2].status, DUN_RCPT_ACCEPTED);
		dun_smtp_result_free(&res);
	}
	assert_int_equal(commits, 2);
	/* One connection carried both. */
	assert_int_equal(fake_connections(&fs), 1);
	/* Every recipient refused, one of them 4xx: temporary, no DATA. */
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", all_bad,
	    2, message, strlen(message), count_commit, NULL), DUN_ENET);
	assert_int_equal(dun_error_retry(), DUN_RETRY_TEMP);
	assert_int_equal(res.rcpts[0].status, DUN_RCPT_REJECTED);
	assert_int_equal(res.rcpts[1].status, DUN_RCPT_DEFERRED);
	assert_int_equal(res.data_ended, 0);
	assert_int_equal(commits, 2);
	dun_smtp_result_free(&res);
	/* The store refuses 'sending': the end of data never goes. */
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", rcpts, 1,
	    message, strlen(message), refuse_commit, NULL), DUN_ESTORE);
	assert_int_equal(res.data_ended, 0);
	assert_int_equal(res.code, 0);
	dun_smtp_result_free(&res);
	/* Still usable afterwards. */
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", rcpts, 1,
	    message, strlen(message), count_commit, NULL), 0);
	dun_smtp_result_free(&res);
	dun_smtp_close(smtp);
	/* A failed transaction closes its connection; the next opens one. */
	assert_true(fake_stop(&fs) <= 3);
}

static void
test_smtp__lost_after_end_of_data(void **state)
{
	struct fake_server fs;
	struct dun_server srv;
	struct dun_smtp *smtp;
	struct dun_smtp_result res;
	char *rcpts[] = { "a@buyer.test" };

	(void)state;
	fake_start(&fs, SERVE_DROP_AFTER_DOT);
	srv = plain_server(fs.port);
	assert_int_equal(dun_smtp_open(&smtp, &srv, "vendor.test"), 0);
	commits = 0;
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", rcpts, 1,
	    message, strlen(message), count_commit, NULL), DUN_ENET);
	assert_int_equal(commits, 1);
	assert_int_equal(res.data_ended, 1);
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(dun_error_last(), "may have been accepted"));
	dun_smtp_result_free(&res);
	dun_smtp_close(smtp);
	fake_stop(&fs);
}

/* The server says nothing after the end of data but answers the QUIT
 * libcurl sends on giving up: that 221 is not the end of data's reply,
 * and the message may have been accepted (was: deferred, sent again). */
static void
test_smtp__mute_after_end_of_data(void **state)
{
	struct fake_server fs;
	struct dun_server srv;
	struct dun_smtp *smtp;
	struct dun_smtp_result res;
	char *rcpts[] = { "a@buyer.test" };

	(void)state;
	fake_start(&fs, SERVE_MUTE_AFTER_DOT);
	srv = plain_server(fs.port);
	srv.timeout_s = 1;
	assert_int_equal(dun_smtp_open(&smtp, &srv, "vendor.test"), 0);
	commits = 0;
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", rcpts, 1,
	    message, strlen(message), count_commit, NULL), DUN_ENET);
	assert_int_equal(commits, 1);
	assert_int_equal(res.data_ended, 1);
	assert_int_equal(res.code, 0);
	assert_null(res.reply);
	assert_int_equal(res.rcpts[0].code, 250);
	assert_non_null(strstr(dun_error_last(), "may have been accepted"));
	assert_non_null(strstr(dun_error_last(), "said nothing for 1 s"));
	assert_non_null(strstr(dun_error_last(), "the end of data"));
	dun_smtp_result_free(&res);
	dun_smtp_close(smtp);
	fake_stop(&fs);
}

/* Nonsense from the server ends the transfer at once, never taken for a
 * reply, and the error quotes it, names the server and says what to do;
 * a refusal in the greeting is the session's, not the message's. */
static void
test_smtp__nonsense(void **state)
{
	static const struct {
		int mode;
		const char *want[2];
		dun_retry_t want_retry;
	} rows[] = {
		{ SERVE_NOT_SMTP, { "greeted with \"HELLO I AM NOT SMTP\", "
		  "which is not SMTP", "check that [smtp] host and port" },
		  DUN_RETRY_TEMP },
		{ SERVE_RCPT_NONSENSE, { "answered RCPT TO with \"25O ok\"",
		  "nothing was delivered" }, DUN_RETRY_TEMP },
		{ SERVE_GREET_554, { "refused the session: 554 5.3.2 no "
		  "service here", "nothing was sent" }, DUN_RETRY_TEMP },
	};
	char *rcpts[] = { "a@buyer.test" };
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		struct fake_server fs;
		struct dun_server srv;
		struct dun_smtp *smtp;
		struct dun_smtp_result res;
		char where[64];
		time_t t0;

		fake_start(&fs, rows[i].mode);
		srv = plain_server(fs.port);
		snprintf(where, sizeof(where), "127.0.0.1:%d", fs.port);
		assert_int_equal(dun_smtp_open(&smtp, &srv, "vendor.test"), 0);
		commits = 0;
		t0 = time(NULL);
		assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test",
		    rcpts, 1, message, strlen(message), count_commit, NULL),
		    DUN_ENET);
		/* Not the 10 s time-out. */
		assert_true(time(NULL) - t0 < 5);
		assert_int_equal(dun_error_retry(), rows[i].want_retry);
		assert_non_null(strstr(dun_error_last(), where));
		assert_non_null(strstr(dun_error_last(), rows[i].want[0]));
		assert_non_null(strstr(dun_error_last(), rows[i].want[1]));
		assert_int_equal(commits, 0);
		assert_int_equal(res.data_ended, 0);
		assert_int_equal(res.rcpts[0].status, DUN_RCPT_PENDING);
		assert_int_equal(res.rcpts[0].code, 0);
		dun_smtp_result_free(&res);
		dun_smtp_close(smtp);
		fake_stop(&fs);
	}
}

static void
test_smtp__refuses_header_injection(void **state)
{
	struct dun_server srv = plain_server(1);
	struct dun_smtp *smtp;
	struct dun_smtp_result res;
	char *rcpts[] = { "a@buyer.test>\r\nRCPT TO:<evil@x.test" };

	(void)state;
	assert_int_equal(dun_smtp_open(&smtp, &srv, "vendor.test"), 0);
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", rcpts, 1,
	    message, strlen(message), count_commit, NULL), DUN_EINVAL);
	dun_smtp_result_free(&res);
	dun_smtp_close(smtp);
}

/* The sandbox, if running. */

static int
sandbox_server(struct dun_server *srv, int implicit)
{
	const char *ca = getenv("SANDBOX_CA");
	const char *port = getenv(implicit ? "SANDBOX_SMTPS_PORT" :
	    "SANDBOX_SUBMISSION_PORT");

	if (ca == NULL || port == NULL || access(ca, R_OK) < 0)
		return 0;
	memset(srv, 0, sizeof(*srv));
	srv->host = getenv("SANDBOX_HOST") ? getenv("SANDBOX_HOST") :
	    "127.0.0.1";
	srv->port = atoi(port);
	srv->tls = implicit ? DUN_TLS_IMPLICIT : DUN_TLS_STARTTLS;
	srv->tls_name = "localhost";
	srv->ca_file = (char *)ca;
	srv->pin_sha256 = "";
	srv->user = "ar@vendor.test";
	srv->secret.env = "SANDBOX_PASSWORD";
	srv->timeout_s = 15;
	return 1;
}

static int
sandbox_send(struct dun_server *srv, struct dun_smtp_result *res)
{
	struct dun_smtp *smtp;
	char *rcpts[] = { "acme@buyer.test" };
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = dun_smtp_open(&smtp, srv, "vendor.test")) < 0)
		return rc;
	rc = dun_smtp_send(smtp, res, "ar@vendor.test", rcpts, 1, message,
	    strlen(message), count_commit, NULL);
	dun_smtp_close(smtp);
	return rc;
}

static char *
sandbox_pin(void)
{
	char *cmd = xasprintf("openssl x509 -in '%s/tls/server.pem' -pubkey "
	    "-noout | openssl pkey -pubin -outform der | openssl dgst "
	    "-sha256 -binary | base64", getenv("DUNMAIL_SANDBOX_DIR"));
	FILE *fp = popen(cmd, "r");
	char line[128] = "";

	free(cmd);
	if (fp == NULL)
		return NULL;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	pclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	return line[0] ? xstrdup(line) : NULL;
}

/* STARTTLS required and not offered: refused for good, and the hint is
 * about STARTTLS and the port, not about ca_file. */
static void
test_smtp__no_starttls_hint(void **state)
{
	struct fake_server fs;
	struct dun_server srv;
	struct dun_smtp *smtp;
	struct dun_smtp_result res;
	char *rcpts[] = { "a@buyer.test" };

	(void)state;
	fake_start(&fs, SERVE_OK);
	srv = plain_server(fs.port);
	srv.tls = DUN_TLS_STARTTLS;
	srv.allow_plaintext = 0;
	assert_int_equal(dun_smtp_open(&smtp, &srv, "vendor.test"), 0);
	commits = 0;
	assert_int_equal(dun_smtp_send(smtp, &res, "ar@vendor.test", rcpts, 1,
	    message, strlen(message), count_commit, NULL), DUN_ETLS);
	assert_int_equal(dun_error_retry(), DUN_RETRY_FINAL);
	assert_non_null(strstr(dun_error_last(), "does not offer STARTTLS"));
	assert_null(strstr(dun_error_last(), "ca_file"));
	assert_int_equal(commits, 0);
	dun_smtp_result_free(&res);
	dun_smtp_close(smtp);
	fake_stop(&fs);
}

static void
test_smtp__sandbox_tls(void **state)
{
	struct dun_server srv;
	struct dun_smtp_result res;
	char *pin;
	dun_retry_t retry;
	char wrong_ca[512];

	(void)state;
	if (!sandbox_server(&srv, 0)) {
		print_message("sandbox not running: skipped\n");
		skip();
	}
	commits = 0;
	assert_int_equal(sandbox_send(&srv, &res), 0);
	assert_int_equal(res.code, 250);
	assert_true(dun_str_has_prefix(res.reply, "250 2.0.0 Ok: queued as"));
	dun_smtp_result_free(&res);
	assert_int_equal(commits, 1);

	assert_true(sandbox_server(&srv, 1));
	assert_int_equal(sandbox_send(&srv, &res), 0);
	dun_smtp_result_free(&res);

	/* Wrong name: refused before AUTH, for good. */
	sandbox_server(&srv, 0);
	srv.tls_name = "wrong.example";
	assert_int_equal(sandbox_send(&srv, &res), DUN_ETLS);
	retry = dun_error_retry();
	assert_int_equal(retry, DUN_RETRY_FINAL);
	assert_non_null(strstr(dun_error_last(), "tls_name"));
	dun_smtp_result_free(&res);

	/* A CA that did not sign the server. */
	sandbox_server(&srv, 0);
	snprintf(wrong_ca, sizeof(wrong_ca), "%s/tls/unknownca.pem",
	    getenv("DUNMAIL_SANDBOX_DIR"));
	srv.ca_file = wrong_ca;
	assert_int_equal(sandbox_send(&srv, &res), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "ca_file"));
	dun_smtp_result_free(&res);

	/* Pins: the right one passes, another is refused. */
	if ((pin = sandbox_pin()) != NULL) {
		sandbox_server(&srv, 0);
		srv.pin_sha256 = pin;
		assert_int_equal(sandbox_send(&srv, &res), 0);
		dun_smtp_result_free(&res);
		free(pin);
	}
	sandbox_server(&srv, 0);
	srv.pin_sha256 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	assert_int_equal(sandbox_send(&srv, &res), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "pin_sha256 names"));
	dun_smtp_result_free(&res);

	/* A wrong password. */
	sandbox_server(&srv, 0);
	setenv("DUNMAIL_TEST_WRONG_PASSWORD", "not-the-password", 1);
	srv.secret.env = "DUNMAIL_TEST_WRONG_PASSWORD";
	assert_int_equal(sandbox_send(&srv, &res), DUN_EAUTH);
	assert_int_equal(dun_error_retry(), DUN_RETRY_FINAL);
	dun_smtp_result_free(&res);
	assert_int_equal(commits, 3);
}

static int group_commits;
static size_t group_sizes;

static int
count_group(void *arg, struct dun_smtp_job **jobs, size_t n)
{
	size_t i;

	(void)arg;
	group_commits++;
	group_sizes += n;
	/* Nothing of the round may have ended yet. */
	for (i = 0; i < n; i++)
		assert_int_equal(jobs[i]->res.data_ended, 0);
	return 0;
}

static int
refuse_group(void *arg, struct dun_smtp_job **jobs, size_t n)
{
	(void)arg;
	(void)jobs;
	group_commits++;
	group_sizes += n;
	return dun_error_set(DUN_ESTORE, "disk full (test)");
}

/* Three messages on three connections: the one whose only recipient is
 * refused ends early; the other two wait at their ends of data for one
 * commit, then are accepted. When that commit fails, no end of data goes
 * out at all. */
static void
test_smtp__group_commit(void **state)
{
	struct fake_server fs;
	struct dun_server srv;
	struct dun_smtp *conns[3];
	struct dun_smtp_group *g;
	struct dun_smtp_job jobs[3];
	char *good[] = { "a@buyer.test" }, *bad[] = { "bad@buyer.test" };
	size_t i;

	(void)state;
	fake_start_mode(&fs, SERVE_OK, 1);
	srv = plain_server(fs.port);
	for (i = 0; i < 3; i++)
		assert_int_equal(dun_smtp_open(&conns[i], &srv, "vendor.test"),
		    0);
	assert_int_equal(dun_smtp_group_new(&g), 0);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 3; i++) {
		jobs[i].smtp = conns[i];
		jobs[i].from = "ar@vendor.test";
		jobs[i].rcpts = i == 1 ? bad : good;
		jobs[i].nrcpts = 1;
		jobs[i].data = message;
		jobs[i].len = strlen(message);
	}
	group_commits = 0;
	group_sizes = 0;
	assert_int_equal(dun_smtp_send_group(g, jobs, 3, count_group, NULL),
	    0);
	assert_int_equal(group_commits, 1);
	assert_int_equal(group_sizes, 2);
	for (i = 0; i < 3; i += 2) {
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].res.code, 250);
		assert_int_equal(jobs[i].res.data_ended, 1);
		assert_non_null(strstr(jobs[i].res.reply, "queued as FAKE"));
		dun_smtp_result_free(&jobs[i].res);
	}
	assert_true(jobs[1].rc < 0);
	assert_int_equal(jobs[1].res.data_ended, 0);
	assert_int_equal(jobs[1].res.rcpts[0].code, 550);
	dun_smtp_result_free(&jobs[1].res);

	/* The same connections again; the store refuses the round. */
	for (i = 0; i < 3; i++)
		jobs[i].rcpts = good;
	group_commits = 0;
	group_sizes = 0;
	assert_int_equal(dun_smtp_send_group(g, jobs, 3, refuse_group, NULL),
	    0);
	assert_int_equal(group_commits, 1);
	assert_int_equal(group_sizes, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(jobs[i].rc, DUN_ESTORE);
		assert_int_equal(jobs[i].res.data_ended, 0);
		assert_int_equal(jobs[i].res.code, 0);
		assert_non_null(strstr(jobs[i].error, "disk full"));
		dun_smtp_result_free(&jobs[i].res);
	}
	for (i = 0; i < 3; i++)
		dun_smtp_close(conns[i]);
	dun_smtp_group_free(g);
	assert_true(fake_stop(&fs) >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp__reply_class),
		cmocka_unit_test(test_smtp__classify),
		cmocka_unit_test(test_smtp__per_recipient_results),
		cmocka_unit_test(test_smtp__lost_after_end_of_data),
		cmocka_unit_test(test_smtp__mute_after_end_of_data),
		cmocka_unit_test(test_smtp__nonsense),
		cmocka_unit_test(test_smtp__refuses_header_injection),
		cmocka_unit_test(test_smtp__group_commit),
		cmocka_unit_test(test_smtp__no_starttls_hint),
		cmocka_unit_test(test_smtp__sandbox_tls),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
