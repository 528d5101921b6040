#!/usr/bin/env bash
# Prints a dunmail config that talks to the running sandbox as the AR
# mailbox ar@vendor.test, with verified TLS against the sandbox's CA.
#
#   tests/sandbox/dunmail-config.sh STORE_PATH > dunmail.conf
#
# The password comes from the environment (DUNMAIL_SMTP_PASSWORD and
# DUNMAIL_IMAP_PASSWORD), never from the file: export them from
# `sandbox.sh env` (SANDBOX_PASSWORD).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
store=${1:?usage: dunmail-config.sh STORE_PATH}
eval "$("$here/sandbox.sh" env)"

cat <<CONF
# dunmail config for the local mail sandbox (tests/sandbox/sandbox.sh).
[sender]
name = Accounts Receivable
company = Acme Vendor Ltd
email = ar@vendor.test
phone = +44 117 496 0000
payment_instructions = Bank transfer to Acme Vendor Ltd, Sort code 00-00-00, Account 00000000, IBAN GB00 TEST 0000 0000 0000 00 (demo details), quoting the invoice number.

[store]
path = $store

[templates]
dir = $top/templates

[defaults]
timezone = Europe/London
language = en

[smtp]
host = $SANDBOX_HOST
port = $SANDBOX_SUBMISSION_PORT
tls = starttls
tls_name = $SANDBOX_TLS_NAME
ca_file = $SANDBOX_CA
user = ar@vendor.test
password_env = DUNMAIL_SMTP_PASSWORD

[imap]
host = $SANDBOX_HOST
port = $SANDBOX_IMAPS_PORT
tls = implicit
tls_name = $SANDBOX_TLS_NAME
ca_file = $SANDBOX_CA
user = ar@vendor.test
password_env = DUNMAIL_IMAP_PASSWORD
mailbox = INBOX
folder_root = Dunning
sent_folder = Sent

[handoff]
address = collections@vendor.test

[policy]
stages = -7 before_due, 0 due_today, +3 overdue_1, +10 overdue_2, +30 final_notice
min_gap_days = 7
window = 09:00-17:00
weekdays = mon-fri
max_per_week = 2

[holidays]
* = 2026-12-25, 2027-01-01
GB = 2026-12-28
CN = 2027-01-01
CONF
