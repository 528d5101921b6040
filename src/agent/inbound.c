/*
 * The inbound pipeline's IMAP side: the handle, sessions and UID state,
 * fetching in chunks and storing the raw bytes, filing into folders
 * (MOVE, or COPY and EXPUNGE), leftovers of earlier runs, the IDLE loop
 * and its reconnect backoff. Processing a stored message is
 * inbound_process.c's. See inbound.h for the order that makes it safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dunmail/agent/inbound.h"
#include "dunmail/core/common.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/mail/imap.h"
#include "dunmail/store/store_inbound.h"
#include "dunmail/store/trail.h"
#include "inbound_internal.h"

/* Fetch at most this many messages, or bytes, per round trip: memory
 * stays flat however large the mailbox. */
#define CHUNK_MESSAGES 200
/* File (MOVE) processed messages in batches of at most this many. */
#define FILE_BATCH 2000
#define CHUNK_BYTES (16u << 20)
/* UIDs listed per round when catching up on a large mailbox. */
#define LIST_WINDOW 2000
#define BACKOFF_MAX_S 300

/* Milliseconds on the monotonic clock: for the stats only, never for a
 * decision (those take `now`). */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
dun_inbound_new(struct dun_inbound **out, struct dun_store *store,
    const struct dun_config *cfg, const struct dun_inbound_opts *opts)
{
	struct dun_inbound *ib;
	struct dun_diags diags = { 0 };
	char *dir, *lock;
	const char *crash;
	int rc;

	*out = NULL;
	ib = xcalloc(1, sizeof(*ib));
	ib->store = store;
	ib->cfg = cfg;
	if (opts)
		ib->opts = *opts;
	if (ib->opts.on_reply == NULL)
		ib->opts.on_reply = dun_inbound_on_reply;
	if (ib->opts.poll_interval_s <= 0)
		ib->opts.poll_interval_s = 60;
	dir = xasprintf("%s/rules", cfg->templates_dir);
	rc = dun_rules_load(&ib->rules, dir, &diags);
	free(dir);
	if (rc < 0) {
		if (diags.count)
			dun_diags_print(&diags);
		dun_diags_free(&diags);
		free(ib);
		return rc;
	}
	dun_diags_free(&diags);
	if (ib->opts.no_poll_lock) {
		/* deliver: it files nothing, so it may run beside a poller. */
		ib->lock_fd = -1;
		goto locked;
	}
	/* One poller per store: two would both file the same messages. */
	lock = xasprintf("%s.poll.lock", dun_store_path(store));
	ib->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ib->lock_fd < 0 || flock(ib->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? dun_error_set(DUN_EEXISTS,
		    "another dunmail poll is running on %s (lock %s); "
		    "nothing done", dun_store_path(store), lock) :
		    dun_error_set_errno(DUN_EIO, "cannot lock %s", lock);
		dun_error_set_retry(DUN_RETRY_TEMP);
		free(lock);
		dun_rules_free(ib->rules);
		if (ib->lock_fd >= 0)
			close(ib->lock_fd);
		free(ib);
		return rc;
	}
	free(lock);
locked:
	if ((crash = getenv("DUNMAIL_TEST_CRASH_AT")) && *crash) {
		const char *colon = strchr(crash, ':');
		ib->crash_at = crash;
		ib->crash_count = colon ? strtol(colon + 1, NULL, 10) : 1;
	}
	srandom((unsigned)getpid() ^ (unsigned)(uintptr_t)ib);
	*out = ib;
	return 0;
}

void
dun_inbound_free(struct dun_inbound *ib)
{
	size_t i;

	if (ib == NULL)
		return;
	dun_imap_close(ib->imap);
	dun_rules_free(ib->rules);
	if (ib->lock_fd >= 0)
		close(ib->lock_fd); /* releases the lock */
	for (i = 0; i < REMINDER_CACHE; i++)
		free(ib->cache[i].text);
	free(ib);
}

/* --- storing fetched messages ------------------------------------------ */

