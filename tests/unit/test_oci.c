/* OCI image layouts (images/oci.c): a layout built here blob by blob, read
 * back (manifest digest, layers, config); a flipped byte, a missing blob,
 * another digest algorithm, a wrong size, a symlinked blob and a nested
 * index with several platforms.  */
#include "tests/unit/unit.h"
#include "images/archive.h"
#include "images/fingerprint.h"
#include "images/oci.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct layout
{
  char dir[64];
  int fd;
  char layer[2][MC_OCI_DIGEST_LEN + 1];
  char manifest[MC_OCI_DIGEST_LEN + 1];
};

/* DATA as a blob; its digest in DIGEST.  */
static void
blob (struct layout *l, const char *data, size_t len, char digest[MC_OCI_DIGEST_LEN + 1])
{
  char hex[MC_FP_HEX_LEN + 1], path[128];
  struct mc_sha256 h;
  mc_error_t err = NULL;

  assert_int_equal (mc_sha256_init (&h, &err), 0);
  mc_sha256_update (&h, data, len);
  mc_sha256_final (&h, hex);
  snprintf (digest, MC_OCI_DIGEST_LEN + 1, "sha256:%s", hex);
  snprintf (path, sizeof (path), "blobs/sha256/%s", hex);
  unit_write_at (l->fd, path, data, len);
}

/* A JSON blob of TEXT; its descriptor (MEDIA_TYPE) as JSON text in DESC.  */
static void
json_blob (struct layout *l, const char *text, const char *media_type, char *desc, size_t desc_len,
           char digest[MC_OCI_DIGEST_LEN + 1])
{
  blob (l, text, strlen (text), digest);
  snprintf (desc, desc_len, "{\"mediaType\": \"%s\", \"digest\": \"%s\", \"size\": %zu}", media_type, digest,
            strlen (text));
}

/* A layout with two layers; INDEX_HOW: 0 an index naming the manifest,
 * 1 an index naming an index with arm64 and amd64 manifests.  */
static void
make_layout (struct layout *l, int index_how)
{
  char config[1024], cdesc[512], ldesc[2][512], manifest[2048], mdesc[512], other[512], index[2048];
  char cdig[MC_OCI_DIGEST_LEN + 1], idig[MC_OCI_DIGEST_LEN + 1], odig[MC_OCI_DIGEST_LEN + 1];
  static const char *const layers[2] = { "layer one: the base", "layer two: on top" };
  int i;

  snprintf (l->dir, sizeof (l->dir), "/tmp/minictr-oci-XXXXXX");
  assert_non_null (mkdtemp (l->dir));
  l->fd = open (l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (l->fd >= 0);
  assert_int_equal (mkdirat (l->fd, "blobs", 0755), 0);
  assert_int_equal (mkdirat (l->fd, "blobs/sha256", 0755), 0);
  unit_write_at (l->fd, "oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}", 31);
  for (i = 0; i < 2; i++)
    {
      blob (l, layers[i], strlen (layers[i]), l->layer[i]);
      snprintf (ldesc[i], sizeof (ldesc[i]),
                "{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"%s\", \"size\": %zu}",
                l->layer[i], strlen (layers[i]));
    }
  snprintf (config, sizeof (config),
            "{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {\"Env\": [\"A=b\"], \"Cmd\": [\"/bin/sh\"], "
            "\"WorkingDir\": \"/srv\"}, \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"%s\", \"%s\"]}}",
            l->layer[0], l->layer[1]);
  json_blob (l, config, "application/vnd.oci.image.config.v1+json", cdesc, sizeof (cdesc), cdig);
  snprintf (manifest, sizeof (manifest),
            "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", "
            "\"config\": %s, \"layers\": [%s, %s]}", cdesc, ldesc[0], ldesc[1]);
  json_blob (l, manifest, "application/vnd.oci.image.manifest.v1+json", mdesc, sizeof (mdesc), l->manifest);
  if (index_how == 0)
    snprintf (index, sizeof (index), "{\"schemaVersion\": 2, \"manifests\": [%s]}", mdesc);
  else
    {
      char inner[2048], idesc[512], arm[640], amd[640];

      /* An arm64 manifest first (its blob is the amd64 one's: it must not
         be the one taken), then ours.  */
      json_blob (l, "{\"schemaVersion\": 2, \"layers\": []}", "application/vnd.oci.image.manifest.v1+json", other,
                 sizeof (other), odig);
      snprintf (arm, sizeof (arm), "%.*s, \"platform\": {\"os\": \"linux\", \"architecture\": \"arm64\"}}",
                (int) strlen (other) - 1, other);
      snprintf (amd, sizeof (amd), "%.*s, \"platform\": {\"os\": \"linux\", \"architecture\": \"amd64\"}}",
                (int) strlen (mdesc) - 1, mdesc);
      snprintf (inner, sizeof (inner), "{\"schemaVersion\": 2, \"manifests\": [%s, %s]}", arm, amd);
      json_blob (l, inner, "application/vnd.oci.image.index.v1+json", idesc, sizeof (idesc), idig);
      snprintf (index, sizeof (index), "{\"schemaVersion\": 2, \"manifests\": [%s]}", idesc);
    }
  unit_write_at (l->fd, "index.json", index, strlen (index));
}

static void
drop_layout (struct layout *l)
{
  mc_error_t err = NULL;

  close (l->fd);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, l->dir, &err), 0);
}

