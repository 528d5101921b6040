/*
 * The reply classifier (see classify.h and docs/classify.md): rules files
 * compiled once with PCRE2, a weighted vote per class, masks for negations,
 * and the promised date, amount and invoice numbers picked out of the
 * debtor's own words.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/core/prefilter.h"
#include "dunmail/reply/classify.h"
#include "dunmail/reply/dates.h"

#define TEXT_CAP (64u << 10)     /* the debtor's words we look at */
#define EVIDENCE_CAP 200         /* bytes of matched text reported */
#define MAX_INVOICES 32
#define MAX_DATE_HITS 32
#define MAX_AMOUNT_HITS 16
#define DEFAULT_MATCH_LIMIT 200000
#define DEFAULT_DEPTH_LIMIT 2000
#define DEFAULT_INVOICE_PATTERN "INV-\\d{4}-\\d{3,}"

/* --- the rules ------------------------------------------------------------- */

enum rule_kind {
	RULE_CLASS,    /* a vote of weight for a class */
	RULE_MASK,     /* blanks what it matches before the votes */
	RULE_INVOICE,  /* finds invoice numbers */
};

struct rule {
	char *id;            /* owned */
	enum rule_kind kind;
	enum dun_class cls;
	double weight;
	int on_subject;      /* matched against the Subject */
	int needs;           /* NEED_*: texts it cannot match are skipped */
	int filter;          /* its literals in dun_rules.pf */
	pcre2_code *re;      /* owned */
	int g_date, g_amount, g_currency, g_invoice; /* group numbers, -1 */
	char *file;          /* owned; where it was defined */
	int line;
};

/* What a match must start with, from PCRE2's start-of-match study: a
 * rule that must start with an ASCII letter cannot match a text without
 * one (pure Chinese), one that must start with a three-byte character
 * (CJK) cannot match a text without one. Skipping them halves the work and changes no result. */
#define NEED_ALPHA 1
#define NEED_WIDE 2     /* a three-byte UTF-8 character: CJK and the like */

struct dun_rules {
	struct rule *rules;  /* owned */
	size_t nrules;
	double min_score;    /* below it: unknown */
	double margin;       /* conflicting classes within this share: unknown */
	double full_score;   /* a score this high is a sure vote */
	unsigned char conflict[DUN_NCLASSES][DUN_NCLASSES];
	unsigned char outranks[DUN_NCLASSES][DUN_NCLASSES];
	uint32_t match_limit;
	uint32_t depth_limit;
	pcre2_match_context *mctx; /* owned */
	struct dun_prefilter *pf;  /* owned; the rules' literals */
	uint32_t max_groups; /* for sizing match data */
	int have_invoice_rules;
	int file_needs;      /* while loading: the file's @script */
};

/* Where a scalar directive was set, to report a second setting. */
struct setting_seen {
	const char *name;
	char *file;
	int line;
};

static void
rule_free(struct rule *r)
{
	free(r->id);
	free(r->file);
	pcre2_code_free(r->re);
}

void
dun_rules_free(struct dun_rules *rules)
{
	size_t i;

	if (rules == NULL)
		return;
	for (i = 0; i < rules->nrules; i++)
		rule_free(&rules->rules[i]);
	free(rules->rules);
	pcre2_match_context_free(rules->mctx);
	dun_prefilter_free(rules->pf);
	free(rules);
}

static int
group(const pcre2_code *re, const char *name)
{
	int n = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);

	return n > 0 ? n : -1;
}

/* Compiles pattern with modifiers; on failure writes a message. */
static pcre2_code *
compile(const char *pat, size_t len, uint32_t opts, char *err, size_t errlen)
{
	pcre2_code *re;
	PCRE2_SIZE off;
	int code;
	PCRE2_UCHAR buf[256];

	re = pcre2_compile((PCRE2_SPTR)pat, len, opts | PCRE2_UTF,
	    &code, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, buf, sizeof(buf));
		snprintf(err, errlen, "bad pattern at offset %zu: %s",
		    (size_t)off, (const char *)buf);
		return NULL;
	}
	/* JIT where the platform has it; the interpreter otherwise. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static int
is_ascii_alpha(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
start_needs(const pcre2_code *re)
{
	const uint8_t *map = NULL;
	uint32_t type = 0, cu = 0, c;
	int letters = 0, other = 0, high = 0, narrow = 0;

	pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type);
	if (type == 1) {
		pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &cu);
		return cu >= 0xE0 && cu <= 0xEF ? NEED_WIDE : is_ascii_alpha(cu) ?
		    NEED_ALPHA : 0;
	}
	if (type != 0 || pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &map)
	    != 0 || map == NULL)
		return 0;
	for (c = 0; c < 256; c++) {
		if (!(map[c / 8] & (1u << (c % 8))))
			continue;
		if (c >= 0x80) {
			high = 1;
			narrow |= c < 0xE0 || c > 0xEF;
		} else if (is_ascii_alpha(c))
			letters = 1;
		else
			other = 1;
	}
	if (other || (letters && high))
		return 0;
	return high ? (narrow ? 0 : NEED_WIDE) : letters ? NEED_ALPHA : 0;
}

static int
parse_number(const char *s, double *out, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || fabs(v) > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_class_pair(const char *a, const char *b, int *ca, int *cb)
{
	if (a == NULL || b == NULL)
		return -1;
	*ca = dun_class_from_name(a);
	*cb = dun_class_from_name(b);
	return *ca < 0 || *cb < 0 ? -1 : 0;
}

/* "@name args": scoring settings. */
static void
parse_directive(struct dun_rules *rules, char *line, const char *file,
    int lineno, struct setting_seen *seen, size_t nseen,
    struct dun_diags *diags)
{
	char *save = NULL, *name, *a, *b, *extra;
	double v;
	size_t k;
	int ca, cb;

