/* INI configuration through inih; see config.h and
 * contrib/dunmail.conf.example for every key. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ini.h>

#include "dunmail/core/common.h"
#include "dunmail/config/config.h"
#include "dunmail/core/address.h"
#include "dunmail/core/log.h"

enum key_type { K_STR, K_PATH, K_INT, K_BOOL, K_SPECIAL };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	int min, max;          /* for K_INT */
	const char *def;       /* default text, parsed like a value */
};

#define OFF(f) offsetof(struct dun_config, f)

static const struct key keys[] = {
	{ "sender", "name", K_STR, OFF(sender_name), 0, 0, "Accounts Receivable" },
	{ "sender", "company", K_STR, OFF(company), 0, 0, "Acme Vendor Ltd" },
	{ "sender", "email", K_STR, OFF(sender_email), 0, 0, "ar@vendor.test" },
	{ "sender", "phone", K_STR, OFF(sender_phone), 0, 0, "" },
	{ "sender", "reply_to", K_STR, OFF(reply_to), 0, 0, "" },
	{ "sender", "legal", K_STR, OFF(legal), 0, 0, "" },
	{ "sender", "list_unsubscribe", K_BOOL, OFF(list_unsubscribe), 0, 0, "no" },
	{ "sender", "message_id_domain", K_STR, OFF(msgid_domain), 0, 0, "" },
	{ "sender", "payment_instructions", K_STR, OFF(payment_instructions), 0, 0,
	  "Please pay by bank transfer, quoting the invoice number." },
	{ "sender", "next_step", K_STR, OFF(next_step_en), 0, 0,
	  "we will refer the account to our collections team and may "
	  "suspend further deliveries on credit" },
	{ "sender", "next_step_zh", K_STR, OFF(next_step_zh), 0, 0,
	  "我们将把该账户转交催收团队处理，并可能暂停后续赊销发货" },
	{ "sender", "operator", K_STR, OFF(operator_name), 0, 0, "" },

	{ "store", "path", K_PATH, OFF(store_path), 0, 0, "dunmail.db" },
	{ "templates", "dir", K_PATH, OFF(templates_dir), 0, 0, "templates" },
	{ "defaults", "timezone", K_SPECIAL, OFF(timezone), 0, 0, "UTC" },
	{ "defaults", "language", K_SPECIAL, OFF(language), 0, 0, "en" },

	{ "smtp", "host", K_STR, OFF(smtp.host), 0, 0, "127.0.0.1" },
	{ "smtp", "port", K_INT, OFF(smtp.port), 1, 65535, "587" },
	{ "smtp", "tls", K_SPECIAL, OFF(smtp.tls), 0, 0, "starttls" },
	{ "smtp", "tls_name", K_STR, OFF(smtp.tls_name), 0, 0, "" },
	{ "smtp", "ca_file", K_PATH, OFF(smtp.ca_file), 0, 0, "" },
	{ "smtp", "pin_sha256", K_STR, OFF(smtp.pin_sha256), 0, 0, "" },
	{ "smtp", "user", K_STR, OFF(smtp.user), 0, 0, "" },
	{ "smtp", "password_cmd", K_STR, OFF(smtp.secret.command), 0, 0, "" },
	{ "smtp", "password_env", K_STR, OFF(smtp.secret.env), 0, 0, "" },
	{ "smtp", "allow_plaintext_loopback", K_BOOL, OFF(smtp.allow_plaintext), 0, 0, "no" },
	{ "smtp", "timeout", K_INT, OFF(smtp.timeout_s), 1, 3600, "60" },
	{ "smtp", "connections", K_INT, OFF(smtp_connections), 1, 32, "1" },

	{ "imap", "host", K_STR, OFF(imap.host), 0, 0, "127.0.0.1" },
	{ "imap", "port", K_INT, OFF(imap.port), 1, 65535, "993" },
	{ "imap", "tls", K_SPECIAL, OFF(imap.tls), 0, 0, "implicit" },
	{ "imap", "tls_name", K_STR, OFF(imap.tls_name), 0, 0, "" },
	{ "imap", "ca_file", K_PATH, OFF(imap.ca_file), 0, 0, "" },
	{ "imap", "pin_sha256", K_STR, OFF(imap.pin_sha256), 0, 0, "" },
	{ "imap", "user", K_STR, OFF(imap.user), 0, 0, "" },
	{ "imap", "password_cmd", K_STR, OFF(imap.secret.command), 0, 0, "" },
	{ "imap", "password_env", K_STR, OFF(imap.secret.env), 0, 0, "" },
	{ "imap", "allow_plaintext_loopback", K_BOOL, OFF(imap.allow_plaintext), 0, 0, "no" },
	{ "imap", "timeout", K_INT, OFF(imap.timeout_s), 1, 3600, "60" },
	{ "imap", "mailbox", K_STR, OFF(imap_mailbox), 0, 0, "INBOX" },
	{ "imap", "folder_root", K_STR, OFF(imap_folder_root), 0, 0, "Dunning" },
	{ "imap", "sent_folder", K_STR, OFF(imap_sent), 0, 0, "Sent" },
	{ "imap", "idle_seconds", K_INT, OFF(imap_idle_s), 30, 1740, "1500" },

	{ "handoff", "address", K_STR, OFF(handoff_address), 0, 0, "" },

	{ "inbound", "authserv_id", K_STR, OFF(inbound_authserv_id), 0, 0, "" },

	{ "policy", "stages", K_SPECIAL, 0, 0, 0,
	  "-7 before_due, 0 due_today, +3 overdue_1, +10 overdue_2, "
	  "+30 final_notice" },
	{ "policy", "min_gap_days", K_INT, OFF(policy.min_gap_days), 0, 365, "7" },
	{ "policy", "window", K_SPECIAL, 0, 0, 0, "09:00-17:00" },
	{ "policy", "weekdays", K_SPECIAL, 0, 0, 0, "mon-fri" },
	{ "policy", "max_per_week", K_INT, OFF(policy.max_per_week), 1, 50, "2" },
	{ "policy", "promise_grace_days", K_INT, OFF(policy.promise_grace_days), 0, 60, "2" },
	{ "policy", "max_broken_promises", K_INT, OFF(policy.max_broken_promises), 1, 20, "2" },
	{ "policy", "paid_hold_days", K_INT, OFF(policy.paid_hold_days), 0, 90, "5" },
	{ "policy", "max_promise_days", K_INT, OFF(policy.max_promise_days), 1, 730, "60" },
	{ "policy", "max_hold_days", K_INT, OFF(policy.max_hold_days), 1, 730, "30" },
	{ "policy", "final_deadline_days", K_INT, OFF(policy.final_deadline_days), 1, 90, "7" },
	{ "policy", "send_promise_confirm", K_BOOL, OFF(policy.send_promise_confirm), 0, 0, "yes" },
	{ "policy", "send_dispute_ack", K_BOOL, OFF(policy.send_dispute_ack), 0, 0, "yes" },
	{ "policy", "send_hardship_offer", K_BOOL, OFF(policy.send_hardship_offer), 0, 0, "yes" },
	{ "policy", "retry_max", K_INT, OFF(policy.retry_max), 1, 50, "6" },
	{ "policy", "retry_base_seconds", K_INT, OFF(policy.retry_base_s), 1, 86400, "300" },

	{ "ledger", "date_format", K_SPECIAL, 0, 0, 0, "YYYY-MM-DD" },
	{ "ledger", "delimiter", K_SPECIAL, 0, 0, 0, "," },
	{ "ledger", "decimal_separator", K_SPECIAL, 0, 0, 0, "period" },
	{ "ledger", "pdf_dir", K_PATH, OFF(ledger.pdf_dir), 0, 0, "" },
};

