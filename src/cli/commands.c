/* The one table of commands (libgit2's cli_cmds[]). Keep it sorted by the
 * order a user meets them. */
#include "cli.h"

const struct cli_cmd cli_cmds[] = {
	{ "init", cmd_init, "create the store and a starter config",
	  "dunmail init [--force] [--store PATH] [--config-out FILE]",
	  "Writes a starter configuration (./dunmail.conf unless -c or\n"
	  "--config-out names another file) and creates the store it names.\n"
	  "An existing config is kept unless --force is given; an existing\n"
	  "store is opened and migrated, never emptied." },
	{ "lint", cmd_lint, "check the config, templates and rules",
	  "dunmail lint",
	  "Validates the configuration file, every mail template and every\n"
	  "rules file, and prints each problem as FILE:LINE: what is wrong.\n"
	  "Exits 0 when everything is valid, 78 (EX_CONFIG) otherwise." },
	{ "import", cmd_import, "import invoices or payments from CSV",
	  "dunmail import invoices|payments FILE.csv",
	  "Imports a ledger export. Columns are found by header name; the\n"
	  "[ledger] section of the config maps other names (docs/ledger.md).\n"
	  "An import is all or nothing: a bad row is reported as\n"
	  "FILE:LINE: column: problem and nothing is imported. Importing the\n"
	  "same file again changes nothing. An updated open amount updates the\n"
	  "case; a payment that clears an invoice closes its case." },
	{ "cases", cmd_cases, "list cases",
	  "dunmail cases [--state STATE] [--json]",
	  "Lists cases (one per invoice) with debtor, due date, open amount,\n"
	  "state and next action. --state filters by upcoming, overdue,\n"
	  "promised, disputed, hardship, on_hold, escalated, paid or closed." },
	{ "show", cmd_show, "show one case and its trail",
	  "dunmail show INVOICE [--json]",
	  "Shows the case for invoice INVOICE: debtor, contacts, amounts,\n"
	  "state, next action and every event of its trail in order." },
	{ "send", cmd_send, "send the reminders that are due now",
	  "dunmail send [--now TIME] [--dry-run]",
	  "Sends what is due at TIME (default now): first settles what an\n"
	  "interrupted run left (a message caught mid-send is looked up in the\n"
	  "IMAP Sent folder; if it cannot be found it is handed to a person,\n"
	  "never resent), retries deferred messages whose backoff has passed,\n"
	  "then asks the scheduler what is due, checks each message's stop\n"
	  "conditions once more, and sends it over SMTP with TLS verified.\n"
	  "Every message is committed to the outbox before a byte goes out and\n"
	  "recorded with the server's reply; a copy goes to the Sent folder.\n"
	  "--dry-run prints each message that would go (debtor, recipients,\n"
	  "template, invoices, subject) and changes nothing.\n"
	  "Exits 0 when everything due went or waits for its window, 75\n"
	  "(EX_TEMPFAIL) when some messages failed temporarily and will be\n"
	  "retried, 78 (EX_CONFIG) or another non-zero code when the config,\n"
	  "TLS or login is wrong. See docs/sending.md." },
	{ "queue", cmd_queue, "what waits for a person, oldest first",
	  "dunmail queue [--json]",
	  "Lists the replies and cases handed to a person (disputes,\n"
	  "hardship, unknown replies, bounces, remittances to match), oldest\n"
	  "first, each with the command that resolves it." },
	{ "resolve", cmd_resolve, "record a person's decision on a case",
	  "dunmail resolve INVOICE --action ACTION [ARG] --note TEXT",
	  "Records a decision, with the operator's name ([sender] operator or\n"
	  "$USER) and the note, in the trail, and closes the case's open\n"
	  "hand-offs. ACTION is one of:\n"
	  "  resume              reminders continue as the policy says\n"
	  "  close               nothing more is sent; the case is closed\n"
	  "  plan [DATE]         a payment plan: no reminders until DATE\n"
	  "                      (default 30 days)\n"
	  "  hold-until DATE     no reminders until DATE, then resume\n"
	  "  set-contact ADDR    add ADDR as the debtor's main contact; resume\n"
	  "  lift-opt-out        the debtor may be written to again; resume" },
	{ "verify", cmd_verify, "prove the trail and stored mail intact",
	  "dunmail verify",
	  "Recomputes the hash chain over every event and the SHA-256 of\n"
	  "every stored message. Reports the first broken link (an event\n"
	  "altered, removed or reordered) or altered file, and exits 65." },
	{ "export", cmd_export, "write an evidence bundle for one invoice",
	  "dunmail export INVOICE DIR",
	  "Writes into DIR (new or empty) every message in and out of the\n"
	  "case as .eml, timeline.md (times, classes, matched words, SMTP\n"
	  "replies, decisions), events.jsonl (each event with its hash\n"
	  "fields), verify.py (rechecks them without dunmail) and SHA256SUMS\n"
	  "(check with `sha256sum -c SHA256SUMS`)." },
	{ "help", cmd_help, "describe a command",
	  "dunmail help [COMMAND]",
	  "Without a command, lists every command. With one, describes it." },
};

const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);
