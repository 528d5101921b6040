/*
 * dunmail deliver: one message on stdin, from an MTA (Postfix pipe,
 * procmail, sieve's pipe, formail -s), stored and processed as poll would.
 * Exit codes follow the MTA convention: 0 taken (a duplicate too), 75
 * (EX_TEMPFAIL) when anything may work on a retry, so nothing is lost;
 * only a wrong command line is 64.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/agent/inbound.h"
#include "dunmail/agent/workflow.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/imap.h"

/* Kept of a message over the cap: its header, up to this much. */
#define HEADER_CAP (1u << 20)

/* The end of the header block in data (after its blank line), or len. */
static size_t
header_end(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/*
 * Reads stdin to its end. Up to cap bytes are kept in *out; past it only
 * the header is kept, the rest is read and dropped (so the MTA's pipe is
 * drained), *truncated is set and *size counts every byte.
 */
static int
read_stdin(struct dun_buf *out, size_t cap, int64_t *size, int *truncated)
{
	char chunk[65536];
	ssize_t n;

	*size = 0;
	*truncated = 0;
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dun_error_set_errno(DUN_EIO, "reading the message "
			    "on stdin");
		if (n == 0)
			break;
		*size += n;
		if (*truncated)
			continue;
		if (out->len + (size_t)n > cap) {
			size_t h;
			dun_buf_add(out, chunk, cap - out->len);
			h = header_end(out->data, out->len);
			out->len = h < HEADER_CAP ? h : HEADER_CAP;
			*truncated = 1;
			continue;
		}
		dun_buf_add(out, chunk, (size_t)n);
	}
	return 0;
}

/* An mbox "From " line (formail -s, Postfix pipe's F flag) is the
 * envelope, not part of the message: it is dropped. */
static void
drop_mbox_from(struct dun_buf *msg, int64_t *size)
{
	const char *nl;
	size_t n;

	if (msg->len < 5 || memcmp(msg->data, "From ", 5) != 0 ||
	    (nl = memchr(msg->data, '\n', msg->len)) == NULL)
		return;
	n = (size_t)(nl - msg->data) + 1;
	memmove(msg->data, msg->data + n, msg->len - n);
	msg->len -= n;
	*size -= (int64_t)n;
}

int
cmd_deliver(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_inbound_opts io;
	struct dun_inbound_stats st;
	struct dun_inbound *ib = NULL;
	struct dun_buf msg;
	int64_t size, id = 0;
	int ch, rc, json = 0, truncated, duplicate = 0;

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		default: return cli_usage("deliver");
		}
	}
	if (optind != argc)
		return cli_usage("deliver");
	signal(SIGPIPE, SIG_IGN);

	/* The message first: the MTA waits for its pipe to be read. */
	dun_buf_init(&msg, DUN_IMAP_MAX_MESSAGE + 1);
	if ((rc = read_stdin(&msg, DUN_IMAP_MAX_MESSAGE, &size,
	    &truncated)) < 0) {
		fprintf(stderr, "dunmail: %s; not taken, deliver again\n",
		    dun_error_last());
		dun_buf_free(&msg);
		return EX_TEMPFAIL;
	}
	drop_mbox_from(&msg, &size);
	/* A config or store a person must fix: the MTA keeps the message
	 * queued and tries again, so it is not bounced to the debtor. */
	if ((rc = cli_store(ctx)) != 0) {
		fprintf(stderr, "dunmail: deliver: not taken (exit %d); the "
		    "MTA will deliver again\n", rc);
		dun_buf_free(&msg);
		return EX_TEMPFAIL;
	}
	memset(&io, 0, sizeof(io));
	memset(&st, 0, sizeof(st));
	io.now = ctx->now;
	io.on_reply = dun_workflow_on_reply;
	io.no_poll_lock = 1;
	rc = dun_inbound_new(&ib, ctx->store, ctx->cfg, &io);
	if (rc == 0)
		rc = dun_inbound_deliver(ib, &id, &duplicate, msg.data ?
		    msg.data : "", msg.len, size, truncated, &st);
	dun_inbound_free(ib);
	dun_buf_free(&msg);
	if (rc < 0) {
		fprintf(stderr, "dunmail: deliver: %s; not taken, deliver "
		    "again\n", dun_error_last());
		return EX_TEMPFAIL;
	}
	if (json)
		printf("{\"ok\":true,\"message\":%lld,\"duplicate\":%s,"
		    "\"oversized\":%s,\"size\":%lld,\"handoffs\":%lld}\n",
		    (long long)id, duplicate ? "true" : "false",
		    truncated ? "true" : "false", (long long)size,
		    (long long)st.handoffs);
	else
		log_info("deliver: message %lld %s (%lld bytes%s)%s",
		    (long long)id, duplicate ? "seen before: taken once" :
		    "stored and processed", (long long)size, truncated ?
		    ", over the size cap: header only" : "", st.handoffs ?
		    "; handed to a person" : "");
	return 0;
}
