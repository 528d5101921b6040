# -*- coding: utf-8 -*-
"""Hand-written non-delivery reports (bounces) for the dunmail corpus.

Each item names an MTA template; build() renders the bounce of one
dunmail reminder (the original's Message-ID is always returned somewhere:
text/rfc822-headers, message/rfc822, or the quoted copy in the text).
"""
import datetime as dt
import html
import random
from email.utils import format_datetime

import mimeutil as M
from items import make_adder

ITEMS = []
_add_en = make_adder(ITEMS, 'en')
_add_zh = make_adder(ITEMS, 'zh')


def B(lang, d, tpl, rcpt, notes, **kw):
    (_add_en if lang == 'en' else _add_zh)('bounce', d, '', notes=notes, tpl=tpl, rcpt=rcpt, **kw)


# ---- English / international MTAs
B('en', 10, 'postfix', 'j.smith@oldbuyer.test', 'Postfix DSN multipart/report; 5.1.1 user unknown; original headers in text/rfc822-headers', status='5.1.1', diag='550 5.1.1 <j.smith@oldbuyer.test>: Recipient address rejected: User unknown in virtual mailbox table')
B('en', 17, 'postfix_delayed', 'accounts@slowmail-buyer.test', 'soft bounce: Postfix "Delayed Mail (still being retried)", Action: delayed, 4.4.1', status='4.4.1', diag='connect to mx.slowmail-buyer.test[203.0.113.77]:25: Connection timed out')
B('en', 5, 'postfix_full', 'mark.evans@buyer.test', 'Postfix DSN; 5.2.2 mailbox full; full original as message/rfc822', status='5.2.2', diag='552 5.2.2 <mark.evans@buyer.test>: Mailbox full - quota exceeded')
B('en', 19, 'exim', 'finance@tidewater-marine.test', 'Exim plain-text bounce; 550 no such user; copy of message included', diag='550 5.1.1 <finance@tidewater-marine.test>... No such user here')
B('en', 24, 'exim_delay', 'ap@coastal-freight.test', 'soft bounce: Exim delay warning (still trying), 4.x', diag='retry timeout exceeded for host mx1.coastal-freight.test [198.51.100.23]: 451 4.3.0 Temporary lookup failure')
B('en', 12, 'exchange', 'l.harper@buyer.test', 'Exchange on-premises NDR (multipart/report, html + delivery-status + message/rfc822); 5.1.1 RESOLVER.ADR.RecipNotFound', status='5.1.1', diag='#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##')
B('en', 3, 'o365', 'purchasing@northgate-retail.test', 'Office 365 NDR "Undeliverable:"; 5.1.10 RecipientNotFound; text/rfc822-headers', status='5.1.10', diag='Remote Server returned \'550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\'')
B('en', 26, 'o365', 'billing@pinecrest-dental.test', 'Office 365 NDR; 5.4.1 access denied (recipient rejected)', status='5.4.1', diag='Remote Server returned \'550 5.4.1 Recipient address rejected: Access denied. AS(201806281)\'')
B('en', 9, 'gmail', 'tony.mills.builds@gmail-like.test', 'Gmail "Delivery Status Notification (Failure)"; address not found; message/rfc822', status='5.1.1', diag='smtp; 550-5.1.1 The email account that you tried to reach does not exist.')
B('en', 16, 'qmail', 'office@hendry-farms.test', 'qmail "failure notice"; permanent error; copy below the line', diag="Sorry, no mailbox here by that name. (#5.1.1)")
B('en', 20, 'sendmail', 'ar-contact@bluewater-hotels.test', 'Sendmail "Returned mail: see transcript for details"; User unknown', status='5.1.1', diag='550 5.1.1 <ar-contact@bluewater-hotels.test>... User unknown')
B('en', 4, 'domino', 'kwalsh@grantham-eng.test', 'Lotus Domino "DELIVERY FAILURE"; not listed in Domino Directory')
B('en', 23, 'postfix_nodomain', 'ap@closedbuyer.test', 'Postfix DSN from our own MTA; 5.4.4 host or domain name not found', status='5.4.4', diag='Host or domain name not found. Name service error for name=closedbuyer.test type=A: Host not found')
B('en', 13, 'mimecast', 'payables@harbor-point.test', 'gateway rejection (Mimecast-style) plain text; 550 rejected by policy', diag='550 Rejected by header based Anti-Spoofing policy')
B('en', 27, 'yahoo', 'sue.bennett1961@yahoo-like.test', 'Yahoo-style plain failure notice; permanent; no such account', diag="554 delivery error: dd This user doesn't have an account (sue.bennett1961@yahoo-like.test) [-5] - mta1042.mail.yahoo-like.test")

