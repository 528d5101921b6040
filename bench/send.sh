#!/usr/bin/env bash
# Sending benchmark: 2,000 reminders, each with a ~60 KB PDF, to Postfix's
# smtp-sink on loopback, through the whole of `dunmail send` (scheduler,
# templates, MIME, outbox commits with fsync, SMTP), on one connection and
# on eight ([smtp] connections; BENCH_CONNECTIONS, default "1 8") -- against
# msmtp (one process per message, the same message bytes) and smtp-source
# (the sink's own load generator, 20 sessions in parallel).
#
#   bench/send.sh [DUNMAIL_BINARY]        (default build/dunmail)
#
# Knobs: BENCH_N (2000), BENCH_PDF_KB (60), BENCH_MSMTP_N (msmtp sample,
# default 300: at ~20 msg/s all 2,000 would take minutes; msgs/s is what
# is compared), BENCH_PORT (12525). smtp-sink has no TLS, so dunmail talks
# to it with tls = none + allow_plaintext_loopback = yes and no AUTH; msmtp
# is set up the same way. Needs: smtp-sink, smtp-source (postfix), msmtp,
# /usr/bin/time, python3. Prints a table; see docs/sending.md.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dunmail=${1:-${DUNMAIL:-$top/build/dunmail}}
n=${BENCH_N:-2000}
pdf_kb=${BENCH_PDF_KB:-60}
msmtp_n=${BENCH_MSMTP_N:-300}
port=${BENCH_PORT:-12525}

