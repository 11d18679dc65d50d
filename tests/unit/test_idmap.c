/* The host range container root maps to (runtime/config/idmap.c): /etc/subuid
 * parsing as minictr reads it, and volatile.idmap.* in a config; raw.idmap
 * carved out of a range (lib/idmapset.c).  */
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
  /* A small root entry (LXD's docs add `root:1000:1` for raw.idmap) is
     skipped for the next big one, as LXD does.  */
  put ("root:1000:1\nroot:200000:65536\n");
  assert_int_equal (mc_idmap_from_file (file, &base, &count, &err), 0);
  assert_int_equal (base, 200000);
  assert_int_equal (count, 65536);
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

/* EXPECT: "NS HOST COUNT\n" lines, as /proc/PID/uid_map takes them.  */
static void
assert_list (const struct mc_idmap_list *l, const char *expect)
{
  char buf[4096];

  assert_true (mc_idmap_list_format (l, buf, sizeof (buf)) > 0);
  assert_string_equal (buf, expect);
}

static void
test_raw_build (void **state)
{
  struct mc_idmap_set set;
  mc_error_t err = NULL;
  char *canon = NULL;
  uint32_t id = 0;

  (void) state;
  /* None: the range alone, uids and gids.  */
  assert_int_equal (mc_idmap_set_build (&set, 1000000, 65536, NULL, &canon, &err), 0);
  assert_list (&set.uid, "0 1000000 65536\n");
  assert_list (&set.gid, "0 1000000 65536\n");
  assert_string_equal (canon, "");
  free (canon);
  /* LXD's lab example: host 1000 is 1000 inside, both kinds; the range is
     cut around it.  Blank lines and a CR are ignored.  */
  assert_int_equal (mc_idmap_set_build (&set, 1000000, 65536, "\nboth 1000 1000\r\n", &canon, &err), 0);
  assert_list (&set.uid, "0 1000000 1000\n1000 1000 1\n1001 1001001 64535\n");
  assert_list (&set.gid, "0 1000000 1000\n1000 1000 1\n1001 1001001 64535\n");
  assert_string_equal (canon, "uid 1000 1000\ngid 1000 1000");
  free (canon);
  assert_true (mc_idmap_to_host (&set.uid, 1000, &id));
  assert_int_equal (id, 1000);
  assert_true (mc_idmap_to_host (&set.uid, 1001, &id));
  assert_int_equal (id, 1001001);
  assert_true (mc_idmap_to_ns (&set.gid, 1000999, &id));
  assert_int_equal (id, 999);
  assert_false (mc_idmap_to_ns (&set.gid, 1000000 + 1000, &id)); /* carved out */
  assert_false (mc_idmap_to_host (&set.uid, 65536, &id));
  /* Ranges, kinds apart, one past the range's end, one at its start.  */
  assert_int_equal (mc_idmap_set_build (&set, 1000000, 65536, "uid 2000-2009 500-509\ngid 50 60\nuid 7 70000",
                                        &canon, &err), 0);
  assert_list (&set.uid, "0 1000000 500\n500 2000 10\n510 1000510 65026\n70000 7 1\n");
  assert_list (&set.gid, "0 1000000 60\n60 50 1\n61 1000061 65475\n");
  assert_string_equal (canon, "uid 2000-2009 500-509\ngid 50 60\nuid 7 70000");
  free (canon);
  /* An entry at the range's first id after root, and at its last.  */
  assert_int_equal (mc_idmap_set_build (&set, 1000000, 65536, "uid 5 1\nuid 6 65535", NULL, &err), 0);
  assert_list (&set.uid, "0 1000000 1\n1 5 1\n2 1000002 65533\n65535 6 1\n");
}

static void
test_raw_errors (void **state)
{
  static const struct
  {
    const char *raw, *error;
  } bad[] = {
    { "both 1000", "invalid raw.idmap line `both 1000`: want `uid|gid|both HOST CONTAINER`" },
    { "user 1000 1000", "invalid raw.idmap line `user 1000 1000`: want" },
    { "both 1000 1000 1", "want `uid|gid|both HOST CONTAINER`" },
    { "uid 10-5 10-5", "invalid raw.idmap line `uid 10-5 10-5`: ids are N or N-M (M >= N)" },
    { "uid x 1", "ids are N or N-M" },
    { "uid 1- 1", "ids are N or N-M" },
    { "uid -1 1", "ids are N or N-M" },
    { "gid 4294967296 1", "ids are N or N-M" },
    { "uid 1-2 1-3", "invalid raw.idmap line `uid 1-2 1-3`: the host range has 2 ids, the container's 3" },
    { "uid 1000-1001 4294967295-4294967296", "ids are N or N-M" },
    { "both 1000 0", "raw.idmap line `both 1000 0`: container root (uid 0) cannot be remapped" },
    { "gid 1000-1010 0-10", "container root (gid 0) cannot be remapped" },
    { "both 1000500 5", "raw.idmap line `both 1000500 5`: host uids 1000500-1000500 are in the container's own range 1000000-1065535" },
    { "uid 999999-1000000 5-6", "host uids 999999-1000000 are in the container's own range" },
    { "uid 1000 1000\nuid 1000 2000", "raw.idmap line `uid 1000 2000`: its uids overlap an earlier entry's" },
    { "both 1000-1010 1000-1010\ngid 2000 1005", "raw.idmap line `gid 2000 1005`: its gids overlap an earlier entry's" },
  };
  struct mc_idmap_set set;
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      mc_error_t err = NULL;
      char *canon = NULL;

      assert_int_equal (mc_idmap_set_build (&set, 1000000, 65536, bad[i].raw, &canon, &err), -1);
      assert_null (canon);
      assert_error_contains (err, bad[i].error);
      mc_error_release (&err);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_from_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_entries, setup, teardown),
    cmocka_unit_test (test_of_config),
    cmocka_unit_test (test_raw_build),
    cmocka_unit_test (test_raw_errors),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
