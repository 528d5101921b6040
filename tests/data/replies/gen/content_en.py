# -*- coding: utf-8 -*-
"""Hand-written English debtor replies.  Only the debtor's own words are
here; greetings/sign-offs/signatures/quoting are added by make_corpus.py
unless the item says otherwise (greet=False / sign=False).

Date reference (November 2026): Mon 2 9 16 23 30, Tue 3 10 17 24,
Wed 4 11 18 25, Thu 5 12 19 26, Fri 6 13 20 27, Sat 7 14 21 28, Sun 1 8 15 22 29.
"""
from items import make_adder

ITEMS = []
add = make_adder(ITEMS, 'en')

# ---------------------------------------------------------------- promise_to_pay
P = 'promise_to_pay'
add(P, 19, """
    Apologies for the delay on this one. Payment will be released by Friday.
    """, pd='2026-11-20', snd='uk1')
add(P, 19, """
    We'll get INV-2026-0142 paid next Tuesday, it's in our next payment run.
    """, pd='2026-11-24', inv='INV-2026-0142', snd='us2')
add(P, 10, """
    I'll make the transfer tomorrow morning first thing.
    """, pd='2026-11-11', snd='pers1', cl='mobile')
add(P, 12, """
    Paying this today - it should reach your account by close of business.
    """, pd='2026-11-12', snd='uk2')
add(P, 16, """
    Sorry, this one slipped through the cracks while our controller was on
    leave. We will settle the outstanding balance by the end of the month.
    """, pd='2026-11-30', snd='us1')
add(P, 9, """
    Our AP team has scheduled the full £3,912.40 for payment on 30 November.
    """, pd='2026-11-30', amt='3912.40', cur='GBP', snd='uk3')
add(P, 20, """
    Thanks for the nudge. We will pay on November 27.
    """, pd='2026-11-27', snd='us3')
add(P, 18, """
    Payment for INV-2026-0387 will be made on the 25th, along with the rest of
    this month's supplier payments.
    """, pd='2026-11-25', inv='INV-2026-0387', snd='in1')
add(P, 12, """
    We're looking at Monday 16th for this - that's when our cheque run
    happens. I'll make sure yours is in the batch.
    """, pd='2026-11-16', snd='uk4')
add(P, 13, """
    We will pay £2,340.00 on 20/11/2026 via BACS.
    """, pd='2026-11-20', amt='2340.00', cur='GBP', snd='uk1', cs='iso-8859-1')
add(P, 24, """
    Hi,

    The invoice has been approved. Payment is scheduled for 2026-12-04 (we
    run supplier payments fortnightly).
    """, pd='2026-12-04', snd='se1')
add(P, 19, """
    Give us a few days, it will be paid within 3 days.
    """, pd='2026-11-22', notes='calendar days', snd='au1')
add(P, 5, """
    We do not dispute the invoice. Payment will go out Friday.
    """, pd='2026-11-06', notes='negation: "do not dispute"', snd='us4')
add(P, 3, """
    ok will pay thurs
    """, pd='2026-11-05', notes='abbreviated weekday', snd='pers1', cl='mobile', greet=False)
add(P, 23, """
    Hiya, sorry for the slow reply, I've been travelling. I'll sort it out this
    Wednesday when I'm back at my desk.
    """, pd='2026-11-25', snd='uk4')
add(P, 11, """
    The invoice has been approved and will be paid in our next payment run on
    the 15th of December. Our standard run is the 15th of each month.
    """, pd='2026-12-15', snd='de1')
add(P, 17, """
    Please don't stop the service - we will transfer the full USD 8,120.50 by
    Thursday. Our bank had a systems outage last week which held everything up.
    """, pd='2026-11-19', amt='8120.50', cur='USD',
    notes='negation: "don\'t stop the service" is not an opt-out', snd='us2')
add(P, 6, """
    Will pay Monday.
    """, pd='2026-11-09', snd='uk2', cl='mobile', greet=False)
add(P, 26, """
    I have raised the payment request with treasury. It'll be paid by 1st Dec at
    the latest.
    """, pd='2026-12-01', snd='in2')
