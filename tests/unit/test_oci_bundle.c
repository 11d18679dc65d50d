/* OCI bundles (runtime/oci/bundle.c): the config `minictr oci spec` writes
 * reads back as written, rootful and rootless; limits and users are
 * taken; and every malformed field, and every field minictr does not
 * carry out, is refused by name.  */
#include "tests/unit/unit.h"
#include "runtime/oci/bundle.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* A bundle in DIR: a rootfs and SPEC as its config.json.  */
static void
write_bundle (json_t *spec)
{
  char *text = json_dumps (spec, 0);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  assert_true (fd >= 0);
  unit_write_at (fd, "config.json", text, strlen (text));
  close (fd);
  free (text);
}

static int
setup (void **state)
{
  char rootfs[96];

  (void) state;
  snprintf (dir, sizeof (dir), "/tmp/minictr-bundle-XXXXXX");
  assert_non_null (mkdtemp (dir));
  snprintf (rootfs, sizeof (rootfs), "%s/rootfs", dir);
  assert_int_equal (mkdir (rootfs, 0755), 0);
  return 0;
}

static int
teardown (void **state)
{
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, dir, &err), 0);
  return 0;
}

static void
test_default (void **state)
{
  json_t *spec = mc_oci_spec_default (false, 1000, 1000);
  struct mc_oci_bundle b;
  mc_error_t err = NULL;
  char want[96];

  (void) state;
  write_bundle (spec);
  json_decref (spec);
  assert_int_equal (mc_oci_bundle_read (dir, &b, &err), 0);
  snprintf (want, sizeof (want), "%s/rootfs", dir);
  assert_string_equal (b.root, want);
  assert_true (b.root_readonly);
  assert_string_equal (b.hostname, "minictr");
  assert_string_equal (b.args[0], "sh");
  assert_null (b.args[1]);
  assert_string_equal (b.env[1], "TERM=xterm");
  assert_string_equal (b.cwd, "/");
  assert_true (b.terminal);
  assert_true (b.no_new_privileges);
  assert_int_equal (b.uid, 0);
  assert_int_equal (b.umask, -1);
  assert_int_equal (b.caps[MC_OCI_CAPS_BOUNDING],
                    (1u << CAP_AUDIT_WRITE) | (1u << CAP_KILL) | (1u << CAP_NET_BIND_SERVICE));
  assert_int_equal (b.caps[MC_OCI_CAPS_PERMITTED], b.caps[MC_OCI_CAPS_BOUNDING]);
  assert_int_equal (b.caps[MC_OCI_CAPS_AMBIENT], 0);
  assert_int_equal (b.n_rlimits, 1);
  assert_int_equal (b.rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (b.rlimits[0].limit.rlim_max, 1024);
  assert_true (b.ns[MC_OCI_NS_PID] && b.ns[MC_OCI_NS_NETWORK] && b.ns[MC_OCI_NS_MOUNT] && b.ns[MC_OCI_NS_IPC]
               && b.ns[MC_OCI_NS_UTS] && b.ns[MC_OCI_NS_CGROUP]);
  assert_false (b.ns[MC_OCI_NS_USER]);
  assert_int_equal (b.n_mounts, 7);
  assert_string_equal (b.mounts[2].destination, "/dev/pts");
  assert_string_equal (b.mounts[2].type, "devpts");
  assert_string_equal (b.mounts[2].options[2], "newinstance");
  assert_string_equal (b.masked_paths[0], "/proc/acpi");
  assert_string_equal (b.masked_paths[2], "/proc/interrupts");
  assert_string_equal (b.readonly_paths[4], "/proc/sysrq-trigger");
  assert_null (b.readonly_paths[5]);
  assert_int_equal (b.memory_limit, -1);
  assert_int_equal (b.pids_limit, -1);
  assert_null (b.cgroups_path);
  mc_oci_bundle_release (&b);
}

static void
test_rootless (void **state)
{
  json_t *spec = mc_oci_spec_default (true, 1234, 5678);
  struct mc_oci_bundle b;
  mc_error_t err = NULL;

  (void) state;
  write_bundle (spec);
  json_decref (spec);
  assert_int_equal (mc_oci_bundle_read (dir, &b, &err), 0);
  assert_true (b.ns[MC_OCI_NS_USER]);
  assert_int_equal (b.idmap.uid.n, 1);
  assert_int_equal (b.idmap.uid.e[0].ns, 0);
  assert_int_equal (b.idmap.uid.e[0].host, 1234);
  assert_int_equal (b.idmap.uid.e[0].count, 1);
  assert_int_equal (b.idmap.gid.e[0].host, 5678);
  assert_int_equal (b.n_mounts, 6);
  assert_string_equal (b.mounts[5].source, "/sys");
  assert_string_equal (b.mounts[5].options[0], "rbind");
  mc_oci_bundle_release (&b);
}

/* Limits, a user with groups and umask, a cgroup, annotations.  */
static void
test_settings (void **state)
{
  json_t *spec = mc_oci_spec_default (false, 0, 0);
  json_t *lx = json_object_get (spec, "linux"), *proc = json_object_get (spec, "process");
  struct mc_oci_bundle b;
  mc_error_t err = NULL;

  (void) state;
  json_object_set_new (json_object_get (lx, "resources"), "memory", json_pack ("{s:I}", "limit", (json_int_t) 67108864));
  json_object_set_new (json_object_get (lx, "resources"), "pids", json_pack ("{s:i}", "limit", 100));
  json_object_set_new (lx, "cgroupsPath", json_string ("/machine/c1"));
  json_object_set_new (proc, "user", json_pack ("{s:i, s:i, s:i, s:[i, i]}", "uid", 1000, "gid", 1001, "umask", 18,
                                                "additionalGids", 10, 20));
  json_object_set_new (spec, "annotations", json_pack ("{s:s}", "org.example", "yes"));
  json_object_set_new (json_object_get (spec, "root"), "path", json_string (dir));
  write_bundle (spec);
  json_decref (spec);
  assert_int_equal (mc_oci_bundle_read (dir, &b, &err), 0);
  assert_int_equal (b.memory_limit, 67108864);
  assert_int_equal (b.pids_limit, 100);
  assert_string_equal (b.cgroups_path, "/machine/c1");
  assert_int_equal (b.uid, 1000);
  assert_int_equal (b.gid, 1001);
  assert_int_equal (b.umask, 18);
  assert_int_equal (b.n_additional_gids, 2);
  assert_int_equal (b.additional_gids[1], 20);
  assert_string_equal (json_string_value (json_object_get (b.annotations, "org.example")), "yes");
  /* An absolute root.path is taken as it is.  */
  assert_string_equal (b.root, dir);
  mc_oci_bundle_release (&b);
}

/* SPEC with PATH (dot-separated objects) set to VALUE (NULL: removed),
 * read: refused with an error containing WANT.  */
static void
refused_with (const char *path, json_t *value, const char *want)
{
  json_t *spec = mc_oci_spec_default (false, 0, 0), *obj = spec;
  char *p = xstrdup (path), *dot, *key = p;
  struct mc_oci_bundle b;
  mc_error_t err = NULL;

  while ((dot = strchr (key, '.')) != NULL)
    {
      *dot = '\0';
      obj = json_object_get (obj, key);
      assert_non_null (obj);
      key = dot + 1;
    }
  if (value)
    json_object_set_new (obj, key, value);
  else
    json_object_del (obj, key);
  free (p);
  write_bundle (spec);
  json_decref (spec);
  assert_int_equal (mc_oci_bundle_read (dir, &b, &err), -1);
  assert_error_contains (err, want);
  mc_oci_bundle_release (&b);
}

static void
test_refused (void **state)
{
  struct mc_oci_bundle b;
  mc_error_t err = NULL;
  int fd;

  (void) state;
  assert_int_equal (mc_oci_bundle_read ("/nonexistent-bundle", &b, &err), -1);
  assert_error_contains (err, "bundle `/nonexistent-bundle`");
  refused_with ("ociVersion", json_string ("0.9"), "config.json: `ociVersion` `0.9` is not 1.x");
  refused_with ("hooks", json_pack ("{s:[{s:s}]}", "startContainer", "path", "bin/true"),
                "config.json: `hooks.startContainer[0].path` is not an absolute path");
  refused_with ("hooks", json_pack ("{s:[{s:s}]}", "prestart", "path", "bin/true"),
                "config.json: `hooks.prestart[0].path` is not an absolute path");
  refused_with ("hooks", json_pack ("{s:[{s:s, s:i}]}", "poststop", "path", "/bin/true", "timeout", 0),
                "config.json: `hooks.poststop[0].timeout` is not a number of seconds over 0");
  refused_with ("linux.intelRdt", json_object (), "`linux.intelRdt` is not supported by minictr");
  refused_with ("hostname", json_integer (1), "`hostname` is not a string");
  refused_with ("linux.intelRdt", json_object (), "`linux.intelRdt` is not supported by minictr");
  refused_with ("solaris", json_object (), "config.json: `solaris` is not supported by minictr");
  refused_with ("process.args", json_array (), "`process.args` is empty");
  refused_with ("process.cwd", json_string ("tmp"), "`process.cwd` is not an absolute path");
  refused_with ("process.oomScoreAdj", json_integer (1001), "`process.oomScoreAdj` is not a number from -1000 to 1000");
  refused_with ("process.apparmorProfile", json_string ("x"), "no LSM labels");
  refused_with ("process.rlimits", json_pack ("[{s:s, s:i, s:i}]", "type", "RLIMIT_FOO", "hard", 1, "soft", 1),
                "`process.rlimits[0]`: unknown type `RLIMIT_FOO`");
  refused_with ("process.rlimits", json_pack ("[{s:s, s:i, s:i}]", "type", "RLIMIT_NOFILE", "hard", 1, "soft", 2),
                "soft 2 is over hard 1");
  refused_with ("process.capabilities", json_pack ("{s:[s]}", "bounding", "CAP_FOO"),
                "`process.capabilities.bounding[0]`: unknown capability `CAP_FOO`");
  refused_with ("process.user", json_pack ("{s:i}", "uid", -1), "`process.user.uid` is not a number");
  refused_with ("root.path", json_string ("nosuch"), "`root.path`");
  refused_with ("root", NULL, "`root.path` is missing");
  refused_with ("linux.namespaces",
                json_pack ("[{s:s}, {s:s, s:s}]", "type", "mount", "type", "user", "path", "/proc/1/ns/user"),
                "joining a user namespace by path is not supported by minictr");
  refused_with ("linux.namespaces",
                json_pack ("[{s:s}, {s:s, s:s}]", "type", "mount", "type", "network", "path", "net"),
                "`linux.namespaces[1].path` is not an absolute path");
  refused_with ("linux.namespaces", json_pack ("[{s:s}, {s:s}]", "type", "mount", "type", "mount"),
                "`mount` is there twice");
  refused_with ("linux.namespaces", json_pack ("[{s:s}]", "type", "pid"), "has no `mount`");
  refused_with ("linux.namespaces", json_pack ("[{s:s}, {s:s}]", "type", "mount", "type", "time"),
                "unsupported namespace type `time`");
  refused_with ("linux.namespaces", json_pack ("[{s:s}, {s:s}]", "type", "mount", "type", "user"),
                "a user namespace needs `linux.uidMappings`");
  refused_with ("linux.uidMappings", json_pack ("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1),
                "`linux.uidMappings` without a user namespace");
  refused_with ("linux.resources.memory", json_pack ("{s:i}", "limit", 0), "`linux.resources.memory.limit`");
  refused_with ("linux.resources.cpu", json_pack ("{s:i}", "realtimePeriod", 5),
                "`linux.resources.cpu.realtimePeriod` is not supported by minictr");
  refused_with ("linux.resources.cpu", json_pack ("{s:s}", "cpus", "0;1"), "`linux.resources.cpu.cpus` `0;1` is not a list");
  refused_with ("linux.resources.cpu", json_pack ("{s:i}", "quota", 5), "`linux.resources.cpu.quota` is not a time");
  refused_with ("linux.resources.blockIO", json_object (), "`linux.resources.blockIO` is not supported by minictr");
  refused_with ("linux.resources.memory", json_pack ("{s:i, s:i}", "limit", 2000000, "swap", 1000000),
                "`linux.resources.memory.swap` (memory and swap) is below `limit`");
  refused_with ("linux.sysctl", json_pack ("{s:i}", "kernel.shmmax", 1), "`linux.sysctl.kernel.shmmax` is not a string");
  refused_with ("linux.resources.devices", json_pack ("[{s:b, s:s}]", "allow", 1, "access", "rwm"),
                "allowing every device");
  refused_with ("linux.rootfsPropagation", json_string ("shared"), "`linux.rootfsPropagation`");
  refused_with ("mounts", json_pack ("[{s:s, s:s}]", "destination", "proc", "type", "proc"),
                "`mounts[0].destination` is not an absolute path");
  refused_with ("linux.namespaces", json_pack ("[{s:s}]", "type", "mount"), "`hostname` without a uts namespace");
  /* A malformed file, and duplicate keys.  */
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  unit_write_at (fd, "config.json", "{\"ociVersion\": \"1.0.2\", \"ociVersion\": \"1.0.2\"}", 46);
  close (fd);
  assert_int_equal (mc_oci_bundle_read (dir, &b, &err), -1);
  assert_error_contains (err, "config.json: line 1: duplicate object key");
  mc_oci_bundle_release (&b);
}

/* exec's --process: a Process object alone, consoleSize taken; errors
 * name the file.  */
static void
test_process (void **state)
{
  char path[128];
  struct mc_oci_bundle b;
  mc_error_t err = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  static const char good[] = "{\"terminal\": true, \"consoleSize\": {\"height\": 20, \"width\": 70}, "
                             "\"args\": [\"sh\"], \"cwd\": \"/tmp\", \"user\": {\"uid\": 5, \"gid\": 6}}";
  static const char wrong[] = "{\"args\": [\"sh\"], \"cwd\": \"/\", \"consoleSize\": {\"rows\": 1}}";

  (void) state;
  assert_true (fd >= 0);
  unit_write_at (fd, "p.json", good, strlen (good));
  snprintf (path, sizeof (path), "%s/p.json", dir);
  assert_int_equal (mc_oci_process_read (path, &b, &err), 0);
  assert_true (b.terminal);
  assert_int_equal (b.console_rows, 20);
  assert_int_equal (b.console_cols, 70);
  assert_string_equal (b.args[0], "sh");
  assert_null (b.args[1]);
  assert_null (b.env[0]);
  assert_string_equal (b.cwd, "/tmp");
  assert_int_equal (b.uid, 5);
  assert_int_equal (b.gid, 6);
  assert_int_equal (b.umask, -1);
  mc_oci_bundle_release (&b);
  unit_write_at (fd, "p.json", wrong, strlen (wrong));
  assert_int_equal (mc_oci_process_read (path, &b, &err), -1);
  assert_error_contains (err, "p.json: `process.consoleSize.rows` is not supported by minictr");
  mc_oci_bundle_release (&b);
  /* The next config.json's errors name it again.  */
  refused_with ("hostname", json_integer (1), "config.json: `hostname` is not a string");
  close (fd);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_default, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rootless, setup, teardown),
    cmocka_unit_test_setup_teardown (test_settings, setup, teardown),
    cmocka_unit_test_setup_teardown (test_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_process, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
