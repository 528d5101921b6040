/* Address syntax; see address.h. */
#include <string.h>

#include "dunmail/core/address.h"

int
dun_email_valid(const char *addr)
{
	const char *at = strrchr(addr, '@'), *p;

	if (at == NULL || at == addr || at[1] == '\0' || strlen(addr) > 254 ||
	    at - addr > 64)
		return 0;
	for (p = addr; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* ASCII only: dunmail does not speak SMTPUTF8 (RFC 6531),
		 * so what passes here is what send can write. */
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c))
			return 0;
	}
	if (strchr(addr, '@') != at)
		return 0;
	/* The local part is a dot-atom: no dot at either end, none doubled
	 * (RFC 5322 3.4.1); servers refuse the rest. */
	if (addr[0] == '.' || at[-1] == '.' ||
	    memmem(addr, (size_t)(at - addr), "..", 2) != NULL)
		return 0;
	p = at + 1;
	if (strchr(p, '.') == NULL || *p == '.' || p[strlen(p) - 1] == '.' ||
	    strstr(p, ".."))
		return 0;
	return 1;
}
