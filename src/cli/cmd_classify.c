/* dunmail classify [--json] [--tz ZONE] [--locale L] [--rules DIR] FILE...
 * The inbound pipeline without the store: parse, strip, detect, classify.
 * The JSON lines are a contract; see docs/classify.md. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dunmail/core/json.h"
#include "dunmail/parse/parse.h"
#include "dunmail/reply/classify.h"

#define CLASSIFY_MAX_FILE ((32u << 20) + 1)

struct classify_opts {
	int json;
	const char *tz;
	const char *locale;
};

static int
is_dir(const char *path)
{
	char *probe = xasprintf("%s/.", path);
	int ok = access(probe, R_OK | X_OK) == 0;

	free(probe);
	return ok;
}

/* --rules, the config's templates, the source tree, next to the binary,
 * the installed data. Caller frees. */
static char *
rules_dir(struct cli_ctx *ctx, const char *given, int *rc)
{
	char exe[PATH_MAX], *cfgpath, *dir, *slash;
	const char *env;
	ssize_t n;

	*rc = 0;
	if (given)
		return xstrdup(given);
	if ((cfgpath = dun_config_find(ctx->config_path)) != NULL) {
		free(cfgpath);
		if ((*rc = cli_config(ctx)) != 0)
			return NULL;
		return xasprintf("%s/rules", ctx->cfg->templates_dir);
	}
	if ((env = getenv("DUNMAIL_SOURCE_DIR")) && *env) {
		dir = xasprintf("%s/templates/rules", env);
		if (is_dir(dir))
			return dir;
		free(dir);
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		static const char *const rel[] = { "../templates/rules",
			"../../templates/rules", "../share/dunmail/templates/rules" };
		size_t k;
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (k = 0; k < DUN_ARRAY_SIZE(rel); k++) {
			dir = xasprintf("%s/%s", exe, rel[k]);
			if (is_dir(dir))
				return dir;
			free(dir);
		}
	}
	dir = xasprintf("%s/templates/rules", DUNMAIL_DATADIR);
	if (is_dir(dir))
		return dir;
	free(dir);
	return xasprintf("%s/templates/rules", DUNMAIL_SOURCE_DIR);
}

static void
print_json(struct dun_buf *b, const char *file,
    const struct dun_classification *c, const char *error)
{
	struct dun_buf inv = DUN_BUF_INIT;
	char date[11], amount[32];
	size_t i;

	dun_buf_clear(b);
	dun_json_open(b);
	dun_json_str(b, "file", file);
	dun_json_str(b, "class", dun_class_name(c->cls));
	dun_json_double(b, "confidence", c->confidence);
	if (c->promised_on != DUN_DATE_NONE) {
		dun_date_format(date, c->promised_on);
		dun_json_str(b, "promised_date", date);
	} else
		dun_json_strn(b, "promised_date", NULL);
	if (c->amount_minor >= 0) {
		snprintf(amount, sizeof(amount), "%lld.%02lld",
		    (long long)(c->amount_minor / 100),
		    (long long)(c->amount_minor % 100));
		dun_json_str(b, "amount", amount);
	} else
		dun_json_strn(b, "amount", NULL);
	dun_json_strn(b, "currency", c->currency[0] ? c->currency : NULL);
	dun_buf_puts(&inv, "[");
	for (i = 0; i < c->ninvoices; i++) {
		dun_buf_puts(&inv, i ? ",\"" : "\"");
		dun_json_escape(&inv, c->invoices[i]);
		dun_buf_puts(&inv, "\"");
	}
	dun_buf_puts(&inv, "]");
	dun_json_raw(b, "invoices", inv.data);
	dun_json_str(b, "rule", c->rule ? c->rule : "");
	dun_json_str(b, "evidence", c->evidence ? c->evidence : "");
	dun_json_str(b, "language", c->language[0] ? c->language : "en");
	dun_json_bool(b, "date_ambiguous", c->date_ambiguous);
	dun_json_strn(b, "candidates", c->candidates && *c->candidates ?
	    c->candidates : NULL);
	if (error)
		dun_json_str(b, "error", error);
	dun_json_close(b);
	dun_buf_puts(b, "\n");
	fwrite(b->data, 1, b->len, stdout);
	dun_buf_free(&inv);
}

static void
print_text(const char *file, const struct dun_classification *c,
    const char *error)
{
	char date[11];
	size_t i;

	printf("%s: %s %.2f", file, dun_class_name(c->cls), c->confidence);
	if (c->rule && *c->rule)
		printf(" [%s]", c->rule);
	if (c->evidence && *c->evidence)
		printf(" \"%s\"", c->evidence);
	if (c->promised_on != DUN_DATE_NONE) {
		dun_date_format(date, c->promised_on);
		printf(" date=%s", date);
	} else if (c->date_ambiguous)
		printf(" date=ambiguous");
	if (c->amount_minor >= 0)
		printf(" amount=%lld.%02lld %s",
		    (long long)(c->amount_minor / 100),
		    (long long)(c->amount_minor % 100), c->currency);
	for (i = 0; i < c->ninvoices; i++)
		printf("%s%s", i ? "," : " invoices=", c->invoices[i]);
	if (c->candidates && *c->candidates)
		printf(" candidates=\"%s\"", c->candidates);
	if (error)
		printf(" error=\"%s\"", error);
	printf(" lang=%s\n", c->language);
}

