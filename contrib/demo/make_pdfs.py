#!/usr/bin/env python3
"""Regenerate the demo invoice PDFs from invoices.csv.

Usage:  python3 contrib/demo/make_pdfs.py [--check]

Reads invoices.csv next to this script and writes one single-page PDF 1.4
invoice per row to the row's `pdf` path (relative to the CSV's directory).
Python 3 standard library only; the PDF objects are written by hand
(Helvetica / Helvetica-Bold, WinAnsiEncoding, one Flate-compressed content
stream, a classic xref table).

The output is deterministic: no clock, no random numbers. The document
dates come from the invoice's issue date and the file ID is a hash of the
content, so running the script twice gives byte-identical files.

With --check nothing is written; the script exits 1 if any PDF on disk
differs from what it would generate (or is missing).

The line items below must add up (plus VAT) to the `amount` column of
invoices.csv; the script refuses to write anything if they do not.
"""

import csv
import datetime
import hashlib
import os
import sys
import zlib
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
CSV_PATH = os.path.join(HERE, "invoices.csv")

VENDOR = {
    "name": "Acme Vendor Ltd",
    "address": [
        "Unit 4, Harbourside Business Park",
        "Bristol BS1 5TY",
        "United Kingdom",
    ],
    "contact": "ar@vendor.test  |  +44 117 496 0000",
    "vat": "VAT reg. no. GB 000 0000 00 (demo)",
    "footer": "Acme Vendor Ltd - registered in England and Wales, "
              "company no. 00000000 (demo data, not a real company)",
}

PAYMENT = [
    ("Bank", "Example Bank plc, 1 Corn Street, Bristol BS1 1HQ"),
    ("Account name", "Acme Vendor Ltd"),
    ("IBAN", "GB00 EXMP 0000 0000 0000 00 (multi-currency)"),
    ("BIC / SWIFT", "EXMPGB2B"),
    ("Reference", None),  # filled with the invoice number
]

# Bill-to blocks, in Latin script (the PDFs use the standard 14 fonts and
# carry no CJK font; the Chinese names are in invoices.csv).
DEBTORS = {
    "CUST-1001": ("Acme Corp", [
        "Accounts Payable",
        "350 Fifth Avenue, Suite 2100",
        "New York, NY 10118",
        "United States"]),
    "CUST-1002": ("Globex GmbH", [
        "Kreditorenbuchhaltung",
        "Industriestrasse 14",
        "10115 Berlin",
        "Germany",
        "VAT ID DE000000000 (demo)"]),
    "CUST-1003": ("Initech UK Ltd", [
        "Finance Department",
        "4 Kingsway",
        "London WC2B 6XF",
        "United Kingdom"]),
    "CUST-1004": ("Umbrella Pty", [
        "Accounts Payable",
        "88 George Street",
        "Sydney NSW 2000",
        "Australia"]),
    "CUST-2001": ("Shanghai Huaxin Trading Co., Ltd.", [
        "Finance Department",
        "1088 Pudong Avenue, Pudong New Area",
        "Shanghai 200120",
        "China"]),
    "CUST-2002": ("Shenzhen Longteng Electronics Co., Ltd.", [
        "Finance Department",
        "66 Keji Road, Nanshan District",
        "Shenzhen 518057",
        "China"]),
    "CUST-2003": ("Beijing Jinfeng Technology Co., Ltd.", [
        "Finance Department",
        "9 Zhongguancun Street, Haidian District",
        "Beijing 100080",
        "China"]),
    "CUST-2004": ("Taipei Yongxin Co., Ltd.", [
        "Accounting Department",
        "No. 100, Sec. 4, Zhongxiao E. Rd., Xinyi Dist.",
        "Taipei 110",
        "Taiwan"]),
}

