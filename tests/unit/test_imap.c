/*
 * IMAP client against a scripted server on loopback (a forked child) that
 * answers nonsense: a greeting that is not IMAP, a BYE greeting, silence,
 * a tagged answer for the wrong tag, and a FETCH literal announced longer
 * than what comes before the server closes (libetpan would spin on it for
 * ever). Each must end promptly in an error that names the server, says
 * what it did, and leaves nothing half done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dunmail/config/config.h"
#include "dunmail/core/common.h"
#include "dunmail/mail/imap.h"

enum imap_mode {
	IMAP_NOT_IMAP,       /* greets with something else */
	IMAP_BYE,            /* "* BYE" greeting */
	IMAP_SILENT,         /* says nothing at all */
	IMAP_WRONG_TAG,      /* answers CAPABILITY for another tag */
	IMAP_LITERAL_SHORT,  /* FETCH literal {99999999}, then closes */
};

struct fake_imap {
	pid_t pid;
	int port;
};

static void
say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(2);
}

static const char body[] = "From: a@buyer.test\r\nSubject: hi\r\n\r\nhello\r\n";

static void
serve(int fd, enum imap_mode mode)
{
	char buf[4096], line[1024], tag[64], verb[64], out[512];
	size_t ll = 0;
	ssize_t n, i;

	if (mode == IMAP_SILENT) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		return;
	}
	say(fd, mode == IMAP_NOT_IMAP ? "HELLO I AM NOT IMAP\r\n" :
	    mode == IMAP_BYE ? "* BYE not today\r\n" : "* OK fake ready\r\n");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (ll + 1 < sizeof(line))
				line[ll++] = buf[i];
			if (buf[i] != '\n')
				continue;
			line[ll] = '\0';
			ll = 0;
			tag[0] = verb[0] = '\0';
			if (sscanf(line, "%63s %63s", tag, verb) < 2)
				continue;
			if (!strcasecmp(verb, "CAPABILITY") &&
			    mode == IMAP_WRONG_TAG) {
				snprintf(out, sizeof(out), "* CAPABILITY "
				    "IMAP4rev1\r\nX%s OK done\r\n", tag);
				say(fd, out);
			} else if (!strcasecmp(verb, "CAPABILITY")) {
				snprintf(out, sizeof(out), "* CAPABILITY "
				    "IMAP4rev1 UIDPLUS\r\n%s OK done\r\n", tag);
				say(fd, out);
			} else if (!strcasecmp(verb, "SELECT")) {
				snprintf(out, sizeof(out), "* 1 EXISTS\r\n"
				    "* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] "
				    "n\r\n%s OK [READ-WRITE] done\r\n", tag);
				say(fd, out);
			} else if (!strcasecmp(verb, "UID")) {
				/* The fetch of the body: 99999999 bytes
				 * announced, a few sent, then the end. */
				snprintf(out, sizeof(out), "* 1 FETCH (UID 1 "
				    "RFC822.SIZE %zu BODY[] {99999999}\r\n",
				    strlen(body));
				say(fd, out);
				say(fd, body);
				return;
			} else if (!strcasecmp(verb, "LOGOUT")) {
				snprintf(out, sizeof(out), "* BYE\r\n%s OK "
				    "bye\r\n", tag);
				say(fd, out);
				return;
			} else {
				snprintf(out, sizeof(out), "%s OK done\r\n",
				    tag);
				say(fd, out);
			}
		}
	}
}

static void
fake_start(struct fake_imap *fs, enum imap_mode mode)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	int lfd, fd, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &slen), 0);
	fs->port = ntohs(sa.sin_port);
	fs->pid = fork();
	assert_true(fs->pid >= 0);
	if (fs->pid == 0) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		serve(fd, mode);
		close(fd);
		_exit(0);
	}
	close(lfd);
}

static void
fake_stop(struct fake_imap *fs)
{
	kill(fs->pid, SIGTERM);
	waitpid(fs->pid, NULL, 0);
}