add(P, 2, """
    Hi, noted with thanks. Will arrange payment by this Fri lah, our boss need to
    sign the cheque first.
    """, pd='2026-11-06', notes='Singapore English', snd='sg1')
add(P, 4, """
    Dear Sir,

    Please be informed that we will settle the captioned invoice by 10 Nov.

    Thanks & regards
    """, pd='2026-11-10', notes='HK English', snd='hk1', sign=False)
add(P, 25, """
    We'll get the €960.00 paid by the end of this week.
    """, pd='2026-11-27', amt='960.00', cur='EUR', notes='"end of this week" taken as Friday', snd='ie1')
add(P, 9, """
    We'll send $1,500.00 tomorrow and the remaining $1,200.00 on Friday.
    """, pd='2026-11-10', amt='1500.00', cur='USD',
    notes='split payment promise (not hardship): 1500.00 on 2026-11-10, 1200.00 on 2026-11-13; promised_date/amount = first instalment; bare $ from US sender', snd='us1', partial=True)
add(P, 16, """
    I promise it'll be paid by Friday. Really sorry about this - our bookkeeper
    has been off sick and nothing has gone out for two weeks.
    """, pd='2026-11-20', snd='pers2')
add(P, 20, """
    We pay suppliers on the last working day of the month, so you'll have it on
    the 30th.
    """, pd='2026-11-30', snd='uk3')
add(P, 10, """
    I can confirm that INV-2026-0199 and INV-2026-0203 are both approved and
    will be paid on 03/12.
    """, inv='INV-2026-0199,INV-2026-0203',
    notes='ambiguous numeric date 03/12 (3 Dec or 12 Mar)', snd='au1')
add(P, 19, """
    Understood - we will pay by the deadline in your email.
    """, pd='2026-11-30', notes='date only resolvable from the quoted reminder ("pay by 30 November 2026")', snd='us4', q='force')
add(P, 12, """
    Payment has been authorised and will be released within 5 business days.
    """, pd='2026-11-19', notes='5 business days from Thu 12 Nov (Mon-Fri)', snd='uk2')
add(P, 5, """
    sory for teh delay, we wil pay tommorow
    """, pd='2026-11-06', notes='typos', snd='us1', cl='mobile')
add(P, 24, """
    The transfer is going out on Thursday 26 November.
    """, pd='2026-11-26', snd='ie1')
add(P, 18, """
    Our finance director signed the batch off this morning. You should see the
    funds early next week.
    """, notes='vague date ("early next week")', snd='se1')
add(P, 27, """
    Banks are closed for the weekend by the time this clears, so we'll pay you
    next Monday, the 30th.
    """, pd='2026-11-30', snd='au1')
add(P, 3, """
    Noted. Will do the payment of USD 2,150 before 7 December.
    """, pd='2026-12-07', amt='2150.00', cur='USD', snd='in1')
add(P, 13, """
    Dear Accounts Receivable,

    Please be advised that payment of EUR 3,450.00 will be effected on
    18 November 2026 by SEPA credit transfer.

    Yours faithfully,
    """, pd='2026-11-18', amt='3450.00', cur='EUR', snd='de1', sign=False)
add(P, 20, """
    Hey, I get paid on the 28th and I'll pay you straight away then. Sorry it's
    taken so long.
    """, pd='2026-11-28', snd='pers2')
add(P, 23, """
    Thanks, we'll arrange payment asap.
    """, notes='no date given', snd='sg2')
add(P, 17, """
    We are not refusing to pay - the payment goes out tomorrow, we were just
    waiting on the bank to lift a hold on the account.
    """, pd='2026-11-18', notes='negation: "not refusing to pay"', snd='us3')
add(P, 11, """
    Hi Acme team,

    I've checked with our accounts team and INV-2026-0264 is approved. It will
    be paid in Friday's payment run - please look out for it next week, it
    normally takes 2 days to clear.
    """, pd='2026-11-13', inv='INV-2026-0264', notes='payment date Fri 13; arrival later', snd='uk1', fwd=True)