static const char *invoice_col_keys[DUN_INVOICE_NCOLS] = {
	"debtor_ref", "debtor_name", "email", "language", "timezone", "region",
	"invoice_number", "issue_date", "due_date", "currency", "amount",
	"open_amount", "pdf",
};
static const char *payment_col_keys[DUN_PAYMENT_NCOLS] = {
	"invoice_number", "paid_on", "currency", "amount", "reference",
};

struct load_ctx {
	struct dun_config *cfg;
	const char *file;
	struct dun_diags *diags;
	FILE *fp;
	int line;
	int nerrors;
	unsigned char seen[DUN_ARRAY_SIZE(keys)];
};

void
dun_diags_add(struct dun_diags *d, const char *file, int line,
    const char *fmt, ...)
{
	struct dun_diag *diag;
	va_list ap;
	char msg[1024];

	if (d == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->items = xreallocarray(d->items, d->count + 1, sizeof(*d->items));
	diag = &d->items[d->count++];
	diag->file = xstrdup(file ? file : "-");
	diag->line = line;
	diag->msg = xstrdup(msg);
}

void
dun_diags_print(const struct dun_diags *d)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		if (d->items[i].line > 0)
			fprintf(stderr, "%s:%d: %s\n", d->items[i].file,
			    d->items[i].line, d->items[i].msg);
		else
			fprintf(stderr, "%s: %s\n", d->items[i].file,
			    d->items[i].msg);
	}
}

void
dun_diags_free(struct dun_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].msg);
	}
	free(d->items);
	d->items = NULL;
	d->count = 0;
}

static void
problem(struct load_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
problem(struct load_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->nerrors++ == 0)
		dun_error_set(DUN_ECONFIG, "%s:%d: %s", ctx->file, ctx->line,
		    msg);
	dun_diags_add(ctx->diags, ctx->file, ctx->line, "%s", msg);
}