/* The path of DIGEST's blob in a layout.  */
static char *
blob_path (const char *digest)
{
  return xasprintf ("blobs/sha256/%s", digest + 7);
}

static void
test_read (void **state)
{
  struct mc_oci_image img;
  struct layout l;
  mc_error_t err = NULL;
  int how;

  (void) state;
  for (how = 0; how < 2; how++)
    {
      make_layout (&l, how);
      assert_true (mc_oci_is_layout (l.fd));
      assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), 0);
      assert_string_equal (img.manifest_digest, l.manifest);
      assert_int_equal (img.n_layers, 2);
      assert_string_equal (img.layers[0].digest, l.layer[0]);
      assert_string_equal (img.layers[1].digest, l.layer[1]);
      assert_int_equal (img.layers[1].size, 17);
      assert_string_equal (img.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
      assert_string_equal (json_string_value (json_array_get (json_object_get (img.config, "Env"), 0)), "A=b");
      assert_string_equal (json_string_value (json_object_get (img.config, "WorkingDir")), "/srv");
      assert_string_equal (img.architecture, "amd64");
      assert_string_equal (img.os, "linux");
      mc_oci_image_release (&img);
      drop_layout (&l);
    }
}

static void
test_corrupt (void **state)
{
  struct mc_oci_image img;
  struct layout l;
  mc_error_t err = NULL;
  char *p, *want;
  int fd;

  (void) state;
  /* A flipped byte in the top layer.  */
  make_layout (&l, 0);
  p = blob_path (l.layer[1]);
  fd = openat (l.fd, p, O_WRONLY | O_CLOEXEC);
  assert_int_equal (pwrite (fd, "L", 1, 0), 1);
  close (fd);
  assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), -1);
  want = xasprintf ("img: blob `%s` does not match its digest", l.layer[1]);
  assert_error_contains (err, want);
  free (want);
  /* Missing.  */
  assert_int_equal (unlinkat (l.fd, p, 0), 0);
  assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), -1);
  want = xasprintf ("img: blob `%s` is missing", l.layer[1]);
  assert_error_contains (err, want);
  free (want);
  /* A symlink where the blob was: not followed.  */
  assert_int_equal (symlinkat ("/etc/passwd", l.fd, p), 0);
  assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), -1);
  want = xasprintf ("img: blob `%s`", l.layer[1]);
  assert_error_contains (err, want);
  free (want);
  free (p);
  drop_layout (&l);
}

