/* Robustness: every file of the public corpora (tests/data/corpora/mime
 * and quotes) parses or fails cleanly, with valid UTF-8 out. Run under
 * ASan+UBSan in CI. The corpora are part of the repository, so a missing
 * corpus fails the test, saying where it looked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "dunmail/core/common.h"
#include "dunmail/parse/parse.h"

static int nfiles, nparsed, nerrors, nbad;

#define UTF8_OK(s) ((s) != NULL && dun_utf8_valid((s), strlen(s)))

static int
check_parsed(const char *path, const struct dun_parsed *p)
{
	size_t i;
	int ok = UTF8_OK(p->text) && UTF8_OK(p->body_text) &&
	    UTF8_OK(p->subject) && UTF8_OK(p->from_name) &&
	    UTF8_OK(p->from_addr) && UTF8_OK(p->message_id) &&
	    UTF8_OK(p->auto_evidence) && UTF8_OK(p->error) &&
	    UTF8_OK(p->bounced_message_id) && UTF8_OK(p->references);

	for (i = 0; i < p->nattachments; i++)
		ok = ok && UTF8_OK(p->attachment_names[i]);
	for (i = 0; i < p->nbounce_rcpts; i++)
		ok = ok && UTF8_OK(p->bounce_rcpts[i].recipient);
	if (!ok)
		print_error("%s: output is not valid UTF-8\n", path);
	return ok;
}

static int
visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct dun_parsed *p = NULL;
	char *data, *stripped;
	size_t len;
	int rc;

	if (type != FTW_F)
		return 0;
	if (dun_file_read(&data, &len, path, 0) < 0) {
		print_error("%s: %s\n", path, dun_error_last());
		nbad++;
		return 0;
	}
	nfiles++;
	rc = dun_parse_message(&p, data, len, NULL);
	if (rc == 0 && p != NULL) {
		nparsed += p->parse_error == 0;
		nerrors += p->parse_error != 0;
		if (!check_parsed(path, p))
			nbad++;
		/* The stripper on the file as plain text as well. */
		stripped = dun_quote_strip(p->body_text, data);
		if (!UTF8_OK(stripped))
			nbad++;
		free(stripped);
	} else if (rc < 0 && p == NULL)
		nerrors++;
	else {
		print_error("%s: rc %d with p %p\n", path, rc, (void *)p);
		nbad++;
	}
	dun_parsed_free(p);
	stripped = dun_quote_strip(data, NULL);
	if (!UTF8_OK(stripped)) {
		print_error("%s: stripped text is not valid UTF-8\n", path);
		nbad++;
	}
	free(stripped);
	free(data);
	return 0;
}

static void
run_dir(const char *dir, int min_files)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		fail_msg("corpus %s is not there (the corpora are part of "
		    "the repository, in tests/data/corpora)", dir);
	nfiles = nparsed = nerrors = nbad = 0;
	assert_int_equal(nftw(dir, visit, 16, FTW_PHYS), 0);
	print_message("%s: %d files, %d parsed, %d failed cleanly, %d bad\n",
	    dir, nfiles, nparsed, nerrors, nbad);
	assert_true(nfiles >= min_files);
	assert_int_equal(nbad, 0);
}

static void
test_corpora__mime(void **state)
{
	run_dir(CORPORA_DIR "/mime", 900);
}

static void
test_corpora__quotes(void **state)
{
	run_dir(CORPORA_DIR "/quotes", 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpora__mime),
		cmocka_unit_test(test_corpora__quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
