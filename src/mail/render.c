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
#include <strings.h>
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
	"total_overdue", "overdue_numbers", "invoice_table", "legal_footer",
};

/* The invoice table goes alone on its line. */
#define TABLE_VAR "{{invoice_table}}"

/*
 * Blocks by where each invoice stands on the sending day: a block is
 * written once if the email has such an invoice, and inside it the
 * invoice section, total_open, invoice_count and invoice_numbers cover
 * those invoices only. So a letter never calls an invoice that is not
 * yet due overdue. An overdue invoice at an earlier stage than the
 * letter's (behind) is in also_overdue, where the template has that
 * block, so a "second reminder" or a final notice never speaks of
 * reminders it did not get.
 */
enum block { BLOCK_NONE = -1, BLOCK_OVERDUE, BLOCK_ALSO_OVERDUE,
	BLOCK_DUE_TODAY, BLOCK_COMING_DUE, BLOCK_COUNT };

static const char *const block_open[BLOCK_COUNT] = {
	"{{#overdue}}", "{{#also_overdue}}", "{{#due_today}}",
	"{{#coming_due}}",
};
static const char *const block_close[BLOCK_COUNT] = {
	"{{/overdue}}", "{{/also_overdue}}", "{{/due_today}}",
	"{{/coming_due}}",
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

#define FRONT_MARK "---"
#define REQUIRES_KEY "requires:"
#define MAX_REQUIRED 24

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

/*
 * The front matter: an optional "---" line first, "requires: a, b, ..."
 * (the values the template cannot go without), and "---". Returns the
 * index of the Subject line (0 without front matter), or -1 if the
 * front matter is never closed. names (may be NULL) receives up to
 * MAX_REQUIRED pointers into the lines with their lengths.
 */
static int
front_matter(const struct line *lines, size_t n, struct line *names,
    size_t *nnames)
{
	size_t i, k = 0;

	if (nnames)
		*nnames = 0;
	if (n == 0 || !line_is(&lines[0], FRONT_MARK))
		return 0;
	for (i = 1; i < n && !line_is(&lines[i], FRONT_MARK); i++) {
		const char *p = lines[i].s, *end = lines[i].s + lines[i].len;
		if (lines[i].len < strlen(REQUIRES_KEY) || memcmp(p,
		    REQUIRES_KEY, strlen(REQUIRES_KEY)) != 0)
			continue;
		p += strlen(REQUIRES_KEY);
		while (p < end) {
			const char *w;
			while (p < end && (*p == ' ' || *p == ','))
				p++;
			for (w = p; p < end && *p != ' ' && *p != ','; p++)
				;
			if (p > w && names && k < MAX_REQUIRED) {
				names[k].s = w;
				names[k].len = (size_t)(p - w);
				k++;
			}
		}
	}
	if (nnames)
		*nnames = k;
	return i < n ? (int)i + 1 : -1;
}

/* The block a line opens (close 0) or closes (close 1), or BLOCK_NONE. */
static enum block
block_marker(const struct line *l, int close)
{
	int b;

	for (b = 0; b < BLOCK_COUNT; b++)
		if (line_is(l, close ? block_close[b] : block_open[b]))
			return (enum block)b;
	return BLOCK_NONE;
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

/* The front matter's problems; *base gets the Subject line's index. */
static int
lint_front(struct dun_diags *diags, const char *label,
    const struct line *lines, size_t n, size_t *base)
{
	struct line names[MAX_REQUIRED];
	size_t nnames, i;
	int at = front_matter(lines, n, names, &nnames), problems = 0;

	*base = at > 0 ? (size_t)at : 0;
	if (at < 0) {
		dun_diags_add(diags, label, 1, "the front matter opened by "
		    "'---' is never closed by another '---' line");
		return 1;
	}
	for (i = 1; at > 0 && i + 1 < (size_t)at; i++)
		if (lines[i].len && (lines[i].len < strlen(REQUIRES_KEY) ||
		    memcmp(lines[i].s, REQUIRES_KEY,
		    strlen(REQUIRES_KEY)) != 0)) {
			dun_diags_add(diags, label, (int)i + 1, "unknown "
			    "front matter line (only 'requires: NAME, ...')");
			problems++;
		}
	for (i = 0; i < nnames; i++)
		if (!in_list(global_vars, DUN_ARRAY_SIZE(global_vars),
		    names[i].s, names[i].len)) {
			dun_diags_add(diags, label, 0, "requires '%.*s', which "
			    "is not a global variable", (int)names[i].len,
			    names[i].s);
			problems++;
		}
	return problems;
}

int
dun_render_lint_source(struct dun_diags *diags, const char *label,
    const char *src, size_t len)
{
	struct line *lines;
	size_t n, i, base;
	int problems = 0, section_line = 0, block_line = 0;
	enum block block = BLOCK_NONE, bm;

	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0) {
		dun_diags_add(diags, label, 1, "remove the byte-order mark");
		return 1;
	}
	if (!dun_utf8_valid(src, len)) {
		dun_diags_add(diags, label, 0, "not valid UTF-8");
		return 1;
	}
	lines = split_lines(src, len, &n);
	if ((problems = lint_front(diags, label, lines, n, &base)) > 0) {
		free(lines);
		return problems;
	}
	if (n <= base || lines[base].len < strlen(SUBJECT_PREFIX) ||
	    memcmp(lines[base].s, SUBJECT_PREFIX,
	    strlen(SUBJECT_PREFIX)) != 0) {
		dun_diags_add(diags, label, (int)base + 1, "line %zu must be "
		    "'Subject: ...'", base + 1);
		problems++;
	} else if (line_has(&lines[base], TABLE_VAR)) {
		dun_diags_add(diags, label, (int)base + 1, "the subject cannot "
		    "contain %s", TABLE_VAR);
		problems++;
	} else
		problems += check_vars(diags, label, (int)base + 1,
		    lines[base].s, lines[base].len, 0, 1);
	if (n < base + 2 || lines[base + 1].len != 0) {
		dun_diags_add(diags, label, (int)base + 2, "line %zu must be "
		    "empty", base + 2);
		problems++;
	}
	for (i = base + 2; i < n; i++) {
		int lineno = (int)i + 1;
		if ((bm = block_marker(&lines[i], 0)) != BLOCK_NONE) {
			if (block_line || section_line) {
				dun_diags_add(diags, label, lineno, "%s inside "
				    "the block or section opened on line %d",
				    block_open[bm], block_line ? block_line :
				    section_line);
				problems++;
			}
			block = bm;
			block_line = lineno;
			continue;
		}
		if ((bm = block_marker(&lines[i], 1)) != BLOCK_NONE) {
			if (bm != block || section_line) {
				dun_diags_add(diags, label, lineno, "%s does "
				    "not close the innermost open block",
				    block_close[bm]);
				problems++;
			}
			block = BLOCK_NONE;
			block_line = 0;
			continue;
		}
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
		if (line_has(&lines[i], TABLE_VAR) && (section_line ||
		    !line_is(&lines[i], TABLE_VAR))) {
			dun_diags_add(diags, label, lineno, "%s must be alone "
			    "on its line, outside {{#invoices}}", TABLE_VAR);
			problems++;
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
	if (block_line) {
		dun_diags_add(diags, label, block_line, "%s is never closed",
		    block_open[block]);
		problems++;
	}
	free(lines);
	return problems;
}

/* --- values ----------------------------------------------------------- */

static const char *const months_en[] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };

/* zh and its scripts (zh-Hant): the same dates, amounts and lists. */
static int
lang_is_zh(const char *lang)
{
	return lang && strncmp(lang, "zh", 2) == 0 &&
	    (lang[2] == '\0' || lang[2] == '-');
}

const char *
dun_render_language(const char *language, const char *region)
{
	static const char *const hant[] = { "zh-tw", "zh-hk", "zh-mo",
		"zh-hant" };
	size_t i;

	if (!lang_is_zh(language))
		return language;
	for (i = 0; i < DUN_ARRAY_SIZE(hant); i++)
		if (strncasecmp(language, hant[i], strlen(hant[i])) == 0)
			return "zh-Hant";
	if (region && (strcasecmp(region, "TW") == 0 ||
	    strcasecmp(region, "HK") == 0 || strcasecmp(region, "MO") == 0))
		return "zh-Hant";
	return "zh";
}

void
dun_render_date(char *out, size_t outlen, dun_date_t date, const char *lang)
{
	int y, m, d;

	if (date == DUN_DATE_NONE) {
		snprintf(out, outlen, "%s", "");
		return;
	}
	dun_date_to_ymd(date, &y, &m, &d);
	if (lang_is_zh(lang))
		snprintf(out, outlen, "%d年%d月%d日", y, m, d);
	else
		snprintf(out, outlen, "%d %s %d", d, months_en[m - 1], y);
}

/* The HTML tables of one rendering, put in after cmark (which would
 * escape them): the Markdown carries a placeholder paragraph. */
struct render_tables {
	char **html;   /* owned */
	size_t n;
};

struct render_ctx {
	struct render_tables *tables; /* borrowed; shared by the blocks */
	const struct dun_config *cfg;
	const struct dun_render_vars *vars;
	const char *lang;      /* for values: "zh" for both scripts */
	int hant;              /* the template is Traditional Chinese */
	const char *tmpl_lang; /* the template's language, as given */
	char *total_open;      /* owned */
	char *total_overdue;   /* owned */
	char *invoice_numbers; /* owned */
	char *overdue_numbers; /* owned */
	char count[24];
	char today[64];
	char token[64];
	char promised_date[64];
	char promised_amount[64];
	char final_deadline[64];
};

static enum block
block_of(const struct dun_render_invoice *inv, dun_date_t today)
{
	return inv->due_date < today ? (inv->behind ? BLOCK_ALSO_OVERDUE :
	    BLOCK_OVERDUE) : inv->due_date == today ? BLOCK_DUE_TODAY : BLOCK_COMING_DUE;
}

/* The sum of the open amounts, one figure per currency, of the invoices
 * in block (BLOCK_NONE: all; BLOCK_OVERDUE: every overdue one, behind
 * or not). */
static char *
total_open(const struct dun_render_vars *v, const char *lang,
    enum block block)
{
	const char *cur[16];
	int64_t sum[16];
	size_t ncur = 0, i, j;
	struct dun_buf b = DUN_BUF_INIT;
	char amount[64];
	int zh = lang && strcmp(lang, "zh") == 0;

	for (i = 0; i < v->ninvoices; i++) {
		if (block == BLOCK_OVERDUE ? v->invoices[i].due_date >=
		    v->today : block != BLOCK_NONE &&
		    block_of(&v->invoices[i], v->today) != block)
			continue;
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
	const char *sep;
	size_t i;

	memset(ctx, 0, sizeof(*ctx));
	/* Values are formatted alike in both Chinese scripts. */
	ctx->hant = lang_is_zh(lang) && strcmp(lang, "zh") != 0;
	ctx->tmpl_lang = lang;
	lang = lang_is_zh(lang) ? "zh" : lang;
	ctx->cfg = cfg;
	ctx->vars = v;
	ctx->lang = lang;
	ctx->total_open = total_open(v, lang, BLOCK_NONE);
	ctx->total_overdue = total_open(v, lang, BLOCK_OVERDUE);
	/* Chinese lists with the enumeration comma. */
	sep = lang_is_zh(lang) ? "、" : ", ";
	dun_buf_puts(&nums, "");
	for (i = 0; i < v->ninvoices; i++)
		dun_buf_printf(&nums, "%s%s", i ? sep : "",
		    v->invoices[i].number);
	ctx->invoice_numbers = dun_buf_detach(&nums, NULL);
	dun_buf_puts(&nums, "");
	for (i = 0; i < v->ninvoices; i++)
		if (v->invoices[i].due_date < v->today)
			dun_buf_printf(&nums, "%s%s", nums.len ? sep : "",
			    v->invoices[i].number);
	ctx->overdue_numbers = dun_buf_detach(&nums, NULL);
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
	free(ctx->total_overdue);
	free(ctx->invoice_numbers);
	free(ctx->overdue_numbers);
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
#define SENDER(key) dun_config_sender(cfg, (key), ctx->tmpl_lang, \
	v->ninvoices ? v->invoices[0].currency : NULL)
	if (IS("debtor_name")) return nz(v->debtor_name);
	if (IS("debtor_ref")) return nz(v->debtor_ref);
	/* The sender's details in the letter's language (and for
	 * payment_instructions its currency), falling back to the plain
	 * keys: dun_config_sender(). */
	if (IS("company_name")) return nz(SENDER("company"));
	if (IS("sender_name")) return nz(SENDER("name"));
	if (IS("sender_email")) return nz(cfg->sender_email);
	if (IS("sender_phone")) return nz(SENDER("phone"));
	if (IS("payment_instructions"))
		return nz(SENDER("payment_instructions"));
	if (IS("legal_footer")) return nz(SENDER("legal"));
	if (IS("total_open")) return ctx->total_open;
	if (IS("total_overdue")) return ctx->total_overdue;
	if (IS("invoice_count")) return ctx->count;
	if (IS("invoice_numbers")) return ctx->invoice_numbers;
	if (IS("overdue_numbers")) return ctx->overdue_numbers;
	if (IS("today")) return ctx->today;
	if (IS("case_token")) return ctx->token;
	if (IS("promised_date")) return ctx->promised_date;
	if (IS("promised_amount")) return ctx->promised_amount;
	if (IS("final_deadline")) return ctx->final_deadline;
	if (IS("next_step")) return nz(SENDER("next_step"));
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
#undef SENDER
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
/*
 * The template's own text (and payment_instructions, Markdown by
 * definition). The HTML part's Markdown gets it as written; the plain
 * part is real plain text: no "**" emphasis markers and no backslash
 * escapes, which a mail reader would show as they are.
 */
static void
put_literal(struct dun_buf *out, const char *s, size_t len, int html)
{
	size_t i;

	if (html) {
		dun_buf_add(out, s, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
			i++;
			continue;
		}
		if (s[i] == '\\' && i + 1 < len &&
		    (unsigned char)s[i + 1] < 0x80 &&
		    ispunct((unsigned char)s[i + 1]))
			i++;
		dun_buf_add(out, s + i, 1);
	}
}

static void
put_value(struct dun_buf *out, const char *name, size_t len, const char *val,
    int html)
{
	const unsigned char *p;

	if ((len == strlen("payment_instructions") &&
	    strncmp(name, "payment_instructions", len) == 0) ||
	    (len == strlen("legal_footer") &&
	    strncmp(name, "legal_footer", len) == 0)) {
		put_literal(out, val, strlen(val), html);
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

static void put_table(struct dun_buf *out, const struct render_ctx *ctx,
    int html);

static void
expand_line(struct dun_buf *out, const struct render_ctx *ctx,
    const char *s, size_t len, const struct dun_render_invoice *inv, int html)
{
	const char *p = s, *end = s + len, *open, *close, *val;
	char buf[128];

	while ((open = memmem(p, (size_t)(end - p), "{{", 2)) != NULL &&
	    (close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2)) !=
	    NULL) {
		put_literal(out, p, (size_t)(open - p), html);
		if ((size_t)(close + 2 - open) == strlen(TABLE_VAR) &&
		    memcmp(open, TABLE_VAR, strlen(TABLE_VAR)) == 0) {
			put_table(out, ctx, html);
			p = close + 2;
			continue;
		}
		val = value_of(ctx, open + 2, (size_t)(close - open - 2), inv,
		    buf, sizeof(buf));
		put_value(out, open + 2, (size_t)(close - open - 2),
		    val ? val : "", html);
		p = close + 2;
	}
	put_literal(out, p, (size_t)(end - p), html);
}

static void render_lines(struct dun_buf *out, const struct render_ctx *ctx,
    const struct line *lines, size_t from, size_t to, int html);

/* Display width in a monospace font: East Asian wide characters (CJK,
 * full-width forms) take two cells. */
static size_t
cells(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	for (; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		w += (*p >= 0xe3 && *p <= 0xe9) || (*p == 0xef &&
		    (p[1] == 0xbc || p[1] == 0xbd)) ? 2 : 1;
	}
	return w;
}

static void
pad(struct dun_buf *out, size_t n)
{
	while (n--)
		dun_buf_puts(out, " ");
}

static void
html_text(struct dun_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			dun_buf_puts(out, "&lt;");
		else if (*s == '>')
			dun_buf_puts(out, "&gt;");
		else if (*s == '&')
			dun_buf_puts(out, "&amp;");
		else if (*s == '"')
			dun_buf_puts(out, "&quot;");
		else
			dun_buf_add(out, s, 1);
	}
}

#define TABLE_COLS 4

/* One invoice's cells: number, due date, where it stands, open amount. */
static void
table_row(char cell[TABLE_COLS][96], const struct render_ctx *ctx,
    const struct dun_render_invoice *inv)
{
	long days = (long)(ctx->vars->today - inv->due_date);
	int zh = strcmp(ctx->lang, "zh") == 0;

	snprintf(cell[0], sizeof(cell[0]), "%s", inv->number);
	dun_render_date(cell[1], sizeof(cell[1]), inv->due_date, ctx->lang);
	if (days > 0)
		snprintf(cell[2], sizeof(cell[2]), zh ? "已逾期 %ld 天" :
		    "%ld day%s overdue", days, days == 1 ? "" : "s");
	else if (days == 0)
		snprintf(cell[2], sizeof(cell[2]), "%s", zh ? "今日到期" :
		    "due today");
	else
		snprintf(cell[2], sizeof(cell[2]), zh ? (ctx->hant ?
		    "%ld 天後到期" : "%ld 天后到期") : "due in %ld day%s",
		    -days, days == -1 ? "" : "s");
	dun_money_format(cell[3], sizeof(cell[3]), inv->open_minor,
	    inv->currency, ctx->lang);
}

/*
 * {{invoice_table}}: the plain part gets columns aligned for a monospace
 * reader (the amount right-aligned), the HTML part a real table.
 */
static void
put_table(struct dun_buf *out, const struct render_ctx *ctx, int html)
{
	static const char *const head_en[TABLE_COLS] = { "Invoice",
		"Due date", "Status", "Open amount" };
	static const char *const head_zh[TABLE_COLS] = { "发票号", "到期日",
		"状态", "未付金额" };
	static const char *const head_hant[TABLE_COLS] = { "發票號碼",
		"到期日", "狀態", "未付金額" };
	const char *const *head = ctx->hant ? head_hant :
	    strcmp(ctx->lang, "zh") == 0 ? head_zh : head_en;
	const struct dun_render_vars *v = ctx->vars;
	char cell[TABLE_COLS][96];
	size_t width[TABLE_COLS], i, k;
	struct dun_buf t = DUN_BUF_INIT;

	if (html) {
		dun_buf_puts(&t, "<table style=\"border-collapse:collapse\">\n"
		    "<thead><tr>");
		for (k = 0; k < TABLE_COLS; k++)
			dun_buf_printf(&t, "<th style=\"text-align:%s;"
			    "padding:2px 12px 2px 0\">%s</th>", k + 1 ==
			    TABLE_COLS ? "right" : "left", head[k]);
		dun_buf_puts(&t, "</tr></thead>\n<tbody>\n");
		for (i = 0; i < v->ninvoices; i++) {
			table_row(cell, ctx, &v->invoices[i]);
			dun_buf_puts(&t, "<tr>");
			for (k = 0; k < TABLE_COLS; k++) {
				dun_buf_printf(&t, "<td style=\"text-align:%s;"
				    "padding:2px 12px 2px 0\">", k + 1 ==
				    TABLE_COLS ? "right" : "left");
				html_text(&t, cell[k]);
				dun_buf_puts(&t, "</td>");
			}
			dun_buf_puts(&t, "</tr>\n");
		}
		dun_buf_puts(&t, "</tbody>\n</table>\n");
		ctx->tables->html = xreallocarray(ctx->tables->html,
		    ctx->tables->n + 1, sizeof(*ctx->tables->html));
		ctx->tables->html[ctx->tables->n] = dun_buf_detach(&t, NULL);
		dun_buf_printf(out, "DUNTABLE%zu", ctx->tables->n++);
		return;
	}
	for (k = 0; k < TABLE_COLS; k++)
		width[k] = cells(head[k]);
	for (i = 0; i < v->ninvoices; i++) {
		table_row(cell, ctx, &v->invoices[i]);
		for (k = 0; k < TABLE_COLS; k++)
			if (cells(cell[k]) > width[k])
				width[k] = cells(cell[k]);
	}
	for (i = 0; i <= v->ninvoices; i++) {
		if (i > 0)
			table_row(cell, ctx, &v->invoices[i - 1]);
		for (k = 0; k < TABLE_COLS; k++) {
			const char *c = i ? cell[k] : head[k];
			if (k + 1 == TABLE_COLS) {
				pad(out, width[k] - cells(c));
				dun_buf_puts(out, c);
			} else {
				dun_buf_puts(out, c);
				pad(out, width[k] - cells(c) + 2);
			}
		}
		if (i < v->ninvoices)
			dun_buf_puts(out, "\n");
	}
}

/* A block: once, over the invoices that stand where it says, if any. */
static void
render_block(struct dun_buf *out, const struct render_ctx *ctx,
    enum block block, const struct line *lines, size_t from, size_t to,
    int html)
{
	const struct dun_render_vars *v = ctx->vars;
	struct dun_render_invoice *mine;
	struct dun_render_vars scoped = *v;
	struct render_ctx inner;
	size_t i;

	mine = xcalloc(v->ninvoices + 1, sizeof(*mine));
	scoped.ninvoices = 0;
	for (i = 0; i < v->ninvoices; i++)
		if (block_of(&v->invoices[i], v->today) == block)
			mine[scoped.ninvoices++] = v->invoices[i];
	scoped.invoices = mine;
	if (scoped.ninvoices > 0) {
		ctx_init(&inner, ctx->cfg, ctx->lang, &scoped);
		inner.tables = ctx->tables;
		inner.hant = ctx->hant;
		inner.tmpl_lang = ctx->tmpl_lang;
		render_lines(out, &inner, lines, from, to, html);
		ctx_free(&inner);
	}
	free(mine);
}

static void
render_lines(struct dun_buf *out, const struct render_ctx *ctx,
    const struct line *lines, size_t from, size_t to, int html)
{
	size_t i, j, k, close;
	enum block block;

	for (i = from; i < to; i++) {
		if ((block = block_marker(&lines[i], 0)) != BLOCK_NONE) {
			for (close = i + 1; close < to &&
			    block_marker(&lines[close], 1) != block; close++)
				;
			render_block(out, ctx, block, lines, i + 1, close,
			    html);
			i = close;
			continue;
		}
		if (!line_is(&lines[i], OPEN_MARK)) {
			expand_line(out, ctx, lines[i].s, lines[i].len, NULL,
			    html);
			dun_buf_puts(out, "\n");
			continue;
		}
		for (close = i + 1; close < to &&
		    !line_is(&lines[close], CLOSE_MARK); close++)
			;
		for (k = 0; k < ctx->vars->ninvoices; k++)
			for (j = i + 1; j < close; j++) {
				expand_line(out, ctx, lines[j].s, lines[j].len,
				    &ctx->vars->invoices[k], html);
				dun_buf_puts(out, "\n");
			}
		i = close;
	}
}

static char *
render_body(const struct render_ctx *ctx, const struct line *lines,
    size_t base, size_t n, int html)
{
	struct dun_buf out = DUN_BUF_INIT;

	dun_buf_puts(&out, "");
	render_lines(&out, ctx, lines, base + 2, n, html);
	/* An empty last value (no legal footer) leaves no blank lines. */
	while (out.len >= 2 && out.data[out.len - 1] == '\n' &&
	    out.data[out.len - 2] == '\n')
		out.data[--out.len] = '\0';
	return dun_buf_detach(&out, NULL);
}

/* body with each "<p>DUNTABLEn</p>" cmark made of a placeholder replaced
 * by table n. */
static void
put_tables(struct dun_buf *out, const char *body,
    const struct render_tables *tables)
{
	const char *p = body, *at;
	size_t k;
	int used;

	while ((at = strstr(p, "<p>DUNTABLE")) != NULL) {
		used = 0;
		if (sscanf(at, "<p>DUNTABLE%zu</p>%n", &k, &used) >= 1 &&
		    used > 0 && k < tables->n) {
			dun_buf_add(out, p, (size_t)(at - p));
			dun_buf_puts(out, tables->html[k]);
			p = at + used;
			if (*p == '\n')
				p++;
			continue;
		}
		dun_buf_add(out, p, (size_t)(at - p) + 1);
		p = at + 1;
	}
	dun_buf_puts(out, p);
}

/* What to do about an empty required value. */
static const char *
missing_why(const char *name, size_t len)
{
	if ((len == 13 && strncmp(name, "promised_date", len) == 0) ||
	    (len == 15 && strncmp(name, "promised_amount", len) == 0))
		return "the case has no promise to pay";
	if (len == 14 && strncmp(name, "final_deadline", len) == 0)
		return "no final deadline was set";
	if (len == 13 && strncmp(name, "total_overdue", len) == 0)
		return "no invoice in the email is overdue";
	return "set it in the configuration (docs/templates.md)";
}

int
dun_render_source(struct dun_rendered *out, const struct dun_config *cfg,
    const char *lang, const char *label, const char *src, size_t len,
    const struct dun_render_vars *vars)
{
	struct dun_diags diags = { 0 };
	struct render_ctx ctx;
	struct dun_buf subject = DUN_BUF_INIT, html = DUN_BUF_INIT;
	struct line *lines, names[MAX_REQUIRED];
	struct render_tables tables = { NULL, 0 };
	struct dun_render_invoice *flat = NULL;
	struct dun_render_vars flat_vars;
	char *md, *body;
	size_t n, base, nnames, i;
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
	base = (size_t)front_matter(lines, n, names, &nnames);
	/* A template without {{#also_overdue}} words every overdue invoice
	 * in {{#overdue}}, as before that block existed. */
	for (i = base; i < n && !line_is(&lines[i],
	    block_open[BLOCK_ALSO_OVERDUE]); i++)
		;
	if (i == n && vars->ninvoices > 0) {
		flat = xcalloc(vars->ninvoices, sizeof(*flat));
		memcpy(flat, vars->invoices, vars->ninvoices * sizeof(*flat));
		for (i = 0; i < vars->ninvoices; i++)
			flat[i].behind = 0;
		flat_vars = *vars;
		flat_vars.invoices = flat;
		vars = &flat_vars;
	}
	ctx_init(&ctx, cfg, lang, vars);
	ctx.tables = &tables;
	/* A letter missing a value it needs is not sent half filled. */
	for (i = 0; i < nnames; i++) {
		char buf[128];
		const char *val = value_of(&ctx, names[i].s, names[i].len,
		    NULL, buf, sizeof(buf));
		if (val == NULL || *val == '\0') {
			rc = dun_error_set(DUN_EPARSE, "%s: the required value "
			    "'%.*s' is empty: %s", label, (int)names[i].len,
			    names[i].s, missing_why(names[i].s,
			    names[i].len));
			free(lines);
			free(flat);
			ctx_free(&ctx);
			return rc;
		}
	}
	expand_line(&subject, &ctx, lines[base].s + strlen(SUBJECT_PREFIX),
	    lines[base].len - strlen(SUBJECT_PREFIX), NULL, 0);
	out->subject = dun_buf_detach(&subject, NULL);
	out->text = render_body(&ctx, lines, base, n, 0);
	md = render_body(&ctx, lines, base, n, 1);
	/* cmark 0.30 drops raw HTML unless told CMARK_OPT_UNSAFE. */
	body = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_DEFAULT |
	    CMARK_OPT_SAFE);
	if (body == NULL)
		fatalx("cmark: out of memory");
	dun_buf_printf(&html, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n</head>\n<body>\n", lang);
	put_tables(&html, body, &tables);
	dun_buf_puts(&html, "</body>\n</html>\n");
	out->html = dun_buf_detach(&html, NULL);
	for (i = 0; i < tables.n; i++)
		free(tables.html[i]);
	free(tables.html);
	out->names_pdf = memmem(src, len, "{{pdf_name}}", 12) != NULL;
	free(body);
	free(md);
	free(lines);
	free(flat);
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
		if (!isalpha((unsigned char)lang[i]) && lang[i] != '-' &&
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

/* The required values the configuration gives (the sender's details,
 * next_step) must not be empty in the template's language. */
static int
lint_required(struct dun_diags *diags, const struct dun_config *cfg,
    const char *path, const char *src, size_t len)
{
	static const char *const from_config[] = { "company_name",
		"sender_name", "sender_email", "sender_phone",
		"payment_instructions", "next_step", "legal_footer" };
	struct dun_render_vars v;
	struct render_ctx ctx;
	struct line *lines, names[MAX_REQUIRED];
	size_t n, nnames, i;
	char lang[17] = "en", buf[128];
	const char *end = strrchr(path, '/'), *start;
	int problems = 0;

	/* templates/mail/<lang>/<name>.md */
	for (start = end; start && start > path && start[-1] != '/'; start--)
		;
	if (end && start && end > start && (size_t)(end - start) < sizeof(lang))
		snprintf(lang, sizeof(lang), "%.*s", (int)(end - start), start);
	memset(&v, 0, sizeof(v));
	v.today = v.promised_on = v.final_deadline = DUN_DATE_NONE;
	v.promised_minor = -1;
	lines = split_lines(src, len, &n);
	(void)front_matter(lines, n, names, &nnames);
	ctx_init(&ctx, cfg, lang, &v);
	for (i = 0; i < nnames; i++) {
		const char *val;
		if (!in_list(from_config, DUN_ARRAY_SIZE(from_config),
		    names[i].s, names[i].len))
			continue;
		val = value_of(&ctx, names[i].s, names[i].len, NULL, buf,
		    sizeof(buf));
		if (val == NULL || *val == '\0') {
			dun_diags_add(diags, shown(cfg, path), 1, "requires "
			    "'%.*s', which the configuration leaves empty",
			    (int)names[i].len, names[i].s);
			problems++;
		}
	}
	ctx_free(&ctx);
	free(lines);
	return problems;
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
	if (problems == 0)
		problems = lint_required(diags, cfg, path, src, len);
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