char *
dun_config_path(const struct dun_config *cfg, const char *path)
{
	if (path == NULL || *path == '\0')
		return xstrdup("");
	if (path[0] == '/' || cfg->dir == NULL)
		return xstrdup(path);
	if (path[0] == '~' && path[1] == '/' && getenv("HOME"))
		return xasprintf("%s%s", getenv("HOME"), path + 1);
	return xasprintf("%s/%s", cfg->dir, path);
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
parse_hhmm(const char *s, int *out)
{
	int h, m;
	char tail;

	if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 ||
	    m < 0 || m > 59 || (h == 24 && m != 0))
		return -1;
	*out = h * 60 + m;
	return 0;
}

static int
weekday_index(const char *s)
{
	static const char *names[] = { "sun", "mon", "tue", "wed", "thu",
		"fri", "sat" };
	int i;

	for (i = 0; i < 7; i++)
		if (strncasecmp(s, names[i], 3) == 0)
			return i;
	return -1;
}

static int
stage_cmp(const void *a, const void *b)
{
	const struct dun_stage *x = a, *y = b;

	return (x->offset_days > y->offset_days) -
	    (x->offset_days < y->offset_days);
}

static void
set_stages(struct load_ctx *ctx, const char *value)
{
	struct dun_policy *p = &ctx->cfg->policy;
	char *copy = xstrdup(value), *tok, *save = NULL;
	size_t i;

	for (i = 0; i < p->nstages; i++)
		free(p->stages[i].template);
	free(p->stages);
	p->stages = NULL;
	p->nstages = 0;
	for (tok = strtok_r(copy, ",\n", &save); tok;
	    tok = strtok_r(NULL, ",\n", &save)) {
		char name[64], tail;
		int offset;

		tok = dun_str_trim(tok);
		if (*tok == '\0')
			continue;
		if (sscanf(tok, "%d %63s %c", &offset, name, &tail) != 2 ||
		    offset < -365 || offset > 3650) {
			problem(ctx, "stages: '%s' is not 'OFFSET TEMPLATE' "
			    "(e.g. '+3 overdue_1')", tok);
			continue;
		}
		for (i = 0; name[i]; i++)
			if (!isalnum((unsigned char)name[i]) && name[i] != '_')
				break;
		if (name[i]) {
			problem(ctx, "stages: template name '%s' may only "
			    "hold letters, digits and _", name);
			continue;
		}
		for (i = 0; i < p->nstages; i++)
			if (p->stages[i].offset_days == offset)
				problem(ctx, "stages: two stages at offset "
				    "%+d", offset);
		p->stages = xreallocarray(p->stages, p->nstages + 1,
		    sizeof(*p->stages));
		p->stages[p->nstages].offset_days = offset;
		p->stages[p->nstages].template = xstrdup(name);
		p->nstages++;
	}
	free(copy);
	if (p->nstages == 0)
		problem(ctx, "stages: at least one stage is needed");
	else
		qsort(p->stages, p->nstages, sizeof(*p->stages), stage_cmp);
}