add(P, 26, """
    Sorry for the late response. I got approval from my manager just now, will
    process the payment of HK$15,600 on Monday.
    """, pd='2026-11-30', amt='15600.00', cur='HKD', snd='hk2')

# ---------------------------------------------------------------- dispute
D = 'dispute'
add(D, 12, """
    The amount on INV-2026-0231 is wrong. We agreed £1,800 for the job, not
    £2,100. Please issue a corrected invoice and we'll pay it straight away.
    """, inv='INV-2026-0231', notes='amount disputed; payment conditional on corrected invoice; non-ASCII subject', snd='uk4', cs='windows-1252', subjx=' \u2013 wrong amount', ramt=(2100.00, 'GBP'))
add(D, 4, """
    We never received the goods on this invoice. Our warehouse has no record of
    the delivery and there's no signed POD. Please check with your courier
    before chasing us.
    """, snd='us4')
add(D, 17, """
    This is a duplicate of INV-2026-0150, which we paid in October. Same PO,
    same quantities. Please cancel it.
    """, inv='INV-2026-0150', notes='duplicate invoice claim (not "paid": the reminded invoice itself was not paid)', snd='uk2')
add(D, 9, """
    Half of the shipment arrived damaged - photos attached. We won't be paying
    until this is sorted out.
    """, att='jpg', snd='au1')
add(D, 23, """
    The hourly rate on this invoice doesn't match our contract. We signed at
    USD 85/hr and you've charged 95. Please re-issue at the contracted rate.
    """, snd='us2')
add(D, 6, """
    We cancelled this subscription back in August (see our email of 14 Aug to
    your sales team). We should not have been invoiced for October at all.
    """, snd='se1')
add(D, 19, """
    Your technician never turned up on 3 October, so we won't be paying the
    call-out charge.
    """, snd='uk3')
add(D, 10, """
    This has been raised against the wrong entity. It should be billed to
    Lion Peak Holdings Pte Ltd, not Lion Peak Pte Ltd. Our system cannot accept
    the invoice as it stands.
    """, notes='billed to wrong legal entity', snd='sg1')
add(D, 16, """
    This invoice is not overdue. Our agreed terms are 60 days from receipt of
    invoice, so it falls due on 14 December.
    """, notes='disputes the due date, not the debt', snd='de1')
add(D, 25, """
    VAT has been charged at 20% but these services were supplied to our Dublin
    office and should be reverse charged. Please credit and reissue.
    """, snd='ie1')
add(D, 13, """
    We were promised a credit note for the returned items back in September and
    it still hasn't arrived. Once the credit note is issued we will pay the
    balance.
    """, notes='conditional promise depending on a vendor credit note -> dispute', snd='uk1')
add(D, 5, """
    Not paying this. The work was substandard and you know it.
    """, snd='pers1', cl='mobile', greet=False)
add(D, 20, """
    We've raised a query with your sales rep, Tom Fielding, about the pricing on
    this order. Please put the account on hold until he comes back to us.
    """, snd='us3')
add(D, 3, """
    The PO number on the invoice (PO-55102) doesn't match anything in our
    system, so it's been rejected. We have no order with that reference.
    """, snd='in2')
add(D, 24, """
    We don't recognise this charge at all - nobody here ordered 40 licences.
    Please send proof of the order before you chase this again.
    """, snd='us1')
add(D, 11, """
    Hi, the qty billed is 120 pcs but we only received 100 pcs. Pls revise the
    inv accordingly. Thks
    """, notes='Singapore English', snd='sg2')
add(D, 18, """
    I'm contesting this. The $75 late fee on INV-2026-0318 was added without
    notice and isn't in our agreement.
    """, inv='INV-2026-0318', snd='us2')
add(D, 26, """
    We have disputed this with you twice already. The project was terminated
    for cause in September and no further fees are payable under the contract.
    Please refer to our solicitor's letter of 2 October.
    """, snd='uk2')
