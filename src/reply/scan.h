/*
 * Private to the scanners of debtors' words (dates.c, amounts.c): the
 * scan over UTF-8 bytes and its small matchers (ASCII classes, literals,
 * whole words, digits, Chinese numerals).
 */
#ifndef DUNMAIL_REPLY_SCAN_H
#define DUNMAIL_REPLY_SCAN_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "dunmail/reply/dates.h"

struct scan {
	const char *s;
	size_t len;
	dun_date_t ref;
	int ry, rm, rd;
	enum dun_day_order order;
	struct dun_date_hit *hits;
	size_t max, n;
};

/* --- small helpers ------------------------------------------------------ */

static inline int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

static inline int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline int
at(const struct scan *sc, size_t i)
{
	return i < sc->len ? (unsigned char)sc->s[i] : 0;
}

/* The bytes of lit at i (exact, UTF-8); returns its length or 0. */
static inline size_t
lit(const struct scan *sc, size_t i, const char *l)
{
	size_t n;

	if (i >= sc->len || (unsigned char)sc->s[i] != (unsigned char)l[0])
		return 0;
	n = strlen(l);
	if (i + n > sc->len || memcmp(sc->s + i, l, n) != 0)
		return 0;
	return n;
}

/* The first of several literals at i; *which gets its index. */
static inline size_t
lit_any(const struct scan *sc, size_t i, const char *const *ls, int *which)
{
	size_t n;
	int k;

	for (k = 0; ls[k]; k++)
		if ((n = lit(sc, i, ls[k])) > 0) {
			if (which)
				*which = k;
			return n;
		}
	return 0;
}

/* An ASCII word at i, case-insensitive, ending at a word boundary. */
static inline size_t
word(const struct scan *sc, size_t i, const char *w)
{
	size_t n, k;

	if (i >= sc->len || lower((unsigned char)sc->s[i]) != w[0])
		return 0;
	n = strlen(w);
	if (i + n > sc->len)
		return 0;
	for (k = 0; k < n; k++)
		if (lower((unsigned char)sc->s[i + k]) != w[k])
			return 0;
	if (is_alpha(at(sc, i + n)))
		return 0;
	return n;
}

static inline size_t
word_any(const struct scan *sc, size_t i, const char *const *ws, int *which)
{
	size_t n;
	int k;

	for (k = 0; ws[k]; k++)
		if ((n = word(sc, i, ws[k])) > 0) {
			if (which)
				*which = k;
			return n;
		}
	return 0;
}

static inline size_t
skip_ws(const struct scan *sc, size_t i)
{
	while (i < sc->len) {
		int c = at(sc, i);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			i++;
		else
			break;
	}
	return i;
}

/* Up to maxd ASCII digits at i; returns the count (0 = none). */
static inline size_t
digits(const struct scan *sc, size_t i, int maxd, int *val)
{
	size_t k = 0;
	int v = 0;

	while (is_digit(at(sc, i + k))) {
		if ((int)k == maxd)
			return 0;     /* too many digits: not ours */
		v = v * 10 + (at(sc, i + k) - '0');
		k++;
	}
	*val = v;
	return k;
}

/* A Chinese numeral up to 99 (一 .. 九十九, 两, 廿) or ASCII digits. */
static inline size_t
cn_number(const struct scan *sc, size_t i, int *val)
{
	static const char *const d[] = { "零", "一", "二", "三", "四", "五",
		"六", "七", "八", "九", NULL };
	size_t n, p = i;
	int k, v = 0, tens = 0, seen = 0;

	if ((n = digits(sc, i, 3, val)) > 0)
		return n;
	if ((n = lit(sc, p, "两")) || (n = lit(sc, p, "兩"))) {
		*val = 2;
		return n;
	}
	if ((n = lit(sc, p, "廿"))) {
		tens = 20;
		p += n;
		seen = 1;
	} else if ((n = lit_any(sc, p, d, &k)) > 0) {
		v = k;
		p += n;
		seen = 1;
	}
	if ((n = lit(sc, p, "十"))) {
		tens = (seen ? (v ? v : 1) : 1) * 10;
		v = 0;
		p += n;
		seen = 1;
		if ((n = lit_any(sc, p, d, &k)) > 0 && k > 0) {
			v = k;
			p += n;
		}
	}
	if (!seen)
		return 0;
	*val = tens + v;
	return p - i;
}

#endif
