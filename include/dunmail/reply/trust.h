/*
 * Who may steer a case: the one decision whether a reply may change a
 * case without a person (docs/workflow.md, "Who may steer a case"). A
 * reply is trusted only when its sender is one of the matched debtor's
 * contacts and, where [inbound] authserv_id is set, the receiving
 * server's verdict says it is authenticated. Pure; no errors.
 */
#ifndef DUNMAIL_TRUST_H
#define DUNMAIL_TRUST_H

#include "dunmail/parse/authres.h"

/* What the decision looks at. */
struct dun_trust_in {
	int sender_contact;   /* From is a contact of the matched debtor */
	int auth_configured;  /* [inbound] authserv_id is set */
	const struct dun_auth_check *auth; /* its verdict; NULL if not set */
	int bounce;           /* a delivery report, matched through the
	                       * Message-ID of our own message */
	int from_ambiguous;   /* two From headers, or two mailboxes in one */
};

struct dun_trust {
	int trusted;          /* may change a case without a person */
	char why[256];        /* what decided it, in words */
};

void dun_trust_decide(struct dun_trust *out, const struct dun_trust_in *in);

#endif
