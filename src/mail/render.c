/*
 * Templates to subject, text and HTML; see render.h and docs/templates.md.
 *
 * One checker reads a template for both `dunmail lint` and rendering, so
 * a template that lints clean renders, and one that does not fails with
 * the same file:line message instead of sending something half filled.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmark.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/core/money.h"
#include "dunmail/mail/render.h"

#define SUBJECT_PREFIX "Subject: "
#define OPEN_MARK "{{#invoices}}"
#define CLOSE_MARK "{{/invoices}}"
#define TEMPLATE_CAP (256u << 10)

static const char *const global_vars[] = {
	"debtor_name", "debtor_ref", "company_name", "sender_name",
	"sender_email", "sender_phone", "payment_instructions", "total_open",
	"invoice_count", "invoice_numbers", "today", "case_token",
	"promised_date", "promised_amount", "final_deadline", "next_step",
};

static const char *const invoice_vars[] = {
	"invoice_number", "issue_date", "due_date", "amount", "open_amount",
	"days_overdue", "days_until_due", "pdf_name",
};

/* Every template a configured policy may send, besides the stages. */
static const char *const answer_templates[] = {
	"promise_confirm", "promise_broken", "dispute_ack", "hardship_offer",
	"invoice_copy",
};

static int
in_list(const char *const *list, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0)
			return 1;
	return 0;
}

/* --- the checker ------------------------------------------------------ */

struct line {
	const char *s;
	size_t len;
};

/* Splits at LF (a CR before it is dropped). A final LF ends the last
 * line rather than starting an empty one. */
static struct line *
split_lines(const char *src, size_t len, size_t *n_out)
{
	struct line *lines = NULL;
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && src[i] != '\n')
			continue;
		if (i == len && start == len && n > 0)
			break;
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		lines[n].s = src + start;
		lines[n].len = i - start;
		if (lines[n].len && lines[n].s[lines[n].len - 1] == '\r')
			lines[n].len--;
		n++;
		start = i + 1;
	}
	*n_out = n;
	return lines;
}

static int
line_is(const struct line *l, const char *text)
{
	return l->len == strlen(text) && memcmp(l->s, text, l->len) == 0;
}

static int
line_has(const struct line *l, const char *text)
{
	return memmem(l->s, l->len, text, strlen(text)) != NULL;
}

/* Checks the variables of one line; returns the problems added. */
static int
check_vars(struct dun_diags *diags, const char *label, int lineno,
    const char *s, size_t len, int in_section, int subject)
{
	const char *p = s, *end = s + len, *open, *close;
	int problems = 0;

	while ((open = memmem(p, (size_t)(end - p), "{{", 2)) != NULL) {
		size_t n;
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (close == NULL) {
			dun_diags_add(diags, label, lineno, "'{{' without a "
			    "closing '}}'");
			return problems + 1;
		}
		n = (size_t)(close - open - 2);
		if (n && (open[2] == '#' || open[2] == '/')) {
			dun_diags_add(diags, label, lineno, subject ? "the "
			    "subject cannot contain the invoice section" :
			    "a section marker must be alone on its line");
			problems++;
		} else if (in_list(invoice_vars, DUN_ARRAY_SIZE(invoice_vars),
		    open + 2, n)) {
			if (!in_section) {
				dun_diags_add(diags, label, lineno,
				    "per-invoice variable '%.*s' outside "
				    "{{#invoices}}", (int)n, open + 2);
				problems++;
			}
		} else if (!in_list(global_vars, DUN_ARRAY_SIZE(global_vars),
		    open + 2, n)) {
			dun_diags_add(diags, label, lineno, "unknown variable "
			    "'%.*s'", (int)n, open + 2);
			problems++;
		}
		p = close + 2;
	}
	return problems;
}

