/*
 * Literal prefilter for the PCRE2 patterns of classify and quote: from a
 * pattern's text, the literals that any match must contain (an AND/OR of
 * them), and one Aho-Corasick pass over a text that says which literals
 * it holds. A pattern whose literals are absent cannot match, so its
 * pcre2_match() is skipped. It only ever says "cannot match" when that
 * is certain; a pattern it does not understand is always run.
 * Not an interface for other modules.
 */
#ifndef DUNMAIL_PREFILTER_H
#define DUNMAIL_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#define DUN_PF_CASELESS 1   /* PCRE2_CASELESS (always with PCRE2_UTF) */
#define DUN_PF_EXTENDED 2   /* PCRE2_EXTENDED: not analysed, always run */

#define DUN_PF_ALWAYS (-1)  /* the condition of a pattern always run */

struct dun_prefilter;

/* Which literals one text holds; from dun_prefilter_scan(). */
struct dun_prefilter_hits {
	uint64_t *bits;      /* owned; one bit per literal */
	size_t nwords;
	int all;             /* the text defeats the filter: run everything */
};

struct dun_prefilter *dun_prefilter_new(void);
void dun_prefilter_free(struct dun_prefilter *pf);

/*
 * The condition of the pattern pat (len bytes, valid UTF-8) for a match:
 * an id for dun_prefilter_may_match(), or DUN_PF_ALWAYS. Call before
 * dun_prefilter_build().
 */
int dun_prefilter_add(struct dun_prefilter *pf, const char *pat, size_t len,
    int flags);
/* Builds the automaton; no dun_prefilter_add() after it. */
void dun_prefilter_build(struct dun_prefilter *pf);

/* Sizes hits for pf (all clear); free with dun_prefilter_hits_free(). */
void dun_prefilter_hits_init(struct dun_prefilter_hits *hits,
    const struct dun_prefilter *pf);
void dun_prefilter_hits_free(struct dun_prefilter_hits *hits);
/* Which literals text (len bytes) holds, into hits. */
void dun_prefilter_scan(const struct dun_prefilter *pf,
    struct dun_prefilter_hits *hits, const char *text, size_t len);
/* 0 if no match of the pattern of cond can be in the scanned text. */
int dun_prefilter_may_match(const struct dun_prefilter *pf,
    const struct dun_prefilter_hits *hits, int cond);

/* The condition as text, such as ("paid" | "settled") & "on". Caller
 * frees. */
char *dun_prefilter_describe(const struct dun_prefilter *pf, int cond);
/* How many literals and automaton states pf has (for tests and traces). */
size_t dun_prefilter_nliterals(const struct dun_prefilter *pf);
size_t dun_prefilter_nstates(const struct dun_prefilter *pf);

#endif
