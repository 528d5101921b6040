/*
 * The literal prefilter (see prefilter.h), after RE2's FilteredRE2: a
 * small parser of PCRE2 syntax computes for each part of a pattern either
 * the exact set of strings it can match, or a condition (an AND/OR tree
 * of literals) that every match satisfies. All literals of all patterns
 * go into one Aho-Corasick automaton, so a text is read once whatever
 * the number of patterns.
 *
 * Why the answer "cannot match" is certain:
 *  - what the parser does not know (classes of many characters, \d, .,
 *    quantifiers that allow zero) only weakens the condition, and any
 *    syntax it does not know makes the whole pattern "always run";
 *  - literals and texts are compared with ASCII letters folded to lower
 *    case, which is what PCRE2's caseless matching does for them in UTF
 *    mode, except that k and s also match U+212A and U+017F: a text with
 *    either runs everything; a non-ASCII character of a caseless pattern
 *    is a literal only in blocks without case (CJK, punctuation);
 *  - a space is never part of a literal, so blanking matches with spaces
 *    (classify's masks) cannot make a literal appear that the scanned
 *    text did not hold.
 */
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/core/prefilter.h"

#define EXACT_MAX 16   /* strings in an exact set before it is a condition */
#define EXACT_LEN 48   /* bytes in one of them */
#define CLASS_MAX 8    /* characters of a [class] taken one by one */
#define DEPTH_MAX 64   /* nested groups analysed */
/* Bytes of a literal looked for: a text with the whole literal has its
 * start too, and shorter literals keep the automaton small. */
#define LIT_MAX 8
/* States of the automaton are 16 bits; with more, the filter lets every
 * pattern run. */
#define STATES_MAX 0xFFFE
#define NONE 0xFFFF

/* Literals 0 and 1, whose presence defeats the folding (see above). */
#define LIT_KELVIN "\xE2\x84\xAA"
#define LIT_LONG_S "\xC5\xBF"

enum node_type { N_LIT, N_AND, N_OR };

/* Literal children of a node, as bits of one word of the hits. */
struct lit_mask {
	size_t word;
	uint64_t bits;
};

struct node {
	enum node_type type;
	int lit;             /* N_LIT */
	int *kids;           /* owned; N_AND, N_OR: other nodes */
	size_t nkids;
	struct lit_mask *masks; /* owned; N_AND, N_OR: literals, once built */
	size_t nmasks;
	struct lit_mask *need;  /* owned; of a pattern's condition: a text it
	                         * holds for has one of these literals */
	size_t nneed;
};

/* Literal ids, while building. */
struct lit_list {
	int *v;              /* owned */
	size_t n;
};

struct literal {
	char *s;             /* owned; folded */
	size_t len;
};

struct dun_prefilter {
	struct literal *lits;  /* owned */
	size_t nlits, lits_cap;
	int *slots;            /* owned; open hash of literal ids, -1 free */
	size_t nslots;
	struct node *nodes;    /* owned */
	size_t nnodes, nodes_cap;
	int *roots;            /* owned; the conditions of the patterns */
	size_t nroots;
	/*
	 * The automaton: the trie of the literals with failure links, its
	 * edges packed by state. Small enough to stay in the cache, which a
	 * full transition table (states x bytes) does not: a text is short
	 * and its every byte would be a miss.
	 */
	size_t nstates;
	int usable;            /* built, and not too many states */
	uint16_t *dense;       /* owned; the transitions of the root and of
	                        * its children, for every byte: most steps */
	size_t ndense;         /* states 0 to ndense - 1 */
	uint32_t *edge_at;     /* owned; nstates + 1: a state's edges */
	unsigned char *label;  /* owned; an edge's byte (folded) */
	uint16_t *to;          /* owned; where an edge leads */
	uint16_t *fail;        /* owned; the longest suffix that is a state */
	int32_t *out;          /* owned; literal ending at a state, or -1 */
	uint16_t *dict;        /* owned; next suffix with a literal, or 0 */
	unsigned char *marked; /* owned; a literal ends here or at a suffix */
};

/* Everything a part of a pattern can match, or a condition on it. */
struct strset {
	size_t n;
	char *s[EXACT_MAX];  /* owned */
	size_t len[EXACT_MAX];
};

struct info {
	int exact;           /* it matches only the strings of set */
	struct strset set;
	int cond;            /* else: a node, or DUN_PF_ALWAYS */
};

struct parser {
	struct dun_prefilter *pf;
	const unsigned char *p, *end;
	int caseless;
	int depth;
	int bad;             /* syntax we do not know: always run */
};

/* --- literals and conditions ---------------------------------------------- */

