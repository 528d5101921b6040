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

#include "dunmail/store.h"
#include "dunmail/timeutil.h"

/* What an event refers to; zero fields mean none. */
struct dun_trail_ref {
	int64_t case_id;
	int64_t debtor_id;
	int64_t message_id;
	const char *message_sha256; /* borrowed; NULL = none */
};

/*
 * Appends one event. detail_json is a JSON object (see json.h). Runs in
 * the caller's transaction if one is open, else in its own.
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
	int64_t bad_seq;    /* first broken event, 0 if none */
	char detail[512];   /* what was found, for a person */
};

/* Recomputes the chain and every stored file; DUN_ETAMPER on the first
 * problem, with the report saying exactly where. */
int dun_trail_verify(struct dun_store *store, struct dun_verify_report *out);

#endif
