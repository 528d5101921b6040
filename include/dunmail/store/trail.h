/*
 * The evidence trail: append-only events, each hashed over the previous
 * hash, its canonical fields and the SHA-256 of the message it refers to;
 * and raw messages stored byte for byte under their SHA-256.
 *
 * Errors: DUN_ESTORE, DUN_EIO, DUN_ETAMPER (verify found a broken link or
 * an altered file; the message names it).
 */
#ifndef DUNMAIL_TRAIL_H
#define DUNMAIL_TRAIL_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"

/* What an event refers to; zero fields mean none. */
struct dun_trail_ref {
	int64_t case_id;
	int64_t debtor_id;
	int64_t message_id;
	const char *message_sha256; /* borrowed; NULL = the message's own */
};

/*
 * Appends one event. detail_json is a JSON object (see json.h). Runs in
 * the caller's transaction if one is open, else in its own. An event
 * naming a message always hashes that message's SHA-256: given none, it
 * is read from the message row.
 */
int dun_trail_append(struct dun_store *store, dun_time_t now,
	const char *kind, const struct dun_trail_ref *ref,
	const char *detail_json);

/* The hash of an event's canonical form. */
void dun_trail_hash(char out[65], const struct dun_event *ev);

/*
 * Stores raw bytes under their SHA-256, in the store's blob table, and
 * sha_out receives the hex digest. The bytes are as durable as the
 * transaction they are written in: inside one, its commit makes them and
 * every row that refers to them durable together.
 */
int dun_trail_put_blob(struct dun_store *store, char sha_out[65],
	const void *data, size_t len, dun_time_t now);
/* Reads stored bytes back, from the store or, for messages stored by a
 * dunmail from before they moved there, from <db>.blobs/; caller frees. */
int dun_trail_get_blob(struct dun_store *store, char **out, size_t *len_out,
	const char *sha256);
/* Path of an old-style blob file; caller frees. */
char *dun_trail_blob_path(struct dun_store *store, const char *sha256);

struct dun_verify_report {
	int64_t events;     /* events checked */
	int64_t blobs;      /* stored messages checked */
	int64_t messages;   /* message rows checked against the trail */
	int64_t rows;       /* state rows compared with the replayed trail */
	int64_t images;     /* row images the events carry */
	int64_t baseline_seq; /* the first `baseline` event, 0 if none */
	int64_t bad_seq;    /* first broken event, 0 if none */
	int64_t head_seq;   /* the last event (0 = none) ... */
	char head_hash[65]; /* ... and its hash */
	char detail[512];   /* what was found, for a person */
};

/*
 * Recomputes the chain and every stored file, and checks that every
 * message an event names, and every message row, has its bytes stored,
 * and that every message row is named by an event (each is stored in the
 * transaction of the event about it, so one named by none lost its
 * events). Then replays the row images the events carry and compares the
 * state tables with them, row by row and column by column.
 * DUN_ETAMPER on the first problem, with the report saying exactly
 * where (for a state row: table, rowid, column, both values).
 */
int dun_trail_verify(struct dun_store *store, struct dun_verify_report *out);
/* Its two halves, for a caller that checks a recorded head between them
 * (inside dun_store_snapshot, so all see one commit): the chain,
 * the stored files and the messages; then the state tables against the
 * replayed trail. */
int dun_trail_verify_chain(struct dun_store *store,
	struct dun_verify_report *out);
int dun_trail_verify_state(struct dun_store *store,
	struct dun_verify_report *r);

/*
 * After dun_trail_verify: DUN_ETAMPER unless the trail still holds event
 * seq with that hash, a head recorded earlier out of band. A trail cut
 * short, or rewritten from seq on, does not; nothing else can show a cut
 * that took only events about no message.
 */
int dun_trail_verify_head(struct dun_store *store,
	struct dun_verify_report *r, int64_t seq, const char *hash);

/*
 * The store's side of verify and export (src/store/store_event.c), kept here
 * with the trail they serve.
 */
/* An event that names a message, and what the store holds for it. */
struct dun_store_event_ref {
	int64_t seq;
	const char *kind;           /* borrowed, as the strings below */
	int64_t message_id;         /* 0 = none */
	const char *message_sha256; /* the event's; "" = none */
	int message_found;          /* the message row exists */
	const char *row_sha256;     /* that row's; "" if none */
	int blob_found;             /* message_sha256 is stored */
};
int dun_store__event_refs_foreach(struct dun_store *store,
	int (*fn)(const struct dun_store_event_ref *ref, void *arg),
	void *arg);
/* A message row, whether its bytes are stored, how many events name it. */
struct dun_store_message_ref {
	int64_t id;
	const char *direction, *kind, *sha256; /* borrowed */
	int blob_found;
	int64_t events;
};
int dun_store__message_refs_foreach(struct dun_store *store,
	int (*fn)(const struct dun_store_message_ref *ref, void *arg),
	void *arg);
/* The state tables against the trail's row images, replayed in one pass
 * (src/store/replay.c); DUN_ETAMPER with r->detail naming the first
 * difference. */
int dun_store__replay_check(struct dun_store *store,
	struct dun_verify_report *r);
/* Begins (1) or ends (0) a read transaction, unless one is open. */
int dun_store_snapshot(struct dun_store *store, int begin);
/* A message row's SHA-256 ("" if it has none); DUN_ENOTFOUND if no row. */
int dun_store__message_sha256(struct dun_store *store, char out[65],
	int64_t message_id);
/* The hash of event seq; DUN_ENOTFOUND if there is none. */
int dun_store__event_hash_at(struct dun_store *store, char out[65],
	int64_t seq);
/* A case's trail: its own events and every event about one of its
 * messages (received, filed, ...), in seq order. */
int dun_store_case_trail_foreach(struct dun_store *store, int64_t case_id,
	int (*fn)(const struct dun_event *ev, void *arg), void *arg);
/* Events first_seq..last_seq, in order. */
int dun_store_event_range_foreach(struct dun_store *store, int64_t first_seq,
	int64_t last_seq, int (*fn)(const struct dun_event *ev, void *arg),
	void *arg);
/* The value at path ("$.result.smtp_reply") in a JSON text as an owned
 * string; an array's items joined by ", " (with member, that path in each
 * item). *out is NULL if there is none or json is not JSON. */
int dun_store_json_text(struct dun_store *store, char **out,
	const char *json, const char *path, const char *member);

#endif