static size_t
lit_hash(const char *s, size_t len)
{
	size_t h = 2166136261u, i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void
slots_grow(struct dun_prefilter *pf)
{
	size_t i, j, n = pf->nslots ? pf->nslots * 2 : 256;

	free(pf->slots);
	pf->slots = xreallocarray(NULL, n, sizeof(*pf->slots));
	pf->nslots = n;
	for (i = 0; i < n; i++)
		pf->slots[i] = -1;
	for (i = 0; i < pf->nlits; i++) {
		j = lit_hash(pf->lits[i].s, pf->lits[i].len) & (n - 1);
		while (pf->slots[j] >= 0)
			j = (j + 1) & (n - 1);
		pf->slots[j] = (int)i;
	}
}

static int
lit_intern(struct dun_prefilter *pf, const char *s, size_t len)
{
	size_t j;
	int id;

	if (len > LIT_MAX)
		len = LIT_MAX;
	if (2 * (pf->nlits + 1) > pf->nslots)
		slots_grow(pf);
	j = lit_hash(s, len) & (pf->nslots - 1);
	for (; (id = pf->slots[j]) >= 0; j = (j + 1) & (pf->nslots - 1))
		if (pf->lits[id].len == len && memcmp(pf->lits[id].s, s, len)
		    == 0)
			return id;
	if (pf->nlits == pf->lits_cap) {
		pf->lits_cap = pf->lits_cap ? 2 * pf->lits_cap : 64;
		pf->lits = xreallocarray(pf->lits, pf->lits_cap,
		    sizeof(*pf->lits));
	}
	/* Exactly len bytes: s runs on past them. */
	pf->lits[pf->nlits].s = xmalloc(len + 1);
	memcpy(pf->lits[pf->nlits].s, s, len);
	pf->lits[pf->nlits].s[len] = '\0';
	pf->lits[pf->nlits].len = len;
	pf->slots[j] = (int)pf->nlits;
	return (int)pf->nlits++;
}

static int
node_new(struct dun_prefilter *pf, enum node_type type, int lit)
{
	struct node *n;

	if (pf->nnodes == pf->nodes_cap) {
		pf->nodes_cap = pf->nodes_cap ? 2 * pf->nodes_cap : 256;
		pf->nodes = xreallocarray(pf->nodes, pf->nodes_cap,
		    sizeof(*pf->nodes));
	}
	n = &pf->nodes[pf->nnodes];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->lit = lit;
	return (int)pf->nnodes++;
}

static void
node_add_kid(struct dun_prefilter *pf, int id, int kid)
{
	struct node *n = &pf->nodes[id];

	n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
}

/* a AND b, or a OR b; each node has one parent, so it may be extended. */
static int
cond_join(struct dun_prefilter *pf, enum node_type type, int a, int b)
{
	size_t i;
	int id;

	if (a == DUN_PF_ALWAYS || b == DUN_PF_ALWAYS) {
		if (type == N_OR)
			return DUN_PF_ALWAYS;
		return a == DUN_PF_ALWAYS ? b : a;
	}
	if (pf->nodes[a].type == type)
		id = a;
	else {
		id = node_new(pf, type, -1);
		node_add_kid(pf, id, a);
	}
	if (pf->nodes[b].type == type) {
		for (i = 0; i < pf->nodes[b].nkids; i++)
			node_add_kid(pf, id, pf->nodes[b].kids[i]);
		pf->nodes[b].nkids = 0;   /* b is not referenced again */
	} else
		node_add_kid(pf, id, b);
	return id;
}

/* --- what parts of a pattern match ---------------------------------------- */

static void
set_free(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->s[i]);
	set->n = 0;
}

/* Adds a copy of s; -1 if the set is full. */
static int
set_add(struct strset *set, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->len[i] == len && memcmp(set->s[i], s, len) == 0)
			return 0;
	if (set->n == EXACT_MAX)
		return -1;
	/* s is not NUL-terminated (often a UTF-8 character in a small
	 * buffer): copy exactly len bytes, never look past them. */
	set->s[set->n] = xmalloc(len + 1);
	memcpy(set->s[set->n], s, len);
	set->s[set->n][len] = '\0';
	set->len[set->n++] = len;
	return 0;
}

static struct info
info_any(void)
{
	struct info x;

	memset(&x, 0, sizeof(x));
	x.cond = DUN_PF_ALWAYS;
	return x;
}

static struct info
info_str(const char *s, size_t len)
{
	struct info x = info_any();

	x.exact = 1;
	set_add(&x.set, s, len);
	return x;
}

static struct info
info_empty(void)
{
	return info_str("", 0);
}

/* The condition of x (which is consumed). */
static int
to_cond(struct dun_prefilter *pf, struct info *x)
{
	size_t i;
	int c = DUN_PF_ALWAYS, any_empty = 0;

	if (!x->exact)
		return x->cond;
	for (i = 0; i < x->set.n; i++)
		any_empty |= x->set.len[i] == 0;
	if (!any_empty && x->set.n > 0) {
		c = node_new(pf, N_LIT, lit_intern(pf, x->set.s[0],
		    x->set.len[0]));
		for (i = 1; i < x->set.n; i++)
			c = cond_join(pf, N_OR, c, node_new(pf, N_LIT,
			    lit_intern(pf, x->set.s[i], x->set.len[i])));
	}
	set_free(&x->set);
	x->exact = 0;
	x->cond = c;
	return c;
}

