#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Sanity checks for tests/data/replies (run after make_corpus.py).

 * every .eml parses with the email package, uses CRLF only, has the
   required headers, and every text part decodes in its declared charset
   (gb2312 is allowed to need GBK: that is deliberate);
 * labels.tsv has exactly one well-formed row per .eml;
 * class x language counts;
 * promised dates: an independent little resolver re-derives each
   promise date from the debtor's own words (content_*.py) and the reply's
   Date header, and must agree with labels.tsv.
Exit status 1 on any failure.
"""
import collections
import datetime as dt
import email
import email.policy
import email.utils
import os
import re
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

CLASSES = 'promise_to_pay dispute hardship paid opt_out wrong_contact invoice_request auto_reply bounce unknown'.split()
ISO4217 = {'USD', 'GBP', 'EUR', 'CNY', 'HKD', 'SGD', 'AUD', 'TWD'}
errors = []


def err(msg):
    errors.append(msg)


# ------------------------------------------------------------------ files
files = sorted(f for f in os.listdir(OUT) if f.endswith('.eml'))
dates = {}
stats = collections.Counter()
for f in files:
    raw = open(os.path.join(OUT, f), 'rb').read()
    if re.search(rb'(?<!\r)\n', raw) or re.search(rb'\r(?!\n)', raw):
        err('%s: not pure CRLF' % f)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        if part.defects:
            err('%s: defects %r' % (f, part.defects))
    legacy = email.message_from_bytes(raw)   # compat32 parser must cope too
    if any(p.defects for p in legacy.walk()):
        err('%s: compat32 defects' % f)
    for h in ('From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'Content-Type'):
        if msg[h] is None:
            err('%s: missing %s' % (f, h))
    try:
        str(msg['Subject']); str(msg['From'])
    except Exception as e:  # noqa
        err('%s: header decode %s' % (f, e))
    d = email.utils.parsedate_to_datetime(msg['Date'])
    dates[f] = d
    if not (dt.date(2026, 11, 2) <= d.date() <= dt.date(2026, 11, 27)):
        err('%s: date %s out of range' % (f, d))
    for part in msg.walk():
        ct = part.get_content_type()
        stats['type ' + ct] += 1
        if part.get_content_maintype() != 'text':
            continue
        cs = (part.get_content_charset() or 'us-ascii').lower()
        cte = (part.get('Content-Transfer-Encoding') or '7bit').lower()
        stats['cs %s' % cs] += 1
        stats['cte %s' % cte] += 1
        payload = part.get_payload(decode=True)
        try:
            payload.decode(cs)
        except UnicodeDecodeError:
            if cs == 'gb2312':
                payload.decode('gbk')
                stats['gb2312 label on GBK-only bytes'] += 1
            else:
                err('%s: %s part does not decode as %s' % (f, ct, cs))
        if cte == '7bit' and not payload.isascii():
            err('%s: 7bit part with 8-bit data' % f)

# ------------------------------------------------------------------ labels
rows = {}
with open(os.path.join(OUT, 'labels.tsv'), encoding='utf-8') as fh:
    header = fh.readline().rstrip('\n')
    if header != 'file\tclass\tpromised_date\tamount\tcurrency\tlanguage\tinvoices\tnotes':
        err('bad labels header')
    for n, line in enumerate(fh, 2):
        cols = line.rstrip('\n').split('\t')
        if len(cols) != 8:
            err('labels line %d: %d columns' % (n, len(cols)))
            continue
        f, cls, pd, amt, cur, lang, inv, notes = cols
        if f in rows:
            err('duplicate row %s' % f)
        rows[f] = cols
        if cls not in CLASSES:
            err('%s: class %s' % (f, cls))
        if pd != '-' and not re.fullmatch(r'2026-1[12]-\d\d', pd):
            err('%s: promised_date %s' % (f, pd))
        if amt != '-' and not re.fullmatch(r'\d+\.\d\d', amt):
            err('%s: amount %s' % (f, amt))
        if cur != '-' and cur not in ISO4217:
            err('%s: currency %s' % (f, cur))
        if (amt == '-') != (cur == '-'):
            err('%s: amount/currency mismatch' % f)
        if lang not in ('en', 'zh') or not f.startswith(lang + '-'):
            err('%s: language %s' % (f, lang))
        if inv != '-' and not all(re.fullmatch(r'INV-2026-\d{4}', x) for x in inv.split(',')):
            err('%s: invoices %s' % (f, inv))
        if pd != '-' and cls not in ('promise_to_pay', 'hardship'):
            err('%s: promised_date on class %s' % (f, cls))
if set(rows) != set(files):
    err('labels/eml mismatch: %s' % sorted(set(rows) ^ set(files)))

# ------------------------------------------------------------------ invoices named in own text
import content_en, content_zh  # noqa: E402
import make_corpus  # noqa: E402
items = make_corpus.all_items()
names = []
cnt = collections.Counter()
for it in items:
    cnt[(it['lang'], it['cls'])] += 1
    names.append('%s-%s-%03d.eml' % (it['lang'], make_corpus.CLASS_SLUG[it['cls']], cnt[(it['lang'], it['cls'])]))
for it, f in zip(items, names):
    found = sorted(set(re.findall(r'INV-2026-\d{4}', it['body'])))
    lab = sorted(x for x in it['inv'].split(',') if x not in ('', '-'))
    if found != lab:
        err('%s: invoices in text %s != label %s' % (f, found, lab))

# ------------------------------------------------------------------ date resolver (independent of labels)
WD_EN = {'mon': 0, 'tue': 1, 'wed': 2, 'thu': 3, 'fri': 4, 'sat': 5, 'sun': 6}
WD_ZH = {'一': 0, '二': 1, '三': 2, '四': 3, '五': 4, '六': 5, '日': 6, '天': 6}
MONTHS = {m: i for i, m in enumerate('jan feb mar apr may jun jul aug sep oct nov dec'.split(), 1)}


def nxt(base, wd, strictly_after=True):
    k = (wd - base.weekday()) % 7
    if k == 0 and strictly_after:
        k = 7
    return base + dt.timedelta(days=k)


def next_dom(base, day):
    y, m = base.year, base.month
    if base.day > day:
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return dt.date(y, m, day)


def eom(base):
    return (dt.date(base.year, base.month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def resolve(text, base):
    t = text.lower()
    t = re.sub(r'\s+', ' ', t)
    if 'end of the month' in t or '月底' in t or 'last working day of the month' in t:
        return eom(base)
    # explicit ISO / Y年M月D日 / D/M/Y with day > 12
    m = re.search(r'(20\d\d)-(\d\d)-(\d\d)', t)
    if m:
        return dt.date(*map(int, m.groups()))
    m = re.search(r'(20\d\d)年(\d{1,2})月(\d{1,2})日', t)
    if m:
        return dt.date(*map(int, m.groups()))
    m = re.search(r'\b(\d{1,2})/(\d{1,2})(?:/(20\d\d))?\b', t)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 and b <= 12:
            return dt.date(int(m.group(3) or base.year), b, a)
        if a <= 12 and b <= 12 and a != b:
            return 'ambiguous'
    m = re.search(r'(\d{1,2})月(\d{1,2})[日号]', t)
    if m:
        return dt.date(base.year, int(m.group(1)), int(m.group(2)))
    m = re.search(r'\b(\d{1,2})(?:st|nd|rd|th)? (?:of )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*', t)
    if m:
        return dt.date(base.year, MONTHS[m.group(2)], int(m.group(1)))
    m = re.search(r'\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* (\d{1,2})\b', t)
    if m:
        return dt.date(base.year, MONTHS[m.group(1)], int(m.group(2)))
    m = re.search(r'每月(\d{1,2})[号日]', t)
    if m:
        d = int(m.group(1))
        c = next_dom(base, d)
        return c if c > base else next_dom(base + dt.timedelta(days=1), d)
    m = re.search(r'本月(\d{1,2})[号日]|(\d{1,2})号', t)
    if m:
        return next_dom(base, int(m.group(1) or m.group(2)))
    m = re.search(r'\bthe (\d{1,2})(?:st|nd|rd|th)\b', t)
    if m:
        return next_dom(base, int(m.group(1)))
    m = re.search(r'within (\d+) business days', t)
    if m:
        d, n = base, int(m.group(1))
        while n:
            d += dt.timedelta(days=1)
            if d.weekday() < 5:
                n -= 1
        return d
    m = re.search(r'within (\d+) days', t)
    if m:
        return base + dt.timedelta(days=int(m.group(1)))
    zh_num = {'两': 2, '二': 2, '三': 3, '五': 5, '七': 7}
    m = re.search(r'([两二三五七])天(?:内|后)', t)
    if m:
        return base + dt.timedelta(days=zh_num[m.group(1)])
    if 'end of the month' in t or '月底' in t or 'last working day of the month' in t:
        return eom(base)
    if 'end of this week' in t or '这周内' in t:
        return nxt(base, 4, False)
    m = re.search(r'(下[周週]|下个?礼拜)([一二三四五六日天])', t)
    if m:
        monday_next = base - dt.timedelta(days=base.weekday()) + dt.timedelta(days=7)
        return monday_next + dt.timedelta(days=WD_ZH[m.group(2)])
    m = re.search(r'(本[周週]|这[周週]|(?<!上)周)([一二三四五六日天])', t)
    if m:
        return nxt(base, WD_ZH[m.group(2)], False)
    if '后天' in t:
        return base + dt.timedelta(days=2)
    if 'tomorrow' in t or 'tommorow' in t or '明天' in t:
        return base + dt.timedelta(days=1)
    if 'today' in t or '今天' in t:
        return base
    m = re.search(r'\b(mon|tue|wed|thu|fri|sat|sun)(?:day|s|rs|urs|nesday|sday|rsday|urday|\.)?\b', t)
    if m:
        return nxt(base, WD_EN[m.group(1)])
    return None


review = []
for it, f in zip(items, names):
    if it['cls'] not in ('promise_to_pay', 'hardship'):
        continue
    label = rows.get(f, [None] * 3)[2]
    base = dates[f].date()
    text = it['body']
    if 'deadline in your email' in text:
        got = dt.date(2026, 11, 30)   # from the quoted reminder
    else:
        got = resolve(text, base)
    if got == 'ambiguous':
        if label != '-' or 'ambiguous' not in it['notes']:
            err('%s: ambiguous date should be "-" with note' % f)
        continue
    if got is None:
        if label != '-':
            review.append('%s: resolver found no date, label %s :: %s' % (f, label, text.replace('\n', ' ')[:90]))
        continue
    if label == '-':
        review.append('%s: resolver says %s, label "-" (%s) :: %s' % (f, got, it['notes'], text.replace('\n', ' ')[:80]))
        continue
    if str(got) != label:
        err('%s: resolver %s != label %s (reply %s %s) :: %s' % (f, got, label, base, base.strftime('%a'), text.replace('\n', ' ')[:90]))
    elif dt.date.fromisoformat(label) < base:
        err('%s: promised date before reply' % f)

# ------------------------------------------------------------------ report
table = collections.Counter((r[1], r[5]) for r in rows.values())
print('%-16s %5s %5s %6s' % ('class', 'en', 'zh', 'total'))
for c in CLASSES:
    print('%-16s %5d %5d %6d' % (c, table[(c, 'en')], table[(c, 'zh')], table[(c, 'en')] + table[(c, 'zh')]))
print('%-16s %5d %5d %6d' % ('all', sum(v for (c, l), v in table.items() if l == 'en'),
                               sum(v for (c, l), v in table.items() if l == 'zh'), len(rows)))
size = sum(os.path.getsize(os.path.join(OUT, f)) for f in files)
print('files: %d, total size %.2f MB' % (len(files), size / 1e6))
if '-v' in sys.argv:
    for k in sorted(stats):
        print('  %-40s %d' % (k, stats[k]))
for r in review:
    print('REVIEW', r)
for e in errors:
    print('ERROR', e)
print('OK' if not errors else '%d errors' % len(errors))
sys.exit(1 if errors else 0)
