/* libFuzzer: any text through the quote stripper, with the first half as
 * the reminder when the input holds a NUL. */
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
	char *text = xmalloc(size + 1), *out, *reminder = NULL;

	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) < size)
		reminder = text + strlen(text) + 1;
	out = dun_quote_strip(text, reminder);
	if (!dun_utf8_valid(out, strlen(out)))
		abort();
	free(out);
	free(text);
	return 0;
}
