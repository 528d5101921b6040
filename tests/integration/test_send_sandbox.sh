#!/usr/bin/env bash
# `dunmail send` end to end against the sandbox: the demo ledger
# (contrib/demo/invoices.csv) is imported and the clock walks from Monday
# 2 November 2026 for 45 days at four times of day. The debtors' Maildirs
# must then hold exactly the messages the store says were sent, once each,
# with every invoice PDF byte-identical to contrib/demo/pdf/*, Chinese
# subjects and file names decoding, every message sent inside the window
# of the debtor's own zone on a weekday that is not a holiday, each stage
# at most once per case and never before its day, one message per debtor
# and run (grouped), and a second run at the same time sending nothing.
#
#   bash tests/integration/test_send_sandbox.sh   (needs root; DUNMAIL=binary)
#
# Prints "N passed, M failed" at the end; exits non-zero on failure.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/send_lib.sh"

sandbox_up
maildir_ids >"$WORK/before.txt"
dir=$WORK/store
make_config "$dir"
conf=$dir/dunmail.conf
dm() { "$DUNMAIL" -c "$conf" "$@"; }

export DUNMAIL_NOW=2026-11-02T08:00:00Z
if out=$(dm import invoices "$REPO/contrib/demo/invoices.csv" 2>&1); then
    pass "import the demo ledger"
else
    fail "import the demo ledger" "$out"
    finish
fi

# A dry run changes nothing.
before=$(sqlite3 "$dir/dunmail.db" "SELECT count(*) FROM event")
out=$(DUNMAIL_NOW=2026-11-09T15:00:00Z dm send --dry-run 2>&1)
after=$(sqlite3 "$dir/dunmail.db" "SELECT count(*) FROM event")
if [[ $before == "$after" ]] && grep -q '^would send' <<<"$out"; then
    pass "--dry-run lists messages and changes nothing"
else
    fail "--dry-run lists messages and changes nothing" "$out"
fi

# The walk: 45 days, four times a day (UTC), covering every zone's window.
runs=0
bad_exit=""
twice_sent=0
for ((d = 0; d < 45; d++)); do
    day=$(date -u -d "2026-11-02 + $d days" +%Y-%m-%d)
    for t in 01:30 06:00 09:30 14:00; do
        now="${day}T${t}:00Z"
        rc=0
        dm send --now "$now" >>"$WORK/send.log" 2>&1 || rc=$?
        runs=$((runs + 1))
        [[ $rc -eq 0 ]] || bad_exit="$bad_exit $now:$rc"
        # Running again at the same time sends nothing.
        if [[ $t == 09:30 || $t == 01:30 ]]; then
            out=$(dm send --now "$now" 2>&1)
            grep -q " 0 sent," <<<"$out" || twice_sent=$((twice_sent + 1))
        fi
    done
done
[[ -z $bad_exit ]] && pass "$runs runs over 45 days exit 0" || fail "every run exits 0" "$bad_exit"
[[ $twice_sent -eq 0 ]] && pass "a second run at the same time sends nothing" \
    || fail "a second run at the same time sends nothing ($twice_sent runs sent again)"
wait_queue_empty 60 || fail "the Postfix queue drains"

# What the store says was sent, per message and per case.
sqlite3 -separator $'\t' "$dir/dunmail.db" "
  SELECT m.message_id, m.sent_at, d.ref, d.timezone, d.region, d.language,
         m.template, m.to_addrs, i.number, i.due_date, mc.stage_index,
         mc.stage, i.pdf_path
  FROM message m JOIN debtor d ON d.id = m.debtor_id
  JOIN message_case mc ON mc.message_id = m.id
  JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id
  WHERE m.direction = 'out' AND m.outbox_state = 'sent'
  ORDER BY m.sent_at, m.id" >"$WORK/sent.tsv"
sqlite3 "$dir/dunmail.db" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state NOT IN ('sent', 'cancelled')" >"$WORK/unsettled.txt"

python3 - "$WORK/sent.tsv" "$SANDBOX_MAILDIR_ROOT" "$REPO/contrib/demo/pdf" \
    "$dir/dunmail.conf" "$WORK/before.txt" >"$WORK/check.txt" 2>&1 <<'PY'
import collections, configparser, datetime, email, email.policy, hashlib, os, re, sys
from zoneinfo import ZoneInfo

sent_tsv, root, pdf_dir, conf_path, before_path = sys.argv[1:6]
before = set(l.split()[1] for l in open(before_path) if len(l.split()) > 1)
rows = [l.rstrip("\n").split("\t") for l in open(sent_tsv) if l.strip()]
msgs = collections.OrderedDict()
for (mid, sent_at, ref, tz, region, lang, template, to, number, due, sidx,
     stage, pdf) in rows:
    m = msgs.setdefault(mid, dict(sent_at=int(sent_at), ref=ref, tz=tz,
        region=region, lang=lang, template=template,
        to=[a.strip() for a in to.split(",")], cases=[]))
    m["cases"].append((number, due, int(sidx), stage, pdf))

conf = configparser.ConfigParser(strict=False, interpolation=None)
conf.read(conf_path)
window = conf.get("policy", "window", fallback="09:00-17:00")
w0, w1 = [int(x[:2]) * 60 + int(x[3:5]) for x in window.split("-")]
stages = [s.strip().split() for s in conf.get("policy", "stages").split(",")]
offsets = {name: int(off) for off, name in stages}
holidays = collections.defaultdict(set)
if conf.has_section("holidays"):
    for region, dates in conf.items("holidays"):
        for x in dates.split(","):
            holidays[region.upper() if region != "*" else "*"].add(x.strip())

