/* dunmail lint: every problem in config, templates and rules, as
 * FILE:LINE: what is wrong. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "dunmail/classify.h"
#include "dunmail/config.h"
#include "dunmail/render.h"

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

int
cmd_lint(struct cli_ctx *ctx, int argc, char **argv)
{
	struct dun_diags diags = { 0 };
	struct dun_config *cfg = NULL;
	char *path;
	int rc;

	(void)argc;
	(void)argv;
	if ((path = dun_config_find(ctx->config_path)) == NULL) {
		fprintf(stderr, "dunmail: no config file to check; run "
		    "`dunmail init` or give -c FILE\n");
		return EX_CONFIG;
	}
	rc = dun_config_load(&cfg, path, &diags);
	if (rc < 0 && diags.count == 0)
		dun_diags_add(&diags, path, 0, "%s", dun_error_last());
	if (cfg) {
		/* Templates and rules are checked by their modules once they
		 * exist; see lint_hooks in this file's history. */
		dun_render_lint(cfg, &diags);
		lint_rules(cfg, &diags);
	}
	dun_diags_print(&diags);
	if (diags.count == 0)
		printf("%s: ok\n", path);
	rc = diags.count ? EX_CONFIG : 0;
	dun_diags_free(&diags);
	dun_config_free(cfg);
	free(path);
	return rc;
}
