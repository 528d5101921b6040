/* The inbound reply hook: a classified reply becomes a case event. */
#include <string.h>

#include "dunmail/cases.h"
#include "dunmail/classify.h"
#include "dunmail/common.h"
#include "dunmail/log.h"
#include "dunmail/workflow.h"

int
dun_workflow_on_reply(struct dun_store *store, const struct dun_config *cfg,
    dun_time_t now, const struct dun_inbound_reply *reply, void *arg)
{
	const struct dun_classification *cls = reply->cls;
	const struct dun_parsed *p = reply->parsed;
	struct dun_case_event ev;
	struct dun_case_outcome o;
	const char *contact = NULL;
	size_t i;
	int rc;

	(void)arg;
	if (cls == NULL || reply->ncases == 0)
		return 0; /* unmatched: inbound already queued it for a person */
	memset(&ev, 0, sizeof(ev));
	ev.kind = DUN_EV_REPLY;
	ev.cls = cls->cls;
	ev.promised_on = cls->promised_on;
	ev.promised_minor = cls->amount_minor;
	ev.return_date = p ? p->return_date : DUN_DATE_NONE;
	ev.bounce_hard = p ? p->bounce_hard : 0;
	ev.known_contact = reply->sender_contact;
	ev.handed_off = reply->handed_off;
	ev.until = DUN_DATE_NONE;
	if (cls->cls == DUN_CLASS_BOUNCE) {
		/* The address that failed, not the MTA that said so. */
		ev.known_contact = 1;
		if (p && p->nbounce_rcpts)
			contact = p->bounce_rcpts[0].recipient;
	} else if (p)
		contact = p->from_addr;
	for (i = 0; i < reply->ncases; i++) {
		rc = dun_case_apply(store, cfg, reply->case_ids[i], &ev, now,
		    reply->message_id, contact, NULL, &o);
		if (rc < 0)
			return rc;
		log_trace(TRACE_CASE, "reply %lld (%s) -> case %lld: %s",
		    (long long)reply->message_id, dun_class_name(cls->cls),
		    (long long)reply->case_ids[i], o.reason);
	}
	return 0;
}
