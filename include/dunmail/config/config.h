/*
 * The configuration file (INI, parsed by inih) as one immutable struct.
 * Loading validates everything and collects every problem as
 * "file:line: what is wrong"; DUN_ECONFIG is returned if there was any.
 */
#ifndef DUNMAIL_CONFIG_H
#define DUNMAIL_CONFIG_H

#include <stddef.h>

#include "dunmail/core/timeutil.h"

enum dun_tls_mode {
	DUN_TLS_IMPLICIT, /* smtps:// or imaps */
	DUN_TLS_STARTTLS, /* STARTTLS, required */
	DUN_TLS_NONE,     /* cleartext; only allowed to loopback */
};

struct dun_secret {
	char *command; /* owned; password_cmd, run by /bin/sh */
	char *env;     /* owned; name of an environment variable */
};

struct dun_server {
	char *host;     /* owned */
	int port;
	enum dun_tls_mode tls;
	char *tls_name; /* owned; name to verify, default host */
	char *ca_file;  /* owned; NULL = system store */
	char *pin_sha256; /* owned; base64 SHA-256 of the SPKI, optional */
	char *user;     /* owned */
	struct dun_secret secret;
	int allow_plaintext; /* cleartext auth to loopback, tests only */
	int timeout_s;
};

struct dun_stage {
	int offset_days;  /* from the due date; negative = before */
	char *template;   /* owned; name under templates/mail/<lang>/ */
};

struct dun_holiday {
	char region[8];   /* "" = every region */
	dun_date_t date;
};

struct dun_policy {
	struct dun_stage *stages; /* owned, sorted by offset */
	size_t nstages;
	int min_gap_days;
	int window_start;   /* minutes after local midnight */
	int window_end;
	unsigned weekdays;  /* bit 0 = Sunday .. bit 6 = Saturday */
	int max_per_week;
	struct dun_holiday *holidays; /* owned */
	size_t nholidays;
	int promise_grace_days;
	int max_broken_promises;
	int paid_hold_days;
	int max_promise_days;   /* a promise further off goes to a person */
	int max_hold_days;      /* so does an auto-reply's return date */
	int final_deadline_days;
	int send_promise_confirm;
	int send_dispute_ack;
	int send_hardship_offer;
	int retry_max;          /* 4xx attempts before a person is asked */
	int retry_base_s;       /* first backoff, doubled each time */
};

/* Ledger column names, by header; see docs/ledger.md. */
enum dun_invoice_col {
	DUN_COL_DEBTOR_REF, DUN_COL_DEBTOR_NAME, DUN_COL_EMAIL,
	DUN_COL_LANGUAGE, DUN_COL_TIMEZONE, DUN_COL_REGION,
	DUN_COL_INVOICE_NUMBER, DUN_COL_ISSUE_DATE, DUN_COL_DUE_DATE,
	DUN_COL_CURRENCY, DUN_COL_AMOUNT, DUN_COL_OPEN_AMOUNT, DUN_COL_PDF,
	DUN_INVOICE_NCOLS
};
enum dun_payment_col {
	DUN_PCOL_INVOICE_NUMBER, DUN_PCOL_PAID_ON, DUN_PCOL_CURRENCY,
	DUN_PCOL_AMOUNT, DUN_PCOL_REFERENCE, DUN_PAYMENT_NCOLS
};
enum dun_date_order { DUN_DATES_ISO, DUN_DATES_DMY, DUN_DATES_MDY };

struct dun_ledger_map {
	char *invoice_cols[DUN_INVOICE_NCOLS]; /* owned header names */
	char *payment_cols[DUN_PAYMENT_NCOLS]; /* owned header names */
	enum dun_date_order date_order;
	char delimiter;
	char decimal_sep;   /* '.' (1,234.56) or ',' (1.234,56) */
	char *pdf_dir;      /* owned; "" or a folder PDFs may also be in */
};

struct dun_config {
	char *path;           /* owned; the file loaded, or NULL */
	char *dir;            /* owned; relative paths resolve against it */

	char *sender_name;    /* owned; "Accounts Receivable" */
	char *company;        /* owned; "Acme Vendor Ltd" */
	char *sender_email;   /* owned; ar@vendor.test */
	char *sender_phone;   /* owned */
	char *reply_to;       /* owned; Reply-To, "" = none */
	int list_unsubscribe; /* List-Unsubscribe: mailto STOP, default no */
	char *msgid_domain;   /* owned; default the sender's domain */
	char *payment_instructions; /* owned, Markdown */
	char *next_step_en;   /* owned */
	char *next_step_zh;   /* owned */

	char *store_path;     /* owned, absolute */
	char *templates_dir;  /* owned, absolute */
	char *timezone;       /* owned; default for debtors without one */
	char *language;       /* owned; default language */
	char *operator_name;  /* owned; who runs resolve, default $USER */

