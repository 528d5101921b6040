/* Hash-chained events and the raw-message store; see trail.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/store/trail.h"

void
dun_trail_hash(char out[65], const struct dun_event *ev)
{
	dun_store__event_hash(out, ev);
}

int
dun_trail_append(struct dun_store *store, dun_time_t now, const char *kind,
    const struct dun_trail_ref *ref, const char *detail_json)
{
	struct dun_event ev;
	char sha[65];
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	ev.kind = (char *)kind;
	if (ref) {
		ev.case_id = ref->case_id;
		ev.debtor_id = ref->debtor_id;
		ev.message_id = ref->message_id;
		ev.message_sha256 = (char *)ref->message_sha256;
	}
	/* Here, not in each caller: no event about a message goes without
	 * its bytes' hash. A row that is not there stays unhashed, and
	 * verify names the event. */
	if (ev.message_id > 0 && (ev.message_sha256 == NULL ||
	    *ev.message_sha256 == '\0')) {
		rc = dun_store__message_sha256(store, sha, ev.message_id);
		if (rc < 0 && rc != DUN_ENOTFOUND)
			return rc;
		ev.message_sha256 = rc == 0 ? sha : NULL;
	}
	ev.detail = (char *)(detail_json ? detail_json : "{}");
	return dun_store__event_append(store, &ev);
}

char *
dun_trail_blob_path(struct dun_store *store, const char *sha256)
{
	return xasprintf("%s/%.2s/%s", dun_store_blob_dir(store), sha256,
	    sha256 + 2);
}

int
dun_trail_put_blob(struct dun_store *store, char sha_out[65],
    const void *data, size_t len, dun_time_t now)
{
	dun_sha256_hex(sha_out, data, len);
	return dun_store_blob_put(store, sha_out, data, len, now);
}

int
dun_trail_get_blob(struct dun_store *store, char **out, size_t *len_out,
    const char *sha256)
{
	char *path;
	int rc;

	if ((rc = dun_store_blob_get(store, sha256, out, len_out)) !=
	    DUN_ENOTFOUND)
		return rc;
	/* Stored by a dunmail from before the bytes moved into the store. */
	path = dun_trail_blob_path(store, sha256);
	rc = dun_file_read(out, len_out, path, 256u << 20);
	free(path);
	return rc;
}

struct verify_ctx {
	struct dun_store *store;
	struct dun_verify_report *report;
	char prev[65];
	int64_t expect_seq;
};

static int
verify_event(const struct dun_event *ev, void *arg)
{
	struct verify_ctx *ctx = arg;
	struct dun_verify_report *r = ctx->report;
	char hash[65];

	r->events++;
	if (ev->seq != ctx->expect_seq) {
		r->bad_seq = ctx->expect_seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld is "
		    "missing: the trail jumps from %lld to %lld",
		    (long long)ctx->expect_seq,
		    (long long)ctx->expect_seq - 1, (long long)ev->seq);
		return DUN_ETAMPER;
	}
	if (strcmp(ev->prev_hash, ctx->prev) != 0) {
		r->bad_seq = ev->seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld does not "
		    "follow event %lld: its previous-hash %.16s... differs "
		    "from %.16s... (events removed, reordered or replaced)",
		    (long long)ev->seq, (long long)ev->seq - 1,
		    ev->prev_hash, ctx->prev);
		return DUN_ETAMPER;
	}
	dun_trail_hash(hash, ev);
	if (strcmp(hash, ev->hash) != 0) {
		r->bad_seq = ev->seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld (%s) was "
		    "altered: its fields hash to %.16s..., recorded %.16s...",
		    (long long)ev->seq, ev->kind, hash, ev->hash);
		return DUN_ETAMPER;
	}
	memcpy(ctx->prev, ev->hash, sizeof(ctx->prev));
	r->head_seq = ev->seq;
	memcpy(r->head_hash, ev->hash, sizeof(r->head_hash));
	ctx->expect_seq++;
	return 0;
}

static int
verify_blob(const char *sha256, int64_t size, void *arg)
{
	struct verify_ctx *ctx = arg;
	struct dun_verify_report *r = ctx->report;
	char actual[65];
	char *data;
	size_t len;

	r->blobs++;
	if (dun_trail_get_blob(ctx->store, &data, &len, sha256) < 0) {
		snprintf(r->detail, sizeof(r->detail), "stored message %s is "
		    "missing or unreadable: %s", sha256, dun_error_last());
		return DUN_ETAMPER;
	}
	dun_sha256_hex(actual, data, len);
	free(data);
	if (strcmp(actual, sha256) != 0 || (int64_t)len != size) {
		snprintf(r->detail, sizeof(r->detail), "stored message %s was "
		    "altered: now %zu bytes hashing to %.16s...", sha256, len,
		    actual);
		return DUN_ETAMPER;
	}
	return 0;
}

/* Every message an event names is there, with the bytes it named. (The
 * bytes' content was checked by verify_blob.) */
