/* The literal prefilter of classify and quote: the conditions it draws
 * from patterns, and the one property that matters, that a pattern PCRE2
 * matches is never filtered out (checked on the shipped rules against
 * every reply of the test corpus, and on texts made to trip the folding). */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <pcre2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dunmail/core/common.h"
#include "dunmail/core/prefilter.h"

#define RULES_DIR TEST_DATA_DIR "/../../templates/rules"
#define REPLIES_DIR TEST_DATA_DIR "/replies"

#define CI DUN_PF_CASELESS

static char *
describe(const char *pat, int flags)
{
	struct dun_prefilter *pf = dun_prefilter_new();
	int cond = dun_prefilter_add(pf, pat, strlen(pat), flags);
	char *d;

	dun_prefilter_build(pf);
	d = dun_prefilter_describe(pf, cond);
	dun_prefilter_free(pf);
	return d;
}

/* [pattern, flags] -> the condition */
static const struct {
	const char *pat;
	int flags;
	const char *cond;
} conditions[] = {
	{ "payments?", CI, "(\"payments\" | \"payment\")" },
	{ "\\b(?:paid|settled)\\s+on\\b", CI,
	  "(\"on\" & (\"paid\" | \"settled\"))" },
	{ "(?:mon|tues)day", 0, "(\"monday\" | \"tuesday\")" },
	{ "a.*b", 0, "(\"a\" & \"b\")" },
	{ "(?<!be\\s)\\bpaid\\b", CI, "\"paid\"" },
	{ "[:：]", 0, "(\":\" | \"：\")" },
	{ "PAID", CI, "\"paid\"" },
	{ "a{0}b", 0, "\"b\"" },
	{ "(?<date>today|tomorrow)", CI, "(\"today\" | \"tomorrow\")" },
	/* longer literals are looked for by their first 8 bytes */
	{ "administration", CI, "\"administ\"" },
	/* é has case: not a literal of a caseless pattern */
	{ "a\\s+écrit", CI, "(\"a\" & \"crit\")" },
	{ "a\\s+écrit", 0, "(\"a\" & \"écrit\")" },
	{ "付款", CI, "\"付款\"" },
	/* nothing to require */
	{ "x*", 0, "always" },
	{ "foo|", 0, "always" },
	{ "\\d+", 0, "always" },
	{ "pay .*", 0, "\"pay\"" },
	/* syntax it does not know: always run */
	{ "(?i)foo", 0, "always" },
	{ "(foo)\\1", 0, "always" },
	{ "\\p{Han}foo", 0, "always" },
	{ "\\Qfoo\\E", 0, "always" },
	{ "foo{,3}", 0, "always" },
	{ "(?(1)a|b)", 0, "always" },
	{ "foo", DUN_PF_EXTENDED, "always" },
	{ "(foo", 0, "always" },
};

static void
test_prefilter__conditions(void **state)
{
	size_t i, bad = 0;

	for (i = 0; i < DUN_ARRAY_SIZE(conditions); i++) {
		char *d = describe(conditions[i].pat, conditions[i].flags);
		if (strcmp(d, conditions[i].cond) != 0) {
			printf("/%s/: %s, want %s\n", conditions[i].pat, d,
			    conditions[i].cond);
			bad++;
		}
		free(d);
	}
	assert_int_equal(bad, 0);
}