# Maildir contents, per recipient.
got = collections.defaultdict(list)
for user in os.listdir(os.path.join(root, "buyer.test")):
    md = os.path.join(root, "buyer.test", user, "Maildir")
    for sub in ("new", "cur"):
        for f in os.listdir(os.path.join(md, sub)):
            raw = open(os.path.join(md, sub, f), "rb").read()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            mid = str(m.get("Message-ID", "")).strip().strip("<>")
            if mid in before:
                continue
            got[mid].append((f"{user}@buyer.test", m))

demo_pdfs = {}
for f in os.listdir(pdf_dir):
    demo_pdfs[f] = hashlib.sha256(open(os.path.join(pdf_dir, f), "rb").read()).hexdigest()

problems = collections.defaultdict(list)
def bad(check, text):
    problems[check].append(text)

for mid, m in msgs.items():
    copies = got.get(mid, [])
    want = sorted(m["to"])
    have = sorted(u for u, _ in copies)
    if have != want:
        bad("delivered once to each recipient", f"{mid}: want {want} got {have}")
    if not copies:
        continue
    msg = copies[0][1]
    subject = str(msg["Subject"])
    if m["lang"] == "zh" and not re.search(r"[\u4e00-\u9fff]", subject):
        bad("Chinese subjects decode", f"{mid}: {subject!r}")
    attached = {}
    for part in msg.walk():
        if part.get_content_type() == "application/pdf":
            name = part.get_filename() or ""
            attached[name] = hashlib.sha256(part.get_payload(decode=True)).hexdigest()
    for number, due, sidx, stage, pdf in m["cases"]:
        base = os.path.basename(pdf)
        if not pdf:
            continue
        if demo_pdfs.get(base) not in attached.values():
            bad("PDFs byte-identical", f"{mid}: {base} not attached intact ({list(attached)})")
        if "发票" in base and base not in attached:
            bad("Chinese file names decode", f"{mid}: {base} not among {list(attached)}")
    local = datetime.datetime.fromtimestamp(m["sent_at"], ZoneInfo(m["tz"]))
    minute = local.hour * 60 + local.minute
    if local.weekday() >= 5 or not (w0 <= minute < w1):
        bad("inside the window, weekdays, debtor's zone", f"{mid} {m['ref']} at {local}")
    if local.date().isoformat() in holidays["*"] | holidays.get(m["region"], set()):
        bad("not on a holiday", f"{mid} {m['ref']} at {local}")
    for number, due, sidx, stage, pdf in m["cases"]:
        if stage in offsets:
            day = datetime.date.fromisoformat(due) + datetime.timedelta(days=offsets[stage])
            if local.date() < day:
                bad("no stage before its day", f"{number} {stage} on {local.date()} (day {day})")

for mid in got:
    if mid not in msgs:
        bad("nothing delivered that the store did not send", mid)

# Stage "" (index -1): an overdue invoice listed in a final notice at no
# stage of its own (docs/policy.md).
per_case = collections.Counter((c[0], c[3]) for m in msgs.values() for c in m["cases"] if c[3])
for k, n in per_case.items():
    if n > 1:
        bad("each stage at most once per case", f"{k} sent {n} times")
per_run = collections.Counter((m["ref"], m["sent_at"]) for m in msgs.values())
for k, n in per_run.items():
    if n > 1:
        bad("grouped: one message per debtor and run", f"{k}: {n}")
order = collections.defaultdict(list)
for m in msgs.values():
    for number, due, sidx, stage, pdf in m["cases"]:
        if sidx >= 0:
            order[number].append(sidx)
after_due = min(i for i, (name, off) in enumerate(sorted(offsets.items(), key=lambda x: x[1])) if off > 0)
for number, seq in order.items():
    if seq != sorted(seq):
        bad("stages go forward", f"{number}: {seq}")
    # After the due date each stage needs the one before it.
    for a, b in zip([-1] + seq, seq):
        if b > after_due and b != a + 1:
            bad("escalation earned, one stage at a time", f"{number}: {seq}")

checks = ["delivered once to each recipient", "nothing delivered that the store did not send",
          "PDFs byte-identical", "Chinese subjects decode", "Chinese file names decode",
          "inside the window, weekdays, debtor's zone", "not on a holiday",
          "no stage before its day", "each stage at most once per case",
          "grouped: one message per debtor and run", "stages go forward",
          "escalation earned, one stage at a time"]
print(f"# {len(msgs)} messages sent, {sum(len(v) for v in got.values())} delivered, "
      f"{len(per_case)} case stages, {len(set(m['ref'] for m in msgs.values()))} debtors")
for ref in sorted(set(m["ref"] for m in msgs.values())):
    line = [f"{datetime.datetime.fromtimestamp(m['sent_at'], ZoneInfo(m['tz'])):%m-%d %H:%M} {m['template']}"
            for m in msgs.values() if m["ref"] == ref]
    print(f"#   {ref}: " + "; ".join(line))
for c in checks:
    if problems[c]:
        print(f"FAIL {c}\t" + " | ".join(problems[c][:5]))
    else:
        print(f"OK {c}")
PY
grep '^#' "$WORK/check.txt"
while IFS= read -r line; do
    case $line in
        OK\ *) pass "${line#OK }" ;;
        FAIL\ *) name=${line#FAIL }; fail "${name%%$'\t'*}" "${name#*$'\t'}" ;;
        \#*) ;;
        *) fail "checker output" "$line" ;;
    esac
done <"$WORK/check.txt"
n=$(wc -l <"$WORK/sent.tsv")
[[ $n -gt 0 ]] && pass "reminders were sent ($n case stages)" || fail "reminders were sent"
[[ $(cat "$WORK/unsettled.txt") -eq 0 ]] && pass "no message left planned, failed or unknown" \
    || fail "no message left planned, failed or unknown ($(cat "$WORK/unsettled.txt"))"
finish
