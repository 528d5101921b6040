/* ISO 4217 amounts in minor units; see money.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/core/money.h"

/*
 * ISO 4217 list one as of amendment 177 (2024), with each code's minor
 * unit, sorted for bsearch. Fund codes with a minor unit (BOV, CHE, CHW,
 * CLF, COU, MXV, USN, UYI, UYW) are in: ledgers do carry them. Left out
 * are the X-codes that have no minor unit (XAU, XAG, XPD, XPT, XBA-XBD,
 * XDR, XSU, XUA, XTS, XXX): metals, units of account and test codes, not
 * currencies an invoice is written in. Kept as well, for invoices still
 * open in them: XCG (from 2025) and the codes withdrawn since 2021 that
 * old ledgers carry (ANG, CUC, HRK, SLL, ZWL).
 */
static const struct currency {
	char code[4];
	int exponent;
} currencies[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
	{ "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
	{ "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
	{ "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
	{ "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
	{ "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
	{ "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "COU", 2 }, { "CRC", 2 }, { "CUC", 2 }, { "CUP", 2 }, { "CVE", 2 },
	{ "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 },
	{ "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 },
	{ "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 },
	{ "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 },
	{ "HNL", 2 }, { "HRK", 2 }, { "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 },
	{ "ILS", 2 }, { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 },
	{ "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KGS", 2 },
	{ "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 },
	{ "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 },
	{ "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 },
	{ "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 },
	{ "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 },
	{ "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 },
	{ "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 },
	{ "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 },
	{ "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 },
	{ "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 },
	{ "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 },
	{ "SLL", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 },
	{ "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 },
	{ "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 },
	{ "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 },
	{ "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 },
	{ "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 },
	{ "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 },
	{ "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 }, { "ZWL", 2 },
};

static int
currency_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct currency *)elem)->code);
}

int
dun_currency_exponent(const char *code)
{
	const struct currency *c;

	if (code == NULL || strlen(code) != 3)
		return -1;
	c = bsearch(code, currencies, DUN_ARRAY_SIZE(currencies),
	    sizeof(currencies[0]), currency_cmp);
	return c ? c->exponent : -1;
}

/* The length of a thousands separator at p, or 0. With a decimal comma
 * the groups are split by '.', a space, a no-break space (U+00A0) or a
 * narrow no-break space (U+202F), as European exports write them. */
static size_t
group_sep_len(const char *p, char decimal_sep)
{
	if (decimal_sep == '.')
		return *p == ',';
	if (*p == '.' || *p == ' ')
		return 1;
	if (strncmp(p, "\xc2\xa0", 2) == 0)
		return 2;
	if (strncmp(p, "\xe2\x80\xaf", 3) == 0)
		return 3;
	return 0;
}

int
dun_money_parse(int64_t *out, const char *text, const char *currency)
{
	return dun_money_parse_sep(out, text, currency, '.');
}

int
dun_money_parse_sep(int64_t *out, const char *text, const char *currency,
    char decimal_sep)
{
	int exp = dun_currency_exponent(currency);
	const char *p = text, *sep = NULL;
	int64_t whole = 0, frac = 0;
	int neg = 0, digits = 0, fdigits = 0, group = 0, i;
	size_t seplen = 0, n;

	if (exp < 0)
		return dun_error_set(DUN_EINVAL, "unknown currency '%s' "
		    "(expected an ISO 4217 code such as USD, EUR, CNY)",
		    currency ? currency : "");
	if (decimal_sep != '.' && decimal_sep != ',')
		return dun_error_set(DUN_EINVAL, "decimal separator '%c' is "
		    "neither '.' nor ','", decimal_sep);
	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p; p++) {
		/* A separator counts only between digits; then every group
		 * after it must be exactly three digits, all split by the
		 * same separator, and the first group at most three. */
		if (digits > 0 && (n = group_sep_len(p, decimal_sep)) > 0 &&
		    p[n] >= '0' && p[n] <= '9') {
			if (sep == NULL ? digits > 3 : (group != 3 ||
			    n != seplen || strncmp(p, sep, n) != 0))
				goto misplaced;
			sep = p;
			seplen = n;
			group = 0;
			p += n - 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		if (whole > (INT64_MAX / 10000) / 10)
			return dun_error_set(DUN_EINVAL, "amount '%s' is too "
			    "large", text);
		whole = whole * 10 + (*p - '0');
		digits++;
		group++;
	}
	if (sep && group != 3)
		goto misplaced;
	if (*p == decimal_sep) {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++fdigits > exp)
				return dun_error_set(DUN_EINVAL, "amount '%s' "
				    "has more decimals than %s allows (%d)",
				    text, currency, exp);
			frac = frac * 10 + (*p - '0');
		}
	}
	while (*p == ' ')
		p++;
	if (digits == 0 || *p != '\0')
		return dun_error_set(DUN_EINVAL, "'%s' is not an amount "
		    "(expected digits like %s)", text,
		    decimal_sep == '.' ? "4800.00" : "4800,00");
	for (i = fdigits; i < exp; i++)
		frac *= 10;
	for (i = 0; i < exp; i++)
		whole *= 10;
	*out = neg ? -(whole + frac) : whole + frac;
	return 0;
misplaced:
	if (decimal_sep == '.')
		return dun_error_set(DUN_EINVAL, "amount '%s' has a comma "
		    "that does not separate thousands (a comma may only split "
		    "groups of three digits, as in 1,234,567.89; for amounts "
		    "written 1.234,56 or 100,00 set [ledger] "
		    "decimal_separator = comma)", text);
	return dun_error_set(DUN_EINVAL, "amount '%s' has a thousands "
	    "separator out of place (with a decimal comma, '.' or a space "
	    "may only split groups of three digits, as in 1.234.567,89; for "
	    "amounts written 1,234.56 set [ledger] decimal_separator = "
	    "period)", text);
}

static void
format_number(char *out, size_t outlen, int64_t minor, int exp, int group)
{
	char digits[32], grouped[48];
	uint64_t mag = minor < 0 ? (uint64_t)-(minor + 1) + 1 :
	    (uint64_t)minor;
	uint64_t div = 1, whole, frac;
	size_t n, i, j = 0;
	int e;

	for (e = 0; e < exp; e++)
		div *= 10;
	whole = mag / div;
	frac = mag % div;
	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)whole);
	n = strlen(digits);
	for (i = 0; i < n; i++) {
		if (group && i > 0 && (n - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	if (exp > 0)
		snprintf(out, outlen, "%s%s.%0*llu", minor < 0 ? "-" : "",
		    grouped, exp, (unsigned long long)frac);
	else
		snprintf(out, outlen, "%s%s", minor < 0 ? "-" : "", grouped);
}

void
dun_money_plain(char *out, size_t outlen, int64_t minor,
    const char *currency)
{
	int exp = dun_currency_exponent(currency);

	format_number(out, outlen, minor, exp < 0 ? 2 : exp, 0);
}

void
dun_money_format(char *out, size_t outlen, int64_t minor,
    const char *currency, const char *lang)
{
	int exp = dun_currency_exponent(currency);
	char num[48];

	format_number(num, sizeof(num), minor, exp < 0 ? 2 : exp, 1);
	if (lang && strcmp(lang, "zh") == 0 && strcmp(currency, "CNY") == 0)
		snprintf(out, outlen, "\xc2\xa5%s", num);
	else
		snprintf(out, outlen, "%s %s", currency, num);
}
