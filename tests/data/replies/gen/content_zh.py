# -*- coding: utf-8 -*-
"""Hand-written Chinese debtor replies (simplified; trad=True marks
traditional Chinese).  Only the debtor's own words are here.

Date reference (November 2026): 一 2 9 16 23 30, 二 3 10 17 24,
三 4 11 18 25, 四 5 12 19 26, 五 6 13 20 27, 六 7 14 21 28, 日 1 8 15 22 29.
下周X = weekday X of the following Monday-based calendar week.
"""
from items import make_adder

ITEMS = []
add = make_adder(ITEMS, 'zh')

# ---------------------------------------------------------------- promise_to_pay
P = 'promise_to_pay'
add(P, 19, """
    您好，这笔款我们本周五安排支付，请留意查收。
    """, pd='2026-11-20', snd='cn1')
add(P, 19, """
    下周一付款，谢谢！
    """, pd='2026-11-23', snd='cn5', cl='mobile_zh')
add(P, 18, """
    您好，款項將於下週三匯出，屆時請查收。
    """, pd='2026-11-25', trad=True, snd='tw1')
add(P, 10, """
    明天上午打款。
    """, pd='2026-11-11', snd='cn7', cl='mobile_zh')
add(P, 12, """
    今天下午财务会把这笔款付掉，请注意查收。
    """, pd='2026-11-12', snd='cn2')
add(P, 16, """
    不好意思拖了这么久，我们月底前一定付清。
    """, pd='2026-11-30', snd='cn9')
add(P, 9, """
    付款申请已经走完审批流程了，定在11月30日付款。
    """, pd='2026-11-30', snd='cn6')
add(P, 20, """
    发票INV-2026-0433的款项预计2026年12月5日支付。
    """, pd='2026-12-05', inv='INV-2026-0433', snd='cn3')
add(P, 19, """
    三天内付款。
    """, pd='2026-11-22', snd='cn10', greet=False)
add(P, 24, """
    您好，我司每月15号统一付款，这张发票已经排进下一个付款日了。
    """, pd='2026-12-15', notes='每月15号 -> next 15th', snd='cn4')
add(P, 5, """
    我们对发票没有异议，下周一付款。
    """, pd='2026-11-09', notes='negation: 没有异议', snd='cn1')
add(P, 11, """
    老板已经签字了，这周五之前付。
    """, pd='2026-11-13', snd='cn8')
add(P, 3, """
    好的，后天付款。
    """, pd='2026-11-05', notes='后天 = day after tomorrow', snd='cn5')
add(P, 23, """
    不好意思，上周一直在出差没看到邮件。这周四把钱转过去。
    """, pd='2026-11-26', snd='cn6')
add(P, 13, """
    款已经在走流程了，预计下周二可以付出，金额38,600元。
    """, pd='2026-11-17', amt='38600.00', cur='CNY', snd='cn2')
add(P, 25, """
    11月27日前付。
    """, pd='2026-11-27', snd='cn10', greet=False)
add(P, 17, """
    请不要停止供货！我们明天就把人民币12,500元汇过去。
    """, pd='2026-11-18', amt='12500.00', cur='CNY', notes='negation: 不要停止供货 is not an opt-out', snd='cn9')
add(P, 6, """
    下週三一定付。
    """, pd='2026-11-11', trad=True, snd='hk3', cl='mobile_zh')
add(P, 2, """
    本月20号付款，金额¥9,870.00。
    """, pd='2026-11-20', amt='9870.00', cur='CNY', snd='cn4')
add(P, 26, """
    这个月底我们先付一部分，剩下的12月10日前全部付清。
    """, pd='2026-11-30', notes='two-step promise (part by 11-30, rest by 12-10); promised_date = first', snd='cn3')
add(P, 9, """
    您好，我們會在本週五前安排付款，謝謝。
    """, pd='2026-11-13', trad=True, snd='hk3')
add(P, 12, """
    收到，下个礼拜一付款。
    """, pd='2026-11-16', notes='礼拜 = 周', snd='cn7')
add(P, 4, """
    这笔8.6万的货款我们11号付。
    """, pd='2026-11-11', amt='86000.00', cur='CNY', notes='amount written as 8.6万 (= 86,000); CNY from context', snd='cn8')
