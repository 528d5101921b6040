/* The trust decision; see trust.h. */
#include <stdio.h>
#include <string.h>

#include "dunmail/reply/trust.h"

void
dun_trust_decide(struct dun_trust *out, const struct dun_trust_in *in)
{
	const struct dun_auth_check *a = in->auth;

	memset(out, 0, sizeof(*out));
	/* A bounce comes from a mail server, not a contact; it is tied to
	 * the case through our own Message-ID, which only the recipient's
	 * servers saw. */
	if (in->bounce) {
		out->trusted = 1;
		snprintf(out->why, sizeof(out->why), "a delivery report about "
		    "a message dunmail sent");
		return;
	}
	if (in->from_ambiguous) {
		snprintf(out->why, sizeof(out->why), "the message names more "
		    "than one sender (two From headers, or two addresses in "
		    "one)");
		return;
	}
	if (!in->sender_contact) {
		snprintf(out->why, sizeof(out->why), "the sender is not one "
		    "of the debtor's contacts");
		return;
	}
	if (!in->auth_configured) {
		out->trusted = 1;
		snprintf(out->why, sizeof(out->why), "the sender is a contact "
		    "(From only: [inbound] authserv_id is not set)");
		return;
	}
	if (a == NULL || !a->authenticated) {
		snprintf(out->why, sizeof(out->why), "the sender is a contact "
		    "but the message is not authenticated: %s", a ?
		    a->verdict : "no verdict");
		return;
	}
	out->trusted = 1;
	snprintf(out->why, sizeof(out->why), "the sender is a contact and "
	    "authenticated: %s", a->verdict);
}
