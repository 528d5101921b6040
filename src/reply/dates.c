/*
 * Date expressions in debtors' words (see dates.h; amounts are in
 * amounts.c). A scanner
 * over UTF-8 bytes: at each position a few small matchers are tried, the
 * English ones at word starts, the Chinese ones anywhere. Dates resolve
 * against the reply's local date; what cannot be resolved without
 * guessing (03/04 with no locale) is reported as ambiguous.
 */
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/reply/dates.h"
#include "scan.h"

/* --- calendar helpers ----------------------------------------------------- */

/* Monday-based weekday, 0 = Monday .. 6 = Sunday. */
static int
mon0(dun_date_t d)
{
	return (dun_date_weekday(d) + 6) % 7;
}

/* wd is 0 = Sunday .. 6 = Saturday throughout. */
static dun_date_t
next_weekday_after(dun_date_t ref, int wd)
{
	int k;

	for (k = 1; k <= 7; k++)
		if (dun_date_weekday(ref + k) == wd)
			return ref + k;
	return DUN_DATE_NONE;
}

static dun_date_t
this_week(dun_date_t ref, int wd)
{
	return ref - mon0(ref) + (wd + 6) % 7;
}

static dun_date_t
end_of_month(int y, int m)
{
	return dun_date_from_ymd(y, m, dun_days_in_month(y, m));
}

static int
valid_md(int y, int m, int d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= dun_days_in_month(y, m);
}

/* A month and day without a year: the year that puts it nearest ahead,
 * unless it lies less than half a year back (a past date stays past). */
static dun_date_t
infer_year(const struct scan *sc, int m, int d)
{
	int y = sc->ry;

	if (!valid_md(y, m, d) && !valid_md(y + 1, m, d))
		return DUN_DATE_NONE;
	if (valid_md(y, m, d) && dun_date_from_ymd(y, m, d) >= sc->ref - 182)
		return dun_date_from_ymd(y, m, d);
	return valid_md(y + 1, m, d) ? dun_date_from_ymd(y + 1, m, d) :
	    DUN_DATE_NONE;
}