static void
unknown_result(struct dun_classification *c)
{
	memset(c, 0, sizeof(*c));
	c->cls = DUN_CLASS_UNKNOWN;
	c->rule = xstrdup("error");
	c->evidence = xstrdup("");
	c->candidates = xstrdup("");
	c->promised_on = DUN_DATE_NONE;
	c->amount_minor = -1;
	memcpy(c->language, "en", 3);
}

/* One file; returns -1 if it could not be read. */
static int
classify_one(const struct dun_rules *rules, const struct classify_opts *o,
    const char *path, struct dun_buf *out)
{
	struct dun_parse_opts popts;
	struct dun_parsed *p = NULL;
	struct dun_classification c;
	char *data = NULL, *error = NULL;
	size_t len = 0;
	int rc, ret = 0;

	memset(&popts, 0, sizeof(popts));
	memset(&c, 0, sizeof(c));
	if ((rc = dun_file_read(&data, &len, path, CLASSIFY_MAX_FILE)) < 0) {
		error = xstrdup(dun_error_last());
		ret = -1;
	} else if ((rc = dun_parse_message(&p, data, len, &popts)) < 0 ||
	    p == NULL)
		error = xstrdup(dun_error_last());
	else if (p->parse_error && (p->text == NULL || *p->text == '\0'))
		error = xstrdup(p->error && *p->error ? p->error :
		    "the MIME structure is broken");
	if (error == NULL &&
	    dun_classify(&c, rules, p, o->tz, o->locale) < 0) {
		dun_classification_clear(&c);
		error = xstrdup(dun_error_last());
	}
	if (error)
		unknown_result(&c);
	if (o->json)
		print_json(out, path, &c, error);
	else
		print_text(path, &c, error);
	dun_classification_clear(&c);
	dun_parsed_free(p);
	free(data);
	free(error);
	return ret;
}

int
cmd_classify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "tz", required_argument, NULL, 't' },
		{ "locale", required_argument, NULL, 'l' },
		{ "rules", required_argument, NULL, 'r' },
		{ "files-from", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct classify_opts o = { 0, NULL, NULL };
	struct dun_diags diags = { 0 };
	struct dun_rules *rules = NULL;
	struct dun_buf out = DUN_BUF_INIT;
	const char *given_rules = NULL, *files_from = NULL;
	char *dir = NULL, *line = NULL;
	size_t linecap = 0;
	ssize_t n;
	FILE *list = NULL;
	int ch, rc, failed = 0, i;

	while ((ch = getopt_long(argc, argv, "jt:l:r:f:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': o.json = 1; break;
		case 't': o.tz = optarg; break;
		case 'l': o.locale = optarg; break;
		case 'r': given_rules = optarg; break;
		case 'f': files_from = optarg; break;
		default: return cli_usage("classify");
		}
	}
	if (optind == argc && files_from == NULL)
		return cli_usage("classify");
	if (o.tz && !dun_tz_valid(o.tz)) {
		fprintf(stderr, "dunmail: unknown time zone '%s' (an IANA name "
		    "such as Europe/London)\n", o.tz);
		return EX_USAGE;
	}
	if ((dir = rules_dir(ctx, given_rules, &rc)) == NULL)
		return rc;
	if ((rc = dun_rules_load(&rules, dir, &diags)) < 0) {
		dun_diags_print(&diags);
		fprintf(stderr, "dunmail: the rules in %s do not load; "
		    "`dunmail lint` lists every problem\n", dir);
		dun_diags_free(&diags);
		free(dir);
		return EX_CONFIG;
	}
	dun_diags_free(&diags);
	free(dir);

	for (i = optind; i < argc; i++)
		if (classify_one(rules, &o, argv[i], &out) < 0)
			failed++;
	if (files_from) {
		list = strcmp(files_from, "-") == 0 ? stdin :
		    fopen(files_from, "r");
		if (list == NULL) {
			fprintf(stderr, "dunmail: %s: cannot open the list\n",
			    files_from);
			failed++;
		}
		while (list && (n = getline(&line, &linecap, list)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' ||
			    line[n - 1] == '\r'))
				line[--n] = '\0';
			if (n > 0 && classify_one(rules, &o, line, &out) < 0)
				failed++;
		}
		if (list && list != stdin)
			fclose(list);
	}
	fflush(stdout);
	free(line);
	dun_buf_free(&out);
	dun_rules_free(rules);
	return failed ? EX_NOINPUT : 0;
}
