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

#include "dunmail/config/config.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/model/vocab.h"
#include "dunmail/parse/parse.h"

struct dun_rules;

/* Loads every *.rules file under dir (templates/rules). */
int dun_rules_load(struct dun_rules **out, const char *dir,
	struct dun_diags *diags);
void dun_rules_free(struct dun_rules *rules);

/*
 * Classifies a parsed reply. tz is the sender's (debtor's) time zone for
 * resolving relative dates, date_locale "en-US", "en-GB" or "zh" for
 * numeric dates like 03/04 (NULL = ambiguous ones are left empty).
 */
int dun_classify(struct dun_classification *out,
	const struct dun_rules *rules, const struct dun_parsed *msg,
	const char *tz, const char *date_locale);

#endif
