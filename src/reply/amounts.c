/*
 * Amounts and currencies in debtors' words (see dates.h): "USD 4,800",
 * "$4.8k", "4 800,00 EUR", "人民币4.8万元", scanned with the same small
 * matchers as the dates (scan.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dunmail/core/common.h"
#include "dunmail/reply/dates.h"
#include "scan.h"

static const struct {
	const char *sym;
	const char *code;
	int alpha;  /* starts with a letter: needs a word boundary before */
} cur_prefix[] = {
	{ "US$", "USD", 1 }, { "HK$", "HKD", 1 }, { "NT$", "TWD", 1 },
	{ "S$", "SGD", 1 }, { "SG$", "SGD", 1 }, { "A$", "AUD", 1 },
	{ "AU$", "AUD", 1 }, { "C$", "CAD", 1 }, { "CA$", "CAD", 1 },
	{ "NZ$", "NZD", 1 }, { "RMB", "CNY", 1 }, { "$", "USD", 0 },
	{ "£", "GBP", 0 }, { "€", "EUR", 0 }, { "¥", "CNY", 0 },
	{ "￥", "CNY", 0 }, { "₹", "INR", 0 }, { "人民币", "CNY", 0 },
	{ "人民幣", "CNY", 0 }, { "港币", "HKD", 0 }, { "港幣", "HKD", 0 },
	{ "新台币", "TWD", 0 }, { "新台幣", "TWD", 0 },
};

static const char *const iso_codes[] = { "USD", "GBP", "EUR", "AUD", "SGD",
	"HKD", "TWD", "CNY", "NZD", "CAD", "JPY", "CHF", "INR", "MYR", "NTD",
	"RMB", NULL };

static const struct {
	const char *word;
	const char *code;
} cur_suffix[] = {
	{ "美元", "USD" }, { "美金", "USD" }, { "港币", "HKD" },
	{ "港幣", "HKD" }, { "港元", "HKD" }, { "新台币", "TWD" },
	{ "新台幣", "TWD" }, { "台币", "TWD" }, { "台幣", "TWD" },
	{ "欧元", "EUR" }, { "歐元", "EUR" }, { "英镑", "GBP" },
	{ "英鎊", "GBP" }, { "日元", "JPY" }, { "元", "CNY" },
	{ "圆", "CNY" }, { "圓", "CNY" }, { "块", "CNY" }, { "塊", "CNY" },
};

int
dun_currency_from_text(char code[4], const char *s, size_t len)
{
	size_t k;

	for (k = 0; iso_codes[k]; k++)
		if (len == 3 && strncasecmp(s, iso_codes[k], 3) == 0) {
			const char *c = iso_codes[k];
			if (strcmp(c, "RMB") == 0)
				c = "CNY";
			else if (strcmp(c, "NTD") == 0)
				c = "TWD";
			memcpy(code, c, 4);
			return 0;
		}
	for (k = 0; k < DUN_ARRAY_SIZE(cur_prefix); k++)
		if (strlen(cur_prefix[k].sym) == len &&
		    memcmp(s, cur_prefix[k].sym, len) == 0) {
			memcpy(code, cur_prefix[k].code, 4);
			return 0;
		}
	for (k = 0; k < DUN_ARRAY_SIZE(cur_suffix); k++)
		if (strlen(cur_suffix[k].word) == len &&
		    memcmp(s, cur_suffix[k].word, len) == 0) {
			memcpy(code, cur_suffix[k].code, 4);
			return 0;
		}
	return DUN_EINVAL;
}

