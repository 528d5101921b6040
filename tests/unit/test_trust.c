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
	} rows[] = {
		{ "contact, no authserv_id: From only", 1, 0, 0, 0, 0, 1,
		  "From only" },
		{ "stranger, no authserv_id", 0, 0, 0, 0, 0, 0, "not one" },
		{ "contact, authenticated", 1, 1, 1, 1, 0, 1, "authenticated" },
		{ "contact, not authenticated", 1, 1, 1, 0, 0, 0,
		  "not authenticated" },
		{ "contact, no verdict at all", 1, 1, 0, 0, 0, 0,
		  "not authenticated" },
		{ "stranger, authenticated for its own domain", 0, 1, 1, 1, 0, 0,
		  "not one" },
		{ "bounce about our message", 0, 1, 1, 0, 1, 1, "delivery" },
		{ "bounce, no authserv_id", 0, 0, 0, 0, 1, 1, "delivery" },
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