static void
set_weekdays(struct load_ctx *ctx, const char *value)
{
	char *copy = xstrdup(value), *tok, *save = NULL;
	unsigned mask = 0;

	for (tok = strtok_r(copy, ", ", &save); tok;
	    tok = strtok_r(NULL, ", ", &save)) {
		char *dash = strchr(tok, '-');
		int a, b;

		if (dash)
			*dash = '\0';
		a = weekday_index(tok);
		b = dash ? weekday_index(dash + 1) : a;
		if (a < 0 || b < 0) {
			problem(ctx, "weekdays: '%s' is not a day or range "
			    "like mon-fri", tok);
			continue;
		}
		for (;;) {
			mask |= 1u << a;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
	}
	free(copy);
	if (mask == 0)
		problem(ctx, "weekdays: no day to send on");
	ctx->cfg->policy.weekdays = mask;
}

static void
add_holidays(struct load_ctx *ctx, const char *region, const char *value)
{
	struct dun_policy *p = &ctx->cfg->policy;
	char *copy = xstrdup(value), *tok, *save = NULL;
	dun_date_t date;

	if (strlen(region) >= sizeof(p->holidays[0].region)) {
		problem(ctx, "holidays: region '%s' is too long (use a code "
		    "like CN or US)", region);
		free(copy);
		return;
	}
	for (tok = strtok_r(copy, ", \n", &save); tok;
	    tok = strtok_r(NULL, ", \n", &save)) {
		if (dun_date_parse(&date, tok) < 0) {
			problem(ctx, "holidays: '%s' is not a date "
			    "YYYY-MM-DD", tok);
			continue;
		}
		p->holidays = xreallocarray(p->holidays, p->nholidays + 1,
		    sizeof(*p->holidays));
		snprintf(p->holidays[p->nholidays].region,
		    sizeof(p->holidays[0].region), "%s",
		    strcmp(region, "*") == 0 || strcmp(region, "all") == 0 ?
		    "" : region);
		p->holidays[p->nholidays].date = date;
		p->nholidays++;
	}
	free(copy);
}

static void
set_ledger_column(struct load_ctx *ctx, const char *name, const char *value)
{
	struct dun_ledger_map *m = &ctx->cfg->ledger;
	size_t i;

	if (dun_str_has_prefix(name, "invoice.")) {
		for (i = 0; i < DUN_INVOICE_NCOLS; i++)
			if (strcmp(name + 8, invoice_col_keys[i]) == 0) {
				free(m->invoice_cols[i]);
				m->invoice_cols[i] = xstrdup(value);
				return;
			}
	} else if (dun_str_has_prefix(name, "payment.")) {
		for (i = 0; i < DUN_PAYMENT_NCOLS; i++)
			if (strcmp(name + 8, payment_col_keys[i]) == 0) {
				free(m->payment_cols[i]);
				m->payment_cols[i] = xstrdup(value);
				return;
			}
	}
	problem(ctx, "[ledger] has no key '%s' (columns are invoice.FIELD "
	    "or payment.FIELD; see docs/ledger.md)", name);
}

static void
set_special(struct load_ctx *ctx, const struct key *k, const char *value)
{
	struct dun_config *cfg = ctx->cfg;

	if (!strcmp(k->name, "stages"))
		set_stages(ctx, value);
	else if (!strcmp(k->name, "weekdays"))
		set_weekdays(ctx, value);
	else if (!strcmp(k->name, "window")) {
		char a[16], b[16];
		if (sscanf(value, "%15[0-9:] - %15[0-9:]", a, b) != 2 ||
		    parse_hhmm(a, &cfg->policy.window_start) < 0 ||
		    parse_hhmm(b, &cfg->policy.window_end) < 0 ||
		    cfg->policy.window_end <= cfg->policy.window_start)
			problem(ctx, "window: '%s' is not a local time range "
			    "like 09:00-17:00", value);
	} else if (!strcmp(k->name, "tls")) {
		enum dun_tls_mode *mode = (enum dun_tls_mode *)
		    ((char *)cfg + k->offset);
		if (!strcasecmp(value, "implicit") ||
		    !strcasecmp(value, "smtps") || !strcasecmp(value, "imaps"))
			*mode = DUN_TLS_IMPLICIT;
		else if (!strcasecmp(value, "starttls"))
			*mode = DUN_TLS_STARTTLS;
		else if (!strcasecmp(value, "none"))
			*mode = DUN_TLS_NONE;
		else
			problem(ctx, "tls: '%s' is not implicit, starttls or "
			    "none", value);
	} else if (!strcmp(k->name, "timezone")) {
		if (!dun_tz_valid(value))
			problem(ctx, "timezone: '%s' is not an IANA zone "
			    "(e.g. Asia/Shanghai); is tzdata installed?",
			    value);
		free(cfg->timezone);
		cfg->timezone = xstrdup(value);
	} else if (!strcmp(k->name, "language")) {
		if (strcmp(value, "en") && strcmp(value, "zh"))
			problem(ctx, "language: '%s' is not en or zh", value);
		free(cfg->language);
		cfg->language = xstrdup(value);
	} else if (!strcmp(k->name, "date_format")) {
		if (!strcmp(value, "YYYY-MM-DD"))
			cfg->ledger.date_order = DUN_DATES_ISO;
		else if (!strcmp(value, "DD/MM/YYYY"))
			cfg->ledger.date_order = DUN_DATES_DMY;
		else if (!strcmp(value, "MM/DD/YYYY"))
			cfg->ledger.date_order = DUN_DATES_MDY;
		else
			problem(ctx, "date_format: '%s' is not YYYY-MM-DD, "
			    "DD/MM/YYYY or MM/DD/YYYY", value);
	} else if (!strcmp(k->name, "delimiter")) {
		/* inih reads ";" as a comment, so the names are accepted. */
		if (!strcmp(value, "tab") || !strcmp(value, "\\t"))
			cfg->ledger.delimiter = '\t';
		else if (!strcmp(value, "semicolon"))
			cfg->ledger.delimiter = ';';
		else if (!strcmp(value, "comma"))
			cfg->ledger.delimiter = ',';
		else if (!strcmp(value, "pipe"))
			cfg->ledger.delimiter = '|';
		else if (strlen(value) == 1 && strchr(",|", value[0]))
			cfg->ledger.delimiter = value[0];
		else
			problem(ctx, "delimiter: '%s' is not comma, semicolon, "
			    "pipe or tab", value);
	} else if (!strcmp(k->name, "decimal_separator")) {
		if (!strcmp(value, "period") || !strcmp(value, "."))
			cfg->ledger.decimal_sep = '.';
		else if (!strcmp(value, "comma") || !strcmp(value, ","))
			cfg->ledger.decimal_sep = ',';
		else
			problem(ctx, "decimal_separator: '%s' is not period "
			    "(1,234.56) or comma (1.234,56)", value);
	}
}

static void
set_value(struct load_ctx *ctx, const struct key *k, const char *value)
{
	char *field = (char *)ctx->cfg + k->offset;
	char **str = (char **)field;
	int *num = (int *)field;
	long v;
	char *end;

	switch (k->type) {
	case K_STR:
		free(*str);
		*str = xstrdup(value);
		break;
	case K_PATH:
		free(*str);
		*str = dun_config_path(ctx->cfg, value);
		break;
	case K_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *dun_str_trim(end) != '\0' ||
		    v < k->min || v > k->max) {
			problem(ctx, "%s: '%s' is not a whole number from %d "
			    "to %d", k->name, value, k->min, k->max);
			break;
		}
		*num = (int)v;
		break;
	case K_BOOL:
		if (parse_bool(value, num) < 0)
			problem(ctx, "%s: '%s' is not yes or no", k->name,
			    value);
		break;
	case K_SPECIAL:
		set_special(ctx, k, value);
		break;
	}
}

