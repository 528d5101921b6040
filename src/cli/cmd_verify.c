/* dunmail verify: recompute the trail's hash chain and every stored file. */
#include <stdio.h>

#include "cli.h"
#include "dunmail/trail.h"

int
cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	struct dun_verify_report r;
	int rc;

	(void)argv;
	if (argc != 1)
		return cli_usage("verify");
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	rc = dun_trail_verify(ctx->store, &r);
	if (rc == DUN_ETAMPER) {
		fprintf(stderr, "dunmail: verify FAILED after %lld event(s) "
		    "and %lld file(s): %s\n", (long long)r.events,
		    (long long)r.blobs, r.detail);
		return EX_DATAERR;
	}
	if (rc < 0)
		return cli_fail(rc);
	printf("trail ok: %lld events chained, %lld stored messages intact\n",
	    (long long)r.events, (long long)r.blobs);
	return 0;
}