/* 1,234.50 or 1234.5 or 8.6; minor units in *out (cents). */
static size_t
money_number(const struct scan *sc, size_t i, int64_t *out)
{
	size_t p = i, n = 0;
	int64_t whole = 0, frac = 0;
	int fd = 0, groups = 0;

	if (!is_digit(at(sc, p)))
		return 0;
	while (is_digit(at(sc, p))) {
		if (++n > 12)
			return 0;
		whole = whole * 10 + (at(sc, p++) - '0');
	}
	/* thousands groups: exactly three digits after each comma */
	while (n <= 3 && at(sc, p) == ',' && is_digit(at(sc, p + 1)) &&
	    is_digit(at(sc, p + 2)) && is_digit(at(sc, p + 3)) &&
	    !is_digit(at(sc, p + 4))) {
		whole = whole * 1000 + (at(sc, p + 1) - '0') * 100 +
		    (at(sc, p + 2) - '0') * 10 + (at(sc, p + 3) - '0');
		p += 4;
		groups++;
		if (groups > 4)
			return 0;
	}
	if (at(sc, p) == '.' && is_digit(at(sc, p + 1))) {
		p++;
		while (is_digit(at(sc, p))) {
			if (fd < 2)
				frac = frac * 10 + (at(sc, p) - '0');
			fd++;
			p++;
		}
		if (fd > 2 && groups == 0)
			return 0;   /* 3.14159: not money */
		if (fd == 1)
			frac *= 10;
	}
	*out = whole * 100 + frac;
	return p - i;
}

static const char *const wan[] = { "万", "萬", NULL };

static int
is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static void
amount_hit(struct dun_amount_hit *hits, size_t max, size_t *nh, size_t start,
    size_t end, int64_t minor, const char *code, int bare)
{
	struct dun_amount_hit *h;

	if (*nh >= max || minor <= 0)
		return;
	h = &hits[(*nh)++];
	memset(h, 0, sizeof(*h));
	h->start = start;
	h->end = end;
	h->minor = minor;
	memcpy(h->currency, code, 4);
	h->bare = bare;
}

/* A three-letter code at i, on word boundaries; fills code. */
static size_t
iso_code_at(const struct scan *sc, size_t i, char code[4])
{
	if (i + 3 > sc->len || !is_upper(at(sc, i)) ||
	    (i > 0 && is_alpha(at(sc, i - 1))) || is_alpha(at(sc, i + 3)))
		return 0;
	return dun_currency_from_text(code, sc->s + i, 3) == 0 ? 3 : 0;
}

/* A number with what follows it: 万 multiplier, a currency word or code.
 * code keeps a currency already known (from a prefix). */
static size_t
number_and_suffix(const struct scan *sc, size_t i, int64_t *minor,
    char code[4])
{
	size_t p = i, n, q, k;
	char cc[4];

	if ((n = money_number(sc, p, minor)) == 0)
		return 0;
	p += n;
	if ((n = lit_any(sc, p, wan, NULL)) > 0) {
		*minor *= 10000;
		p += n;
		if (code[0] == '\0')
			memcpy(code, "CNY", 4);
	}
	for (k = 0; k < DUN_ARRAY_SIZE(cur_suffix); k++)
		if ((n = lit(sc, p, cur_suffix[k].word)) > 0) {
			if (code[0] == '\0' || (strcmp(code, "CNY") == 0 &&
			    strcmp(cur_suffix[k].code, "CNY") != 0))
				memcpy(code, cur_suffix[k].code, 4);
			return p + n - i;
		}
	q = skip_ws(sc, p);
	if (code[0] == '\0' && q <= p + 1 && iso_code_at(sc, q, cc)) {
		memcpy(code, cc, 4);
		return q + 3 - i;
	}
	return p - i;
}

/* After "total": up to 40 bytes on the line, a currency, a number. */
static size_t
total_amount(const struct scan *sc, size_t i, int64_t *minor, char code[4],
    int zh)
{
	size_t e = i, lim = i + 40, k, n;
	char cc[4] = "";

	while (e < sc->len && e < lim && !is_digit(at(sc, e)) &&
	    at(sc, e) != '\n') {
		if (cc[0] == '\0' && iso_code_at(sc, e, cc)) {
			e += 3;
			continue;
		}
		for (k = 0; k < DUN_ARRAY_SIZE(cur_prefix); k++)
			if (!cur_prefix[k].alpha && cc[0] == '\0' &&
			    (n = lit(sc, e, cur_prefix[k].sym)) > 0) {
				memcpy(cc, cur_prefix[k].code, 4);
				e += n - 1;
				break;
			}
		e++;
	}
	if (e >= lim || !is_digit(at(sc, e)))
		return 0;
	memcpy(code, cc, 4);
	if ((n = number_and_suffix(sc, e, minor, code)) == 0)
		return 0;
	if (code[0] == '\0' && zh)
		memcpy(code, "CNY", 4);
	return code[0] ? e + n - i : 0;
}

