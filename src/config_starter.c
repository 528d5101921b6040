/* The starter config `dunmail init` writes. Every key, with its meaning,
 * is in contrib/dunmail.conf.example. */
#include "dunmail/config.h"

static const char starter[] =
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
"path = dunmail.db\n"
"\n"
"[templates]\n"
"dir = templates\n"
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

const char *
dun_config_starter(void)
{
	return starter;
}