static int
store_raw(struct dun_inbound *ib, int64_t *id_out, int *inserted,
    const char *mailbox, uint32_t uidvalidity, uint32_t uid,
    const char *data, size_t len, int64_t size, int truncated)
{
	struct dun_trail_ref ref;
	struct dun_buf d = DUN_BUF_INIT;
	char sha[65];
	dun_time_t now = inbound__now(ib);
	int rc;

	*inserted = 0;
	if ((rc = dun_store_begin(ib->store)) < 0)
		return rc;
	if ((rc = dun_trail_put_blob(ib->store, sha, data, len, now)) < 0)
		goto fail;
	if (ib->rescan) {
		/* After a UIDVALIDITY change: the same message is known by
		 * its bytes or its Message-ID, not by its UID. */
		char *mid_raw = inbound__raw_header(data, len, "Message-ID");
		char *mid = mid_raw ? inbound__strip_angle(mid_raw) :
		    xstrdup("");
		int64_t old;
		rc = dun_store_inmsg_find_copy(ib->store, &old, mailbox, sha,
		    mid);
		free(mid_raw);
		free(mid);
		if (rc == 0) {
			struct dun_inmsg row;
			if ((rc = dun_store_inmsg_get(ib->store, &row,
			    old)) < 0)
				goto fail;
			if (row.filed_at == 0 && row.uidvalidity !=
			    uidvalidity)
				rc = dun_store_inmsg_rekey(ib->store, old,
				    uidvalidity, uid);
			dun_inmsg_clear(&row);
			*id_out = old;
			if (rc < 0)
				goto fail;
			return dun_store_commit(ib->store);
		}
		if (rc != DUN_ENOTFOUND)
			goto fail;
	}
	if ((rc = dun_store_inmsg_insert(ib->store, id_out, inserted, mailbox,
	    uidvalidity, uid, sha, size, truncated, now)) < 0)
		goto fail;
	if (*inserted) {
		memset(&ref, 0, sizeof(ref));
		ref.message_id = *id_out;
		ref.message_sha256 = sha;
		dun_json_open(&d);
		dun_json_str(&d, "mailbox", mailbox);
		dun_json_int(&d, "uidvalidity", uidvalidity);
		dun_json_int(&d, "uid", uid);
		dun_json_int(&d, "size", size);
		if (truncated)
			dun_json_bool(&d, "header_only", 1);
		dun_json_close(&d);
		rc = dun_trail_append(ib->store, now, "received", &ref, d.data);
		dun_buf_free(&d);
		if (rc < 0)
			goto fail;
	}
	return dun_store_commit(ib->store);
fail:
	dun_store_rollback(ib->store);
	return rc;
}

int
dun_inbound_store_raw(struct dun_inbound *ib, int64_t *id_out,
    const char *mailbox, uint32_t uidvalidity, uint32_t uid,
    const char *data, size_t len)
{
	int inserted;

	return store_raw(ib, id_out, &inserted, mailbox, uidvalidity, uid,
	    data, len, (int64_t)len, 0);
}

/*
 * A message handed over by `dunmail deliver`: stored like a fetched one
 * under DUN_INBOUND_DELIVER_MAILBOX, UIDVALIDITY 1 and the next UID of
 * that mailbox's row (the same transaction takes the number and stores
 * the message), unless the same bytes are stored there already; then it
 * is processed, if no earlier delivery got that far.
 */
int
dun_inbound_deliver(struct dun_inbound *ib, int64_t *id_out, int *duplicate,
    const char *data, size_t len, int64_t size, int truncated,
    struct dun_inbound_stats *st)
{
	const char *mb = DUN_INBOUND_DELIVER_MAILBOX;
	struct dun_inmsg row;
	uint32_t uidvalidity, last;
	char sha[65];
	int64_t id = 0;
	int rc, inserted = 0;

	*id_out = 0;
	*duplicate = 0;
	if ((rc = dun_store_begin(ib->store)) < 0)
		return rc;
	if ((rc = dun_trail_put_blob(ib->store, sha, data, len,
	    inbound__now(ib))) < 0)
		goto fail;
	rc = dun_store_inmsg_find_copy(ib->store, &id, mb, sha, NULL);
	if (rc == 0)
		*duplicate = 1;
	else if (rc == DUN_ENOTFOUND) {
		rc = dun_store_mailbox_get(ib->store, mb, &uidvalidity, &last);
		if (rc == DUN_ENOTFOUND)
			rc = 0, last = 0;
		if (rc == 0 && last == UINT32_MAX)
			rc = dun_error_set(DUN_ESTORE, "%s: no UID left", mb);
		if (rc == 0)
			rc = store_raw(ib, &id, &inserted, mb, 1, last + 1,
			    data, len, size, truncated);
		if (rc == 0)
			rc = dun_store_mailbox_set(ib->store, mb, 1, last + 1,
			    inbound__now(ib));
	}
	if (rc < 0)
		goto fail;
	if ((rc = dun_store_commit(ib->store)) < 0)
		return rc;
	*id_out = id;
	if (st) {
		st->stored += inserted;
		st->duplicates += *duplicate;
		st->oversized += inserted && truncated;
	}
	if ((rc = dun_store_inmsg_get(ib->store, &row, id)) < 0)
		return rc;
	if (!row.processed)
		rc = dun_inbound_process(ib, id, st);
	dun_inmsg_clear(&row);
	return rc;
fail:
	dun_store_rollback(ib->store);
	return rc;
}