static void
config_for(struct dun_config *cfg, int port, int timeout_s)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->imap.host = "127.0.0.1";
	cfg->imap.port = port;
	cfg->imap.tls = DUN_TLS_NONE;
	cfg->imap.tls_name = "127.0.0.1";
	cfg->imap.ca_file = "";
	cfg->imap.pin_sha256 = "";
	cfg->imap.user = "ar@vendor.test";
	cfg->imap.secret.command = "";
	cfg->imap.secret.env = "DUNMAIL_TEST_IMAP_PASSWORD";
	cfg->imap.allow_plaintext = 1;
	cfg->imap.timeout_s = timeout_s;
	setenv("DUNMAIL_TEST_IMAP_PASSWORD", "pw", 1);
}

/* Connecting to a server that greets wrongly, or not at all: an error
 * naming the server and what it said, without waiting out a LOGOUT. */
static void
test_imap__bad_greetings(void **state)
{
	static const struct {
		enum imap_mode mode;
		const char *want;
	} rows[] = {
		{ IMAP_NOT_IMAP, "greeted with \"HELLO I AM NOT IMAP\", which "
		  "is not IMAP; check that [imap] host and port" },
		{ IMAP_BYE, "refused the session in its greeting: \"* BYE not "
		  "today\"" },
		{ IMAP_SILENT, "said nothing for 1 s after connecting" },
		{ IMAP_WRONG_TAG, "answered CAPABILITY with \"X1 OK done\", "
		  "which is not an IMAP response" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		struct fake_imap fs;
		struct dun_config cfg;
		struct dun_imap *imap = NULL;
		char where[64];
		time_t t0;

		fake_start(&fs, rows[i].mode);
		config_for(&cfg, fs.port, 1);
		snprintf(where, sizeof(where), "127.0.0.1:%d", fs.port);
		t0 = time(NULL);
		assert_int_equal(dun_imap_connect(&imap, &cfg), DUN_ENET);
		assert_null(imap);
		/* One time-out at most, never two (no LOGOUT on a broken
		 * stream). */
		assert_true(time(NULL) - t0 <= 2);
		assert_int_equal(dun_error_retry(), DUN_RETRY_TEMP);
		assert_non_null(strstr(dun_error_last(), where));
		if (strstr(dun_error_last(), rows[i].want) == NULL)
			fail_msg("row %zu: %s", i, dun_error_last());
		fake_stop(&fs);
	}
}

static int fetched;

static int
count_fetched(const struct dun_imap_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	fetched++;
	return 0;
}

static void
on_alarm(int sig)
{
	(void)sig;
	/* libetpan is spinning on the end of file: the regression. */
	_exit(3);
}

/* A literal announced longer than what comes before the connection
 * closes: an error at once (libetpan alone loops for ever on it), and
 * nothing handed to the caller. */
static void
test_imap__literal_cut_short(void **state)
{
	struct fake_imap fs;
	struct dun_config cfg;
	struct dun_imap *imap = NULL;
	struct dun_imap_uid uid = { 1, sizeof(body) - 1 };
	uint32_t v, next;

	(void)state;
	fake_start(&fs, IMAP_LITERAL_SHORT);
	config_for(&cfg, fs.port, 5);
	assert_int_equal(dun_imap_connect(&imap, &cfg), 0);
	assert_int_equal(dun_imap_select(imap, "INBOX", &v, &next), 0);
	assert_int_equal(v, 7);
	signal(SIGALRM, on_alarm);
	alarm(20);
	fetched = 0;
	assert_int_equal(dun_imap_fetch(imap, &uid, 1, 0, count_fetched,
	    NULL), DUN_ENET);
	alarm(0);
	assert_int_equal(fetched, 0);
	assert_non_null(strstr(dun_error_last(), "closed the connection in "
	    "the middle of its answer to UID FETCH"));
	assert_non_null(strstr(dun_error_last(), "{99999999}"));
	dun_imap_close(imap);
	fake_stop(&fs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap__bad_greetings),
		cmocka_unit_test(test_imap__literal_cut_short),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
