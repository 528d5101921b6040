#!/usr/bin/env python3
"""Writes the parser's own fixtures (tests/data/mime/*.eml). Deterministic;
run from anywhere: python3 tests/data/mime/gen.py"""
import base64, os, quopri

HERE = os.path.dirname(os.path.abspath(__file__))
REMINDER_EN = """Dear Buyer Ltd,

According to our records, invoice INV-2026-0101 of 1 October 2026 is overdue.

Total outstanding: GBP 1,200.00

Please pay by 30 November 2026.

Acme Vendor Ltd AR"""
REMINDER_ZH = """尊敬的上海买方贸易有限公司：

根据我司记录，发票 INV-2026-0202 已逾期。

未付合计：CNY 8,000.00

Acme Vendor Ltd 应收账款部"""

def b64(data, width=76):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + width] for i in range(0, len(s), width))

def qp(data):
    return quopri.encodestring(data).decode().replace("\n", "\r\n")

def enc_word(text, cs):
    return "=?%s?B?%s?=" % (cs, base64.b64encode(text.encode(cs)).decode())

def head(subject, frm="Jane Buyer <jane@buyer.test>", extra="",
         date="Mon, 23 Nov 2026 09:15:00 +0000", msgid="reply.1@buyer.test"):
    return ("From: %s\r\nTo: Acme Vendor Ltd AR <ar@vendor.test>\r\n"
            "Subject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
            "In-Reply-To: <dun.20261120.abc123@vendor.test>\r\n"
            "References: <dun.20261101.zzz999@vendor.test>\r\n"
            " <dun.20261120.abc123@vendor.test>\r\n%sMIME-Version: 1.0\r\n"
            % (frm, subject, date, msgid, extra))

def quoted(text):
    return "\n".join("> " + l if l else ">" for l in text.split("\n"))

files = {}

# Gmail, plain + HTML alternative, QP.
plain = ("Hi,\n\nWe will pay INV-2026-0101 on Friday 27 November.\n\nThanks,\n"
         "Jane\n\nOn Fri, Nov 20, 2026 at 5:04 PM Acme Vendor Ltd AR <\n"
         "ar@vendor.test> wrote:\n\n" + quoted(REMINDER_EN) + "\n")
html = ('<div dir="ltr">Hi,<div><br></div><div>We will pay INV-2026-0101 on '
        'Friday 27 November.</div><div><br></div><div>Thanks,<br>Jane</div>'
        '</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        'On Fri, Nov 20, 2026 at 5:04 PM Acme Vendor Ltd AR &lt;<a href="mailto:'
        'ar@vendor.test">ar@vendor.test</a>&gt; wrote:<br></div><blockquote '
        'class="gmail_quote">' + REMINDER_EN.replace("\n", "<br>") +
        '</blockquote></div>\n')
files["gmail_alt_qp.eml"] = (head("Re: Payment reminder: invoice INV-2026-0101") +
    'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    "--b1\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
    qp(plain.encode()) + "\r\n--b1\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(html.encode()) +
    "\r\n--b1--\r\n").encode()

# Outlook, plain, From:/Sent: block after an underscore line.
plain = ("We dispute this invoice: the goods arrived damaged.\n\nRegards\n"
         "Tom\n\n________________________________\nFrom: Acme Vendor Ltd AR "
         "<ar@vendor.test>\nSent: Friday, November 20, 2026 5:04 PM\nTo: Tom "
         "<tom@buyer.test>\nSubject: Payment reminder: invoice INV-2026-0101\n\n"
         + REMINDER_EN + "\n")
files["outlook_plain.eml"] = (head("RE: Payment reminder: invoice INV-2026-0101",
    frm='"Okafor, Tom" <Tom.Okafor@Buyer.TEST>') +
    "Content-Type: text/plain; charset=us-ascii\r\n\r\n" +
    plain.replace("\n", "\r\n")).encode()

# Outlook HTML only (OWA): divRplyFwdMsg and what follows.
html = ('<html><head><style>p{margin:0}</style></head><body>'
        '<div style="font-family:Calibri">We paid this on 18 November, '
        'remittance ref 55512.</div><div><br></div><div>Kind regards,<br>'
        'Priya</div><hr style="display:inline-block;width:98%">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> '
        'Acme Vendor Ltd AR &lt;ar@vendor.test&gt;<br><b>Sent:</b> Friday, '
        'November 20, 2026 5:04 PM<br><b>Subject:</b> Payment reminder</font>'
        '<div>&nbsp;</div></div><div>' + REMINDER_EN.replace("\n", "<br>") +
        '</div><script>alert(1)</script></body></html>')
files["outlook_html_only.eml"] = (head("RE: Payment reminder") +
    "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64"
    "\r\n\r\n" + b64(html.encode()) + "\r\n").encode()