/* The [sender] keys that may be given per language or currency. */
static const char *const local_keys[] = { "name", "company", "phone",
	"payment_instructions", "next_step", "legal" };

/* KEY[LANG], KEY[CUR] or KEY[LANG.CUR] in [sender]. */
static void
set_local(struct load_ctx *ctx, const char *name, const char *value)
{
	struct dun_config *cfg = ctx->cfg;
	struct dun_config_local l;
	const char *open = strchr(name, '['), *p, *part;
	size_t i, n, klen = (size_t)(open - name);
	int known = 0;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < DUN_ARRAY_SIZE(local_keys); i++)
		known |= strlen(local_keys[i]) == klen &&
		    strncmp(local_keys[i], name, klen) == 0;
	if (!known || name[strlen(name) - 1] != ']' || klen >= sizeof(l.key)) {
		problem(ctx, "unknown key '%s' in section [sender]: only name, "
		    "company, phone, payment_instructions, next_step and legal "
		    "take [LANGUAGE], [CURRENCY] or [LANGUAGE.CURRENCY]", name);
		return;
	}
	memcpy(l.key, name, klen);
	for (part = open + 1; *part != ']'; part = *p ? p + 1 : p) {
		for (p = part; *p != '.' && *p != ']'; p++)
			if (!isalpha((unsigned char)*p) && *p != '-') {
				problem(ctx, "%s: '%c' in the qualifier (a "
				    "language such as zh or zh-Hant, a currency "
				    "such as EUR, or both as zh.CNY)", name, *p);
				return;
			}
		n = (size_t)(p - part);
		if (n == 3 && isupper((unsigned char)part[0]) &&
		    isupper((unsigned char)part[1]) &&
		    isupper((unsigned char)part[2]))
			memcpy(l.currency, part, 3);
		else if (n > 0 && n < sizeof(l.lang))
			memcpy(l.lang, part, n);
		else {
			problem(ctx, "%s: empty or overlong qualifier", name);
			return;
		}
		if (*p == ']')
			break;
	}
	/* A continued value (indented next line) arrives again. */
	for (i = 0; i < cfg->nlocal; i++)
		if (!strcmp(cfg->local[i].key, l.key) &&
		    !strcmp(cfg->local[i].lang, l.lang) &&
		    !strcmp(cfg->local[i].currency, l.currency)) {
			char *joined = xasprintf("%s\n%s", cfg->local[i].value,
			    value);
			free(cfg->local[i].value);
			cfg->local[i].value = joined;
			return;
		}
	l.value = xstrdup(value);
	cfg->local = xreallocarray(cfg->local, cfg->nlocal + 1,
	    sizeof(*cfg->local));
	cfg->local[cfg->nlocal++] = l;
}

