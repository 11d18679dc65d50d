#include "tests/unit/unit.h"
#include "lib/utils.h"

#include <string.h>

static void
expect_size (const char *s, uint64_t want)
{
  mc_error_t err = NULL;
  uint64_t got = 0;

  if (mc_parse_size (s, &got, &err) != 0)
    fail_msg ("`%s` rejected: %s", s, err->msg);
  assert_int_equal (got, want);
}

static void
expect_bad (const char *s, const char *why)
{
  mc_error_t err = NULL;
  uint64_t got = 0;

  assert_int_equal (mc_parse_size (s, &got, &err), -1);
  assert_error_contains (err, why);
}

static void
test_parse (void **state)
{
  (void) state;
  expect_size ("0", 0);
  expect_size ("1024", 1024);
  expect_size ("512B", 512);
  expect_size ("256MiB", 268435456ULL);
  expect_size ("64MiB", 67108864ULL);
  expect_size ("1GB", 1000000000ULL);
  expect_size ("2GiB", 2147483648ULL);
  expect_size ("3kB", 3000);
  expect_size ("1KiB", 1024);
  expect_size ("1EiB", 1ULL << 60);
  expect_size ("15EiB", 15ULL << 60);
}

static void
test_rejects (void **state)
{
  (void) state;
  expect_bad ("", "expected a whole number");
  expect_bad ("-1", "expected a whole number");
  expect_bad ("MiB", "expected a whole number");
  expect_bad ("1.5GiB", "unknown unit `.5GiB`");
  expect_bad ("10mb", "unknown unit `mb`");
  expect_bad ("10 MiB", "unknown unit ` MiB`");
  expect_bad ("16EiB", "too large");
  expect_bad ("99999999999999999999", "too large");
}

static void
test_format (void **state)
{
  char buf[32];

  (void) state;
  mc_format_size (0, buf, sizeof (buf));
  assert_string_equal (buf, "0B");
  mc_format_size (1023, buf, sizeof (buf));
  assert_string_equal (buf, "1023B");
  mc_format_size (1024, buf, sizeof (buf));
  assert_string_equal (buf, "1.00KiB");
  mc_format_size (2621440, buf, sizeof (buf));
  assert_string_equal (buf, "2.50MiB");
  mc_format_size (3ULL << 30, buf, sizeof (buf));
  assert_string_equal (buf, "3.00GiB");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse),
    cmocka_unit_test (test_rejects),
    cmocka_unit_test (test_format),
  };
  return cmocka_run_group_tests_name ("size", tests, NULL, NULL);
}