	struct dun_server smtp;
	int smtp_connections; /* in all, spread over up to one process per CPU */
	struct dun_server imap;
	char *imap_mailbox;   /* owned; watched folder, INBOX */
	char *imap_folder_root; /* owned; Dunning */
	char *imap_sent;      /* owned; Sent, "" = do not append */
	int imap_idle_s;      /* re-issue IDLE before this many seconds */

	char *handoff_address; /* owned; where people are told */
	/* owned; [inbound] authserv_id: the receiving MTA's id in
	 * Authentication-Results, "" = replies are not authenticated */
	char *inbound_authserv_id;
	struct dun_policy policy;
	struct dun_ledger_map ledger;
	int *key_lines;       /* owned; see dun_config_key_line() */
	char *legal;          /* owned; [sender] legal: the legal-identity
	                       * footer (Markdown), "" = none */
	struct dun_config_local *local; /* owned; [sender] KEY[LANG] ... */
	size_t nlocal;
};

/* A problem found while loading, kept for `dunmail lint`. */
struct dun_diag {
	char *file; /* owned */
	int line;   /* 0 = the file as a whole */
	char *msg;  /* owned */
};

struct dun_diags {
	struct dun_diag *items; /* owned */
	size_t count;
};

void dun_diags_add(struct dun_diags *d, const char *file, int line,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void dun_diags_print(const struct dun_diags *d);
void dun_diags_free(struct dun_diags *d);

/* The file to use: explicit, ./dunmail.conf, $XDG_CONFIG_HOME/dunmail/config
 * (or ~/.config/dunmail/config). NULL if none exists. Caller frees. */
char *dun_config_find(const char *explicit_path);

/* Loads and validates. On DUN_ECONFIG, diags (if given) lists every
 * problem and the error message names the first. */
int dun_config_load(struct dun_config **out, const char *path,
	struct dun_diags *diags);
/* The same, but on DUN_ECONFIG *out still holds the config, with the
 * default wherever a value was wrong (for `dunmail lint`, which goes on to
 * check templates and rules). *out is NULL only if the file cannot be
 * read. */
int dun_config_load_partial(struct dun_config **out, const char *path,
	struct dun_diags *diags);
/* The line of the file that set [section] name, or 0 if it was left to
 * its default. */
int dun_config_key_line(const struct dun_config *cfg, const char *section,
	const char *name);
/* Every key the file may set (the [holidays] REGION keys aside), by
 * index from 0 to dun_config_key_count() - 1, for `dunmail
 * --list-config-keys`; DUN_ENOTFOUND past the end. The strings are
 * static. */
struct dun_config_key_info {
	const char *section;
	const char *prefix; /* "invoice." or "payment." ([ledger]), else "" */
	const char *name;
	const char *type;   /* string, path, integer, boolean or special */
	int min, max;       /* for an integer */
	const char *def;    /* the default, as it would be written */
};
size_t dun_config_key_count(void);
int dun_config_key_at(size_t i, struct dun_config_key_info *out);
/* A config of defaults only, relative to dir (for tests and init). */
/*
 * A [sender] value given for a language and/or a currency:
 * company[zh] = ..., payment_instructions[EUR] = ...,
 * payment_instructions[zh.CNY] = ... (name, company, phone,
 * payment_instructions, next_step, legal).
 */
struct dun_config_local {
	char key[32];
	char lang[17];      /* "" = any language */
	char currency[4];   /* "" = any currency */
	char *value;        /* owned */
};

/*
 * The [sender] value key ("company", "name", "phone",
 * "payment_instructions", "next_step", "legal") for a letter in language
 * lang (zh-Hant falls back to zh) whose amounts are in currency (NULL:
 * any): the most specific KEY[...] given, else the plain key (next_step:
 * next_step_zh for Chinese). Borrowed from cfg.
 */
const char *dun_config_sender(const struct dun_config *cfg, const char *key,
	const char *lang, const char *currency);

struct dun_config *dun_config_defaults(const char *dir);
void dun_config_free(struct dun_config *cfg);

/* The text of the starter config written by `dunmail init`, naming
 * store_path (NULL: "dunmail.db" beside the file) and templates_dir (NULL:
 * dun_config_templates_dir()). DUN_EINVAL for a path that cannot be
 * written into the file (a line break, or a ';' or '#' INI would cut).
 * Caller frees *out. */
int dun_config_starter_text(char **out, const char *store_path,
	const char *templates_dir);
/* The templates shipped with this binary: ../share/dunmail/templates
 * beside an installed one, the source tree's for one in a build tree, else
 * DUNMAIL_DATADIR's. Caller frees. */
char *dun_config_templates_dir(void);

/* Resolves a secret: first line of password_cmd's output, or the
 * environment variable. Caller wipes and frees. */
int dun_secret_get(char **out, const struct dun_secret *secret,
	const char *what);
/* Wipes and frees a secret string. */
void dun_secret_free(char *secret);

/* A path relative to the config's directory, made absolute. */
char *dun_config_path(const struct dun_config *cfg, const char *path);

#endif
