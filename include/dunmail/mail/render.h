/*
 * Templates to text: templates/mail/<lang>/<name>.md (docs/templates.md)
 * filled in with one debtor's values, as the subject, the text/plain body
 * (the Markdown exactly as filled in) and the text/html body (cmark's
 * rendering, raw HTML suppressed, values escaped so that no data value
 * can add markup). Also the template lint behind `dunmail lint`.
 *
 * Errors: DUN_ENOTFOUND (no template), DUN_EIO, DUN_EPARSE (the template
 * is malformed or names an unknown variable; "file:line: problem").
 */
#ifndef DUNMAIL_RENDER_H
#define DUNMAIL_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"

struct dun_render_invoice {
	const char *number;       /* borrowed */
	dun_date_t issue_date;
	dun_date_t due_date;
	const char *currency;     /* borrowed */
	int64_t amount_minor;
	int64_t open_minor;
	const char *pdf_name;     /* borrowed; "" if none */
	int behind;               /* at an earlier stage than the letter's:
	                           * {{#also_overdue}} when overdue */
};

/* One message's values; the sender's come from the config. */
struct dun_render_vars {
	const char *debtor_name;  /* borrowed */
	const char *debtor_ref;   /* borrowed */
	const char *token;        /* borrowed; "DUN-7F3K2Q" */
	dun_date_t today;         /* the sending date, debtor's zone */
	dun_date_t promised_on;   /* DUN_DATE_NONE if none */
	int64_t promised_minor;   /* -1 = the total open */
	dun_date_t final_deadline;
	const struct dun_render_invoice *invoices; /* borrowed */
	size_t ninvoices;
};

struct dun_rendered {
	char *subject;  /* owned; UTF-8, one line */
	char *text;     /* owned; Markdown, LF line ends */
	char *html;     /* owned; a complete HTML document */
	int names_pdf;  /* the template shows {{pdf_name}} */
};

/* Renders template `name` in language lang (falling back to the config's
 * default language, then en, if the debtor's has no such template). */
int dun_render(struct dun_rendered *out, const struct dun_config *cfg,
	const char *lang, const char *name, const struct dun_render_vars *vars);

/* Renders template source text; label names it in errors ("x.md"). */
int dun_render_source(struct dun_rendered *out, const struct dun_config *cfg,
	const char *lang, const char *label, const char *src, size_t len,
	const struct dun_render_vars *vars);

void dun_rendered_free(struct dun_rendered *r);

/* Checks every template of every language, and that each policy stage's
 * template and each answer template exists in en and zh. Adds each
 * problem to diags as file:line; returns the number found. */
int dun_render_lint(const struct dun_config *cfg, struct dun_diags *diags);

/* Checks one template's text; returns the number of problems added. */
int dun_render_lint_source(struct dun_diags *diags, const char *label,
	const char *src, size_t len);

/* A date in the debtor's language: en "22 November 2026", zh
 * "2026年11月22日". */
void dun_render_date(char *out, size_t outlen, dun_date_t date,
	const char *lang);

/* The template language for a debtor's ledger language and region:
 * Traditional Chinese ("zh-Hant") for zh-TW, zh-HK, zh-MO, zh-Hant* or a
 * zh debtor in region TW, HK or MO; "zh" for other Chinese; else
 * language as it is. */
const char *dun_render_language(const char *language, const char *region);

/* The path of template name in lang (caller frees). */
char *dun_render_path(const struct dun_config *cfg, const char *lang,
	const char *name);

#endif