int
dun_render_lint_source(struct dun_diags *diags, const char *label,
    const char *src, size_t len)
{
	struct line *lines;
	size_t n, i;
	int problems = 0, section_line = 0;

	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0) {
		dun_diags_add(diags, label, 1, "remove the byte-order mark");
		return 1;
	}
	if (!dun_utf8_valid(src, len)) {
		dun_diags_add(diags, label, 0, "not valid UTF-8");
		return 1;
	}
	lines = split_lines(src, len, &n);
	if (n == 0 || lines[0].len < strlen(SUBJECT_PREFIX) ||
	    memcmp(lines[0].s, SUBJECT_PREFIX, strlen(SUBJECT_PREFIX)) != 0) {
		dun_diags_add(diags, label, 1, "line 1 must be 'Subject: ...'");
		problems++;
	} else
		problems += check_vars(diags, label, 1, lines[0].s,
		    lines[0].len, 0, 1);
	if (n < 2 || lines[1].len != 0) {
		dun_diags_add(diags, label, 2, "line 2 must be empty");
		problems++;
	}
	for (i = 2; i < n; i++) {
		int lineno = (int)i + 1;
		if (line_is(&lines[i], OPEN_MARK)) {
			if (section_line) {
				dun_diags_add(diags, label, lineno, "sections "
				    "cannot be nested (the one on line %d is "
				    "still open)", section_line);
				problems++;
			}
			section_line = lineno;
			continue;
		}
		if (line_is(&lines[i], CLOSE_MARK)) {
			if (!section_line) {
				dun_diags_add(diags, label, lineno,
				    "{{/invoices}} without {{#invoices}}");
				problems++;
			}
			section_line = 0;
			continue;
		}
		if (line_has(&lines[i], "{{#") || line_has(&lines[i], "{{/")) {
			dun_diags_add(diags, label, lineno, "a section marker "
			    "must be alone on its line");
			problems++;
			continue;
		}
		problems += check_vars(diags, label, lineno, lines[i].s,
		    lines[i].len, section_line != 0, 0);
	}
	if (section_line) {
		dun_diags_add(diags, label, section_line, "{{#invoices}} is "
		    "never closed");
		problems++;
	}
	free(lines);
	return problems;
}

/* --- values ----------------------------------------------------------- */

static const char *const months_en[] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };

void
dun_render_date(char *out, size_t outlen, dun_date_t date, const char *lang)
{
	int y, m, d;

	if (date == DUN_DATE_NONE) {
		snprintf(out, outlen, "%s", "");
		return;
	}
	dun_date_to_ymd(date, &y, &m, &d);
	if (lang && strcmp(lang, "zh") == 0)
		snprintf(out, outlen, "%d年%d月%d日", y, m, d);
	else
		snprintf(out, outlen, "%d %s %d", d, months_en[m - 1], y);
}

struct render_ctx {
	const struct dun_config *cfg;
	const struct dun_render_vars *vars;
	const char *lang;
	char *total_open;      /* owned */
	char *invoice_numbers; /* owned */
	char count[24];
	char today[64];
	char token[64];
	char promised_date[64];
	char promised_amount[64];
	char final_deadline[64];
};

static char *
total_open(const struct dun_render_vars *v, const char *lang)
{
	const char *cur[16];
	int64_t sum[16];
	size_t ncur = 0, i, j;
	struct dun_buf b = DUN_BUF_INIT;
	char amount[64];
	int zh = lang && strcmp(lang, "zh") == 0;

	for (i = 0; i < v->ninvoices; i++) {
		for (j = 0; j < ncur; j++)
			if (strcmp(cur[j], v->invoices[i].currency) == 0)
				break;
		if (j == ncur) {
			if (ncur == DUN_ARRAY_SIZE(cur))
				continue;
			cur[ncur] = v->invoices[i].currency;
			sum[ncur++] = 0;
		}
		sum[j] += v->invoices[i].open_minor;
	}
	dun_buf_puts(&b, "");
	for (i = 0; i < ncur; i++) {
		dun_money_format(amount, sizeof(amount), sum[i], cur[i], lang);
		if (i > 0)
			dun_buf_puts(&b, i + 1 == ncur ?
			    (zh ? " 及 " : " and ") : (zh ? "、" : ", "));
		dun_buf_puts(&b, amount);
	}
	return dun_buf_detach(&b, NULL);
}

static void
ctx_init(struct render_ctx *ctx, const struct dun_config *cfg,
    const char *lang, const struct dun_render_vars *v)
{
	struct dun_buf nums = DUN_BUF_INIT;
	size_t i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->vars = v;
	ctx->lang = lang;
	ctx->total_open = total_open(v, lang);
	dun_buf_puts(&nums, "");
	for (i = 0; i < v->ninvoices; i++)
		dun_buf_printf(&nums, "%s%s", i ? ", " : "",
		    v->invoices[i].number);
	ctx->invoice_numbers = dun_buf_detach(&nums, NULL);
	snprintf(ctx->count, sizeof(ctx->count), "%zu", v->ninvoices);
	dun_render_date(ctx->today, sizeof(ctx->today), v->today, lang);
	snprintf(ctx->token, sizeof(ctx->token), "[ref:%s]",
	    v->token ? v->token : "");
	dun_render_date(ctx->promised_date, sizeof(ctx->promised_date),
	    v->promised_on, lang);
	if (v->promised_minor >= 0 && v->ninvoices > 0)
		dun_money_format(ctx->promised_amount,
		    sizeof(ctx->promised_amount), v->promised_minor,
		    v->invoices[0].currency, lang);
	else
		snprintf(ctx->promised_amount, sizeof(ctx->promised_amount),
		    "%s", ctx->total_open);
	dun_render_date(ctx->final_deadline, sizeof(ctx->final_deadline),
	    v->final_deadline, lang);
}