add(D, 2, """
    Dear Sirs,

    We refer to your reminder regarding the above invoice.

    The deliverables under Statement of Work 4 have not been accepted. Our
    acceptance testing identified eleven defects, three of them critical, which
    were reported to your project manager on 21 October. Pursuant to clause 8.2
    of the Master Services Agreement we are withholding payment of the milestone
    until the defects have been remedied and the deliverables re-submitted for
    acceptance.

    We remain willing to meet to discuss a remediation timetable.

    Yours faithfully,
    """, notes='formal letter, withholding payment', snd='uk3', sign=False)
add(D, 27, """
    You've billed us for November but we gave notice to terminate on 31 October.
    Please cancel INV-2026-0492.
    """, inv='INV-2026-0492', snd='au1')
add(D, 16, """
    The shipment was short by 2 pallets. We'll pay for what we actually
    received ($3,200) but not the full invoice.
    """, amt='3200.00', cur='USD', notes='partial acceptance; offers to pay undisputed portion; bare $ from US sender', snd='us4', partial=True)

# ---------------------------------------------------------------- hardship
H = 'hardship'
add(H, 19, """
    We're going through a really tough period and can't pay the full amount right
    now. Could we pay $500 a month until it's cleared?
    """, amt='500.00', cur='USD', notes='instalment request', snd='us1', partial=True)
add(H, 12, """
    I want to be clear that we are not refusing to pay, but we can't afford it
    at the moment. Business has been very slow since the flood in September.
    """, notes='negation: "not refusing to pay"', snd='au1')
add(H, 24, """
    Is there any chance of a payment plan? I could do £250 a month starting
    1 December.
    """, pd='2026-12-01', amt='250.00', cur='GBP', notes='instalment plan; first instalment date', snd='pers1', partial=True)
add(H, 4, """
    Cash flow is very tight this quarter - one of our largest customers went into
    administration owing us a lot of money. Would you be able to give us an extra
    60 days on this?
    """, notes='extension request', snd='uk2')
add(H, 17, """
    I was made redundant in October and I'm struggling to keep up with bills. I
    will pay what I owe but I need to spread it out over a few months.
    """, snd='pers2')
add(H, 10, """
    Would it be ok if we paid half now and the other half in January? Things are
    a bit difficult for us at the moment.
    """, notes='split payment request with difficulty -> hardship; amount not stated', snd='ie1')
add(H, 9, """
    Please note that the company entered voluntary administration on 2 November.
    All creditor correspondence should be directed to the joint administrators,
    Harcourt & Lyle LLP, quoting reference HL/4471.
    """, notes='insolvency; administrator contact given (labelled hardship, not wrong_contact)', snd='uk3')
add(H, 23, """
    Could we split INV-2026-0412 into three instalments? We are waiting on a large
    receivable from a government client which is running late.
    """, inv='INV-2026-0412', snd='de1')
add(H, 18, """
    I'm a sole trader and I've been in hospital for three weeks, so no money has
    been coming in. Could I pay this in two parts, the first $800 on the 30th?
    """, pd='2026-11-30', amt='800.00', cur='USD', notes='two-part plan; first instalment', snd='us3', partial=True)
add(H, 26, """
    We'd like to propose weekly payments of AUD 300 until the account is
    cleared, starting this Friday.
    """, pd='2026-11-27', amt='300.00', cur='AUD', notes='weekly instalments', snd='au1', partial=True)
add(H, 20, """
    Honestly we just don't have the money right now. Please give us until after
    Christmas and we will clear it in full.
    """, notes='extension request, vague date', snd='us1')
add(H, 13, """
    Boss, business very bad this year. Can give us instalment or not? Can pay
    S$1,000 every month.
    """, amt='1000.00', cur='SGD', notes='Singapore English; monthly instalment', snd='sg2', partial=True)
add(H, 5, """
    We are currently experiencing financial hardship owing to late payments from
    our own customers, and would like to request a payment arrangement for the
    outstanding balance.
    """, snd='in1')
add(H, 25, """
    I can pay £200 a month, it's all I can manage on my pension. I hope that's
    acceptable.
    """, amt='200.00', cur='GBP', snd='pers1', partial=True, cs='iso-8859-1')
add(H, 16, """
    Can we defer this invoice by a month? Our funding round has been delayed and
    we now expect it to close mid-December. We'll pay in full as soon as it does.
    """, notes='deferral request', snd='us2')