/* --- filing ------------------------------------------------------------ */

/* "Dunning/Needs attention" with the server's delimiter. */
static char *
server_folder(struct dun_inbound *ib, const char *folder)
{
	char *f = xstrdup(folder), *p;
	char delim = dun_imap_delimiter(ib->imap);

	for (p = f; *p; p++)
		if (*p == '/')
			*p = delim;
	return f;
}

static int
mark_filed(struct dun_inbound *ib, const struct dun_inmsg *row,
    const char *folder, const char *note)
{
	struct dun_trail_ref ref;
	struct dun_buf d = DUN_BUF_INIT;
	dun_time_t now = inbound__now(ib);
	int rc;

	memset(&ref, 0, sizeof(ref));
	ref.message_id = row->id;
	ref.message_sha256 = row->sha256;
	dun_json_open(&d);
	dun_json_str(&d, "folder", folder);
	dun_json_int(&d, "uid", row->uid);
	if (note)
		dun_json_str(&d, "note", note);
	dun_json_close(&d);
	/* The mark and its event together (a leftover is filed outside any
	 * other transaction): a crash between them would leave a message
	 * filed with no event saying so. */
	if ((rc = dun_store_begin(ib->store)) < 0)
		goto done;
	rc = dun_store_inmsg_set_filed(ib->store, row->id, now);
	if (rc == 0)
		rc = dun_trail_append(ib->store, now, "filed", &ref, d.data);
	else if (rc == DUN_EEXISTS)
		rc = 0; /* recorded already: once is enough */
	if (rc == 0)
		rc = dun_store_commit(ib->store);
	else
		dun_store_rollback(ib->store);
done:
	dun_buf_free(&d);
	return rc;
}

/* Moves processed rows to their folders, one MOVE per folder, then
 * records it. Rows must be processed, unfiled, of the current UIDVALIDITY. */
static int
file_rows(struct dun_inbound *ib, struct dun_inmsg *rows, size_t n,
    struct dun_inbound_stats *st)
{
	uint32_t *uids = xcalloc(n ? n : 1, sizeof(uint32_t));
	char *done = xcalloc(n ? n : 1, 1);
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		char *folder;
		if (done[i])
			continue;
		k = 0;
		for (j = i; j < n; j++)
			if (!done[j] && strcmp(rows[j].folder,
			    rows[i].folder) == 0)
				uids[k++] = rows[j].uid;
		folder = server_folder(ib, rows[i].folder);
		rc = dun_imap_move(ib->imap, uids, k, folder);
		free(folder);
		if (rc < 0)
			break;
		inbound__crash_point(ib, "moved");
		if ((rc = dun_store_begin(ib->store)) < 0)
			break;
		for (j = i; j < n && rc == 0; j++) {
			if (done[j] || strcmp(rows[j].folder, rows[i].folder))
				continue;
			done[j] = 1;
			rc = mark_filed(ib, &rows[j], rows[j].folder, NULL);
			if (rc == 0 && st)
				st->filed++;
		}
		if (rc == 0)
			rc = dun_store_commit(ib->store);
		else
			dun_store_rollback(ib->store);
		if (rc == 0)
			inbound__crash_point(ib, "filed");
	}
	free(uids);
	free(done);
	return rc;
}

/* Files one row left over by an earlier run: it may have been moved
 * already (crash between MOVE and its record), or copied (COPY servers). */
static int
file_leftover(struct dun_inbound *ib, struct dun_inmsg *row,
    struct dun_inbound_stats *st)
{
	char *folder;
	int present, found = 0, rc;

