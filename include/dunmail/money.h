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
 * currency. Refuses more decimals than the currency has. DUN_EINVAL with
 * a message otherwise.
 */
int dun_money_parse(int64_t *out, const char *text, const char *currency);

/* "4800.00" (plain, for JSON and CSV). */
void dun_money_plain(char *out, size_t outlen, int64_t minor,
	const char *currency);

/* Debtor-facing: en "USD 4,800.00"; zh "¥42,000.00" for CNY, otherwise
 * "USD 4,800.00". */
void dun_money_format(char *out, size_t outlen, int64_t minor,
	const char *currency, const char *lang);

#endif
