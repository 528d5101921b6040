/* dunmail's entry point: global options, then one command from the table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dunmail/core/log.h"

static void
print_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: dunmail [-c FILE] [--now TIME] [-v] [-T CATS] "
	    "COMMAND [ARGS]\n\n"
	    "dunmail is an accounts-receivable correspondence agent: it sends\n"
	    "dated payment reminders with the invoice PDFs, reads and\n"
	    "classifies the replies, and keeps a tamper-evident trail.\n\n"
	    "Commands:\n");
	for (i = 0; i < cli_ncmds; i++)
		fprintf(fp, "  %-10s %s\n", cli_cmds[i].name,
		    cli_cmds[i].summary);
	fprintf(fp, "\nGlobal options:\n"
	    "  -c, --config FILE  config file (default ./dunmail.conf, then\n"
	    "                     $XDG_CONFIG_HOME/dunmail/config)\n"
	    "  --now TIME         act as if it were TIME (ISO-8601); also\n"
	    "                     DUNMAIL_NOW\n"
	    "  -v, --verbose      more output (twice for debug)\n"
	    "  -T, --trace CATS   trace smtp,imap,case,sched,parse,store,"
	    "classify or all\n"
	    "  -h, --help         this text; `dunmail help COMMAND` or\n"
	    "                     `dunmail COMMAND --help` for one\n"
	    "  -V, --version      print the version\n");
}

static const struct cli_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < cli_ncmds; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

int
cli_usage(const char *cmd_name)
{
	const struct cli_cmd *cmd = find_cmd(cmd_name);

	if (cmd)
		fprintf(stderr, "usage: %s\n", cmd->usage);
	return EX_USAGE;
}

void
cli_getopt_reset(void)
{
	optind = 0; /* GNU: full re-initialisation */
	opterr = 1;
}

static void
print_cmd_help(const struct cli_cmd *cmd)
{
	printf("usage: %s\n\n%s\n", cmd->usage, cmd->help);
}

/* `dunmail VERB --help` (or -h) anywhere before "--". */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *cmd;

	(void)ctx;
	if (argc < 2) {
		print_usage(stdout);
		return 0;
	}
	if ((cmd = find_cmd(argv[1])) == NULL) {
		fprintf(stderr, "dunmail: no command '%s'; `dunmail help` "
		    "lists them\n", argv[1]);
		return EX_USAGE;
	}
	print_cmd_help(cmd);
	return 0;
}

int
cli_exit_code(int rc)
{
	switch (rc) {
	case 0: return 0;
	case DUN_EINVAL: return EX_DATAERR;
	case DUN_EPARSE: return EX_DATAERR;
	case DUN_ETAMPER: return EX_DATAERR;
	case DUN_ENOTFOUND: return EX_NOINPUT;
	case DUN_ECONFIG: return EX_CONFIG;
	case DUN_ESTORE: return EX_CANTCREAT;
	case DUN_EIO: return EX_IOERR;
	case DUN_ENET:
		return dun_error_retry() == DUN_RETRY_FINAL ? EX_UNAVAILABLE :
		    EX_TEMPFAIL;
	case DUN_ETLS: return EX_PROTOCOL;
	case DUN_EAUTH: return EX_NOPERM;
	case DUN_EEXISTS: return EX_CANTCREAT;
	case DUN_ETOOBIG: return EX_DATAERR;
	default: return EX_SOFTWARE;
	}
}

int
cli_fail(int rc)
{
	fprintf(stderr, "dunmail: %s\n", dun_error_last());
	return cli_exit_code(rc);
}

int
cli_config(struct cli_ctx *ctx)
{
	struct dun_diags diags = { 0 };
	char *path;
	int rc;

	if (ctx->cfg)
		return 0;
	if ((path = dun_config_find(ctx->config_path)) == NULL) {
		fprintf(stderr, "dunmail: no config file: none given with -c, "
		    "no ./dunmail.conf and none in $XDG_CONFIG_HOME/dunmail/; "
		    "run `dunmail init` to create one\n");
		return EX_CONFIG;
	}
	rc = dun_config_load(&ctx->cfg, path, &diags);
	free(path);
	if (rc < 0) {
		if (diags.count)
			dun_diags_print(&diags);
		else
			fprintf(stderr, "dunmail: %s\n", dun_error_last());
		dun_diags_free(&diags);
		return EX_CONFIG;
	}
	dun_diags_free(&diags);
	return 0;
}

