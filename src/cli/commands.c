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
	{ "help", cmd_help, "describe a command",
	  "dunmail help [COMMAND]",
	  "Without a command, lists every command. With one, describes it." },
};

const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);