# invoice number -> [(description, quantity, unit price)]
ITEMS = {
    "INV-2026-0142": [("Consulting services, October 2026 (hours)", 40, "95.00"),
                      ("Annual support licence, Nov 2026 - Oct 2027", 1, "1000.00")],
    "INV-2026-0144": [("Operator training course, per seat (12 Oct 2026)", 4, "200.00")],
    "INV-2026-0146": [("Industrial sensor module HX-20", 200, "180.00"),
                      ("Installation and calibration", 1, "6000.00")],
    "INV-2026-0150": [("Controller unit C-400", 8, "1300.00"),
                      ("On-site commissioning", 1, "2000.00")],
    "INV-2026-0155": [("Data logger DL-8", 12, "2500.00"),
                      ("Analysis software licence, 12 months", 1, "6000.00")],
    "INV-2026-0158": [("Power board PB-3", 500, "230.00"),
                      ("Tooling charge", 1, "11500.00")],
    "INV-2026-0163": [("Sensor kit SK-1", 15, "130.00")],
    "INV-2026-0166": [("Display module DM-7", 50, "3200.00"),
                      ("Freight and insurance", 1, "25000.00")],
    "INV-2026-0168": [("Replacement filter F-12", 10, "85.00"),
                      ("On-site service visit", 1, "400.00")],
    "INV-2026-0171": [("Pump assembly PA-9", 15, "1150.00"),
                      ("Freight to Sydney", 1, "1500.00")],
    "INV-2026-0173": [("Seal and gasket kit", 6, "95.00"),
                      ("Courier delivery", 1, "75.00")],
    "INV-2026-0174": [("Firmware development (hours)", 40, "130.00")],
    "INV-2026-0176": [("Display module DM-7", 20, "3200.00")],
    "INV-2026-0177": [("Spare parts kit C-400", 16, "230.00")],
    "INV-2026-0181": [("Connector harness CH-40", 100, "188.00"),
                      ("Functional testing", 1, "5000.00")],
    "INV-2026-0183": [("Test fixture adapter", 4, "1105.00"),
                      ("Express freight", 1, "1000.00")],
    "INV-2026-0186": [("Cable set CS-2", 7, "212.50"),
                      ("Annual calibration service", 1, "1488.00")],
    "INV-2026-0190": [("Mounting bracket MB-5", 40, "215.00")],
}

# Region of the customer -> (VAT rate, label printed on the invoice).
VAT = {
    "GB": (Decimal("0.20"), "VAT 20%"),
    "DE": (Decimal("0"), "VAT 0% - reverse charge"),
}
VAT_EXPORT = (Decimal("0"), "VAT 0% - export, zero-rated")

# Helvetica advance widths (1/1000 em) for ASCII 32..126, from the AFM.
# Helvetica-Bold differs for letters but not for digits, ',', '.', space.
HELV = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333,
    278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278,
    584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
    500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944,
    667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556,
    278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]


def long_date(iso):
    d = datetime.date.fromisoformat(iso)
    return "%d %s %d" % (d.day, MONTHS[d.month - 1], d.year)


def money(value):
    return "{:,.2f}".format(value)


def width(text, size):
    return sum(HELV[ord(c) - 32] for c in text) * size / 1000.0


def pdf_text(text):
    if any(ord(c) < 32 or ord(c) > 126 for c in text):
        raise ValueError("non-ASCII text in PDF: %r" % text)
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(") \
        .replace(")", "\\)") + ")"


class Page:
    def __init__(self):
        self.ops = []

    def text(self, x, y, s, size=10, bold=False):
        self.ops.append("BT /%s %g Tf %.2f %.2f Td %s Tj ET" % (
            "F2" if bold else "F1", size, x, y, pdf_text(s)))

    def rtext(self, x, y, s, size=10, bold=False):
        self.text(x - width(s, size), y, s, size, bold)

    def rule(self, x1, y, x2, w=0.5, gray=0.6):
        self.ops.append("%g G %g w %.2f %.2f m %.2f %.2f l S" % (
            gray, w, x1, y, x2, y))

    def box(self, x, y, w, h, gray):
        self.ops.append("%g g %.2f %.2f %.2f %.2f re f 0 g" % (
            gray, x, y, w, h))

    def stream(self):
        return ("\n".join(self.ops) + "\n").encode("latin-1")