const char *
dun_config_sender(const struct dun_config *cfg, const char *key,
    const char *lang, const char *currency)
{
	const char *best = NULL, *base;
	size_t i, blen = 0;
	int score, best_score = -1, zh;

	if (lang == NULL)
		lang = "";
	/* zh-Hant falls back to zh, en-GB to en. */
	base = strchr(lang, '-');
	blen = base ? (size_t)(base - lang) : strlen(lang);
	for (i = 0; i < cfg->nlocal; i++) {
		const struct dun_config_local *l = &cfg->local[i];
		if (strcmp(l->key, key) != 0)
			continue;
		if (*l->lang == '\0')
			score = 0;
		else if (strcasecmp(l->lang, lang) == 0)
			score = 4;
		else if (strlen(l->lang) == blen &&
		    strncasecmp(l->lang, lang, blen) == 0)
			score = 2;
		else
			continue;
		if (*l->currency) {
			if (currency == NULL || strcmp(l->currency, currency))
				continue;
			score++;
		}
		if (score > best_score) {
			best_score = score;
			best = l->value;
		}
	}
	if (best)
		return best;
	zh = strncmp(lang, "zh", 2) == 0 && (lang[2] == '\0' ||
	    lang[2] == '-');
	if (!strcmp(key, "name"))
		return cfg->sender_name;
	if (!strcmp(key, "company"))
		return cfg->company;
	if (!strcmp(key, "phone"))
		return cfg->sender_phone;
	if (!strcmp(key, "payment_instructions"))
		return cfg->payment_instructions;
	if (!strcmp(key, "next_step"))
		return zh ? cfg->next_step_zh : cfg->next_step_en;
	if (!strcmp(key, "legal"))
		return cfg->legal;
	return "";
}

static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *ctx = user;
	size_t i;

	if (!strcmp(section, "sender") && strchr(name, '[')) {
		set_local(ctx, name, value);
		return 1;
	}
	if (!strcmp(section, "holidays")) {
		add_holidays(ctx, name, value);
		return 1;
	}
	if (!strcmp(section, "ledger") && strchr(name, '.')) {
		set_ledger_column(ctx, name, value);
		return 1;
	}
	for (i = 0; i < DUN_ARRAY_SIZE(keys); i++) {
		if (strcmp(keys[i].section, section) ||
		    strcmp(keys[i].name, name))
			continue;
		/* Multi-line values arrive as repeated calls. */
		if (ctx->seen[i] && keys[i].type == K_STR) {
			char **str = (char **)((char *)ctx->cfg +
			    keys[i].offset);
			char *joined = xasprintf("%s\n%s", *str, value);
			free(*str);
			*str = joined;
		} else if (ctx->seen[i] && keys[i].type == K_SPECIAL &&
		    strcmp(section, "holidays")) {
			problem(ctx, "%s: given twice, or continued on a second "
			    "line; give the whole value on one line", name);
		} else
			set_value(ctx, &keys[i], value);
		if (!ctx->seen[i])
			ctx->cfg->key_lines[i] = ctx->line;
		ctx->seen[i] = 1;
		return 1;
	}
	problem(ctx, "unknown key '%s' in section [%s] (see "
	    "contrib/dunmail.conf.example)", name, section);
	return 1;
}

/* inih reader that counts lines so problems can name them. */
static char *
ini_reader_lines(char *str, int num, void *stream)
{
	struct load_ctx *ctx = stream;
	size_t len;

	if (fgets(str, num, ctx->fp) == NULL)
		return NULL;
	ctx->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		int c;
		problem(ctx, "line longer than %d characters (split it "
		    "with indented continuation lines)", num - 2);
		while ((c = fgetc(ctx->fp)) != EOF && c != '\n')
			;
	}
	return str;
}

static void
apply_defaults(struct load_ctx *ctx)
{
	size_t i;

	ctx->line = 0;
	for (i = 0; i < DUN_ARRAY_SIZE(keys); i++)
		set_value(ctx, &keys[i], keys[i].def);
	for (i = 0; i < DUN_INVOICE_NCOLS; i++)
		ctx->cfg->ledger.invoice_cols[i] = xstrdup(invoice_col_keys[i]);
	for (i = 0; i < DUN_PAYMENT_NCOLS; i++)
		ctx->cfg->ledger.payment_cols[i] = xstrdup(payment_col_keys[i]);
	ctx->cfg->ledger.delimiter = ',';
}

static int
key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < DUN_ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) &&
		    !strcmp(keys[i].name, name))
			return (int)i;
	return -1;
}

int
dun_config_key_line(const struct dun_config *cfg, const char *section,
    const char *name)
{
	int i = key_index(section, name);

	return i < 0 || cfg->key_lines == NULL ? 0 : cfg->key_lines[i];
}

/* The keys above, then the [ledger] column keys, for `dunmail
 * --list-config-keys` (the man page check). */
size_t
dun_config_key_count(void)
{
	return DUN_ARRAY_SIZE(keys) + DUN_INVOICE_NCOLS + DUN_PAYMENT_NCOLS;
}