static void
ctx_free(struct render_ctx *ctx)
{
	free(ctx->total_open);
	free(ctx->invoice_numbers);
}

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* The value of a variable; buf holds computed per-invoice values. */
static const char *
value_of(const struct render_ctx *ctx, const char *name, size_t len,
    const struct dun_render_invoice *inv, char *buf, size_t buflen)
{
	const struct dun_config *cfg = ctx->cfg;
	const struct dun_render_vars *v = ctx->vars;
	char name0[32];

	snprintf(name0, sizeof(name0), "%.*s", (int)len, name);
#define IS(s) (strcmp(name0, (s)) == 0)
	if (IS("debtor_name")) return nz(v->debtor_name);
	if (IS("debtor_ref")) return nz(v->debtor_ref);
	if (IS("company_name")) return nz(cfg->company);
	if (IS("sender_name")) return nz(cfg->sender_name);
	if (IS("sender_email")) return nz(cfg->sender_email);
	if (IS("sender_phone")) return nz(cfg->sender_phone);
	if (IS("payment_instructions")) return nz(cfg->payment_instructions);
	if (IS("total_open")) return ctx->total_open;
	if (IS("invoice_count")) return ctx->count;
	if (IS("invoice_numbers")) return ctx->invoice_numbers;
	if (IS("today")) return ctx->today;
	if (IS("case_token")) return ctx->token;
	if (IS("promised_date")) return ctx->promised_date;
	if (IS("promised_amount")) return ctx->promised_amount;
	if (IS("final_deadline")) return ctx->final_deadline;
	if (IS("next_step"))
		return nz(strcmp(ctx->lang, "zh") == 0 ? cfg->next_step_zh :
		    cfg->next_step_en);
	if (inv == NULL)
		return NULL;
	if (IS("invoice_number")) return nz(inv->number);
	if (IS("pdf_name")) return nz(inv->pdf_name);
	if (IS("issue_date") || IS("due_date")) {
		dun_render_date(buf, buflen, IS("due_date") ? inv->due_date :
		    inv->issue_date, ctx->lang);
		return buf;
	}
	if (IS("amount") || IS("open_amount")) {
		dun_money_format(buf, buflen, IS("amount") ? inv->amount_minor :
		    inv->open_minor, inv->currency, ctx->lang);
		return buf;
	}
	if (IS("days_overdue") || IS("days_until_due")) {
		long days = IS("days_overdue") ? (long)(v->today -
		    inv->due_date) : (long)(inv->due_date - v->today);
		snprintf(buf, buflen, "%ld", days > 0 ? days : 0);
		return buf;
	}
#undef IS
	return NULL;
}

/*
 * Appends a value. In the Markdown that becomes HTML every ASCII
 * punctuation character is backslash-escaped, so a name such as
 * "<script>" or "*x*" stays literal text; the plain part gets the value
 * as it is. Line breaks never survive in a value: they would end a list
 * item or, in the subject, a header. payment_instructions is Markdown by
 * definition and goes in unchanged.
 */
static void
put_value(struct dun_buf *out, const char *name, size_t len, const char *val,
    int html)
{
	const unsigned char *p;

	if (len == strlen("payment_instructions") &&
	    strncmp(name, "payment_instructions", len) == 0) {
		dun_buf_puts(out, val);
		return;
	}
	if (html)
		while (*val == ' ' || *val == '\t')
			val++;
	for (p = (const unsigned char *)val; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			dun_buf_puts(out, " ");
			continue;
		}
		if (html && *p < 0x80 && ispunct(*p))
			dun_buf_puts(out, "\\");
		dun_buf_add(out, p, 1);
	}
}