/* The layout's manifest rewritten with FROM replaced by TO (and the index
 * pointing at the new one).  */
static void
rewrite_manifest (struct layout *l, const char *from, const char *to)
{
  cleanup_free char *path = blob_path (l->manifest), *text = NULL, *index = NULL;
  char mdesc[512], dig[MC_OCI_DIGEST_LEN + 1];
  size_t len;
  mc_error_t err = NULL;
  char *at, *out;

  assert_int_equal (mc_read_file_at (l->fd, path, 1 << 20, &text, &len, &err), 0);
  at = strstr (text, from);
  assert_non_null (at);
  out = xasprintf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
  json_blob (l, out, "application/vnd.oci.image.manifest.v1+json", mdesc, sizeof (mdesc), dig);
  free (out);
  index = xasprintf ("{\"schemaVersion\": 2, \"manifests\": [%s]}", mdesc);
  unit_write_at (l->fd, "index.json", index, strlen (index));
}

static void
test_descriptors (void **state)
{
  struct mc_oci_image img;
  struct layout l;
  mc_error_t err = NULL;
  char *from, *to;

  (void) state;
  /* Another algorithm.  */
  make_layout (&l, 0);
  from = xasprintf ("\"digest\": \"%s\"", l.layer[0]);
  to = xasprintf ("\"digest\": \"sha512:%s%s\"", l.layer[0] + 7, l.layer[0] + 7);
  rewrite_manifest (&l, from, to);
  assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), -1);
  assert_error_contains (err, "only sha256 digests are supported");
  free (from);
  free (to);
  drop_layout (&l);
  /* A size that is not the blob's.  */
  make_layout (&l, 0);
  from = xasprintf ("\"digest\": \"%s\", \"size\": 19", l.layer[0]);
  to = xasprintf ("\"digest\": \"%s\", \"size\": 18", l.layer[0]);
  rewrite_manifest (&l, from, to);
  assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), -1);
  assert_error_contains (err, "is 19 bytes, its descriptor says 18");
  free (from);
  free (to);
  drop_layout (&l);
  /* Not a layout at all.  */
  make_layout (&l, 0);
  assert_int_equal (unlinkat (l.fd, "oci-layout", 0), 0);
  assert_false (mc_oci_is_layout (l.fd));
  assert_int_equal (mc_oci_layout_read (l.fd, "img", NULL, &img, &err), -1);
  assert_error_contains (err, "img: not an OCI image layout");
  drop_layout (&l);
}

/* The layer SCRIPT makes (shell, in a fresh directory) as a tarball, and
 * unpacked as an OCI layer into a fresh directory: its fd, or -1 with
 * *ERR.  *DIR gets the directory (malloc'ed).  */
static int
unpack_layer (const char *script, char **dir, mc_error_t *err)
{
  char src[] = "/tmp/minictr-layer-src-XXXXXX", dst[] = "/tmp/minictr-layer-XXXXXX";
  cleanup_free char *cmd = NULL, *tarball = NULL;
  struct mc_source source;
  int fd, dfd, ret;

  assert_non_null (mkdtemp (src));
  assert_non_null (mkdtemp (dst));
  tarball = xasprintf ("%s.tar", src);
  cmd = xasprintf ("cd %s && (%s) && tar --xattrs --xattrs-include='*' -cf %s .", src, script, tarball);
  assert_int_equal (system (cmd), 0);
  fd = open (tarball, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  dfd = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (mc_source_init (&source, fd, "layer.tar", NULL, -1, err), 0);
  ret = mc_tar_unpack (&source, dfd, MC_UNPACK_OCI_LAYER, NULL, err);
  mc_source_release (&source);
  close (fd);
  unlink (tarball);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, src, err), 0);
  *dir = xstrdup (dst);
  if (ret < 0)
    {
      close (dfd);
      return -1;
    }
  return dfd;
}