int
dun_config_key_at(size_t i, struct dun_config_key_info *out)
{
	static const char *const types[] = { "string", "path", "integer",
		"boolean", "special" };

	memset(out, 0, sizeof(*out));
	out->prefix = "";
	if (i < DUN_ARRAY_SIZE(keys)) {
		out->section = keys[i].section;
		out->name = keys[i].name;
		out->type = types[keys[i].type];
		out->min = keys[i].min;
		out->max = keys[i].max;
		out->def = keys[i].def;
		return 0;
	}
	out->section = "ledger";
	out->type = "string";
	i -= DUN_ARRAY_SIZE(keys);
	if (i < DUN_INVOICE_NCOLS) {
		out->prefix = "invoice.";
		out->name = out->def = invoice_col_keys[i];
	} else if ((i -= DUN_INVOICE_NCOLS) < DUN_PAYMENT_NCOLS) {
		out->prefix = "payment.";
		out->name = out->def = payment_col_keys[i];
	} else
		return DUN_ENOTFOUND;
	return 0;
}

/* Problems found once the whole file is read name the line that set the
 * key at fault, or the file as a whole when it was left to its default. */
static void
at_key(struct load_ctx *ctx, const char *section, const char *name)
{
	ctx->line = dun_config_key_line(ctx->cfg, section, name);
}

static int
is_loopback(const char *host)
{
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) ||
	    !strcmp(host, "::1");
}

static void
check_server(struct load_ctx *ctx, struct dun_server *s, const char *what)
{
	if (*s->tls_name == '\0') {
		free(s->tls_name);
		s->tls_name = xstrdup(s->host);
	}
	if (s->tls == DUN_TLS_NONE && !(s->allow_plaintext &&
	    is_loopback(s->host))) {
		at_key(ctx, what, "tls");
		problem(ctx, "[%s] tls = none sends the password in "
		    "cleartext; allowed only to a loopback host with "
		    "allow_plaintext_loopback = yes", what);
	}
	if (*s->secret.command && *s->secret.env) {
		int cmd = dun_config_key_line(ctx->cfg, what, "password_cmd");
		int env = dun_config_key_line(ctx->cfg, what, "password_env");

		/* The second of the two is the one too many. */
		ctx->line = cmd > env ? cmd : env;
		problem(ctx, "[%s] set password_cmd or password_env, not "
		    "both", what);
	}
	if (*s->ca_file && access(s->ca_file, R_OK) < 0) {
		int err = errno;

		at_key(ctx, what, "ca_file");
		problem(ctx, "[%s] ca_file %s cannot be read: %s", what,
		    s->ca_file, strerror(err));
	}
}

static void
finish(struct load_ctx *ctx)
{
	struct dun_config *cfg = ctx->cfg;
	const char *at;
	char *user;

	at_key(ctx, "sender", "email");
	if (!dun_email_valid(cfg->sender_email) ||
	    (at = strrchr(cfg->sender_email, '@')) == NULL)
		problem(ctx, "[sender] email '%s' is not an address",
		    cfg->sender_email);
	else if (*cfg->msgid_domain == '\0') {
		free(cfg->msgid_domain);
		cfg->msgid_domain = xstrdup(at + 1);
	}
	at_key(ctx, "sender", "reply_to");
	if (*cfg->reply_to && !dun_email_valid(cfg->reply_to))
		problem(ctx, "[sender] reply_to '%s' is not an address",
		    cfg->reply_to);
	if (*cfg->operator_name == '\0') {
		free(cfg->operator_name);
		user = getenv("USER");
		cfg->operator_name = xstrdup(user && *user ? user : "operator");
	}
	check_server(ctx, &cfg->smtp, "smtp");
	check_server(ctx, &cfg->imap, "imap");
}

static struct dun_config *
config_new(const char *dir)
{
	struct dun_config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->dir = xstrdup(dir);
	cfg->key_lines = xcalloc(DUN_ARRAY_SIZE(keys), sizeof(int));
	return cfg;
}

struct dun_config *
dun_config_defaults(const char *dir)
{
	struct load_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = config_new(dir ? dir : ".");
	ctx.file = "(defaults)";
	apply_defaults(&ctx);
	finish(&ctx);
	return ctx.cfg;
}