add(H, 3, """
    We acknowledge the debt. However our bank has frozen our overdraft facility
    pending a review, and we are unable to make any supplier payments until that
    is resolved. I will update you as soon as I know more.
    """, snd='uk2')
add(H, 27, """
    Please hold off on any further action. We have lost our biggest contract and
    I am working out what we can realistically afford each month. I'll come back
    to you with a proposal next week.
    """, snd='ie1')
add(H, 11, """
    Dear Sir/Madam,

    Due to the recent market situation our company's cash flow is very tight.
    Would you accept a monthly instalment of HK$5,000 starting from 15 Dec?

    Best Regards,
    """, pd='2026-12-15', amt='5000.00', cur='HKD', notes='HK English; first instalment date', snd='hk1', sign=False, partial=True)

# ---------------------------------------------------------------- paid
PD = 'paid'
add(PD, 19, """
    PAID
    """, snd='us4', greet=False, sign=False, q='force')
add(PD, 16, """
    We paid this on 12 November, reference FT2611120045. Please check your
    account again.
    """, notes='paid 2026-11-12', snd='uk1')
add(PD, 9, """
    Remittance advice attached.
    """, att='pdf', snd='uk3', greet=False)
add(PD, 20, """
    Already paid. Check your records.
    """, snd='pers1', cl='mobile', greet=False)
add(PD, 18, """
    This was settled by BACS on Monday - £1,240.00 from our Barclays account.
    """, amt='1240.00', cur='GBP', notes='paid Mon 16 Nov', snd='uk2')
add(PD, 11, """
    Payment of USD 4,250.00 was wired on Nov 9. Please find the MT103 attached.
    """, amt='4250.00', cur='USD', att='pdf', notes='paid 2026-11-09', snd='us2')
add(PD, 13, """
    I sent a cheque in the post last week, you should have it by now.
    """, notes='cheque posted; labelled paid', snd='uk4')
add(PD, 24, """
    Hi there,

    This has been paid in full together with INV-2026-0311. The funds left our
    account yesterday.
    """, inv='INV-2026-0311', snd='ie1', fwd=True)
add(PD, 5, """
    I paid this by credit card on your portal this morning. Confirmation number
    A7731-2290.
    """, snd='pers2')
add(PD, 26, """
    We've already transferred the money, please stop sending reminders.
    """, notes='also asks to stop reminders; paid takes precedence', snd='au1')
add(PD, 10, """
    This invoice was paid on 2 November. Remittance below:

      Invoice            Amount
      INV-2026-0142      4,250.00
      INV-2026-0150      1,100.00
      Total (USD)        5,350.00

    Payment reference: ACH 0211-88731
    """, amt='5350.00', cur='USD', inv='INV-2026-0142,INV-2026-0150', notes='remittance table; amount is the total', snd='us4', sinv='INV-2026-0142', ramt=(4250.00, 'USD'))
add(PD, 3, """
    Our records show this was paid on 28/10/2026 under payment reference
    100045821. Could you please recheck?
    """, notes='paid 2026-10-28', snd='in1')
add(PD, 12, """
    Hi, the payment went through today. Could you please confirm receipt?
    """, snd='sg1')
add(PD, 17, """
    We settled this one WEEKS ago!!
    """, snd='us1', greet=False)
add(PD, 11, """
    Hi, already make payment on 10 Nov via PayNow. Pls check. Thks
    """, notes='Singapore English', snd='sg2')
add(PD, 6, """
    Dear Sir,

    Please be informed that we have arranged the payment by cheque no. 004512
    on 5 Nov. Kindly check and confirm.

    Regards,
    """, notes='HK English; cheque', snd='hk2', sign=False)
add(PD, 9, """
    Payment was made by ACH on Nov 4, trace number 021000021234567.
    """, snd='us3')
add(PD, 23, """
    I don't owe you anything. I paid INV-2026-0188 in full on 1 October - bank
    statement attached.
    """, inv='INV-2026-0188', att='pdf', notes='"don\'t owe" but substance is already paid', snd='pers2')
add(PD, 19, """
    We paid this yesterday, sorry it was late. Please update your records.
    """, snd='de1')
