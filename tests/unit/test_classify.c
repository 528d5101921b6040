/* The classifier: rules loading and its diagnostics, the decision on
 * hand-written replies (not the corpus: these are phrasings of our own, a
 * check that the rules generalise), negations, close calls, extraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/reply/classify.h"
#include "testutil.h"

#define RULES_DIR TEST_DATA_DIR "/../../templates/rules"
/* Thu 2026-11-19 10:00 UTC: the reply date of every row below. */
#define REPLY_DATE ((dun_time_t)1795082400)

static struct dun_rules *shipped;

static int
setup(void **state)
{
	struct dun_diags diags = { 0 };

	(void)state;
	if (dun_rules_load(&shipped, RULES_DIR, &diags) < 0) {
		dun_diags_print(&diags);
		return -1;
	}
	dun_diags_free(&diags);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dun_rules_free(shipped);
	return 0;
}

static void
parsed(struct dun_parsed *p, const char *text)
{
	memset(p, 0, sizeof(*p));
	p->text = (char *)text;
	p->subject = (char *)"Re: Payment reminder: invoice INV-2026-0101";
	p->date = REPLY_DATE;
}

static void
classify(struct dun_classification *c, const char *text, const char *locale)
{
	struct dun_parsed p;

	parsed(&p, text);
	assert_int_equal(dun_classify(c, shipped, &p, NULL, locale), 0);
	assert_true(c->confidence >= 0.0 && c->confidence <= 1.0);
	assert_non_null(c->rule);
	assert_non_null(c->evidence);
	assert_non_null(c->candidates);
}

/* --- rules files and lint ------------------------------------------------- */

static void
expect_diag(const struct dun_diags *d, int line, const char *words)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		if (d->items[i].line == line && strstr(d->items[i].msg, words))
			return;
	for (i = 0; i < d->count; i++)
		fprintf(stderr, "%s:%d: %s\n", d->items[i].file,
		    d->items[i].line, d->items[i].msg);
	fail_msg("no diagnostic '%s' on line %d", words, line);
}

static void
test_classify__load_errors(void **state)
{
	char *dir = test_tmpdir(), *path;
	struct dun_diags d = { 0 };
	struct dun_rules *rules = NULL;

	(void)state;
	path = test_write(dir, "xx.rules",
	    "# a comment\n"
	    "ok.one      paid      4  /\\bpaid\\b/i\n"
	    "bad.regex   paid      4  /pa(id/\n"
	    "bad.class   payed     4  /paid/\n"
	    "bad.weight  paid      lots /paid/\n"
	    "ok.one      dispute   3  /dispute/i\n"
	    "@nonsense 3\n"
	    "no.pattern  paid      4\n"
	    "bad.flag    paid      4  /paid/q\n"
	    "empty.match paid      4  /x*/\n"
	    "@margin 0.3\n"
	    "@margin 0.5\n"
	    "zero.weight paid      0  /paid/\n");
	assert_int_equal(dun_rules_load(&rules, dir, &d), DUN_EPARSE);
	assert_null(rules);
	expect_diag(&d, 3, "bad pattern at offset");
	expect_diag(&d, 4, "unknown class 'payed'");
	expect_diag(&d, 5, "bad weight 'lots'");
	expect_diag(&d, 6, "duplicate rule id 'ok.one'");
	expect_diag(&d, 7, "unknown directive @nonsense");
	expect_diag(&d, 8, "no /pattern/");
	expect_diag(&d, 9, "unknown pattern flag 'q'");
	expect_diag(&d, 10, "matches the empty string");
	expect_diag(&d, 12, "@margin set twice");
	expect_diag(&d, 13, "weight 0");
	assert_string_equal(d.items[0].file, path);
	dun_diags_free(&d);
	free(path);
	test_rmtree(dir);
	free(dir);
}

static void
test_classify__load_missing_dir(void **state)
{
	struct dun_diags d = { 0 };
	struct dun_rules *rules = NULL;

	(void)state;
	assert_int_equal(dun_rules_load(&rules, "/nonexistent/rules", &d),
	    DUN_EIO);
	assert_int_equal(d.count, 1);
	dun_diags_free(&d);
}

static void
test_classify__class_names(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < DUN_NCLASSES; c++)
		assert_int_equal(dun_class_from_name(dun_class_name(c)), c);
	assert_int_equal(dun_class_from_name("promise"), -1);
}

/* --- the decision ------------------------------------------------------------- */

