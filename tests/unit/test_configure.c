/* Profiles stacked on a container (runtime/config/stacking.c) and every kind of
 * change to a stopped container's or a profile's config
 * (runtime/config/configure.c), against a private store: a container here is a
 * directory with a config.yaml, which is all these modules read.  */
#include "tests/unit/unit.h"
#include "runtime/config/configure.h"
#include "runtime/container.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "images/store.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture
{
  char dir[64];
  char src[80];
  struct mc_store store;
};

static json_t *
yaml (const char *text)
{
  json_error_t jerr;
  json_t *v = json_loads (text, 0, &jerr);

  if (v == NULL)
    fail_msg ("bad JSON in the test: %s", jerr.text);
  return v;
}

static void
profile (struct mc_store *s, const char *name, const char *doc)
{
  mc_error_t err = NULL;
  json_t *p = yaml (doc);

  if (mc_profile_save (s, name, p, true, &err) < 0)
    fail_msg ("profile %s: %s", name, err->msg);
  json_decref (p);
}

static void
container (struct mc_store *s, const char *name, const char *doc)
{
  cleanup_close int cfd = -1;
  mc_error_t err = NULL;
  json_t *c = yaml (doc);

  assert_true ((cfd = mc_containers_dir (s, &err)) >= 0);
  assert_int_equal (mkdirat (cfd, name, 0700), 0);
  if (mc_container_config_save (s, name, c, &err) < 0)
    fail_msg ("container %s: %s", name, err->msg);
  json_decref (c);
}

