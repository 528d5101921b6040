/* The starter config `dunmail init` writes. Every key, with its meaning,
 * is in contrib/dunmail.conf.example. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dunmail/config/config.h"
#include "dunmail/core/common.h"

/* The store path goes after starter_head, the templates directory after
 * starter_mid. */
static const char starter_head[] =
"# dunmail configuration; every key is described in\n"
"# contrib/dunmail.conf.example. Relative paths are relative to this file.\n"
"\n"
"[sender]\n"
"name = Accounts Receivable\n"
"company = Acme Vendor Ltd\n"
"email = ar@vendor.test\n"
"phone = +1 555 0100\n"
"payment_instructions = Bank transfer to Acme Vendor Ltd, IBAN GB00 TEST 0000 0000 0000 00, quoting the invoice number.\n"
"\n"
"[store]\n"
"path = ";

static const char starter_mid[] =
"\n"
"\n"
"[templates]\n"
"# The templates and rules shipped with dunmail; copy them elsewhere and\n"
"# point this there to change the wording.\n"
"dir = ";

static const char starter_tail[] =
"\n"
"\n"
"[defaults]\n"
"timezone = UTC\n"
"language = en\n"
"\n"
"[smtp]\n"
"host = 127.0.0.1\n"
"port = 587\n"
"tls = starttls\n"
"user = ar@vendor.test\n"
"password_env = DUNMAIL_SMTP_PASSWORD\n"
"\n"
"[imap]\n"
"host = 127.0.0.1\n"
"port = 993\n"
"tls = implicit\n"
"user = ar@vendor.test\n"
"password_env = DUNMAIL_IMAP_PASSWORD\n"
"\n"
"[handoff]\n"
"address = collections@vendor.test\n"
"\n"
"[policy]\n"
"stages = -7 before_due, 0 due_today, +3 overdue_1, +10 overdue_2, +30 final_notice\n"
"min_gap_days = 7\n"
"window = 09:00-17:00\n"
"weekdays = mon-fri\n"
"max_per_week = 2\n"
"\n"
"[holidays]\n"
"* = 2026-12-25, 2027-01-01\n";

static int
is_dir(const char *path)
{
	char *probe = xasprintf("%s/.", path);
	int ok = access(probe, R_OK | X_OK) == 0;

	free(probe);
	return ok;
}

char *
dun_config_templates_dir(void)
{
	char exe[PATH_MAX], *dir, *abs, *slash;
	ssize_t n;

	/* Installed: PREFIX/bin/dunmail beside PREFIX/share/dunmail, wherever
	 * the tree was moved to. */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			dir = xasprintf("%s/../share/dunmail/templates", exe);
			if (is_dir(dir) && (abs = realpath(dir, NULL)) != NULL) {
				free(dir);
				return abs;
			}
			free(dir);
		}
	}
	/* In a build tree: the sources it was built from. */
	if (is_dir(DUNMAIL_SOURCE_DIR "/templates"))
		return xstrdup(DUNMAIL_SOURCE_DIR "/templates");
	return xstrdup(DUNMAIL_DATADIR "/templates");
}

/* inih would cut a value at a line break or at ';' after white space,
 * trims white space at either end, and reads lines of at most 199
 * characters. */
static int
ini_safe(const char *value)
{
	const char *p;

	if (*value == '\0' || strlen(value) > 190 || value[0] == ' ' || value[0] == '\t' ||
	    value[strlen(value) - 1] == ' ' || value[strlen(value) - 1] == '\t')
		return 0;
	for (p = value; *p; p++) {
		if (*p == '\n' || *p == '\r')
			return 0;
		if ((*p == ';' || *p == '#') && (p[-1] == ' ' || p[-1] == '\t'))
			return 0;
	}
	return 1;
}

int
dun_config_starter_text(char **out, const char *store_path,
    const char *templates_dir)
{
	char *shipped = NULL;

	*out = NULL;
	if (store_path == NULL)
		store_path = "dunmail.db";
	if (templates_dir == NULL)
		templates_dir = shipped = dun_config_templates_dir();
	if (!ini_safe(store_path) || !ini_safe(templates_dir)) {
		int rc = dun_error_set(DUN_EINVAL, "the path '%s' cannot be "
		    "written into a config file (too long, a line break, a "
		    "space at an end, or ';' or '#' after a space); choose "
		    "another",
		    ini_safe(store_path) ? templates_dir : store_path);
		free(shipped);
		return rc;
	}
	*out = xasprintf("%s%s%s%s%s", starter_head, store_path, starter_mid,
	    templates_dir, starter_tail);
	free(shipped);
	return 0;
}
