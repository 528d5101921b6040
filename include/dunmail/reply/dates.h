/*
 * Dates and amounts in a debtor's own words, English and Chinese: a small
 * hand-written scanner (no regex) that finds every date expression
 * ("by Friday", "the 25th", "下周一", "11月30日", "三天内") and every
 * amount ("$500", "EUR 3,450.00", "8.6万", "每月还2000") in a text and
 * resolves them against the reply's local date. The classifier picks
 * which of them is the promise.
 *
 * No error codes: a scan finds what it finds.
 */
#ifndef DUNMAIL_DATES_H
#define DUNMAIL_DATES_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/core/timeutil.h"

/* How numeric dates like 03/04 are read. */
enum dun_day_order {
	DUN_DAY_ORDER_UNKNOWN, /* ambiguous ones are flagged, never guessed */
	DUN_DAY_FIRST,         /* en-GB and most of the world */
	DUN_MONTH_FIRST,       /* en-US; also zh (as in 2026/11/30) */
};

/* From a locale name: "en-US", "en_US", "zh*" -> month first; other "en-*",
 * "de", "fr", ... -> day first; NULL or "" -> UNKNOWN. */
enum dun_day_order dun_day_order_from_locale(const char *locale);

struct dun_date_hit {
	size_t start, end;  /* byte span of the expression in the text */
	dun_date_t date;    /* resolved, DUN_DATE_NONE if ambiguous */
	int ambiguous;      /* numeric, readable both ways, no locale */
	int done;           /* its clause says it already happened (已, already) */
	int explicit_day;   /* a calendar date was written, not a relative one */
};

/*
 * Finds up to max date expressions in text (UTF-8, len bytes), in order,
 * resolved against ref (the reply's local date). Returns how many were
 * found (never more than max). Expressions that need ref are skipped
 * when ref is DUN_DATE_NONE.
 */
size_t dun_dates_scan(struct dun_date_hit *hits, size_t max,
	const char *text, size_t len, dun_date_t ref,
	enum dun_day_order order);

struct dun_amount_hit {
	size_t start, end;  /* byte span */
	int64_t minor;      /* in minor units (cents) */
	char currency[4];   /* ISO 4217 */
	int total;          /* introduced by "total", 共计, 合计 */
	int bare;           /* no currency written (zh verb + number) */
};

/*
 * Finds up to max amounts with a currency in text. A bare number after a
 * Chinese payment verb (还 2000, 付1000) counts as CNY when zh is set.
 * "$" alone is USD and "¥" alone is CNY (see docs/classify.md).
 */
size_t dun_amounts_scan(struct dun_amount_hit *hits, size_t max,
	const char *text, size_t len, int zh);

/* 0 if s is an ISO 4217-looking code or a symbol we know; fills code. */
int dun_currency_from_text(char code[4], const char *s, size_t len);

#endif