static int
setup (void **state)
{
  struct fixture *f = calloc (1, sizeof (*f));
  mc_error_t err = NULL;

  strcpy (f->dir, "/tmp/mc-unit-configure-XXXXXX");
  if (mkdtemp (f->dir) == NULL || setenv ("MINICTR_DIR", f->dir, 1) < 0)
    return -1;
  snprintf (f->src, sizeof (f->src), "%s/src", f->dir);
  if (mkdir (f->src, 0755) < 0 || mc_store_open (&f->store, &err) < 0
      || mc_profiles_install_defaults (&f->store, &err) < 0)
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

static const char *
get (json_t *doc, const char *key)
{
  return json_string_value (json_object_get (json_object_get (doc, "config"), key));
}

static const char *
dev_key (json_t *doc, const char *dev, const char *key)
{
  return json_string_value (json_object_get (json_object_get (json_object_get (doc, "devices"), dev), key));
}

/* The bytes of containers/NAME/config.yaml.  */
static char *
config_bytes (struct fixture *f, const char *name)
{
  cleanup_free char *path = xasprintf ("containers/%s/config.yaml", name);
  mc_error_t err = NULL;
  char *buf = NULL;

  if (mc_read_file_at (f->store.rootfd, path, 1 << 20, &buf, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  return buf;
}

static void
test_stacking_order (void **state)
{
  struct fixture *f = *state;
  mc_error_t err = NULL;
  cleanup_free char *p1 = xasprintf ("{\"config\": {\"limits.memory\": \"64MiB\", \"user.a\": \"p1\"},"
                                     " \"devices\": {\"d\": {\"type\": \"disk\", \"source\": \"%s\","
                                     " \"path\": \"/a\", \"readonly\": \"true\"}}}", f->src);
  json_t *x;

  profile (&f->store, "p1", p1);
  profile (&f->store, "p2", "{\"config\": {\"limits.memory\": \"128MiB\"}}");
  container (&f->store, "c",
             "{\"profiles\": [\"default\", \"p1\", \"p2\"], \"config\": {\"limits.cpu\": \"1\","
             " \"volatile.base_image\": \"x\"}, \"devices\": {}}");
  x = mc_container_config_expanded (&f->store, "c", &err);
  assert_non_null (x);
  /* Later profiles win, the container's own keys win over all.  */
  assert_string_equal (get (x, "limits.memory"), "128MiB");
  assert_string_equal (get (x, "user.a"), "p1");
  assert_string_equal (get (x, "limits.cpu"), "1");
  assert_string_equal (dev_key (x, "d", "path"), "/a");
  json_decref (x);
  /* A container's device of the same name replaces the profile's whole:
   * readonly does not survive from p1.  */
  container (&f->store, "c2",
             "{\"profiles\": [\"p1\"], \"config\": {}, \"devices\": {\"d\": {\"type\": \"disk\","
             " \"source\": \"/tmp\", \"path\": \"/b\"}}}");
  x = mc_container_config_expanded (&f->store, "c2", &err);
  assert_non_null (x);
  assert_string_equal (dev_key (x, "d", "path"), "/b");
  assert_null (dev_key (x, "d", "readonly"));
  json_decref (x);
  /* A profile that went missing is a clear error.  */
  container (&f->store, "c3", "{\"profiles\": [\"gone\"], \"config\": {}, \"devices\": {}}");
  assert_null (mc_container_config_expanded (&f->store, "c3", &err));
  assert_error_contains (err, "gone");
}

static void
test_profile_use (void **state)
{
  struct fixture *f = *state;
  mc_error_t err = NULL;
  json_t *users, *cfg;

  profile (&f->store, "p1", "{\"config\": {}}");
  container (&f->store, "b", "{\"profiles\": [\"default\", \"p1\"], \"config\": {}, \"devices\": {}}");
  container (&f->store, "a", "{\"profiles\": [\"p1\"], \"config\": {}, \"devices\": {}}");
  container (&f->store, "z", "{\"profiles\": [\"default\"], \"config\": {}, \"devices\": {}}");
  users = mc_profile_used_by (&f->store, "p1", &err);
  assert_non_null (users);
  assert_int_equal (json_array_size (users), 2);
  assert_string_equal (json_string_value (json_array_get (users, 0)), "a");
  assert_string_equal (json_string_value (json_array_get (users, 1)), "b");
  json_decref (users);
  assert_int_equal (mc_profile_delete (&f->store, "p1", &err), -1);
  assert_error_contains (err, "profile `p1` cannot be deleted: used by a, b");
  assert_int_equal (mc_profile_delete (&f->store, "default", &err), -1);
  assert_error_contains (err, "the `default` profile cannot be deleted");
  assert_int_equal (mc_profile_rename (&f->store, "default", "x", &err), -1);
  assert_error_contains (err, "cannot be renamed");
  assert_int_equal (mc_profile_rename (&f->store, "p1", "default", &err), -1);
  assert_error_contains (err, "profile `default` already exists");
  /* Renamed in the containers' lists too, in place.  */
  assert_int_equal (mc_profile_rename (&f->store, "p1", "p9", &err), 0);
  cfg = mc_container_config_load (&f->store, "b", &err);
  assert_non_null (cfg);
  assert_string_equal (json_string_value (json_array_get (json_object_get (cfg, "profiles"), 1)), "p9");
  json_decref (cfg);
  assert_null (mc_profile_load (&f->store, "p1", &err));
  assert_error_contains (err, "p1");
}

static void
test_set_unset (void **state)
{
  struct fixture *f = *state;
  const char *keys[] = { "limits.memory", "user.note" }, *values[] = { "64MiB", "hello" };
  struct mc_config_change set = { .keys = keys, .values = values, .n = 2 };
  struct mc_config_change unset = { .keys = keys, .n = 1 };
  const char *bad_v[] = { "lots" };
  struct mc_config_change bad = { .keys = keys, .values = bad_v, .n = 1 };
  const char *unknown_k[] = { "limits.memroy" };
  struct mc_config_change unknown = { .keys = unknown_k, .values = values, .n = 1 };
  cleanup_free char *before = NULL, *after = NULL;
  mc_error_t err = NULL;
  json_t *cfg;

  container (&f->store, "c", "{\"profiles\": [\"default\"], \"config\": {\"volatile.base_image\": \"x\"},"
                             " \"devices\": {}}");
  assert_int_equal (mc_container_configure (&f->store, "c", &set, NULL, &err), 0);
  cfg = mc_container_config_load (&f->store, "c", &err);
  assert_string_equal (get (cfg, "limits.memory"), "64MiB");
  assert_string_equal (get (cfg, "user.note"), "hello");
  json_decref (cfg);
  assert_int_equal (mc_container_configure (&f->store, "c", &unset, NULL, &err), 0);
  cfg = mc_container_config_load (&f->store, "c", &err);
  assert_null (get (cfg, "limits.memory"));
  assert_string_equal (get (cfg, "user.note"), "hello");
  json_decref (cfg);
  /* Refused changes leave config.yaml byte for byte as it was.  */
  before = config_bytes (f, "c");
  assert_int_equal (mc_container_configure (&f->store, "c", &bad, NULL, &err), -1);
  assert_error_contains (err, "limits.memory");
  assert_int_equal (mc_container_configure (&f->store, "c", &unknown, NULL, &err), -1);
  assert_error_contains (err, "did you mean `limits.memory`");
  after = config_bytes (f, "c");
  assert_string_equal (before, after);
}

static void
test_edit_keeps_volatile (void **state)
{
  struct fixture *f = *state;
  struct mc_config_change edit = { 0 };
  cleanup_free char *before = NULL, *after = NULL;
  mc_error_t err = NULL;
  json_t *cfg;

  container (&f->store, "c", "{\"profiles\": [\"default\"], \"config\": {\"volatile.base_image\": \"x\","
                             " \"volatile.idmap.base\": \"1000000\", \"user.old\": \"1\"}, \"devices\": {}}");
  /* #9's case: a document without `config:` keeps every volatile key and
   * drops the others.  */
  edit.replace = yaml ("{\"description\": \"x\"}");
  assert_int_equal (mc_container_configure (&f->store, "c", &edit, NULL, &err), 0);
  json_decref (edit.replace);
  cfg = mc_container_config_load (&f->store, "c", &err);
  assert_string_equal (get (cfg, "volatile.base_image"), "x");
  assert_string_equal (get (cfg, "volatile.idmap.base"), "1000000");
  assert_null (get (cfg, "user.old"));
  assert_string_equal (json_string_value (json_object_get (cfg, "description")), "x");
  json_decref (cfg);
  /* An edit that changes a volatile key is refused, and changes nothing;
   * one that repeats them as they are goes through.  */
  before = config_bytes (f, "c");
  edit.replace = yaml ("{\"config\": {\"volatile.base_image\": \"forged\", \"user.new\": \"2\"}}");
  assert_int_equal (mc_container_configure (&f->store, "c", &edit, NULL, &err), -1);
  assert_error_contains (err, "config key `volatile.base_image` is managed by minictr and cannot be changed");
  json_decref (edit.replace);
  after = config_bytes (f, "c");
  assert_string_equal (before, after);
  edit.replace = yaml ("{\"config\": {\"volatile.base_image\": \"x\", \"user.new\": \"2\"}}");
  assert_int_equal (mc_container_configure (&f->store, "c", &edit, NULL, &err), 0);
  json_decref (edit.replace);
  cfg = mc_container_config_load (&f->store, "c", &err);
  assert_string_equal (get (cfg, "volatile.base_image"), "x");
  assert_string_equal (get (cfg, "volatile.idmap.base"), "1000000");
  assert_string_equal (get (cfg, "user.new"), "2");
  json_decref (cfg);
}

static void
test_devices_and_profiles (void **state)
{
  struct fixture *f = *state;
  struct mc_config_change add = { .device = "d" }, remove = { .device = "d" };
  struct mc_config_change set_profiles = { 0 };
  const char *keys[] = { "limits.cpu" }, *values[] = { "2" };
  struct mc_config_change pset = { .keys = keys, .values = values, .n = 1 };
  cleanup_free char *before = NULL;
  mc_error_t err = NULL;
  json_t *cfg;

  container (&f->store, "c", "{\"profiles\": [\"default\"], \"config\": {}, \"devices\": {}}");
  before = config_bytes (f, "c");
  add.device_conf = yaml ("{\"type\": \"disk\", \"source\": \"/nonexistent/x\", \"path\": \"/x\"}");
  assert_int_equal (mc_container_configure (&f->store, "c", &add, NULL, &err), -1);
  assert_error_contains (err, "source `/nonexistent/x`");
  json_decref (add.device_conf);
  {
    cleanup_free char *now = config_bytes (f, "c");
    assert_string_equal (before, now);
  }
  add.device_conf = json_pack ("{s:s, s:s, s:s}", "type", "disk", "source", f->src, "path", "/x");
  assert_int_equal (mc_container_configure (&f->store, "c", &add, NULL, &err), 0);
  json_decref (add.device_conf);
  cfg = mc_container_config_load (&f->store, "c", &err);
  assert_string_equal (dev_key (cfg, "d", "path"), "/x");
  json_decref (cfg);
  assert_int_equal (mc_container_configure (&f->store, "c", &remove, NULL, &err), 0);
  cfg = mc_container_config_load (&f->store, "c", &err);
  assert_null (json_object_get (json_object_get (cfg, "devices"), "d"));
  json_decref (cfg);
  /* The profile list: every profile must exist, none twice.  */
  set_profiles.profiles = yaml ("[\"default\", \"nope\"]");
  assert_int_equal (mc_container_configure (&f->store, "c", &set_profiles, NULL, &err), -1);
  assert_error_contains (err, "nope");
  json_decref (set_profiles.profiles);
  set_profiles.profiles = yaml ("[\"default\", \"default\"]");
  assert_int_equal (mc_container_configure (&f->store, "c", &set_profiles, NULL, &err), -1);
  assert_error_contains (err, "profile `default` is listed twice");
  json_decref (set_profiles.profiles);
  /* A profile's own change.  */
  assert_int_equal (mc_profile_configure (&f->store, "default", &pset, NULL, &err), 0);
  cfg = mc_profile_load (&f->store, "default", &err);
  assert_string_equal (get (cfg, "limits.cpu"), "2");
  json_decref (cfg);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_stacking_order, setup, teardown),
    cmocka_unit_test_setup_teardown (test_profile_use, setup, teardown),
    cmocka_unit_test_setup_teardown (test_set_unset, setup, teardown),
    cmocka_unit_test_setup_teardown (test_edit_keeps_volatile, setup, teardown),
    cmocka_unit_test_setup_teardown (test_devices_and_profiles, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