add(P, 20, """
    Hi, 这个invoice我们下周二pay，thanks
    """, pd='2026-11-24', notes='mixed Chinese/English', snd='cn5', cl='mobile_zh', greet=False)
add(P, 16, """
    款项将于2026-11-20支付。
    """, pd='2026-11-20', snd='cn6')
add(P, 18, """
    这周内付款，不好意思。
    """, pd='2026-11-20', notes='这周内 taken as Friday (last working day)', snd='cn2')
add(P, 10, """
    款項NT$36,500已安排，預計11月13日匯出。
    """, pd='2026-11-13', amt='36500.00', cur='TWD', trad=True, snd='tw2')
add(P, 24, """
    我们会在12月1日前付清全部款项 RMB 6,800.00。
    """, pd='2026-12-01', amt='6800.00', cur='CNY', snd='cn1')
add(P, 3, """
    收到提醒了，我们会尽快安排付款。
    """, notes='no date given', snd='cn9')
add(P, 19, """
    您好！财务说周五下午付，到时候把水单发给您。
    """, pd='2026-11-20', snd='cn10')
add(P, 13, """
    下周五前付清。
    """, pd='2026-11-20', snd='cn3', greet=False)
add(P, 5, """
    我们不是不付，明天就付，请别再催了。
    """, pd='2026-11-06', notes='negation: 不是不付; 别再催 is not an opt-out', snd='cn7')
add(P, 23, """
    此筆帳單將於月底前付款，請見諒。
    """, pd='2026-11-30', trad=True, snd='tw1')
add(P, 17, """
    我们一般是开票后60天付款，这张发票会在12月18日付。
    """, pd='2026-12-18', notes='states own terms but commits to a date; no disagreement -> promise', snd='cn6')
add(P, 11, """
    今天已经提交银行了，预计两天后到账。
    """, pd='2026-11-13', notes='arrival date (到账) two days later', snd='cn4')
add(P, 27, """
    今天银行已经下班了，下周一付款。
    """, pd='2026-11-30', snd='cn8')
add(P, 20, """
    付款日期：03/12
    """, notes='ambiguous numeric date 03/12', snd='cn2', greet=False)
add(P, 14, """
    今天上午已经付了12,000元，剩下的下周三付清。
    """, pd='2026-11-18', amt='-', notes='partial already paid (12000.00 CNY); remainder promised -> promise_to_pay for the open balance', snd='cn9')
add(P, 9, """
    好的，收到。这个发票INV-2026-0359我们安排在11月25日付款。
    """, pd='2026-11-25', inv='INV-2026-0359', snd='cn3', fwd=True)

# ---------------------------------------------------------------- dispute
D = 'dispute'
add(D, 12, """
    发票金额不对。合同价是每吨3,200元，你们是按3,500元开的，麻烦重新开票。
    """, snd='cn3')
add(D, 4, """
    货到现在都还没收到，怎么就开始催款了？
    """, snd='cn5')
add(D, 18, """
    这批货有质量问题，我们已经全部退回了，请开红字发票冲掉。
    """, notes='红字发票 = credit note', snd='cn9', fwd=True)
add(D, 23, """
    INV-2026-0276 和 INV-2026-0251 是重复开票，同一批货开了两次，请核实。
    """, inv='INV-2026-0276,INV-2026-0251', snd='cn2', sinv='INV-2026-0276')
add(D, 9, """
    我们对这张发票有异议：服务没有按合同完成，验收也没有通过。
    """, snd='cn6')
add(D, 16, """
    数量对不上，实际到货80箱，发票上写的是100箱。
    """, snd='cn8')
add(D, 25, """
    税率开错了，技术服务应该是6%，你们开的是13%，请作废重开。
    """, snd='cn4')
add(D, 3, """
    合同在9月份就已经终止了，10月份的服务费我们不认。
    """, snd='cn1')
add(D, 20, """
    我们从来没有下过这个订单，请提供订单或者合同。
    """, snd='cn10')
add(D, 11, """
    按合同约定是月结90天，现在还没到付款期，不存在逾期。
    """, notes='disputes due date', snd='cn3')
add(D, 17, """
    等你们把红字发票开过来，我们再付剩下的款。
    """, notes='conditional on vendor credit note -> dispute', snd='cn2')
add(D, 6, """
    发票抬头开错了，我们公司全称是“无锡锦华纺织有限公司”，不是“无锡锦华纺织品有限公司”，请重新开具。
    """, notes='wrong buyer name on invoice', snd='cn9')
