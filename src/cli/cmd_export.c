/* dunmail export INVOICE DIR: a bundle someone outside the company can
 * check: every message as .eml, a readable timeline, every event of the
 * case with its hash fields, the chain around them (hashes only), a
 * checker, and SHA256SUMS over all of it. Built from hashed data only:
 * the case's events and the stored bytes they name, never the editable
 * tables; the checker writes timeline.md again from them. The files are
 * created with O_EXCL|O_NOFOLLOW through descriptors of a directory it
 * made, or of an empty one of the user's: nothing planted there is
 * followed or overwritten. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "export_checker.h"
#include "dunmail/core/json.h"
#include "dunmail/store/store.h"
#include "dunmail/store/trail.h"

/* A message of the bundle, as the case's events tell it. */
struct export_msg {
	char sha256[65];
	char *name;         /* owned; "NNN-dir-what.eml" under messages/ */
	dun_time_t at;      /* received, planned or sent */
	char dir[4];        /* "in", "out" or "" */
	char *what;         /* owned; its class, stage or kind */
	char *about;        /* owned; its subject, or who sent it */
	char *result;       /* owned; the SMTP reply, where it was filed */
};

struct export_ctx {
	struct dun_store *store;           /* borrowed */
	const char *dir;                   /* borrowed; as given */
	int dirfd, msgfd;                  /* the bundle and messages/ */
	const char *tz;                    /* the debtor's zone, or UTC */
	struct dun_event *evs;             /* owned; the case's trail */
	size_t nevs;
	struct export_msg *msgs;           /* owned */
	size_t nmsgs;
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

static struct export_msg *
msg_of(const struct export_ctx *x, const char *sha256)
{
	size_t i;

	for (i = 0; sha256 && *sha256 && i < x->nmsgs; i++)
		if (strcmp(x->msgs[i].sha256, sha256) == 0)
			return &x->msgs[i];
	return NULL;
}

/*
 * The bundle's directory: made here, or one that is there, empty and the
 * user's. Opened without following a symbolic link, as is messages/,
 * which is made here; every file is then created through them.
 */
static int
bundle_open(struct export_ctx *x, const char *dir)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, created, empty = 1;