int
cli_store(struct cli_ctx *ctx)
{
	int rc;

	if (ctx->store)
		return 0;
	if ((rc = cli_config(ctx)) != 0)
		return rc;
	/* Only the commands that fill a store may make one: a typo in
	 * [store] path must not look like an empty ledger. */
	if (ctx->cmd && (ctx->cmd->flags & CLI_CREATES_STORE))
		rc = dun_store_open(&ctx->store, ctx->cfg->store_path);
	else
		rc = dun_store_open_existing(&ctx->store,
		    ctx->cfg->store_path);
	if (rc == DUN_ENOTFOUND) {
		fprintf(stderr, "dunmail: the store %s does not exist; run "
		    "`dunmail init` to create it, or correct [store] path in "
		    "%s\n", ctx->cfg->store_path,
		    ctx->cfg->path ? ctx->cfg->path : "the config");
		return EX_NOINPUT;
	}
	if (rc < 0)
		return cli_fail(rc);
	return 0;
}

/* --list-verbs: the command table's names. */
static void
list_verbs(void)
{
	size_t i;

	for (i = 0; i < cli_ncmds; i++)
		printf("%s\n", cli_cmds[i].name);
}

/* --list-config-keys: section.key, type (integer:MIN:MAX for a number)
 * and default, tab-separated. */
static void
list_config_keys(void)
{
	struct dun_config_key_info k;
	size_t i;

	for (i = 0; dun_config_key_at(i, &k) == 0; i++) {
		printf("%s.%s%s\t%s", k.section, k.prefix, k.name, k.type);
		if (strcmp(k.type, "integer") == 0)
			printf(":%d:%d", k.min, k.max);
		printf("\t%s\n", k.def);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "now", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "trace", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* For developers, not in --help: the command table and the
		 * config keys, one a line, which tests/man.sh holds the man
		 * pages to. */
		{ "list-verbs", no_argument, NULL, 'L' },
		{ "list-config-keys", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx;
	const struct cli_cmd *cmd;
	const char *now_text;
	int ch, rc, trace;

	memset(&ctx, 0, sizeof(ctx));
	log_init("dunmail", 0, 0);
	/* '+' stops at the command name so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+c:vT:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'n':
			setenv("DUNMAIL_NOW", optarg, 1);
			break;
		case 'v':
			log_set_verbose(++ctx.verbose);
			break;
		case 'T':
			if ((trace = log_parse_trace(optarg)) < 0) {
				fprintf(stderr, "dunmail: unknown trace "
				    "category in '%s'\n", optarg);
				return EX_USAGE;
			}
			log_set_trace(trace);
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("dunmail %s\n", DUN_VERSION);
			return 0;
		case 'L':
			list_verbs();
			return 0;
		case 'K':
			list_config_keys();
			return 0;
		default:
			print_usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		print_usage(stderr);
		return EX_USAGE;
	}
	if ((cmd = find_cmd(argv[0])) == NULL) {
		fprintf(stderr, "dunmail: no command '%s'; `dunmail help` "
		    "lists them\n", argv[0]);
		return EX_USAGE;
	}
	if (wants_help(argc, argv)) {
		print_cmd_help(cmd);
		return 0;
	}
	ctx.cmd = cmd;
	/* --now is global, but people also write it after the verb: take it
	 * from there too, and leave the command its other arguments. */
	{
		int i, k = 1;
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--") == 0) {
				while (i < argc)
					argv[k++] = argv[i++];
				break;
			}
			if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
				setenv("DUNMAIL_NOW", argv[++i], 1);
				continue;
			}
			if (strncmp(argv[i], "--now=", 6) == 0) {
				setenv("DUNMAIL_NOW", argv[i] + 6, 1);
				continue;
			}
			argv[k++] = argv[i];
		}
		argc = k;
		argv[argc] = NULL;
	}
	now_text = getenv("DUNMAIL_NOW");
	if (now_text && *now_text) {
		if (dun_time_parse(&ctx.now, now_text) < 0) {
			fprintf(stderr, "dunmail: --now: %s\n",
			    dun_error_last());
			return EX_USAGE;
		}
		ctx.now_given = 1;
	} else
		ctx.now = (dun_time_t)time(NULL);
	cli_getopt_reset();
	rc = cmd->run(&ctx, argc, argv);
	dun_store_close(ctx.store);
	dun_config_free(ctx.cfg);
	return rc;
}