for c in smtp-sink smtp-source msmtp python3; do
	command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$c" >/dev/null 2>&1 ||
		{ echo "bench: $c is missing (apt-get install postfix msmtp python3)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
[[ -x $dunmail ]] || { echo "bench: no dunmail binary at $dunmail" >&2; exit 1; }
PATH=$PATH:/usr/sbin

work=$(mktemp -d "${TMPDIR:-/tmp}/dunmail-bench.XXXXXX")
sink_pid=
cleanup() {
	[[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null || true
	[[ ${KEEP_WORK:-0} == 1 ]] && echo "work dir kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

# A real-looking PDF of the wanted size, and the ledger.
python3 - "$work" "$n" "$pdf_kb" <<'PY'
import os, sys
work, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = os.urandom(kb * 1024 - 400)
pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n" +
       ("4 0 obj<</Length %d>>stream\n" % len(body)).encode() + body +
       b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
open(os.path.join(work, "invoice.pdf"), "wb").write(pdf)
with open(os.path.join(work, "invoices.csv"), "w") as f:
    f.write("debtor_ref,debtor_name,email,language,timezone,region,invoice_number,"
            "issue_date,due_date,currency,amount,open_amount,pdf\n")
    for i in range(1, n + 1):
        lang = "zh" if i % 4 == 0 else "en"
        f.write(f"B-{i:05d},Bench Buyer {i:05d},ap{i:05d}@bench.test,{lang},UTC,,"
                f"BENCH-{i:05d},2026-10-17,2026-11-16,USD,{1000 + i}.00,{1000 + i}.00,"
                f"{work}/invoice.pdf\n")
PY

cat >"$work/dunmail.conf" <<CONF
[sender]
name = Accounts Receivable
company = Acme Vendor Ltd
email = ar@vendor.test
[store]
path = $work/bench.db
[templates]
dir = $top/templates
[defaults]
timezone = UTC
[smtp]
host = 127.0.0.1
port = $port
tls = none
allow_plaintext_loopback = yes
timeout = 30
[imap]
sent_folder =
[policy]
stages = -7 before_due, 0 due_today, +3 overdue_1, +10 overdue_2, +30 final_notice
window = 09:00-17:00
weekdays = mon-fri
max_per_week = 2
CONF
dm() { "$dunmail" -c "$work/dunmail.conf" "$@"; }

smtp-sink -u nobody -c "127.0.0.1:$port" 1000 >/dev/null 2>&1 &
sink_pid=$!
sleep 0.5

DUNMAIL_NOW=2026-11-02T08:00:00Z dm import invoices "$work/invoices.csv" >/dev/null
now=2026-11-16T12:00:00Z   # a Monday: every invoice is due today

rate() { python3 -c "import sys; n,s=float(sys.argv[1]),float(sys.argv[2]); print(f'{n/s:.1f}')" "$@"; }
secs() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.2f}')" "$@"; }

# dunmail, once per connection count, each on a fresh copy of the store
# as imported: [smtp] connections = 1 (one process, one connection) and 8
# (on 2 CPUs: two processes of four connections each, one 'sending'
# commit per round of four; smtp-source below uses 20 sessions).
cp "$work/bench.db" "$work/fresh.db"
d_rows=()
conns_list=${BENCH_CONNECTIONS:-1 8}
for conns in $conns_list; do
	db=$work/bench-$conns.db
	cp "$work/fresh.db" "$db"
	sed -e "s#^path = .*#path = $db#" -e "s#^\[smtp\]#[smtp]\nconnections = $conns#" \
		"$work/dunmail.conf" >"$work/dunmail-$conns.conf"
	echo "dunmail: sending $n reminders on $conns connection(s) (render + MIME + outbox + SMTP)..." >&2
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$work/time-$conns.txt" "$dunmail" -c "$work/dunmail-$conns.conf" send --now "$now" \
		>"$work/send.out" 2>"$work/send.err" || { echo "bench: dunmail send failed:" >&2; tail -5 "$work/send.err" >&2; exit 1; }
	t1=$(date +%s%N)
	secs_c=$(secs "$t0" "$t1")
	sent_c=$(sqlite3 "$db" "SELECT count(*) FROM message WHERE outbox_state = 'sent'")
	rss_c=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-$conns.txt")
	d_rows+=("$conns $sent_c $secs_c $rss_c")
done
read -r _ sent d_secs rss_kb <<<"${d_rows[0]}"
cp "$work/bench-${conns_list%% *}.db" "$work/bench.db"
avg=$(sqlite3 "$work/bench.db" "SELECT CAST(avg(size) AS INTEGER) FROM message WHERE outbox_state = 'sent'")

# The very same messages, for msmtp: the stored bytes of the first msmtp_n.
mkdir -p "$work/eml"
sqlite3 -separator ' ' "$work/bench.db" "SELECT sha256, replace(to_addrs, ', ', ',') FROM message WHERE outbox_state = 'sent' ORDER BY id LIMIT $msmtp_n" >"$work/eml/list"
# Written out before the clock starts: msmtp reads a file, dunmail its store.
while read -r sha _; do
	sqlite3 "$work/bench.db" "SELECT writefile('$work/eml/$sha', data) FROM blob WHERE sha256 = '$sha'" >/dev/null
done <"$work/eml/list"
cat >"$work/msmtprc" <<RC
defaults
tls off
auth off
domain vendor.test
account sink
host 127.0.0.1
port $port
from ar@vendor.test
account default : sink
RC
chmod 600 "$work/msmtprc"
echo "msmtp: sending $msmtp_n of the same messages, one process each..." >&2
t0=$(date +%s%N)
while read -r sha to; do
	msmtp -C "$work/msmtprc" -f ar@vendor.test "${to//,/ }" <"$work/eml/$sha"
done <"$work/eml/list"
t1=$(date +%s%N)
m_secs=$(secs "$t0" "$t1")

echo "smtp-source: $n messages of $avg bytes, 20 sessions..." >&2
t0=$(date +%s%N)
smtp-source -d -s 20 -l "$avg" -m "$n" -f ar@vendor.test -t sink@bench.test "127.0.0.1:$port" >/dev/null
t1=$(date +%s%N)
s_secs=$(secs "$t0" "$t1")

# A server a network round trip away: every reply 20 ms late. Over one
# connection each message waits five round trips; [smtp] connections
# overlaps them.
slow_n=${BENCH_SLOW_N:-200}
slow_ms=${BENCH_SLOW_MS:-20}
slow_port=${BENCH_SLOW_PORT:-12528}
python3 "$top/bench/slow_sink.py" "$slow_port" "$slow_ms" &
slow_pid=$!
trap 'kill $slow_pid 2>/dev/null || true; cleanup' EXIT
sleep 0.5
head -n $((slow_n + 1)) "$work/invoices.csv" >"$work/slow.csv"
slow_rows=()
for conns in 1 8; do
	db=$work/slow-$conns.db
	sed -e "s#^path = .*#path = $db#" -e "s#^port = .*#port = $slow_port#" \
		-e "s#^\[smtp\]#[smtp]\nconnections = $conns#" "$work/dunmail.conf" >"$work/slow-$conns.conf"
	DUNMAIL_NOW=2026-11-02T08:00:00Z "$dunmail" -c "$work/slow-$conns.conf" import invoices "$work/slow.csv" >/dev/null
	echo "dunmail: $slow_n reminders to a server ${slow_ms} ms away, $conns connection(s)..." >&2
	t0=$(date +%s%N)
	"$dunmail" -c "$work/slow-$conns.conf" send --now "$now" >/dev/null 2>"$work/slow.err" ||
		{ echo "bench: dunmail send (slow server) failed:" >&2; tail -5 "$work/slow.err" >&2; exit 1; }
	t1=$(date +%s%N)
	slow_rows+=("$conns $(sqlite3 "$db" "SELECT count(*) FROM message WHERE outbox_state = 'sent'") $(secs "$t0" "$t1")")
done
kill "$slow_pid" 2>/dev/null || true

m_rate=$(rate "$msmtp_n" "$m_secs")
s_rate=$(rate "$n" "$s_secs")
printf '\n%-38s %8s %9s %10s %9s\n' "sender" "messages" "seconds" "msgs/s" "peak RSS"
for row in "${d_rows[@]}"; do
	read -r c sent_c secs_c rss_c <<<"$row"
	printf '%-38s %8s %9s %10s %7s MiB\n' "dunmail send, $c connection(s)" "$sent_c" "$secs_c" \
		"$(rate "$sent_c" "$secs_c")" "$((rss_c / 1024))"
done
printf '%-38s %8s %9s %10s\n' "msmtp, one process per message" "$msmtp_n" "$m_secs" "$m_rate"
printf '%-38s %8s %9s %10s\n' "smtp-source -s 20 (sink's limit)" "$n" "$s_secs" "$s_rate"
echo
for row in "${d_rows[@]}"; do
	read -r c sent_c secs_c rss_c <<<"$row"
	python3 - "$c" "$(rate "$sent_c" "$secs_c")" "$m_rate" "$s_rate" <<'PY'
import sys
c, d, m, s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"{c} connection(s): dunmail / msmtp = {d / m:5.1f}x (target >= 20x); "
      f"dunmail / smtp-source = {100 * d / s:5.1f}% (target >= 30%)")
PY
done
echo "average message: $((avg / 1024)) KiB"
echo
printf '%-38s %8s %9s %10s\n' "server ${slow_ms} ms away (slow_sink.py)" "messages" "seconds" "msgs/s"
for row in "${slow_rows[@]}"; do
	read -r c sent_c secs_c <<<"$row"
	printf '%-38s %8s %9s %10s\n' "dunmail send, $c connection(s)" "$sent_c" "$secs_c" "$(rate "$sent_c" "$secs_c")"
done
