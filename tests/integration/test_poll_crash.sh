#!/usr/bin/env bash
# Kill `dunmail poll` with SIGKILL at many points (the DUNMAIL_TEST_CRASH_AT
# hook after storing, processing, moving and recording, and at random
# moments), with new mail arriving between runs; then let it finish and
# check that no reply was lost and none was processed twice: rows, trail
# events, hand-offs and the folders on the server all count exactly one
# per message. Also: a second poller on the same store refuses to run, and
# poll --idle exits cleanly on SIGTERM.
#
#   CRASH_ITERATIONS (default 40), CRASH_BATCH messages added per iteration (3)
#   KEEP_WORK=1 keeps the work directory
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
sandbox=$top/tests/sandbox/sandbox.sh
work=$(mktemp -d)
started=0
passed=0 failed=0
iterations=${CRASH_ITERATIONS:-40}
batch=${CRASH_BATCH:-3}

cleanup() {
	[[ $started == 1 ]] && bash "$sandbox" stop >/dev/null 2>&1
	[[ -n ${KEEP_WORK:-} ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1" >&2; [[ -n ${2:-} ]] && printf '%s\n' "$2" | sed 's/^/    /' >&2; }
check_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "expected [$3], got [$2]"; fi; }

if ! bash "$sandbox" status >/dev/null 2>&1; then
	bash "$sandbox" start >/dev/null 2>&1 || { fail "sandbox starts"; echo "$passed passed, $failed failed"; exit 1; }
	started=1
fi
eval "$(bash "$sandbox" env)"
export DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD
db=$work/d.db
bash "$top/tests/sandbox/dunmail-config.sh" "$db" > "$work/d.conf"
# A mailbox of our own, so other tests' mail does not count.
box="Crash-$(date +%s%N)"
sed -i "s/^mailbox = INBOX/mailbox = $box/; s/^folder_root = Dunning/folder_root = $box-Filed/" "$work/d.conf"
dm() { "$dunmail" -c "$work/d.conf" "$@"; }
q() { sqlite3 "$db" "$@"; }
dm init >/dev/null 2>&1
doveadm() { command doveadm -c "$SANDBOX_DOVECOT_CONFIG" "$@"; }
doveadm mailbox create -u ar@vendor.test "$box" || fail "create $box"
on_server() {
	doveadm fetch -u ar@vendor.test hdr.message-id mailbox "$box-Filed/*" ALL |
		grep -i '^hdr.message-id: <crash-' | tr 'A-Z' 'a-z'
}

U=$$-$RANDOM
total=0
add_mail() {
	local i
	for ((i = 0; i < $1; i++)); do
		total=$((total + 1))
		printf '%s\r\n' "From: stranger$total@elsewhere.test" "To: ar@vendor.test" \
			"Subject: crash test $total" "Message-ID: <crash-$U-$total@elsewhere.test>" \
			"Date: $(LC_ALL=C date -R)" "" "Message $total of the crash test; who are you?" |
			doveadm save -u ar@vendor.test -m "$box" || fail "save message $total"
	done
}

points=(stored processed moved filed)
killed_hook=0 killed_random=0 finished=0
for ((it = 1; it <= iterations; it++)); do
	add_mail "$batch"
	if ((it % 2)); then
		p=${points[RANDOM % 4]}
		rc=0
		DUNMAIL_TEST_CRASH_AT=$p dm poll >/dev/null 2>"$work/err" || rc=$?
		if ((rc == 137)); then killed_hook=$((killed_hook + 1)); elif ((rc == 0)); then finished=$((finished + 1)); fi
	else
		"$dunmail" -c "$work/d.conf" poll >/dev/null 2>&1 &
		pid=$!
		sleep "0.$(printf %03d $((RANDOM % 60)))"
		if kill -9 "$pid" 2>/dev/null; then killed_random=$((killed_random + 1)); fi
		wait "$pid" 2>/dev/null
	fi
done
echo "# $iterations iterations: $killed_hook killed by the hook, $killed_random killed at random moments, $finished ran to the end before the hook fired"
# Now let it finish.
if out=$(dm poll 2>&1); then pass "a clean poll finishes the work"; else fail "a clean poll finishes the work" "$out"; fi
out=$(dm poll --json 2>&1)
if grep -q '"stored":0,"duplicates":0,"processed":0,"filed":0' <<<"$out"; then pass "then nothing is left"; else fail "then nothing is left" "$out"; fi

check_eq "no reply lost: $total delivered, rows" "$(q "SELECT count(*) FROM message WHERE direction = 'in'")" "$total"
check_eq "each stored once (distinct Message-IDs)" "$(q "SELECT count(DISTINCT message_id) FROM message WHERE direction = 'in'")" "$total"
check_eq "all processed" "$(q "SELECT count(*) FROM message WHERE direction = 'in' AND processed = 1")" "$total"
check_eq "all filed" "$(q "SELECT count(*) FROM message WHERE direction = 'in' AND filed_at > 0")" "$total"
check_eq "one classification each" "$(q "SELECT count(*) FROM classification")" "$total"
check_eq "no message classified twice" "$(q "SELECT count(*) FROM (SELECT message_id FROM classification GROUP BY message_id HAVING count(*) > 1)")" 0
for kind in received classified handoff filed; do
	check_eq "one '$kind' event each" "$(q "SELECT count(*) FROM event WHERE kind = '$kind'")" "$total"
done
check_eq "one hand-off each (all unmatched)" "$(q "SELECT count(*) FROM handoff")" "$total"
if out=$(dm verify 2>&1); then pass "trail verifies"; else fail "trail verifies" "$out"; fi
check_eq "mailbox empty on the server" "$(doveadm search -u ar@vendor.test mailbox "$box" ALL | wc -l)" 0
check_eq "each message exactly once in the folders on the server" \
	"$(on_server | wc -l)/$(on_server | sort -u | wc -l)" "$total/$total"

# Two pollers at once (cron overlap): the second one refuses to run.
add_mail 2
"$dunmail" -c "$work/d.conf" poll --idle >/dev/null 2>&1 &
idle=$!
sleep 1
rc=0; out=$(dm poll 2>&1) || rc=$?
if [[ $rc != 0 ]] && grep -q "another dunmail poll is running" <<<"$out"; then
	pass "a second poller on the same store refuses to run"
else
	fail "a second poller on the same store refuses to run (exit $rc)" "$out"
fi
sleep 1
kill -TERM "$idle"; rc=0; wait "$idle" || rc=$?
check_eq "poll --idle exits 0 on SIGTERM" "$rc" 0
check_eq "poll --idle filed the two new ones" "$(q "SELECT count(*) FROM message WHERE direction = 'in' AND filed_at > 0")" "$total"

echo "# counts: delivered $total, rows $(q "SELECT count(*) FROM message WHERE direction = 'in'"), classifications $(q "SELECT count(*) FROM classification"), hand-offs $(q "SELECT count(*) FROM handoff"), 'filed' events $(q "SELECT count(*) FROM event WHERE kind = 'filed'"), on the server $(on_server | wc -l)"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
