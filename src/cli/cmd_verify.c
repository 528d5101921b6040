/* dunmail verify [--head SEQ:HASH]: recompute the trail's hash chain and
 * every stored file, replay the trail into the state tables and compare;
 * with --head, prove the trail still holds a head recorded earlier (a
 * cut-off tail leaves nothing else to find). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dunmail/store/trail.h"

#define VERIFY_USAGE "usage: dunmail verify [--head SEQ:HASH]\n"

/* "SEQ:HASH" as printed by verify: a sequence number and 64 hex digits. */
static int
parse_head(int64_t *seq, char hash[65], const char *s)
{
	const char *colon = strchr(s, ':');
	char *end;
	size_t i;

	if (colon == NULL || strlen(colon + 1) != 64)
		return DUN_EINVAL;
	*seq = strtoimax(s, &end, 10);
	if (end != colon || end == s || *seq < 0)
		return DUN_EINVAL;
	for (i = 0; i < 64; i++) {
		char ch = colon[1 + i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return DUN_EINVAL;
		hash[i] = ch;
	}
	hash[64] = '\0';
	return 0;
}

int
cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "head", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct dun_verify_report r;
	const char *head = NULL;
	char head_hash[65];
	int64_t head_seq = 0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': head = optarg; break;
		default: fputs(VERIFY_USAGE, stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(VERIFY_USAGE, stderr);
		return EX_USAGE;
	}
	if (head && parse_head(&head_seq, head_hash, head) < 0) {
		fprintf(stderr, "dunmail: --head %s: give SEQ:HASH as verify "
		    "printed it (\"head 231:\" and 64 hex digits)\n", head);
		return EX_USAGE;
	}
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	/* The chain, then the head recorded (a cut there explains any
	 * row the replay would miss), then the state tables. */
	if ((rc = dun_store_snapshot(ctx->store, 1)) < 0)
		return cli_fail(rc);
	rc = dun_trail_verify_chain(ctx->store, &r);
	if (rc == 0 && head)
		rc = dun_trail_verify_head(ctx->store, &r, head_seq,
		    head_hash);
	if (rc == 0)
		rc = dun_trail_verify_state(ctx->store, &r);
	dun_store_snapshot(ctx->store, 0);
	if (rc == DUN_ETAMPER) {
		fprintf(stderr, "dunmail: verify FAILED after %lld event(s) "
		    "and %lld file(s): %s\n", (long long)r.events,
		    (long long)r.blobs, r.detail);
		return EX_DATAERR;
	}
	if (rc < 0)
		return cli_fail(rc);
	printf("trail ok: %lld events chained, %lld stored messages intact, "
	    "%lld messages each named by the trail\n", (long long)r.events,
	    (long long)r.blobs, (long long)r.messages);
	printf("state ok: %lld rows of cases, contacts, invoices, hand-offs, "
	    "messages and their links match the trail replayed",
	    (long long)r.rows);
	if (r.baseline_seq > 0)
		printf(" from the baseline at event %lld (the rows as they "
		    "were when the store was upgraded to schema 3)",
		    (long long)r.baseline_seq);
	printf("\n");
	if (head)
		printf("recorded head %lld still in the trail\n",
		    (long long)head_seq);
	/* Recorded out of band, it proves later that nothing was cut. */
	printf("head %lld:%s\n", (long long)r.head_seq, r.head_hash);
	return 0;
}