def render(row):
    number = row["invoice_number"]
    currency = row["currency"]
    name, address = DEBTORS[row["debtor_ref"]]
    items = ITEMS[number]
    rate, vat_label = VAT.get(row["region"], VAT_EXPORT)

    subtotal = sum(Decimal(q) * Decimal(p) for _, q, p in items)
    vat = (subtotal * rate).quantize(Decimal("0.01"))
    total = subtotal + vat
    if total != Decimal(row["amount"]):
        raise SystemExit("%s: line items give %s, invoices.csv says %s"
                         % (number, total, row["amount"]))
    issue = datetime.date.fromisoformat(row["issue_date"])
    due = datetime.date.fromisoformat(row["due_date"])

    L, R = 50, 545
    pg = Page()

    # Header: vendor and title.
    pg.text(L, 784, VENDOR["name"], 20, True)
    y = 766
    for line in VENDOR["address"] + [VENDOR["contact"], VENDOR["vat"]]:
        pg.text(L, y, line, 9)
        y -= 12
    pg.rtext(R, 784, "INVOICE", 22, True)
    y = 760
    for label, value in [
            ("Invoice no.", number),
            ("Issue date", long_date(row["issue_date"])),
            ("Due date", long_date(row["due_date"])),
            ("Terms", "Net %d days" % (due - issue).days),
            ("Customer no.", row["debtor_ref"]),
            ("Currency", currency)]:
        pg.text(350, y, label, 9)
        pg.text(430, y, value, 9, label in ("Invoice no.", "Due date"))
        y -= 13
    pg.rule(L, 672, R)

    # Bill to.
    pg.text(L, 652, "BILL TO", 8, True)
    pg.text(L, 637, name, 11, True)
    y = 623
    for line in address:
        pg.text(L, y, line, 9)
        y -= 12
    for addr in row["email"].split(";"):
        pg.text(L, y, addr.strip(), 9)
        y -= 12

    # Line items.
    y = 540
    pg.box(L, y - 5, R - L, 18, 0.9)
    pg.text(L + 6, y, "Description", 9, True)
    pg.rtext(340, y, "Qty", 9, True)
    pg.text(440 - width("Unit price", 9), y, "Unit price", 9, True)
    pg.text(R - 6 - width("Amount", 9), y, "Amount", 9, True)
    y -= 22
    for desc, qty, price in items:
        line_total = Decimal(qty) * Decimal(price)
        pg.text(L + 6, y, desc, 10)
        pg.rtext(340, y, str(qty), 10)
        pg.rtext(440, y, money(Decimal(price)), 10)
        pg.rtext(R - 6, y, money(line_total), 10)
        y -= 18
    pg.rule(L, y + 8, R)

    # Totals.
    y -= 10
    pg.text(350, y, "Subtotal", 10)
    pg.rtext(R - 6, y, money(subtotal), 10)
    y -= 16
    pg.text(350, y, vat_label, 10)
    pg.rtext(R - 6, y, money(vat), 10)
    y -= 8
    pg.rule(350, y, R, 1, 0)
    y -= 16
    pg.text(350, y, "Total due (%s)" % currency, 11, True)
    pg.rtext(R - 6, y, money(total), 11, True)

    # Payment instructions.
    y -= 44
    pg.text(L, y, "PAYMENT INSTRUCTIONS", 8, True)
    y -= 15
    pg.text(L, y, "Please pay %s %s by %s by bank transfer to:" % (
        currency, money(total), long_date(row["due_date"])), 10)
    y -= 16
    for label, value in PAYMENT:
        pg.text(L, y, label, 9)
        pg.text(L + 85, y, value or ("%s (please always quote it)" % number),
                9, value is None)
        y -= 12
    y -= 10
    for line in [
            "Questions about this invoice? Reply to any of our emails or "
            "write to ar@vendor.test,",
            "quoting the invoice number. If you are in difficulty, talk to "
            "us: we can agree a payment plan."]:
        pg.text(L, y, line, 9)
        y -= 12

    # Footer.
    pg.rule(L, 58, R)
    pg.text(L, 44, VENDOR["footer"], 7.5)
    pg.rtext(R, 44, "Page 1 of 1", 7.5)

    info = {
        "Title": "Invoice %s" % number,
        "Author": VENDOR["name"],
        "Subject": "Invoice %s to %s" % (number, name),
        "Creator": "dunmail contrib/demo/make_pdfs.py",
        "Producer": "dunmail make_pdfs.py",
        "CreationDate": "D:%s090000Z" % issue.strftime("%Y%m%d"),
    }
    return build_pdf(pg.stream(), info)


def build_pdf(content, info):
    data = zlib.compress(content, 9)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >>"
        b" /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
        b" /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold"
        b" /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
        + data + b"\nendstream",
        ("<< " + " ".join("/%s %s" % (k, pdf_text(v))
                          for k, v in info.items()) + " >>").encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objs) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    fid = hashlib.sha256(bytes(out)).hexdigest()[:32].upper().encode()
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R"
            b" /ID [<%s> <%s>] >>\n" % (len(objs) + 1, len(objs), fid, fid))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def main():
    check = "--check" in sys.argv[1:]
    with open(CSV_PATH, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    outputs = [(os.path.join(HERE, r["pdf"]), render(r)) for r in rows]
    stale = 0
    for path, pdf in outputs:
        rel = os.path.relpath(path, HERE)
        if check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == pdf
            except FileNotFoundError:
                same = False
            if not same:
                print("stale: %s" % rel)
                stale += 1
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(pdf)
        print("wrote %s (%d bytes)" % (rel, len(pdf)))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
