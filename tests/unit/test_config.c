#include "tests/unit/unit.h"
#include "runtime/config/config.h"
#include "runtime/config/device-config.h"
#include "lib/utils.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
expect_valid (const char *key, const char *value)
{
  mc_error_t err = NULL;

  if (mc_config_validate (key, value, &err) != 0)
    fail_msg ("%s=%s rejected: %s", key, value, err->msg);
}

static void
expect_invalid (const char *key, const char *value, const char *msg)
{
  mc_error_t err = NULL;

  assert_int_equal (mc_config_validate (key, value, &err), -1);
  assert_non_null (err);
  if (strcmp (err->msg, msg) != 0)
    fail_msg ("%s=%s: got `%s`, want `%s`", key, value, err->msg, msg);
  mc_error_release (&err);
}

static void
test_keys (void **state)
{
  mc_error_t err = NULL;

  (void) state;
  expect_valid ("limits.memory", "256MiB");
  expect_valid ("limits.memory", "1GB");
  expect_valid ("limits.memory", "50%");
  expect_valid ("environment.DISPLAY", ":0");
  expect_valid ("user.anything.at.all", "");
  expect_valid ("boot.stop.signal", "SIGRTMIN+3");
  expect_valid ("security.privileged", "true");
  expect_invalid ("limits.memroy", "1GB", "unknown config key `limits.memroy` (did you mean `limits.memory`?)");
  expect_invalid ("limits.cpus", "1",
                  "unknown config key `limits.cpus` (did you mean `limits.cpu`?)");
  expect_invalid ("bogus", "1", "unknown config key `bogus` (see `minictr config keys`)");
  expect_invalid ("environment.", "x", "unknown config key `environment.` (see `minictr config keys`)");
  expect_invalid ("limits.memory", "101%",
                  "invalid value `101%` for `limits.memory`: expected a percentage of host memory from 1% to 100%");
  expect_invalid ("limits.memory.enforce", "medium",
                  "invalid value `medium` for `limits.memory.enforce`: expected hard or soft");
  expect_invalid ("limits.cpu.priority", "11",
                  "invalid value `11` for `limits.cpu.priority`: expected a whole number from 0 to 10");
  expect_invalid ("boot.stop.signal", "SIGNOPE",
                  "invalid value `SIGNOPE` for `boot.stop.signal`: expected a signal name or number such as "
                  "SIGPWR, SIGRTMIN+3 or 30");
  /* volatile.* can be read, not written.  */
  assert_non_null (mc_config_key_find ("volatile.uuid", false, &err));
  assert_null (mc_config_key_find ("volatile.uuid", true, &err));
  assert_error_contains (err, "is managed by minictr");
}

static void
test_memory (void **state)
{
  mc_error_t err = NULL;
  uint64_t b = 0, host = (uint64_t) sysconf (_SC_PHYS_PAGES) * (uint64_t) sysconf (_SC_PAGESIZE);

  (void) state;
  assert_int_equal (mc_config_parse_memory ("64MiB", &b, &err), 0);
  assert_int_equal (b, 67108864);
  assert_int_equal (mc_config_parse_memory ("1GB", &b, &err), 0);
  assert_int_equal (b, 1000000000);
  assert_int_equal (mc_config_parse_memory ("50%", &b, &err), 0);
  assert_int_equal (b, host / 100 * 50);
  assert_int_equal (mc_config_parse_memory ("100B", &b, &err), -1);
  assert_error_contains (err, "at least 4096 bytes");
  assert_int_equal (mc_config_parse_memory ("0%", &b, &err), -1);
  assert_error_contains (err, "from 1% to 100%");
}

static void
expect_cpus (const char *value, const char *want)
{
  mc_error_t err = NULL;
  char *set = NULL;

  if (mc_config_parse_cpus (value, &set, &err) != 0)
    fail_msg ("`%s` rejected: %s", value, err->msg);
  assert_string_equal (set, want);
  free (set);
}

