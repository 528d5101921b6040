#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Generate the dunmail labelled reply corpus (tests/data/replies).

    python3 tests/data/replies/gen/make_corpus.py

Deterministic: every random choice comes from random.Random seeded with
the output file name, and the hand-written replies live in content_en.py,
content_zh.py and bounces.py.  Writes ../*.eml (CRLF) and ../labels.tsv.
Only the standard library is used.
"""
import datetime as dt
import html
import os
import random
import sys
import textwrap
from email.utils import format_datetime

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mimeutil as M  # noqa: E402
import content_en  # noqa: E402
import content_zh  # noqa: E402
import bounces  # noqa: E402

AR_NAME = 'Acme Vendor Ltd AR'
AR_ADDR = 'ar@vendor.test'

CLASS_SLUG = {
    'promise_to_pay': 'promise', 'dispute': 'dispute', 'hardship': 'hardship',
    'paid': 'paid', 'opt_out': 'optout', 'wrong_contact': 'wrongcontact',
    'invoice_request': 'invreq', 'auto_reply': 'autoreply', 'bounce': 'bounce',
    'unknown': 'unknown',
}
CLASSES = list(CLASS_SLUG)

# ------------------------------------------------------------------ senders
# kind: corp / pers (personal mailbox).  cur: the currency the reminder uses.
SENDERS = {
    'uk1': dict(name='Jane Whitfield', addr='jane.whitfield@buyer.test', org='Buyer Ltd', title='Finance Manager', tz='+0000', cur='GBP', loc='uk', kind='corp', phone='+44 20 7946 0123'),
    'uk2': dict(name='Tom Okafor', addr='t.okafor@kestrel-logistics.test', org='Kestrel Logistics Ltd', title='Accounts Payable Officer', tz='+0000', cur='GBP', loc='uk', kind='corp', phone='+44 113 496 0457'),
    'uk3': dict(name='Accounts Payable', addr='accounts.payable@hollins-joinery.test', org='Hollins Joinery Ltd', title='', tz='+0000', cur='GBP', loc='uk', kind='corp', phone='+44 161 496 0888', first='AP Team'),
    'uk4': dict(name='Gareth Price', addr='gareth@pricebrothers.test', org='Price Brothers Builders', title='Director', tz='+0000', cur='GBP', loc='uk', kind='corp', phone='07700 900 412'),
    'ie1': dict(name="Liam O'Connor", addr='liam.oconnor@emeraldbuild.test', org='Emerald Build Ltd', title='Financial Controller', tz='+0000', cur='EUR', loc='uk', kind='corp', phone='+353 1 555 0142'),
    'de1': dict(name='Hannah Schmidt', addr='h.schmidt@rheinwerk.test', org='Rheinwerk GmbH', title='Kreditorenbuchhaltung', tz='+0100', cur='EUR', loc='de', kind='corp', phone='+49 221 555 0190'),
    'se1': dict(name='Sarah Lindqvist', addr='sarah.lindqvist@fjordtech.test', org='Fjordtech AB', title='Finance', tz='+0100', cur='EUR', loc='uk', kind='corp', phone='+46 8 555 012 34'),
    'us1': dict(name='Mike Brennan', addr='mike@brennanplumbing.test', org='Brennan Plumbing & Heating', title='Owner', tz='-0500', cur='USD', loc='us', kind='corp', phone='(617) 555-0143'),
    'us2': dict(name='Rebecca Nguyen', addr='rnguyen@buyer-inc.test', org='Buyer Inc.', title='AP Specialist', tz='-0800', cur='USD', loc='us', kind='corp', phone='(415) 555-0188'),
    'us3': dict(name='Carlos Álvarez', addr='calvarez@sunbeltfoods.test', org='Sunbelt Foods LLC', title='Controller', tz='-0600', cur='USD', loc='us', kind='corp', phone='(512) 555-0117'),
    'us4': dict(name='AP Department', addr='ap@midwest-fab.test', org='Midwest Fabrication Co.', title='', tz='-0600', cur='USD', loc='us', kind='corp', phone='(312) 555-0101', first='AP Dept.'),
    'au1': dict(name='Chloe Martin', addr='chloe.martin@wattle-design.test', org='Wattle Design Pty Ltd', title='Office Manager', tz='+1100', cur='AUD', loc='uk', kind='corp', phone='+61 2 5550 1234'),
    'in1': dict(name='Priya Raman', addr='priya.raman@northwind-traders.test', org='Northwind Traders Pvt Ltd', title='Sr. Executive - Accounts', tz='+0530', cur='USD', loc='in', kind='corp', phone='+91 80 5550 1122'),
    'in2': dict(name='Arjun Mehta', addr='arjun.mehta@sarvam-exports.test', org='Sarvam Exports', title='Manager - Finance', tz='+0530', cur='USD', loc='in', kind='corp', phone='+91 22 5550 8899'),
    'sg1': dict(name='Daniel Koh', addr='daniel.koh@lionpeak.test', org='Lion Peak Pte Ltd', title='Finance Executive', tz='+0800', cur='SGD', loc='sg', kind='corp', phone='+65 6555 0199'),
    'sg2': dict(name='Nur Aisyah', addr='aisyah@merlion-supplies.test', org='Merlion Supplies Pte Ltd', title='Accounts Assistant', tz='+0800', cur='SGD', loc='sg', kind='corp', phone='+65 6555 0142'),
    'hk1': dict(name='Kelvin Wong', addr='kelvin.wong@harbourlink.test', org='Harbourlink Trading Co. Ltd', title='Accounting Officer', tz='+0800', cur='HKD', loc='sg', kind='corp', phone='+852 5550 1234'),
    'hk2': dict(name='Iris Cheung', addr='iris.cheung@kowloon-print.test', org='Kowloon Printing Ltd', title='Accounts Supervisor', tz='+0800', cur='HKD', loc='sg', kind='corp', phone='+852 5550 8876'),
    'pers1': dict(name='Dave Robson', addr='dave.robson74@personalmail.test', org='', title='', tz='+0000', cur='GBP', loc='uk', kind='pers'),
    'pers2': dict(name='Zoë Clarke', addr='zoe.clarke@inbox.test', org='', title='', tz='+0000', cur='GBP', loc='uk', kind='pers'),
    # Chinese
    'cn1': dict(name='张伟', addr='zhang.wei@buyer.test', org='上海买方贸易有限公司', title='财务主管', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='021-5555 0188'),
    'cn2': dict(name='李娜', addr='lina@huaxin-tech.test', org='深圳华信科技有限公司', title='应付会计', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='0755-5555 0166'),
    'cn3': dict(name='王喆', addr='wangzhe@jinding-chem.test', org='江苏金鼎化工有限公司', title='财务经理', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='0519-5555 0123'),
    'cn4': dict(name='财务部', addr='caiwu@hengtong-logistics.test', org='广州恒通物流有限公司', title='', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='020-5555 0177'),
    'cn5': dict(name='陈静', addr='88023145@qq.test', org='', title='', tz='+0800', cur='CNY', loc='cn', kind='qq'),
    'cn6': dict(name='刘洋', addr='liuyang@beifang-jixie.test', org='北方机械制造有限公司', title='财务部', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='010-5555 0133'),
    'cn7': dict(name='赵磊', addr='zhaolei_1988@163.test', org='', title='', tz='+0800', cur='CNY', loc='cn', kind='163'),
    'cn8': dict(name='周晓燕', addr='zhouxy@tianfu-food.test', org='成都天府食品有限公司', title='会计', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='028-5555 0155'),
    'cn9': dict(name='孙建国', addr='sunjg@jinhua-textile.test', org='无锡锦华纺织有限公司', title='总经理', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='0510-5555 0111'),
    'cn10': dict(name='出纳 小刘', addr='chuna@hangzhou-ecom.test', org='杭州云链电子商务有限公司', title='出纳', tz='+0800', cur='CNY', loc='cn', kind='corp', phone='0571-5555 0199'),
    'tw1': dict(name='林美玲', addr='meiling.lin@formosa-parts.test', org='福爾摩沙零件股份有限公司', title='會計部', tz='+0800', cur='TWD', loc='tw', kind='corp', phone='(02) 5555-0123'),
    'tw2': dict(name='張雅婷', addr='yating.chang@taipei-design.test', org='台北設計工作室', title='行政', tz='+0800', cur='TWD', loc='tw', kind='corp', phone='(02) 5555-0456'),
    'hk3': dict(name='陳志明', addr='cm.chan@harbourtrade.test', org='海港貿易有限公司', title='會計主任', tz='+0800', cur='HKD', loc='hk', kind='corp', phone='+852 5550 3321'),
    'hk4': dict(name='黃家豪', addr='kh.wong@harbourtrade.test', org='海港貿易有限公司', title='營業部', tz='+0800', cur='HKD', loc='hk', kind='corp', phone='+852 5550 3322'),
}

COLLEAGUES = {
    'en': [('Amy Porter', 'Can you check whether we have paid this one? Acme are chasing again.'),
           ('Raj Patel', 'FYI - another reminder from Acme. Not sure if this is ours or the Leeds site.'),
           ('Sophie Turner', 'Please handle - I think the remittance went out but I cannot find it.')],
    'zh': [('小王', '这个你看一下是不是已经付了？供应商又来催了。'),
           ('陈会计', '转给你处理一下，我这边查不到付款记录。'),
           ('Lily', 'FYI，Acme的催款邮件。')],
}

# ------------------------------------------------------------------ clients
CLIENTS_EN_CORP = ['outlook', 'gmail', 'outlook_owa', 'outlook_old', 'apple', 'gmail_html', 'thunderbird', 'outlook', 'gmail']
CLIENTS_EN_PERS = ['gmail', 'mobile', 'apple', 'gmail_html', 'thunderbird', 'mobile']
CLIENTS_ZH_CORP = ['qq', 'outlook_zh', 'foxmail', 'netease', 'exmail', 'outlook_zh_old', 'apple_zh', 'gmail_zh', 'foxmail', 'qq']
CLIENTS_ZH_QQ = ['qq', 'mobile_zh', 'qq']
CLIENTS_ZH_163 = ['netease', 'mobile_zh', 'netease']
CLIENTS_TW = ['outlook_tw', 'outlook_tw_old', 'apple_zh', 'outlook_tw', 'gmail_zh', 'outlook', 'mobile_zh']

# client -> list of (charset, cte) for the text parts, cycled
CHARSETS = {
    'outlook': [('us-ascii', '7bit'), ('utf-8', 'quoted-printable'), ('windows-1252', 'quoted-printable')],
    'outlook_owa': [('utf-8', 'quoted-printable'), ('iso-8859-1', 'quoted-printable')],
    'outlook_old': [('us-ascii', '7bit'), ('iso-8859-1', 'quoted-printable')],
    'gmail': [('UTF-8', 'quoted-printable'), ('UTF-8', '7bit'), ('UTF-8', 'base64')],
    'gmail_html': [('UTF-8', 'quoted-printable'), ('UTF-8', 'base64')],
    'apple': [('utf-8', 'quoted-printable'), ('us-ascii', '7bit')],
    'thunderbird': [('UTF-8', '7bit'), ('UTF-8', '8bit')],
    'mobile': [('utf-8', 'quoted-printable'), ('us-ascii', '7bit'), ('utf-8', 'base64')],
    'qq': [('gb18030', 'base64'), ('utf-8', 'base64')],
    'exmail': [('gb18030', 'base64'), ('utf-8', 'base64')],
    'foxmail': [('gb2312', 'base64'), ('gbk', 'base64'), ('gb2312', 'quoted-printable')],
    'netease': [('GBK', 'base64'), ('utf-8', 'base64')],
    'outlook_zh': [('gb2312', 'quoted-printable'), ('gb2312', 'base64'), ('utf-8', 'quoted-printable')],
    'outlook_zh_old': [('gb2312', '8bit'), ('gbk', 'quoted-printable')],
    'apple_zh': [('utf-8', 'quoted-printable'), ('utf-8', '8bit'), ('GB18030', 'base64')],
    'gmail_zh': [('UTF-8', 'base64'), ('GBK', 'base64'), ('UTF-8', 'quoted-printable')],
    'mobile_zh': [('utf-8', 'base64'), ('utf-8', '8bit'), ('gb18030', 'base64')],
    'outlook_tw': [('big5', 'quoted-printable'), ('big5', 'base64'), ('utf-8', 'base64')],
    'outlook_tw_old': [('big5', '8bit'), ('big5', 'quoted-printable')],
}
# RFC 2047 label used in headers by each client (charset, mode)
HDR_CS = {
    'outlook': ('utf-8', 'B'), 'outlook_owa': ('utf-8', 'B'), 'outlook_old': ('iso-8859-1', 'Q'),
    'gmail': ('UTF-8', 'B'), 'gmail_html': ('UTF-8', 'Q'), 'apple': ('utf-8', 'Q'),
    'thunderbird': ('UTF-8', 'Q'), 'mobile': ('utf-8', 'B'),
    'qq': ('gb18030', 'B'), 'exmail': ('utf-8', 'B'), 'foxmail': ('gb2312', 'B'), 'netease': ('GBK', 'B'),
    'outlook_zh': ('gb2312', 'B'), 'outlook_zh_old': ('gb2312', 'B'), 'apple_zh': ('utf-8', 'B'),
    'gmail_zh': ('UTF-8', 'B'), 'mobile_zh': ('UTF-8', 'Q'), 'outlook_tw': ('big5', 'B'),
    'outlook_tw_old': ('big5', 'B'),
}
FORMAT = {  # plain / alt / html ; list cycled
    'outlook': ['alt'], 'outlook_owa': ['html', 'html', 'alt'], 'outlook_old': ['plain'],
    'gmail': ['alt'], 'gmail_html': ['html'], 'apple': ['plain', 'alt'], 'thunderbird': ['plain'],
    'mobile': ['plain'], 'qq': ['alt'], 'exmail': ['alt', 'html'], 'foxmail': ['alt', 'plain'],
    'netease': ['alt', 'html'], 'outlook_zh': ['alt'], 'outlook_zh_old': ['plain'],
    'apple_zh': ['plain', 'alt'], 'gmail_zh': ['alt', 'html'], 'mobile_zh': ['plain'],
    'outlook_tw': ['alt', 'html'], 'outlook_tw_old': ['plain'],
}
REPLY_PREFIX = {
    'outlook': ('RE: ', 'FW: '), 'outlook_owa': ('RE: ', 'FW: '), 'outlook_old': ('RE: ', 'FW: '),
    'gmail': ('Re: ', 'Fwd: '), 'gmail_html': ('Re: ', 'Fwd: '), 'apple': ('Re: ', 'Fwd: '),
    'thunderbird': ('Re: ', 'Fwd: '), 'mobile': ('Re: ', 'Fwd: '), 'qq': ('回复：', '转发：'),
    'exmail': ('回复：', '转发：'), 'foxmail': ('回复：', '转发：'), 'netease': ('Re:', 'Fw:'),
    'outlook_zh': ('答复: ', '转发: '), 'outlook_zh_old': ('答复: ', '转发: '), 'apple_zh': ('Re: ', '转发：'),
    'gmail_zh': ('Re: ', 'Fwd: '), 'mobile_zh': ('回复：', '转发：'), 'outlook_tw': ('回覆: ', '轉寄: '),
    'outlook_tw_old': ('RE: ', 'FW: '),
}

RAW8_SUBJECT = {'zh-promise-004', 'zh-unknown-003'}   # raw UTF-8 Subject (RFC 6532 style)

# ------------------------------------------------------------------ pools
GREET = {
    'uk': ['Hi,', 'Hello,', 'Dear Sir/Madam,', 'Good morning,', 'Hi there,', 'Afternoon,', 'Dear Accounts Receivable,', 'Hi Acme team,'],
    'us': ['Hi,', 'Hello,', 'Hi there,', 'Good morning,', 'Hello AR team,', 'To whom it may concern,'],
    'de': ['Dear Sir or Madam,', 'Hello,', 'Good morning,'],
    'in': ['Dear Sir/Madam,', 'Hi,', 'Dear Team,', 'Greetings of the day!'],
    'sg': ['Hi,', 'Dear Sir/Mdm,', 'Hello,', 'Dear AR team,'],
    'cn': ['您好！', '您好，', '你好，', 'Hi，', '各位好，', 'Acme的同事您好：'],
    'tw': ['您好：', '敬啟者：', '您好，'],
    'hk': ['您好，', 'Dear Sir/Madam,', '你好，'],
}
SIGNOFF = {
    'uk': ['Kind regards,\n{full}', 'Thanks,\n{first}', 'Cheers,\n{first}', 'Many thanks\n{first}', 'Regards\n{full}', 'Best wishes,\n{first}', '{first}'],
    'us': ['Thanks,\n{first}', 'Best,\n{first}', 'Thank you,\n{full}', 'Regards,\n{full}', '-{first}'],
    'de': ['Kind regards,\n{full}', 'Best regards\n{full}', 'Mit freundlichen Grüßen / Kind regards\n{full}'],
    'in': ['Thanks & Regards,\n{full}', 'Regards,\n{full}', 'Warm regards,\n{first}'],
    'sg': ['Thanks & Regards,\n{full}', 'Rgds\n{first}', 'Best Regards,\n{full}', 'Thks,\n{first}'],
    'cn': ['谢谢！\n{full}', '谢谢\n{full}', '此致\n敬礼！\n{full}', '祝好！\n{full}', '顺祝商祺！\n{full}', '{full}', 'Thanks\n{full}'],
    'tw': ['謝謝！\n{full}', '順頌 商祺\n{full}', '敬祝 商祺\n{full} 敬上'],
    'hk': ['謝謝！\n{full}', 'Regards,\n{full}', '{full}'],
}
MOBILE_FOOTER = {'en': ['Sent from my iPhone', 'Sent from my Galaxy', 'Get Outlook for Android', 'Sent from my iPad'],
                 'zh': ['发自我的iPhone', '发自我的华为手机', '发自网易邮箱大师', '来自小米手机', '發自我的 iPhone']}
DISCLAIMERS = {
    'en': [
        'This email and any attachments are confidential and intended solely for the addressee. If you have received it in error please notify the sender and delete it. Any views expressed are those of the sender and do not constitute a commitment to make any payment.',
        'CONFIDENTIALITY NOTICE: This message may contain privileged information. Nothing in this message shall be construed as an admission of liability or as a waiver of any right to dispute any invoice or claim.',
        'Please note: we will never ask you to change bank details or make a payment to a new account by email. If you receive such a request, please call us to verify before making any payment.',
        'IMPORTANT: This e-mail is intended for the named recipient only. If you are not the intended recipient, please STOP reading, notify the sender immediately and delete this message.',
        'Registered in England and Wales No. 01234567. Registered office: 1 Example Street, Leeds LS1 1AA. Please consider the environment before printing this email.',
        'This e-mail is confidential and may be legally privileged. The company shall not be liable for any loss or damage, or any dispute, arising from the use of this e-mail or its attachments.',
    ],
    'zh': [
        '本邮件及其附件含有保密信息，仅限于发送给上面地址中列出的个人或群组。禁止任何其他人以任何形式使用（包括但不限于全部或部分地泄露、复制或散发）本邮件中的信息。如果您错收了本邮件，请您立即电话或邮件通知发件人并删除本邮件！',
        '温馨提示：本公司不会通过邮件通知变更收款账户，如遇付款或账户变更事宜，请务必电话核实。',
        '免责声明：本邮件内容仅供参考，不构成任何付款承诺，亦不代表对任何争议事项的确认。',
    ],
    'tw': [
        '本電子郵件及其附件可能含有機密或受法律保護之資料，僅供指定收件人使用。若您非指定收件人，請勿閱讀、複製或散布本郵件，並請立即通知寄件者後刪除。',
        '注意：本公司不會以電子郵件通知變更匯款帳戶，如有任何付款疑問請來電確認。',
    ],
}

WEEKDAY_ZH = '一二三四五六日'


# ------------------------------------------------------------------ helpers
def tzinfo(s):
    sign = 1 if s[0] == '+' else -1
    return dt.timezone(sign * dt.timedelta(hours=int(s[1:3]), minutes=int(s[3:5])))


def rid(rng, n, alphabet='abcdefghijklmnopqrstuvwxyz0123456789'):
    return ''.join(rng.choice(alphabet) for _ in range(n))


def hexid(rng, n):
    return rid(rng, n, '0123456789ABCDEF')


def money(amount, cur):
    return '%s %s' % (cur, '{:,.2f}'.format(amount))


def h12(t):
    h = t.hour % 12 or 12
    return '%d:%02d %s' % (h, t.minute, 'AM' if t.hour < 12 else 'PM')


def zh_ampm(t):
    return ('上午' if t.hour < 12 else '下午') + '%d:%02d' % (t.hour if t.hour <= 12 else t.hour - 12, t.minute)


class Cycler:
    def __init__(self):
        self.n = {}

    def pick(self, key, seq):
        i = self.n.get(key, 0)
        self.n[key] = i + 1
        return seq[i % len(seq)]


# ------------------------------------------------------------------ reminder
def make_reminder(rng, lang, inv, amount, cur, rem_date, debtor, variant):
    due = rem_date.date() - dt.timedelta(days=rng.choice([9, 12, 16, 19, 23, 30]))
    issue = due - dt.timedelta(days=30)
    overdue = (rem_date.date() - due).days
    amt = money(amount, cur)
    dname = debtor['org'] or debtor['name']

    def en_date(d):
        return '%d %s %d' % (d.day, d.strftime('%B'), d.year)

    def zh_date(d):
        return '%d年%d月%d日' % (d.year, d.month, d.day)

    if lang == 'en':
        if variant == 0:
            subj = 'Payment reminder: invoice %s' % inv
            body = [
                'Dear %s,' % dname, '',
                'This is a reminder that invoice %s for %s, due on %s, is now %d days overdue.' % (inv, amt, en_date(due), overdue), '',
                'Please pay by 30 November 2026.', '',
                '- If you have already paid, reply PAID and tell us the payment date.',
                '- To dispute this invoice, tell us why and we will look into it.',
                '- If you are in financial difficulty we can offer a payment plan.',
                '- If you are not the right contact, please tell us who is.',
                '- Reply STOP to stop these emails.', '',
                'Kind regards,', 'Accounts Receivable', 'Acme Vendor Ltd', 'ar@vendor.test',
            ]
        else:
            subj = ('Final reminder: invoice %s' if variant == 2 else 'Payment reminder: invoice %s') % inv
            body = [
                'Dear %s,' % dname, '',
                'According to our records, payment of the following on your account has not yet reached us, and the due date has now passed:', '',
                '- Invoice %s of %s: %s outstanding, due on %s (days overdue: %d). PDF attached: %s.pdf' % (inv, en_date(issue), amt, en_date(due), overdue, inv), '',
                'Total outstanding: %s' % amt, '',
                'Please pay by 30 November 2026, using these details:', '',
                'Acme Vendor Ltd, Example Bank plc, IBAN GB00 EXMP 0000 0000 0000 00, reference %s' % inv, '',
                'If there is a reason the payment has been held up, please reply to this email and let us know:', '',
                '- Already paid? Reply with PAID and the payment date and remittance reference, so that we can match it.',
                '- Something wrong with an invoice? To dispute this invoice, tell us why and we will look into it.',
                '- Having difficulty paying? If you are in financial difficulty we can offer a payment plan.',
                '- Prefer not to receive these reminders? Reply STOP to stop these emails.', '',
                'Kind regards,', 'Accounts Receivable', 'Acme Vendor Ltd', 'ar@vendor.test · +44 20 7946 0000',
            ]
        body = sum((textwrap.wrap(l, 74, break_on_hyphens=False) or [''] for l in body), [])
    else:
        if variant == 0:
            subj = '付款提醒：发票 %s' % inv
            body = [
                '尊敬的%s：' % dname, '', '您好！',
                '发票 %s（金额 %s，到期日 %s）已逾期 %d 天。' % (inv, amt, zh_date(due), overdue), '',
                '请于 2026年11月30日 前付款。', '',
                '- 如已付款，请回复“已付款”（或 PAID）并告知付款日期。',
                '- 如对发票有异议，请告诉我们原因。',
                '- 如遇资金困难，我们可以提供分期付款方案。',
                '- 如您不是负责人，请告知正确的联系人。',
                '- 回复“退订”（或 STOP）可停止接收此类邮件。', '',
                '此致', '敬礼！', 'Acme Vendor Ltd 应收账款部',
            ]
        else:
            subj = ('最后通知：发票 %s' if variant == 2 else '付款提醒：发票 %s') % inv
            body = [
                '尊敬的%s：' % dname, '', '您好！', '',
                '根据我司记录，贵司账户下的以下款项已过付款期限，我司尚未收到相应款项：', '',
                '- 发票号 %s（开票日期：%s）：未付金额 %s，到期日 %s，已逾期 %d 天。附件：%s.pdf' % (inv, zh_date(issue), amt, zh_date(due), overdue, inv), '',
                '未付合计：%s' % amt, '',
                '烦请贵司于2026年11月30日前安排付款。', '',
                '如付款因故延迟，请回复本邮件告知我们：', '',
                '- 已经付款：请回复“已付款”（或 PAID），并注明付款日期及汇款凭证号。',
                '- 发票有误：如对发票有异议，请回复并说明原因，我们会尽快核实。',
                '- 付款有困难：请回复告知，我们可以与贵司商议分期付款安排。',
                '- 不希望再收到此类提醒：请回复“退订”（或 STOP），我们将停止发送。', '',
                '此致', '敬礼！', '', 'Acme Vendor Ltd 应收账款部', '电子邮件：ar@vendor.test',
            ]
    msgid = '<dun.%s.%s@vendor.test>' % (rem_date.strftime('%Y%m%d'), rid(rng, 6))
    return dict(subject=subj, lines=body, msgid=msgid, date=rem_date)


# ------------------------------------------------------------------ quote attribution / header blocks
def quote_spec(client, rem, snd, t, rng, fwd=False):
    """Return dict(kind='attr'|'block', lines=[...]) describing how the
    reminder is introduced.  t = reminder time in the debtor's zone."""
    rs = rem['subject']
    to_disp = '%s <%s>' % (snd['name'], snd['addr'])
    us = snd['loc'] == 'us'
    if client in ('gmail', 'gmail_html') or (fwd and client in ('mobile', 'apple', 'thunderbird')):
        if us:
            a = 'On %s, %s %d, %d at %s %s <%s> wrote:' % (t.strftime('%a'), t.strftime('%b'), t.day, t.year, h12(t), AR_NAME, AR_ADDR)
        else:
            a = 'On %s, %d %s %d at %02d:%02d, %s <%s> wrote:' % (t.strftime('%a'), t.day, t.strftime('%b'), t.year, t.hour, t.minute, AR_NAME, AR_ADDR)
        return dict(kind='attr', lines=[a], split=rng.random() < 0.5, style='gmail')
    if client in ('apple', 'mobile'):
        if us:
            a = 'On %s %d, %d, at %s, %s <%s> wrote:' % (t.strftime('%b'), t.day, t.year, h12(t), AR_NAME, AR_ADDR)
        else:
            a = 'On %d %s %d, at %02d:%02d, %s <%s> wrote:' % (t.day, t.strftime('%b'), t.year, t.hour, t.minute, AR_NAME, AR_ADDR)
        return dict(kind='attr', lines=[a], style='apple')
    if client == 'thunderbird':
        if us:
            a = 'On %d/%d/%s %s, %s wrote:' % (t.month, t.day, str(t.year)[2:], h12(t), AR_NAME)
        else:
            a = 'On %02d/%02d/%d %02d:%02d, %s wrote:' % (t.day, t.month, t.year, t.hour, t.minute, AR_NAME)
        return dict(kind='attr', lines=[a], style='tb')
    if client in ('outlook', 'outlook_owa'):
        sent = ('%s, %s %d, %d %s' % (t.strftime('%A'), t.strftime('%B'), t.day, t.year, h12(t)) if us
                else '%d %s %d %02d:%02d' % (t.day, t.strftime('%B'), t.year, t.hour, t.minute))
        return dict(kind='block', sep='________________________________', style='outlook',
                    hdr=[('From', '%s <%s>' % (AR_NAME, AR_ADDR)), ('Sent', sent), ('To', to_disp), ('Subject', rs)])
    if client == 'outlook_old':
        sent = '%s, %s %d, %d %s' % (t.strftime('%A'), t.strftime('%B'), t.day, t.year, h12(t))
        return dict(kind='block', sep='-----Original Message-----', style='outlook_old',
                    hdr=[('From', '%s [mailto:%s]' % (AR_NAME, AR_ADDR)), ('Sent', sent), ('To', to_disp), ('Subject', rs)])
    if client in ('qq', 'exmail', 'mobile_zh'):
        c = '：' if rng.random() < 0.4 else ':'
        wd = '星期' + WEEKDAY_ZH[t.weekday()].replace('日', '天')
        return dict(kind='block', sep='------------------ 原始邮件 ------------------', style='qq',
                    hdr=[('发件人', '"%s"<%s>;' % (AR_NAME, AR_ADDR)),
                         ('发送时间', '%d年%d月%d日(%s) %s' % (t.year, t.month, t.day, wd, zh_ampm(t))),
                         ('收件人', '"%s"<%s>;' % (snd['name'], snd['addr'])), ('', ''), ('主题', rs)], colon=c)
    if client == 'foxmail':
        return dict(kind='block', sep='', style='foxmail', colon='：',
                    hdr=[('发件人', AR_NAME), ('发送时间', '%d-%02d-%02d %02d:%02d' % (t.year, t.month, t.day, t.hour, t.minute)),
                         ('收件人', snd['name']), ('主题', rs)])
    if client == 'netease':
        a = '在 %d-%02d-%02d %02d:%02d:%02d，"%s" <%s> 写道：' % (t.year, t.month, t.day, t.hour, t.minute, t.second, AR_NAME, AR_ADDR)
        return dict(kind='attr', lines=[a], style='netease')
    if client == 'outlook_zh':
        return dict(kind='block', sep='________________________________', style='outlook', colon=': ',
                    hdr=[('发件人', '%s <%s>' % (AR_NAME, AR_ADDR)), ('发送时间', '%d年%d月%d日 %d:%02d' % (t.year, t.month, t.day, t.hour, t.minute)),
                         ('收件人', to_disp), ('主题', rs)])
    if client == 'outlook_zh_old':
        return dict(kind='block', sep='-----邮件原件-----', style='outlook_old', colon=': ',
                    hdr=[('发件人', '%s [mailto:%s]' % (AR_NAME, AR_ADDR)), ('发送时间', '%d年%d月%d日 %d:%02d' % (t.year, t.month, t.day, t.hour, t.minute)),
                         ('收件人', to_disp), ('主题', rs)])
    if client == 'outlook_tw':
        return dict(kind='block', sep='________________________________', style='outlook', colon=': ',
                    hdr=[('寄件者', '%s <%s>' % (AR_NAME, AR_ADDR)), ('寄件日期', '%d年%d月%d日 %s' % (t.year, t.month, t.day, zh_ampm(t).replace('午', '午 '))),
                         ('收件者', to_disp), ('主旨', rs)])
    if client == 'outlook_tw_old':
        return dict(kind='block', sep='-----原始郵件-----', style='outlook_old', colon='：',
                    hdr=[('寄件者', '%s [mailto:%s]' % (AR_NAME, AR_ADDR)), ('寄件日期', '%d年%d月%d日 %s' % (t.year, t.month, t.day, zh_ampm(t))),
                         ('收件者', to_disp), ('主旨', rs)])
    if client == 'apple_zh':
        a = '在 %d年%d月%d日 %02d:%02d，%s <%s> 写道：' % (t.year, t.month, t.day, t.hour, t.minute, AR_NAME, AR_ADDR)
        return dict(kind='attr', lines=[a], style='apple')
    if client == 'gmail_zh':
        a = '%s <%s> 于%d年%d月%d日周%s %02d:%02d写道：' % (AR_NAME, AR_ADDR, t.year, t.month, t.day, WEEKDAY_ZH[t.weekday()], t.hour, t.minute)
        return dict(kind='attr', lines=[a], style='gmail')
    raise KeyError(client)


def quote_plain(q, rem_lines):
    out = []
    if q['kind'] == 'attr':
        a = q['lines'][0]
        if q.get('split') and len(a) > 70:
            cut = a.rfind(' <')
            out += [a[:cut + 2], a[cut + 2:]]
        else:
            out.append(a)
        if q['style'] in ('gmail', 'apple'):
            out.append('')
        for l in rem_lines:
            out.append('> ' + l if l else '>')
    else:
        if q['sep']:
            out.append(q['sep'])
        colon = q.get('colon', ': ')
        for k, v in q['hdr']:
            if k:
                out.append(k + colon + v)
            elif q['style'] == 'qq':
                out.append('')
        out.append('')
        out += rem_lines
    return out


# ------------------------------------------------------------------ html renderers
def esc(s):
    return html.escape(s, quote=False)


def lines_html(lines, wrap='div', cls=None):
    out = []
    for l in lines:
        c = ' class="%s"' % cls if cls else ''
        if wrap == 'p':
            out.append('<p class="MsoNormal">%s<o:p></o:p></p>' % (esc(l) if l else '<o:p>&nbsp;</o:p>'))
        else:
            out.append('<div%s>%s</div>' % (c, esc(l) if l else '<br>'))
    return '\n'.join(out)


def html_doc(client, cs, top, sig, disc, q, rem_lines, lang):
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=%s">' % cs
    br_rem = '<br>\n'.join(esc(l) for l in rem_lines)
    if client in ('outlook', 'outlook_zh', 'outlook_tw'):
        body = lines_html(top + ([''] + sig if sig else []), 'p')
        if disc:
            body += '\n<p class="MsoNormal"><span style="font-size:8.0pt;color:gray">%s</span><o:p></o:p></p>' % esc(' '.join(disc))
        if q:
            colon = q.get('colon', ': ').strip() or ':'
            hdrs = '<br>\n'.join('<b>%s%s</b> %s' % (esc(k), colon, esc(v)) for k, v in q['hdr'] if k)
            body += ('\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
                     '<p class="MsoNormal"><span lang="EN-US">%s<o:p></o:p></span></p>\n</div>\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n%s' % (hdrs, lines_html(rem_lines, 'p')))
        lang_attr = {'en': 'EN-GB', 'zh': 'ZH-CN', 'zh-tw': 'ZH-TW'}[lang]
        return ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
                'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n%s\n<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
                '<style><!--\n/* Font Definitions */\n@font-face\n\t{font-family:"Cambria Math";}\n@font-face\n\t{font-family:DengXian;}\n'
                'p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:"Calibri",sans-serif;}\n'
                'span.EmailStyle19\n\t{mso-style-type:personal-reply;\n\tcolor:windowtext;}\n--></style>\n</head>\n'
                '<body lang="%s" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n<div class="WordSection1">\n%s\n</div>\n</body>\n</html>\n'
                % (meta, lang_attr, body))
    if client == 'outlook_owa':
        style = 'font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);'
        body = '\n'.join('<div class="elementToProof" style="%s">%s</div>' % (style, esc(l) if l else '<br>') for l in top)
        if sig:
            body += '\n<div id="Signature">\n%s\n</div>' % lines_html(sig)
        if disc:
            body += '\n<div style="font-size:8pt;color:#808080">%s</div>' % esc(' '.join(disc))
        if q:
            hdrs = '<br>\n'.join('<b>%s:</b> %s' % (esc(k), esc(v)) for k, v in q['hdr'] if k)
            body += ('\n<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%%" tabindex="-1">\n'
                     '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">%s</font>\n'
                     '<div>&nbsp;</div>\n</div>\n<div>\n<div class="PlainText">%s</div>\n</div>' % (hdrs, br_rem))
        return ('<html>\n<head>\n%s\n<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n</head>\n'
                '<body dir="ltr">\n%s\n</body>\n</html>\n' % (meta, body))
    if client in ('gmail', 'gmail_html', 'gmail_zh'):
        inner = ''.join('<div>%s</div>' % (esc(l) if l else '<br>') for l in top)
        if sig:
            inner += '<div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">%s</div></div>' % '<br>'.join(esc(l) for l in sig if l not in ('-- ', '--'))
        if disc:
            inner += '<div><br></div><div><font size="1" color="#888888">%s</font></div>' % esc(' '.join(disc))
        out = '<div dir="ltr">%s</div>' % inner
        if q:
            a = esc(q['lines'][0]).replace(esc('<%s>' % AR_ADDR), '&lt;<a href="mailto:%s">%s</a>&gt;' % (AR_ADDR, AR_ADDR))
            out += ('<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">%s<br></div>'
                    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">%s<br></blockquote></div>'
                    % (a, br_rem))
        return out + '\n'
    if client in ('qq', 'exmail'):
        out = meta + ''.join('<div>%s</div>' % (esc(l) if l else '<br>') for l in top)
        if sig:
            out += '<div><br></div><div><sign signid="0"><div style="color:#909090;font-family:Arial Narrow;font-size:12px">%s</div></sign></div>' % '<br>'.join(esc(l) for l in sig)
        if disc:
            out += '<div style="font-size:11px;color:#999">%s</div>' % esc(' '.join(disc))
        if q:
            c = q.get('colon', ':')
            rows = ''.join('<div><b>%s%s</b>&nbsp;%s</div>' % (esc(k), c, esc(v)) if k else '<div></div>' for k, v in q['hdr'])
            out += ('<div><br></div><div><br></div><div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
                    '------------------&nbsp;原始邮件&nbsp;------------------</div><div style="font-size: 12px;background:#efefef;padding:8px;">%s</div><div><br></div>%s'
                    % (rows, br_rem))
        return out + '\n'
    # generic: foxmail, netease, apple, apple_zh
    out = '<html><head>%s</head><body>' % meta
    out += ''.join('<div>%s</div>' % (esc(l) if l else '<br>') for l in top)
    if sig:
        out += '<div><br></div><div>%s</div>' % '<br>'.join(esc(l) for l in sig)
    if disc:
        out += '<div style="font-size:10px;color:#999999">%s</div>' % esc(' '.join(disc))
    if q:
        if q['kind'] == 'attr':
            out += '<div><br><blockquote type="cite"><div>%s</div><br><div>%s</div></blockquote></div>' % (esc(q['lines'][0]), br_rem)
        else:
            c = q.get('colon', ': ')
            rows = ''.join('<div><b>%s%s</b>%s</div>' % (esc(k), c, esc(v)) for k, v in q['hdr'] if k)
            out += ('<div><br></div><div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
                    '<div style="PADDING-RIGHT: 0px; PADDING-LEFT: 0px; FONT-SIZE: 12px;FONT-FAMILY:tahoma;COLOR:#000000; BACKGROUND: #efefef; PADDING-BOTTOM: 8px; PADDING-TOP: 8px">%s</div></div>'
                    '<blockquote style="margin-Top: 0px; margin-Bottom: 0px; margin-Left: 0.5em">%s</blockquote>' % (rows, br_rem))
    return out + '</body></html>\n'