	if ((rc = dun_imap_uid_present(ib->imap, row->uid, &present)) < 0)
		return rc;
	if (!present) {
		if ((rc = mark_filed(ib, row, row->folder, "no longer in the "
		    "mailbox: filed by an earlier run or moved by a "
		    "person")) == 0 && st)
			st->filed++;
		return rc;
	}
	/* A COPY that was not followed by its EXPUNGE must not be copied
	 * again. MOVE is atomic on the server. */
	if (*row->message_id) {
		folder = server_folder(ib, row->folder);
		rc = dun_imap_find_message_id(ib->imap, folder,
		    row->message_id, &found);
		free(folder);
		if (rc < 0)
			return rc;
	}
	if (found) {
		/* Copied before the crash: only the removal is left. */
		log_info("message %lld is already in %s; not copying again",
		    (long long)row->id, row->folder);
		if ((rc = dun_imap_delete(ib->imap, &row->uid, 1)) < 0)
			return rc;
		if ((rc = mark_filed(ib, row, row->folder, "copy found in "
		    "the folder; removed from the mailbox")) == 0 && st)
			st->filed++;
		return rc;
	}
	return file_rows(ib, row, 1, st);
}

/*
 * Messages `dunmail deliver` stored: processed if a delivery stopped
 * before that (no server needed), then, with a session, appended to
 * their folder, since they never were in the mailbox. One already there
 * (by Message-ID: a crash after the APPEND) is only recorded.
 */
static int
file_delivered(struct dun_inbound *ib, struct dun_inbound_stats *st)
{
	struct dun_inmsg_list list;
	size_t i;
	int rc;

	if ((rc = dun_store_inmsg_unfiled(ib->store,
	    DUN_INBOUND_DELIVER_MAILBOX, &list)) < 0)
		return rc;
	for (i = 0; i < list.count && rc == 0 && !inbound__stopped(ib); i++) {
		struct dun_inmsg *row = &list.items[i];
		char *data = NULL, *folder;
		size_t len;
		int found = 0;

		if (!row->processed) {
			if ((rc = dun_inbound_process(ib, row->id, st)) < 0)
				break;
			dun_inmsg_clear(row);
			if ((rc = dun_store_inmsg_get(ib->store, row,
			    list.items[i].id)) < 0 || !row->processed)
				break;
		}
		if (ib->imap == NULL || *row->folder == '\0')
			continue;
		folder = server_folder(ib, row->folder);
		if (*row->message_id)
			rc = dun_imap_find_message_id(ib->imap, folder,
			    row->message_id, &found);
		if (rc == 0 && !found &&
		    (rc = dun_trail_get_blob(ib->store, &data, &len,
		    row->sha256)) == 0)
			rc = dun_imap_append(ib->imap, folder, data, len);
		free(data);
		free(folder);
		if (rc == 0)
			rc = mark_filed(ib, row, row->folder, found ? "delivered "
			    "by dunmail deliver; already in the folder" :
			    "delivered by dunmail deliver; appended to the "
			    "folder");
		if (rc == 0 && st)
			st->filed++;
	}
	dun_inmsg_list_free(&list);
	return rc;
}

/* --- sync --------------------------------------------------------------- */

struct fetch_ctx {
	struct dun_inbound *ib;
	const char *mailbox;
	int64_t *ids;       /* rows of this chunk (new or re-keyed) */
	size_t nids;
	struct dun_inbound_stats *st;
};

static int
on_fetched(const struct dun_imap_msg *msg, void *arg)
{
	struct fetch_ctx *fc = arg;
	int64_t id;
	int inserted, rc;

	rc = store_raw(fc->ib, &id, &inserted, fc->mailbox,
	    fc->ib->uidvalidity, msg->uid, msg->data, msg->len, msg->size,
	    msg->headers_only);
	if (rc < 0)
		return rc;
	if (inserted && fc->st) {
		fc->st->stored++;
		fc->st->oversized += msg->headers_only;
	} else if (!inserted && fc->st)
		fc->st->duplicates++;
	fc->ids = xreallocarray(fc->ids, fc->nids + 1, sizeof(int64_t));
	fc->ids[fc->nids++] = id;
	return 0;
}