static void
expand_line(struct dun_buf *out, const struct render_ctx *ctx,
    const char *s, size_t len, const struct dun_render_invoice *inv, int html)
{
	const char *p = s, *end = s + len, *open, *close, *val;
	char buf[128];

	while ((open = memmem(p, (size_t)(end - p), "{{", 2)) != NULL &&
	    (close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2)) !=
	    NULL) {
		dun_buf_add(out, p, (size_t)(open - p));
		val = value_of(ctx, open + 2, (size_t)(close - open - 2), inv,
		    buf, sizeof(buf));
		put_value(out, open + 2, (size_t)(close - open - 2),
		    val ? val : "", html);
		p = close + 2;
	}
	dun_buf_add(out, p, (size_t)(end - p));
}

static char *
render_body(const struct render_ctx *ctx, const struct line *lines,
    size_t n, int html)
{
	struct dun_buf out = DUN_BUF_INIT;
	size_t i, j, k, close;

	dun_buf_puts(&out, "");
	for (i = 2; i < n; i++) {
		if (!line_is(&lines[i], OPEN_MARK)) {
			expand_line(&out, ctx, lines[i].s, lines[i].len, NULL,
			    html);
			dun_buf_puts(&out, "\n");
			continue;
		}
		for (close = i + 1; close < n &&
		    !line_is(&lines[close], CLOSE_MARK); close++)
			;
		for (k = 0; k < ctx->vars->ninvoices; k++)
			for (j = i + 1; j < close; j++) {
				expand_line(&out, ctx, lines[j].s, lines[j].len,
				    &ctx->vars->invoices[k], html);
				dun_buf_puts(&out, "\n");
			}
		i = close;
	}
	return dun_buf_detach(&out, NULL);
}

int
dun_render_source(struct dun_rendered *out, const struct dun_config *cfg,
    const char *lang, const char *label, const char *src, size_t len,
    const struct dun_render_vars *vars)
{
	struct dun_diags diags = { 0 };
	struct render_ctx ctx;
	struct dun_buf subject = DUN_BUF_INIT, html = DUN_BUF_INIT;
	struct line *lines;
	char *md, *body;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (dun_render_lint_source(&diags, label, src, len) > 0) {
		rc = dun_error_set(DUN_EPARSE, "%s:%d: %s (run `dunmail lint`)",
		    diags.items[0].file, diags.items[0].line,
		    diags.items[0].msg);
		dun_diags_free(&diags);
		return rc;
	}
	lines = split_lines(src, len, &n);
	ctx_init(&ctx, cfg, lang, vars);
	expand_line(&subject, &ctx, lines[0].s + strlen(SUBJECT_PREFIX),
	    lines[0].len - strlen(SUBJECT_PREFIX), NULL, 0);
	out->subject = dun_buf_detach(&subject, NULL);
	out->text = render_body(&ctx, lines, n, 0);
	md = render_body(&ctx, lines, n, 1);
	/* cmark 0.30 drops raw HTML unless told CMARK_OPT_UNSAFE. */
	body = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_DEFAULT |
	    CMARK_OPT_SAFE);
	if (body == NULL)
		fatalx("cmark: out of memory");
	dun_buf_printf(&html, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n</head>\n<body>\n%s</body>\n</html>\n",
	    lang, body);
	out->html = dun_buf_detach(&html, NULL);
	out->names_pdf = memmem(src, len, "{{pdf_name}}", 12) != NULL;
	free(body);
	free(md);
	free(lines);
	ctx_free(&ctx);
	return 0;
}

char *
dun_render_path(const struct dun_config *cfg, const char *lang,
    const char *name)
{
	return xasprintf("%s/mail/%s/%s.md", cfg->templates_dir, lang, name);
}

/* A language tag is a short lowercase code; anything else would let a
 * ledger value walk the file system. */
static int
lang_ok(const char *lang)
{
	size_t i;

	if (lang == NULL || *lang == '\0' || strlen(lang) > 16)
		return 0;
	for (i = 0; lang[i]; i++)
		if (!islower((unsigned char)lang[i]) && lang[i] != '-' &&
		    lang[i] != '_')
			return 0;
	return 1;
}

int
dun_render(struct dun_rendered *out, const struct dun_config *cfg,
    const char *lang, const char *name, const struct dun_render_vars *vars)
{
	const char *tries[3] = { lang, cfg->language, "en" };
	char *path = NULL, *src = NULL;
	size_t len, i;
	int rc = DUN_ENOTFOUND;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < DUN_ARRAY_SIZE(tries); i++) {
		if (!lang_ok(tries[i]))
			continue;
		free(path);
		path = dun_render_path(cfg, tries[i], name);
		if (access(path, F_OK) < 0)
			continue;
		if ((rc = dun_file_read(&src, &len, path, TEMPLATE_CAP)) < 0)
			goto cleanup;
		rc = dun_render_source(out, cfg, tries[i], path, src, len,
		    vars);
		goto cleanup;
	}
	rc = dun_error_set(DUN_ENOTFOUND, "no template '%s' for language "
	    "'%s' (nor %s, nor en) under %s/mail", name, lang ? lang : "",
	    cfg->language, cfg->templates_dir);
