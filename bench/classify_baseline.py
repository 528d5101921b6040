#!/usr/bin/env python3
"""The comparison for bench/classify.sh: the same work as `dunmail classify
--json` in plain Python (the `email` package and `re`), one core.

It reads the same rules files (templates/rules/*.rules) and translates the
PCRE2 patterns to `re`, parses each message with `email`, picks the text
part (HTML reduced to text), strips quoted originals and signatures the
simple way, applies the masks, votes, decides with the same @directives,
extracts a promised date, an amount and the invoice numbers, and prints one
JSON object per file.

    classify_baseline.py --rules DIR (--files-from LIST | FILE...)
"""
import argparse
import datetime as dt
import email
import email.policy
import html
import json
import os
import re
import sys

CLASSES = ["promise_to_pay", "dispute", "hardship", "paid", "opt_out",
           "wrong_contact", "invoice_request", "auto_reply", "bounce",
           "unknown"]


class Rules:
    def __init__(self, d):
        self.rules = []  # (id, kind, cls, weight, on_subject, regex)
        self.min_score, self.margin, self.full = 2.0, 0.4, 6.0
        self.conflict, self.outranks = set(), set()
        for name in sorted(os.listdir(d)):
            if not name.endswith(".rules"):
                continue
            with open(os.path.join(d, name), encoding="utf-8") as f:
                for line in f:
                    self._line(line.strip())

    def _line(self, t):
        if not t or t.startswith("#"):
            return
        if t.startswith("@"):
            w = t[1:].split()
            if w[0] == "min_score":
                self.min_score = float(w[1])
            elif w[0] == "margin":
                self.margin = float(w[1])
            elif w[0] == "full_score":
                self.full = float(w[1])
            elif w[0] == "conflict":
                self.conflict |= {(w[1], w[2]), (w[2], w[1])}
            elif w[0] == "outranks":
                self.outranks.add((w[1], w[2]))
            return
        slash = t.index("/")
        head = t[:slash].split()
        last = t.rindex("/")
        pat, mods = t[slash + 1:last], t[last + 1:].strip()
        # PCRE2 without the u flag has ASCII \w \b \s \d, like re.ASCII
        flags = 0 if "u" in mods else re.ASCII
        for m in mods.replace("u", ""):
            flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[m]
        pat = pat.replace("(?<", "(?P<").replace("(?P<=", "(?<=") \
                 .replace("(?P<!", "(?<!")
        kind = head[1]
        self.rules.append((head[0], kind, kind, 0.0 if head[2] == "-"
                           else float(head[2]), len(head) > 3,
                           re.compile(pat, flags)))


QUOTE_START = re.compile(
    r"^(?:On .{0,200}wrote:|-+ ?Original Message ?-+|-+ ?原始邮件 ?-+|"
    r"-+ ?原始郵件 ?-+|-+ ?邮件原件 ?-+|From: .*|发件人[:：].*|寄件者[:：].*|"
    r"在 .{0,100}写道[:：]|.{0,80}于\d{4}年.{0,40}写道[:：]|"
    r"-- ?$|Sent from my .*|发自我的.*)", re.M)
TAGS = re.compile(r"<(script|style|head)\b.*?</\1>|<[^>]+>", re.S | re.I)


def best_text(msg):
    plain = htm = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_filename():
            continue
        try:
            body = part.get_content()
        except Exception:
            payload = part.get_payload(decode=True) or b""
            body = payload.decode("gb18030", "replace")
        if part.get_content_subtype() == "plain" and plain is None:
            plain = body
        elif part.get_content_subtype() == "html" and htm is None:
            htm = body
    if plain is None and htm is not None:
        htm = re.sub(r"<blockquote.*", "", htm, flags=re.S | re.I)
        htm = re.sub(r"<div[^>]*gmail_quote.*", "", htm, flags=re.S | re.I)
        htm = re.sub(r"(?i)<br\s*/?>|</(?:p|div|tr|li)>", "\n", htm)
        plain = html.unescape(TAGS.sub("", htm))
    return plain or ""


def own_words(text):
    text = text.replace("\r\n", "\n")
    m = QUOTE_START.search(text)
    if m:
        text = text[:m.start()]
    return "\n".join(l for l in text.split("\n")
                     if not l.lstrip().startswith(">"))


def detect(msg, text):
    ctype = msg.get_content_type()
    if ctype == "multipart/report" or "mailer-daemon" in \
            str(msg.get("From", "")).lower():
        return "bounce"
    for h in ("Auto-Submitted", "X-Autoreply", "X-Autorespond"):
        v = msg.get(h)
        if v and v.lower() != "no":
            return "auto_reply"
    if str(msg.get("Precedence", "")).lower() in ("auto_reply", "bulk",
                                                  "junk"):
        return "auto_reply"
    return None


WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5,
            "sun": 6}
MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
CNWD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
DATE_RE = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})|(?P<tom>tomorrow|明天)|"
    r"(?P<today>today|今天)|(?P<eom>end of (?:the |this )?month|月底)|"
    r"(?P<mod>this |next |下|本|这)?(?P<wd>(?:mon|tue|wed|thu|fri|sat|sun)"
    r"[a-z]*|(?:周|週|星期)[一二三四五六日天])|"
    r"(?P<dm>(?P<d1>\d{1,2})(?:st|nd|rd|th)? (?P<m1>[a-z]{3})[a-z]*)|"
    r"(?P<md>(?P<m2>[a-z]{3})[a-z]* (?P<d2>\d{1,2}))|"
    r"(?P<cn>(?P<m3>\d{1,2})月(?P<d3>\d{1,2})[日号])", re.I)