add(PD, 18, """
    The funds (EUR 2,980.00) were sent on 16/11 from our Deutsche Bank account.
    """, amt='2980.00', cur='EUR', snd='se1')
add(PD, 13, """
    Settled. Ref: INV-2026-0507 / 13-Nov / USD 760.00
    """, amt='760.00', cur='USD', inv='INV-2026-0507', snd='in2', greet=False)
add(PD, 9, """
    Paid on 3 November by BACS, our ref KLL-0311. Please check again.
    """, snd='uk2', cl='thunderbird', q='inline', greet=False,
    notes='inline reply: the debtor\'s line sits inside the quoted reminder, right under the "reply PAID" bullet')
add(PD, 25, """
    Paid in full on Monday. Please do not send any further reminders for this
    invoice.
    """, notes='also asks to stop reminders; paid takes precedence', snd='uk3')

# ---------------------------------------------------------------- opt_out
O = 'opt_out'
add(O, 12, "STOP", snd='us1', greet=False, sign=False, q='force')
add(O, 18, "Unsubscribe", snd='pers2', greet=False, sign=False)
add(O, 4, """
    Please remove me from your mailing list.
    """, snd='uk2')
add(O, 20, """
    Stop emailing me.
    """, snd='pers1', greet=False)
add(O, 9, """
    Please stop sending these automated emails. Any further correspondence about
    this account should be sent by post to our registered office.
    """, snd='uk3')
add(O, 24, """
    I do not wish to receive any further emails from you. Take me off your list.
    """, snd='us3')
add(O, 16, "stop", snd='pers2', cl='mobile', greet=False, sign=False)
add(O, 2, "Opt out.", snd='in2', greet=False, sign=False)
add(O, 26, """
    Do not contact me by email again. This is my final request.
    """, snd='au1')
add(O, 13, """
    UNSUBSCRIBE ME. I HAVE ASKED THREE TIMES NOW.
    """, snd='us1', greet=False)
add(O, 6, """
    Please cease all email communication to this address. I am withdrawing
    consent for you to contact me by email under GDPR.
    """, snd='ie1')

# ---------------------------------------------------------------- wrong_contact
W = 'wrong_contact'
add(W, 10, """
    I left the company in June. Please update your records.
    """, snd='pers2')
add(W, 17, """
    I'm not the right person for this - please contact our accounts payable team
    at ap@kestrel-logistics.test.
    """, snd='uk2')
add(W, 3, """
    Sarah Jones no longer works here. Please send invoices and statements to
    finance@buyer.test instead.
    """, snd='us2')
add(W, 24, """
    You've got the wrong email address. I'm not associated with this company in
    any way.
    """, snd='pers1')
add(W, 12, """
    Wrong person, I'm in marketing! I've forwarded this to Priya in finance
    (priya.n@northwind-traders.test), please use her address going forward.
    """, snd='in2')
add(W, 19, """
    This is my personal email address, please don't use it for company matters.
    Send anything for the business to accounts@brennanplumbing.test.
    """, notes='redirects, not an opt-out', snd='us1')
add(W, 5, """
    We are not your customer. I think you have us mixed up with Wattle Designs
    Group in Brisbane, which is a different company.
    """, notes='wrong company', snd='au1')
add(W, 25, """
    I retired at the end of September. Mike Chen (mike.chen@midwest-fab.test) has
    taken over the supplier accounts.
    """, snd='us4')
add(W, 16, """
    Please note our AP inbox has changed to invoices@rheinwerk-group.test. This
    address is no longer monitored.
    """, notes='human reply (not an auto-reply)', snd='de1')
add(W, 20, """
    Not me mate, never heard of Acme Vendor.
    """, snd='pers1', cl='mobile', greet=False)
add(W, 9, """
    Kindly note that I have been transferred to another department. Please liaise
    with Ms. Tan at tan.ml@lionpeak.test for all payment matters.
    """, snd='sg1')

# ---------------------------------------------------------------- invoice_request
I = 'invoice_request'
add(I, 11, """
    Could you please resend the invoice? I can't find it anywhere in our system.
    """, snd='uk1')