/* Files processed rows on the server, one MOVE per folder. */
static int
file_ids(struct dun_inbound *ib, const int64_t *ids, size_t n,
    struct dun_inbound_stats *st)
{
	struct dun_inmsg *rows = xcalloc(n ? n : 1, sizeof(*rows));
	size_t i, nrows = 0;
	int64_t t0 = mono_ms();
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		struct dun_inmsg row;
		if ((rc = dun_store_inmsg_get(ib->store, &row, ids[i])) < 0)
			break;
		if (row.processed && row.filed_at == 0 &&
		    row.uidvalidity == ib->uidvalidity && *row.folder)
			rows[nrows++] = row;
		else
			dun_inmsg_clear(&row);
	}
	if (rc == 0)
		rc = file_rows(ib, rows, nrows, st);
	for (i = 0; i < nrows; i++)
		dun_inmsg_clear(&rows[i]);
	free(rows);
	if (st)
		st->file_ms += mono_ms() - t0;
	return rc;
}

/* What an earlier run stored but did not process, or processed but did
 * not file. Processing needs no server; filing does (imap may be NULL). */
static int
finish_leftovers(struct dun_inbound *ib, const char *mailbox,
    struct dun_inbound_stats *st)
{
	struct dun_inmsg_list list;
	int64_t *ids;
	size_t i, nids = 0;
	int rc;

	if ((rc = dun_store_inmsg_unfiled(ib->store, mailbox, &list)) < 0)
		return rc;
	if (list.count)
		log_info("%zu message%s left by an earlier run to finish",
		    list.count, list.count == 1 ? "" : "s");
	/* Processing in chunks, as when fetched: a commit per chunk. */
	ids = xcalloc(list.count ? list.count : 1, sizeof(*ids));
	for (i = 0; i < list.count; i++)
		if (!list.items[i].processed)
			ids[nids++] = list.items[i].id;
	for (i = 0; i < nids && rc == 0 && !inbound__stopped(ib);
	    i += CHUNK_MESSAGES)
		rc = dun_inbound_process_batch(ib, ids + i, nids - i <
		    CHUNK_MESSAGES ? nids - i : CHUNK_MESSAGES, st);
	free(ids);
	for (i = 0; i < list.count && rc == 0 && !inbound__stopped(ib); i++) {
		struct dun_inmsg *row = &list.items[i];
		if (!row->processed) {
			dun_inmsg_clear(row);
			if ((rc = dun_store_inmsg_get(ib->store, row,
			    row->id)) < 0)
				break;
			if (!row->processed)
				continue; /* stopped before it */
		}
		if (ib->imap == NULL || row->uidvalidity != ib->uidvalidity)
			continue;
		rc = file_leftover(ib, row, st);
	}
	dun_inmsg_list_free(&list);
	return rc;
}

/* Fetches everything above last_uid, chunk by chunk. */
static int
sync_new(struct dun_inbound *ib, const char *mailbox, uint32_t uidnext,
    struct dun_inbound_stats *st)
{
	struct dun_imap_uids list;
	uint32_t known_v, last;
	int64_t *unfiled = NULL, t0, t1;
	size_t i, j, start, nunfiled = 0;
	int rc;

