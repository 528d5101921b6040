/*
 * The reply classifier: rules files (templates/rules/<lang>.rules) compiled
 * once with PCRE2 in UTF mode (JIT where available, match and depth
 * limits set), applied to the debtor's own words. Extracts a promised
 * date (resolved against the reply's Date in the sender's zone), an amount
 * and currency, and invoice numbers, and explains itself: rule id,
 * matched words, confidence, and the candidates when it was a close call.
 *
 * Errors: DUN_EPARSE (a rules file; diags has file:line), DUN_EIO.
 */
#ifndef DUNMAIL_CLASSIFY_H
#define DUNMAIL_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "dunmail/config.h"
#include "dunmail/parse.h"
#include "dunmail/timeutil.h"

enum dun_class {
	DUN_CLASS_PROMISE_TO_PAY,
	DUN_CLASS_DISPUTE,
	DUN_CLASS_HARDSHIP,
	DUN_CLASS_PAID,
	DUN_CLASS_OPT_OUT,
	DUN_CLASS_WRONG_CONTACT,
	DUN_CLASS_INVOICE_REQUEST,
	DUN_CLASS_AUTO_REPLY,
	DUN_CLASS_BOUNCE,
	DUN_CLASS_UNKNOWN,
	DUN_NCLASSES
};

const char *dun_class_name(enum dun_class cls);
int dun_class_from_name(const char *name); /* -1 if unknown */

struct dun_rules;

/* Loads every *.rules file under dir (templates/rules). */
int dun_rules_load(struct dun_rules **out, const char *dir,
	struct dun_diags *diags);
void dun_rules_free(struct dun_rules *rules);

struct dun_classification {
	enum dun_class cls;
	double confidence;      /* 0..1 */
	char *rule;             /* owned; id of the deciding rule, "" */
	char *evidence;         /* owned; the matched words */
	dun_date_t promised_on; /* DUN_DATE_NONE if none */
	int date_ambiguous;     /* a date was named but could not be read */
	int64_t amount_minor;   /* -1 if none */
	char currency[4];       /* "" if none */
	char **invoices;        /* owned; invoice numbers named in the text */
	size_t ninvoices;
	char language[3];       /* "en" or "zh", from the text itself */
	char *candidates;       /* owned; "dispute:0.70 promise_to_pay:0.65"
	                         * when unknown because of a close call */
};

/*
 * Classifies a parsed reply. tz is the sender's (debtor's) time zone for
 * resolving relative dates, date_locale "en-US", "en-GB" or "zh" for
 * numeric dates like 03/04 (NULL = ambiguous ones are left empty).
 */
int dun_classify(struct dun_classification *out,
	const struct dun_rules *rules, const struct dun_parsed *msg,
	const char *tz, const char *date_locale);
void dun_classification_clear(struct dun_classification *c);

#endif
