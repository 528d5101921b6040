/* dunmail export INVOICE DIR: a bundle someone outside the company can
 * check: every message as .eml, a readable timeline, every event of the
 * case with its hash fields, a checker, and SHA256SUMS over all of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/json.h"
#include "dunmail/money.h"
#include "dunmail/store.h"
#include "dunmail/trail.h"

struct export_ctx {
	struct dun_buf events;   /* events.jsonl */
	struct dun_buf timeline; /* timeline.md */
	const char *tz;
};

static int
export_event(const struct dun_event *ev, void *arg)
{
	struct export_ctx *x = arg;
	char at[64];

	dun_json_open(&x->events);
	dun_json_int(&x->events, "seq", ev->seq);
	dun_json_int(&x->events, "at", ev->at);
	dun_json_str(&x->events, "kind", ev->kind);
	dun_json_int(&x->events, "case_id", ev->case_id);
	dun_json_int(&x->events, "debtor_id", ev->debtor_id);
	dun_json_int(&x->events, "message_id", ev->message_id);
	dun_json_str(&x->events, "message_sha256", ev->message_sha256);
	dun_json_str(&x->events, "detail", ev->detail);
	dun_json_str(&x->events, "prev_hash", ev->prev_hash);
	dun_json_str(&x->events, "hash", ev->hash);
	dun_json_close(&x->events);
	dun_buf_puts(&x->events, "\n");
	dun_time_format_local(at, sizeof(at), ev->at, x->tz);
	dun_buf_printf(&x->timeline, "| %s | #%lld %s | `%s` |\n", at,
	    (long long)ev->seq, ev->kind, ev->detail);
	return 0;
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

static const char checker[] =
"#!/usr/bin/env python3\n"
"# Checks this bundle without dunmail: every event's hash is recomputed\n"
"# from its fields, and every message file must have the SHA-256 the\n"
"# trail recorded for it. (SHA256SUMS: `sha256sum -c SHA256SUMS`.)\n"
"import hashlib, json, os, sys\n"
"here = os.path.dirname(os.path.abspath(__file__))\n"
"bad = 0\n"
"files = {}\n"
"for name in os.listdir(os.path.join(here, 'messages')):\n"
"    data = open(os.path.join(here, 'messages', name), 'rb').read()\n"
"    files[hashlib.sha256(data).hexdigest()] = name\n"
"for line in open(os.path.join(here, 'events.jsonl'), encoding='utf-8'):\n"
"    e = json.loads(line)\n"
"    canon = 'dunmail-event-v1\\n%d\\n%d\\n%s\\n%d\\n%d\\n%d\\n%s\\n%s\\n%s' % (\n"
"        e['seq'], e['at'], e['kind'], e['case_id'], e['debtor_id'],\n"
"        e['message_id'], e['message_sha256'], e['detail'], e['prev_hash'])\n"
"    if hashlib.sha256(canon.encode('utf-8')).hexdigest() != e['hash']:\n"
"        print('event %d: hash does not match its fields' % e['seq']); bad += 1\n"
"    if e['message_sha256'] and e['message_sha256'] not in files:\n"
"        print('event %d: message %s missing or altered' % (e['seq'], e['message_sha256'])); bad += 1\n"
"print('bundle %s' % ('FAILED' if bad else 'ok'))\n"
"sys.exit(1 if bad else 0)\n";

int
cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct export_ctx x;
	struct dun_buf sums = DUN_BUF_INIT, readme = DUN_BUF_INIT;
	struct dun_case *c = NULL;
	struct dun_invoice *inv = NULL;
	struct dun_debtor *d = NULL;
	struct dun_case_messages msgs = { 0 };
	struct dun_verify_report vr;
	const char *dir;
	char *msgdir = NULL, amount[48], open[48], due[11];
	int rc;
	size_t i;

	memset(&x, 0, sizeof(x));
	if (argc != 3)
		return cli_usage("export");
	dir = argv[2];
	if ((rc = cli_store(ctx)) != 0)
		return rc;
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
	x.tz = d->timezone;
	dun_money_format(amount, sizeof(amount), inv->amount_minor,
	    inv->currency, "en");
	dun_money_format(open, sizeof(open), inv->open_minor, inv->currency,
	    "en");
	dun_date_format(due, inv->due_date);
	dun_buf_printf(&x.timeline, "# Invoice %s\n\nDebtor: %s (%s)  \n"
	    "Due: %s  \nAmount: %s  \nOpen: %s  \nState: %s\n\n"
	    "## Messages\n\n| time (%s) | direction | what | subject | "
	    "result | file |\n| --- | --- | --- | --- | --- | --- |\n",
	    inv->number, d->name, d->ref, due, amount, open,
	    dun_case_state_name(c->state), d->timezone);
	if ((rc = dun_store_case_messages(ctx->store, &msgs, c->id)) < 0)
		goto fail;
	for (i = 0; i < msgs.count; i++) {
		struct dun_case_message *m = &msgs.items[i];
		char *data = NULL, *name, at[64];
		size_t len;

		if (*m->sha256 == '\0')
			continue; /* planned, never composed */
		if ((rc = dun_trail_get_blob(ctx->store, &data, &len,
		    m->sha256)) < 0)
			goto fail;
		name = xasprintf("messages/%03zu-%s-%s.eml", i + 1,
		    m->direction, *m->cls ? m->cls : m->kind);
		rc = write_file(dir, name, data, len, &sums);
		free(data);
		dun_time_format_local(at, sizeof(at), m->at, d->timezone);
		dun_buf_printf(&x.timeline, "| %s | %s | %s | %s | %s | %s |\n",
		    at, m->direction, *m->cls ? m->cls : m->kind, m->subject,
		    *m->smtp_reply ? m->smtp_reply : m->outbox_state, name);
		free(name);
		if (rc < 0)
			goto fail;
	}
	dun_buf_printf(&x.timeline, "\n## Trail\n\nEach event's hash covers "
	    "the previous hash, its fields and the SHA-256 of its message.\n\n"
	    "| time (%s) | event | detail |\n| --- | --- | --- |\n",
	    d->timezone);
	if ((rc = dun_store_event_foreach(ctx->store, c->id, export_event,
	    &x)) < 0)
		goto fail;
	if ((rc = write_file(dir, "timeline.md", x.timeline.data,
	    x.timeline.len, &sums)) < 0 ||
	    (rc = write_file(dir, "events.jsonl", x.events.data ?
	    x.events.data : "", x.events.len, &sums)) < 0 ||
	    (rc = write_file(dir, "verify.py", checker, strlen(checker),
	    &sums)) < 0)
		goto fail;
	rc = dun_trail_verify(ctx->store, &vr);
	dun_buf_printf(&readme, "Evidence bundle for invoice %s, exported by "
	    "dunmail %s.\n\nThe store's whole trail %s when exported (%lld "
	    "events, %lld stored messages).\n\nCheck the files:   sha256sum "
	    "-c SHA256SUMS\nCheck the events:  python3 verify.py\n",
	    inv->number, DUN_VERSION, rc == 0 ? "verified intact" :
	    "did NOT verify", (long long)vr.events, (long long)vr.blobs);
	if ((rc = write_file(dir, "README.txt", readme.data, readme.len,
	    &sums)) < 0)
		goto fail;
	{
		char *path = xasprintf("%s/SHA256SUMS", dir);
		rc = dun_file_write_atomic(path, sums.data, sums.len, 0600);
		free(path);
		if (rc < 0)
			goto fail;
	}
	printf("exported %s to %s: %zu messages, timeline.md, events.jsonl, "
	    "SHA256SUMS\n", inv->number, dir, msgs.count);
	rc = 0;
	goto done;
fail:
	rc = cli_fail(rc);
done:
	dun_case_messages_free(&msgs);
	dun_buf_free(&x.events);
	dun_buf_free(&x.timeline);
	dun_buf_free(&sums);
	dun_buf_free(&readme);
	free(msgdir);
	dun_case_free(c);
	dun_invoice_free(inv);
	dun_debtor_free(d);
	return rc;
}