/*
 * Whether an amount or a total can start with byte c: a digit, an upper
 * case letter (codes, US$, RMB), the t of "total", $, or the lead byte
 * of a symbol or a Chinese word. The scan passes over other bytes at
 * once instead of trying every symbol and word on them.
 */
static int
amount_lead(int c)
{
	return is_digit(c) || is_upper(c) || c == 't' || c == '$' ||
	    c >= 0xC0;
}

size_t
dun_amounts_scan(struct dun_amount_hit *hits, size_t max, const char *text,
    size_t len, int zh)
{
	static const char *const verbs[] = { "还", "還", "付", "交", "转",
		"轉", "汇", "匯", "打", NULL };
	static const char *const not_money[] = { "号", "號", "日", "月", "天",
		"期", "%", "个", "個", "件", "箱", "吨", "噸", "年", "周", "週",
		"次", "折", "点", "點", "小时", "笔", "筆", "张", "張", "份",
		NULL };
	static const char *const totals[] = { "共计", "合计", "总计", "共計",
		"合計", "總計", "总共", "總共", NULL };
	struct scan sc;
	size_t i = 0, n, p, nh = 0, k;

	memset(&sc, 0, sizeof(sc));
	sc.s = text;
	sc.len = len;
	while (i < len && nh < max) {
		int64_t minor = 0;
		char code[4] = "";
		int c = at(&sc, i);

		if (!amount_lead(c)) {
			i++;
			continue;
		}
		/* "Total (USD)    5,350.00", 共计¥21,450.00 */
		if ((n = lit_any(&sc, i, totals, NULL)) > 0 ||
		    ((i == 0 || !is_alpha(at(&sc, i - 1))) &&
		    (n = word(&sc, i, "total")) > 0)) {
			if ((p = total_amount(&sc, i + n, &minor, code, zh))
			    > 0) {
				amount_hit(hits, max, &nh, i, i + n + p, minor,
				    code, 0);
				if (nh > 0)
					hits[nh - 1].total = 1;
				i += n + p;
			} else
				i += n;
			continue;
		}
		/* a symbol or code, then the number */
		n = 0;
		for (k = 0; k < DUN_ARRAY_SIZE(cur_prefix); k++) {
			if (cur_prefix[k].alpha && i > 0 &&
			    is_alpha(at(&sc, i - 1)))
				continue;
			if ((n = lit(&sc, i, cur_prefix[k].sym)) > 0) {
				memcpy(code, cur_prefix[k].code, 4);
				break;
			}
		}
		if (n == 0)
			n = iso_code_at(&sc, i, code);
		if (n > 0) {
			p = i + n;
			if (at(&sc, p) == ' ' || at(&sc, p) == '\t')
				p++;
			if ((k = number_and_suffix(&sc, p, &minor, code)) > 0) {
				amount_hit(hits, max, &nh, i, p + k, minor,
				    code, 0);
				i = p + k;
			} else
				i += n;
			continue;
		}
		/* a number, then 元, 万, 美元 or a code */
		if (is_digit(c) && (i == 0 || (!is_alnum(at(&sc, i - 1)) &&
		    at(&sc, i - 1) != '.' && at(&sc, i - 1) != ',' &&
		    at(&sc, i - 1) != '-' && at(&sc, i - 1) != '/'))) {
			p = number_and_suffix(&sc, i, &minor, code);
			if (p > 0 && code[0]) {
				amount_hit(hits, max, &nh, i, i + p, minor,
				    code, 0);
				i += p;
				continue;
			}
			/* 每月还2000, 每周付1000: bare, Chinese only */
			if (p > 0 && zh && i >= 3 &&
			    lit_any(&sc, i - 3, verbs, NULL) == 3 &&
			    lit_any(&sc, i + p, not_money, NULL) == 0 &&
			    !is_alpha(at(&sc, i + p)) && minor >= 1000) {
				amount_hit(hits, max, &nh, i, i + p, minor,
				    "CNY", 1);
				i += p;
				continue;
			}
			if (p > 0) {
				i += p;
				continue;
			}
		}
		i++;
	}
	return nh;
}