# QQ mail, GBK HTML, base64, 原始邮件 separator, encoded-word subject.
html = ('<div>您好，这笔款我们本周五安排支付。</div><div><br></div><div>张伟'
        '</div><div><br></div><div style="font-size: 12px;font-family: Arial '
        'Narrow;padding:2px 0 2px 0;">------------------&nbsp;原始邮件&nbsp;'
        '------------------</div><div style="font-size: 12px;background:'
        '#efefef;padding:8px;"><div><b>发件人:</b>&nbsp;"Acme Vendor Ltd AR"'
        '&lt;ar@vendor.test&gt;;</div><div><b>发送时间:</b>&nbsp;2026年11月20日'
        '(星期五) 下午5:04</div></div><div><br></div>' +
        REMINDER_ZH.replace("\n", "<br>") + '</div>')
files["qq_gbk_html.eml"] = (head(enc_word("回复：付款提醒：发票 INV-2026-0202", "gbk"),
    frm="=?gbk?B?%s?= <88023145@QQ.test>" % base64.b64encode("张伟".encode("gbk")).decode()) +
    "Content-Type: text/html; charset=\"gb2312\"\r\nContent-Transfer-Encoding: base64"
    "\r\n\r\n" + b64(html.encode("gbk")) + "\r\n").encode()

# Foxmail, GB18030 plain text with a character outside GBK, 8bit.
plain = ("您好，\n\n款项已安排，𠀀预计12月5日到账。\n\n孙建国\n\n"
         "------------------ Original ------------------\n"
         "From:  \"Acme Vendor Ltd AR\"<ar@vendor.test>;\nDate:  Fri, Nov 20, 2026 05:04 PM\n\n"
         + REMINDER_ZH + "\n")
# The Subject is raw GB18030 bytes, as some clients send it.
files["foxmail_gb18030.eml"] = (head("Re: 付款提醒", frm="孙建国 <sunjg@jinhua-textile.test>") +
    "Content-Type: text/plain; charset=GB18030\r\nContent-Transfer-Encoding: 8bit"
    "\r\n\r\n" + plain.replace("\n", "\r\n")).encode("gb18030")

# Outlook Taiwan, Big5, QP, 寄件者/主旨 with full-width colons.
plain = ("您好，款項將於下週三匯出。\n\n林美玲\n\n寄件者： Acme Vendor Ltd AR "
         "<ar@vendor.test>\n寄件日期： 2026年11月20日 下午 05:04\n收件者： 林美玲\n"
         "主旨： 付款提醒\n\n敬啟者：發票 INV-2026-0303 已逾期。\n")
files["outlook_tw_big5.eml"] = (head(enc_word("回覆: 付款提醒", "big5"),
    frm="=?big5?Q?=AAL=AC=FC=AC=C3?= <lin@buyer.tw.test>") +
    "Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: "
    "quoted-printable\r\n\r\n" + qp(plain.replace("\n", "\r\n").encode("big5")) +
    "\r\n").encode()

# RFC 2231 continued Chinese filename, and one in RFC 2047 form.
files["rfc2231_attach.eml"] = (head("Re: remittance") +
    'Content-Type: multipart/mixed; boundary="mx"\r\n\r\n--mx\r\n'
    "Content-Type: text/plain; charset=utf-8\r\n\r\nRemittance attached.\r\n--mx\r\n"
    "Content-Type: application/pdf;\r\n name*0*=UTF-8''%E4%BB%98%E6%AC%BE;\r\n"
    " name*1*=%E5%87%AD%E8%AF%81.pdf\r\nContent-Disposition: attachment;\r\n"
    " filename*0*=UTF-8''%E4%BB%98%E6%AC%BE;\r\n filename*1*=%E5%87%AD%E8%AF%81;\r\n"
    " filename*2=\".pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
    "--mx\r\nContent-Type: application/octet-stream; name=\"" +
    enc_word("发票.xlsx", "gb2312") + "\"\r\nContent-Disposition: attachment\r\n\r\nxx\r\n"
    "--mx--\r\n").encode()

# Postfix DSN (RFC 3464) with the returned headers.
files["dsn_postfix.eml"] = ("From: MAILER-DAEMON@mx.buyer.test (Mail Delivery System)\r\n"
    "To: ar@vendor.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    "Date: Mon, 23 Nov 2026 09:15:00 +0100 (CET)\r\nAuto-Submitted: auto-replied\r\n"
    "Message-ID: <20261123081500.AB12@mx.buyer.test>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"AB12.1700000000/mx.buyer.test\"\r\n\r\n"
    "--AB12.1700000000/mx.buyer.test\r\nContent-Description: Notification\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    "This is the mail system at host mx.buyer.test.\r\n\r\nI'm sorry to have to inform"
    " you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
    "<j.smith@buyer.test>: host mx.buyer.test said: 550 5.1.1 User unknown\r\n\r\n"
    "--AB12.1700000000/mx.buyer.test\r\nContent-Description: Delivery report\r\n"
    "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.buyer.test\r\n"
    "Arrival-Date: Mon, 23 Nov 2026 09:14:59 +0100 (CET)\r\n\r\n"
    "Final-Recipient: rfc822; J.Smith@buyer.test\r\nOriginal-Recipient: rfc822;j.smith@buyer.test\r\n"
    "Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
    "Final-Recipient: rfc822; ap@buyer.test\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
    "--AB12.1700000000/mx.buyer.test\r\nContent-Description: Undelivered Message Headers\r\n"
    "Content-Type: text/rfc822-headers\r\n\r\nFrom: Acme Vendor Ltd AR <ar@vendor.test>\r\n"
    "To: j.smith@buyer.test\r\nSubject: Payment reminder\r\n"
    "Message-ID: <dun.20261123.q1w2e3@vendor.test>\r\n\r\n"
    "--AB12.1700000000/mx.buyer.test--\r\n").encode()

