/* Who may steer a case: the trust decision as a table of [contact,
 * authserv_id set, verdict, bounce] -> [trusted]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dunmail/reply/trust.h"

static void
test_trust__decide_table(void **state)
{
	static const struct {
		const char *name;
		int contact, configured, have_verdict, authenticated, bounce;
		int trusted;
		const char *why; /* a word the reason must hold */
		int ambiguous;   /* two From headers or mailboxes */
	} rows[] = {
		{ "contact, no authserv_id: From only", 1, 0, 0, 0, 0, 1,
		  "From only", 0 },
		{ "stranger, no authserv_id", 0, 0, 0, 0, 0, 0, "not one", 0 },
		{ "contact, authenticated", 1, 1, 1, 1, 0, 1, "authenticated", 0 },
		{ "contact, not authenticated", 1, 1, 1, 0, 0, 0,
		  "not authenticated", 0 },
		{ "contact, no verdict at all", 1, 1, 0, 0, 0, 0,
		  "not authenticated", 0 },
		{ "stranger, authenticated for its own domain", 0, 1, 1, 1, 0, 0,
		  "not one", 0 },
		{ "bounce about our message", 0, 1, 1, 0, 1, 1, "delivery", 0 },
		{ "bounce, no authserv_id", 0, 0, 0, 0, 1, 1, "delivery", 0 },
		{ "contact, authenticated, two senders", 1, 1, 1, 1, 0, 0,
		  "more than one sender", 1 },
		{ "contact, no authserv_id, two senders", 1, 0, 0, 0, 0, 0,
		  "more than one sender", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dun_auth_check auth;
		struct dun_trust_in in;
		struct dun_trust t;

		memset(&auth, 0, sizeof(auth));
		auth.found = rows[i].have_verdict;
		auth.authenticated = rows[i].authenticated;
		strcpy(auth.verdict, rows[i].authenticated ? "dmarc=pass" :
		    "dmarc=fail");
		memset(&in, 0, sizeof(in));
		in.sender_contact = rows[i].contact;
		in.auth_configured = rows[i].configured;
		in.auth = rows[i].have_verdict ? &auth : NULL;
		in.bounce = rows[i].bounce;
		in.from_ambiguous = rows[i].ambiguous;
		dun_trust_decide(&t, &in);
		if (t.trusted != rows[i].trusted ||
		    strstr(t.why, rows[i].why) == NULL)
			fail_msg("%s: trusted %d (%s)", rows[i].name,
			    t.trusted, t.why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust__decide_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
