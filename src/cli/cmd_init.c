/* dunmail init: a starter config and a fresh (or migrated) store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/config.h"
#include "dunmail/store.h"

int
cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "config-out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = ctx->config_path ? ctx->config_path :
	    "dunmail.conf";
	const char *starter = dun_config_starter();
	int ch, force = 0, rc;

	while ((ch = getopt_long(argc, argv, "fo:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'o': out_path = optarg; break;
		default: return cli_usage("init");
		}
	}
	if (access(out_path, F_OK) == 0 && !force) {
		printf("dunmail: keeping existing config %s (--force to "
		    "replace it)\n", out_path);
	} else {
		if ((rc = dun_file_write_atomic(out_path, starter,
		    strlen(starter), 0600)) < 0)
			return cli_fail(rc);
		printf("dunmail: wrote starter config %s\n", out_path);
	}
	ctx->config_path = out_path;
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	printf("dunmail: store %s ready (schema %d)\n",
	    dun_store_path(ctx->store), dun_store_schema_version(ctx->store));
	printf("dunmail: next: edit %s, then `dunmail lint` and "
	    "`dunmail import invoices FILE.csv`\n", out_path);
	return 0;
}
