#!/usr/bin/env bash
# Wait until a sandbox mailbox holds at least COUNT messages, reading the
# Maildir on disk (no IMAP login, so it does not change \Recent or flags).
#
#   tests/sandbox/wait-for-mail.sh [-m TEXT] USER MAILBOX COUNT [TIMEOUT]
#
#   USER     full address, e.g. acme@buyer.test
#   MAILBOX  INBOX, or an IMAP folder name with "/" as separator ("AR/Processed")
#   COUNT    wait until at least this many messages are there
#   TIMEOUT  seconds (default 20)
#   -m TEXT  count only messages whose file contains TEXT (fixed string),
#            e.g. a Message-ID or a unique Subject
#
# Prints the count found. Exit 0 when reached, 1 on timeout, 2 on bad usage.
# Needs read access to the Maildir (root). Uses $DUNMAIL_SANDBOX_DIR
# (default /tmp/dunmail-sandbox); the layout is described in sandbox.sh.
set -euo pipefail

match=""
if [[ ${1:-} == -m ]]; then
    match=${2:?-m needs TEXT}
    shift 2
fi
if (($# < 3)); then
    sed -n '2,18p' "$0" >&2
    exit 2
fi
user=${1,,}
mailbox=$2
want=$3
timeout=${4:-20}
[[ $user == *@* ]] || { echo "wait-for-mail: USER must be a full address" >&2; exit 2; }
[[ $want =~ ^[0-9]+$ ]] || { echo "wait-for-mail: COUNT must be a number" >&2; exit 2; }

root=${DUNMAIL_SANDBOX_DIR:-/tmp/dunmail-sandbox}/mail
maildir=$root/${user#*@}/${user%@*}/Maildir
if [[ ${mailbox^^} != INBOX ]]; then
    maildir=$maildir/.${mailbox//\//.}
fi

count_msgs() {
    local n=0 f
    for f in "$maildir"/new/* "$maildir"/cur/*; do
        [[ -f $f ]] || continue
        if [[ -n $match ]]; then
            grep -qF -- "$match" "$f" 2>/dev/null || continue
        fi
        n=$((n + 1))
    done
    echo "$n"
}

deadline=$((SECONDS + timeout))
while :; do
    n=$(count_msgs)
    if ((n >= want)); then
        echo "$n"
        exit 0
    fi
    if ((SECONDS >= deadline)); then
        echo "$n"
        echo "wait-for-mail: timed out after ${timeout}s: $n of $want message(s) in $maildir" >&2
        exit 1
    fi
    sleep 0.1
done
