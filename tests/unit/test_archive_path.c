#include "tests/unit/unit.h"
#include "images/archive.h"
#include "lib/utils.h"

#include <stdlib.h>
#include <string.h>

static void
expect_ok (const char *in, const char *want)
{
  char *p = xstrdup (in);
  mc_error_t err = NULL;

  if (mc_archive_check_path (p, &err) != 0)
    fail_msg ("`%s` rejected: %s", in, err->msg);
  assert_string_equal (p, want);
  free (p);
}

static void
expect_rejected (const char *in, const char *why)
{
  char *p = xstrdup (in);
  mc_error_t err = NULL;

  assert_int_equal (mc_archive_check_path (p, &err), -1);
  assert_error_contains (err, why);
  free (p);
}

static void
test_normalises (void **state)
{
  (void) state;
  expect_ok ("rootfs/bin/sh", "rootfs/bin/sh");
  expect_ok ("./rootfs/bin/sh", "rootfs/bin/sh");
  expect_ok ("././rootfs//bin/./sh", "rootfs/bin/sh");
  expect_ok ("rootfs/etc/", "rootfs/etc");
  expect_ok ("./", "");
  expect_ok (".", "");
  /* Names that merely contain dots are fine.  */
  expect_ok ("a/...", "a/...");
  expect_ok ("a/..b/c..", "a/..b/c..");
}

static void
test_rejects_escapes (void **state)
{
  (void) state;
  expect_rejected ("/etc/passwd", "absolute path");
  expect_rejected ("..", "`..`");
  expect_rejected ("../escape", "`..`");
  expect_rejected ("rootfs/../../escape", "`..`");
  expect_rejected ("./rootfs/a/..", "`..`");
  /* The message names the entry as it appeared.  */
  expect_rejected ("rootfs/../../escape", "entry `rootfs/../../escape`");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_normalises),
    cmocka_unit_test (test_rejects_escapes),
  };
  return cmocka_run_group_tests_name ("archive_path", tests, NULL, NULL);
}