# ---- Chinese MTAs
B('zh', 11, 'qq', '10086012@qq.test', 'QQ mail 退信 (HTML, GB18030 base64); 收件人不存在', diag='550 Mailbox not found or access denied')
B('zh', 18, 'netease163', 'wangfang_cw@163.test', '163 系统退信 (GBK base64 plain); 用户不存在', diag='550 User not found: wangfang_cw@163.test')
B('zh', 6, 'netease126_full', 'lixiaohong@126.test', '126 系统退信; 收件人邮箱空间已满 (5.2.2)', diag='552 Requested mail action aborted: exceeded mailsize limit / mailbox full')
B('zh', 25, 'exmail', 'caiwu@dongfang-steel.test', '腾讯企业邮箱 退信 (UTF-8 base64 HTML); 对方服务器拒收', diag='550 Connection frequency limited / 收件方服务器拒收')
B('zh', 2, 'aliyun', 'chenli@yuanda-pack.test', '阿里企业邮箱 系统退信 (multipart/report with delivery-status); 5.1.1', status='5.1.1', diag='550 5.1.1 recipient address not found')
B('zh', 16, 'coremail', 'zhanghua@xinyuan-elec.test', 'Coremail 退信 multipart/report (GB2312 text + message/delivery-status + text/rfc822-headers)', status='5.0.0', diag='550 Invalid User')
B('zh', 20, 'sina', 'liuqiang2008@sina.test', '新浪邮箱 退信通知 (GBK QP); 账户已停用', diag='550 5.7.1 Account disabled')
B('zh', 9, 'exchange_zh', 'huangmin@huanyu-trade.test', 'Exchange 简体中文 NDR "无法送达:" (multipart/report); 5.1.1', status='5.1.1', diag='#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##')
B('zh', 24, 'exchange_tw', 'acct@formosa-tools.test', 'Exchange 繁體中文 NDR "無法傳遞:" (Big5); 5.1.10', status='5.1.10', diag="Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'", trad=True)
B('zh', 13, 'netease_delay', 'buyer_ap@yeah.test', 'soft bounce: 网易 延迟投递通知 (4.x, still retrying)', diag='421 4.4.2 Timeout, connection closed; will retry')
B('zh', 4, 'sohu', 'zhouyun@sohu.test', '搜狐 退信 (GBK base64, plain); 收件人不存在', diag='550 #5.1.0 Address rejected zhouyun@sohu.test')


# ------------------------------------------------------------------ rendering
def _rid(rng, n, alpha='ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'):
    return ''.join(rng.choice(alpha) for _ in range(n))


def _original(rng, item, rcpt, rem_time):
    """The dunmail reminder that bounced: (header lines, body text, subject, msgid)."""
    import make_corpus as MC
    lang = item['lang']
    rem_lang = 'en' if (lang == 'en' or item['opts'].get('trad')) else 'zh'
    inv = 'INV-2026-%04d' % rng.randint(101, 980)
    debtor = dict(org='', name='Customer' if rem_lang == 'en' else '客户')
    cur = {'en': rng.choice(['GBP', 'USD', 'EUR']), 'zh': 'CNY'}[rem_lang]
    rem = MC.make_reminder(rng, rem_lang, inv, round(rng.uniform(500, 40000), 2), cur, rem_time, debtor, rng.choice([0, 1, 2]))
    hdrs = ['Return-Path: <ar@vendor.test>',
            'Received: from dunmail.vendor.test (dunmail.vendor.test [192.0.2.10])\n\tby mx1.vendor.test (Postfix) with ESMTP id %s\n\tfor <%s>; %s (UTC)' % (_rid(rng, 11), rcpt, format_datetime(rem_time)),
            'From: Acme Vendor Ltd AR <ar@vendor.test>',
            'To: <%s>' % rcpt,
            M.hdr_text('Subject', rem['subject'], 'utf-8', 'B'),
            'Date: %s' % format_datetime(rem_time),
            'Message-ID: %s' % rem['msgid'],
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=utf-8',
            'Content-Transfer-Encoding: %s' % ('quoted-printable' if rem_lang == 'en' else 'base64')]
    text = '\n'.join(rem['lines']) + '\n'
    body = M.cte_encode(text.encode('utf-8'), 'quoted-printable' if rem_lang == 'en' else 'base64')
    return hdrs, body, rem['subject'], rem['msgid'], text


def _hdr_part(hdrs):
    return M.Part(['Content-Type: text/rfc822-headers', 'Content-Description: Undelivered Message Headers'], ('\n'.join(hdrs) + '\n').encode('utf-8'))


