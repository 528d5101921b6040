/*
 * Raw header lookup for the reading side: a header block's length, one
 * header's unfolded value, the first Message-ID in a value. Shared by the
 * MIME walk (parse.c) and the detection of automatic mail (detect.c);
 * see parse_internal.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dunmail/core/common.h"
#include "parse_internal.h"

size_t
parse__header_len(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t line;
		if (nl == NULL)
			return len;
		line = (size_t)(nl - (data + i));
		if (line == 0 || (line == 1 && data[i] == '\r'))
			return i + line + 1;
		i += line + 1;
	}
	return len;
}

char *
parse__header(const char *hdrs, size_t len, const char *name)
{
	size_t nlen = strlen(name), i = 0, j;
	struct dun_buf val;
	int found = 0;

	dun_buf_init(&val, 64u << 10);
	len = parse__header_len(hdrs, len);
	while (i < len) {
		const char *line = hdrs + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;
		size_t next = i + llen + (nl ? 1 : 0);

		if (found) {
			if (llen > 0 && (line[0] == ' ' || line[0] == '\t')) {
				dun_buf_add(&val, line, llen);
				i = next;
				continue;
			}
			break;
		}
		/* the first letter first: most lines are other headers */
		if (llen > nlen && ((line[0] ^ name[0]) & ~0x20) == 0 &&
		    strncasecmp(line, name, nlen) == 0) {
			for (j = nlen; j < llen && (line[j] == ' ' ||
			    line[j] == '\t'); j++)
				;
			if (j < llen && line[j] == ':') {
				found = 1;
				dun_buf_add(&val, line + j + 1, llen - j - 1);
			}
		}
		i = next;
	}
	if (!found) {
		dun_buf_free(&val);
		return NULL;
	}
	{
		char *raw = dun_buf_detach(&val, NULL), *p, *t;
		for (p = raw; *p; p++)
			if (*p == '\r' || *p == '\n' || *p == '\0')
				*p = ' ';
		t = dun_str_trim(raw);
		p = xstrdup(t);
		free(raw);
		return p;
	}
}

char *
parse__msgid(const char *s)
{
	const char *lt, *gt;

	if (s == NULL)
		return NULL;
	while ((lt = strchr(s, '<')) != NULL) {
		gt = strchr(lt + 1, '>');
		if (gt == NULL)
			return NULL;
		if (gt > lt + 1 && memchr(lt + 1, ' ', (size_t)(gt - lt - 1))
		    == NULL)
			return xstrndup(lt + 1, (size_t)(gt - lt - 1));
		s = gt + 1;
	}
	return NULL;
}