	rc = dun_store_mailbox_get(ib->store, mailbox, &known_v, &last);
	if (rc < 0 && rc != DUN_ENOTFOUND)
		return rc;
	if (known_v != ib->uidvalidity)
		last = 0;
	while (!inbound__stopped(ib)) {
		uint32_t lo = last + 1, hi = 0;
		if (uidnext && lo < uidnext)
			hi = uidnext - 1 - lo < LIST_WINDOW ? uidnext - 1 :
			    lo + LIST_WINDOW - 1;
		if ((rc = dun_imap_list(ib->imap, lo, hi, LIST_WINDOW,
		    &list)) < 0)
			break;
		if (list.count == 0) {
			dun_imap_uids_free(&list);
			if (hi == 0)
				break;
			/* Nothing in [lo, hi], and those UIDs are spent. */
			last = hi;
			if ((rc = dun_store_mailbox_set(ib->store, mailbox,
			    ib->uidvalidity, last, inbound__now(ib))) < 0)
				break;
			continue;
		}
		for (start = 0; start < list.count && rc == 0 &&
		    !inbound__stopped(ib); start = i) {
			struct fetch_ctx fc;
			size_t bytes = 0;
			for (i = start; i < list.count && i - start <
			    CHUNK_MESSAGES; i++) {
				size_t sz = list.items[i].size >
				    DUN_IMAP_MAX_MESSAGE ? 65536 :
				    list.items[i].size;
				if (i > start && bytes + sz > CHUNK_BYTES)
					break;
				bytes += sz;
			}
			memset(&fc, 0, sizeof(fc));
			fc.ib = ib;
			fc.mailbox = mailbox;
			fc.st = st;
			/* The chunk and the new mark in one transaction:
			 * every message up to the mark is stored (or was
			 * gone from the server) when it commits. */
			t0 = mono_ms();
			if ((rc = dun_store_begin(ib->store)) < 0)
				break;
			rc = dun_imap_fetch(ib->imap, &list.items[start],
			    i - start, 0, on_fetched, &fc);
			if (rc == 0)
				rc = dun_store_mailbox_set(ib->store, mailbox,
				    ib->uidvalidity, list.items[i - 1].uid,
				    inbound__now(ib));
			if (rc == 0)
				rc = dun_store_commit(ib->store);
			else
				dun_store_rollback(ib->store);
			t1 = mono_ms();
			if (rc == 0) {
				last = list.items[i - 1].uid;
				inbound__crash_point(ib, "stored");
				rc = dun_inbound_process_batch(ib, fc.ids,
				    fc.nids, st);
			}
			if (st) {
				st->fetch_store_ms += t1 - t0;
				st->process_ms += mono_ms() - t1;
			}
			/* Filing in larger batches: a MOVE costs the
			 * server a mailbox sync, whatever its size. */
			for (j = 0; rc == 0 && j < fc.nids; j++) {
				unfiled = xreallocarray(unfiled, nunfiled + 1,
				    sizeof(int64_t));
				unfiled[nunfiled++] = fc.ids[j];
			}
			free(fc.ids);
			if (rc == 0 && nunfiled >= FILE_BATCH) {
				rc = file_ids(ib, unfiled, nunfiled, st);
				nunfiled = 0;
			}
		}
		dun_imap_uids_free(&list);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = file_ids(ib, unfiled, nunfiled, st);
	free(unfiled);
	return rc;
}

/* Connects and selects; notes a UIDVALIDITY change. */
static int
session_open(struct dun_inbound *ib, uint32_t *uidnext,
    struct dun_inbound_stats *st)
{
	const char *mailbox = ib->cfg->imap_mailbox;
	uint32_t known_v = 0, last = 0;
	int rc;

