/* Alias and fingerprint-prefix resolution against a private store.  */
#include "tests/unit/unit.h"
#include "images/alias.h"
#include "images/store.h"
#include "lib/utils.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#define FP_A "aaaa1111" "00000000000000000000000000000000000000000000000000000000"
#define FP_B "aaaa2222" "00000000000000000000000000000000000000000000000000000000"
#define FP_C "c0ffee00" "00000000000000000000000000000000000000000000000000000000"

struct fixture
{
  char dir[64];
  struct mc_store store;
};

static int
setup (void **state)
{
  struct fixture *f = calloc (1, sizeof (*f));
  mc_error_t err = NULL;
  const char *fps[] = { FP_A, FP_B, FP_C };
  size_t i;

  strcpy (f->dir, "/tmp/mc-unit-resolve-XXXXXX");
  if (mkdtemp (f->dir) == NULL || setenv ("MINICTR_DIR", f->dir, 1) < 0)
    return -1;
  if (mc_store_open (&f->store, &err) < 0)
    return -1;
  /* Resolution looks only at directory names and aliases.yaml.  */
  for (i = 0; i < 3; i++)
    if (mkdirat (f->store.imagesfd, fps[i], 0700) < 0)
      return -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  mc_error_t err = NULL;

  mc_store_close (&f->store);
  mc_rm_rf_at (AT_FDCWD, f->dir, &err);
  free (f);
  return err ? -1 : 0;
}

static void
expect_fp (struct fixture *f, const char *ref, const char *want)
{
  char fp[MC_FP_HEX_LEN + 1];
  mc_error_t err = NULL;

  if (mc_image_resolve (&f->store, ref, fp, &err) != 0)
    fail_msg ("`%s`: %s", ref, err->msg);
  assert_string_equal (fp, want);
}

static void
expect_fail (struct fixture *f, const char *ref, const char *why)
{
  char fp[MC_FP_HEX_LEN + 1];
  mc_error_t err = NULL;

  assert_int_equal (mc_image_resolve (&f->store, ref, fp, &err), -1);
  assert_error_contains (err, why);
}

static void
test_prefixes (void **state)
{
  struct fixture *f = *state;

  expect_fp (f, FP_A, FP_A);
  expect_fp (f, "aaaa1", FP_A);
  expect_fp (f, "c", FP_C);
  expect_fail (f, "aaaa", "image `aaaa` is ambiguous: it matches");
  expect_fail (f, "aaaa", FP_A);
  expect_fail (f, "aaaa", FP_B);
  expect_fail (f, "beef", "image `beef` not found");
  expect_fail (f, "ubuntu", "image `ubuntu` not found");
}

static void
test_aliases (void **state)
{
  struct fixture *f = *state;
  mc_error_t err = NULL;

  assert_int_equal (mc_alias_create (&f->store, "web", FP_B, "", &err), 0);
  expect_fp (f, "web", FP_B);
  /* An alias wins over a fingerprint prefix, as in LXD.  */
  assert_int_equal (mc_alias_create (&f->store, "c0", FP_A, "", &err), 0);
  expect_fp (f, "c0", FP_A);
  assert_int_equal (mc_alias_create (&f->store, "web", FP_A, "", &err), -1);
  assert_error_contains (err, "alias `web` already exists");
  assert_int_equal (mc_alias_rename (&f->store, "web", "www", &err), 0);
  expect_fp (f, "www", FP_B);
  expect_fail (f, "web", "not found");
  assert_int_equal (mc_alias_delete (&f->store, "www", &err), 0);
  assert_int_equal (mc_alias_delete (&f->store, "www", &err), -1);
  assert_error_contains (err, "alias `www` not found");
}

static void
test_alias_names (void **state)
{
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_alias_validate ("ubuntu2004", &err), 0);
  assert_int_equal (mc_alias_validate ("debian/12", &err), -1);
  assert_error_contains (err, "invalid alias `debian/12`");
  assert_int_equal (mc_alias_validate ("images:x", &err), -1);
  assert_error_contains (err, "invalid alias");
  assert_int_equal (mc_alias_validate ("a b", &err), -1);
  assert_error_contains (err, "invalid alias");
  assert_int_equal (mc_alias_validate ("", &err), -1);
  assert_error_contains (err, "must not be empty");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_prefixes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_aliases, setup, teardown),
    cmocka_unit_test (test_alias_names),
  };
  return cmocka_run_group_tests_name ("resolve", tests, NULL, NULL);
}
