#!/usr/bin/env bash
# Every shipped template in every language, as the whole message dunmail
# sends (tests/unit/test_letters.c writes them), through SpamAssassin
# (`spamassassin -t -L`, local tests only: no network, no Bayes): each
# must score at most 1.0. And Python's email parser (policy default)
# must find no defect in any header.
#
#   LETTERS=build/tests/test_letters bash tests/spam.sh
# Exits 77 (skipped) without spamassassin (contrib/install-deps has it).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LETTERS:?LETTERS=path/to/test_letters}"
if ! command -v spamassassin >/dev/null 2>&1; then
	echo "spamassassin is not installed: skipped (apt-get install spamassassin)"
	exit 77
fi
limit=1.0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! DUNMAIL_SOURCE_DIR="$here/.." DUNMAIL_LETTERS_DIR=$dir "$LETTERS" >"$dir/out" 2>&1; then
	cat "$dir/out"
	echo "FAIL - rendering the letters"
	exit 1
fi
failed=0 n=0
for f in "$dir"/*.eml; do
	n=$((n + 1))
	name=$(basename "$f" .eml)
	report=$(spamassassin -t -L <"$f" 2>/dev/null)
	score=$(printf '%s\n' "$report" | sed -n 's/^X-Spam-Status: [A-Za-z]*, score=\([-0-9.]*\).*/\1/p' | head -n1)
	if [[ -z $score ]]; then
		echo "FAIL - $name: no score from spamassassin"
		failed=$((failed + 1))
		continue
	fi
	if awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s > l) }'; then
		echo "FAIL - $name: SpamAssassin score $score > $limit"
		printf '%s\n' "$report" | sed -n '/^Content analysis details/,/^$/p;/^ pts rule/,/^$/p' | sed 's/^/       /'
		failed=$((failed + 1))
	else
		echo "ok   - $name: SpamAssassin score $score"
	fi
	defects=$(python3 - "$f" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
out = []
for k, v in m.items():
    for d in getattr(v, 'defects', ()):
        out.append('%s: %s' % (k, d))
for part in m.walk():
    for d in part.defects:
        out.append('%s: %s' % (part.get_content_type(), d))
print('\n'.join(out))
PY
)
	if [[ -n $defects ]]; then
		echo "FAIL - $name: Python's email parser reports defects"
		printf '%s\n' "$defects" | sed 's/^/       /'
		failed=$((failed + 1))
	fi
done
echo "$((n * 2 - failed)) passed, $failed failed ($n messages)"
[[ $n -ge 20 && $failed -eq 0 ]]