/* Does pcre2 match, and does the filter let it? */
static int
pcre2_matches(const char *pat, size_t plen, uint32_t opts, const char *text,
    size_t len, int *bad)
{
	pcre2_code *re;
	pcre2_match_data *md;
	PCRE2_SIZE off;
	int rc, err;

	re = pcre2_compile((PCRE2_SPTR)pat, plen, opts | PCRE2_UTF, &err, &off,
	    NULL);
	if (re == NULL) {
		*bad = 1;
		return 0;
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	*bad = 0;
	return rc >= 0;
}

static void
check_sound(const char *pat, uint32_t opts, const char *text)
{
	struct dun_prefilter *pf = dun_prefilter_new();
	struct dun_prefilter_hits hits;
	int cond, bad, flags = (opts & PCRE2_CASELESS) ? CI : 0;

	cond = dun_prefilter_add(pf, pat, strlen(pat), flags);
	dun_prefilter_build(pf);
	dun_prefilter_hits_init(&hits, pf);
	dun_prefilter_scan(pf, &hits, text, strlen(text));
	if (pcre2_matches(pat, strlen(pat), opts, text, strlen(text), &bad) &&
	    !dun_prefilter_may_match(pf, &hits, cond))
		fail_msg("/%s/ matches \"%s\" but was filtered out", pat, text);
	assert_false(bad);
	dun_prefilter_hits_free(&hits);
	dun_prefilter_free(pf);
}

/* Texts where a naive folding would be wrong. */
static void
test_prefilter__folding(void **state)
{
	/* PCRE2 matches k and s caselessly with U+212A and U+017F */
	check_sound("kelvin", PCRE2_CASELESS, "5 \xE2\x84\xAA" "elvin");
	check_sound("paid in full", PCRE2_CASELESS, "we \xC5\xBF" "ent it");
	check_sound("sent", PCRE2_CASELESS, "we \xC5\xBF" "ent it");
	check_sound("WE PAID", PCRE2_CASELESS, "we paid");
	check_sound("we paid", PCRE2_CASELESS, "WE PAID");
	check_sound("ÉCRIT", PCRE2_CASELESS, "il a écrit");
	check_sound("[Éé]crit", 0, "il a Écrit");
	check_sound("付款", PCRE2_CASELESS, "我们明天付款");
	check_sound("a\\ b", 0, "a b");
	check_sound("x(?=yz)", 0, "xyz");
}

static void
test_prefilter__not_found(void **state)
{
	struct dun_prefilter *pf = dun_prefilter_new();
	struct dun_prefilter_hits hits;
	const char *pat = "\\b(?:paid|settled)\\s+on\\b";
	int cond = dun_prefilter_add(pf, pat, strlen(pat), CI);

	dun_prefilter_build(pf);
	dun_prefilter_hits_init(&hits, pf);
	dun_prefilter_scan(pf, &hits, "We will pay on Friday.", 22);
	assert_false(dun_prefilter_may_match(pf, &hits, cond));
	dun_prefilter_scan(pf, &hits, "SETTLED ON Monday", 17);
	assert_true(dun_prefilter_may_match(pf, &hits, cond));
	dun_prefilter_hits_free(&hits);
	dun_prefilter_free(pf);
}

struct rule_pat {
	char *pat;
	pcre2_code *re;
	int cond;
};

static size_t
load_patterns(struct dun_prefilter *pf, struct rule_pat **out)
{
	static const char *const files[] = { "common.rules", "en.rules",
		"zh.rules" };
	struct rule_pat *v = NULL;
	size_t n = 0, i, len;
	char *data, *line, *next, *slash, *last, *path, *m;
	uint32_t opts;
	PCRE2_SIZE off;
	int err;

	for (i = 0; i < DUN_ARRAY_SIZE(files); i++) {
		path = xasprintf("%s/%s", RULES_DIR, files[i]);
		assert_int_equal(dun_file_read(&data, &len, path, 0), 0);
		for (line = data; line; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (*line == '#' || *line == '@' ||
			    (slash = strchr(line, '/')) == NULL ||
			    (last = strrchr(line, '/')) == slash)
				continue;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].pat = xstrndup(slash + 1, (size_t)(last - slash -
			    1));
			for (opts = 0, m = last + 1; *m; m++)
				opts |= *m == 'i' ? PCRE2_CASELESS : *m == 'm' ?
				    PCRE2_MULTILINE : *m == 's' ? PCRE2_DOTALL :
				    *m == 'u' ? PCRE2_UCP : 0;
			v[n].re = pcre2_compile((PCRE2_SPTR)v[n].pat,
			    PCRE2_ZERO_TERMINATED, opts | PCRE2_UTF, &err,
			    &off, NULL);
			assert_non_null(v[n].re);
			(void)pcre2_jit_compile(v[n].re, PCRE2_JIT_COMPLETE);
			v[n].cond = dun_prefilter_add(pf, v[n].pat,
			    strlen(v[n].pat), (opts & PCRE2_CASELESS) ? CI : 0);
			n++;
		}
		free(data);
		free(path);
	}
	*out = v;
	return n;
}

/* Every shipped rule against every reply (headers and all, as raw
 * text): a match is never filtered out, and most rules are filtered. */
static void
test_prefilter__rules_sound(void **state)
{
	struct dun_prefilter *pf = dun_prefilter_new();
	struct dun_prefilter_hits hits;
	struct rule_pat *v = NULL;
	pcre2_match_data *md = pcre2_match_data_create(32, NULL);
	struct dirent *de;
	size_t n, i, len, runs = 0, skipped = 0;
	char *path, *data;
	DIR *dp;

	n = load_patterns(pf, &v);
	assert_true(n > 100);
	dun_prefilter_build(pf);
	dun_prefilter_hits_init(&hits, pf);
	assert_non_null(dp = opendir(REPLIES_DIR));
	while ((de = readdir(dp)) != NULL) {
		if (strstr(de->d_name, ".eml") == NULL)
			continue;
		path = xasprintf("%s/%s", REPLIES_DIR, de->d_name);
		assert_int_equal(dun_file_read(&data, &len, path, 0), 0);
		if (dun_utf8_valid(data, len)) {
			dun_prefilter_scan(pf, &hits, data, len);
			for (i = 0; i < n; i++) {
				int may = dun_prefilter_may_match(pf, &hits,
				    v[i].cond);
				runs++;
				skipped += !may;
				if (!may && pcre2_match(v[i].re,
				    (PCRE2_SPTR)data, len, 0, 0, md, NULL) >= 0)
					fail_msg("%s: /%s/ matches but was "
					    "filtered out", de->d_name, v[i].pat);
			}
		}
		free(data);
		free(path);
	}
	closedir(dp);
	printf("rules filtered out: %zu of %zu runs\n", skipped, runs);
	assert_true(skipped > runs / 2);
	for (i = 0; i < n; i++) {
		free(v[i].pat);
		pcre2_code_free(v[i].re);
	}
	free(v);
	pcre2_match_data_free(md);
	dun_prefilter_hits_free(&hits);
	dun_prefilter_free(pf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefilter__conditions),
		cmocka_unit_test(test_prefilter__folding),
		cmocka_unit_test(test_prefilter__not_found),
		cmocka_unit_test(test_prefilter__rules_sound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
