/* OCI layers in the store (images/layers.c): added once by digest (a
 * second add reads nothing), checked against the digest while unpacked
 * (a blob changed after the layout was read is refused, nothing kept),
 * and pruned only when no image record lists them.  */
#include "tests/unit/unit.h"
#include "images/fingerprint.h"
#include "images/layers.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture
{
  char root[64];
  struct mc_store store;
  int blobs;
  struct mc_oci_layer layer;
};

/* A layer tarball made by SCRIPT, as a blob in F's blobs directory.  */
static void
make_blob (struct fixture *f, const char *script)
{
  cleanup_free char *cmd = NULL, *tarball = xasprintf ("%s/layer.tar", f->root), *hexpath = NULL;
  char hex[MC_FP_HEX_LEN + 1];
  struct mc_sha256 h;
  mc_error_t err = NULL;
  int fd;

  cmd = xasprintf ("mkdir -p %s/src && cd %s/src && (%s) && tar -cf %s . && rm -rf %s/src", f->root, f->root, script,
                   tarball, f->root);
  assert_int_equal (system (cmd), 0);
  fd = open (tarball, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (mc_sha256_init (&h, &err), 0);
  assert_int_equal (mc_sha256_update_fd (&h, fd, "layer.tar", &err), 0);
  mc_sha256_final (&h, hex);
  close (fd);
  snprintf (f->layer.digest, sizeof (f->layer.digest), "sha256:%s", hex);
  hexpath = xasprintf ("%s/blobs/%s", f->root, hex);
  assert_int_equal (rename (tarball, hexpath), 0);
}

static int
setup (void **state)
{
  struct fixture *f = xmalloc0 (sizeof (*f));
  cleanup_free char *blobs = NULL, *state_dir = NULL;
  mc_error_t err = NULL;

  snprintf (f->root, sizeof (f->root), "/tmp/minictr-layers-XXXXXX");
  assert_non_null (mkdtemp (f->root));
  blobs = xasprintf ("%s/blobs", f->root);
  state_dir = xasprintf ("%s/state", f->root);
  assert_int_equal (mkdir (blobs, 0755), 0);
  f->blobs = open (blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  setenv ("MINICTR_DIR", state_dir, 1);
  assert_int_equal (mc_store_open (&f->store, &err), 0);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  mc_error_t err = NULL;

  mc_store_close (&f->store);
  close (f->blobs);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, f->root, &err), 0);
  free (f);
  return 0;
}

/* An image record listing LAYERS (NULL-ended) as images/FP/image.yaml.  */
static void
record (struct fixture *f, const char *fp, const char *const *layers)
{
  cleanup_json json_t *rec = json_pack ("{s:s, s:s, s:{s:s, s:[]}}", "fingerprint", fp, "architecture", "x86_64",
                                        "store", "format", "oci", "layers");
  cleanup_close int dfd = -1;
  mc_error_t err = NULL;

  for (; *layers; layers++)
    json_array_append_new (json_object_get (json_object_get (rec, "store"), "layers"), json_string (*layers));
  assert_int_equal (mkdirat (f->store.imagesfd, fp, 0700), 0);
  dfd = openat (f->store.imagesfd, fp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (mc_image_record_save (&f->store, dfd, rec, &err), 0);
}

static void
test_add_and_prune (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *path = NULL;
  const char *fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const char *listed[2] = { NULL, NULL };
  mc_error_t err = NULL;
  struct stat st;
  bool existed;
  size_t removed;

  /* (whiteouts are devices: root only)  */
  if (geteuid () != 0)
    skip ();
  make_blob (f, "mkdir etc && echo layer > etc/l && touch etc/.wh.gone");
  assert_int_equal (mc_layer_add (&f->store, f->blobs, "img", &f->layer, &existed, &err), 0);
  assert_false (existed);
  path = xasprintf ("layers/%s/tree/etc/l", f->layer.digest + 7);
  assert_int_equal (fstatat (f->store.imagesfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
  free (path);
  path = xasprintf ("layers/%s/tree/etc/gone", f->layer.digest + 7);
  assert_int_equal (fstatat (f->store.imagesfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISCHR (st.st_mode));
  /* The blob kept, byte for byte.  */
  free (path);
  path = xasprintf ("cmp -s %s/blobs/%s %s/state/images/layers/%s/blob", f->root, f->layer.digest + 7, f->root,
                    f->layer.digest + 7);
  assert_int_equal (system (path), 0);
  /* A second add reads nothing.  */
  assert_int_equal (mc_layer_add (&f->store, f->blobs, "img", &f->layer, &existed, &err), 0);
  assert_true (existed);
  /* Listed by a record: kept; the record gone: pruned.  */
  listed[0] = f->layer.digest;
  record (f, fp, listed);
  assert_int_equal (mc_layers_prune (&f->store, &removed, &err), 0);
  assert_int_equal (removed, 0);
  assert_int_equal (mc_rm_rf_at (f->store.imagesfd, fp, &err), 0);
  assert_int_equal (mc_layers_prune (&f->store, &removed, &err), 0);
  assert_int_equal (removed, 1);
  free (path);
  path = xasprintf ("layers/%s", f->layer.digest + 7);
  assert_int_equal (fstatat (f->store.imagesfd, path, &st, AT_SYMLINK_NOFOLLOW), -1);
}

static void
test_changed_blob (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *blob = NULL, *path = NULL;
  mc_error_t err = NULL;
  struct stat st;
  bool existed;
  int fd;

  make_blob (f, "echo data > f");
  /* The blob changed after it was checked (appended to: still a tar).  */
  blob = xasprintf ("%s/blobs/%s", f->root, f->layer.digest + 7);
  fd = open (blob, O_WRONLY | O_APPEND | O_CLOEXEC);
  assert_int_equal (write (fd, "x", 1), 1);
  close (fd);
  assert_int_equal (mc_layer_add (&f->store, f->blobs, "img", &f->layer, &existed, &err), -1);
  assert_error_contains (err, "changed while it was read");
  path = xasprintf ("layers/%s", f->layer.digest + 7);
  assert_int_equal (fstatat (f->store.imagesfd, path, &st, AT_SYMLINK_NOFOLLOW), -1);
  /* ... and no temp dir is left.  */
  {
    cleanup_dir DIR *d = mc_opendir_at (f->store.imagesfd, ".");
    struct dirent *de;

    while ((de = readdir (d)) != NULL)
      assert_false (mc_str_has_prefix (de->d_name, ".tmp-"));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_add_and_prune, setup, teardown),
    cmocka_unit_test_setup_teardown (test_changed_blob, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