add(I, 19, """
    Please send a copy of the PDF - the link in your email doesn't work for me.
    """, snd='us2')
add(I, 4, """
    We never received this invoice. Can you email it to ap@sunbeltfoods.test so
    it gets logged?
    """, snd='us3')
add(I, 23, """
    Can you send me a statement of account showing all the open items please?
    """, notes='statement request', snd='uk2')
add(I, 13, """
    Please resend INV-2026-0278 with our PO number 4500123 on it, otherwise our
    system can't process it.
    """, inv='INV-2026-0278', notes='copy with PO number requested', snd='de1')
add(I, 6, """
    All our supplier invoices must be submitted through the Coupa portal. Please
    upload it there and we'll pick it up.
    """, notes='portal submission requested', snd='us4')
add(I, 26, """
    Hi, can you send over the original invoice and the delivery note please?
    """, snd='au1')
add(I, 17, "need copy inv pls", snd='pers1', cl='mobile', greet=False)
add(I, 2, """
    Would you mind re-sending the invoice as a PDF attachment? Our mail gateway
    strips links from external senders.
    """, snd='se1')
add(I, 24, """
    Please provide a tax invoice showing our GST registration number so that we
    can process payment.
    """, snd='sg1')
add(I, 10, """
    Could you send copies of INV-2026-0301, INV-2026-0302 and INV-2026-0305? Our
    auditors need them this week.
    """, inv='INV-2026-0301,INV-2026-0302,INV-2026-0305', snd='ie1', sinv='INV-2026-0301')
add(I, 18, """
    I need a copy of the invoice and the signed timesheets before I can approve
    this for payment.
    """, snd='us1')
add(I, 27, """
    Kindly re-send the soft copy of the invoice to our accounts department.
    Thank you.
    """, notes='HK English', snd='hk1')

# ---------------------------------------------------------------- unknown
U = 'unknown'
add(U, 18, "Who is this?", snd='pers2', greet=False)
add(U, 11, "Thanks.", snd='uk1', greet=False)
add(U, 24, """
    What is this invoice for? I don't remember buying anything from you.
    """, notes='question; could be read as a weak dispute', snd='pers1')
add(U, 5, """
    Received, I'll pass this on to our finance team.
    """, notes='forwarded internally, no commitment', snd='uk2')
add(U, 19, """
    Can you give me a call on 0412 555 019? Easier to discuss by phone.
    """, snd='au1')
add(U, 13, """
    Could you confirm your bank details? We've moved to a new payments system and
    need to set you up again.
    """, snd='us4')
add(U, 18, """
    We'll pay INV-2026-0410 on Friday, but INV-2026-0415 is wrong - we never
    received those parts.
    """, inv='INV-2026-0410,INV-2026-0415', notes='mixed: promise (INV-2026-0410, Fri 2026-11-20) plus dispute (INV-2026-0415)', snd='us3', sinv='INV-2026-0410')
add(U, 9, """
    Is this a scam? I have never had an account with your company.
    """, notes='could be read as wrong_contact', snd='pers2')
add(U, 16, "ok", snd='us1', cl='mobile', greet=False, sign=False)
add(U, 25, "Noted with thanks.", snd='sg2', greet=False)
add(U, 3, """
    Will check and revert.
    """, notes='no commitment', snd='in1', greet=False)
add(U, 27, """
    Let me look into this and get back to you next week.
    """, notes='no commitment; "next week" is not a payment date', snd='uk3')
add(U, 12, """
    What's your policy on late fees? I can't see anything about it on your
    website.
    """, snd='us2')
add(U, 6, """
    Do you offer a discount for paying early? We might be able to bring some
    payments forward.
    """, snd='ie1')
add(U, 23, """
    We'll pay once our director approves it.
    """, notes='conditional on internal approval, no date', snd='hk2')
add(U, 17, "\U0001F44D", snd='pers1', cl='mobile', greet=False, sign=False, notes='emoji only')