cleanup:
	free(src);
	free(path);
	return rc;
}

void
dun_rendered_free(struct dun_rendered *r)
{
	if (r == NULL)
		return;
	free(r->subject);
	free(r->text);
	free(r->html);
	memset(r, 0, sizeof(*r));
}

/* --- lint --------------------------------------------------------------- */

/* Paths under the config's directory are shown relative to it, as an
 * editor opened there wants them. */
static const char *
shown(const struct dun_config *cfg, const char *path)
{
	size_t n = strlen(cfg->dir);

	if (n > 1 && strncmp(path, cfg->dir, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static int
lint_file(struct dun_diags *diags, const struct dun_config *cfg,
    const char *path)
{
	char *src = NULL;
	size_t len;
	int problems;

	if (dun_file_read(&src, &len, path, TEMPLATE_CAP) < 0) {
		dun_diags_add(diags, shown(cfg, path), 0, "%s",
		    dun_error_last());
		return 1;
	}
	problems = dun_render_lint_source(diags, shown(cfg, path), src, len);
	free(src);
	return problems;
}

static int
require(struct dun_diags *diags, const struct dun_config *cfg,
    const char *lang, const char *name, const char *why)
{
	char *path = dun_render_path(cfg, lang, name);
	int missing = access(path, R_OK) < 0;

	if (missing)
		dun_diags_add(diags, shown(cfg, path), 0, "missing: %s needs "
		    "template '%s' "
		    "in language '%s'", why, name, lang);
	free(path);
	return missing;
}

int
dun_render_lint(const struct dun_config *cfg, struct dun_diags *diags)
{
	const char *langs[3] = { "en", "zh", cfg->language };
	char *mail = xasprintf("%s/mail", cfg->templates_dir), *dir, *path;
	struct dirent **langdirs = NULL, **files = NULL;
	size_t i, l;
	int problems = 0, nl, nf, a, b;

	/* Sorted, so that lint prints the same problems in the same order. */
	if ((nl = scandir(mail, &langdirs, NULL, alphasort)) < 0) {
		dun_diags_add(diags, mail, 0, "cannot read the template "
		    "directory: %s", strerror(errno));
		free(mail);
		return 1;
	}
	for (a = 0; a < nl; a++) {
		if (langdirs[a]->d_name[0] == '.')
			goto next_lang;
		dir = xasprintf("%s/%s", mail, langdirs[a]->d_name);
		if ((nf = scandir(dir, &files, NULL, alphasort)) >= 0) {
			for (b = 0; b < nf; b++) {
				size_t n = strlen(files[b]->d_name);
				if (files[b]->d_name[0] != '.' && n >= 4 &&
				    strcmp(files[b]->d_name + n - 3, ".md") ==
				    0) {
					path = xasprintf("%s/%s", dir,
					    files[b]->d_name);
					problems += lint_file(diags, cfg,
					    path);
					free(path);
				}
				free(files[b]);
			}
			free(files);
			files = NULL;
		}
		free(dir);
next_lang:
		free(langdirs[a]);
	}
	free(langdirs);
	free(mail);
	for (l = 0; l < DUN_ARRAY_SIZE(langs); l++) {
		if (l == 2 && (strcmp(langs[2], "en") == 0 ||
		    strcmp(langs[2], "zh") == 0))
			break;
		for (i = 0; i < cfg->policy.nstages; i++)
			problems += require(diags, cfg, langs[l],
			    cfg->policy.stages[i].template, "a policy stage");
		for (i = 0; i < DUN_ARRAY_SIZE(answer_templates); i++) {
			const char *name = answer_templates[i];
			if ((!strcmp(name, "promise_confirm") &&
			    !cfg->policy.send_promise_confirm) ||
			    (!strcmp(name, "dispute_ack") &&
			    !cfg->policy.send_dispute_ack) ||
			    (!strcmp(name, "hardship_offer") &&
			    !cfg->policy.send_hardship_offer))
				continue;
			problems += require(diags, cfg, langs[l], name,
			    "an automatic answer");
		}
	}
	return problems;
}