static struct info
as_cond(struct dun_prefilter *pf, struct info *a, struct info *b,
    enum node_type type)
{
	struct info x = info_any();
	int ca = to_cond(pf, a), cb = to_cond(pf, b);

	x.cond = cond_join(pf, type, ca, cb);
	return x;
}

/* Whether the exact sets of a then b can make one exact set. */
static int
crossable(const struct info *a, const struct info *b)
{
	size_t i, j;

	if (!a->exact || !b->exact || a->set.n * b->set.n > EXACT_MAX)
		return 0;
	for (i = 0; i < a->set.n; i++)
		for (j = 0; j < b->set.n; j++)
			if (a->set.len[i] + b->set.len[j] > EXACT_LEN)
				return 0;
	return 1;
}

/* a then b, both exact and crossable */
static struct info
cross(struct info a, struct info b)
{
	struct info x = info_any();
	char buf[2 * EXACT_LEN];
	size_t i, j;

	x.exact = 1;
	for (i = 0; i < a.set.n; i++)
		for (j = 0; j < b.set.n; j++) {
			memcpy(buf, a.set.s[i], a.set.len[i]);
			memcpy(buf + a.set.len[i], b.set.s[j], b.set.len[j]);
			set_add(&x.set, buf, a.set.len[i] + b.set.len[j]);
		}
	set_free(&a.set);
	set_free(&b.set);
	return x;
}

/* a or b */
static struct info
alternate(struct dun_prefilter *pf, struct info a, struct info b)
{
	size_t i;

	if (!a.exact || !b.exact || a.set.n + b.set.n > EXACT_MAX)
		return as_cond(pf, &a, &b, N_OR);
	for (i = 0; i < b.set.n; i++)
		set_add(&a.set, b.set.s[i], b.set.len[i]);
	set_free(&b.set);
	return a;
}

/* x{min,max}; max -1 for no limit */
static struct info
repeat(struct dun_prefilter *pf, struct info x, long min, long max)
{
	struct info r = info_any();

	if (max == 0) {
		set_free(&x.set);
		return info_empty();
	}
	if (min == 0) {
		if (x.exact && max == 1 && set_add(&x.set, "", 0) == 0)
			return x;
		set_free(&x.set);
		return r;
	}
	if (min == 1 && max == 1)
		return x;
	r.cond = to_cond(pf, &x);
	return r;
}

/* --- the parser ----------------------------------------------------------- */

