/* dunmail lint: every problem in config, templates and rules, as
 * FILE:LINE: what is wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/config/config.h"
#include "dunmail/mail/render.h"
#include "dunmail/reply/classify.h"

/* Every rules file: bad patterns, classes, weights, duplicate ids. */
static void
lint_rules(const struct dun_config *cfg, struct dun_diags *diags)
{
	struct dun_rules *rules = NULL;
	char *dir = xasprintf("%s/rules", cfg->templates_dir);

	(void)dun_rules_load(&rules, dir, diags);
	dun_rules_free(rules);
	free(dir);
}

/* The templates directory, named where the config set it: a missing one
 * would otherwise show as a list of missing templates. Returns 0 if it
 * can be read. */
static int
lint_templates_dir(const struct dun_config *cfg, const char *path,
    struct dun_diags *diags)
{
	char *probe = xasprintf("%s/mail/.", cfg->templates_dir), *shipped;
	int line, err;

	if (access(probe, R_OK | X_OK) == 0) {
		free(probe);
		return 0;
	}
	err = errno;
	free(probe);
	shipped = dun_config_templates_dir();
	if ((line = dun_config_key_line(cfg, "templates", "dir")) > 0)
		dun_diags_add(diags, path, line, "[templates] dir %s cannot "
		    "be read, or has no mail/ folder: %s (the templates "
		    "shipped with dunmail are in %s)", cfg->templates_dir,
		    strerror(err), shipped);
	else
		dun_diags_add(diags, path, 0, "[templates] dir is not set, "
		    "and the default %s cannot be read or has no mail/ "
		    "folder: %s; set it, e.g. dir = %s", cfg->templates_dir,
		    strerror(err), shipped);
	free(shipped);
	return -1;
}

int
cmd_lint(struct cli_ctx *ctx, int argc, char **argv)
{
	struct dun_diags diags = { 0 };
	struct dun_config *cfg = NULL;
	char *path;
	int rc;

	if (argc > 1)
		return cli_usage("lint");
	(void)argv;
	if ((path = dun_config_find(ctx->config_path)) == NULL) {
		fprintf(stderr, "dunmail: no config file to check; run "
		    "`dunmail init` or give -c FILE\n");
		return EX_CONFIG;
	}
	/* A config with problems still gives the templates and rules to
	 * check (defaults stand in for what it got wrong), so that one run
	 * reports everything. */
	rc = dun_config_load_partial(&cfg, path, &diags);
	if (rc < 0 && diags.count == 0)
		dun_diags_add(&diags, path, 0, "%s", dun_error_last());
	if (cfg && lint_templates_dir(cfg, path, &diags) == 0) {
		dun_render_lint(cfg, &diags);
		lint_rules(cfg, &diags);
	}
	dun_diags_print(&diags);
	/* Not a problem, but a choice a person should know they made. */
	if (cfg && (cfg->inbound_authserv_id == NULL ||
	    *cfg->inbound_authserv_id == '\0'))
		printf("%s: note: [inbound] authserv_id is not set: a reply "
		    "from a debtor's contact address is believed on its From "
		    "line alone, which anyone can forge; set it to your "
		    "receiving server's Authentication-Results id "
		    "(docs/inbound.md)\n", path);
	if (diags.count == 0)
		printf("%s: ok\n", path);
	rc = diags.count ? EX_CONFIG : 0;
	dun_diags_free(&diags);
	dun_config_free(cfg);
	free(path);
	return rc;
}