	if ((rc = dun_imap_connect(&ib->imap, ib->cfg)) < 0)
		return rc;
	if (st)
		st->sessions++;
	if ((rc = dun_imap_select(ib->imap, mailbox, &ib->uidvalidity,
	    uidnext)) < 0)
		return rc;
	rc = dun_store_mailbox_get(ib->store, mailbox, &known_v, &last);
	if (rc < 0 && rc != DUN_ENOTFOUND)
		return rc;
	ib->rescan = 0;
	if (rc == 0 && known_v != ib->uidvalidity) {
		struct dun_buf d = DUN_BUF_INIT;
		log_warnx("imap: %s UIDVALIDITY changed from %u to %u: "
		    "re-scanning, known messages are recognised by SHA-256 "
		    "and Message-ID", mailbox, known_v, ib->uidvalidity);
		ib->rescan = 1;
		dun_json_open(&d);
		dun_json_str(&d, "mailbox", mailbox);
		dun_json_int(&d, "old", known_v);
		dun_json_int(&d, "new", ib->uidvalidity);
		dun_json_close(&d);
		rc = dun_trail_append(ib->store, inbound__now(ib),
		    "uidvalidity_changed", NULL, d.data);
		dun_buf_free(&d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void
session_close(struct dun_inbound *ib)
{
	dun_imap_close(ib->imap);
	ib->imap = NULL;
}

/* After a re-scan, rows still under the old UIDVALIDITY are not on the
 * server any more: stop trying to file them. */
static int
rescan_done(struct dun_inbound *ib, const char *mailbox)
{
	struct dun_inmsg_list list;
	size_t i;
	int rc;

	if ((rc = dun_store_inmsg_unfiled(ib->store, mailbox, &list)) < 0)
		return rc;
	for (i = 0; i < list.count && rc == 0; i++)
		if (list.items[i].uidvalidity != ib->uidvalidity &&
		    list.items[i].processed)
			rc = mark_filed(ib, &list.items[i], "",
			    "not found on the server after a UIDVALIDITY "
			    "change; nothing moved");
	dun_inmsg_list_free(&list);
	ib->rescan = 0;
	return rc;
}

static int
sync_pass(struct dun_inbound *ib, uint32_t uidnext,
    struct dun_inbound_stats *st)
{
	const char *mailbox = ib->cfg->imap_mailbox;
	int rc;

	if ((rc = finish_leftovers(ib, mailbox, st)) < 0)
		return rc;
	if ((rc = file_delivered(ib, st)) < 0)
		return rc;
	if ((rc = sync_new(ib, mailbox, uidnext, st)) < 0)
		return rc;
	if (ib->rescan && !inbound__stopped(ib))
		rc = rescan_done(ib, mailbox);
	return rc;
}

int
dun_inbound_poll(struct dun_inbound *ib, struct dun_inbound_stats *st)
{
	uint32_t uidnext = 0;
	int rc;

	/* Processing needs no server: finish what was stored even if the
	 * server is down. */
	if ((rc = finish_leftovers(ib, ib->cfg->imap_mailbox, st)) < 0 ||
	    (rc = file_delivered(ib, st)) < 0)
		return rc;
	if ((rc = session_open(ib, &uidnext, st)) == 0)
		rc = sync_pass(ib, uidnext, st);
	session_close(ib);
	return rc;
}

/* Sleeps up to seconds, waking early on a stop request. */
static void
nap(struct dun_inbound *ib, double seconds)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int slices = (int)(seconds * 10);

	while (slices-- > 0 && !inbound__stopped(ib))
		nanosleep(&ts, NULL);
}

static int
fatal_for_idle(int rc)
{
	return rc == DUN_ETLS || rc == DUN_EAUTH || rc == DUN_ECONFIG ||
	    rc == DUN_ESTORE || rc == DUN_EIO;
}

/* Passes until one finds nothing new and the server announced nothing
 * meanwhile: mail announced in the answer to a MOVE or FETCH is not
 * announced again once IDLE starts. */
static int
sync_settle(struct dun_inbound *ib, uint32_t uidnext,
    struct dun_inbound_stats *st)
{
	int64_t before;
	int rc;

	do {
		dun_imap_saw_exists(ib->imap);
		before = st->stored + st->duplicates;
		rc = sync_pass(ib, uidnext, st);
		uidnext = 0;
	} while (rc == 0 && !inbound__stopped(ib) && (st->stored +
	    st->duplicates > before || dun_imap_saw_exists(ib->imap)));
	return rc;
}

int
dun_inbound_idle(struct dun_inbound *ib, struct dun_inbound_stats *st)
{
	struct dun_inbound_stats local;
	double backoff = 1;
	uint32_t uidnext;
	int rc = 0, changed;

	if (st == NULL) {
		memset(&local, 0, sizeof(local));
		st = &local;
	}

	if ((rc = finish_leftovers(ib, ib->cfg->imap_mailbox, st)) < 0)
		return rc;
	while (!inbound__stopped(ib)) {
		int progressed = 0;
		uidnext = 0;
		rc = session_open(ib, &uidnext, st);
		if (rc == 0)
			rc = sync_settle(ib, uidnext, st);
		while (rc == 0 && !inbound__stopped(ib)) {
			progressed = 1;
			if (dun_imap_has_idle(ib->imap)) {
				rc = dun_imap_idle(ib->imap,
				    ib->cfg->imap_idle_s, ib->opts.stop,
				    &changed);
			} else {
				nap(ib, ib->opts.poll_interval_s);
				if (!inbound__stopped(ib))
					rc = dun_imap_noop(ib->imap);
			}
			if (rc == 0 && !inbound__stopped(ib))
				rc = sync_settle(ib, 0, st);
		}
		session_close(ib);
		if (inbound__stopped(ib))
			break;
		if (fatal_for_idle(rc)) {
			log_warnx("poll --idle: giving up: %s",
			    dun_error_last());
			return rc;
		}
		if (progressed)
			backoff = 1;
		/* Capped and jittered so many agents do not reconnect in
		 * step: half to all of the current backoff. */
		{
			double wait = backoff / 2 + (backoff / 2) *
			    ((double)random() / RAND_MAX);
			log_warnx("imap session dropped (%s); reconnecting in "
			    "%.1f s", rc < 0 ? dun_error_last() : "closed",
			    wait);
			nap(ib, wait);
		}
		backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S :
		    backoff * 2;
		rc = 0;
	}
	return 0;
}