add(D, 13, """
    本公司對此發票有異議。貨品於運送途中損壞，照片已附上，請貴司儘速處理。
    """, trad=True, att='jpg', snd='hk3')
add(D, 24, """
    帳單上的金額與報價單不符，報價是NT$48,000，帳單卻是NT$52,800，請重新核對。
    """, trad=True, snd='tw1', ramt=(52800.00, 'TWD'))
add(D, 19, """
    這筆款項上個月已經用退貨貨款抵扣了，不應再向我們收取。
    """, trad=True, notes='offset against returns', snd='tw2')
add(D, 10, """
    你们的工程师根本没来过，这个上门服务费我们不会付。
    """, snd='cn7')
add(D, 26, """
    运费不应该由我们承担，合同上写的是CIF条款。
    """, snd='cn4')
add(D, 5, """
    价格没有按我们谈好的折扣算，少了5%的年度返点，请修改后再发过来。
    """, snd='cn6')
add(D, 27, """
    这个发票我们不认可，项目到现在还没验收。
    """, snd='cn1')
add(D, 2, """
    滞纳金是怎么回事？合同里根本没有这一条，我们拒绝支付。
    """, snd='cn5')
add(D, 16, """
    货款可以付，但是退回去的那20件要扣掉，你们先出一张更正后的发票。
    """, notes='will pay only after correction -> dispute', snd='cn8')
add(D, 12, """
    这张invoice的quantity不对，我们PO是500 pcs，你们开了550，请check一下。
    """, notes='mixed Chinese/English', snd='cn2')

# ---------------------------------------------------------------- hardship
H = 'hardship'
add(H, 19, """
    最近资金比较紧张，能不能每月还2000？
    """, amt='2000.00', cur='CNY', notes='monthly instalment request', snd='cn7', partial=True)
add(H, 10, """
    公司现在经营困难，一次性付不了，可以分三期吗？
    """, snd='cn4')
add(H, 26, """
    不是不想付，实在是没钱，客户的款一直收不回来。
    """, notes='negation: 不是不想付', snd='cn5')
add(H, 4, """
    能否宽限一个月？年底回款了马上付。
    """, notes='extension request', snd='cn8')
add(H, 17, """
    我们可以先付一半18,000元，剩下的分两个月付清，您看可以吗？
    """, amt='18000.00', cur='CNY', notes='instalment offer (asks permission) -> hardship; amount = first part', snd='cn2', partial=True)
add(H, 24, """
    疫情之后生意一直不好，申请分期付款，每月15号付5,000元。
    """, pd='2026-12-15', amt='5000.00', cur='CNY', notes='instalments on the 15th; first = next 15th', snd='cn9', partial=True)
add(H, 13, """
    公司账户被冻结了，暂时无法付款，正在处理中，请再给我们一些时间。
    """, snd='cn1')
add(H, 20, """
    工厂停产了两个月，现在现金流非常紧张，能否延期到明年1月底再付？
    """, notes='extension request', snd='cn3')
add(H, 6, """
    我最近失业了，能不能每个月还500？
    """, amt='500.00', cur='CNY', notes='individual; no currency symbol, CNY from context', snd='cn7', partial=True)
add(H, 16, """
    我们公司正在申请破产重整，所有债权申报请联系管理人。
    """, notes='insolvency -> hardship', snd='cn6')
add(H, 11, """
    由於資金周轉困難，希望能分期付款，每月支付HK$3,000，請考慮。
    """, trad=True, amt='3000.00', cur='HKD', snd='hk3', partial=True)
add(H, 25, """
    目前公司營運困難，懇請貴司同意分6期償還。
    """, trad=True, snd='tw1')
add(H, 18, """
    能否先付NT$20,000，其餘下個月再付？手頭真的很緊。
    """, trad=True, amt='20000.00', cur='TWD', notes='partial + rest next month, asks permission', snd='tw2', partial=True)
add(H, 9, """
    老板说现在资金周转不开，问能不能开6个月的承兑汇票给你们。
    """, notes='asks to pay by 6-month bank acceptance bill (deferral)', snd='cn4')
add(H, 23, """
    银行贷款还没批下来，这笔钱得等到12月中旬，能不能先缓一缓？
    """, notes='deferral request', snd='cn10')