static const struct {
	const char *text;
	enum dun_class cls;
	const char *date;  /* NULL: not checked */
} rows[] = {
	{ "Hi, we will clear this invoice by Friday at the latest.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "The money should be with you next Tuesday.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-24" },
	{ "Funds will be transferred tomorrow.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "Expect payment before the end of the month.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-30" },
	{ "Our accounts team will process it on Monday.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-23" },
	{ "I can pay it on the 25th when my salary comes in.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-25" },
	{ "We intend to settle in full on 1 December.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-12-01" },
	{ "Transferring the money today.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-19" },
	{ "Payment is booked for 26/11/2026.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-26" },
	{ "We'll have it paid within three days.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-22" },
	{ "Apologies, we are going to pay this as soon as possible.",
	    DUN_CLASS_PROMISE_TO_PAY, NULL },
	{ "I'll pay the full £1,250 on Friday 27th.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-27" },
	{ "Payment will be made on December 3rd.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-12-03" },
	{ "Sorry for the delay. We don't dispute anything, the remittance goes out tomorrow.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "We expect to pay on Tuesday, it's already in the queue.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-24" },
	{ "The wire will go out first thing Monday morning.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-23" },
	{ "Please don't cancel our account - we'll pay by tomorrow.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "We can commit to paying the balance by 30th November.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-30" },
	{ "We'll be paying on 15 Dec.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-12-15" },
	{ "I will send the money by bank transfer tomorrow.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "We are disputing this charge. The goods were returned in October.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "This invoice is incorrect - we were quoted $4,000, not $4,800.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "We have not received the items listed on this invoice, so we will not be paying it.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "I'm not paying for a service that was never delivered.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "There is a problem with this invoice: the units were faulty and we sent them back.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "You have charged us twice for the same delivery.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "We disagree with the amount invoiced. Please send us a credit note for the difference.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "The work was never completed to the agreed standard, so payment is on hold.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "We cancelled this order in September. Please cancel the invoice.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "Our contract says net 60, so this isn't due yet.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "Business has been terrible and we simply can't pay right now. Could we arrange something?",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "I lost my job last month. Can I pay £50 per week?",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "We are in financial difficulty and would like to discuss a repayment plan.",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "Could you give us another month to pay? Cash is really tight.",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "We've entered liquidation. Please contact the liquidator.",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "Would you agree to three monthly payments of $1,000?",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "Money is very tight at the moment, can we pay half now and half next month?",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "We made the payment yesterday afternoon.",
	    DUN_CLASS_PAID, NULL },
	{ "Payment was sent last Friday via wire transfer.",
	    DUN_CLASS_PAID, NULL },
	{ "This invoice has already been settled. See attached remittance.",
	    DUN_CLASS_PAID, NULL },
	{ "Hi, we transferred the full amount on the 10th.",
	    DUN_CLASS_PAID, NULL },
	{ "The balance was cleared on 15 November.",
	    DUN_CLASS_PAID, NULL },
	{ "Already done - paid on Monday.",
	    DUN_CLASS_PAID, NULL },
	{ "Our bank confirms the payment was processed on 17 Nov.",
	    DUN_CLASS_PAID, NULL },
	{ "Please stop emailing this address.",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "Remove this address from your system, I don't want these emails.",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "unsubscribe me please",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "I no longer wish to receive these reminders.",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "John retired last year, please write to accounts@acme.test instead.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "You have the wrong email, I don't work for that company.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "I'm not responsible for payments. Please contact our finance department at finance@x.test.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "This person has left our organisation.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "Can you send the invoice again? I don't have it.",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "We haven't got a copy of this invoice. Please forward it.",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "Please could you send a statement of our account.",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "Please email the invoice to payables@firm.test so we can book it.",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "Thanks for letting me know.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "I'll look into it.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Can you tell me what this relates to?",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Passed to our accounts department.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Please call me to discuss.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "明天转账给你们。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "这笔款下周五之前付清。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-27" },
	{ "月底前会把钱打过去。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-30" },
	{ "下週一會安排匯款。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-23" },
	{ "我们25号付款。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-25" },
	{ "预计12月5日付款。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-12-05" },
	{ "周二安排付款，请注意查收。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-24" },
	{ "三天之内一定付清。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-22" },
	{ "今天就付。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-19" },
	{ "我们会尽快付款的。",
	    DUN_CLASS_PROMISE_TO_PAY, NULL },
	{ "这张发票的金额有问题，和合同不一致。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "货物有破损，我们暂不付款。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "我们没有收到货，为什么要付款？",
	    DUN_CLASS_DISPUTE, NULL },
	{ "這張發票的單價有誤，請重新開立。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "对这笔费用有异议，请提供依据。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "公司最近资金困难，能否分期付款？",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "最近手头紧，能不能晚一点付？",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "我們目前資金週轉困難，希望延後付款。",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "每个月先还一千可以吗？",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "钱昨天已经转过去了。",
	    DUN_CLASS_PAID, NULL },
	{ "我们已付清全部款项。",
	    DUN_CLASS_PAID, NULL },
	{ "款項已於昨日匯出。",
	    DUN_CLASS_PAID, NULL },
	{ "上周五已经付款了，请查一下。",
	    DUN_CLASS_PAID, NULL },
	{ "不要再发这种邮件了。",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "请勿再发送催款邮件到此邮箱。",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "退订，谢谢",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "我已经离职了，请联系新的会计。",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "你们发错邮箱了，我们不是这家公司。",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "這個信箱已不再使用，請改寄至 ap@x.test。",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "请把发票再发一份给我们。",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "我们还没收到发票，请补发。",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "麻煩寄一份對帳單給我們。",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "好的，知道了。",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "我问一下财务。",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "请问怎么付款？",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Morning, just to let you know this will be paid Monday.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-23" },
	{ "We are arranging payment for Friday next week.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-27" },
	{ "Bank transfer initiated for tomorrow's value date.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "Payment is planned for Wednesday 25 November.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-25" },
	{ "Will settle shortly, thank you for your patience.",
	    DUN_CLASS_PROMISE_TO_PAY, NULL },
	{ "Monies will be remitted by month end.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-30" },
	{ "You'll receive payment on Thursday.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-26" },
	{ "We can pay on 24.11.2026.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-24" },
	{ "I'm going to pay it tomorrow, sorry.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "Payment of $2,300 will follow tomorrow.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "We do not accept this invoice; the prices are not what we agreed.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "This is not our invoice. We never placed this order with you.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "Please hold this invoice, there is an ongoing issue with the delivery.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "We object to the late payment charges.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "The service stopped working in October and we want a refund for that month.",
	    DUN_CLASS_DISPUTE, NULL },
	{ "Due to the pandemic our revenue has collapsed. We need a payment holiday.",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "Can we pay in smaller amounts over the next six months?",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "My husband passed away and I am struggling to cope with the bills.",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "The company is insolvent and will be wound up.",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "Payment completed on 18/11. Please confirm.",
	    DUN_CLASS_PAID, NULL },
	{ "Funds went out on Tuesday.",
	    DUN_CLASS_PAID, NULL },
	{ "It's been paid!",
	    DUN_CLASS_PAID, NULL },
	{ "We have paid in full, please update your ledger.",
	    DUN_CLASS_PAID, NULL },
	{ "Take me off your mailing list.",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "Stop these messages immediately.",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "STOP!",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "Not the correct contact for invoices. Please use ap@corp.test.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "This mailbox belongs to a private individual, not the company you're after.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "I'm just the receptionist, I don't handle payments.",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "Could you kindly provide the invoice copy?",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "We need the original invoice for our records, please send.",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "The attachment is missing, please send the PDF.",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "Who should we make the payment to?",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Hi, please give me a call.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Noted.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "Checking with the team, will revert.",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "后天一定付款。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-21" },
	{ "下周四给您付款。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-26" },
	{ "款项明天到账。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "12月10号付。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-12-10" },
	{ "本週五前付款。",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "领导已经批了，马上安排付款。",
	    DUN_CLASS_PROMISE_TO_PAY, NULL },
	{ "服务质量太差，这个钱我们不付。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "发票开错了，请重新开。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "這批貨品有瑕疵，我們要求退款。",
	    DUN_CLASS_DISPUTE, NULL },
	{ "公司现在周转不过来，能不能先付一部分？",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "最近生意不好，付款要推迟一段时间。",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "我们公司已经进入破产程序。",
	    DUN_CLASS_HARDSHIP, NULL },
	{ "货款已付，请查收。",
	    DUN_CLASS_PAID, NULL },
	{ "款已打，麻烦确认一下。",
	    DUN_CLASS_PAID, NULL },
	{ "昨天已匯款，請確認。",
	    DUN_CLASS_PAID, NULL },
	{ "请停止发送此类邮件。",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "别再给我发邮件了！",
	    DUN_CLASS_OPT_OUT, NULL },
	{ "这个邮箱不是我们公司的，请核实。",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "我不负责这块，请联系财务部刘小姐。",
	    DUN_CLASS_WRONG_CONTACT, NULL },
	{ "请开具发票后发给我们。",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "能否提供一下发票的扫描件？",
	    DUN_CLASS_INVOICE_REQUEST, NULL },
	{ "你好，这是哪个项目的款？",
	    DUN_CLASS_UNKNOWN, NULL },
	{ "收到，谢谢。",
	    DUN_CLASS_UNKNOWN, NULL },
	/* negations that must not flip the class */
	{ "We have no issue with the invoice itself; it goes out Friday.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "Please do not stop the supply, we will pay tomorrow.",
	    DUN_CLASS_PROMISE_TO_PAY, "2026-11-20" },
	{ "對金額沒有異議，下週二付款。", DUN_CLASS_PROMISE_TO_PAY, "2026-11-24" },
	{ "我们不是不还，实在是资金周转困难。", DUN_CLASS_HARDSHIP, NULL },
	/* a promise for one invoice and a dispute about another */
	{ "We will pay INV-2026-0201 on Friday but INV-2026-0202 is wrong, the "
	  "goods never arrived.", DUN_CLASS_UNKNOWN, NULL },
};

static void
test_classify__table(void **state)
{
	struct dun_classification c;
	char date[11];
	size_t i, misses = 0;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(rows); i++) {
		classify(&c, rows[i].text, NULL);
		strcpy(date, "-");
		if (c.promised_on != DUN_DATE_NONE)
			dun_date_format(date, c.promised_on);
		if (c.cls != rows[i].cls || (rows[i].date &&
		    strcmp(date, rows[i].date) != 0)) {
			fprintf(stderr, "row %zu: want %s %s, got %s %s [%s] "
			    "\"%s\": %s\n", i, dun_class_name(rows[i].cls),
			    rows[i].date ? rows[i].date : "", dun_class_name(
			    c.cls), date, c.rule, c.evidence, rows[i].text);
			misses++;
		}
		dun_classification_clear(&c);
	}
	assert_int_equal(misses, 0);
}

static void
test_classify__close_call(void **state)
{
	struct dun_classification c;

	(void)state;
	classify(&c, "We will pay INV-2026-0201 on Friday but INV-2026-0202 is "
	    "wrong, the goods never arrived.", NULL);
	assert_int_equal(c.cls, DUN_CLASS_UNKNOWN);
	assert_non_null(strstr(c.rule, "close_call:"));
	assert_non_null(strstr(c.candidates, "dispute:"));
	assert_non_null(strstr(c.candidates, "promise_to_pay:"));
	assert_int_equal(c.ninvoices, 2);
	assert_string_equal(c.invoices[0], "INV-2026-0201");
	assert_string_equal(c.invoices[1], "INV-2026-0202");
	dun_classification_clear(&c);
}

static void
test_classify__nothing(void **state)
{
	struct dun_classification c;

	(void)state;
	classify(&c, "", NULL);
	assert_int_equal(c.cls, DUN_CLASS_UNKNOWN);
	assert_string_equal(c.rule, "no_match");
	assert_string_equal(c.language, "en");
	dun_classification_clear(&c);
	classify(&c, "\xff\xfe broken \xc3 utf-8 paid", NULL);
	dun_classification_clear(&c);
}

static void
test_classify__detection_passes_through(void **state)
{
	struct dun_classification c;
	struct dun_parsed p;

	(void)state;
	parsed(&p, "Undelivered: we will pay on Friday");
	p.auto_kind = DUN_AUTO_BOUNCE;
	p.bounce_hard = 1;
	p.auto_evidence = (char *)"Status: 5.1.1";
	assert_int_equal(dun_classify(&c, shipped, &p, NULL, NULL), 0);
	assert_int_equal(c.cls, DUN_CLASS_BOUNCE);
	assert_string_equal(c.rule, "detect.bounce_hard");
	assert_string_equal(c.evidence, "Status: 5.1.1");
	assert_int_equal(c.promised_on, DUN_DATE_NONE);
	dun_classification_clear(&c);

	parsed(&p, "I am away until Monday, will pay then");
	p.auto_kind = DUN_AUTO_REPLY;
	p.auto_evidence = (char *)"Auto-Submitted: auto-replied";
	assert_int_equal(dun_classify(&c, shipped, &p, NULL, NULL), 0);
	assert_int_equal(c.cls, DUN_CLASS_AUTO_REPLY);
	assert_string_equal(c.rule, "detect.auto_reply");
	dun_classification_clear(&c);
}

static void
test_classify__language(void **state)
{
	struct dun_classification c;

	(void)state;
	classify(&c, "Hi, 这个invoice我们下周二pay，thanks", NULL);
	assert_string_equal(c.language, "zh");
	assert_int_equal(c.cls, DUN_CLASS_PROMISE_TO_PAY);
	dun_classification_clear(&c);
	classify(&c, "We will pay on Friday. 谢谢", NULL);
	assert_string_equal(c.language, "en");
	dun_classification_clear(&c);
	classify(&c, "款項將於下週三匯出。", NULL);
	assert_string_equal(c.language, "zh");
	dun_classification_clear(&c);
}

/* --- extraction ----------------------------------------------------------------- */

static void
test_classify__amounts(void **state)
{
	static const struct {
		const char *text;
		int64_t minor;
		const char *currency;
	} am[] = {
		{ "Could we pay $500 a month?", 50000, "USD" },
		{ "We will pay €1,200 on Friday.", 120000, "EUR" },
		{ "We will transfer GBP 300 tomorrow.", 30000, "GBP" },
		{ "最近资金比较紧张，能不能每月还2000？", 200000, "CNY" },
		{ "明天付¥5,000。", 500000, "CNY" },
		{ "这笔5万元的货款我们明天付。", 5000000, "CNY" },
		{ "這筆8.6萬的貨款我們11號付。", 8600000, "CNY" },
		{ "款項NT$36,500已安排，預計11月25日匯出。", 3650000, "TWD" },
		{ "We paid: INV-1 100.00, INV-2 200.00, Total (USD) 300.00",
		    30000, "USD" },
		{ "We will pay tomorrow.", -1, "" },
	};
	struct dun_classification c;
	size_t i;

	(void)state;
	for (i = 0; i < DUN_ARRAY_SIZE(am); i++) {
		classify(&c, am[i].text, NULL);
		if (c.amount_minor != am[i].minor ||
		    strcmp(c.currency, am[i].currency) != 0)
			fail_msg("%s: got %lld %s (%s)", am[i].text,
			    (long long)c.amount_minor, c.currency,
			    dun_class_name(c.cls));
		dun_classification_clear(&c);
	}
}

static void
test_classify__ambiguous_date(void **state)
{
	struct dun_classification c;
	char date[11];

	(void)state;
	classify(&c, "Both invoices will be paid on 03/12.", NULL);
	assert_int_equal(c.cls, DUN_CLASS_PROMISE_TO_PAY);
	assert_int_equal(c.promised_on, DUN_DATE_NONE);
	assert_int_equal(c.date_ambiguous, 1);
	dun_classification_clear(&c);
	classify(&c, "Both invoices will be paid on 03/12.", "en-GB");
	dun_date_format(date, c.promised_on);
	assert_string_equal(date, "2026-12-03");
	assert_int_equal(c.date_ambiguous, 0);
	dun_classification_clear(&c);
	classify(&c, "Both invoices will be paid on 03/12.", "en-US");
	dun_date_format(date, c.promised_on);
	assert_string_equal(date, "2027-03-12");
	dun_classification_clear(&c);
}

static void
test_classify__timezone(void **state)
{
	struct dun_classification c;
	struct dun_parsed p;
	char date[11];

	(void)state;
	/* 2026-11-19 20:00 UTC is already Friday in Shanghai */
	parsed(&p, "We will pay tomorrow.");
	p.date = REPLY_DATE + 10 * 3600;
	assert_int_equal(dun_classify(&c, shipped, &p, "Asia/Shanghai", NULL),
	    0);
	dun_date_format(date, c.promised_on);
	assert_string_equal(date, "2026-11-21");
	dun_classification_clear(&c);
	/* without a zone, the Date header's own offset decides */
	p.date_offset = -5 * 3600;
	assert_int_equal(dun_classify(&c, shipped, &p, NULL, NULL), 0);
	dun_date_format(date, c.promised_on);
	assert_string_equal(date, "2026-11-20");
	dun_classification_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify__load_errors),
		cmocka_unit_test(test_classify__load_missing_dir),
		cmocka_unit_test(test_classify__class_names),
		cmocka_unit_test(test_classify__table),
		cmocka_unit_test(test_classify__close_call),
		cmocka_unit_test(test_classify__nothing),
		cmocka_unit_test(test_classify__detection_passes_through),
		cmocka_unit_test(test_classify__language),
		cmocka_unit_test(test_classify__amounts),
		cmocka_unit_test(test_classify__ambiguous_date),
		cmocka_unit_test(test_classify__timezone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
