/* ISO 4217 amounts in minor units; see money.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/common.h"
#include "dunmail/money.h"

/* Active ISO 4217 codes whose exponent is not 2, then the common 2s. */
static const struct {
	const char code[4];
	int exponent;
} currencies[] = {
	{ "BIF", 0 }, { "CLP", 0 }, { "DJF", 0 }, { "GNF", 0 }, { "ISK", 0 },
	{ "JPY", 0 }, { "KMF", 0 }, { "KRW", 0 }, { "PYG", 0 }, { "RWF", 0 },
	{ "UGX", 0 }, { "UYI", 0 }, { "VND", 0 }, { "VUV", 0 }, { "XAF", 0 },
	{ "XOF", 0 }, { "XPF", 0 },
	{ "BHD", 3 }, { "IQD", 3 }, { "JOD", 3 }, { "KWD", 3 }, { "LYD", 3 },
	{ "OMR", 3 }, { "TND", 3 },
	{ "AED", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "BDT", 2 }, { "BGN", 2 },
	{ "BRL", 2 }, { "CAD", 2 }, { "CHF", 2 }, { "CNY", 2 }, { "COP", 2 },
	{ "CZK", 2 }, { "DKK", 2 }, { "EGP", 2 }, { "EUR", 2 }, { "GBP", 2 },
	{ "HKD", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 },
	{ "KES", 2 }, { "KZT", 2 }, { "LKR", 2 }, { "MAD", 2 }, { "MOP", 2 },
	{ "MXN", 2 }, { "MYR", 2 }, { "NGN", 2 }, { "NOK", 2 }, { "NZD", 2 },
	{ "PEN", 2 }, { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 }, { "QAR", 2 },
	{ "RON", 2 }, { "RSD", 2 }, { "RUB", 2 }, { "SAR", 2 }, { "SEK", 2 },
	{ "SGD", 2 }, { "THB", 2 }, { "TRY", 2 }, { "TWD", 2 }, { "UAH", 2 },
	{ "USD", 2 }, { "ZAR", 2 },
};

int
dun_currency_exponent(const char *code)
{
	size_t i;

	if (code == NULL || strlen(code) != 3)
		return -1;
	for (i = 0; i < DUN_ARRAY_SIZE(currencies); i++)
		if (strcmp(currencies[i].code, code) == 0)
			return currencies[i].exponent;
	return -1;
}

int
dun_money_parse(int64_t *out, const char *text, const char *currency)
{
	int exp = dun_currency_exponent(currency);
	const char *p = text;
	int64_t whole = 0, frac = 0;
	int neg = 0, digits = 0, fdigits = 0, i;

	if (exp < 0)
		return dun_error_set(DUN_EINVAL, "unknown currency '%s' "
		    "(expected an ISO 4217 code such as USD, EUR, CNY)",
		    currency ? currency : "");
	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p; p++) {
		if (*p == ',' && digits > 0)
			continue;
		if (*p < '0' || *p > '9')
			break;
		if (whole > (INT64_MAX / 10000) / 10)
			return dun_error_set(DUN_EINVAL, "amount '%s' is too "
			    "large", text);
		whole = whole * 10 + (*p - '0');
		digits++;
	}
	if (*p == '.') {
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
		    "(expected digits like 4800.00)", text);
	for (i = fdigits; i < exp; i++)
		frac *= 10;
	for (i = 0; i < exp; i++)
		whole *= 10;
	*out = neg ? -(whole + frac) : whole + frac;
	return 0;
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
