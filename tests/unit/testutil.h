/* Helpers shared by the unit tests: temporary directories and files, and
 * the directory + config + store most store-backed tests stand on. */
#ifndef DUNMAIL_TESTUTIL_H
#define DUNMAIL_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dunmail/config/config.h"
#include "dunmail/core/common.h"
#include "dunmail/store/store.h"

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

/*
 * A fresh directory holding a store (t.db), and the default config with
 * the source tree's templates: the ground of the store-backed tests.
 * Undone by test_env_close.
 */
static inline void
test_env_open(char **dir, struct dun_config **cfg, struct dun_store **store)
{
	const char *src = getenv("DUNMAIL_SOURCE_DIR");
	char *db;

	*dir = test_tmpdir();
	if ((*cfg = dun_config_defaults(*dir)) == NULL)
		abort();
	free((*cfg)->templates_dir);
	(*cfg)->templates_dir = xasprintf("%s/templates", src ? src :
	    DUNMAIL_SOURCE_DIR);
	db = xasprintf("%s/t.db", *dir);
	if (dun_store_open(store, db) < 0) {
		fprintf(stderr, "%s: %s\n", db, dun_error_last());
		abort();
	}
	free(db);
}

static inline void
test_env_close(char *dir, struct dun_config *cfg, struct dun_store *store)
{
	dun_store_close(store);
	dun_config_free(cfg);
	test_rmtree(dir);
	free(dir);
}

#endif
