/* TLS peer verification: a chain from a private CA passes only with that
 * CA, only for the names (and addresses) the leaf carries, and only with
 * the right public-key pin. Certificates are made by the openssl command
 * in a fresh directory for each run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dunmail/config/config.h"
#include "dunmail/mail/tls.h"
#include "testutil.h"

struct fixture {
	char *dir;
	char *leaf, *other;   /* DER bytes */
	size_t leaf_len, other_len;
	char *ca_pem, *other_pem;
	char pin[DUN_TLS_PIN_LEN];
};

static int
run(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	int rc = system(full);

	free(full);
	return rc;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *path, *pin_text;
	size_t len;

	f->dir = test_tmpdir();
	assert_int_equal(run(f->dir,
	    "openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:"
	    "prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj "
	    "'/CN=test CA' -addext basicConstraints=critical,CA:TRUE -addext "
	    "keyUsage=critical,keyCertSign &&"
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes -keyout leaf.key -out leaf.csr -subj '/CN=mail.test' &&"
	    "printf 'subjectAltName=DNS:mail.test,IP:127.0.0.1\\n"
	    "extendedKeyUsage=serverAuth\\n' > leaf.ext &&"
	    "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile leaf.ext -out leaf.pem &&"
	    "openssl x509 -in leaf.pem -outform der -out leaf.der &&"
	    "openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:"
	    "prime256v1 -nodes -keyout other.key -out other.pem -days 2 -subj "
	    "'/CN=mail.test' -addext subjectAltName=DNS:mail.test &&"
	    "openssl x509 -in other.pem -outform der -out other.der &&"
	    "openssl x509 -in leaf.pem -pubkey -noout | openssl pkey -pubin "
	    "-outform der | openssl dgst -sha256 -binary | base64 > pin"), 0);
	path = xasprintf("%s/leaf.der", f->dir);
	assert_int_equal(dun_file_read(&f->leaf, &f->leaf_len, path, 0), 0);
	free(path);
	path = xasprintf("%s/other.der", f->dir);
	assert_int_equal(dun_file_read(&f->other, &f->other_len, path, 0), 0);
	free(path);
	path = xasprintf("%s/pin", f->dir);
	assert_int_equal(dun_file_read(&pin_text, &len, path, 0), 0);
	free(path);
	snprintf(f->pin, sizeof(f->pin), "%s", dun_str_trim(pin_text));
	free(pin_text);
	f->ca_pem = xasprintf("%s/ca.pem", f->dir);
	f->other_pem = xasprintf("%s/other.pem", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_rmtree(f->dir);
	free(f->dir);
	free(f->leaf);
	free(f->other);
	free(f->ca_pem);
	free(f->other_pem);
	free(f);
	return 0;
}

static int
verify(struct fixture *f, const char *name, const char *ca, const char *pin,
    int other)
{
	struct dun_server srv;
	struct dun_tls_cert cert;

	memset(&srv, 0, sizeof(srv));
	srv.host = "127.0.0.1";
	srv.port = 993;
	srv.tls_name = (char *)name;
	srv.ca_file = (char *)ca;
	srv.pin_sha256 = (char *)pin;
	cert.der = (const unsigned char *)(other ? f->other : f->leaf);
	cert.len = other ? f->other_len : f->leaf_len;
	return dun_tls_verify(&srv, "imap", &cert, 1);
}

static void
test_tls__private_ca_passes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(verify(f, "mail.test", f->ca_pem, NULL, 0), 0);
	assert_int_equal(verify(f, "MAIL.test", f->ca_pem, NULL, 0), 0);
}

static void
test_tls__wrong_name_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(verify(f, "other.test", f->ca_pem, NULL, 0), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "imap server 127.0.0.1:993"));
	assert_non_null(strstr(dun_error_last(),
	    "certificate is for mail.test, 127.0.0.1, not other.test"));
	assert_int_equal(dun_error_retry(), DUN_RETRY_FINAL);
	/* No partial wildcards, no suffix matches. */
	assert_int_equal(verify(f, "xmail.test", f->ca_pem, NULL, 0), DUN_ETLS);
}

static void
test_tls__addresses(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(verify(f, "127.0.0.1", f->ca_pem, NULL, 0), 0);
	assert_int_equal(verify(f, "127.0.0.9", f->ca_pem, NULL, 0), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "not the address 127.0.0.9"));
	assert_true(dun_tls_name_is_ip("::1"));
	assert_false(dun_tls_name_is_ip("mail.test"));
}

static void
test_tls__unknown_ca_refused(void **state)
{
	struct fixture *f = *state;

	/* A self-signed certificate for the right name. */
	assert_int_equal(verify(f, "mail.test", f->ca_pem, NULL, 1), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "self-signed certificate"));
	/* Our leaf, checked against a CA that did not sign it. */
	assert_int_equal(verify(f, "mail.test", f->other_pem, NULL, 0),
	    DUN_ETLS);
	/* And against the system store, which knows neither. */
	assert_int_equal(verify(f, "mail.test", NULL, NULL, 0), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "set ca_file"));
}

static void
test_tls__pin(void **state)
{
	struct fixture *f = *state;
	char pin[DUN_TLS_PIN_LEN], *both;

	assert_int_equal(dun_tls_pin_of(pin, (const unsigned char *)f->leaf,
	    f->leaf_len), 0);
	assert_string_equal(pin, f->pin);
	assert_int_equal(verify(f, "mail.test", f->ca_pem, pin, 0), 0);
	both = xasprintf("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;"
	    "sha256//%s", pin);
	assert_int_equal(verify(f, "mail.test", f->ca_pem, both, 0), 0);
	free(both);
	assert_int_equal(verify(f, "mail.test", f->ca_pem,
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0),
	    DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "pin mismatch"));
	assert_non_null(strstr(dun_error_last(), pin));
}

static void
test_tls__no_or_bad_certificate(void **state)
{
	struct dun_server srv;
	struct dun_tls_cert junk = { (const unsigned char *)"junk", 4 };

	(void)state;
	memset(&srv, 0, sizeof(srv));
	srv.host = "mail.test";
	srv.port = 993;
	srv.tls_name = "mail.test";
	assert_int_equal(dun_tls_verify(&srv, "imap", NULL, 0), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "sent no certificate"));
	assert_int_equal(dun_tls_verify(&srv, "imap", &junk, 1), DUN_ETLS);
	assert_non_null(strstr(dun_error_last(), "does not parse"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls__private_ca_passes),
		cmocka_unit_test(test_tls__wrong_name_refused),
		cmocka_unit_test(test_tls__addresses),
		cmocka_unit_test(test_tls__unknown_ca_refused),
		cmocka_unit_test(test_tls__pin),
		cmocka_unit_test(test_tls__no_or_bad_certificate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