add(H, 5, """
    我们愿意还，但是现在确实困难，每周付1000行不行？
    """, amt='1000.00', cur='CNY', notes='weekly instalment', snd='cn5', partial=True)
add(H, 12, """
    年底开支太多了，这个发票能不能分两次付？第一次12月10日付一半。
    """, pd='2026-12-10', notes='two instalments; first date given', snd='cn8')
add(H, 27, """
    实在抱歉，公司刚裁员，资金很紧张，请给我们一点时间，下个月开始每月还3000元。
    """, amt='3000.00', cur='CNY', snd='cn3', partial=True)

# ---------------------------------------------------------------- paid
PD = 'paid'
add(PD, 19, "已付款", snd='cn5', greet=False, sign=False, q='force')
add(PD, 12, """
    款已经汇出了，请查收。
    """, snd='cn1')
add(PD, 13, """
    11月10日已付款，水单见附件。
    """, att='jpg', snd='cn2')
add(PD, 20, """
    这笔上周就付了，你们查一下账。
    """, snd='cn7')
add(PD, 9, """
    已于2026年11月6日通过网银转账¥38,600.00，请核对。
    """, amt='38600.00', cur='CNY', snd='cn3')
add(PD, 17, """
    已经转账了，银行回单在附件里，麻烦确认一下收款。
    """, att='pdf', snd='cn6')
add(PD, 24, """
    付过了！别再发了
    """, notes='also asks to stop; paid takes precedence', snd='cn5', cl='mobile_zh', greet=False)
add(PD, 16, """
    INV-2026-0350已结清，付款流水号2026111200318。
    """, inv='INV-2026-0350', snd='cn4')
add(PD, 10, """
    款項已匯出，請查收。
    """, trad=True, snd='hk3')
add(PD, 18, """
    我們已於11月12日匯款，匯款單如附件。
    """, trad=True, att='jpg', snd='tw1')
add(PD, 3, """
    此發票已於上月底付清，請更新貴司記錄。
    """, trad=True, snd='tw2')
add(PD, 25, """
    款項已以支票支付，支票號碼558812。
    """, trad=True, snd='hk3')
add(PD, 5, """
    早就付了，10月28号付的，你们财务没对账吗？
    """, snd='cn9')
add(PD, 23, """
    已经用支付宝付过了。
    """, snd='cn7', cl='mobile_zh')
add(PD, 11, """
    我们已经通过银行承兑汇票支付了，汇票已于昨天快递寄出，请注意查收。
    """, notes='paid by bank acceptance bill', snd='cn8')
add(PD, 26, """
    钱已经打到你们对公账户了，金额5,600元，请确认。
    """, amt='5600.00', cur='CNY', snd='cn10')
add(PD, 4, """
    Hi，这张invoice已经paid了，附件是bank slip。
    """, att='jpg', notes='mixed Chinese/English', snd='cn2')
add(PD, 27, "已付清。", snd='cn1', greet=False)
add(PD, 6, """
    发票INV-2026-0172、INV-2026-0180两张已于本月3号一起付款，共计¥21,450.00。
    """, amt='21450.00', cur='CNY', inv='INV-2026-0172,INV-2026-0180', snd='cn3', sinv='INV-2026-0172', ramt=(12300.00, 'CNY'))
add(PD, 5, """
    这笔款我们11月2号已经付了，可能银行还在途，麻烦再等两天。
    """, snd='cn6')
add(PD, 20, "PAID 已付", snd='cn4', greet=False, sign=False)

# ---------------------------------------------------------------- opt_out
O = 'opt_out'
add(O, 12, "退订", snd='cn5', greet=False, sign=False, q='force')
add(O, 18, "TD", notes='SMS-style 退订 code', snd='cn7', cl='mobile_zh', greet=False, sign=False)
add(O, 4, """
    请不要再给我发邮件了。
    """, snd='cn1')
add(O, 24, "取消订阅", snd='cn9', greet=False, sign=False)
add(O, 9, """
    别再发了，烦不烦。
    """, snd='cn5', greet=False)
add(O, 20, """
    请将我的邮箱从你们的邮件列表中移除。
    """, snd='cn8')
add(O, 16, """
    以后不要再发这种自动催款邮件到这个邮箱。
    """, snd='cn6')