def find_date(text, ref):
    if ref is None:
        return None
    for m in DATE_RE.finditer(text):
        g = m.groupdict()
        try:
            if g["iso"]:
                d = dt.date(*map(int, g["iso"].split("-")))
            elif g["tom"]:
                d = ref + dt.timedelta(1)
            elif g["today"]:
                d = ref
            elif g["eom"]:
                d = (ref.replace(day=28) + dt.timedelta(4)).replace(day=1) \
                    - dt.timedelta(1)
            elif g["wd"]:
                w = g["wd"]
                wd = CNWD[w[-1]] if w[-1] in CNWD else \
                    WEEKDAYS[w[:3].lower()]
                if g["mod"] and g["mod"].strip() in ("next", "下"):
                    d = ref - dt.timedelta(ref.weekday()) + \
                        dt.timedelta(7 + wd)
                else:
                    d = ref + dt.timedelta((wd - ref.weekday() - 1) % 7 + 1)
            elif g["dm"] and g["m1"].lower() in MONTHS:
                d = dt.date(ref.year, MONTHS[g["m1"].lower()], int(g["d1"]))
            elif g["md"] and g["m2"].lower() in MONTHS:
                d = dt.date(ref.year, MONTHS[g["m2"].lower()], int(g["d2"]))
            elif g["cn"]:
                d = dt.date(ref.year, int(g["m3"]), int(g["d3"]))
            else:
                continue
        except ValueError:
            continue
        if d >= ref:
            return d.isoformat()
    return None


AMOUNT_RE = re.compile(
    r"(?P<sym>US\$|HK\$|NT\$|S\$|\$|£|€|¥|￥|USD|GBP|EUR|CNY|RMB|HKD|SGD|"
    r"AUD|TWD)\s?(?P<n>\d[\d,]*(?:\.\d\d)?)|(?P<n2>\d[\d,]*(?:\.\d+)?)"
    r"(?P<suf>万元|万|元)")
CUR = {"US$": "USD", "$": "USD", "HK$": "HKD", "NT$": "TWD", "S$": "SGD",
       "£": "GBP", "€": "EUR", "¥": "CNY", "￥": "CNY", "RMB": "CNY"}


def find_amount(text):
    m = AMOUNT_RE.search(text)
    if not m:
        return None, None
    if m.group("sym"):
        v = float(m.group("n").replace(",", ""))
        return "%.2f" % v, CUR.get(m.group("sym"), m.group("sym"))
    v = float(m.group("n2").replace(",", ""))
    if m.group("suf").startswith("万"):
        v *= 10000
    return "%.2f" % v, "CNY"


def classify(rules, path):
    out = {"file": path, "class": "unknown", "confidence": 0.0,
           "promised_date": None, "amount": None, "currency": None,
           "invoices": [], "rule": "", "evidence": "", "language": "en"}
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    text = own_words(best_text(msg))[:65536]
    subject = str(msg.get("Subject", ""))
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    out["language"] = "zh" if cjk and cjk * 4 >= latin else "en"
    kind = detect(msg, text)
    if kind:
        out.update({"class": kind, "confidence": 1.0,
                    "rule": "detect." + kind})
        return out
    masked = text
    for rid, k, cls, w, subj, rx in rules.rules:
        if k == "mask":
            masked = rx.sub(lambda m: " " * len(m.group(0)), masked)
    score, best = {}, {}
    for rid, k, cls, w, subj, rx in rules.rules:
        if k in ("mask", "invoice"):
            continue
        m = rx.search(subject if subj else masked)
        if not m:
            continue
        score[cls] = score.get(cls, 0) + w
        if w > 0 and (cls not in best or w > best[cls][0]):
            best[cls] = (w, rid, m.group(0))
    s = {c: v for c, v in score.items() if v > 0 and c in best}
    for a, b in rules.outranks:
        if s.get(a, 0) >= rules.min_score and b in s:
            s[b] = 0
    ranked = sorted(s.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] >= rules.min_score:
        c1, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0
        c2 = ranked[1][0] if len(ranked) > 1 else None
        if c2 and s2 >= rules.min_score and ((c1, c2) in rules.conflict and
                                             s1 - s2 < rules.margin * s1
                                             or s1 == s2):
            out["rule"] = "close_call"
        else:
            out["class"], out["rule"] = c1, best[c1][1]
            out["evidence"] = " ".join(best[c1][2].split())
            out["confidence"] = round(s1 / (s1 + s2) *
                                      min(1, s1 / rules.full), 3)
    invs = []
    for rid, k, cls, w, subj, rx in rules.rules:
        if k == "invoice":
            for m in rx.finditer(text):
                v = m.groupdict().get("invoice") or m.group(0)
                if v not in invs:
                    invs.append(v)
    out["invoices"] = invs
    if out["class"] in ("promise_to_pay", "hardship"):
        ref = None
        if msg.get("Date"):
            try:
                ref = msg["Date"].datetime.date()
            except Exception:
                ref = None
        out["promised_date"] = find_date(text, ref)
    if out["class"] in ("promise_to_pay", "hardship", "paid"):
        out["amount"], out["currency"] = find_amount(text)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", required=True)
    ap.add_argument("--files-from")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    rules = Rules(a.rules)
    files = list(a.files)
    if a.files_from:
        with open(a.files_from) as f:
            files += [l.rstrip("\n") for l in f if l.strip()]
    w = sys.stdout.write
    for path in files:
        try:
            o = classify(rules, path)
        except Exception as e:  # never stop, like dunmail
            o = {"file": path, "class": "unknown", "error": str(e)}
        w(json.dumps(o, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