static void
test_whiteouts (void **state)
{
  cleanup_free char *srv = NULL;
  struct stat st;
  mc_error_t err = NULL;
  char *dir, buf[8];
  int dfd;

  (void) state;
  if (geteuid () != 0)
    skip ();
  dfd = unpack_layer ("mkdir -p etc srv deep/er && touch etc/.wh.passwd srv/.wh..wh..opq srv/new deep/er/.wh.gone",
                      &dir, &err);
  assert_true (dfd >= 0);
  /* A whiteout is overlayfs' own: a 0:0 character device.  */
  assert_int_equal (fstatat (dfd, "etc/passwd", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISCHR (st.st_mode));
  assert_int_equal (st.st_rdev, makedev (0, 0));
  assert_int_equal (fstatat (dfd, "deep/er/gone", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISCHR (st.st_mode));
  /* The opaque directory keeps what the layer put in it.  */
  srv = xasprintf ("%s/srv", dir);
  assert_int_equal (lgetxattr (srv, "trusted.overlay.opaque", buf, sizeof (buf)), 1);
  assert_int_equal (buf[0], 'y');
  assert_int_equal (fstatat (dfd, "srv/new", &st, AT_SYMLINK_NOFOLLOW), 0);
  /* No `.wh.` file is left.  */
  assert_int_equal (fstatat (dfd, "etc/.wh.passwd", &st, AT_SYMLINK_NOFOLLOW), -1);
  assert_int_equal (fstatat (dfd, "srv/.wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW), -1);
  close (dfd);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, dir, &err), 0);
  free (dir);
}

static void
test_whiteout_through_symlink (void **state)
{
  char victim[] = "/tmp/minictr-victim-XXXXXX", src[] = "/tmp/minictr-layer-src-XXXXXX";
  char dst[] = "/tmp/minictr-layer-XXXXXX";
  cleanup_free char *cmd = NULL, *tarball = NULL, *planted = NULL;
  struct mc_source source;
  struct stat st;
  mc_error_t err = NULL;
  char *dir;
  int fd, dfd;

  (void) state;
  if (geteuid () != 0)
    skip ();
  assert_non_null (mkdtemp (victim));
  assert_non_null (mkdtemp (src));
  assert_non_null (mkdtemp (dst));
  /* The tar holds `out` (a link to VICTIM), then `out/.wh.passwd`.  */
  tarball = xasprintf ("%s.tar", src);
  cmd = xasprintf ("cd %s && ln -s %s out && mkdir d && touch d/.wh.passwd && "
                   "tar -cf %s out && tar --transform 's,^d/,out/,' -rf %s d/.wh.passwd",
                   src, victim, tarball, tarball);
  assert_int_equal (system (cmd), 0);
  fd = open (tarball, O_RDONLY | O_CLOEXEC);
  dfd = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (mc_source_init (&source, fd, "layer.tar", NULL, -1, &err), 0);
  assert_int_equal (mc_tar_unpack (&source, dfd, MC_UNPACK_OCI_LAYER, NULL, &err), -1);
  assert_error_contains (err, "whiteout `out/.wh.passwd`: `out` is reached through a symlink");
  mc_source_release (&source);
  close (fd);
  close (dfd);
  unlink (tarball);
  /* Nothing was made where the link points.  */
  planted = xasprintf ("%s/passwd", victim);
  assert_int_equal (fstatat (AT_FDCWD, planted, &st, AT_SYMLINK_NOFOLLOW), -1);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, src, &err), 0);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, dst, &err), 0);
  assert_int_equal (rmdir (victim), 0);
  /* A reserved name that is not the opaque marker.  */
  assert_int_equal (unpack_layer ("touch .wh..wh.plnk", &dir, &err), -1);
  assert_error_contains (err, "`layer.tar`: entry `.wh..wh.plnk`: an unknown whiteout");
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, dir, &err), 0);
  free (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_read),
    cmocka_unit_test (test_corrupt),
    cmocka_unit_test (test_descriptors),
    cmocka_unit_test (test_whiteouts),
    cmocka_unit_test (test_whiteout_through_symlink),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