/* The next day-of-month dom on or after ref. */
static dun_date_t
next_dom(const struct scan *sc, int dom)
{
	int y = sc->ry, m = sc->rm, k;

	if (dom < 1 || dom > 31)
		return DUN_DATE_NONE;
	for (k = 0; k < 13; k++) {
		if (dom <= dun_days_in_month(y, m) &&
		    dun_date_from_ymd(y, m, dom) >= sc->ref)
			return dun_date_from_ymd(y, m, dom);
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	return DUN_DATE_NONE;
}

static dun_date_t
add_business_days(dun_date_t d, int n)
{
	while (n > 0) {
		d++;
		if (dun_date_weekday(d) != 0 && dun_date_weekday(d) != 6)
			n--;
	}
	return d;
}

static dun_date_t
last_working_day(int y, int m)
{
	dun_date_t d = end_of_month(y, m);

	while (dun_date_weekday(d) == 0 || dun_date_weekday(d) == 6)
		d--;
	return d;
}

/* --- hits ------------------------------------------------------------------ */

static int
is_clause_end(const struct scan *sc, size_t i, size_t *n)
{
	static const char *const cjk[] = { "，", "。", "！", "？", "；",
		"、", NULL };
	int c = at(sc, i);

	*n = 1;
	if (c == '.' || c == '!' || c == '?' || c == ';' || c == '\n')
		return !(c == '.' && is_digit(at(sc, i + 1)));
	if (c == ',')
		return !is_digit(at(sc, i + 1));
	if (c == '-' && at(sc, i + 1) == ' ' && i > 0 && at(sc, i - 1) == ' ')
		return 1;
	return (*n = lit_any(sc, i, cjk, NULL)) > 0;
}

/* Does the clause around [start,end) say it already happened? */
static int
clause_done(const struct scan *sc, size_t start, size_t end)
{
	size_t a = start, b = end, n, i;

	while (a > 0) {
		size_t p = a - 1;
		while (p > 0 && ((unsigned char)sc->s[p] & 0xC0) == 0x80)
			p--;
		if (is_clause_end(sc, p, &n) && p + n <= a)
			break;
		a = p;
	}
	while (b < sc->len && !is_clause_end(sc, b, &n))
		b++;
	for (i = a; i < b; i++) {
		if (lit(sc, i, "已") || word(sc, i, "already"))
			return 1;
	}
	return 0;
}

static void
hit(struct scan *sc, size_t start, size_t end, dun_date_t date, int explicit)
{
	struct dun_date_hit *h;

	if (sc->n >= sc->max)
		return;
	if (date == DUN_DATE_NONE)
		return;
	h = &sc->hits[sc->n++];
	memset(h, 0, sizeof(*h));
	h->start = start;
	h->end = end;
	h->date = date;
	h->explicit_day = explicit;
	h->done = clause_done(sc, start, end);
}

static void
hit_ambiguous(struct scan *sc, size_t start, size_t end)
{
	struct dun_date_hit *h;

	if (sc->n >= sc->max)
		return;
	h = &sc->hits[sc->n++];
	memset(h, 0, sizeof(*h));
	h->start = start;
	h->end = end;
	h->date = DUN_DATE_NONE;
	h->ambiguous = 1;
	h->explicit_day = 1;
	h->done = clause_done(sc, start, end);
}

/* --- English ----------------------------------------------------------------- */

static const char *const month_names[] = { "january", "february", "march",
	"april", "may", "june", "july", "august", "september", "october",
	"november", "december", NULL };
static const char *const month_abbr[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };

/* A month name or abbreviation (with an optional dot); 1..12 or 0. */
static size_t
month_word(const struct scan *sc, size_t i, int *month)
{
	size_t n;
	int k = 8;  /* "sept" */

	if ((n = word_any(sc, i, month_names, &k)) > 0 ||
	    (n = word(sc, i, "sept")) > 0 ||
	    (n = word_any(sc, i, month_abbr, &k)) > 0) {
		if (n == 4 && lower(at(sc, i)) == 's' && lower(at(sc, i + 3))
		    == 't')
			k = 8;
		*month = k + 1;
		if (at(sc, i + n) == '.')
			n++;
		return n;
	}
	return 0;
}

static const struct {
	const char *name;
	int wd;
	int weak;  /* also an ordinary word or too short: needs context */
} weekdays[] = {
	{ "monday", 1, 0 }, { "tuesday", 2, 0 }, { "wednesday", 3, 0 },
	{ "thursday", 4, 0 }, { "friday", 5, 0 }, { "saturday", 6, 0 },
	{ "sunday", 0, 0 }, { "tues", 2, 0 }, { "weds", 3, 0 },
	{ "thurs", 4, 0 }, { "thur", 4, 0 }, { "thu", 4, 0 }, { "tue", 2, 0 },
	{ "wed", 3, 1 }, { "fri", 5, 0 }, { "mon", 1, 1 }, { "sat", 6, 1 },
	{ "sun", 0, 1 },
};

static size_t
weekday_word(const struct scan *sc, size_t i, int *wd, int *weak)
{
	size_t k, n;

	for (k = 0; k < DUN_ARRAY_SIZE(weekdays); k++)
		if ((n = word(sc, i, weekdays[k].name)) > 0) {
			*wd = weekdays[k].wd;
			*weak = weekdays[k].weak;
			return n;
		}
	return 0;
}

/* "st", "nd", "rd", "th" right after a day number. */
static size_t
ordinal_suffix(const struct scan *sc, size_t i)
{
	static const char *const suf[] = { "st", "nd", "rd", "th", NULL };

	return word_any(sc, i, suf, NULL);
}

/* The word before i (ASCII), lowercase, into buf. */
static void
prev_word(const struct scan *sc, size_t i, char *buf, size_t buflen)
{
	size_t e = i, b;

	while (e > 0 && !is_alpha(at(sc, e - 1)) && (at(sc, e - 1) == ' ' ||
	    at(sc, e - 1) == '\t' || at(sc, e - 1) == '\n' ||
	    at(sc, e - 1) == '\r'))
		e--;
	b = e;
	while (b > 0 && is_alpha(at(sc, b - 1)))
		b--;
	if (e - b >= buflen)
		e = b + buflen - 1;
	for (i = 0; b + i < e; i++)
		buf[i] = (char)lower(at(sc, b + i));
	buf[i] = '\0';
}

/* 2026-12-04, 2026/12/04 */
static size_t
m_iso(struct scan *sc, size_t i)
{
	int y, m, d;
	size_t p = i, n;
	int sep;

	if ((n = digits(sc, p, 4, &y)) != 4)
		return 0;
	p += n;
	sep = at(sc, p);
	if (sep != '-' && sep != '/' && sep != '.')
		return 0;
	if ((n = digits(sc, ++p, 2, &m)) == 0)
		return 0;
	p += n;
	if (at(sc, p) != sep)
		return 0;
	if ((n = digits(sc, ++p, 2, &d)) == 0)
		return 0;
	p += n;
	if (is_digit(at(sc, p)) || !valid_md(y, m, d))
		return 0;
	hit(sc, i, p, dun_date_from_ymd(y, m, d), 1);
	return p - i;
}

/* 20/11/2026, 16/11, 20.11.2026, 11/16/2026: by the locale, or flagged. */
static size_t
m_numeric(struct scan *sc, size_t i)
{
	int a, b, y = -1, sep, day, month;
	size_t p = i, n;

	if ((n = digits(sc, p, 2, &a)) == 0)
		return 0;
	p += n;
	sep = at(sc, p);
	if (sep != '/' && sep != '.')
		return 0;
	if ((n = digits(sc, ++p, 2, &b)) == 0)
		return 0;
	p += n;
	if (at(sc, p) == sep && is_digit(at(sc, p + 1))) {
		size_t q = p + 1;
		if ((n = digits(sc, q, 4, &y)) != 4 && n != 2)
			return 0;
		if (n == 2)
			y += 2000;
		p = q + n;
	} else if (sep == '.')
		return 0;  /* 1.5 is a number, not a date */
	if (is_digit(at(sc, p)) || at(sc, p) == '/' ||
	    (at(sc, p) == '.' && is_digit(at(sc, p + 1))))
		return 0;
	if (a < 1 || b < 1 || a > 31 || b > 31 || (a > 12 && b > 12))
		return 0;
	if (a > 12 || sep == '.') {
		day = a;
		month = b;
	} else if (b > 12) {
		day = b;
		month = a;
	} else if (a == b) {
		day = month = a;
	} else if (sc->order == DUN_DAY_FIRST) {
		day = a;
		month = b;
	} else if (sc->order == DUN_MONTH_FIRST) {
		day = b;
		month = a;
	} else {
		hit_ambiguous(sc, i, p);
		return p - i;
	}
	if (y > 0) {
		if (!valid_md(y, month, day))
			return 0;
		hit(sc, i, p, dun_date_from_ymd(y, month, day), 1);
	} else
		hit(sc, i, p, infer_year(sc, month, day), 1);
	return p - i;
}

/* An optional ", 2026" or " 2026" after a day and month. */
static size_t
opt_year(const struct scan *sc, size_t p, int *y)
{
	size_t q = p, n;

	if (at(sc, q) == ',')
		q++;
	q = skip_ws(sc, q);
	if ((n = digits(sc, q, 4, y)) == 4 && !is_alnum(at(sc, q + n)))
		return q + n;
	*y = -1;
	return p;
}

static dun_date_t
ymd_or_infer(const struct scan *sc, int y, int m, int d)
{
	if (y > 0)
		return valid_md(y, m, d) ? dun_date_from_ymd(y, m, d) :
		    DUN_DATE_NONE;
	return infer_year(sc, m, d);
}

/* 30 November, 1st Dec, 13-Nov, 15th of December 2026 */
static size_t
m_day_month(struct scan *sc, size_t i)
{
	int d, m, y;
	size_t p = i, n, q;

	if ((n = digits(sc, p, 2, &d)) == 0)
		return 0;
	p += n;
	p += ordinal_suffix(sc, p);
	q = p;
	if (at(sc, q) == '-')
		q++;
	else {
		q = skip_ws(sc, q);
		if ((n = word(sc, q, "of")) > 0)
			q = skip_ws(sc, q + n);
	}
	if ((n = month_word(sc, q, &m)) == 0 || q == p)
		return 0;
	p = q + n;
	if (at(sc, p) == '-' && is_digit(at(sc, p + 1)))
		p++;  /* 13-Nov-2026 */
	p = opt_year(sc, p, &y);
	hit(sc, i, p, ymd_or_infer(sc, y, m, d), 1);
	return p - i;
}

/* November 27, Nov 9th, December 1, 2026 */
static size_t
m_month_day(struct scan *sc, size_t i)
{
	int d, m, y;
	size_t p, n;

	if ((n = month_word(sc, i, &m)) == 0)
		return 0;
	p = skip_ws(sc, i + n);
	if (p == i + n)
		return 0;
	if (word(sc, p, "the"))
		p = skip_ws(sc, p + 3);
	if ((n = digits(sc, p, 2, &d)) == 0 || d < 1 || d > 31)
		return 0;
	p += n;
	if (is_digit(at(sc, p)))
		return 0;
	p += ordinal_suffix(sc, p);
	if (is_alpha(at(sc, p)))
		return 0;
	p = opt_year(sc, p, &y);
	hit(sc, i, p, ymd_or_infer(sc, y, m, d), 1);
	return p - i;
}

/* [this|next|coming] Friday [16th] [November] */
static size_t
m_weekday(struct scan *sc, size_t i)
{
	static const char *const mods[] = { "this", "next", "coming", "last",
		NULL };
	char before[16];
	size_t p = i, n, q;
	int mod = -1, wd, weak, d, m, y;
	dun_date_t date;

	if ((n = word_any(sc, p, mods, &mod)) > 0) {
		q = skip_ws(sc, p + n);
		if (q == p + n)
			return 0;
		p = q;
	}
	if ((n = weekday_word(sc, p, &wd, &weak)) == 0)
		return 0;
	if (weak && mod < 0) {
		prev_word(sc, i, before, sizeof(before));
		if (strcmp(before, "by") && strcmp(before, "on") &&
		    strcmp(before, "until") && strcmp(before, "before"))
			return 0;
	}
	if (at(sc, p + n) == '.')
		n++;
	p += n;
	if (mod == 3)
		return p - i; /* last Friday: past, not a promise */
	/* Monday 16th, Thursday 26 November */
	q = skip_ws(sc, p);
	if (at(sc, p) == ',')
		q = skip_ws(sc, p + 1);
	if ((n = digits(sc, q, 2, &d)) > 0 && d >= 1 && d <= 31 &&
	    !is_digit(at(sc, q + n))) {
		size_t r = q + n + ordinal_suffix(sc, q + n), s;
		s = skip_ws(sc, r);
		if (word(sc, s, "of"))
			s = skip_ws(sc, s + 2);
		if ((n = month_word(sc, s, &m)) > 0) {
			p = opt_year(sc, s + n, &y);
			hit(sc, i, p, ymd_or_infer(sc, y, m, d), 1);
			return p - i;
		}
		if (r > q + n || !is_alpha(at(sc, r))) {
			/* the next day d that falls on that weekday, or the
			 * next day d at all */
			int k;
			date = DUN_DATE_NONE;
			for (k = 0; k < 12 && date == DUN_DATE_NONE; k++) {
				int yy = sc->ry + (sc->rm - 1 + k) / 12;
				int mm = (sc->rm - 1 + k) % 12 + 1;
				dun_date_t c;
				if (!valid_md(yy, mm, d))
					continue;
				c = dun_date_from_ymd(yy, mm, d);
				if (c >= sc->ref && dun_date_weekday(c) == wd)
					date = c;
			}
			if (date == DUN_DATE_NONE)
				date = next_dom(sc, d);
			hit(sc, i, r, date, 1);
			return r - i;
		}
	}
	if (sc->ref == DUN_DATE_NONE)
		return p - i;
	q = skip_ws(sc, p);
	if (mod < 0 && (n = word(sc, q, "next")) > 0 &&
	    word(sc, skip_ws(sc, q + n), "week") > 0) {
		/* Friday next week */
		mod = 1;
		q = skip_ws(sc, q + n);
		p = q + 4;
	}
	if (mod == 1) /* next: in the following Monday-based week */
		date = this_week(sc->ref, wd) + 7;
	else if (mod == 0) {
		date = this_week(sc->ref, wd);
		if (date < sc->ref)
			date = next_weekday_after(sc->ref, wd);
	} else
		date = next_weekday_after(sc->ref, wd);
	hit(sc, i, p, date, 0);
	return p - i;
}

static const char *const number_words[] = { "zero", "one", "two", "three",
	"four", "five", "six", "seven", "eight", "nine", "ten", NULL };

/* A count: digits, a number word, "a" or "a couple of". */
static size_t
count_word(const struct scan *sc, size_t i, int *val)
{
	size_t n;
	int k;

	if ((n = digits(sc, i, 3, val)) > 0)
		return is_alpha(at(sc, i + n)) ? 0 : n;
	if ((n = word_any(sc, i, number_words, &k)) > 0) {
		*val = k;
		return n;
	}
	if ((n = word(sc, i, "a")) > 0 || (n = word(sc, i, "one")) > 0) {
		*val = 1;
		return n;
	}
	return 0;
}

/* within 3 days, in two weeks, within 5 business days */
static size_t
m_within(struct scan *sc, size_t i)
{
	size_t p, n;
	int cnt, business = 0, week = 0;

	if ((n = word(sc, i, "within")) == 0 && (n = word(sc, i, "in")) == 0)
		return 0;
	p = skip_ws(sc, i + n);
	if ((n = word(sc, p, "the")) > 0) {
		p = skip_ws(sc, p + n);
		if ((n = word(sc, p, "next")) == 0)
			return 0;
		p = skip_ws(sc, p + n);
	}
	if ((n = count_word(sc, p, &cnt)) == 0)
		return 0;
	p = skip_ws(sc, p + n);
	if ((n = word(sc, p, "business")) > 0 || (n = word(sc, p, "working"))
	    > 0) {
		business = 1;
		p = skip_ws(sc, p + n);
	} else if ((n = word(sc, p, "calendar")) > 0)
		p = skip_ws(sc, p + n);
	if ((n = word(sc, p, "days")) > 0 || (n = word(sc, p, "day")) > 0)
		;
	else if ((n = word(sc, p, "weeks")) > 0 || (n = word(sc, p, "week"))
	    > 0)
		week = 1;
	else
		return 0;
	p += n;
	if (sc->ref == DUN_DATE_NONE || cnt <= 0 || cnt > 366)
		return p - i;
	if (week)
		hit(sc, i, p, sc->ref + 7 * cnt, 0);
	else if (business)
		hit(sc, i, p, add_business_days(sc->ref, cnt), 0);
	else
		hit(sc, i, p, sc->ref + cnt, 0);
	return p - i;
}

/* today, tonight, tomorrow (and its misspellings), the day after tomorrow */
static size_t
m_relative_day(struct scan *sc, size_t i)
{
	static const char *const today[] = { "today", "tonight", "tdy", NULL };
	static const char *const tomorrow[] = { "tomorrow", "tommorow",
		"tomorow", "tommorrow", "tmrw", "tmr", "tmrow", NULL };
	size_t n, p;

	if (sc->ref == DUN_DATE_NONE)
		return 0;
	if ((n = word_any(sc, i, today, NULL)) > 0) {
		hit(sc, i, i + n, sc->ref, 0);
		return n;
	}
	if ((n = word(sc, i, "day")) > 0) {
		p = skip_ws(sc, i + n);
		if ((n = word(sc, p, "after")) == 0)
			return 0;
		p = skip_ws(sc, p + n);
		if ((n = word_any(sc, p, tomorrow, NULL)) == 0)
			return 0;
		hit(sc, i, p + n, sc->ref + 2, 0);
		return p + n - i;
	}
	if ((n = word_any(sc, i, tomorrow, NULL)) > 0) {
		hit(sc, i, i + n, sc->ref + 1, 0);
		return n;
	}
	return 0;
}

/* end of the month, EOM, month-end, last working day of the month,
 * end of November, end of this week */
static size_t
m_month_end(struct scan *sc, size_t i)
{
	static const char *const this_the[] = { "the", "this", NULL };
	size_t p, n;
	int m, working = 0;

	if (sc->ref == DUN_DATE_NONE)
		return 0;
	if ((n = word(sc, i, "eom")) > 0) {
		hit(sc, i, i + n, end_of_month(sc->ry, sc->rm), 0);
		return n;
	}
	if ((n = word(sc, i, "month")) > 0) {
		p = i + n;
		if (at(sc, p) == '-' || at(sc, p) == ' ')
			p++;
		if ((n = word(sc, p, "end")) == 0)
			return 0;
		hit(sc, i, p + n, end_of_month(sc->ry, sc->rm), 0);
		return p + n - i;
	}
	if ((n = word(sc, i, "last")) > 0) {
		p = skip_ws(sc, i + n);
		if ((n = word(sc, p, "working")) > 0 ||
		    (n = word(sc, p, "business")) > 0) {
			working = 1;
			p = skip_ws(sc, p + n);
		}
		if ((n = word(sc, p, "day")) == 0)
			return 0;
		p = skip_ws(sc, p + n);
		goto of_month;
	}
	if ((n = word(sc, i, "end")) == 0)
		return 0;
	p = skip_ws(sc, i + n);
of_month:
	if ((n = word(sc, p, "of")) == 0)
		return 0;
	p = skip_ws(sc, p + n);
	if ((n = word_any(sc, p, this_the, NULL)) > 0)
		p = skip_ws(sc, p + n);
	if ((n = word(sc, p, "month")) > 0) {
		p += n;
		hit(sc, i, p, working ? last_working_day(sc->ry, sc->rm) :
		    end_of_month(sc->ry, sc->rm), 0);
		return p - i;
	}
	if ((n = word(sc, p, "week")) > 0 && !working) {
		dun_date_t fri = this_week(sc->ref, 5);
		p += n;
		hit(sc, i, p, fri >= sc->ref ? fri : fri + 7, 0);
		return p - i;
	}
	if ((n = month_word(sc, p, &m)) > 0) {
		int y = sc->ry;
		p += n;
		if (end_of_month(y, m) < sc->ref - 182)
			y++;
		hit(sc, i, p, working ? last_working_day(y, m) :
		    end_of_month(y, m), 1);
		return p - i;
	}
	return 0;
}

/* the 25th, on the 30th (not followed by a month: m_day_month took that) */
static size_t
m_ordinal(struct scan *sc, size_t i)
{
	char before[16];
	size_t n, s;
	int d;

	if ((n = digits(sc, i, 2, &d)) == 0 || (s = ordinal_suffix(sc, i + n))
	    == 0)
		return 0;
	prev_word(sc, i, before, sizeof(before));
	if (strcmp(before, "the") != 0 || sc->ref == DUN_DATE_NONE)
		return n + s;
	hit(sc, i, i + n + s, next_dom(sc, d), 1);
	return n + s;
}

static size_t
match_en(struct scan *sc, size_t i)
{
	size_t n;

	if (is_digit(at(sc, i))) {
		if ((n = m_iso(sc, i)) || (n = m_numeric(sc, i)) ||
		    (n = m_day_month(sc, i)) || (n = m_ordinal(sc, i)))
			return n;
		return 0;
	}
	if ((n = m_weekday(sc, i)) || (n = m_month_day(sc, i)) ||
	    (n = m_relative_day(sc, i)) || (n = m_within(sc, i)) ||
	    (n = m_month_end(sc, i)))
		return n;
	return 0;
}

/* --- Chinese -------------------------------------------------------------- */

static const char *const cn_week[] = { "星期", "礼拜", "禮拜", "周", "週",
	NULL };

/* 一 .. 日/天 or 1..7 after 周/星期: 0 = Sunday .. 6 = Saturday. */
static size_t
cn_weekday_digit(const struct scan *sc, size_t i, int *wd)
{
	static const char *const d[] = { "日", "一", "二", "三", "四", "五",
		"六", "天", NULL };
	size_t n;
	int k;

	if ((n = lit_any(sc, i, d, &k)) > 0) {
		*wd = k == 7 ? 0 : k;
		return n;
	}
	if (at(sc, i) >= '1' && at(sc, i) <= '7' && !is_digit(at(sc, i + 1))) {
		*wd = at(sc, i) == '7' ? 0 : at(sc, i) - '0';
		return 1;
	}
	return 0;
}

/* 本周五, 这周四, 下周一, 下個禮拜三, 周五, 星期天 */
static size_t
m_cn_weekday(struct scan *sc, size_t i)
{
	static const char *const this_[] = { "本", "这个", "這個", "这", "這",
		NULL };
	static const char *const next_[] = { "下个", "下個", "下", NULL };
	static const char *const last_[] = { "上个", "上個", "上", NULL };
	size_t p = i, n;
	int mod = -1, wd;
	dun_date_t date;

	if ((n = lit_any(sc, p, this_, NULL)) > 0)
		mod = 0;
	else if ((n = lit_any(sc, p, next_, NULL)) > 0)
		mod = 1;
	else if ((n = lit_any(sc, p, last_, NULL)) > 0)
		mod = 2;
	p += n;
	if ((n = lit_any(sc, p, cn_week, NULL)) == 0)
		return 0;
	p += n;
	if ((n = cn_weekday_digit(sc, p, &wd)) == 0) {
		/* 这周内, 本週內: taken as that week's Friday */
		static const char *const within[] = { "内", "內", "之内",
			"之內", NULL };
		if (mod == 0 && (n = lit_any(sc, p, within, NULL)) > 0 &&
		    sc->ref != DUN_DATE_NONE) {
			date = this_week(sc->ref, 5);
			hit(sc, i, p + n, date >= sc->ref ? date : sc->ref, 0);
			return p + n - i;
		}
		return 0;
	}
	p += n;
	if (mod == 2 || sc->ref == DUN_DATE_NONE)
		return p - i;
	if (mod == 1)
		date = this_week(sc->ref, wd) + 7;
	else if (mod == 0) {
		date = this_week(sc->ref, wd);
		if (date < sc->ref)
			date = next_weekday_after(sc->ref, wd);
	} else
		date = next_weekday_after(sc->ref, wd);
	hit(sc, i, p, date, 0);
	return p - i;
}

static const char *const cn_day_suffix[] = { "日", "号", "號", NULL };

/* 2026年12月5日, 12月5日, 11月30号, 十一月三十日 */
static size_t
m_cn_ymd(struct scan *sc, size_t i)
{
	int y = -1, m, d;
	size_t p = i, n;

	if ((n = digits(sc, p, 4, &y)) == 4 && lit(sc, p + 4, "年"))
		p += 4 + strlen("年");
	else
		y = -1;
	if ((n = cn_number(sc, p, &m)) == 0 || !lit(sc, p + n, "月"))
		return 0;
	p += n + strlen("月");
	if ((n = cn_number(sc, p, &d)) == 0) {
		if (y > 0)
			return p - i;
		return 0;
	}
	p += n;
	if ((n = lit_any(sc, p, cn_day_suffix, NULL)) > 0)
		p += n;
	else if (is_digit(at(sc, p)))
		return 0;
	hit(sc, i, p, ymd_or_infer(sc, y, m, d), 1);
	return p - i;
}

/* 11号, 本月20号, 每月15号, 下个月5号, 月底, 本月底, 下个月底 */
static size_t
m_cn_dom(struct scan *sc, size_t i)
{
	static const char *const this_month[] = { "本月", "这个月", "這個月",
		"这月", "這月", "当月", "當月", NULL };
	static const char *const every_month[] = { "每月", "每个月", "每個月",
		NULL };
	static const char *const next_month[] = { "下个月", "下個月", "下月",
		NULL };
	static const char *const month_end[] = { "底", "末", NULL };
	size_t p = i, n;
	int kind = 0, d, y, m;
	dun_date_t date;

	if (sc->ref == DUN_DATE_NONE)
		return 0;
	if ((n = lit_any(sc, p, this_month, NULL)) > 0)
		kind = 1;
	else if ((n = lit_any(sc, p, every_month, NULL)) > 0)
		kind = 2;
	else if ((n = lit_any(sc, p, next_month, NULL)) > 0)
		kind = 3;
	else if ((n = lit(sc, p, "月")) > 0 && lit_any(sc, p + n, month_end,
	    NULL)) {
		/* a bare 月底: not 1月底 (another month, taken as vague) */
		if (i > 0 && (is_digit(at(sc, i - 1)) || (i >= 3 &&
		    cn_number(sc, i - 3, &d) == 3)))
			return 0;
		kind = 1;
		n = 0;
	}
	p += n;
	y = sc->ry;
	m = sc->rm;
	if (kind == 3 && ++m > 12) {
		m = 1;
		y++;
	}
	if (kind == 1 || kind == 3) {
		size_t q = p;
		if (kind == 1 && lit(sc, q, "月"))
			q += strlen("月");  /* bare 月底 */
		if ((n = lit_any(sc, q, month_end, NULL)) > 0) {
			hit(sc, i, q + n, end_of_month(y, m), 0);
			return q + n - i;
		}
	}
	if ((n = cn_number(sc, p, &d)) == 0)
		return kind ? (size_t)0 : 0;
	if (lit_any(sc, p + n, cn_day_suffix, NULL) == 0)
		return 0;
	if (!kind && i > 0 && (is_digit(at(sc, i - 1))))
		return 0;
	p += n;
	p += lit_any(sc, p, cn_day_suffix, NULL);
	if (kind == 1 || kind == 3)
		date = valid_md(y, m, d) ? dun_date_from_ymd(y, m, d) :
		    DUN_DATE_NONE;
	else
		date = next_dom(sc, d);
	hit(sc, i, p, date, kind == 1 || kind == 3);
	return p - i;
}

/* 今天, 明天, 后天, 大后天 */
static size_t
m_cn_relative(struct scan *sc, size_t i)
{
	static const struct {
		const char *w;
		int off;
	} rel[] = { { "今天", 0 }, { "今日", 0 }, { "今晚", 0 },
		{ "大后天", 3 }, { "大後天", 3 }, { "明天", 1 }, { "明日", 1 },
		{ "明早", 1 }, { "后天", 2 }, { "後天", 2 } };
	size_t k, n;

	if (sc->ref == DUN_DATE_NONE)
		return 0;
	for (k = 0; k < DUN_ARRAY_SIZE(rel); k++)
		if ((n = lit(sc, i, rel[k].w)) > 0) {
			hit(sc, i, i + n, sc->ref + rel[k].off, 0);
			return n;
		}
	return 0;
}

/* 三天内, 3日内, 两天后, 5个工作日内, 一周内, 两个星期后 */
static size_t
m_cn_within(struct scan *sc, size_t i)
{
	static const char *const unit_day[] = { "天", "日", NULL };
	static const char *const unit_bday[] = { "工作日", "个工作日",
		"個工作日", NULL };
	static const char *const unit_week[] = { "个星期", "個星期", "个礼拜",
		"個禮拜", "星期", "周", "週", NULL };
	static const char *const after[] = { "之内", "之內", "以内", "以內",
		"内", "內", "之后", "之後", "以后", "以後", "后", "後", NULL };
	size_t p = i, n;
	int cnt, kind;

	if (sc->ref == DUN_DATE_NONE)
		return 0;
	if (i > 0 && is_digit(at(sc, i - 1)))
		return 0;
	if ((n = cn_number(sc, p, &cnt)) == 0)
		return 0;
	p += n;
	if ((n = lit_any(sc, p, unit_bday, NULL)) > 0)
		kind = 1;
	else if ((n = lit_any(sc, p, unit_week, NULL)) > 0)
		kind = 2;
	else if ((n = lit_any(sc, p, unit_day, NULL)) > 0)
		kind = 0;
	else
		return 0;
	p += n;
	if ((n = lit_any(sc, p, after, NULL)) == 0)
		return 0;
	p += n;
	if (cnt <= 0 || cnt > 366)
		return p - i;
	hit(sc, i, p, kind == 1 ? add_business_days(sc->ref, cnt) :
	    sc->ref + (kind == 2 ? 7 : 1) * cnt, 0);
	return p - i;
}

static size_t
match_cn(struct scan *sc, size_t i)
{
	size_t n;

	if ((n = m_cn_ymd(sc, i)) || (n = m_cn_weekday(sc, i)) ||
	    (n = m_cn_dom(sc, i)) || (n = m_cn_relative(sc, i)) ||
	    (n = m_cn_within(sc, i)))
		return n;
	return 0;
}

/* --- the scan ------------------------------------------------------------- */

enum dun_day_order
dun_day_order_from_locale(const char *locale)
{
	if (locale == NULL || *locale == '\0')
		return DUN_DAY_ORDER_UNKNOWN;
	if (dun_str_casecmp_prefix(locale, "zh") ||
	    dun_str_casecmp_prefix(locale, "ja") ||
	    dun_str_casecmp_prefix(locale, "ko") ||
	    strcasecmp(locale, "en-US") == 0 ||
	    strcasecmp(locale, "en_US") == 0 || strcasecmp(locale, "us") == 0 ||
	    strcasecmp(locale, "mdy") == 0)
		return DUN_MONTH_FIRST;
	return DUN_DAY_FIRST;
}

size_t
dun_dates_scan(struct dun_date_hit *hits, size_t max, const char *text,
    size_t len, dun_date_t ref, enum dun_day_order order)
{
	struct scan sc;
	size_t i = 0, n;

	memset(&sc, 0, sizeof(sc));
	sc.s = text;
	sc.len = len;
	sc.ref = ref;
	sc.order = order;
	sc.hits = hits;
	sc.max = max;
	if (ref != DUN_DATE_NONE)
		dun_date_to_ymd(ref, &sc.ry, &sc.rm, &sc.rd);
	else
		sc.ry = 1970, sc.rm = 1, sc.rd = 1;
	while (i < len && sc.n < max) {
		int c = at(&sc, i);
		n = 0;
		if (c >= 0x80 || is_digit(c))
			n = match_cn(&sc, i);
		if (n == 0 && is_alnum(c) && (i == 0 ||
		    (!is_alnum(at(&sc, i - 1)) && at(&sc, i - 1) != '-' &&
		    at(&sc, i - 1) != ':' && at(&sc, i - 1) != '/' &&
		    !(at(&sc, i - 1) == '.' && i > 1 &&
		    is_digit(at(&sc, i - 2))))))
			n = match_en(&sc, i);
		if (n > 0)
			i += n;
		else if (is_alnum(c)) {
			while (i < len && is_alnum(at(&sc, i)))
				i++;
		} else
			i++;
	}
	return sc.n;
}
