/* SHA-256 for the trail and content addressing, through OpenSSL. */
#include <openssl/evp.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"

void
dun_sha256_hex(char out[DUN_SHA256_HEX], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		fatalx("EVP_Digest sha256 failed");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * mdlen] = '\0';
}