static void
test_cpus (void **state)
{
  long n = sysconf (_SC_NPROCESSORS_CONF);
  mc_error_t err = NULL;
  char *set = NULL, big[32];

  (void) state;
  expect_cpus ("1", "0");
  assert_int_equal (mc_config_parse_cpus ("0", &set, &err), -1);
  assert_error_contains (err, "expected a CPU count from 1 to");
  if (n >= 2)
    {
      expect_cpus ("2", "0-1");
      expect_cpus ("0-1", "0-1");
      expect_cpus ("0,1", "0,1");
    }
  snprintf (big, sizeof (big), "%ld", n + 1);
  assert_int_equal (mc_config_parse_cpus (big, &set, &err), -1);
  assert_error_contains (err, "expected a CPU count from 1 to");
  snprintf (big, sizeof (big), "0-%ld", n);
  assert_int_equal (mc_config_parse_cpus (big, &set, &err), -1);
  assert_error_contains (err, "names CPUs the host does not have");
  assert_int_equal (mc_config_parse_cpus ("1-0", &set, &err), -1);
  assert_error_contains (err, "names CPUs the host does not have");
  assert_int_equal (mc_config_parse_cpus ("0,", &set, &err), -1);
  assert_error_contains (err, "expected a CPU count such as 2, or a CPU set such as 0-1,3");
  assert_int_equal (mc_config_parse_cpus ("a", &set, &err), -1);
  assert_error_contains (err, "expected a CPU count");
}

static void
test_allowance (void **state)
{
  uint64_t q = 0, p = 0;
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_config_parse_allowance ("50%", &q, &p, &err), 0);
  assert_int_equal (q, 50000);
  assert_int_equal (p, 100000);
  assert_int_equal (mc_config_parse_allowance ("25ms/100ms", &q, &p, &err), 0);
  assert_int_equal (q, 25000);
  assert_int_equal (p, 100000);
  assert_int_equal (mc_config_parse_allowance ("100ms/50ms", &q, &p, &err), 0);
  assert_int_equal (q, 100000);
  assert_int_equal (p, 50000);
  assert_int_equal (mc_config_parse_allowance ("50", &q, &p, &err), -1);
  assert_error_contains (err, "expected a percentage such as 50%");
  assert_int_equal (mc_config_parse_allowance ("25ms/", &q, &p, &err), -1);
  assert_error_contains (err, "quota/period");
  assert_int_equal (mc_config_parse_allowance ("0%", &q, &p, &err), -1);
  assert_error_contains (err, "expected a percentage from 1%");
}

static void
test_devices (void **state)
{
  mc_error_t err = NULL;
  json_t *d = json_pack ("{s:s, s:s, s:s}", "type", "disk", "source", "/tmp", "path", "/mnt/x");

  (void) state;
  assert_int_equal (mc_device_validate ("x", d, &err), 0);
  json_object_set_new (d, "path", json_string ("mnt"));
  assert_int_equal (mc_device_validate ("x", d, &err), -1);
  assert_error_contains (err, "`path` must be an absolute path in the container");
  json_object_set_new (d, "path", json_string ("/a/../b"));
  assert_int_equal (mc_device_validate ("x", d, &err), -1);
  assert_error_contains (err, "must not contain `..`");
  json_object_set_new (d, "path", json_string ("/mnt"));
  json_object_set_new (d, "readonly", json_string ("yes"));
  assert_int_equal (mc_device_validate ("x", d, &err), -1);
  assert_error_contains (err, "`readonly` must be true or false");
  json_object_del (d, "readonly");
  json_object_set_new (d, "size", json_string ("1GB"));
  assert_int_equal (mc_device_validate ("x", d, &err), -1);
  assert_error_contains (err, "unknown key `size` for a disk");
  json_object_del (d, "size");
  json_object_set_new (d, "source", json_string ("/nonexistent/minictr-unit"));
  assert_int_equal (mc_device_validate ("x", d, &err), -1);
  assert_error_contains (err, "source `/nonexistent/minictr-unit`");
  json_decref (d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_keys),
    cmocka_unit_test (test_memory),
    cmocka_unit_test (test_cpus),
    cmocka_unit_test (test_allowance),
    cmocka_unit_test (test_devices),
  };
  return cmocka_run_group_tests_name ("config", tests, NULL, NULL);
}