static int
is_alnum(unsigned c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static size_t
utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static uint32_t
utf8_cp(const unsigned char *s, size_t n)
{
	uint32_t cp = n == 1 ? s[0] : s[0] & (0x7F >> n);
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	return cp;
}

/* Code points that PCRE2 matches caselessly with themselves only. */
static int
caseless_safe(uint32_t cp)
{
	return (cp >= 0xA0 && cp <= 0xBF && cp != 0xB5) || cp == 0xD7 ||
	    cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
	    (cp >= 0x20A0 && cp <= 0x20CF) || (cp >= 0x3000 && cp <= 0x30FF) ||
	    (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF01 && cp <= 0xFF20) ||
	    (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
	    (cp >= 0xFFE0 && cp <= 0xFFEE);
}

/*
 * The character of n bytes at s as a literal: into out (folded), its
 * length returned; 0 if it is not one (a space, or a character with case
 * in a caseless pattern).
 */
static size_t
char_literal(const struct parser *ps, const unsigned char *s, size_t n,
    char *out)
{
	if (n == 1) {
		if (s[0] == ' ' || s[0] < 0x20 || s[0] == 0x7F)
			return 0;
		out[0] = (char)(s[0] >= 'A' && s[0] <= 'Z' ? s[0] + 32 : s[0]);
		return 1;
	}
	if (ps->caseless && !caseless_safe(utf8_cp(s, n)))
		return 0;
	memcpy(out, s, n);
	return n;
}

static struct info
literal(struct parser *ps, const unsigned char *s, size_t n)
{
	char buf[4];
	size_t len = char_literal(ps, s, n, buf);

	return len ? info_str(buf, len) : info_any();
}

static struct info parse_alt(struct parser *ps);

static struct info
bad(struct parser *ps)
{
	ps->bad = 1;
	return info_any();
}

/* Skips {...} after \x, \o, \p, \P; 0 if unterminated. */
static int
skip_braces(struct parser *ps)
{
	if (ps->p < ps->end && *ps->p == '{') {
		while (ps->p < ps->end && *ps->p != '}')
			ps->p++;
		if (ps->p == ps->end)
			return 0;
		ps->p++;
	}
	return 1;
}

/* [...]: its characters if there are few, else anything. */
static struct info
parse_class(struct parser *ps)
{
	struct info x = info_any();
	const unsigned char *first;
	char buf[4];
	size_t n, len;
	int listed = 1;

	x.exact = 1;
	if (++ps->p < ps->end && *ps->p == '^') {
		listed = 0;
		ps->p++;
	}
	first = ps->p;
	while (ps->p < ps->end && (*ps->p != ']' || ps->p == first)) {
		const unsigned char *c = ps->p;
		if (c[0] == '[' && c + 1 < ps->end && (c[1] == ':' ||
		    c[1] == '.' || c[1] == '=')) {
			listed = 0;   /* [:alpha:] and kin */
			for (ps->p += 2; ps->p + 1 < ps->end &&
			    !(ps->p[0] == c[1] && ps->p[1] == ']'); ps->p++)
				;
			if (ps->p + 1 >= ps->end)
				goto fail;
			ps->p += 2;
			continue;
		}
		if (c[0] == '-' && c != first && c + 1 < ps->end &&
		    c[1] != ']') {
			listed = 0;   /* a range */
			ps->p++;
			continue;
		}
		if (c[0] == '\\') {
			if (c + 1 >= ps->end)
				goto fail;
			ps->p += 2;
			if (c[1] == 'Q' || c[1] == 'E')
				goto fail;
			if (is_alnum(c[1])) {
				listed = 0;
				if (c[1] == 'c')
					ps->p++;
				else if (!skip_braces(ps))
					goto fail;
				continue;
			}
			c++;
			ps->p = c;
		}
		n = utf8_len(c[0]);
		if (ps->p + n > ps->end)
			goto fail;
		ps->p += n;
		if ((len = char_literal(ps, c, n, buf)) == 0 ||
		    set_add(&x.set, buf, len) < 0 || x.set.n > CLASS_MAX)
			listed = 0;
	}
	if (ps->p >= ps->end)
		goto fail;
	ps->p++;
	if (!listed || x.set.n == 0) {
		set_free(&x.set);
		return info_any();
	}
	return x;
fail:
	set_free(&x.set);
	return bad(ps);
}

static struct info
parse_escape(struct parser *ps)
{
	unsigned char c;
	size_t n;

	if (++ps->p >= ps->end || *ps->p == '\0')
		return bad(ps);
	c = *ps->p;
	if (c >= 0x80) {
		n = utf8_len(c);
		if (ps->p + n > ps->end)
			return bad(ps);
		ps->p += n;
		return literal(ps, ps->p - n, n);
	}
	ps->p++;
	if (strchr("bBAzZG", c))
		return info_empty();
	if (c == 'N' && ps->p < ps->end && *ps->p == '{')
		return bad(ps);
	if (strchr("sSwWdDhHvVRNXtnrfae", c))
		return info_any();
	if (c == 'x') {
		if (ps->p < ps->end && *ps->p == '{')
			return skip_braces(ps) ? info_any() : bad(ps);
		for (n = 0; n < 2 && ps->p < ps->end && *ps->p &&
		    strchr("0123456789abcdefABCDEF", *ps->p); n++)
			ps->p++;
		return info_any();
	}
	if (is_alnum(c))
		return bad(ps);   /* back references, \p, \Q, \K, ... */
	return literal(ps, ps->p - 1, 1);
}

static struct info
parse_group(struct parser *ps)
{
	struct info x;
	int look = 0;

	ps->p++;
	if (ps->p < ps->end && *ps->p == '*')
		return bad(ps);
	if (ps->p < ps->end && *ps->p == '?') {
		const unsigned char *q = ++ps->p;
		if (q >= ps->end)
			return bad(ps);
		if (*q == ':' || *q == '>')
			ps->p++;
		else if (*q == '=' || *q == '!') {
			look = 1;
			ps->p++;
		} else if (*q == '<' && q + 1 < ps->end && (q[1] == '=' ||
		    q[1] == '!')) {
			look = 1;
			ps->p += 2;
		} else if (*q == '<' || *q == '\'' || (*q == 'P' &&
		    q + 1 < ps->end && q[1] == '<')) {
			unsigned char close;
			if (*q == 'P')
				ps->p++;
			close = *ps->p == '\'' ? '\'' : '>';
			for (ps->p++; ps->p < ps->end && (is_alnum(*ps->p) ||
			    *ps->p == '_'); ps->p++)
				;
			if (ps->p >= ps->end || *ps->p != close)
				return bad(ps);
			ps->p++;
		} else
			return bad(ps);   /* options, conditions, recursion */
	}
	if (++ps->depth > DEPTH_MAX)
		return bad(ps);
	x = parse_alt(ps);
	ps->depth--;
	if (ps->bad || ps->p >= ps->end || *ps->p != ')') {
		set_free(&x.set);
		return bad(ps);
	}
	ps->p++;
	if (look) {
		/* it matches nothing itself; what it asks for is ignored */
		set_free(&x.set);
		return info_empty();
	}
	return x;
}

static int
parse_count(struct parser *ps, long *out)
{
	long v = 0;
	int digits = 0;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		if (v < 100000)
			v = v * 10 + (*ps->p - '0');
		ps->p++;
		digits++;
	}
	*out = v;
	return digits;
}

/* A quantifier at p into min and max (-1: none); 0 if there is none. */
static int
parse_quant(struct parser *ps, long *min, long *max)
{
	if (ps->p >= ps->end)
		return 0;
	switch (*ps->p) {
	case '?': *min = 0; *max = 1; break;
	case '*': *min = 0; *max = -1; break;
	case '+': *min = 1; *max = -1; break;
	case '{':
		ps->p++;
		if (!parse_count(ps, min)) {
			ps->bad = 1;   /* a literal brace: not worth knowing */
			return 0;
		}
		*max = *min;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			if (!parse_count(ps, max))
				*max = -1;
		}
		if (ps->p >= ps->end || *ps->p != '}') {
			ps->bad = 1;
			return 0;
		}
		break;
	default:
		return 0;
	}
	ps->p++;
	if (ps->p < ps->end && (*ps->p == '?' || *ps->p == '+'))
		ps->p++;   /* lazy, possessive: the same strings */
	return 1;
}

