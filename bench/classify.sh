#!/usr/bin/env bash
# Benchmark of `dunmail classify --json` against the Python baseline
# (bench/classify_baseline.py: the email package and re, the same rules).
#
#   bench/classify.sh            # 100,000 replies, Python on a 1-in-5 sample
#   N=20000 PY_EVERY=1 bench/classify.sh
#
# Builds 100,000 replies from tests/data/replies/*.eml, each one rewritten
# (Message-ID, Date, invoice numbers), into a temporary directory (about
# 0.8 GB, removed at the end; KEEP=1 keeps it), then runs both classifiers
# on one core over the same files and prints messages/s, MB/s, the ratio
# and dunmail's peak RSS (for N/10 and N files: memory must stay flat).
# Environment: DUNMAIL (binary; default: a Release build in build-bench),
# N (messages), PY_EVERY (Python classifies every k-th file of the same
# list; 1 = all of them), TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
PY_EVERY=${PY_EVERY:-5}
if [ -z "${DUNMAIL:-}" ]; then
	cmake -S "$here" -B "$here/build-bench" -DCMAKE_BUILD_TYPE=Release \
	    >/dev/null
	make -C "$here/build-bench" -j2 dunmail >/dev/null
	DUNMAIL=$here/build-bench/dunmail
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dunmail-bench.XXXXXX")
cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

echo "== building $N replies in $work"
python3 - "$here/tests/data/replies" "$work" "$N" <<'PY'
import os, random, re, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(f for f in os.listdir(src) if f.endswith(".eml"))
base = [open(os.path.join(src, f), "rb").read() for f in files]
rng = random.Random(20261119)
mid = re.compile(rb"^(Message-ID:\s*<)[^@>]+", re.M | re.I)
date = re.compile(rb"^(Date:\s*\w{3}, )(\d{1,2})( Nov 2026)", re.M)
inv = re.compile(rb"INV-2026-(\d{4})")
wd = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"]
lst = open(os.path.join(out, "files.txt"), "w")
for i in range(n):
    raw = base[i % len(base)]
    raw = mid.sub(lambda m: m.group(1) + b"bench%07d.%08x" % (i, rng.getrandbits(32)), raw, 1)
    shift = rng.randint(-1, 1)
    def d(m):
        day = min(28, max(2, int(m.group(2)) + shift))
        return b"Date: " + wd[(day - 2) % 7] + b", %d" % day + m.group(3)
    raw = date.sub(d, raw, 1)
    num = b"%04d" % rng.randint(1000, 9999)
    raw = inv.sub(lambda m: b"INV-2026-" + num, raw)
    sub = os.path.join(out, "%03d" % (i % 200))
    os.makedirs(sub, exist_ok=True)
    p = os.path.join(sub, "r%06d.eml" % i)
    open(p, "wb").write(raw)
    lst.write(p + "\n")
PY
list=$work/files.txt
bytes=$(xargs -a "$list" cat | wc -c)
head -n $((N / 10)) "$list" > "$work/tenth.txt"
awk -v k="$PY_EVERY" '(NR - 1) % k == 0' "$list" > "$work/py.txt"
py_n=$(wc -l < "$work/py.txt")
py_bytes=$(xargs -a "$work/py.txt" cat | wc -c)
cat "$list" > /dev/null   # warm the page cache for both

run() { # label, out, list, command...
	local label=$1 out=$2 lst=$3; shift 3
	"$TIME" -v -o "$work/$label.time" taskset -c 0 "$@" --files-from \
	    "$lst" > "$out" 2>/dev/null || true
}
echo "== dunmail classify ($N files, $((bytes / 1048576)) MB)"
run dunmail_tenth "$work/tenth.jsonl" "$work/tenth.txt" "$DUNMAIL" \
    classify --json --rules "$here/templates/rules"
run dunmail "$work/dunmail.jsonl" "$list" "$DUNMAIL" classify --json \
    --rules "$here/templates/rules"
echo "== python baseline ($py_n files, every ${PY_EVERY}th of the same list)"
run python "$work/python.jsonl" "$work/py.txt" python3 \
    "$here/bench/classify_baseline.py" --rules "$here/templates/rules"

python3 - "$work" "$N" "$bytes" "$py_n" "$py_bytes" <<'PY'
import json, re, sys
work, n, nbytes, pn, pbytes = sys.argv[1], *map(int, sys.argv[2:])
def t(label):
    s = open("%s/%s.time" % (work, label)).read()
    el = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", s)
    h, m, sec = el.groups()
    wall = int(h or 0) * 3600 + int(m) * 60 + float(sec)
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", s).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", s).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", s).group(1))
    return wall, user + sys_, rss
def lines(p):
    return sum(1 for _ in open(p))
dw, dc, drss = t("dunmail")
tw, tc, trss = t("dunmail_tenth")
pw, pc, prss = t("python")
assert lines(work + "/dunmail.jsonl") == n, "dunmail did not print one line per file"
d_rate, p_rate = n / dw, pn / pw
print("dunmail : %8.0f msgs/s %7.1f MB/s  (%d msgs in %.1f s wall, %.1f s cpu, one core)"
      % (d_rate, nbytes / dw / 1e6, n, dw, dc))
print("python  : %8.0f msgs/s %7.1f MB/s  (%d msgs in %.1f s wall, %.1f s cpu)"
      % (p_rate, pbytes / pw / 1e6, pn, pw, pc))
print("ratio   : %8.1fx (target >= 20x)" % (d_rate / p_rate))
print("dunmail peak RSS: %.1f MB for %d files, %.1f MB for %d files"
      % (trss / 1024, n // 10, drss / 1024, n))
print("python peak RSS : %.1f MB" % (prss / 1024))
# the two classifiers agree how often on the shared files?
d = {}
for l in open(work + "/dunmail.jsonl"):
    o = json.loads(l); d[o["file"]] = o["class"]
same = tot = 0
for l in open(work + "/python.jsonl"):
    o = json.loads(l); tot += 1; same += d.get(o["file"]) == o["class"]
print("same class from both: %.1f%% of %d files" % (100.0 * same / max(tot, 1), tot))
PY