	name = strtok_r(line + 1, " \t", &save);
	a = strtok_r(NULL, " \t", &save);
	b = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (name == NULL) {
		dun_diags_add(diags, file, lineno, "empty directive");
		return;
	}
	if (strcmp(name, "script") == 0) {
		/* the rules below only apply to texts in this script */
		if (a && !b && strcmp(a, "latin") == 0)
			rules->file_needs = NEED_ALPHA;
		else if (a && !b && strcmp(a, "cjk") == 0)
			rules->file_needs = NEED_WIDE;
		else if (a && !b && strcmp(a, "any") == 0)
			rules->file_needs = 0;
		else
			dun_diags_add(diags, file, lineno, "@script needs one of "
			    "latin, cjk, any");
		return;
	}
	if (strcmp(name, "conflict") == 0 || strcmp(name, "outranks") == 0) {
		if (parse_class_pair(a, b, &ca, &cb) < 0 || extra || ca == cb) {
			dun_diags_add(diags, file, lineno, "@%s needs two "
			    "different class names", name);
			return;
		}
		if (name[0] == 'c')
			rules->conflict[ca][cb] = rules->conflict[cb][ca] = 1;
		else {
			if (rules->outranks[cb][ca]) {
				dun_diags_add(diags, file, lineno, "@outranks "
				    "%s %s contradicts an earlier @outranks %s "
				    "%s", a, b, b, a);
				return;
			}
			rules->outranks[ca][cb] = 1;
		}
		return;
	}
	for (k = 0; k < nseen; k++)
		if (strcmp(name, seen[k].name) == 0)
			break;
	if (k == nseen) {
		dun_diags_add(diags, file, lineno, "unknown directive @%s "
		    "(known: @min_score @margin @full_score @match_limit "
		    "@depth_limit @conflict @outranks @script)", name);
		return;
	}
	if (a == NULL || b || parse_number(a, &v, k >= 3 ? 1e8 : 1000) < 0 ||
	    v < 0 ||
	    (k >= 3 && (v < 1 || v > 1e8 || v != floor(v)))) {
		dun_diags_add(diags, file, lineno, "@%s needs one %s", name,
		    k >= 3 ? "whole number from 1 to 100000000" :
		    "number from 0 to 1000");
		return;
	}
	if (seen[k].file) {
		dun_diags_add(diags, file, lineno, "@%s set twice (first at "
		    "%s:%d)", name, seen[k].file, seen[k].line);
		return;
	}
	seen[k].file = xstrdup(file);
	seen[k].line = lineno;
	switch (k) {
	case 0: rules->min_score = v; break;
	case 1:
		if (v > 1) {
			dun_diags_add(diags, file, lineno, "@margin is a "
			    "share of the winning score, from 0 to 1");
			return;
		}
		rules->margin = v;
		break;
	case 2: rules->full_score = v; break;
	case 3: rules->match_limit = (uint32_t)v; break;
	case 4: rules->depth_limit = (uint32_t)v; break;
	}
}

/* "ID CLASS WEIGHT [subject] /PATTERN/MODS" */
static void
parse_rule(struct dun_rules *rules, char *line, const char *file, int lineno,
    struct dun_diags *diags)
{
	struct rule r;
	char *p = line, *fields[4], *slash, *last, *m;
	char err[320];
	uint32_t opts = 0;
	size_t nf = 0, i;
	double w;