static struct info
parse_atom(struct parser *ps)
{
	size_t n;

	switch (*ps->p) {
	case '(':
		return parse_group(ps);
	case '[':
		return parse_class(ps);
	case '\\':
		return parse_escape(ps);
	case '.':
		ps->p++;
		return info_any();
	case '^':
	case '$':
		ps->p++;
		return info_empty();
	case '*':
	case '+':
	case '?':
	case '{':
		return bad(ps);
	}
	n = utf8_len(*ps->p);
	if (ps->p + n > ps->end)
		return bad(ps);
	ps->p += n;
	return literal(ps, ps->p - n, n);
}

/*
 * A sequence: the exact strings of the run of atoms since the last one
 * that is not exact (tail), ANDed with what came before (cond), so that
 * the letters of a word after a \s+ still make one literal.
 */
static struct info
parse_seq(struct parser *ps)
{
	struct info tail = info_empty(), a, x;
	int cond = DUN_PF_ALWAYS, inexact = 0;
	long min, max;

	while (!ps->bad && ps->p < ps->end && *ps->p != '|' &&
	    *ps->p != ')') {
		a = parse_atom(ps);
		if (!ps->bad && parse_quant(ps, &min, &max))
			a = repeat(ps->pf, a, min, max);
		if (crossable(&tail, &a)) {
			tail = cross(tail, a);
			continue;
		}
		inexact = 1;
		cond = cond_join(ps->pf, N_AND, cond, to_cond(ps->pf, &tail));
		if (a.exact) {
			tail = a;
			continue;
		}
		cond = cond_join(ps->pf, N_AND, cond, a.cond);
		tail = info_empty();
	}
	if (!inexact)
		return tail;
	x = info_any();
	x.cond = cond_join(ps->pf, N_AND, cond, to_cond(ps->pf, &tail));
	return x;
}

static struct info
parse_alt(struct parser *ps)
{
	struct info x = parse_seq(ps);

	while (!ps->bad && ps->p < ps->end && *ps->p == '|') {
		ps->p++;
		x = alternate(ps->pf, x, parse_seq(ps));
	}
	return x;
}

/* --- the interface -------------------------------------------------------- */

struct dun_prefilter *
dun_prefilter_new(void)
{
	struct dun_prefilter *pf = xcalloc(1, sizeof(*pf));

	lit_intern(pf, LIT_KELVIN, strlen(LIT_KELVIN));
	lit_intern(pf, LIT_LONG_S, strlen(LIT_LONG_S));
	return pf;
}

void
dun_prefilter_free(struct dun_prefilter *pf)
{
	size_t i;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->nlits; i++)
		free(pf->lits[i].s);
	for (i = 0; i < pf->nnodes; i++) {
		free(pf->nodes[i].kids);
		free(pf->nodes[i].masks);
		free(pf->nodes[i].need);
	}
	free(pf->roots);
	free(pf->lits);
	free(pf->slots);
	free(pf->nodes);
	free(pf->dense);
	free(pf->edge_at);
	free(pf->label);
	free(pf->to);
	free(pf->fail);
	free(pf->out);
	free(pf->dict);
	free(pf->marked);
	free(pf);
}

int
dun_prefilter_add(struct dun_prefilter *pf, const char *pat, size_t len,
    int flags)
{
	struct parser ps;
	struct info x;
	int cond;

	if (flags & DUN_PF_EXTENDED)
		return DUN_PF_ALWAYS;
	memset(&ps, 0, sizeof(ps));
	ps.pf = pf;
	ps.p = (const unsigned char *)pat;
	ps.end = ps.p + len;
	ps.caseless = (flags & DUN_PF_CASELESS) != 0;
	x = parse_alt(&ps);
	if (ps.bad || ps.p != ps.end) {
		set_free(&x.set);
		return DUN_PF_ALWAYS;
	}
	if ((cond = to_cond(pf, &x)) != DUN_PF_ALWAYS) {
		pf->roots = xreallocarray(pf->roots, pf->nroots + 1,
		    sizeof(*pf->roots));
		pf->roots[pf->nroots++] = cond;
	}
	return cond;
}