static int
verify_ref(const struct dun_store_event_ref *e, void *arg)
{
	struct verify_ctx *ctx = arg;
	struct dun_verify_report *r = ctx->report;

	if (e->message_id > 0 && !e->message_found) {
		r->bad_seq = e->seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld (%s) names "
		    "message %lld, which is not in the store (deleted)",
		    (long long)e->seq, e->kind, (long long)e->message_id);
		return DUN_ETAMPER;
	}
	if (*e->message_sha256 == '\0')
		return 0; /* written before events hashed every message */
	if (!e->blob_found) {
		r->bad_seq = e->seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld (%s) names "
		    "message %lld stored as %s, and those bytes are missing "
		    "from the store (deleted)", (long long)e->seq, e->kind,
		    (long long)e->message_id, e->message_sha256);
		return DUN_ETAMPER;
	}
	if (e->message_id > 0 && strcmp(e->row_sha256,
	    e->message_sha256) != 0) {
		r->bad_seq = e->seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld (%s) names "
		    "message %lld as %s, but the message row now names %s "
		    "(the row was altered)", (long long)e->seq, e->kind,
		    (long long)e->message_id, e->message_sha256,
		    *e->row_sha256 ? e->row_sha256 : "nothing");
		return DUN_ETAMPER;
	}
	return 0;
}

/* Every message row has its bytes and an event about it: both are written
 * in the transaction that stores the message (a reply's "received", an
 * outgoing message's "planned" for each of its cases), so a row named by
 * no event lost its events, most likely from the end of the trail. */
static int
verify_message(const struct dun_store_message_ref *m, void *arg)
{
	struct verify_ctx *ctx = arg;
	struct dun_verify_report *r = ctx->report;

	r->messages++;
	if (*m->sha256 && !m->blob_found) {
		snprintf(r->detail, sizeof(r->detail), "message %lld (%s %s) "
		    "is stored as %s, and those bytes are missing from the "
		    "store (deleted)", (long long)m->id, m->direction, m->kind,
		    m->sha256);
		return DUN_ETAMPER;
	}
	/* A row without bytes stores no message: dunmail writes none (tests
	 * fake sent rows that way), and they are not held to it. */
	if (*m->sha256 && m->events == 0) {
		snprintf(r->detail, sizeof(r->detail), "message %lld (%s %s) "
		    "is named by no event: the events about it were removed "
		    "(the trail cut short after event %lld?)", (long long)m->id,
		    m->direction, m->kind, (long long)r->head_seq);
		return DUN_ETAMPER;
	}
	return 0;
}

int
dun_trail_verify_chain(struct dun_store *store,
    struct dun_verify_report *out)
{
	struct verify_ctx ctx;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = store;
	ctx.report = out;
	memset(ctx.prev, '0', 64);
	memset(out->head_hash, '0', 64);
	ctx.expect_seq = 1;
	rc = dun_store_event_foreach(store, 0, verify_event, &ctx);
	if (rc == 0)
		rc = dun_store_blob_foreach(store, verify_blob, &ctx);
	if (rc == 0)
		rc = dun_store__event_refs_foreach(store, verify_ref, &ctx);
	if (rc == 0)
		rc = dun_store__message_refs_foreach(store, verify_message,
		    &ctx);
	if (rc == DUN_ETAMPER)
		return dun_error_set(DUN_ETAMPER, "%s", out->detail);
	return rc;
}

int
dun_trail_verify_state(struct dun_store *store, struct dun_verify_report *r)
{
	int rc = dun_store__replay_check(store, r);

	if (rc == DUN_ETAMPER)
		return dun_error_set(DUN_ETAMPER, "%s", r->detail);
	return rc;
}

int
dun_trail_verify(struct dun_store *store, struct dun_verify_report *out)
{
	int rc;

	/* One read transaction: both passes see the same commit. */
	if ((rc = dun_store_snapshot(store, 1)) < 0)
		return rc;
	rc = dun_trail_verify_chain(store, out);
	if (rc == 0)
		rc = dun_trail_verify_state(store, out);
	dun_store_snapshot(store, 0);
	return rc;
}

int
dun_trail_verify_head(struct dun_store *store, struct dun_verify_report *r,
    int64_t seq, const char *hash)
{
	char have[65];
	int rc;

	if (seq > r->head_seq) {
		char cut[64];

		r->bad_seq = r->head_seq + 1;
		if (seq == r->head_seq + 1)
			snprintf(cut, sizeof(cut), "event %lld was",
			    (long long)seq);
		else
			snprintf(cut, sizeof(cut), "events %lld to %lld were",
			    (long long)r->head_seq + 1, (long long)seq);
		snprintf(r->detail, sizeof(r->detail), "the trail ends at "
		    "event %lld, but the recorded head is event %lld (%.16s...):"
		    " %s removed from the end", (long long)r->head_seq,
		    (long long)seq, hash, cut);
		return dun_error_set(DUN_ETAMPER, "%s", r->detail);
	}
	if (seq <= 0)
		return 0; /* recorded when the trail was empty */
	if ((rc = dun_store__event_hash_at(store, have, seq)) < 0)
		return rc;
	if (strcmp(have, hash) != 0) {
		r->bad_seq = seq;
		snprintf(r->detail, sizeof(r->detail), "event %lld hashes to "
		    "%.16s..., but the recorded head says %.16s...: the trail "
		    "was rewritten from there on (or the head is another "
		    "store's)", (long long)seq, have, hash);
		return dun_error_set(DUN_ETAMPER, "%s", r->detail);
	}
	return 0;
}