# ---------------------------------------------------------------- auto_reply
# ar = auto-reply header set (see make_corpus.AR_HEADERS); None = no headers.
# arsubj = subject prefix put before the original subject.
A = 'auto_reply'
add(A, 13, """
    Thank you for your email. I am out of the office until Monday 23 November
    with limited access to email. For anything urgent please contact
    accounts@buyer.test.
    """, ar='exchange', arsubj='Automatic reply: ', snd='uk1', notes='return date in text is not a promise')
add(A, 19, """
    I'm on annual leave, returning on 1 December. If your query is urgent please
    call the office on +44 113 496 0000.
    """, ar='exchange', arsubj='Out of Office: ', snd='uk2')
add(A, 6, """
    Hi, thanks for getting in touch. I'm travelling this week and will reply when
    I'm back on the 16th.
    """, ar='gmail', arsubj='', snd='pers2', notes='Gmail vacation responder; subject unchanged "Re:"')
add(A, 24, """
    Thank you for your email. I am currently out of the office and will return on
    30/11/2026. I will respond to your message as soon as possible on my return.
    """, ar=None, snd='us2', notes='no auto-reply headers; only the wording tells')
add(A, 10, """
    Thank you for contacting Midwest Fabrication Accounts Payable.

    Your message has been received and logged under reference AP-448812. Our team
    aims to respond to all supplier enquiries within 5 working days. Please do not
    reply to this message.

    For payment status enquiries please have your invoice number and PO number to
    hand.
    """, ar='helpdesk', arsubj='[AP-448812] ', snd='us4', notes='ticketing acknowledgement')
add(A, 18, """
    I am on maternity leave until April 2027. For accounts matters please contact
    Emma Clarke (emma.clarke@hollins-joinery.test).
    """, ar=None, arsubj='', snd='uk3', notes='no headers')
add(A, 20, """
    This mailbox is no longer monitored. Please send all invoices and payment
    queries to invoices@rheinwerk-group.test.
    """, ar='exchange', arsubj='Automatic reply: ', snd='de1', notes='auto-reply whose content is a redirect; auto_reply wins')
add(A, 11, """
    I am attending a conference and will be back in the office on 16 November.
    Responses will be delayed.
    """, ar='precedence', arsubj='Out of office: ', snd='se1')
add(A, 16, """
    Thank you for your message.

    Please note that payment queries are handled by our shared services centre.
    Invoices must be sent to invoices@sunbeltfoods.test quoting a valid PO number;
    invoices without a PO will be returned unpaid. For remittance enquiries
    please email payments@sunbeltfoods.test.

    This is an automated response.
    """, ar='exchange', arsubj='Automatic reply: ', snd='us3', notes='auto-reply mentioning payment/invoices')
add(A, 17, """
    Ich bin bis einschließlich 20.11.2026 nicht im Büro. In dringenden Fällen
    wenden Sie sich bitte an buchhaltung@rheinwerk.test.

    I am out of the office until 20 November 2026 inclusive. For urgent matters
    please contact buchhaltung@rheinwerk.test.
    """, ar='precedence', arsubj='Abwesenheitsnotiz: ', snd='de1', cs='iso-8859-1', notes='German/English bilingual')
add(A, 9, """
    Our office is closed today for a public holiday and will reopen on Tuesday
    10 November. We will attend to your email then.
    """, ar='xauto', arsubj='Auto reply: ', snd='sg1')
add(A, 16, """
    I will be out of the office starting 11/16/2026 and will not return until
    11/20/2026.

    I will respond to your message when I return.
    """, ar='notes', arsubj='Auto: ', snd='us1', notes='Lotus Notes style')
add(A, 21, """
    I'm away until the 25th with no access to email. I'll reply when I get back.
    """, ar=None, snd='au1', notes='no headers, Saturday')
add(A, 23, """
    Thanks for your message. Our finance team is working reduced hours this week
    and replies may take up to 3 business days.
    """, ar='xauto', arsubj='Autoreply: ', snd='ie1')
add(A, 4, """
    I am currently out of the office with limited access to email and will
    respond to your message on my return on Monday.

    Kind regards,
    Priya Raman
    """, ar='bulk', arsubj='Out of Office AutoReply: ', snd='in1', sign=False, greet=False)
