/*
 * The command-line front end: one table of commands (commands.c), one
 * cmd_<verb>.c per subcommand, and the shared context they run in. Only
 * the CLI reads the clock: every command gets `now` from here.
 */
#ifndef DUNMAIL_CLI_H
#define DUNMAIL_CLI_H

#include <stdio.h>
#include <sysexits.h>

#include "dunmail/config/config.h"
#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/store/store.h"

struct cli_cmd;

struct cli_ctx {
	const struct cli_cmd *cmd; /* borrowed; the command running */
	const char *config_path; /* borrowed; -c, or NULL to search */
	struct dun_config *cfg;  /* owned; loaded by cli_config() */
	struct dun_store *store; /* owned; opened by cli_store() */
	dun_time_t now;          /* --now, DUNMAIL_NOW, or the clock */
	int now_given;
	int verbose;
};

/* The command may create the store when it does not exist (init, and
 * import, which fills it); every other command needs one. */
#define CLI_CREATES_STORE 0x1

struct cli_cmd {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	unsigned flags;      /* CLI_* */
	const char *summary; /* one line for --help */
	const char *usage;   /* "dunmail import invoices|payments FILE.csv" */
	const char *help;    /* paragraphs for `dunmail help VERB` */
};

extern const struct cli_cmd cli_cmds[];
extern const size_t cli_ncmds;

/* Loads the config (once); prints every problem and returns non-zero. */
int cli_config(struct cli_ctx *ctx);
/* Loads the config and opens the store (once). A missing store is
 * created only for a command with CLI_CREATES_STORE; otherwise it is
 * EX_NOINPUT with a message saying to run `dunmail init`. */
int cli_store(struct cli_ctx *ctx);
/* Prints the last error and maps a DUN_E* code to a sysexits code. */
int cli_fail(int rc);
int cli_exit_code(int rc);
/* Prints usage for cmd to stderr and returns EX_USAGE. */
int cli_usage(const char *cmd_name);
/* Resets getopt for a subcommand's own options. */
void cli_getopt_reset(void);

struct dun_outbox_transport;
struct dun_outbox_stats;
/* `send`'s lock on the store, and one pass of it (cmd_send.c), which
 * `run` repeats. */
int cli_send_lock(struct cli_ctx *ctx, int *fd_out);
int cli_send_pass(struct cli_ctx *ctx, struct dun_outbox_transport *tx,
	struct dun_outbox_stats *stats);

/* Each subcommand. */
int cmd_help(struct cli_ctx *ctx, int argc, char **argv);
int cmd_init(struct cli_ctx *ctx, int argc, char **argv);
int cmd_lint(struct cli_ctx *ctx, int argc, char **argv);
int cmd_import(struct cli_ctx *ctx, int argc, char **argv);
int cmd_cases(struct cli_ctx *ctx, int argc, char **argv);
int cmd_show(struct cli_ctx *ctx, int argc, char **argv);
int cmd_send(struct cli_ctx *ctx, int argc, char **argv);
int cmd_plan(struct cli_ctx *ctx, int argc, char **argv);
int cmd_preview(struct cli_ctx *ctx, int argc, char **argv);
int cmd_classify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_queue(struct cli_ctx *ctx, int argc, char **argv);
int cmd_resolve(struct cli_ctx *ctx, int argc, char **argv);
int cmd_verify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, int argc, char **argv);
int cmd_poll(struct cli_ctx *ctx, int argc, char **argv);
int cmd_deliver(struct cli_ctx *ctx, int argc, char **argv);

#endif
