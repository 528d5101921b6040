#!/usr/bin/env bash
# Latency from an APPEND into the watched mailbox to the reply's processed
# row in the store, with `dunmail poll --idle` running: N messages (default
# 200) appended one at a time over IMAPS; the store is polled every 2 ms.
# Prints p50, p90, p99 and max.
#
#   bench/idle_latency.sh [N]      (needs root, the sandbox, sqlite3, python3)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
sandbox=$top/tests/sandbox/sandbox.sh
n=${1:-200}
work=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

bash "$sandbox" status >/dev/null 2>&1 || bash "$sandbox" start >/dev/null
eval "$(bash "$sandbox" env)"
export DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD
box=Idle-$(date +%s)
command doveadm -c "$SANDBOX_DOVECOT_CONFIG" mailbox create -u ar@vendor.test "$box"
bash "$top/tests/sandbox/dunmail-config.sh" "$work/d.db" |
	sed "s/^mailbox = INBOX/mailbox = $box/; s/^folder_root = Dunning/folder_root = $box-Filed/" > "$work/d.conf"
"$dunmail" -c "$work/d.conf" init >/dev/null
DUNMAIL_NOW=2026-11-20T09:00:00Z "$dunmail" -c "$work/d.conf" import invoices "$top/contrib/demo/invoices.csv" >/dev/null
"$dunmail" -c "$work/d.conf" ${IDLE_FLAGS:-} poll --idle 2>"$work/idle.log" &
pid=$!
sleep 1

python3 - "$work/d.db" "$n" "$box" <<'PY'
import imaplib, ssl, sqlite3, sys, time, os, email.utils
db, n, box = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=os.environ['SANDBOX_CA'])
im = imaplib.IMAP4_SSL(os.environ['SANDBOX_TLS_NAME'], int(os.environ['SANDBOX_IMAPS_PORT']), ssl_context=ctx)
im.login('ar@vendor.test', os.environ['SANDBOX_PASSWORD'])
con = sqlite3.connect('file:%s?mode=ro' % db, uri=True, timeout=5)
lat = []
for i in range(n):
    mid = 'idle-%d-%d@buyer.test' % (os.getpid(), i)
    msg = ('From: acme@buyer.test\r\nTo: ar@vendor.test\r\nSubject: Re: Payment reminder INV-2026-0142\r\n'
           'Message-ID: <%s>\r\nDate: %s\r\n\r\nWe will pay INV-2026-0142 on Friday.\r\n' % (mid, email.utils.formatdate())).encode()
    t0 = time.monotonic()
    im.append(box, None, None, msg)
    while True:
        r = con.execute("SELECT processed FROM message WHERE direction = 'in' AND message_id = ?", (mid,)).fetchone()
        if r and r[0] == 1:
            break
        if time.monotonic() - t0 > 30:
            sys.exit('timed out waiting for %s' % mid)
        time.sleep(0.002)
    lat.append((time.monotonic() - t0) * 1000)
im.logout()
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100.0 * len(lat))) - 1 if p < 100 else len(lat) - 1)]
print('%d APPENDs, APPEND -> processed row: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms'
      % (len(lat), pct(50), pct(90), pct(99), lat[-1]))
PY
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
echo "poll --idle exited $rc after SIGTERM: $(tail -n 1 "$work/idle.log")"
if [[ -n ${IDLE_LOG:-} ]]; then cp "$work/idle.log" "$IDLE_LOG"; fi