/* The literal children of each node as masks: one test per word. */
static void
build_masks(struct dun_prefilter *pf)
{
	struct node *n;
	size_t i, k, kept, m;
	int lit;

	for (i = 0; i < pf->nnodes; i++) {
		n = &pf->nodes[i];
		for (k = kept = 0; k < n->nkids; k++) {
			if (pf->nodes[n->kids[k]].type != N_LIT) {
				n->kids[kept++] = n->kids[k];
				continue;
			}
			lit = pf->nodes[n->kids[k]].lit;
			for (m = 0; m < n->nmasks; m++)
				if (n->masks[m].word == (size_t)lit / 64)
					break;
			if (m == n->nmasks) {
				n->masks = xreallocarray(n->masks, m + 1,
				    sizeof(*n->masks));
				n->masks[m].word = (size_t)lit / 64;
				n->masks[m].bits = 0;
				n->nmasks++;
			}
			n->masks[m].bits |= (uint64_t)1 << (lit % 64);
		}
		n->nkids = kept;
	}
}

static void
list_add(struct lit_list *l, int lit)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = lit;
}

/*
 * Literals one of which every text that satisfies node id holds, into
 * out: all those of an OR, one part's of an AND (its longest literal, or
 * the shortest list of a child). 0 if there is no such list.
 */
static int
needed(const struct dun_prefilter *pf, int id, struct lit_list *out)
{
	const struct node *n = &pf->nodes[id];
	struct lit_list best = { NULL, 0 }, kid;
	size_t i, bit;
	int lit, found = 0;

	if (n->type == N_LIT) {
		list_add(out, n->lit);
		return 1;
	}
	for (i = 0; i < n->nmasks; i++)
		for (bit = 0; bit < 64; bit++) {
			if (!(n->masks[i].bits >> bit & 1))
				continue;
			lit = (int)(n->masks[i].word * 64 + bit);
			if (n->type == N_OR)
				list_add(out, lit);
			else if (!found || pf->lits[lit].len >
			    pf->lits[best.v[0]].len) {
				best.n = 0;
				list_add(&best, lit);
				found = 1;
			}
		}
	for (i = 0; i < n->nkids && !(n->type == N_AND && found &&
	    best.n == 1); i++) {
		if (n->type == N_OR) {
			if (!needed(pf, n->kids[i], out))
				return 0;
			continue;
		}
		kid.v = NULL;
		kid.n = 0;
		if (needed(pf, n->kids[i], &kid) && (!found || kid.n <
		    best.n)) {
			free(best.v);
			best = kid;
			found = 1;
		} else
			free(kid.v);
	}
	if (n->type == N_OR)
		return 1;
	for (i = 0; i < best.n; i++)
		list_add(out, best.v[i]);
	free(best.v);
	return found;
}

/* For each pattern, the literals of which a text needs one: a test of a
 * few words that turns most patterns down before their conditions. */
static void
build_needs(struct dun_prefilter *pf)
{
	struct lit_list l;
	struct node *n;
	size_t r, i, m;

	for (r = 0; r < pf->nroots; r++) {
		n = &pf->nodes[pf->roots[r]];
		l.v = NULL;
		l.n = 0;
		if (n->need == NULL && needed(pf, pf->roots[r], &l))
			for (i = 0; i < l.n; i++) {
				size_t w = (size_t)l.v[i] / 64;
				for (m = 0; m < n->nneed; m++)
					if (n->need[m].word == w)
						break;
				if (m == n->nneed) {
					n->need = xreallocarray(n->need, m + 1,
					    sizeof(*n->need));
					n->need[m].word = w;
					n->need[m].bits = 0;
					n->nneed++;
				}
				n->need[m].bits |= (uint64_t)1 <<
				    (l.v[i] % 64);
			}
		free(l.v);
	}
}

