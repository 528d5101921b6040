/* Helpers shared by the unit tests: temporary directories and files. */
#ifndef DUNMAIL_TESTUTIL_H
#define DUNMAIL_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dunmail/common.h"

/* A fresh directory under $TMPDIR; caller frees the string and may
 * remove the tree with test_rmtree. */
static inline char *
test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/dunmail-test-XXXXXX", base && *base ? base :
	    "/tmp");

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return tmpl;
}

static inline void
test_rmtree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
}

/* Writes text to dir/name and returns the path (caller frees). */
static inline char *
test_write(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(text, 1, strlen(text), fp) != strlen(text)) {
		perror(path);
		abort();
	}
	fclose(fp);
	return path;
}

#endif