	memset(&r, 0, sizeof(r));
	if ((slash = strchr(line, '/')) == NULL) {
		dun_diags_add(diags, file, lineno, "no /pattern/ (a rule is: "
		    "ID CLASS WEIGHT [subject] /PATTERN/FLAGS)");
		return;
	}
	*slash = '\0';
	while (nf < 4) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		fields[nf++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (nf < 3 || *p) {
		dun_diags_add(diags, file, lineno, "expected ID CLASS WEIGHT "
		    "[subject] before the /pattern/");
		return;
	}
	for (i = 0; fields[0][i]; i++) {
		char c = fields[0][i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-')) {
			dun_diags_add(diags, file, lineno, "bad rule id '%s' "
			    "(use a-z, 0-9, '.', '_', '-')", fields[0]);
			return;
		}
	}
	for (i = 0; i < rules->nrules; i++)
		if (strcmp(rules->rules[i].id, fields[0]) == 0) {
			dun_diags_add(diags, file, lineno, "duplicate rule id "
			    "'%s' (first at %s:%d)", fields[0],
			    rules->rules[i].file, rules->rules[i].line);
			return;
		}
	if (strcmp(fields[1], "mask") == 0)
		r.kind = RULE_MASK;
	else if (strcmp(fields[1], "invoice") == 0)
		r.kind = RULE_INVOICE;
	else {
		int c = dun_class_from_name(fields[1]);
		if (c < 0) {
			dun_diags_add(diags, file, lineno, "unknown class '%s' "
			    "(a class name, 'mask' or 'invoice')", fields[1]);
			return;
		}
		r.kind = RULE_CLASS;
		r.cls = (enum dun_class)c;
	}
	if (strcmp(fields[2], "-") == 0 && r.kind != RULE_CLASS)
		w = 0;
	else if (parse_number(fields[2], &w, 1000) < 0) {
		dun_diags_add(diags, file, lineno, "bad weight '%s' (a number "
		    "from -1000 to 1000)", fields[2]);
		return;
	}
	if (r.kind == RULE_CLASS && w == 0) {
		dun_diags_add(diags, file, lineno, "weight 0 makes rule '%s' "
		    "do nothing", fields[0]);
		return;
	}
	if (r.kind != RULE_CLASS && w != 0) {
		dun_diags_add(diags, file, lineno, "a %s rule has no weight "
		    "(write - or 0)", fields[1]);
		return;
	}
	if (nf == 4) {
		if (strcmp(fields[3], "subject") != 0) {
			dun_diags_add(diags, file, lineno, "unknown option '%s' "
			    "(known: subject)", fields[3]);
			return;
		}
		r.on_subject = 1;
	}
	/* The pattern runs to the last slash; what follows are flags. */
	last = strrchr(slash + 1, '/');
	if (last == NULL) {
		dun_diags_add(diags, file, lineno, "the pattern has no closing "
		    "/");
		return;
	}
	for (m = last + 1; *m && *m != ' ' && *m != '\t'; m++) {
		switch (*m) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'u': opts |= PCRE2_UCP; break;
		default:
			dun_diags_add(diags, file, lineno, "unknown pattern "
			    "flag '%c' (known: i m s u x)", *m);
			return;
		}
	}
	while (*m == ' ' || *m == '\t')
		m++;
	if (*m) {
		dun_diags_add(diags, file, lineno, "text after the pattern: "
		    "'%s'", m);
		return;
	}
	if (last == slash + 1) {
		dun_diags_add(diags, file, lineno, "empty pattern");
		return;
	}
	r.re = compile(slash + 1, (size_t)(last - slash - 1), opts, err,
	    sizeof(err));
	if (r.re == NULL) {
		dun_diags_add(diags, file, lineno, "%s", err);
		return;
	}
	{
		/* A pattern that matches nothing at all would fire always. */
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(
		    r.re, NULL);
		int rc = pcre2_match(r.re, (PCRE2_SPTR)"", 0, 0, 0, md, NULL);
		pcre2_match_data_free(md);
		if (rc >= 0) {
			dun_diags_add(diags, file, lineno, "pattern of '%s' "
			    "matches the empty string", fields[0]);
			pcre2_code_free(r.re);
			return;
		}
	}
	r.id = xstrdup(fields[0]);
	r.weight = w;
	r.file = xstrdup(file);
	r.line = lineno;
	r.needs = start_needs(r.re) | rules->file_needs;
	r.filter = dun_prefilter_add(rules->pf, slash + 1,
	    (size_t)(last - slash - 1), ((opts & PCRE2_CASELESS) ?
	    DUN_PF_CASELESS : 0) | ((opts & PCRE2_EXTENDED) ?
	    DUN_PF_EXTENDED : 0));
	r.g_date = group(r.re, "date");
	r.g_amount = group(r.re, "amount");
	r.g_currency = group(r.re, "currency");
	r.g_invoice = group(r.re, "invoice");
	{
		uint32_t cap = 0;
		pcre2_pattern_info(r.re, PCRE2_INFO_CAPTURECOUNT, &cap);
		if (cap + 1 > rules->max_groups)
			rules->max_groups = cap + 1;
	}
	if (r.kind == RULE_INVOICE)
		rules->have_invoice_rules = 1;
	rules->rules = xreallocarray(rules->rules, rules->nrules + 1,
	    sizeof(*rules->rules));
	rules->rules[rules->nrules++] = r;
}

