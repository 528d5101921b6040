/* The one table of commands (libgit2's cli_cmds[]). Keep it sorted by the
 * order a user meets them. */
#include "cli.h"

const struct cli_cmd cli_cmds[] = {
	{ "init", cmd_init, CLI_CREATES_STORE,
	  "create the store and a starter config",
	  "dunmail init [--force] [--store PATH] [--config-out FILE]",
	  "Writes a starter configuration (./dunmail.conf unless -c or\n"
	  "--config-out names another file) that uses the templates shipped\n"
	  "with dunmail, and creates the store it names: dunmail.db beside the\n"
	  "config, or PATH with --store. An existing config is kept unless\n"
	  "--force is given; an existing store is opened and migrated, never\n"
	  "emptied. The other commands, import aside, need the store to exist." },
	{ "lint", cmd_lint, 0,
	  "check the config, templates and rules",
	  "dunmail lint",
	  "Validates the configuration file, every mail template and every\n"
	  "rules file, and prints each problem as FILE:LINE: what is wrong.\n"
	  "A config with problems does not stop the check of the templates\n"
	  "and rules (defaults stand in for the values it could not give).\n"
	  "Exits 0 when everything is valid, 78 (EX_CONFIG) otherwise." },
	{ "import", cmd_import, CLI_CREATES_STORE,
	  "import invoices or payments from CSV",
	  "dunmail import invoices|payments FILE.csv",
	  "Imports a ledger export. Columns are found by header name; the\n"
	  "[ledger] section of the config maps other names (docs/ledger.md).\n"
	  "An import is all or nothing: a bad row is reported as\n"
	  "FILE:LINE: column: problem and nothing is imported. Importing the\n"
	  "same file again changes nothing. An updated open amount updates the\n"
	  "case; a payment that clears an invoice closes its case. The store\n"
	  "is created if it does not exist yet." },
	{ "cases", cmd_cases, 0,
	  "list cases",
	  "dunmail cases [--state STATE] [--json]",
	  "Lists cases (one per invoice) with debtor, due date, open amount,\n"
	  "state and next action. --state filters by upcoming, overdue,\n"
	  "promised, disputed, hardship, on_hold, escalated, paid or closed." },
	{ "show", cmd_show, 0,
	  "show one case and its trail",
	  "dunmail show INVOICE [--json]",
	  "Shows the case for invoice INVOICE: debtor, contacts, amounts,\n"
	  "state, next action and every event of its trail in order." },
	{ "plan", cmd_plan, 0,
	  "what each open case gets next, when, and why",
	  "dunmail plan [--now TIME] [--json]",
	  "For every open case, the next message the scheduler would send\n"
	  "(reminder stage or answer), when (in the debtor's own time zone),\n"
	  "and why: for example 'overdue_1 at 2026-11-16 09:00 Asia/Shanghai',\n"
	  "'held: window opens Monday 09:00', 'gap: last reminder 3 days ago',\n"
	  "'stopped: disputed'. Cases due now that go in one email to their\n"
	  "debtor are marked so. --now asks the question for another time.\n"
	  "Changes nothing. --json prints one object per case per line; the\n"
	  "keys are listed in docs/policy.md." },
	{ "preview", cmd_preview, 0,
	  "print the email a case would get next",
	  "dunmail preview INVOICE [--stage STAGE] [--now TIME]",
	  "Writes to stdout the exact message (RFC 5322, with its PDFs) that\n"
	  "the case of invoice INVOICE would get next: the stage it is at or\n"
	  "will reach next, at the time it would go, together with the\n"
	  "debtor's other invoices that would be in the same email. --stage\n"
	  "shows a given stage or answer template (overdue_2, dispute_ack,\n"
	  "...) now instead. Nothing is sent and the store is not changed; the\n"
	  "Message-ID is marked 'preview'. Save it as a .eml file to open it\n"
	  "in a mail program." },
	{ "send", cmd_send, 0,
	  "send the reminders that are due now",
	  "dunmail send [--now TIME] [--dry-run [--json]]",
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
	{ "poll", cmd_poll, 0,
	  "read replies over IMAP, classify, match, file",
	  "dunmail poll [--idle] [--json]",
	  "Fetches new mail from [imap] mailbox, stores every message byte for\n"
	  "byte (by SHA-256) before anything else, then parses it, strips the\n"
	  "quoted original, detects bounces and auto-replies, classifies it,\n"
	  "matches it to cases (thread, case token, invoice number, sender),\n"
	  "hands it to a person when it must, and files it into a folder per\n"
	  "outcome under [imap] folder_root (Dunning/Promise, Dunning/Paid,\n"
	  "Dunning/Needs attention, ...). TLS is verified before LOGIN.\n"
	  "A run killed at any point loses nothing and processes nothing\n"
	  "twice: the next run finishes it. Only one poller runs per store.\n\n"
	  "Without --idle it makes one pass and exits (for cron). With --idle\n"
	  "it stays connected with IDLE (re-issued before [imap] idle_seconds),\n"
	  "polls every minute on a server without IDLE, reconnects with a\n"
	  "capped, jittered backoff, and exits cleanly on SIGTERM or SIGINT.\n"
	  "--json prints the summary as one JSON object. See docs/inbound.md." },
	{ "deliver", cmd_deliver, 0,
	  "take one message from an MTA on stdin, as poll would",
	  "dunmail deliver [--json]",
	  "For a mail server's delivery agent (Postfix pipe, procmail, a\n"
	  "sieve pipe) or for loading an archive (formail -s dunmail deliver\n"
	  "< old.mbox): reads one message on stdin and does with it what poll\n"
	  "does with one it fetches: stores it byte for byte (by SHA-256),\n"
	  "parses, classifies and matches it, applies it to its cases and\n"
	  "hands it to a person when it must. The next poll appends it to its\n"
	  "folder under [imap] folder_root; a forward goes out with the next\n"
	  "send. The same bytes delivered again are taken once. A message over\n"
	  "32 MiB keeps its header only and goes to a person (oversized).\n"
	  "Exits 0 when the message is taken (a duplicate too) and 75\n"
	  "(EX_TEMPFAIL) when it is not (store locked or full, config or store\n"
	  "missing), so the MTA keeps it and tries again; 64 for a wrong\n"
	  "command line. --json prints the outcome as one JSON object.\n"
	  "See docs/inbound.md." },
	{ "classify", cmd_classify, 0,
	  "classify reply messages (no store changes)",
	  "dunmail classify [--json] [--tz ZONE] [--locale L] [--rules DIR]\n"
	  "                 [--files-from LIST] FILE...",
	  "Runs the inbound pipeline on raw RFC 5322 messages (MIME, charsets,\n"
	  "quote and signature stripping, bounce and auto-reply detection) and\n"
	  "classifies each one as promise_to_pay, dispute, hardship, paid,\n"
	  "opt_out, wrong_contact, invoice_request, auto_reply, bounce or\n"
	  "unknown, with the rule that decided, the matched words, a\n"
	  "confidence, the promised date, the amount and the invoice numbers.\n"
	  "Nothing is stored and nothing is sent.\n"
	  "--json prints one JSON object per file per line (the keys are a\n"
	  "stable contract, listed in docs/classify.md). --tz is the sender's\n"
	  "IANA time zone for \"by Friday\" (default: the Date header's own\n"
	  "offset). --locale en-GB, en-US or zh reads numeric dates like 03/04;\n"
	  "without it they are left empty and flagged. --rules DIR uses other\n"
	  "rules files (default: the config's templates/rules, else the ones\n"
	  "shipped with dunmail). --files-from LIST reads file names, one a\n"
	  "line, from LIST (- for stdin). A file that cannot be read or parsed\n"
	  "is reported as unknown with an \"error\" key and the run goes on;\n"
	  "the exit status is then 66 (EX_NOINPUT) if a file could not be read." },
	{ "queue", cmd_queue, 0,
	  "what waits for a person, oldest first",
	  "dunmail queue [--json]",
	  "Lists the replies and cases handed to a person (disputes,\n"
	  "hardship, unknown replies, bounces, remittances to match), oldest\n"
	  "first, each with the command that resolves it." },
	{ "resolve", cmd_resolve, 0,
	  "record a person's decision on a case",
	  "dunmail resolve INVOICE|--handoff ID --action ACTION [ARG] --note TEXT",
	  "Records a decision, with the operator's name ([sender] operator or\n"
	  "$USER) and the note, in the trail, and closes the case's open\n"
	  "hand-offs (with --handoff ID, the one `dunmail queue` numbers, and\n"
	  "the case it is about). ACTION is one of:\n"
	  "  resume              reminders continue as the policy says\n"
	  "  close               nothing more is sent; the case is closed\n"
	  "  plan [DATE]         a payment plan: no reminders until DATE\n"
	  "                      (default 30 days)\n"
	  "  hold-until DATE     no reminders until DATE, then resume\n"
	  "  set-contact ADDR    add ADDR as the debtor's main contact; resume\n"
	  "  lift-opt-out        the debtor may be written to again; resume\n"
	  "A hand-off about no case (a reply that matched none) takes:\n"
	  "  dismiss             nothing to do; it leaves the queue\n"
	  "  assign INVOICE      the reply belongs to INVOICE's case: it joins\n"
	  "                      that case's trail and export" },
	{ "verify", cmd_verify, 0,
	  "prove the trail and stored mail intact",
	  "dunmail verify [--head SEQ:HASH]",
	  "Recomputes the hash chain over every event and the SHA-256 of\n"
	  "every stored message, and checks that every message an event\n"
	  "names is stored and every stored message has its event. Reports\n"
	  "the first broken link (an event altered, removed or reordered) or\n"
	  "altered or missing message, and exits 65. Prints the chain's head\n"
	  "as SEQ:HASH: record it out of band (daily, say); --head with a\n"
	  "recorded head also proves no event was cut from the end since." },
	{ "export", cmd_export, 0,
	  "write an evidence bundle for one invoice",
	  "dunmail export INVOICE DIR",
	  "Writes into DIR (refused if DIR/messages exists) every message in\n"
	  "and out of the case as .eml, timeline.md (times, classes, matched\n"
	  "words, SMTP replies, decisions), events.jsonl (each event with its\n"
	  "hash fields), chain.jsonl (the links of the whole chain from the\n"
	  "case's first event to its last, hashes only), verify.py (rechecks\n"
	  "them without dunmail), README.txt (what the bundle is and how to\n"
	  "check it) and SHA256SUMS (check with `sha256sum -c SHA256SUMS`)." },
	{ "run", cmd_run, 0,
	  "run as the agent: IDLE on the mailbox, send when due",
	  "dunmail run [--interval SECONDS] [--syslog]",
	  "Runs until SIGTERM. Keeps IMAP IDLE open on the AR mailbox and\n"
	  "processes each reply as it arrives (classified, matched, applied\n"
	  "to its cases, filed); wakes when the next action falls due (a\n"
	  "send window opening, a promise or hold ending, a retry) and sends\n"
	  "it, sleeping at most --interval seconds (default 300) between\n"
	  "looks, and looks at once after a reply.\n"
	  "SIGHUP reloads the config (a bad one is refused and the old kept).\n"
	  "Logs what it does to stderr (-v for more), or to syslog with\n"
	  "--syslog; -T adds traces.\n"
	  "Holds the store's send lock, so no `dunmail send` runs beside it." },
	{ "help", cmd_help, 0,
	  "describe a command",
	  "dunmail help [COMMAND]",
	  "Without a command, lists every command. With one, describes it." },
};

const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);