# ------------------------------------------------------------------ message ids & misc headers
def message_id(client, rng, snd, date):
    dom = snd['addr'].split('@')[1]
    if client in ('outlook', 'outlook_owa', 'outlook_zh', 'outlook_tw'):
        region = {'+0000': 'eurprd0%d' % rng.randint(1, 9), '+0100': 'eurprd0%d' % rng.randint(1, 9),
                  '-0500': 'namprd0%d' % rng.randint(1, 9), '-0600': 'namprd1%d' % rng.randint(0, 9),
                  '-0800': 'namprd1%d' % rng.randint(0, 9), '+1100': 'ausprd01',
                  '+0530': 'INDPRD01', '+0800': 'apcprd0%d' % rng.randint(1, 6)}[snd['tz']]
        srv = '%s%dPR%02dMB%04d' % (rng.choice(['DB', 'AM', 'SN', 'BY', 'SG', 'TY', 'PS', 'MA']), rng.randint(1, 9), rng.randint(1, 12), rng.randint(1000, 9999))
        return '<%s%s@%s.%s.prod.outlook.com>' % (srv, hexid(rng, 28), srv, region)
    if client in ('outlook_old', 'outlook_zh_old', 'outlook_tw_old'):
        return '<%s$%s$%s$@%s>' % (rid(rng, 12, '0123456789abcdef'), rid(rng, 8, '0123456789abcdef'), rid(rng, 8, '0123456789abcdef'), dom)
    if client in ('gmail', 'gmail_html', 'gmail_zh'):
        return '<CA%s@mail.gmail.com>' % rid(rng, 44, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_=-')
    if client in ('apple', 'mobile', 'apple_zh'):
        return '<%s-%s-%s-%s-%s@%s>' % (hexid(rng, 8), hexid(rng, 4), hexid(rng, 4), hexid(rng, 4), hexid(rng, 12), dom)
    if client == 'thunderbird':
        return '<%s-%s-%s-%s-%s@%s>' % (rid(rng, 8, '0123456789abcdef'), rid(rng, 4, '0123456789abcdef'), rid(rng, 4, '0123456789abcdef'), rid(rng, 4, '0123456789abcdef'), rid(rng, 12, '0123456789abcdef'), dom)
    if client in ('qq', 'exmail', 'mobile_zh'):
        return '<tencent_%s@qq.com>' % hexid(rng, 40)
    if client == 'foxmail':
        return '<%s%s@%s>' % (date.strftime('%Y%m%d%H%M%S'), rid(rng, 7, '0123456789'), dom)
    if client == 'netease':
        return '<%s.%s.%s.Coremail.%s>' % (rid(rng, 8, '0123456789abcdef'), rid(rng, 4, '0123456789abcdef'), rid(rng, 11, '0123456789abcdef'), snd['addr'])
    raise KeyError(client)


def received(rng, snd, date):
    dom = snd['addr'].split('@')[1]
    ip = '%s.%d' % (rng.choice(['192.0.2', '198.51.100', '203.0.113']), rng.randint(2, 250))
    t = (date + dt.timedelta(seconds=rng.randint(1, 9))).astimezone(dt.timezone.utc)
    return ('Received: from mail.%s (mail.%s [%s])\n\tby mx1.vendor.test (Postfix) with ESMTPS id %s\n\tfor <%s>; %s (UTC)'
            % (dom, dom, ip, rid(rng, 12, 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789'), AR_ADDR, format_datetime(t)))


def client_headers(client, rng, snd, subject_topic):
    if client in ('outlook', 'outlook_owa', 'outlook_zh', 'outlook_tw'):
        return ['Thread-Topic: ' + (subject_topic if subject_topic.isascii() else 'payment reminder'),
                'Thread-Index: AQHb%s' % rid(rng, 26, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
                'Accept-Language: %s' % ('zh-CN, en-US' if client == 'outlook_zh' else 'zh-TW, en-US' if client == 'outlook_tw' else 'en-GB, en-US'),
                'X-MS-Has-Attach: ', 'X-MS-TNEF-Correlator: ']
    if client in ('outlook_old', 'outlook_zh_old', 'outlook_tw_old'):
        return ['X-Mailer: Microsoft Outlook 16.0', 'Thread-Index: AQI%s' % rid(rng, 20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
                'Content-Language: %s' % {'outlook_old': 'en-gb', 'outlook_zh_old': 'zh-cn', 'outlook_tw_old': 'zh-tw'}[client]]
    if client == 'apple':
        return ['X-Mailer: Apple Mail (2.3826.200.121)']
    if client == 'mobile':
        return ['X-Mailer: iPhone Mail (22B91)']
    if client == 'thunderbird':
        return ['User-Agent: Mozilla Thunderbird']
    if client in ('qq', 'mobile_zh'):
        return ['X-Priority: 3', 'X-QQ-MIME: TCMime 1.0 by Tencent', 'X-Mailer: QQMail 2.x', 'X-QQ-Mailer: QQMail 2.x']
    if client == 'exmail':
        return ['X-QQ-MIME: TCMime 1.0 by Tencent', 'X-Mailer: QQMail 2.x']
    if client == 'foxmail':
        return ['X-Priority: 3', 'X-Has-Attach: no', 'X-Mailer: Foxmail 7.2.25.375[cn]']
    if client == 'netease':
        return ['X-Priority: 3', 'X-Mailer: Coremail Webmail Server Version XT5.0.14 build 20230109(dcb5de15)', 'X-NTES-SC: AL_Qu2bB%s' % rid(rng, 16)]
    if client == 'apple_zh':
        return ['X-Mailer: iPhone Mail (21G93)']
    return []


AR_HEADERS = {
    'exchange': ['Auto-Submitted: auto-replied', 'X-Auto-Response-Suppress: All', 'X-MS-Exchange-Inbox-Rules-Loop: {addr}'],
    'gmail': ['Auto-Submitted: auto-replied'],
    'helpdesk': ['Auto-Submitted: auto-generated', 'X-Autoreply: yes', 'X-Auto-Response-Suppress: All'],
    'precedence': ['Precedence: auto_reply'],
    'xauto': ['X-Autoreply: yes', 'X-Autorespond: yes'],
    'notes': ['Auto-Submitted: auto-generated', 'X-Mailer: Lotus Domino Release 9.0.1FP10'],
    'bulk': ['Precedence: bulk', 'X-Autoreply: yes'],
    'qq': ['Auto-Submitted: auto-replied', 'X-Autoreply: yes', 'Precedence: junk'],
    'netease': ['X-Autoreply: yes', 'Precedence: auto_reply'],
    'exmail': ['Auto-Submitted: auto-replied', 'Precedence: auto_reply'],
}
AR_CLIENT = {'exchange': 'outlook', 'gmail': 'gmail', 'helpdesk': 'outlook_old', 'precedence': 'thunderbird',
             'xauto': 'thunderbird', 'notes': 'outlook_old', 'bulk': 'outlook_old', 'qq': 'qq',
             'netease': 'netease', 'exmail': 'exmail'}
AR_CLIENT_ZH = {'exchange': 'outlook_zh', 'helpdesk': 'outlook_zh_old', 'precedence': 'foxmail',
                'xauto': 'foxmail', 'qq': 'qq', 'netease': 'netease', 'exmail': 'exmail'}


# ------------------------------------------------------------------ attachments
def attachment(kind, rng, lang, inv):
    if kind == 'pdf':
        fname = ('Remittance_Advice_%s.pdf' % inv) if lang == 'en' else '银行回单.pdf'
        data = (b'%PDF-1.4\n% dunmail test corpus: fake remittance advice\n1 0 obj << /Type /Catalog >> endobj\n'
                b'trailer << /Root 1 0 R >>\n%%EOF\n')
        ctype = 'application/pdf'
    else:
        fname = ('IMG_%04d.jpg' % rng.randint(1000, 9999)) if lang == 'en' else '汇款水单.jpg'
        data = bytes([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]) + b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00' + bytes(rng.randrange(256) for _ in range(48)) + bytes([0xFF, 0xD9])
        ctype = 'image/jpeg'
    if fname.isascii():
        fh = ['Content-Disposition: attachment;\n\tfilename="%s"' % fname]
        ct = '%s;\n\tname="%s"' % (ctype, fname)
    else:
        from urllib.parse import quote
        if rng.random() < 0.5:   # RFC 2231
            fh = ["Content-Disposition: attachment;\n\tfilename*=UTF-8''%s" % quote(fname)]
            ct = "%s;\n\tname*=UTF-8''%s" % (ctype, quote(fname))
        else:                    # common non-standard encoded-word in a parameter (QQ/Foxmail style)
            w = M.encoded_words(fname, 'gb18030', 'B')[0]
            fh = ['Content-Disposition: attachment;\n\tfilename="%s"' % w]
            ct = '%s;\n\tname="%s"' % (ctype, w)
    return M.binary_part(ct, data, fh)


# ------------------------------------------------------------------ compose a human / auto reply
def build_reply(item, name, cyc):
    o = item['opts']
    lang = item['lang']
    trad = o.get('trad', False)
    rng = random.Random('dunmail/' + name)
    snd = SENDERS[o['snd']]
    cls = item['cls']
    auto = cls == 'auto_reply'

    # client
    if o.get('cl'):
        client = o['cl']
    elif auto:
        client = (AR_CLIENT_ZH if lang == 'zh' else AR_CLIENT).get(o.get('ar') or 'none')
        if client is None:
            client = 'outlook_old' if lang == 'en' else ('outlook_tw_old' if trad else 'outlook_zh_old')
        if trad and client.startswith('outlook_zh'):
            client = client.replace('outlook_zh', 'outlook_tw')
    elif trad:
        client = cyc.pick('tw', CLIENTS_TW)
    elif lang == 'zh':
        client = cyc.pick('zh-' + snd['kind'], {'corp': CLIENTS_ZH_CORP, 'qq': CLIENTS_ZH_QQ, '163': CLIENTS_ZH_163}[snd['kind']])
    else:
        client = cyc.pick('en-' + snd['kind'], CLIENTS_EN_CORP if snd['kind'] == 'corp' else CLIENTS_EN_PERS)
    mobile = client in ('mobile', 'mobile_zh')

    # date
    tz = tzinfo(o.get('tz', snd['tz']))
    hour = rng.choice([7, 8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 18, 21, 22]) if not o.get('t') else int(o['t'][:2])
    date = dt.datetime(2026, 11, item['d'], hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=tz)
    rem_time = dt.datetime(2026, 11, item['d'], 9, rng.randint(0, 59), rng.randint(0, 59), tzinfo=dt.timezone.utc) - dt.timedelta(days=rng.randint(1, 8))
    rem_local = rem_time.astimezone(tz)

    # invoice / reminder
    invs = [x for x in item['inv'].split(',') if x and x != '-']
    inv = o.get('sinv') or (invs[0] if invs else 'INV-2026-%04d' % rng.randint(101, 980))
    if o.get('ramt'):
        r_amt, r_cur = o['ramt']
    elif item['amt'] != '-' and not o.get('partial') and item['cur'] != '-':
        r_amt, r_cur = float(item['amt']), item['cur']
    else:
        r_cur = item['cur'] if item['cur'] != '-' else snd['cur']
        r_amt = round(rng.uniform(900, 48000), 2)
        if item['amt'] != '-':
            r_amt = max(r_amt, float(item['amt']) * rng.choice([2, 3, 4, 6]))
    rem_lang = 'en' if (lang == 'en' or trad or rng.random() < 0.15) else 'zh'
    rem = make_reminder(rng, rem_lang, inv, r_amt, r_cur, rem_time, snd, rng.choice([0, 0, 1, 1, 2]))

    # text blocks
    body = item['body']
    loc = {'cn': 'cn', 'tw': 'tw', 'hk': 'hk'}.get(snd['loc'], snd['loc'])
    if trad and loc == 'cn':
        loc = 'tw'
    top = []
    greet_ok = o.get('greet', not auto) and not mobile
    first_line = body.split('\n')[0]
    has_greet = any(first_line.startswith(g) for g in ('Hi', 'Hello', 'Dear', '您好', '你好', '敬啟', 'Good', 'Hey'))
    if greet_ok and not has_greet and rng.random() < 0.6:
        top += [rng.choice(GREET[loc]), '']
    top += body.split('\n')
    sig, disc = [], []
    full = snd['name']
    first = snd.get('first') or (full.split()[0] if lang == 'en' else full)
    if mobile:
        if o.get('sign', True) and rng.random() < 0.4:
            top += ['', first]
        top += ['', rng.choice(MOBILE_FOOTER['zh' if lang == 'zh' else 'en'])]
    else:
        canned = auto and o.get('ar') in ('qq', 'netease', 'exmail', 'helpdesk', 'xauto', 'notes')
        if o.get('sign', True) and not canned and not (auto and rng.random() < 0.5):
            top += [''] + rng.choice(SIGNOFF[loc]).format(full=full, first=first).split('\n')
        if snd['kind'] == 'corp' and o.get('sign', True) and not canned and rng.random() < 0.6:
            delim = rng.choice(['-- ', '-- ', '--', None])
            if lang == 'en':
                s = [full if snd['name'] != first else snd['org']]
                if snd['title']:
                    s.append('%s | %s' % (snd['title'], snd['org']))
                else:
                    s.append(snd['org'])
                s.append('T: %s' % snd['phone'])
                s.append('E: %s' % snd['addr'])
            else:
                s = ['%s %s' % (full, ('| ' + snd['title']) if snd['title'] else ''), snd['org'],
                     '电话：%s' % snd['phone'] if not trad else '電話：%s' % snd['phone'], 'Email: %s' % snd['addr']]
            sig = ([delim] if delim else []) + [x.rstrip() for x in s]
        if snd['kind'] == 'corp' and rng.random() < 0.4:
            dk = 'en' if lang == 'en' else ('tw' if trad else 'zh')
            disc = [cyc.pick('disc-' + dk, DISCLAIMERS[dk])]

    # quoting
    qmode = o.get('q')
    fwd = o.get('fwd', False)
    if auto:
        want_quote = False
    elif qmode in ('force', 'bottom', 'inline') or fwd:
        want_quote = True
    elif qmode == 'none':
        want_quote = False
    else:
        want_quote = rng.random() < (0.5 if mobile else 0.78)
    q = quote_spec(client, rem, snd, rem_local, rng, fwd) if want_quote else None
    bottom = qmode == 'bottom' or (q is not None and client == 'thunderbird' and cyc.pick('tb-bottom', [False, True, False]))

    # forwarded-by-colleague wrapper (debtor's words on top)
    fwd_lines = []
    if fwd:
        cname, cnote = rng.choice(COLLEAGUES['zh' if lang == 'zh' else 'en'])
        cdom = snd['addr'].split('@')[1]
        ct = rem_local + dt.timedelta(hours=rng.randint(2, 20))
        if lang == 'zh':
            fwd_lines = ['', '-------- 转发邮件信息 --------', '发件人：%s <colleague@%s>' % (cname, cdom),
                         '发送日期：%d-%02d-%02d %02d:%02d' % (ct.year, ct.month, ct.day, ct.hour, ct.minute),
                         '收件人：%s <%s>' % (snd['name'], snd['addr']), '主题：转发：%s' % rem['subject'], '', cnote, '']
        else:
            fwd_lines = ['', '---------- Forwarded message ---------', 'From: %s <colleague@%s>' % (cname, cdom),
                         'Date: %s' % ct.strftime('%a, %d %b %Y at %H:%M'), 'Subject: Fwd: %s' % rem['subject'],
                         'To: %s <%s>' % (snd['name'], snd['addr']), '', cnote, '']

    text_top = top + ([''] + sig if sig else []) + ([''] + disc if disc else [])
    if q and qmode == 'inline':
        qlines = quote_plain(q, rem['lines'])
        i = next(k for k, l in enumerate(qlines) if 'PAID' in l) + 1
        while i < len(qlines) and qlines[i] not in ('>', '') and not qlines[i].startswith('> -'):
            i += 1
        plain_lines = qlines[:i] + [''] + body.split('\n') + [''] + qlines[i:] + text_top[len(body.split('\n')):]
        bottom = True
    elif q:
        qlines = quote_plain(q, rem['lines'])
        if bottom:
            plain_lines = qlines + [''] + text_top
        else:
            plain_lines = text_top + fwd_lines + ['', ''] + qlines
    else:
        plain_lines = text_top
    plain = '\n'.join(plain_lines) + '\n'

    # charset / cte / format
    if o.get('cs'):
        cs, cte = o['cs'], o.get('cte', 'quoted-printable')
    else:
        cs, cte = cyc.pick('cs-' + client, CHARSETS[client])
        if trad and cs.lower() not in ('big5', 'utf-8') and rng.random() < 0.6:
            cs = 'big5'
    if not M.can_encode(plain, cs):
        cs = 'utf-8' if not cs.isupper() else 'UTF-8'
        if cte == '7bit':
            cte = 'quoted-printable'
    fmt = o.get('fmt') or cyc.pick('fmt-' + client, FORMAT[client])
    if fwd and fmt == 'html':
        fmt = 'alt'

    parts = []
    flowed = '; format=flowed' if client == 'thunderbird' else ''
    if fmt in ('plain', 'alt'):
        parts.append(M.text_part('plain', plain, cs, cte, flowed if not bottom else ''))
    if fmt in ('alt', 'html'):
        hq = q if (q and not fwd) else None
        hdoc = html_doc(client if client not in ('outlook_old', 'outlook_zh_old', 'outlook_tw_old', 'thunderbird', 'mobile', 'mobile_zh') else 'apple',
                        cs, top + (fwd_lines if fwd else []), [l for l in sig], disc, hq if not bottom else None, rem['lines'],
                        'zh-tw' if trad else lang)
        if fwd and q:
            hdoc = hdoc.replace('</body></html>', '<blockquote>%s</blockquote></body></html>' % '<br>'.join(esc(l) for l in quote_plain(q, rem['lines'])))
        hcte = 'base64' if cte == 'base64' else 'quoted-printable'
        if not M.can_encode(hdoc, cs):
            raise SystemExit('%s: html not encodable in %s' % (name, cs))
        parts.append(M.text_part('html', hdoc, cs, hcte))
    if len(parts) == 2:
        bnd = boundary(client, rng)
        root = M.multipart('alternative', parts, bnd)
    else:
        root = parts[0]
    if o.get('att'):
        root = M.multipart('mixed', [root, attachment(o['att'], rng, lang, inv)], boundary(client, rng))

    # subject
    pre = REPLY_PREFIX[client][1 if fwd else 0]
    if auto:
        arsubj = o.get('arsubj')
        pre = REPLY_PREFIX[client][0] if arsubj is None or (arsubj == '' and o.get('ar') not in ('helpdesk', 'xauto')) else arsubj
    rsub = rem['subject']
    if client.startswith('outlook') and not auto and lang == 'en' and rng.random() < 0.15:
        rsub = '[EXTERNAL] ' + rsub
    subject = pre + rsub + o.get('subjx', '')
    if not auto and not fwd and rng.random() < 0.06:
        subject = pre + subject
    hcs, hmode = HDR_CS[client]
    if not M.can_encode(subject, hcs):
        hcs = 'utf-8'
    from_h = 'From: ' + M.addr(snd['name'], snd['addr'], hcs, hmode)
    to_h = 'To: ' + rng.choice(['"%s" <%s>' % (AR_NAME, AR_ADDR), '%s <%s>' % (AR_NAME, AR_ADDR), AR_ADDR])
    if name in RAW8_SUBJECT:
        subj_h = 'Subject: ' + subject
    else:
        subj_h = M.hdr_text('Subject', subject, hcs, hmode)
    date_h = 'Date: ' + format_datetime(date) + (' (CST)' if snd['tz'] == '+0800' and rng.random() < 0.3 else '')
    mid = message_id(client, rng, snd, date)
    refs = [rem['msgid']]
    if rng.random() < 0.3:
        earlier = rem_time - dt.timedelta(days=rng.choice([7, 10, 14]))
        refs.insert(0, '<dun.%s.%s@vendor.test>' % (earlier.strftime('%Y%m%d'), rid(rng, 6)))
    thread = []
    if not fwd:
        thread.append('In-Reply-To: ' + rem['msgid'])
        thread.append(M.fold_words('References', refs))
    elif rng.random() < 0.5:
        thread.append(M.fold_words('References', refs))
    if auto and o.get('ar') is None and rng.random() < 0.5:
        thread = [t for t in thread if not t.startswith('References')]

    extra = []
    if auto and o.get('ar'):
        extra = [h.format(addr=snd['addr']) for h in AR_HEADERS[o['ar']]]
    rcv = [received(rng, snd, date)] if rng.random() < 0.5 else []
    retpath = ['Return-Path: <>'] if auto and o.get('ar') in ('helpdesk', 'xauto', 'bulk') else (['Return-Path: <%s>' % snd['addr']] if rcv else [])
    cc = ['Cc: %s' % rng.choice(['accounts@%s' % snd['addr'].split('@')[1], 'finance@%s' % snd['addr'].split('@')[1]])] if (snd['kind'] == 'corp' and rng.random() < 0.15) else []
    ch = client_headers(client, rng, snd, rem['subject'])

    if client.startswith('gmail'):
        top_h = retpath + rcv + ['MIME-Version: 1.0'] + thread + [from_h, date_h, 'Message-ID: ' + mid, subj_h, to_h] + cc + extra
    elif client.startswith('outlook'):
        top_h = retpath + rcv + [from_h, to_h] + cc + [subj_h] + [h for h in ch if h.startswith('Thread')] + [date_h, 'Message-ID: ' + mid] + thread[::-1] + \
            [h for h in ch if not h.startswith('Thread')] + extra + ['MIME-Version: 1.0']
    elif client in ('qq', 'exmail', 'mobile_zh'):
        top_h = retpath + rcv + [date_h, from_h, to_h] + cc + [subj_h, 'MIME-Version: 1.0'] + ['Message-ID: ' + mid] + ch + thread + extra
    else:
        top_h = retpath + rcv + [from_h, subj_h, date_h, 'Message-ID: ' + mid] + thread + [to_h] + cc + ch + extra + ['MIME-Version: 1.0']
    raw = M.message_bytes(top_h, root)
    meta = dict(client=client, charset=cs, cte=cte, fmt=fmt, quote=(q['style'] if q else 'none') + ('-bottom' if bottom else ''),
                att=o.get('att') or '', fwd=fwd, hdr_cs='%s/%s' % (hcs, hmode), ar=o.get('ar', '') if auto else '')
    return raw, meta


def boundary(client, rng):
    if client.startswith('outlook'):
        return '_000_%s_' % rid(rng, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
    if client.startswith('gmail'):
        return '000000000000%s' % rid(rng, 16, '0123456789abcdef')
    if client in ('qq', 'exmail', 'mobile_zh'):
        return '----=_NextPart_%s_%s_%s' % (hexid(rng, 8), hexid(rng, 8), hexid(rng, 8))
    if client == 'foxmail':
        return '----=_001_NextPart%s_=----' % rid(rng, 12, '0123456789')
    if client == 'netease':
        return '----=_Part_%d_%d.%d' % (rng.randint(10000, 999999), rng.randint(100000000, 999999999), rng.randint(10**12, 10**13))
    return 'Apple-Mail=_%s-%s-%s-%s-%s' % (hexid(rng, 8), hexid(rng, 4), hexid(rng, 4), hexid(rng, 4), hexid(rng, 12))


# ------------------------------------------------------------------ main
def all_items():
    return content_en.ITEMS + content_zh.ITEMS + bounces.ITEMS


def main():
    cyc = Cycler()
    counters = {}
    rows = []
    total = 0
    for f in os.listdir(OUT):
        if f.endswith('.eml'):
            os.remove(os.path.join(OUT, f))
    manifest = []
    for item in all_items():
        key = (item['lang'], item['cls'])
        counters[key] = counters.get(key, 0) + 1
        name = '%s-%s-%03d' % (item['lang'], CLASS_SLUG[item['cls']], counters[key])
        if item['cls'] == 'bounce':
            raw, meta = bounces.build(item, name)
        else:
            raw, meta = build_reply(item, name, cyc)
        with open(os.path.join(OUT, name + '.eml'), 'wb') as fh:
            fh.write(raw)
        total += len(raw)
        notes = item['notes'].replace('\t', ' ')
        rows.append('\t'.join([name + '.eml', item['cls'], item['pd'], item['amt'], item['cur'], item['lang'], item['inv'] or '-', notes or '-']))
        meta['script'] = ('traditional' if item['opts'].get('trad') else 'simplified') if item['lang'] == 'zh' else ''
        manifest.append((name, meta))
    with open(os.path.join(OUT, 'labels.tsv'), 'w', encoding='utf-8', newline='\n') as fh:
        fh.write('file\tclass\tpromised_date\tamount\tcurrency\tlanguage\tinvoices\tnotes\n')
        fh.write('\n'.join(rows) + '\n')
    with open(os.path.join(HERE, 'manifest.tsv'), 'w', encoding='utf-8', newline='\n') as fh:
        fh.write('file\tclient\tformat\tcharset\tcte\tquote\theader_charset\tattachment\tforwarded\tauto_headers\tscript\n')
        for name, m in manifest:
            fh.write('\t'.join([name + '.eml', m.get('client', ''), m.get('fmt', ''), m.get('charset', ''), m.get('cte', ''), m.get('quote', ''),
                                m.get('hdr_cs', ''), m.get('att', ''), 'yes' if m.get('fwd') else '', m.get('ar') or '', m.get('script', '')]) + '\n')
    print('wrote %d messages, %d bytes' % (len(rows), total))


if __name__ == '__main__':
    main()