static int
load_file(struct dun_rules *rules, const char *path, struct setting_seen *seen,
    size_t nseen, struct dun_diags *diags)
{
	char *data = NULL, *line, *next;
	size_t len;
	int lineno = 0, rc;

	if ((rc = dun_file_read(&data, &len, path, 4u << 20)) < 0) {
		dun_diags_add(diags, path, 0, "%s", dun_error_last());
		return rc;
	}
	if (!dun_utf8_valid(data, len)) {
		dun_diags_add(diags, path, 0, "not valid UTF-8");
		free(data);
		return DUN_EPARSE;
	}
	rules->file_needs = 0;
	for (line = data; line; line = next) {
		char *t;
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		t = dun_str_trim(line);
		if (*t == '\0' || *t == '#')
			continue;
		if (*t == '@')
			parse_directive(rules, t, path, lineno, seen, nseen,
			    diags);
		else
			parse_rule(rules, t, path, lineno, diags);
	}
	free(data);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dun_rules_load(struct dun_rules **out, const char *dir,
    struct dun_diags *diags)
{
	struct setting_seen seen[] = { { "min_score", NULL, 0 },
		{ "margin", NULL, 0 }, { "full_score", NULL, 0 },
		{ "match_limit", NULL, 0 }, { "depth_limit", NULL, 0 } };
	struct dun_diags local = { 0 };
	struct dun_diags *d = diags ? diags : &local;
	struct dun_rules *rules;
	struct dirent *de;
	char **names = NULL, *path;
	size_t nnames = 0, i, before = d->count;
	DIR *dp;
	int rc = 0;

	*out = NULL;
	if ((dp = opendir(dir)) == NULL) {
		dun_diags_add(d, dir, 0, "cannot open the rules directory: %s",
		    strerror(errno));
		rc = dun_error_set_errno(DUN_EIO, "rules directory %s", dir);
		goto cleanup;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n > 6 && strcmp(de->d_name + n - 6, ".rules") == 0 &&
		    de->d_name[0] != '.') {
			names = xreallocarray(names, nnames + 1,
			    sizeof(*names));
			names[nnames++] = xstrdup(de->d_name);
		}
	}
	closedir(dp);
	if (nnames == 0) {
		dun_diags_add(d, dir, 0, "no *.rules files");
		rc = dun_error_set(DUN_EPARSE, "%s: no *.rules files", dir);
		goto cleanup;
	}
	qsort(names, nnames, sizeof(*names), name_cmp);

	rules = xcalloc(1, sizeof(*rules));
	rules->min_score = 2.0;
	rules->margin = 0.4;
	rules->full_score = 6.0;
	rules->match_limit = DEFAULT_MATCH_LIMIT;
	rules->depth_limit = DEFAULT_DEPTH_LIMIT;
	rules->max_groups = 1;
	rules->pf = dun_prefilter_new();
	for (i = 0; i < nnames; i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		load_file(rules, path, seen, DUN_ARRAY_SIZE(seen), d);
		free(path);
	}
	if (!rules->have_invoice_rules) {
		char err[320];
		struct rule r;
		memset(&r, 0, sizeof(r));
		r.kind = RULE_INVOICE;
		r.id = xstrdup("invoice.default");
		r.file = xstrdup("(built in)");
		r.re = compile(DEFAULT_INVOICE_PATTERN,
		    strlen(DEFAULT_INVOICE_PATTERN), 0, err, sizeof(err));
		r.g_date = r.g_amount = r.g_currency = r.g_invoice = -1;
		r.filter = dun_prefilter_add(rules->pf, DEFAULT_INVOICE_PATTERN,
		    strlen(DEFAULT_INVOICE_PATTERN), 0);
		rules->rules = xreallocarray(rules->rules, rules->nrules + 1,
		    sizeof(*rules->rules));
		rules->rules[rules->nrules++] = r;
	}
	if (rules->full_score < rules->min_score)
		dun_diags_add(d, dir, 0, "@full_score %.2f is below @min_score "
		    "%.2f", rules->full_score, rules->min_score);
	dun_prefilter_build(rules->pf);
	rules->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rules->mctx, rules->match_limit);
	pcre2_set_depth_limit(rules->mctx, rules->depth_limit);
	if (d->count > before) {
		dun_rules_free(rules);
		rc = dun_error_set(DUN_EPARSE, "%s:%d: %s", d->items[before].file,
		    d->items[before].line, d->items[before].msg);
		goto cleanup;
	}
	*out = rules;
cleanup:
	for (i = 0; i < DUN_ARRAY_SIZE(seen); i++)
		free(seen[i].file);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	dun_diags_free(&local);
	return rc;
}

/* --- preparing the text ------------------------------------------------------ */

/* Decodes one UTF-8 code point (valid input); returns its length. */
static size_t
utf8_cp(const unsigned char *s, size_t len, uint32_t *cp)
{
	if (s[0] < 0x80 || len < 2) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if ((s[0] & 0xF0) == 0xE0 && len >= 3) {
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) |
		    ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return 3;
	}
	if (len >= 4) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) |
		    ((uint32_t)(s[1] & 0x3F) << 12) |
		    ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return 4;
	}
	*cp = s[0];
	return 1;
}

static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 &&
	    cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

/*
 * The text the rules see: capped, valid UTF-8, CRLF as LF, typographic
 * quotes as ASCII ones, full-width digits and letters as ASCII, no-break
 * and ideographic spaces as spaces, zero-width characters dropped, and
 * lines quoted with '>' left out (blanked) in case the stripper missed
 * them. Counts CJK characters and Latin letters for the language.
 */