# Exim plain-text bounce with the original inline.
files["exim_bounce.eml"] = ("From: Mail Delivery System <Mailer-Daemon@relay.buyer.test>\r\n"
    "To: ar@vendor.test\r\nSubject: Mail delivery failed: returning message to sender\r\n"
    "Date: Mon, 23 Nov 2026 09:15:00 +0000\r\nAuto-Submitted: auto-replied\r\n"
    "Message-Id: <E1abc-0001@relay.buyer.test>\r\n\r\n"
    "This message was created automatically by mail delivery software.\r\n\r\n"
    "A message that you sent could not be delivered to one or more of its\r\n"
    "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
    "  finance@tidewater.test\r\n    host mx.tidewater.test [198.51.100.7]\r\n"
    "    SMTP error from remote mail server after RCPT TO:<finance@tidewater.test>:\r\n"
    "    550 5.1.1 No such user\r\n\r\n------ This is a copy of the message, including all the headers. ------\r\n\r\n"
    "Return-path: <ar@vendor.test>\r\nMessage-ID: <dun.20261123.exim01@vendor.test>\r\n"
    "From: Acme Vendor Ltd AR <ar@vendor.test>\r\nTo: finance@tidewater.test\r\n"
    "Subject: Payment reminder\r\n\r\n" + REMINDER_EN.replace("\n", "\r\n") + "\r\n").encode()

# Exchange NDR: HTML + attached original as message/rfc822.
files["exchange_ndr.eml"] = ("From: Microsoft Outlook <postmaster@buyer.onmicrosoft.test>\r\n"
    "To: ar@vendor.test\r\nSubject: Undeliverable: Payment reminder\r\n"
    "Date: Mon, 23 Nov 2026 09:15:00 +0000\r\nMessage-ID: <ndr1@buyer.onmicrosoft.test>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"nd\"\r\n\r\n--nd\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    "Delivery has failed to these recipients or groups:\r\n\r\n"
    "ap.clerk@buyer.test (ap.clerk@buyer.test)\r\nThe email address you entered couldn't be found.\r\n\r\n"
    "Diagnostic information for administrators:\r\n\r\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\r\n\r\n"
    "--nd\r\nContent-Type: message/rfc822\r\n\r\nFrom: Acme Vendor Ltd AR <ar@vendor.test>\r\n"
    "To: ap.clerk@buyer.test\r\nSubject: Payment reminder\r\nMessage-ID: <dun.20261123.ex0001@vendor.test>\r\n"
    "\r\nDear Buyer Ltd,\r\n\r\n--nd--\r\n").encode()

# Out of office with headers, and without.
files["ooo_headers.eml"] = (head("Automatic reply: Payment reminder: invoice INV-2026-0101",
    extra="Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n",
    date="Fri, 20 Nov 2026 17:10:00 +0000") +
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Thank you for your email. I am out of the office until Monday 30 November\r\n"
    "with limited access to email. For urgent matters contact ap@buyer.test.\r\n").encode()
files["ooo_noheaders_zh.eml"] = (head("答复: 付款提醒", date="Fri, 20 Nov 2026 17:10:00 +0800") +
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
    b64("您好，我目前正在休假，我将于11月30日返回办公室，届时回复您的邮件。\n".encode())
    + "\r\n").encode()
# Only X-Auto-Response-Suppress: a person's reply, not automatic.
files["suppress_only.eml"] = (head("RE: Payment reminder",
    extra="X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\r\n") +
    "Content-Type: text/plain; charset=utf-8\r\n\r\nPaid today, thanks.\r\n").encode()

# Broken: truncated multipart, bad base64, unknown charset, NUL bytes.
files["broken.eml"] = (b"From: =?x-unknown?Q?=FF=FE?= <BAD@x.test>\r\nSubject: =?utf-8?B?broken!!?= "
    b"=?utf-8?Q?caf=C3=A9?=\r\nDate: 31 Feb 2026 25:00 +9999\r\n"
    b"Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n--q\r\n"
    b"Content-Type: text/plain; charset=x-mystery\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!!!wq3\xff\x00AAA=\r\n--q\r\nContent-Type: text/html\r\n\r\n<div><b>unterminated")

for name, data in sorted(files.items()):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
with open(os.path.join(HERE, "reminder_en.txt"), "w") as f:
    f.write(REMINDER_EN + "\n")
with open(os.path.join(HERE, "reminder_zh.txt"), "w") as f:
    f.write(REMINDER_ZH + "\n")