add(O, 2, "停止发送", snd='cn10', greet=False)
add(O, 26, """
    請停止寄送此類郵件。
    """, trad=True, snd='tw2')
add(O, 13, "取消訂閱，謝謝。", trad=True, snd='hk3', greet=False)
add(O, 10, "STOP 不要再发了", snd='cn7', greet=False, sign=False)

# ---------------------------------------------------------------- wrong_contact
W = 'wrong_contact'
add(W, 11, """
    此人已离职，请联系财务部。
    """, snd='cn4')
add(W, 19, """
    您好，我不是负责这个的，请联系我们财务王小姐 wang.li@huaxin-tech.test。
    """, snd='cn2')
add(W, 3, """
    张经理已经离职了，他的邮箱不再使用，请更新联系人。
    """, snd='cn1')
add(W, 23, """
    您发错人了，我们公司跟你们没有这笔业务往来。
    """, notes='wrong recipient/company', snd='cn7')
add(W, 9, """
    我已经调岗了，现在不管付款的事，麻烦联系采购部李工。
    """, snd='cn6')
add(W, 17, """
    这是我的私人邮箱，公司的事情请发到 ap@hengtong-logistics.test。
    """, snd='cn5')
add(W, 25, """
    我们公司不叫这个名字，您可能找错公司了。
    """, snd='cn8')
add(W, 5, "我已经不在这家公司工作了。", snd='cn7', greet=False)
add(W, 13, """
    本人已離職，請聯絡本公司會計部陳小姐。
    """, trad=True, snd='tw1')
add(W, 20, """
    您好，這不是我負責的業務，已轉給財務同事處理，請以後直接聯絡 ap@harbourtrade.test。
    """, trad=True, snd='hk4')
add(W, 27, """
    对账付款的事请找我们出纳小刘，电话138****5678。
    """, snd='cn10')

# ---------------------------------------------------------------- invoice_request
I = 'invoice_request'
add(I, 10, "请重新发送发票。", snd='cn1')
add(I, 18, """
    没收到发票，能发一下电子版吗？
    """, snd='cn5')
add(I, 4, """
    麻烦开一张增值税专用发票给我们，我们要抵扣进项。
    """, notes='asks for a VAT special invoice', snd='cn3')
add(I, 24, """
    请把发票原件寄到我们公司，收件人张会计。
    """, snd='cn9')
add(I, 12, """
    请提供一下对账单，我们核对一下。
    """, notes='statement request', snd='cn4')
add(I, 20, """
    麻烦发一下INV-2026-0399的PDF，邮件里的附件打不开。
    """, inv='INV-2026-0399', snd='cn2')
add(I, 2, """
    发票弄丢了，能不能麻烦再寄一张复印件？
    """, snd='cn8')
add(I, 16, """
    请把电子发票发送到 fapiao@hangzhou-ecom.test，谢谢。
    """, snd='cn10')
add(I, 26, """
    发票和送货单一起发一份给我们，财务要附在凭证后面。
    """, snd='cn6')
add(I, 6, """
    我们这边需要纸质发票才能走付款流程，请邮寄过来。
    """, notes='payment conditional on receiving invoice -> invoice_request', snd='cn1')
add(I, 17, "請重新寄送發票，謝謝。", trad=True, snd='hk3')
add(I, 23, """
    麻煩提供發票副本及對帳單。
    """, trad=True, snd='tw2')
add(I, 11, """
    我们的开票信息变更了，新税号是91310115MA1K4XXXXX，麻烦按新信息重新开票发过来。
    """, notes='reissue with new billing details', snd='cn9')

# ---------------------------------------------------------------- unknown
U = 'unknown'
add(U, 18, "你是谁？", snd='cn7', greet=False, sign=False)
add(U, 11, "收到", snd='cn1', greet=False)
add(U, 24, "好的", snd='cn5', cl='mobile_zh', greet=False, sign=False)
add(U, 5, "谢谢", snd='cn8', greet=False)
add(U, 19, """
    请问这是什么费用？
    """, snd='cn9')
add(U, 13, "已转财务处理。", notes='forwarded internally', snd='cn4', greet=False)
add(U, 20, """
    我们核对一下再回复你。
    """, snd='cn6')
add(U, 9, """
    请问你们的银行账户信息是什么？我们这边系统里没有。
    """, snd='cn10')
