/*
 * Money as integer minor units plus an ISO 4217 code: parsing ledger
 * amounts exactly and formatting them per language. Never floating point.
 */
#ifndef DUNMAIL_MONEY_H
#define DUNMAIL_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Minor-unit exponent of an ISO 4217 code (2 for USD, 0 for JPY), or -1
 * if the code is unknown. */
int dun_currency_exponent(const char *code);

/*
 * Parses "4800", "4800.5", "4,800.00", "-12.30" into minor units of the
 * currency. A comma may only separate thousands (1,234,567.89): "100,00"
 * and "1,2,3" are refused. Refuses more decimals than the currency has.
 * DUN_EINVAL with a message naming the amount otherwise.
 */
int dun_money_parse(int64_t *out, const char *text, const char *currency);

/*
 * The same with decimal_sep '.' (as above) or ',' for "1.234,56" and
 * "100,00": then '.', a space, U+00A0 or U+202F separate thousands, in
 * groups of three digits, one kind of separator per amount.
 */
int dun_money_parse_sep(int64_t *out, const char *text, const char *currency,
	char decimal_sep);

/* "4800.00" (plain, for JSON and CSV). */
void dun_money_plain(char *out, size_t outlen, int64_t minor,
	const char *currency);

/* Debtor-facing: en "USD 4,800.00"; zh "¥42,000.00" for CNY, otherwise
 * "USD 4,800.00". */
void dun_money_format(char *out, size_t outlen, int64_t minor,
	const char *currency, const char *lang);

#endif