static int
lit_cmp(const void *a, const void *b, void *arg)
{
	const struct dun_prefilter *pf = arg;
	const struct literal *x = &pf->lits[*(const size_t *)a];
	const struct literal *y = &pf->lits[*(const size_t *)b];
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* States of the trie: its distinct prefixes, counted on sorted literals. */
static size_t
count_states(const struct dun_prefilter *pf)
{
	size_t *order, i, n = 1, common;
	const struct literal *x, *prev = NULL;

	order = xreallocarray(NULL, pf->nlits, sizeof(*order));
	for (i = 0; i < pf->nlits; i++)
		order[i] = i;
	qsort_r(order, pf->nlits, sizeof(*order), lit_cmp, (void *)pf);
	for (i = 0; i < pf->nlits; i++, prev = x) {
		x = &pf->lits[order[i]];
		for (common = 0; prev && common < prev->len &&
		    common < x->len && prev->s[common] == x->s[common];
		    common++)
			;
		n += x->len - common;
	}
	free(order);
	return n;
}

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The child of state s by byte c (folded), or NONE. */
static uint16_t
step(const struct dun_prefilter *pf, uint16_t s, unsigned char c)
{
	uint32_t e;

	for (e = pf->edge_at[s]; e < pf->edge_at[s + 1]; e++)
		if (pf->label[e] == c)
			return pf->to[e];
	return NONE;
}

/* The trie, then its edges packed by state (states are numbered breadth
 * first, so a state's children are its edges in order). */
static void
build_trie(struct dun_prefilter *pf)
{
	uint16_t *first, *sib, s, t;
	unsigned char *lab;
	uint16_t *queue;
	size_t i, j, k, head = 0, tail = 0, e = 0;

	first = xreallocarray(NULL, pf->nstates, sizeof(*first));
	sib = xreallocarray(NULL, pf->nstates, sizeof(*sib));
	lab = xcalloc(pf->nstates, 1);
	for (k = 0; k < pf->nstates; k++)
		first[k] = sib[k] = NONE;
	pf->out = xreallocarray(NULL, pf->nstates, sizeof(*pf->out));
	for (k = 0; k < pf->nstates; k++)
		pf->out[k] = -1;
	for (i = 0, k = 1; i < pf->nlits; i++) {
		for (s = 0, j = 0; j < pf->lits[i].len; j++) {
			unsigned char c = (unsigned char)pf->lits[i].s[j];
			for (t = first[s]; t != NONE && lab[t] != c; t = sib[t])
				;
			if (t == NONE) {
				t = (uint16_t)k++;
				lab[t] = c;
				sib[t] = first[s];
				first[s] = t;
			}
			s = t;
		}
		pf->out[s] = (int32_t)i;
	}
	/* renumbered breadth first: old -> new in queue order */
	pf->edge_at = xreallocarray(NULL, pf->nstates + 1,
	    sizeof(*pf->edge_at));
	pf->label = xreallocarray(NULL, pf->nstates, 1);
	pf->to = xreallocarray(NULL, pf->nstates, sizeof(*pf->to));
	queue = xreallocarray(NULL, pf->nstates, sizeof(*queue));
	{
		uint16_t *renum = xreallocarray(NULL, pf->nstates,
		    sizeof(*renum));
		int32_t *out = xreallocarray(NULL, pf->nstates, sizeof(*out));
		queue[tail++] = 0;
		renum[0] = 0;
		while (head < tail) {
			s = queue[head];
			pf->edge_at[head] = (uint32_t)e;
			out[head] = pf->out[s];
			head++;
			for (t = first[s]; t != NONE; t = sib[t]) {
				renum[t] = (uint16_t)tail;
				queue[tail++] = t;
				pf->label[e] = lab[t];
				pf->to[e++] = renum[t];
			}
		}
		pf->edge_at[head] = (uint32_t)e;
		free(pf->out);
		pf->out = out;
		free(renum);
	}
	free(queue);
	free(first);
	free(sib);
	free(lab);
}

/* Failure links, breadth first (state order); the dense rows of the root
 * and its children, whose failure is the root. */
static void
build_links(struct dun_prefilter *pf)
{
	uint16_t s, t, f;
	uint32_t e;
	int c;

	pf->fail = xcalloc(pf->nstates, sizeof(*pf->fail));
	pf->dict = xcalloc(pf->nstates, sizeof(*pf->dict));
	pf->marked = xcalloc(pf->nstates, 1);
	for (s = 0; s < pf->nstates; s++)
		for (e = pf->edge_at[s]; e < pf->edge_at[s + 1]; e++) {
			t = pf->to[e];
			if (s == 0) {
				pf->fail[t] = 0;
				continue;
			}
			for (f = pf->fail[s]; f != 0 &&
			    step(pf, f, pf->label[e]) == NONE; f = pf->fail[f])
				;
			f = step(pf, f, pf->label[e]);
			pf->fail[t] = f == NONE ? 0 : f;
			pf->dict[t] = pf->out[pf->fail[t]] >= 0 ? pf->fail[t] :
			    pf->dict[pf->fail[t]];
		}
	for (s = 0; s < pf->nstates; s++)
		pf->marked[s] = pf->out[s] >= 0 || pf->dict[s] != 0;
	pf->ndense = 1 + (pf->edge_at[1] - pf->edge_at[0]);
	pf->dense = xreallocarray(NULL, pf->ndense * 256, sizeof(*pf->dense));
	for (s = 0; s < pf->ndense; s++)
		for (c = 0; c < 256; c++) {
			t = step(pf, s, fold((unsigned char)c));
			pf->dense[s * 256 + c] = t != NONE ? t : s == 0 ? 0 :
			    pf->dense[c];
		}
}

void
dun_prefilter_build(struct dun_prefilter *pf)
{
	build_masks(pf);
	build_needs(pf);
	pf->nstates = count_states(pf);
	if (pf->nstates > STATES_MAX)
		return;
	build_trie(pf);
	build_links(pf);
	pf->usable = 1;
}

void
dun_prefilter_hits_init(struct dun_prefilter_hits *hits,
    const struct dun_prefilter *pf)
{
	hits->nwords = (pf->nlits + 63) / 64;
	hits->bits = xcalloc(hits->nwords, sizeof(*hits->bits));
	hits->all = 0;
}

void
dun_prefilter_hits_free(struct dun_prefilter_hits *hits)
{
	free(hits->bits);
	hits->bits = NULL;
	hits->nwords = 0;
}

static int
hit(const struct dun_prefilter_hits *hits, int lit)
{
	return (hits->bits[lit / 64] >> (lit % 64)) & 1;
}

void
dun_prefilter_scan(const struct dun_prefilter *pf,
    struct dun_prefilter_hits *hits, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	uint16_t state = 0, t;
	size_t i;

	memset(hits->bits, 0, hits->nwords * sizeof(*hits->bits));
	if (!pf->usable) {
		hits->all = 1;
		return;
	}
	for (i = 0; i < len; i++) {
		for (;;) {
			if (state < pf->ndense) {
				state = pf->dense[(size_t)state * 256 + s[i]];
				break;
			}
			if ((t = step(pf, state, fold(s[i]))) != NONE) {
				state = t;
				break;
			}
			state = pf->fail[state];
		}
		if (!pf->marked[state])
			continue;
		/* the literals ending here: the state's, then its suffixes';
		 * a literal already seen had its suffixes marked with it */
		for (t = state; t != 0; t = pf->dict[t]) {
			int lit = pf->out[t];
			if (lit < 0)
				continue;
			if (hit(hits, lit))
				break;
			hits->bits[lit / 64] |= (uint64_t)1 << (lit % 64);
		}
	}
	hits->all = hit(hits, 0) || hit(hits, 1);
}

static int
eval(const struct dun_prefilter *pf, const struct dun_prefilter_hits *hits,
    int id)
{
	const struct node *n = &pf->nodes[id];
	size_t i;

	switch (n->type) {
	case N_LIT:
		return hit(hits, n->lit);
	case N_AND:
		for (i = 0; i < n->nmasks; i++)
			if ((hits->bits[n->masks[i].word] & n->masks[i].bits) !=
			    n->masks[i].bits)
				return 0;
		for (i = 0; i < n->nkids; i++)
			if (!eval(pf, hits, n->kids[i]))
				return 0;
		return 1;
	case N_OR:
		for (i = 0; i < n->nmasks; i++)
			if (hits->bits[n->masks[i].word] & n->masks[i].bits)
				return 1;
		for (i = 0; i < n->nkids; i++)
			if (eval(pf, hits, n->kids[i]))
				return 1;
		return 0;
	}
	return 1;
}

int
dun_prefilter_may_match(const struct dun_prefilter *pf,
    const struct dun_prefilter_hits *hits, int cond)
{
	const struct node *n;
	size_t i;

	if (cond == DUN_PF_ALWAYS || hits->all)
		return 1;
	n = &pf->nodes[cond];
	for (i = 0; i < n->nneed; i++)
		if (hits->bits[n->need[i].word] & n->need[i].bits)
			break;
	if (n->nneed && i == n->nneed)
		return 0;
	return eval(pf, hits, cond);
}

static void
describe_lit(const struct dun_prefilter *pf, struct dun_buf *b, size_t lit)
{
	dun_buf_add(b, "\"", 1);
	dun_buf_add(b, pf->lits[lit].s, pf->lits[lit].len);
	dun_buf_add(b, "\"", 1);
}

static void
describe(const struct dun_prefilter *pf, struct dun_buf *b, int id)
{
	const struct node *n = &pf->nodes[id];
	const char *sep = n->type == N_AND ? " & " : " | ";
	size_t i, bit, k = 0;

	if (n->type == N_LIT) {
		describe_lit(pf, b, (size_t)n->lit);
		return;
	}
	dun_buf_add(b, "(", 1);
	for (i = 0; i < n->nmasks; i++)
		for (bit = 0; bit < 64; bit++)
			if (n->masks[i].bits >> bit & 1) {
				if (k++)
					dun_buf_add(b, sep, 3);
				describe_lit(pf, b,
				    n->masks[i].word * 64 + bit);
			}
	for (i = 0; i < n->nkids; i++) {
		if (k++)
			dun_buf_add(b, sep, 3);
		describe(pf, b, n->kids[i]);
	}
	dun_buf_add(b, ")", 1);
}

char *
dun_prefilter_describe(const struct dun_prefilter *pf, int cond)
{
	struct dun_buf b = DUN_BUF_INIT;

	dun_buf_init(&b, 0);
	if (cond == DUN_PF_ALWAYS)
		dun_buf_add(&b, "always", 6);
	else
		describe(pf, &b, cond);
	return dun_buf_detach(&b, NULL);
}

size_t
dun_prefilter_nliterals(const struct dun_prefilter *pf)
{
	return pf->nlits;
}

size_t
dun_prefilter_nstates(const struct dun_prefilter *pf)
{
	return pf->nstates;
}
