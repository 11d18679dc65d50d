/* The host range container root maps to (runtime/config/idmap.c): /etc/subuid
 * parsing as minictr reads it, and volatile.idmap.* in a config.  */
#include "tests/unit/unit.h"
#include "runtime/config/idmap.h"
#include "lib/utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char file[64];

static int
setup (void **state)
{
  int fd;

  (void) state;
  strcpy (file, "/tmp/mc-unit-subuid-XXXXXX");
  fd = mkstemp (file);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

static int
teardown (void **state)
{
  (void) state;
  unlink (file);
  return 0;
}

static void
put (const char *text)
{
  FILE *f = fopen (file, "w");

  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static void
test_from_file (void **state)
{
  uint32_t base = 0, count = 0;
  mc_error_t err = NULL;

  (void) state;
  /* Other users' entries are skipped; the first root entry counts.  */
  put ("lxd:1000000:65536\nroot:100000:10000001\nroot:5:65536\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), 0);
  assert_int_equal (base, 100000);
  assert_int_equal (count, 10000001);
  /* No root entry, an empty file, no file: LXD's default.  */
  put ("lxd:1000000:65536\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), 0);
  assert_int_equal (base, MC_IDMAP_DEFAULT_BASE);
  assert_int_equal (count, MC_IDMAP_DEFAULT_COUNT);
  put ("");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), 0);
  assert_int_equal (base, 1000000);
  assert_int_equal (count, 1000000000);
  assert_int_equal (mc_idmap_from_file ("/nonexistent/subuid", &base, &count, &err), 0);
  assert_int_equal (base, 1000000);
}

static void
test_bad_entries (void **state)
{
  uint32_t base = 0, count = 0;
  mc_error_t err = NULL;

  (void) state;
  put ("root:100000:100\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), -1);
  assert_error_contains (err, "must hold at least 65536 ids above 0");
  put ("root:0:65536\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), -1);
  assert_error_contains (err, "above 0");
  put ("root:4294967000:65536\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), -1);
  assert_error_contains (err, "must hold at least");
  put ("root:100000\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), -1);
  assert_error_contains (err, "malformed entry for root");
  put ("root:1e5:65536\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), -1);
  assert_error_contains (err, "malformed start for root");
  put ("root:100000:65536x\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), -1);
  assert_error_contains (err, "malformed count for root");
}

static void
test_of_config (void **state)
{
  json_t *cfg = json_pack ("{s:{s:s, s:s}}", "config", "volatile.idmap.base", "1065536",
                           "volatile.idmap.size", "65536");
  uint32_t base = 0, size = 0;

  (void) state;
  mc_idmap_of_config (cfg, &base, &size);
  assert_int_equal (base, 1065536);
  assert_int_equal (size, 65536);
  json_decref (cfg);
  /* Missing keys: the defaults.  */
  cfg = json_pack ("{s:{}}", "config");
  mc_idmap_of_config (cfg, &base, &size);
  assert_int_equal (base, MC_IDMAP_DEFAULT_BASE);
  assert_int_equal (size, MC_IDMAP_DEFAULT_COUNT);
  json_decref (cfg);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_from_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_entries, setup, teardown),
    cmocka_unit_test (test_of_config),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