static int
config_load(struct dun_config **out, const char *path,
    struct dun_diags *diags, int partial)
{
	struct load_ctx ctx;
	char *abs, *slash;
	int rc;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	if ((ctx.fp = fopen(path, "r")) == NULL)
		return dun_error_set_errno(DUN_ECONFIG, "%s", path);
	abs = realpath(path, NULL);
	if (abs == NULL)
		abs = xstrdup(path);
	if ((slash = strrchr(abs, '/')) != NULL)
		*slash = '\0';
	ctx.cfg = config_new(slash ? abs : ".");
	ctx.cfg->path = xstrdup(path);
	free(abs);
	ctx.file = path;
	ctx.diags = diags;
	apply_defaults(&ctx);
	ctx.nerrors = 0;
	dun_error_clear();
	rc = ini_parse_stream(ini_reader_lines, &ctx, config_handler, &ctx);
	fclose(ctx.fp);
	if (rc > 0) {
		ctx.line = rc;
		problem(&ctx, "this line is neither [section] nor key = value");
	} else if (rc < 0) {
		problem(&ctx, "cannot parse the file");
	}
	finish(&ctx);
	if (ctx.nerrors > 0) {
		if (partial) {
			/* Templates are checked against the stages: with none
			 * readable, check those of the default policy. */
			if (ctx.cfg->policy.nstages == 0)
				set_stages(&ctx, keys[key_index("policy",
				    "stages")].def);
			*out = ctx.cfg;
		} else
			dun_config_free(ctx.cfg);
		return DUN_ECONFIG;
	}
	*out = ctx.cfg;
	return 0;
}

int
dun_config_load(struct dun_config **out, const char *path,
    struct dun_diags *diags)
{
	return config_load(out, path, diags, 0);
}

int
dun_config_load_partial(struct dun_config **out, const char *path,
    struct dun_diags *diags)
{
	return config_load(out, path, diags, 1);
}

char *
dun_config_find(const char *explicit_path)
{
	const char *xdg, *home;
	char *p;

	if (explicit_path)
		return xstrdup(explicit_path);
	if (access("dunmail.conf", R_OK) == 0)
		return xstrdup("dunmail.conf");
	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL && *xdg) {
		p = xasprintf("%s/dunmail/config", xdg);
	} else if ((home = getenv("HOME")) != NULL && *home) {
		p = xasprintf("%s/.config/dunmail/config", home);
	} else
		return NULL;
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static void
server_free(struct dun_server *s)
{
	free(s->host);
	free(s->tls_name);
	free(s->ca_file);
	free(s->pin_sha256);
	free(s->user);
	free(s->secret.command);
	free(s->secret.env);
}

void
dun_config_free(struct dun_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->dir);
	free(cfg->sender_name);
	free(cfg->company);
	free(cfg->sender_email);
	free(cfg->reply_to);
	free(cfg->legal);
	for (i = 0; i < cfg->nlocal; i++)
		free(cfg->local[i].value);
	free(cfg->local);
	free(cfg->sender_phone);
	free(cfg->msgid_domain);
	free(cfg->payment_instructions);
	free(cfg->next_step_en);
	free(cfg->next_step_zh);
	free(cfg->store_path);
	free(cfg->templates_dir);
	free(cfg->timezone);
	free(cfg->language);
	free(cfg->operator_name);
	server_free(&cfg->smtp);
	server_free(&cfg->imap);
	free(cfg->imap_mailbox);
	free(cfg->imap_folder_root);
	free(cfg->imap_sent);
	free(cfg->handoff_address);
	free(cfg->inbound_authserv_id);
	for (i = 0; i < cfg->policy.nstages; i++)
		free(cfg->policy.stages[i].template);
	free(cfg->policy.stages);
	free(cfg->policy.holidays);
	for (i = 0; i < DUN_INVOICE_NCOLS; i++)
		free(cfg->ledger.invoice_cols[i]);
	for (i = 0; i < DUN_PAYMENT_NCOLS; i++)
		free(cfg->ledger.payment_cols[i]);
	free(cfg->ledger.pdf_dir);
	free(cfg->key_lines);
	free(cfg);
}

int
dun_secret_get(char **out, const struct dun_secret *secret, const char *what)
{
	char line[1024];
	FILE *fp;
	size_t len;
	int status;

	*out = NULL;
	if (secret->env && *secret->env) {
		const char *v = getenv(secret->env);
		if (v == NULL || *v == '\0')
			return dun_error_set(DUN_ECONFIG, "%s: environment "
			    "variable %s is not set or empty", what,
			    secret->env);
		*out = xstrdup(v);
		return 0;
	}
	if (secret->command == NULL || *secret->command == '\0')
		return dun_error_set(DUN_ECONFIG, "%s: no password_cmd or "
		    "password_env is configured", what);
	if ((fp = popen(secret->command, "r")) == NULL)
		return dun_error_set_errno(DUN_ECONFIG, "%s: cannot run "
		    "password_cmd", what);
	line[0] = '\0';
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	while (fgetc(fp) != EOF)
		;
	status = pclose(fp);
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (status != 0 || len == 0) {
		explicit_bzero(line, sizeof(line));
		if (status != 0)
			return dun_error_set(DUN_ECONFIG, "%s: password_cmd "
			    "failed (exit status %d); run it by hand to see "
			    "why", what, WIFEXITED(status) ?
			    WEXITSTATUS(status) : -1);
		return dun_error_set(DUN_ECONFIG, "%s: password_cmd printed "
		    "nothing", what);
	}
	*out = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

void
dun_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