static char *
prepare_text(const char *in, size_t *len_out, size_t *cjk, size_t *latin)
{
	const unsigned char *s;
	char *clean = NULL, *out;
	size_t len, i = 0, n, o = 0;
	int bol = 1, quoted = 0;

	*cjk = *latin = 0;
	len = in ? strlen(in) : 0;
	if (len > TEXT_CAP) {
		len = TEXT_CAP;
		while (len > 0 && ((unsigned char)in[len] & 0xC0) == 0x80)
			len--;
	}
	if (len && !dun_utf8_valid(in, len)) {
		clean = dun_utf8_sanitize(in, len, &len);
		in = clean;
	}
	s = (const unsigned char *)in;
	/* every step writes at most the bytes it reads */
	out = xmalloc(len + 1);
	while (i < len) {
		uint32_t cp;
		char ascii;

		if (bol) {
			size_t k = i;
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			quoted = k < len && s[k] == '>';
			bol = 0;
		}
		n = utf8_cp(s + i, len - i, &cp);
		if (cp == '\n')
			bol = 1;
		if (cp == '\r') {
			i += n;
			continue;
		}
		if (quoted && cp != '\n') {
			out[o++] = ' ';
			i += n;
			continue;
		}
		ascii = 0;
		if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC || cp == 0x2032)
			ascii = '\'';
		else if (cp == 0x201C || cp == 0x201D)
			ascii = '"';
		else if (cp == 0x00A0 || cp == 0x3000 || cp == 0x2002 ||
		    cp == 0x2003 || cp == 0x2009 || cp == 0x202F)
			ascii = ' ';
		else if (cp == 0x2013 || cp == 0x2014 || cp == 0x2212)
			ascii = '-';
		else if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 &&
		    cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A) ||
		    cp == 0xFF04 || cp == 0xFF05 || cp == 0xFF0E ||
		    cp == 0xFF0F || cp == 0xFF0D)
			ascii = (char)(cp - 0xFEE0);
		else if (cp == 0x200B || cp == 0x200C || cp == 0x200D ||
		    cp == 0xFEFF || cp == 0x00AD) {
			i += n;
			continue;
		}
		if (ascii) {
			out[o++] = ascii;
			if ((ascii >= 'a' && ascii <= 'z') || (ascii >= 'A' &&
			    ascii <= 'Z'))
				(*latin)++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			if (is_cjk(cp))
				(*cjk)++;
			else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' &&
			    cp <= 'Z'))
				(*latin)++;
		}
		i += n;
	}
	free(clean);
	out[o] = '\0';
	*len_out = o;
	return out;
}

/* A CJK character carries about as much as a short English word. */
static int
language_is_zh(size_t cjk, size_t latin)
{
	return cjk > 0 && cjk * 4 >= latin;
}

/* --- matching ------------------------------------------------------------- */

struct vote {
	double score;
	const struct rule *best;    /* the strongest positive rule */
	size_t ev_start, ev_end;    /* its match */
	int from_subject;
};

struct capture {
	size_t start, end;          /* byte span, start == end if unset */
};

struct run {
	const struct dun_rules *rules;
	pcre2_match_data *md;
	char *text;                 /* prepared, masks applied */
	size_t len;
	char *orig;                 /* prepared, before masks */
	char *subject;              /* prepared subject */
	size_t subject_len;
	struct vote votes[DUN_NCLASSES];
	/* named captures of the rules that voted, per class */
	struct capture date[DUN_NCLASSES];
	struct capture amount[DUN_NCLASSES];
	struct capture currency[DUN_NCLASSES];
	int limit_hits;
	int last_rc;                /* of the last match: pairs set + 1 */
	int text_has;               /* NEED_* bits the text satisfies */
	int subject_has;
	struct dun_prefilter_hits text_hits;    /* literals in orig */
	struct dun_prefilter_hits subject_hits; /* literals in subject */
};

static int
text_has(const char *s, size_t len)
{
	int has = 0;
	size_t i;

	for (i = 0; i < len && has != (NEED_ALPHA | NEED_WIDE); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0xE0 && c <= 0xEF)
			has |= NEED_WIDE;
		else if (is_ascii_alpha(c))
			has |= NEED_ALPHA;
	}
	return has;
}

/*
 * 0 if rule r cannot match a text that hits describes: a literal that
 * every match contains is absent. Masks only write blanks, which no
 * literal holds, so what orig lacks the masked text lacks too.
 */
static int
may_match(const struct run *run, const struct rule *r,
    const struct dun_prefilter_hits *hits)
{
	return dun_prefilter_may_match(run->rules->pf, hits, r->filter);
}

static int
match_at(struct run *run, const struct rule *r, const char *s, size_t len,
    size_t start)
{
	int rc;

	rc = pcre2_match(r->re, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK,
	    run->md, run->rules->mctx);
	run->last_rc = rc;
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
		run->limit_hits++;
		log_trace(TRACE_CLASSIFY, "rule %s: pcre2 error %d", r->id,
		    rc);
	}
	return rc;
}

static void
span(struct run *run, int g, struct capture *c)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(run->md);

	if (g < 0 || g >= run->last_rc ||
	    (uint32_t)g >= pcre2_get_ovector_count(run->md) ||
	    ov[2 * g] == PCRE2_UNSET)
		return;
	c->start = ov[2 * g];
	c->end = ov[2 * g + 1];
}

