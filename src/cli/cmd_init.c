/* dunmail init: a starter config and a fresh (or migrated) store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/config/config.h"
#include "dunmail/store/store.h"

/* --store as the config will name it: absolute, since a relative path
 * there is taken from the config's folder. Its folder must exist, checked
 * before a config naming it is written. NULL (errno set) if it does not.
 * Caller frees. */
static char *
store_path_arg(const char *path)
{
	char *copy = xstrdup(path), *slash, *abs, *out = NULL;
	const char *dir = ".", *base = copy;

	if ((slash = strrchr(copy, '/')) != NULL) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	if (*base == '\0')
		errno = EISDIR;
	else if ((abs = realpath(dir, NULL)) != NULL) {
		out = xasprintf("%s%s%s", abs, strcmp(abs, "/") ? "/" : "",
		    base);
		free(abs);
	}
	free(copy);
	return out;
}

int
cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "config-out", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = ctx->config_path ? ctx->config_path :
	    "dunmail.conf";
	char *store_path = NULL, *starter = NULL;
	int ch, force = 0, rc;

	while ((ch = getopt_long(argc, argv, "fo:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'o': out_path = optarg; break;
		case 's':
			free(store_path);
			if ((store_path = store_path_arg(optarg)) == NULL) {
				fprintf(stderr, "dunmail: --store %s: %s\n",
				    optarg, strerror(errno));
				return EX_CANTCREAT;
			}
			break;
		default:
			free(store_path);
			return cli_usage("init");
		}
	}
	if (optind < argc) {
		free(store_path);
		return cli_usage("init");
	}
	if (access(out_path, F_OK) == 0 && !force) {
		printf("dunmail: keeping existing config %s (--force to "
		    "replace it)\n", out_path);
	} else {
		if ((rc = dun_config_starter_text(&starter, store_path,
		    NULL)) < 0 ||
		    (rc = dun_file_write_atomic(out_path, starter,
		    strlen(starter), 0600)) < 0) {
			free(starter);
			free(store_path);
			return cli_fail(rc);
		}
		free(starter);
		printf("dunmail: wrote starter config %s\n", out_path);
	}
	ctx->config_path = out_path;
	if ((rc = cli_config(ctx)) != 0) {
		free(store_path);
		return rc;
	}
	/* A kept config names its own store: do not make another one. */
	if (store_path && strcmp(store_path, ctx->cfg->store_path) != 0) {
		fprintf(stderr, "dunmail: --store %s: the existing config %s "
		    "names the store %s; change its [store] path, or give "
		    "--force to write a new config\n", store_path, out_path,
		    ctx->cfg->store_path);
		free(store_path);
		return EX_USAGE;
	}
	free(store_path);
	if ((rc = cli_store(ctx)) != 0)
		return rc;
	printf("dunmail: store %s ready (schema %d)\n",
	    dun_store_path(ctx->store), dun_store_schema_version(ctx->store));
	printf("dunmail: next: edit %s, then `dunmail lint` and "
	    "`dunmail import invoices FILE.csv`\n", out_path);
	return 0;
}