def _rfc822_part(hdrs, body, desc='Undelivered Message'):
    return M.Part(['Content-Type: message/rfc822', 'Content-Description: %s' % desc],
                  ('\n'.join(hdrs) + '\n\n').encode('utf-8') + body)


def _dsn(reporting, rcpt, action, status, diag, arrival, last=None, extra=''):
    lines = ['Reporting-MTA: dns; %s' % reporting, 'X-Postfix-Queue-ID: %s' % extra if extra else None,
             'Arrival-Date: %s' % format_datetime(arrival), '',
             'Final-Recipient: rfc822; %s' % rcpt, 'Original-Recipient: rfc822;%s' % rcpt,
             'Action: %s' % action, 'Status: %s' % status,
             'Remote-MTA: dns; mx.%s' % rcpt.split('@')[1], 'Diagnostic-Code: smtp; %s' % diag]
    if last:
        lines.append('Will-Retry-Until: %s' % format_datetime(last))
    return M.Part(['Content-Type: message/delivery-status', 'Content-Description: Delivery report'],
                  ('\n'.join(l for l in lines if l is not None) + '\n').encode('ascii'))


def build(item, name):
    o = item['opts']
    rng = random.Random('dunmail/' + name)
    rcpt = o['rcpt']
    tpl = o['tpl']
    utc = dt.timezone.utc
    rem_time = dt.datetime(2026, 11, item['d'], rng.randint(8, 10), rng.randint(0, 59), rng.randint(0, 59), tzinfo=utc)
    delay = dt.timedelta(hours=4 if tpl in ('postfix_delayed', 'netease_delay') else 24) if tpl in ('postfix_delayed', 'exim_delay', 'netease_delay') else dt.timedelta(seconds=rng.randint(2, 90))
    bdate = rem_time + delay
    ohdrs, obody, osubj, omsgid, otext = _original(rng, item, rcpt, rem_time)
    qid = _rid(rng, 10)
    rdom = rcpt.split('@')[1]
    status = o.get('status', '5.0.0')
    diag = o.get('diag', '')
    mid = '<%s@%s>' % (_rid(rng, 14), 'mx1.vendor.test')
    top = []
    meta = dict(client=tpl, fmt='report', charset='', cte='', quote='original-returned', hdr_cs='')

    def std_top(frm, subj, date, msgid=None, to='Acme Vendor Ltd AR <ar@vendor.test>', extra=(), tzs='+0000', subj_cs=None, subj_mode='B'):
        d = date.astimezone(_tz(tzs))
        h = ['Return-Path: <>',
             'Received: by mx1.vendor.test (Postfix)\n\tid %s; %s (UTC)' % (qid, format_datetime(date.astimezone(utc))),
             'From: ' + frm,
             M.hdr_text('Subject', subj, subj_cs, subj_mode),
             'Date: ' + format_datetime(d),
             'Message-ID: ' + (msgid or mid),
             'To: ' + to]
        h += list(extra)
        h.append('MIME-Version: 1.0')
        return h

    if tpl in ('postfix', 'postfix_delayed', 'postfix_full', 'postfix_nodomain'):
        delayed = tpl == 'postfix_delayed'
        host = 'mx1.vendor.test' if tpl in ('postfix_nodomain', 'postfix_delayed') else 'mail.%s' % rdom
        if delayed:
            subj = 'Delayed Mail (still being retried)'
            txt = ('This is the mail system at host %s.\n\n####################################################################\n'
                   '# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n'
                   '####################################################################\n\n'
                   'Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n'
                   'For further assistance, please send mail to postmaster.\n\n'
                   'If you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n'
                   '                   The mail system\n\n<%s>: %s\n' % (host, rcpt, diag))
            action = 'delayed'
        else:
            subj = 'Undelivered Mail Returned to Sender'
            txt = ('This is the mail system at host %s.\n\n'
                   "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n"
                   'For further assistance, please send mail to postmaster.\n\n'
                   'If you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n'
                   '                   The mail system\n\n<%s>: host %s said: %s (in reply to RCPT TO command)\n' % (host, rcpt, 'mx.' + rdom, diag)
                   if tpl != 'postfix_nodomain' else
                   'This is the mail system at host %s.\n\n'
                   "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n"
                   'For further assistance, please send mail to postmaster.\n\n                   The mail system\n\n<%s>: %s\n' % (host, rcpt, diag))
            action = 'failed'
        frm = 'MAILER-DAEMON@%s (Mail Delivery System)' % host
        parts = [M.Part(['Content-Description: Notification', 'Content-Type: text/plain; charset=us-ascii'], txt.encode()),
                 _dsn(host, rcpt, action, status, diag if tpl != 'postfix_nodomain' else diag, rem_time, bdate + dt.timedelta(days=5) if delayed else None, qid)]
        parts.append(_rfc822_part(ohdrs, obody) if tpl == 'postfix_full' else _hdr_part(ohdrs))
        bnd = '%s.%d/%s' % (qid, int(bdate.timestamp()), host)
        root = M.multipart('report', parts, bnd, params=' report-type=delivery-status;', preamble='This is a MIME-encapsulated message.')
        top = std_top(frm, subj, bdate, extra=['Auto-Submitted: auto-replied'] if rng.random() < 0.5 else [])
    elif tpl in ('exim', 'exim_delay', 'mimecast', 'yahoo', 'qmail', 'domino'):
        olines = '\n'.join(ohdrs) + '\n\n' + otext
        if tpl == 'exim':
            subj = 'Mail delivery failed: returning message to sender'
            frm = 'Mail Delivery System <Mailer-Daemon@mail.%s>' % rdom
            txt = ('This message was created automatically by mail delivery software.\n\n'
                   'A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n'
                   '  %s\n    host mx.%s [203.0.113.%d]\n    SMTP error from remote mail server after RCPT TO:<%s>:\n    %s\n\n'
                   '------ This is a copy of the message, including all the headers. ------\n\n%s' % (rcpt, rdom, rng.randint(2, 250), rcpt, diag, olines))
            extra = ['X-Failed-Recipients: %s' % rcpt, 'Auto-Submitted: auto-replied']
        elif tpl == 'exim_delay':
            eid = '%s-%s-%s' % (_rid(rng, 6, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), _rid(rng, 6, '0123456789ABCDEF'), _rid(rng, 2))
            subj = 'Warning: message %s delayed 24 hours' % eid
            frm = 'Mail Delivery System <Mailer-Daemon@relay.vendor.test>'
            txt = ('This message was created automatically by mail delivery software.\n'
                   'A message that you sent has not yet been delivered to one or more of its\n'
                   'recipients after more than 24 hours on the queue on relay.vendor.test.\n\n'
                   'The message identifier is:     %s\nThe subject of the message is: %s\nThe date of the message is:    %s\n\n'
                   'The address to which the message has not yet been delivered is:\n\n  %s\n    Delay reason: %s\n\n'
                   'No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\n'
                   'remains undelivered. Eventually the mail delivery software will give up,\nand when that happens, the message will be returned to you.\n'
                   % (eid, osubj, format_datetime(rem_time), rcpt, diag))
            extra = ['X-Failed-Recipients: %s' % rcpt, 'Auto-Submitted: auto-replied']
        elif tpl == 'mimecast':
            subj = 'Mail Delivery Failure'
            frm = 'Postmaster <postmaster@%s>' % rdom
            txt = ('Your message couldn\'t be delivered to the recipients shown below.\n\n'
                   'Recipient: %s\nReason: %s\n\nThe message was rejected by the recipient organisation\'s email security gateway.\n'
                   'Please contact the recipient by other means if the message is important.\n\n'
                   '------------------------------------------------------------\nOriginal message headers:\n\n%s\n' % (rcpt, diag, '\n'.join(ohdrs)))
            extra = ['Auto-Submitted: auto-generated']
        elif tpl == 'yahoo':
            subj = 'Failure Notice'
            frm = 'MAILER-DAEMON@yahoo-like.test'
            txt = ('Sorry, we were unable to deliver your message to the following address.\n\n<%s>:\n%s\n\n'
                   '--- Below this line is a copy of the message.\n\n%s' % (rcpt, diag, olines))
            extra = []
        elif tpl == 'qmail':
            subj = 'failure notice'
            frm = 'MAILER-DAEMON@mail.%s' % rdom
            txt = ('Hi. This is the qmail-send program at mail.%s.\n'
                   "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                   "This is a permanent error; I've given up. Sorry it didn't work out.\n\n<%s>:\n%s\n\n"
                   '--- Below this line is a copy of the message.\n\n%s' % (rdom, rcpt, diag, olines))
            extra = []
        else:  # domino
            subj = 'DELIVERY FAILURE: User Kevin Walsh (kwalsh@grantham-eng.test) not listed in Domino Directory'
            frm = 'Postmaster@grantham-eng.test'
            txt = ('Your message\n\n  Subject: %s\n\nwas not delivered to:\n\n  kwalsh@grantham-eng.test\n\n'
                   'because:\n\n  User Kevin Walsh (kwalsh@grantham-eng.test) not listed in Domino Directory\n' % osubj)
            extra = ['X-Mailer: Lotus Domino Release 9.0.1FP10']
            root = M.multipart('mixed', [M.text_part('plain', txt, 'us-ascii', '7bit'), _rfc822_part(ohdrs, obody, 'Original message')], '=_mixed %s_=' % _rid(rng, 16, '0123456789ABCDEF'))
        if tpl != 'domino':
            cs = 'utf-8' if not txt.isascii() else 'us-ascii'
            root = M.text_part('plain', txt, cs, '8bit' if cs == 'utf-8' else '7bit')
        top = std_top(frm, subj, bdate, extra=extra)
        meta['fmt'] = 'plain' if tpl != 'domino' else 'mixed'
    elif tpl in ('exchange', 'o365', 'exchange_zh', 'exchange_tw'):
        zh = tpl == 'exchange_zh'
        tw = tpl == 'exchange_tw'
        if zh:
            subj = '无法送达: ' + osubj
            head = '传递到这些收件人或组失败：'
            reason = '找不到你尝试联系的电子邮件地址。请检查收件人的电子邮件地址，然后尝试重新发送邮件。如果问题仍然存在，请联系你的支持人员。'
            diaglbl = '面向管理员的诊断信息：'
            cs, cte = 'gb2312', 'base64'
        elif tw:
            subj = '無法傳遞: ' + osubj
            head = '傳遞給下列收件者或群組失敗：'
            reason = '找不到您嘗試連絡的電子郵件地址。請檢查收件者的電子郵件地址，然後再次嘗試傳送郵件。若問題仍然存在，請連絡您的技術支援人員。'
            diaglbl = '系統管理員的診斷資訊：'
            cs, cte = 'big5', 'quoted-printable'
        else:
            subj = 'Undeliverable: ' + osubj
            if tpl == 'o365':
                head = "Your message to %s couldn't be delivered." % rcpt
                reason = ("%s wasn't found at %s.\n\nAction Required: Recipient\nUnknown To address\n\nHow to Fix It\n"
                          "The address may be misspelled or may not exist. Try one or more of the following: Retype the recipient's address, "
                          'then resend the message. If you continue to experience the problem, contact your email admin.' % (rcpt.split('@')[0], rdom))
                if status == '5.4.1':
                    reason = ("Your message couldn't be delivered. The recipient's email provider rejected it.\n\n"
                              "Action Required: Recipient\nAccess denied\n\nHow to Fix It\nContact the recipient by some other means (by phone, for example) "
                              'and ask them to tell their email admin that it appears that their email system is rejecting your message.')
            else:
                head = 'Delivery has failed to these recipients or groups:'
                reason = ("The e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message. "
                          "If the problem continues, please contact your helpdesk.")
            diaglbl = 'Diagnostic information for administrators:'
            cs, cte = 'us-ascii', 'quoted-printable'
        gen = 'mail.%s' % rdom if tpl != 'o365' else 'AM%dPR%02dMB%04d.eurprd0%d.prod.outlook.test' % (rng.randint(1, 9), rng.randint(1, 9), rng.randint(1000, 9999), rng.randint(1, 9))
        txt = ('%s\n\n%s (%s)\n%s\n\n\n\n\n\n%s\n\nGenerating server: %s\n\n%s\n%s\n\nOriginal message headers:\n\n%s\n'
               % (head, rcpt, rcpt, reason, diaglbl, gen, rcpt, diag, '\n'.join(ohdrs)))
        htm = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=%s">\n</head>\n<body>\n'
               '<p><b><font color="#000066" size="3" face="Arial">%s</font></b></p>\n<font color="#000000" size="2" face="Tahoma">'
               '<p><a href="mailto:%s">%s</a><br>\n</font><font color="#000000" size="2" face="Tahoma">%s</font></p>\n'
               '<font color="#808080" size="2" face="Tahoma"><p><b>%s</b></p><p>Generating server: %s</p><p>%s<br>%s</p></font>\n</body>\n</html>\n'
               % (cs, html.escape(head), rcpt, rcpt, reason.replace('\n', '<br>\n'), diaglbl, gen, rcpt, diag.replace("'", '&#39;')))
        alt = M.multipart('alternative', [M.text_part('plain', txt, cs, cte), M.text_part('html', htm, cs, cte)],
                          '_000_%s_' % _rid(rng, 40))
        parts = [alt, _dsn(gen, rcpt, 'failed', status, diag, rem_time)]
        parts.append(_hdr_part(ohdrs) if tpl == 'o365' else _rfc822_part(ohdrs, obody))
        root = M.multipart('report', parts, '_004_%s_' % _rid(rng, 40), params=' report-type=delivery-status;')
        if tpl == 'o365':
            frm = 'Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@%s>' % rdom
        else:
            frm = ('System Administrator <postmaster@%s>' % rdom) if not (zh or tw) else \
                M.addr('系统管理员' if zh else '系統管理員', 'postmaster@%s' % rdom, cs, 'B')
        extra = ['Content-Language: %s' % ('zh-CN' if zh else 'zh-TW' if tw else 'en-US'), 'X-MS-Exchange-Message-Is-Ndr: ',
                 'X-MS-Has-Attach: yes', 'Auto-Submitted: auto-replied', 'In-Reply-To: %s' % omsgid, 'References: %s' % omsgid]
        top = std_top(frm, subj, bdate, extra=extra, tzs='+0800' if (zh or tw) else '+0000', subj_cs=('utf-8' if zh else cs), subj_mode='B')
        meta.update(charset=cs, cte=cte)
    elif tpl == 'gmail':
        subj = 'Delivery Status Notification (Failure)'
        frm = 'Mail Delivery Subsystem <mailer-daemon@googlemail.test>'
        txt = ("\n** Address not found **\n\nYour message wasn't delivered to %s because the address couldn't be found, "
               "or is unable to receive mail.\n\nLearn more here: https://support.google.test/mail/?p=NoSuchUser\n\n"
               'The response was:\n\n%s\n' % (rcpt, diag.replace('smtp; ', '')))
        htm = ('<html>\n<head>\n<style>\n* {\nfont-family:Roboto, "Helvetica Neue", Helvetica, Arial, sans-serif;\n}\n</style>\n</head>\n<body>\n'
               '<table cellpadding="0" cellspacing="0" class="email-wrapper" style="padding-top:32px;background-color:#ffffff;"><tbody>\n'
               '<tr><td><h2 style="font-size:21px;color:#D93025">Address not found</h2></td></tr>\n'
               '<tr><td style="font-size:16px;color:#202124">Your message wasn\'t delivered to <a style="color:#212121;text-decoration:none"><b>%s</b></a> '
               'because the address couldn\'t be found, or is unable to receive mail.</td></tr>\n'
               '<tr><td><p>The response was:</p><p style="font-family:monospace">%s</p></td></tr>\n</tbody></table>\n</body>\n</html>\n' % (rcpt, diag.replace('smtp; ', '')))
        alt = M.multipart('alternative', [M.text_part('plain', txt, 'UTF-8', 'quoted-printable'), M.text_part('html', htm, 'UTF-8', 'quoted-printable')],
                          '000000000000%s' % _rid(rng, 16, '0123456789abcdef'))
        dsn = _dsn('googlemail.test', rcpt, 'failed', status, diag.replace('smtp; ', ''), rem_time)
        root = M.multipart('report', [alt, dsn, _rfc822_part(ohdrs, obody)], '000000000000%s' % _rid(rng, 16, '0123456789abcdef'),
                           params=' report-type=delivery-status;')
        top = std_top(frm, subj, bdate, msgid='<%s@mx.googlemail.test>' % _rid(rng, 20, 'abcdefghijklmnopqrstuvwxyz0123456789'),
                      extra=['X-Failed-Recipients: %s' % rcpt, 'Auto-Submitted: auto-replied', 'References: %s' % omsgid, 'In-Reply-To: %s' % omsgid])
    elif tpl == 'sendmail':
        subj = 'Returned mail: see transcript for details'
        frm = 'Mail Delivery Subsystem <MAILER-DAEMON@mail.%s>' % rdom
        txt = ('The original message was received at %s\nfrom mx1.vendor.test [192.0.2.10]\n\n'
               '   ----- The following addresses had permanent fatal errors -----\n<%s>\n    (reason: 550 5.1.1 User unknown)\n\n'
               '   ----- Transcript of session follows -----\n... while talking to mx.%s.:\n>>> DATA\n<<< %s\n550 5.1.1 <%s>... User unknown\n<<< 503 5.0.0 Need RCPT (recipient)\n'
               % (format_datetime(rem_time), rcpt, rdom, diag, rcpt))
        parts = [M.text_part('plain', txt, 'us-ascii', '7bit'), _dsn('mail.%s' % rdom, rcpt, 'failed', status, diag, rem_time), _hdr_part(ohdrs)]
        root = M.multipart('report', parts, '%s.%d/mail.%s' % (_rid(rng, 14), int(bdate.timestamp()), rdom), params=' report-type=delivery-status;',
                           preamble='This is a MIME-encapsulated message')
        top = std_top(frm, subj, bdate, extra=['Auto-Submitted: auto-generated (failure)'], tzs='-0500')
    else:
        top, root = _zh_bounce(tpl, rng, item, rcpt, rdom, osubj, omsgid, ohdrs, obody, rem_time, bdate, diag, status, std_top)
        meta['fmt'] = root.headers[0].split(';')[0].split(': ')[1]
    raw = M.message_bytes(top, root)
    return raw, meta