static void
apply_masks(struct run *run)
{
	size_t i, off;

	for (i = 0; i < run->rules->nrules; i++) {
		const struct rule *r = &run->rules->rules[i];
		if (r->kind != RULE_MASK || r->on_subject ||
		    (r->needs & ~run->text_has) ||
		    !may_match(run, r, &run->text_hits))
			continue;
		off = 0;
		while (off < run->len && match_at(run, r, run->text, run->len,
		    off) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(run->md);
			size_t a = ov[0], b = ov[1];
			memset(run->text + a, ' ', b - a);
			log_trace(TRACE_CLASSIFY, "mask %s at %zu..%zu", r->id,
			    a, b);
			off = b > a ? b : a + 1;
			while (off < run->len &&
			    ((unsigned char)run->text[off] & 0xC0) == 0x80)
				off++;
		}
	}
}

static void
vote_all(struct run *run)
{
	size_t i;

	for (i = 0; i < run->rules->nrules; i++) {
		const struct rule *r = &run->rules->rules[i];
		const char *s = r->on_subject ? run->subject : run->text;
		size_t len = r->on_subject ? run->subject_len : run->len;
		struct vote *v;
		PCRE2_SIZE *ov;

		if (r->kind != RULE_CLASS || len == 0 || (r->needs &
		    ~(r->on_subject ? run->subject_has : run->text_has)) ||
		    !may_match(run, r, r->on_subject ? &run->subject_hits :
		    &run->text_hits))
			continue;
		if (match_at(run, r, s, len, 0) < 0)
			continue;
		ov = pcre2_get_ovector_pointer(run->md);
		v = &run->votes[r->cls];
		v->score += r->weight;
		log_trace(TRACE_CLASSIFY, "rule %s %+.1f %s", r->id, r->weight,
		    dun_class_name(r->cls));
		if (r->weight > 0 && (v->best == NULL ||
		    r->weight > v->best->weight)) {
			v->best = r;
			v->ev_start = ov[0];
			v->ev_end = ov[1];
			v->from_subject = r->on_subject;
		}
		if (r->weight > 0 && !r->on_subject) {
			if (run->date[r->cls].end == 0)
				span(run, r->g_date, &run->date[r->cls]);
			if (run->amount[r->cls].end == 0) {
				span(run, r->g_amount, &run->amount[r->cls]);
				span(run, r->g_currency,
				    &run->currency[r->cls]);
			}
		}
	}
}

static void
add_invoice(struct dun_classification *out, const char *s, size_t len)
{
	size_t i;

	while (len > 0 && (s[len - 1] == '-' || s[len - 1] == '.'))
		len--;
	if (len < 4)
		return;
	for (i = 0; i < out->ninvoices; i++)
		if (strlen(out->invoices[i]) == len &&
		    strncasecmp(out->invoices[i], s, len) == 0)
			return;
	/* a bare number must not be the tail of one already found */
	for (i = 0; i < out->ninvoices; i++) {
		size_t l = strlen(out->invoices[i]);
		if (l > len && strncasecmp(out->invoices[i] + l - len, s, len)
		    == 0)
			return;
	}
	if (out->ninvoices >= MAX_INVOICES)
		return;
	out->invoices = xreallocarray(out->invoices, out->ninvoices + 1,
	    sizeof(char *));
	out->invoices[out->ninvoices++] = xstrndup(s, len);
}

static void
find_invoices(struct run *run, struct dun_classification *out)
{
	size_t i, off;

	for (i = 0; i < run->rules->nrules; i++) {
		const struct rule *r = &run->rules->rules[i];
		if (r->kind != RULE_INVOICE ||
		    !may_match(run, r, &run->text_hits))
			continue;
		off = 0;
		while (off < run->len && match_at(run, r, run->orig, run->len,
		    off) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(run->md);
			struct capture c = { ov[0], ov[1] };
			if (r->g_invoice > 0)
				span(run, r->g_invoice, &c);
			else
				span(run, 1, &c);
			add_invoice(out, run->orig + c.start, c.end - c.start);
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
	}
}

/* Matched words for a person: blanks collapsed, capped. */
static char *
evidence(const char *s, size_t a, size_t b)
{
	struct dun_buf out = DUN_BUF_INIT;
	size_t i;
	int space = 0;

	dun_buf_init(&out, 0);
	dun_buf_add(&out, "", 0);
	for (i = a; i < b; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\n') {
			space = out.len > 0;
			continue;
		}
		if (out.len >= EVIDENCE_CAP && (c & 0xC0) != 0x80)
			break;
		if (space)
			dun_buf_add(&out, " ", 1);
		space = 0;
		dun_buf_add(&out, s + i, 1);
	}
	return dun_buf_detach(&out, NULL);
}

/* --- deciding ----------------------------------------------------------------- */

static double
class_confidence(const struct dun_rules *rules, double s1, double s2)
{
	double dominance, strength;

	if (s1 <= 0)
		return 0;
	dominance = s1 / (s1 + (s2 > 0 ? s2 : 0));
	strength = s1 / rules->full_score;
	if (strength > 1)
		strength = 1;
	return dominance * strength;
}

static int
is_reply_class(int c)
{
	return c != DUN_CLASS_UNKNOWN;
}