add(U, 18, """
    INV-2026-0455我们下周二付，INV-2026-0460金额不对，需要重新开。
    """, inv='INV-2026-0455,INV-2026-0460', notes='mixed: promise INV-2026-0455 (下周二 = 2026-11-24) plus dispute INV-2026-0460', snd='cn2', sinv='INV-2026-0455')
add(U, 25, """
    能不能打个电话沟通一下？我的电话是139****2210。
    """, snd='cn3')
add(U, 3, """
    你们是哪家公司？我们好像没有合作过。
    """, notes='question; could be read as wrong_contact', snd='cn7')
add(U, 16, "請問這筆款項是什麼內容？", trad=True, snd='tw2')
add(U, 27, "已收到，會轉交相關同事。", trad=True, snd='hk4', greet=False)
add(U, 12, """
    老板出差了，等他回来再说。
    """, notes='no commitment', snd='cn5')
add(U, 23, """
    提前付款有没有折扣？
    """, snd='cn9')
add(U, 17, """
    等领导审批通过后付款。
    """, notes='conditional on internal approval, no date', snd='cn6')

# ---------------------------------------------------------------- auto_reply
A = 'auto_reply'
add(A, 13, """
    您好，我正在休假，11月23日返回。急事请联系财务部 021-5555 0123。
    """, ar='exchange', arsubj='自动回复: ', snd='cn1')
add(A, 19, """
    这是来自QQ邮箱的假期自动回复邮件。

    您好，我最近正在休假中，无法亲自回复您的邮件。我将在假期结束后，尽快给您回复。
    """, ar='qq', arsubj='自动回复: ', snd='cn5', notes='QQ mail vacation auto-reply')
add(A, 16, """
    本人11月16日至11月20日出差，期间邮件回复可能不及时，敬请谅解。
    """, ar=None, snd='cn6', notes='no headers')
add(A, 6, """
    您的来信已收到，谢谢！
    """, ar='netease', arsubj='自动回复：', snd='cn7', notes='163 auto-reply')
add(A, 24, """
    我正在休产假，预计2027年3月返岗，休假期间工作由王芳（wangfang@beifang-jixie.test）负责。
    """, ar='exchange', arsubj='自动答复: ', snd='cn6')
add(A, 10, """
    感谢您的来信！我们已收到您的邮件，将在3个工作日内回复。
    """, ar='helpdesk', arsubj='', snd='cn4', notes='corporate acknowledgement')
add(A, 18, """
    本人於11月18日至11月25日休假，如有急事請聯絡 ap@formosa-parts.test。
    """, trad=True, ar='exchange', arsubj='自動回覆: ', snd='tw1')
add(A, 20, """
    感謝您的來信。本人目前不在辦公室，將於下週一回覆您的郵件。
    """, trad=True, ar=None, snd='hk3', notes='no headers; 下週一 is a reply date, not a promise')
add(A, 23, """
    本人参加集团培训至11月27日，期间无法及时查看邮件。付款相关事宜请联系出纳 chuna@hangzhou-ecom.test。
    """, ar='precedence', arsubj='自动回复：', snd='cn10', notes='mentions 付款')
add(A, 11, """
    我已离职，此邮箱不再使用。业务请联系 caiwu@jinding-chem.test。
    """, ar='exchange', arsubj='自动回复: ', snd='cn3', notes='automatic; content is wrong_contact-like, auto_reply wins')
add(A, 17, """
    【自动回复】您好，财务部邮件已收到。付款进度查询请致电 020-8888 6666，工作时间周一至周五 9:00-17:30。
    """, ar='xauto', arsubj='', snd='cn4')
add(A, 4, """
    这是一封自动回复邮件。已经收到您的来信，我会尽快处理。
    """, ar='exmail', arsubj='自动回复: ', snd='cn2', notes='Tencent exmail auto-reply')
add(A, 27, """
    休假中，12月1日回来。
    """, ar=None, arsubj='自动回复: ', snd='cn8', notes='no headers but subject says 自动回复')
add(A, 26, """
    我在休假，11月30日回来上班。
    I am on leave until 30 November.
    """, ar='exchange', arsubj='自动回复: ', snd='cn9', notes='bilingual')
add(A, 2, """
    外出办事，下午回来。
    """, ar=None, arsubj='自动回复：', snd='cn7', cl='mobile_zh', notes='no headers')