def _tz(s):
    sign = 1 if s[0] == '+' else -1
    return dt.timezone(sign * dt.timedelta(hours=int(s[1:3]), minutes=int(s[3:5])))


def _zh_bounce(tpl, rng, item, rcpt, rdom, osubj, omsgid, ohdrs, obody, rem_time, bdate, diag, status, std_top):
    t8 = bdate.astimezone(_tz('+0800'))
    when = '%d年%d月%d日 %02d:%02d' % (t8.year, t8.month, t8.day, t8.hour, t8.minute)
    ow = rem_time.astimezone(_tz('+0800'))
    owhen = '%d-%02d-%02d %02d:%02d:%02d' % (ow.year, ow.month, ow.day, ow.hour, ow.minute, ow.second)
    if tpl == 'qq':
        htm = ('<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
               '<div style="font-size:14px;font-family:Verdana">很抱歉您发送的邮件被退回，以下是该邮件的相关信息：</div><br>'
               '<table style="font-size:12px"><tr><td>被退回的邮件：</td><td><b>%s</b></td></tr><tr><td>时　　间：</td><td>%s</td></tr>'
               '<tr><td>收  件 人：</td><td>%s</td></tr></table><br>'
               '<div style="font-size:14px;font-weight:bold">退信原因</div><div>收件人邮箱地址不存在，或者已被停用。请检查邮箱地址是否填写正确。</div>'
               '<div style="color:#999;font-size:12px">错误原因：%s</div><br><div style="color:#999;font-size:12px">此为系统邮件，请勿回复</div>'
               % (html.escape(osubj), owhen, rcpt, diag))
        root = M.multipart('mixed', [M.text_part('html', htm, 'GB18030', 'base64'), _rfc822_part(ohdrs, obody, '原邮件')],
                           '----=_NextPart_%s_%s' % (_rid(rng, 8, '0123456789ABCDEF'), _rid(rng, 8, '0123456789ABCDEF')))
        top = std_top(M.addr('QQ邮箱团队', 'PostMaster@qq.test', 'GB18030', 'B'), '退信：' + osubj, bdate, tzs='+0800', subj_cs='GB18030',
                      extra=['X-QQ-MIME: TCMime 1.0 by Tencent', 'X-QQ-Bounce: 1', 'Auto-Submitted: auto-replied'])
    elif tpl in ('netease163', 'netease126_full', 'netease_delay', 'sohu', 'sina'):
        if tpl == 'netease163':
            txt = ('您好！\n\n很抱歉，您发送的邮件未能成功投递，已被退回。\n\n  收件人：%s\n  主  题：%s\n  发送时间：%s\n\n'
                   '退信原因：收件人地址不存在，请核实收件人邮箱地址是否正确。\n\n详细错误信息：\n  %s\n\n'
                   '(本邮件由网易邮件系统自动发出，请勿直接回复。)\n\n---------------- 原始邮件头 ----------------\n%s\n'
                   % (rcpt, osubj, owhen, diag, '\n'.join(ohdrs)))
            frm, subj, cs, cte = M.addr('网易邮件系统', 'postmaster@163.test', 'GBK', 'B'), '系统退信', 'GBK', 'base64'
        elif tpl == 'netease126_full':
            txt = ('您好！\n\n由于以下原因，您发往 %s 的邮件未能送达：\n\n    收件人邮箱空间已满，暂时无法接收新邮件。\n\n'
                   '技术细节：%s\n\n建议您通过其他方式联系收件人，提醒其清理邮箱后再重新发送。\n\n原邮件主题：%s\n原邮件ID：%s\n'
                   % (rcpt, diag, osubj, omsgid))
            frm, subj, cs, cte = M.addr('126邮件系统', 'postmaster@126.test', 'GBK', 'B'), '系统退信/Systems bounce', 'GBK', 'base64'
        elif tpl == 'netease_delay':
            txt = ('您好！\n\n这是一封系统通知邮件，不是退信。\n\n您于 %s 发往 %s 的邮件暂时未能投递成功，系统将在接下来的 48 小时内继续尝试投递，您无需重新发送。\n\n'
                   '暂时失败原因：%s\n\n如果最终仍无法投递，系统会再向您发送退信通知。\n\n原邮件主题：%s\nMessage-ID: %s\n'
                   % (owhen, rcpt, diag, osubj, omsgid))
            frm, subj, cs, cte = M.addr('网易邮件中心', 'postmaster@yeah.test', 'GBK', 'B'), '延迟投递通知：' + osubj, 'GBK', 'quoted-printable'
        elif tpl == 'sohu':
            txt = ('投递失败通知\n\n您好，您发送的邮件无法投递到以下收件人：\n\n%s\n\n原因：%s\n（收件人不存在）\n\n'
                   '原邮件信息：\n发件人：ar@vendor.test\n主题：%s\n时间：%s\n\n----- 以下为原邮件头 -----\n%s\n' % (rcpt, diag, osubj, owhen, '\n'.join(ohdrs)))
            frm, subj, cs, cte = M.addr('搜狐闪电邮', 'mailer-daemon@sohu.test', 'GBK', 'B'), '退信通知', 'GBK', 'base64'
        else:
            txt = ('退信通知\n\n尊敬的用户：\n您在 %s 发送给 %s 的邮件投递失败。\n\n失败原因：收件人帐户已被停用。\n服务器返回：%s\n\n'
                   '原邮件主题：%s\n\n新浪邮箱\n' % (owhen, rcpt, diag, osubj))
            frm, subj, cs, cte = M.addr('新浪邮箱', 'mailer-daemon@sina.test', 'GBK', 'B'), '退信通知', 'GBK', 'quoted-printable'
        root = M.text_part('plain', txt, cs, cte)
        extra = ['Auto-Submitted: auto-replied'] if tpl != 'sohu' else ['X-Mailer: Sohu Mail Delivery']
        if tpl == 'netease_delay':
            extra.append('X-Coremail-Delay: 1')
        top = std_top(frm, subj, bdate, tzs='+0800', subj_cs=cs, extra=extra)
    elif tpl == 'exmail':
        htm = ('<html><head><meta charset="UTF-8"></head><body><div style="font-size:14px">很抱歉，您的邮件未能成功发送给以下收件人：</div>'
               '<p><b>%s</b></p><div>退信原因：收件方服务器拒收了该邮件。</div><div>建议解决方案：请联系对方邮箱管理员，或稍后重新发送。</div>'
               '<div style="color:#888">服务器返回：%s</div><hr><div style="color:#888">原邮件主题：%s<br>发送时间：%s</div>'
               '<div style="color:#aaa">腾讯企业邮箱 系统邮件</div></body></html>' % (rcpt, diag, osubj, owhen))
        root = M.multipart('mixed', [M.text_part('html', htm, 'UTF-8', 'base64'), _hdr_part(ohdrs)],
                           '----=_NextPart_%s_%s' % (_rid(rng, 8, '0123456789ABCDEF'), _rid(rng, 8, '0123456789ABCDEF')))
        top = std_top(M.addr('腾讯企业邮箱', 'postmaster@exmail.test', 'UTF-8', 'B'), '退信：' + osubj, bdate, tzs='+0800', subj_cs='UTF-8',
                      extra=['Auto-Submitted: auto-replied'])
    elif tpl in ('aliyun', 'coremail'):
        if tpl == 'aliyun':
            txt = ('您好，\n\n这是阿里企业邮箱系统自动发送的退信通知。您发送的邮件无法投递到以下地址：\n\n  %s\n\n'
                   '投递失败原因：收件人地址不存在（%s）\n\n请检查收件人地址后重新发送。\n' % (rcpt, diag))
            cs, cte, frm, subj = 'UTF-8', 'base64', M.addr('系统退信', 'postmaster@aliyun-mail.test', 'UTF-8', 'B'), '系统退信'
            last = _rfc822_part(ohdrs, obody)
        else:
            txt = ('这是一封来自 Coremail 邮件系统的自动退信。\n\n您于 %s 发往 %s 的邮件投递失败。\n\n原因：%s\n\n'
                   '如有疑问请联系您的邮件管理员。\n' % (owhen, rcpt, diag))
            cs, cte, frm, subj = 'gb2312', 'base64', M.addr('邮件系统管理员', 'postmaster@mail.%s' % rdom, 'gb2312', 'B'), '退信通知：' + osubj
            last = _hdr_part(ohdrs)
        parts = [M.text_part('plain', txt, cs, cte), _dsn('mail.%s' % rdom, rcpt, 'failed', status, diag, rem_time), last]
        root = M.multipart('report', parts, '----=_Part_%d_%d' % (rng.randint(10000, 99999), rng.randint(10**8, 10**9)),
                           params=' report-type=delivery-status;')
        top = std_top(frm, subj, bdate, tzs='+0800', subj_cs=cs, extra=['Auto-Submitted: auto-replied'])
    else:
        raise KeyError(tpl)
    return top, root