static void
decide(struct run *run, struct dun_classification *out)
{
	const struct dun_rules *rules = run->rules;
	double s[DUN_NCLASSES];
	int c, c1 = -1, c2 = -1;
	const struct vote *v;

	for (c = 0; c < DUN_NCLASSES; c++)
		s[c] = run->votes[c].score > 0 && run->votes[c].best ?
		    run->votes[c].score : 0;
	/* A class that outranks another silences it once it is sure. */
	for (c = 0; c < DUN_NCLASSES; c++) {
		int o;
		if (s[c] < rules->min_score)
			continue;
		for (o = 0; o < DUN_NCLASSES; o++)
			if (rules->outranks[c][o] && s[o] > 0 &&
			    !(rules->outranks[o][c]))
				s[o] = 0;
	}
	for (c = 0; c < DUN_NCLASSES; c++) {
		if (s[c] <= 0)
			continue;
		if (c1 < 0 || s[c] > s[c1]) {
			c2 = c1;
			c1 = c;
		} else if (c2 < 0 || s[c] > s[c2])
			c2 = c;
	}
	out->cls = DUN_CLASS_UNKNOWN;
	if (c1 < 0) {
		out->rule = xstrdup("no_match");
		out->evidence = xstrdup("");
		out->confidence = 1.0;
		return;
	}
	v = &run->votes[c1];
	if (s[c1] < rules->min_score) {
		out->rule = xasprintf("below_threshold:%s", v->best->id);
		out->evidence = evidence(v->from_subject ? run->subject :
		    run->orig, v->ev_start, v->ev_end);
		out->confidence = 1.0 - 0.5 * s[c1] / rules->min_score;
		return;
	}
	if (c2 >= 0 && s[c2] >= rules->min_score && is_reply_class(c1) &&
	    is_reply_class(c2) && ((rules->conflict[c1][c2] &&
	    s[c1] - s[c2] < rules->margin * s[c1]) || s[c1] == s[c2])) {
		const struct vote *w = &run->votes[c2];
		char *e1 = evidence(v->from_subject ? run->subject : run->orig,
		    v->ev_start, v->ev_end);
		char *e2 = evidence(w->from_subject ? run->subject : run->orig,
		    w->ev_start, w->ev_end);
		out->rule = xasprintf("close_call:%s+%s", v->best->id,
		    w->best->id);
		out->evidence = xasprintf("%s | %s", e1, e2);
		out->candidates = xasprintf("%s:%.2f %s:%.2f",
		    dun_class_name(c1), class_confidence(rules, s[c1], s[c2]),
		    dun_class_name(c2), class_confidence(rules, s[c2], s[c1]));
		out->confidence = 0.5 + 0.5 * s[c2] / s[c1];
		free(e1);
		free(e2);
		return;
	}
	out->cls = (enum dun_class)c1;
	out->rule = xstrdup(v->best->id);
	out->evidence = evidence(v->from_subject ? run->subject : run->orig,
	    v->ev_start, v->ev_end);
	out->confidence = class_confidence(rules, s[c1], c2 >= 0 ? s[c2] : 0);
}

/* --- extraction --------------------------------------------------------------- */

static dun_date_t
reply_date(const struct dun_parsed *msg, const char *tz)
{
	if (msg->date == 0)
		return DUN_DATE_NONE;
	if (tz && *tz && dun_tz_valid(tz))
		return dun_tz_date(msg->date, tz);
	return (dun_date_t)((msg->date + msg->date_offset -
	    (((msg->date + msg->date_offset) % 86400 + 86400) % 86400)) /
	    86400);
}

static int
overlaps(size_t a0, size_t a1, const struct capture *c)
{
	return c->end > c->start && a0 < c->end && a1 > c->start;
}

static void
pick_date(struct run *run, struct dun_classification *out, dun_date_t ref,
    enum dun_day_order order)
{
	struct dun_date_hit hits[MAX_DATE_HITS];
	const struct capture *cap = &run->date[out->cls];
	size_t n, i, best = SIZE_MAX;
	int pass;

	n = dun_dates_scan(hits, MAX_DATE_HITS, run->orig, run->len, ref,
	    order);
	/* Pass 0: inside a rule's (?<date>...) capture and not done;
	 * 1: not done; 2: anything still ahead. */
	for (pass = 0; pass < 3 && best == SIZE_MAX; pass++) {
		for (i = 0; i < n && best == SIZE_MAX; i++) {
			const struct dun_date_hit *h = &hits[i];
			if (!h->ambiguous && (ref == DUN_DATE_NONE ||
			    h->date < ref || h->date > ref + 400))
				continue;
			if (pass == 0 && !overlaps(h->start, h->end, cap))
				continue;
			if (pass < 2 && h->done)
				continue;
			best = i;
		}
	}
	if (best == SIZE_MAX)
		return;
	if (hits[best].ambiguous)
		out->date_ambiguous = 1;
	else
		out->promised_on = hits[best].date;
}