	created = mkdir(dir, 0700) == 0;
	if (!created && errno != EEXIST)
		return dun_error_set_errno(DUN_EIO, "cannot create %s", dir);
	x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x->dirfd < 0)
		return dun_error_set_errno(DUN_EIO, "%s: cannot open it as a "
		    "directory (a symbolic link is not followed): export into "
		    "a new or empty directory of yours", dir);
	if (!created) {
		if (fstat(x->dirfd, &st) < 0)
			return dun_error_set_errno(DUN_EIO, "%s", dir);
		if (st.st_uid != geteuid())
			return dun_error_set(DUN_EEXISTS, "%s is not yours "
			    "(owner uid %ld): export into a new or empty "
			    "directory of yours", dir, (long)st.st_uid);
		if ((fd = dup(x->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			return dun_error_set_errno(DUN_EIO, "%s", dir);
		}
		while (empty && (de = readdir(d)) != NULL)
			empty = strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0;
		closedir(d);
		if (!empty)
			return dun_error_set(DUN_EEXISTS, "%s is not empty: "
			    "export into a new or empty directory", dir);
	}
	if (mkdirat(x->dirfd, "messages", 0700) < 0)
		return dun_error_set_errno(DUN_EEXISTS, "%s/messages (export "
		    "into a new or empty directory)", dir);
	x->msgfd = openat(x->dirfd, "messages", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (x->msgfd < 0)
		return dun_error_set_errno(DUN_EIO, "%s/messages", dir);
	return 0;
}

/* Creates name (under messages/ if in_messages) with data: a new file,
 * never one that is there, never through a symbolic link. */
static int
write_file(struct export_ctx *x, int in_messages, const char *name,
    const void *data, size_t len)
{
	const char *where = in_messages ? "messages/" : "";
	char sha[DUN_SHA256_HEX];
	const char *p = data;
	size_t done = 0;
	int fd;

	fd = openat(in_messages ? x->msgfd : x->dirfd, name, O_WRONLY |
	    O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return dun_error_set_errno(DUN_EIO, "cannot create %s/%s%s%s",
		    x->dir, where, name, errno == EEXIST ? " (something is "
		    "there already: export into a new or empty directory)" :
		    "");
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return dun_error_set_errno(DUN_EIO, "write %s/%s%s",
			    x->dir, where, name);
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		return dun_error_set_errno(DUN_EIO, "write %s/%s%s", x->dir,
		    where, name);
	dun_sha256_hex(sha, data, len);
	dun_buf_printf(&x->sums, "%s  %s%s\n", sha, where, name);
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

/* The same, as two cells of a table: UTC | local. */
static void
put_time_cells(struct dun_buf *b, dun_time_t t, const char *tz)
{
	char utc[21], local[80];

	dun_time_format_utc(utc, t);
	utc[10] = ' ';
	utc[19] = '\0';
	dun_time_format_local(local, sizeof(local), t, tz);
	dun_buf_printf(b, "%s | %s", utc, local);
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
	put_field(b, x, ev, ". Reply from: ", "$.contact", "");
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
	const struct export_msg *m = msg_of(x, ev->message_sha256);

	dun_buf_puts(b, "- ");
	put_time(b, ev->at, x->tz);
	dun_buf_printf(b, " \xc2\xb7 #%lld \xc2\xb7 ", (long long)ev->seq);
	describe(b, x, ev);
	if (m)
		dun_buf_printf(b, " [%s](messages/%s)", m->name, m->name);
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

static void
set_text(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* The messages the case's events name, in the order they first do, and
 * what those events say of each (verify.py reads them the same way). */
static void
gather_messages(struct export_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nevs; i++) {
		const struct dun_event *ev = &x->evs[i];
		const char *k = ev->kind;
		struct export_msg *m;

		if (*ev->message_sha256 == '\0')
			continue;
		if ((m = msg_of(x, ev->message_sha256)) == NULL) {
			x->msgs = xreallocarray(x->msgs, x->nmsgs + 1,
			    sizeof(*x->msgs));
			m = &x->msgs[x->nmsgs++];
			memset(m, 0, sizeof(*m));
			snprintf(m->sha256, sizeof(m->sha256), "%s",
			    ev->message_sha256);
			m->at = ev->at;
			m->what = xstrdup("");
			m->about = xstrdup("");
			m->result = xstrdup("");
		}
		if (strcmp(k, "received") == 0) {
			snprintf(m->dir, sizeof(m->dir), "in");
			m->at = ev->at;
			set_text(&m->result, xstrdup("received"));
		} else if (strcmp(k, "classified") == 0) {
			char *from = field(x, ev, "$.from", NULL);

			snprintf(m->dir, sizeof(m->dir), "in");
			set_text(&m->what, field(x, ev, "$.class", NULL));
			set_text(&m->about, *from ? xasprintf("from %s", from) :
			    xstrdup(""));
			free(from);
		} else if (strcmp(k, "filed") == 0) {
			char *folder = field(x, ev, "$.folder", NULL);

			set_text(&m->result, xasprintf("filed in %s", folder));
			free(folder);
		} else if (strcmp(k, "planned") == 0) {
			char *stage = field(x, ev, "$.stage", NULL);

			snprintf(m->dir, sizeof(m->dir), "out");
			m->at = ev->at;
			set_text(&m->result, xstrdup("planned"));
			set_text(&m->what, *stage ? stage :
			    field(x, ev, "$.kind", NULL));
			if (*stage == '\0')
				free(stage);
			set_text(&m->about, field(x, ev, "$.subject", NULL));
		} else if (strcmp(k, "sent") == 0) {
			char *reply = field(x, ev, "$.result.smtp_reply", NULL);

			m->at = ev->at;
			set_text(&m->result, *reply ? reply : xstrdup("sent"));
			if (*reply == '\0')
				free(reply);
		} else if (strncmp(k, "send_", 5) == 0)
			set_text(&m->result, xstrdup(k));
	}
}

/* Each message's stored bytes, named by its place, direction and what
 * it is (letters, digits, - and _ only). */
static int
export_messages(struct export_ctx *x)
{
	size_t i, j;
	int rc;

	for (i = 0; i < x->nmsgs; i++) {
		struct export_msg *m = &x->msgs[i];
		char what[41];
		char *data = NULL;
		size_t len;

		snprintf(what, sizeof(what), "%s", *m->what ? m->what :
		    "message");
		for (j = 0; what[j]; j++)
			if (!(what[j] == '-' || what[j] == '_' ||
			    (what[j] >= 'a' && what[j] <= 'z') ||
			    (what[j] >= 'A' && what[j] <= 'Z') ||
			    (what[j] >= '0' && what[j] <= '9')))
				what[j] = '_';
		m->name = xasprintf("%03zu-%s-%s.eml", i + 1, *m->dir ?
		    m->dir : "msg", what);
		if ((rc = dun_trail_get_blob(x->store, &data, &len,
		    m->sha256)) < 0 ||
		    (rc = write_file(x, 1, m->name, data, len)) < 0) {
			free(data);
			return rc;
		}
		free(data);
	}
	return 0;
}

/* The case's own row of table in an event's state_rows (its debtor's,
 * its own), the last one there; index into *at, or -1. */
static int
state_row(struct export_ctx *x, const struct dun_event *ev, const char *table,
    int64_t key)
{
	char path[64], want[24];
	int i, found = -1;

	snprintf(want, sizeof(want), "%lld", (long long)key);
	for (i = 0;; i++) {
		char *t, *k, *row;

		snprintf(path, sizeof(path), "$.state_rows[%d].t", i);
		if (*(t = field(x, ev, path, NULL)) == '\0') {
			free(t);
			break;
		}
		snprintf(path, sizeof(path), "$.state_rows[%d].k", i);
		k = field(x, ev, path, NULL);
		snprintf(path, sizeof(path), "$.state_rows[%d].row", i);
		row = field(x, ev, path, NULL);
		if (strcmp(t, table) == 0 && strcmp(k, want) == 0 && *row)
			found = i;
		free(t);
		free(k);
		free(row);
	}
	return found;
}

/* What the case's events say of the invoice: its number, the debtor as
 * its row last stood in them, amounts, due date and state. */
struct export_head {
	char *invoice, *debtor_name, *debtor_ref, *tz; /* owned */
	char *amount, *open, *due, *state;             /* owned */
};

static void
head_read(struct export_head *h, struct export_ctx *x)
{
	char path[64];
	size_t i;
	int r;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < x->nevs; i++) {
		const struct dun_event *ev = &x->evs[i];
		char *v = field(x, ev, "$.invoice", NULL);
		char *to, *reason;

		if (*v)
			set_text(&h->invoice, v);
		else
			free(v);
		if ((r = state_row(x, ev, "debtor", ev->debtor_id)) >= 0) {
			snprintf(path, sizeof(path), "$.state_rows[%d].row.name",
			    r);
			set_text(&h->debtor_name, field(x, ev, path, NULL));
			snprintf(path, sizeof(path), "$.state_rows[%d].row.ref",
			    r);
			set_text(&h->debtor_ref, field(x, ev, path, NULL));
			snprintf(path, sizeof(path),
			    "$.state_rows[%d].row.timezone", r);
			set_text(&h->tz, field(x, ev, path, NULL));
		}
		if (strcmp(ev->kind, "imported") == 0 ||
		    strcmp(ev->kind, "ledger_update") == 0) {
			char *cur = field(x, ev, "$.currency", NULL);
			char *amount = field(x, ev, "$.amount", NULL);
			char *open = field(x, ev, "$.open_amount", NULL);

			set_text(&h->amount, xasprintf("%s %s", cur, amount));
			set_text(&h->open, xasprintf("%s %s", cur, open));
			set_text(&h->due, field(x, ev, "$.due_date", NULL));
			free(cur);
			free(amount);
			free(open);
		} else if (strcmp(ev->kind, "payment") == 0) {
			char *cur = field(x, ev, "$.currency", NULL);
			char *open = field(x, ev, "$.open_after", NULL);

			set_text(&h->open, xasprintf("%s %s", cur, open));
			free(cur);
			free(open);
		}
		to = field(x, ev, "$.to", NULL);
		reason = field(x, ev, "$.reason", NULL);
		if (*to && *reason)
			set_text(&h->state, to);
		else
			free(to);
		free(reason);
	}
}

static void
head_clear(struct export_head *h)
{
	free(h->invoice);
	free(h->debtor_name);
	free(h->debtor_ref);
	free(h->tz);
	free(h->amount);
	free(h->open);
	free(h->due);
	free(h->state);
}

/* timeline.md: the invoice, its messages, then its trail in words; all
 * of it from the events and the messages they name (verify.py writes it
 * again the same way and compares). */
static void
timeline_write(struct dun_buf *b, struct export_ctx *x,
    const struct export_head *h)
{
	static const char none[] = "(not in the events of the case)";
	const struct {
		const char *label, *value, *end;
	} facts[] = {
		{ "Due", h->due, "  \n" },
		{ "Amount", h->amount, "  \n" },
		{ "Open", h->open, "  \n" },
		{ "State", h->state, "\n" },
	};
	size_t i;

	dun_buf_puts(b, "# Invoice ");
	md_text(b, h->invoice ? h->invoice : "(unknown)");
	dun_buf_puts(b, "\n\nDebtor: ");
	if (h->debtor_ref) {
		md_text(b, h->debtor_name);
		dun_buf_puts(b, " (");
		md_text(b, h->debtor_ref);
		dun_buf_puts(b, ")");
	} else
		dun_buf_puts(b, none);
	dun_buf_printf(b, ", time zone %s  \n", x->tz);
	for (i = 0; i < DUN_ARRAY_SIZE(facts); i++) {
		dun_buf_printf(b, "%s: ", facts[i].label);
		md_text(b, facts[i].value && *facts[i].value ?
		    facts[i].value : none);
		dun_buf_puts(b, facts[i].end);
	}
	dun_buf_printf(b, "\n## Messages\n\n| time (UTC) | time (%s) | "
	    "direction | what | subject or sender | result | file |\n"
	    "| --- | --- | --- | --- | --- | --- | --- |\n", x->tz);
	for (i = 0; i < x->nmsgs; i++) {
		const struct export_msg *m = &x->msgs[i];

		dun_buf_puts(b, "| ");
		put_time_cells(b, m->at, x->tz);
		dun_buf_printf(b, " | %s | ", *m->dir ? m->dir : "?");
		md_text(b, *m->what ? m->what : "message");
		dun_buf_puts(b, " | ");
		md_text(b, m->about);
		dun_buf_puts(b, " | ");
		md_text(b, m->result);
		dun_buf_printf(b, " | [%s](messages/%s) |\n", m->name,
		    m->name);
	}
	dun_buf_printf(b, "\n## What happened\n\nEach line is one "
	    "event of the trail (#N is its place in it; events.jsonl holds "
	    "each with its hashes): the time in UTC and in the debtor's "
	    "zone, what happened, and the message it is about.\n\n");
	for (i = 0; i < x->nevs; i++)
		timeline_event(b, x, &x->evs[i]);
}

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
	for (i = 0; i < x->nmsgs; i++) {
		free(x->msgs[i].name);
		free(x->msgs[i].what);
		free(x->msgs[i].about);
		free(x->msgs[i].result);
	}
	free(x->msgs);
	dun_buf_free(&x->sums);
	if (x->msgfd >= 0)
		close(x->msgfd);
	if (x->dirfd >= 0)
		close(x->dirfd);
}

int
cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct export_ctx x;
	struct export_head head;
	struct chain_ctx chain;
	struct dun_buf timeline = DUN_BUF_INIT, events = DUN_BUF_INIT;
	struct dun_buf readme = DUN_BUF_INIT;
	struct dun_case *c = NULL;
	struct dun_verify_report vr;
	int rc, verified;
	size_t i;

	memset(&x, 0, sizeof(x));
	memset(&head, 0, sizeof(head));
	memset(&chain, 0, sizeof(chain));
	x.dirfd = x.msgfd = -1;
	if (argc != 3)
		return cli_usage("export");
	x.dir = argv[2];
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	x.store = ctx->store;
	chain.x = &x;
	/* The case by its invoice; the rest from its events. */
	if ((rc = dun_store_case_by_invoice(ctx->store, &c, argv[1])) < 0 ||
	    (rc = dun_store_case_trail_foreach(ctx->store, c->id,
	    collect_event, &x)) < 0)
		goto fail;
	head_read(&head, &x);
	x.tz = head.tz && *head.tz ? head.tz : "UTC";
	gather_messages(&x);
	if ((rc = bundle_open(&x, x.dir)) < 0 ||
	    (rc = export_messages(&x)) < 0)
		goto fail;
	timeline_write(&timeline, &x, &head);
	for (i = 0; i < x.nevs; i++)
		events_jsonl(&events, &x.evs[i]);
	if (x.nevs > 0 && (rc = dun_store_event_range_foreach(ctx->store,
	    x.evs[0].seq, x.evs[x.nevs - 1].seq, chain_event, &chain)) < 0)
		goto fail;
	if ((rc = write_file(&x, 0, "timeline.md", timeline.data,
	    timeline.len)) < 0 ||
	    (rc = write_file(&x, 0, "events.jsonl", events.data ?
	    events.data : "", events.len)) < 0 ||
	    (rc = write_file(&x, 0, "chain.jsonl", chain.out.data ?
	    chain.out.data : "", chain.out.len)) < 0 ||
	    (rc = write_file(&x, 0, "verify.py", dun_export_checker,
	    strlen(dun_export_checker))) < 0)
		goto fail;
	verified = dun_trail_verify(ctx->store, &vr) == 0;
	dun_buf_printf(&readme, "Evidence bundle for invoice %s, exported by "
	    "dunmail %s.\n\nThe store's whole trail and the state it "
	    "proves %s when exported (%lld events, %lld stored messages); "
	    "its head was\n\n    head %lld:%s\n\nCompare it with a head "
	    "recorded out of band.\n\n"
	    "  messages/     every message in and out, byte for byte (.eml)\n"
	    "  timeline.md   what happened, in words, with times, from the "
	    "events\n  events.jsonl  the case's events with their hash "
	    "fields\n  chain.jsonl   the trail from the case's first event "
	    "to its last: hashes only\n  verify.py     rechecks all of it "
	    "without dunmail, and writes timeline.md again from the events\n"
	    "\nCheck the files:   sha256sum -c SHA256SUMS\n"
	    "Check the events:  python3 verify.py\n", argv[1],
	    DUN_VERSION, verified ? "verified intact" : "did NOT verify",
	    (long long)vr.events, (long long)vr.blobs,
	    (long long)vr.head_seq, vr.head_hash);
	if ((rc = write_file(&x, 0, "README.txt", readme.data,
	    readme.len)) < 0)
		goto fail;
	{
		/* Not listed in itself. */
		struct dun_buf sums = x.sums;

		memset(&x.sums, 0, sizeof(x.sums));
		rc = write_file(&x, 0, "SHA256SUMS", sums.data ? sums.data : "",
		    sums.len);
		dun_buf_free(&sums);
		if (rc < 0)
			goto fail;
	}
	if (fsync(x.msgfd) < 0 || fsync(x.dirfd) < 0) {
		rc = dun_error_set_errno(DUN_EIO, "sync %s", x.dir);
		goto fail;
	}
	printf("exported %s to %s: %zu messages, %zu events, timeline.md, "
	    "events.jsonl, chain.jsonl, SHA256SUMS\n", argv[1], x.dir,
	    x.nmsgs, x.nevs);
	rc = 0;
	goto done;
fail:
	rc = cli_fail(rc);
done:
	head_clear(&head);
	export_clear(&x);
	dun_buf_free(&chain.out);
	dun_buf_free(&timeline);
	dun_buf_free(&events);
	dun_buf_free(&readme);
	dun_case_free(c);
	return rc;
}
