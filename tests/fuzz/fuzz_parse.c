/* libFuzzer: any bytes through the whole parser (MIME, charsets, HTML,
 * quote stripping, detection). The first line, if it starts with "R:",
 * is used as the reminder text so the guard is fuzzed too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dun_parse_opts opts = { 1u << 20, NULL };
	struct dun_parsed *p = NULL;
	char *reminder = NULL;
	const uint8_t *nl;

	if (size > 2 && data[0] == 'R' && data[1] == ':' &&
	    (nl = memchr(data, '\n', size)) != NULL) {
		reminder = xstrndup((const char *)data + 2,
		    (size_t)(nl - data) - 2);
		opts.reminder_text = reminder;
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	if (dun_parse_message(&p, (const char *)data, size, &opts) == 0) {
		if (!dun_utf8_valid(p->text, strlen(p->text)) ||
		    !dun_utf8_valid(p->body_text, strlen(p->body_text)) ||
		    !dun_utf8_valid(p->subject, strlen(p->subject)) ||
		    !dun_utf8_valid(p->from_name, strlen(p->from_name)))
			abort();
	}
	dun_parsed_free(p);
	free(reminder);
	return 0;
}