static void
pick_amount(struct run *run, struct dun_classification *out, int zh,
    int captured_only)
{
	struct dun_amount_hit hits[MAX_AMOUNT_HITS];
	const struct capture *cap = &run->amount[out->cls];
	const struct capture *cur = &run->currency[out->cls];
	size_t n, i, best = SIZE_MAX;

	n = dun_amounts_scan(hits, MAX_AMOUNT_HITS, run->orig, run->len, zh);
	for (i = 0; i < n && best == SIZE_MAX; i++)
		if (overlaps(hits[i].start, hits[i].end, cap))
			best = i;
	if (best == SIZE_MAX && cap->end > cap->start) {
		/* a captured number without a currency of its own: the
		 * captured currency, else the language's default */
		struct dun_amount_hit one;
		char code[4] = "";
		char *tmp;
		if (cur->end <= cur->start || dun_currency_from_text(code,
		    run->orig + cur->start, cur->end - cur->start) < 0)
			memcpy(code, zh ? "CNY" : "USD", 4);
		tmp = xasprintf("%s %.*s", code, (int)(cap->end - cap->start),
		    run->orig + cap->start);
		if (dun_amounts_scan(&one, 1, tmp, strlen(tmp), zh) == 1) {
			out->amount_minor = one.minor;
			memcpy(out->currency, one.currency, 4);
		}
		free(tmp);
		return;
	}
	if (captured_only && best == SIZE_MAX)
		return;
	for (i = 0; i < n && best == SIZE_MAX; i++)
		if (hits[i].total)
			best = i;
	if (best == SIZE_MAX && n > 0)
		best = 0;
	if (best == SIZE_MAX)
		return;
	out->amount_minor = hits[best].minor;
	memcpy(out->currency, hits[best].currency, 4);
}

/* --- the entry point -------------------------------------------------------- */

int
dun_classify(struct dun_classification *out, const struct dun_rules *rules,
    const struct dun_parsed *msg, const char *tz, const char *date_locale)
{
	struct run run;
	size_t cjk = 0, latin = 0, scjk = 0, slatin = 0;
	int zh;

	memset(out, 0, sizeof(*out));
	out->promised_on = DUN_DATE_NONE;
	out->amount_minor = -1;
	if (rules == NULL || msg == NULL) {
		out->cls = DUN_CLASS_UNKNOWN;
		out->rule = xstrdup("");
		out->evidence = xstrdup("");
		out->candidates = xstrdup("");
		memcpy(out->language, "en", 3);
		return dun_error_set(DUN_EINVAL, "classify: no rules or no "
		    "message");
	}
	memset(&run, 0, sizeof(run));
	run.rules = rules;
	run.md = pcre2_match_data_create(rules->max_groups, NULL);
	run.orig = prepare_text(msg->text, &run.len, &cjk, &latin);
	run.text = xmalloc(run.len + 1);
	memcpy(run.text, run.orig, run.len + 1);
	run.subject = prepare_text(msg->subject, &run.subject_len, &scjk,
	    &slatin);
	run.text_has = text_has(run.orig, run.len);
	run.subject_has = text_has(run.subject, run.subject_len);
	dun_prefilter_hits_init(&run.text_hits, rules->pf);
	dun_prefilter_hits_init(&run.subject_hits, rules->pf);
	dun_prefilter_scan(rules->pf, &run.text_hits, run.orig, run.len);
	dun_prefilter_scan(rules->pf, &run.subject_hits, run.subject,
	    run.subject_len);
	if (cjk + latin == 0)
		zh = language_is_zh(scjk, slatin);
	else
		zh = language_is_zh(cjk, latin);
	memcpy(out->language, zh ? "zh" : "en", 3);

	if (msg->auto_kind == DUN_AUTO_BOUNCE ||
	    msg->auto_kind == DUN_AUTO_REPLY) {
		int bounce = msg->auto_kind == DUN_AUTO_BOUNCE;
		out->cls = bounce ? DUN_CLASS_BOUNCE : DUN_CLASS_AUTO_REPLY;
		out->rule = xstrdup(bounce ? (msg->bounce_hard ?
		    "detect.bounce_hard" : "detect.bounce") :
		    "detect.auto_reply");
		out->evidence = evidence(msg->auto_evidence ?
		    msg->auto_evidence : "", 0, msg->auto_evidence ?
		    strlen(msg->auto_evidence) : 0);
		out->confidence = 1.0;
	} else {
		apply_masks(&run);
		vote_all(&run);
		decide(&run, out);
	}
	if (out->candidates == NULL)
		out->candidates = xstrdup("");

	if (out->cls != DUN_CLASS_BOUNCE)
		find_invoices(&run, out);
	if (out->cls == DUN_CLASS_PROMISE_TO_PAY ||
	    out->cls == DUN_CLASS_HARDSHIP)
		pick_date(&run, out, reply_date(msg, tz),
		    dun_day_order_from_locale(date_locale));
	if (out->cls == DUN_CLASS_PROMISE_TO_PAY ||
	    out->cls == DUN_CLASS_HARDSHIP || out->cls == DUN_CLASS_PAID)
		pick_amount(&run, out, zh, 0);
	else if (out->cls == DUN_CLASS_DISPUTE)
		pick_amount(&run, out, zh, 1);
	if (run.limit_hits)
		log_debug("classify: %d rule(s) stopped at the PCRE2 match "
		    "limit", run.limit_hits);

	pcre2_match_data_free(run.md);
	dun_prefilter_hits_free(&run.text_hits);
	dun_prefilter_hits_free(&run.subject_hits);
	free(run.orig);
	free(run.text);
	free(run.subject);
	return 0;
}
