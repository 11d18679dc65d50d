/* docker-archive to OCI layout (images/docker_archive.c): an archive built
 * here file by file becomes a layout the OCI reader takes (its layers the
 * diff_ids, the tag its ref name); a config not matching its name, a layer
 * not matching its diff_id, a layer reached through a symlink, a count
 * that differs, and tags that pick nothing or are needed.  */
#include "tests/unit/unit.h"
#include "images/docker_archive.h"
#include "images/fingerprint.h"
#include "images/oci.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct archive
{
  char dir[64];
  int fd;
  char layer_hex[2][MC_FP_HEX_LEN + 1];
  char config_name[MC_FP_HEX_LEN + 8];
};

static void
hex_of (const char *data, size_t len, char hex[MC_FP_HEX_LEN + 1])
{
  mc_error_t err = NULL;

  assert_int_equal (mc_sha256_bytes (data, len, hex, &err), 0);
}

/* Two layers (`<hex>.tar`), a config naming them, and a manifest.json
 * with TAGS (a JSON list) for it.  */
static void
make_archive (struct archive *a, const char *tags)
{
  static const char *const layers[2] = { "base layer bytes", "top layer bytes" };
  char config[1024], manifest[1024], name[MC_FP_HEX_LEN + 8], hex[MC_FP_HEX_LEN + 1];
  int i;

  snprintf (a->dir, sizeof (a->dir), "/tmp/minictr-dockerar-XXXXXX");
  assert_non_null (mkdtemp (a->dir));
  a->fd = open (a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (a->fd >= 0);
  for (i = 0; i < 2; i++)
    {
      hex_of (layers[i], strlen (layers[i]), a->layer_hex[i]);
      snprintf (name, sizeof (name), "%s.tar", a->layer_hex[i]);
      unit_write_at (a->fd, name, layers[i], strlen (layers[i]));
    }
  snprintf (config, sizeof (config),
            "{\"architecture\": \"amd64\", \"os\": \"linux\", \"created\": \"2024-05-06T07:08:09.123Z\", "
            "\"config\": {\"Cmd\": [\"/bin/sh\"]}, "
            "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:%s\", \"sha256:%s\"]}}",
            a->layer_hex[0], a->layer_hex[1]);
  hex_of (config, strlen (config), hex);
  snprintf (a->config_name, sizeof (a->config_name), "%s.json", hex);
  unit_write_at (a->fd, a->config_name, config, strlen (config));
  snprintf (manifest, sizeof (manifest),
            "[{\"Config\": \"%s\", \"RepoTags\": %s, \"Layers\": [\"%s.tar\", \"%s.tar\"]}]", a->config_name, tags,
            a->layer_hex[0], a->layer_hex[1]);
  unit_write_at (a->fd, "manifest.json", manifest, strlen (manifest));
  unit_write_at (a->fd, "repositories", "{}", 2);
}

static void
drop_archive (struct archive *a)
{
  mc_error_t err = NULL;

  close (a->fd);
  assert_int_equal (mc_rm_rf_at (AT_FDCWD, a->dir, &err), 0);
}

static void
test_convert (void **state)
{
  struct archive a;
  struct mc_oci_image img;
  mc_error_t err = NULL;
  char want[MC_OCI_DIGEST_LEN + 1];

  (void) state;
  make_archive (&a, "[\"localhost/app:latest\"]");
  assert_true (mc_docker_archive_is (a.fd));
  assert_false (mc_oci_is_layout (a.fd));
  assert_int_equal (mc_docker_archive_to_oci (a.fd, "a.tar", "app", &err), 0);
  assert_true (mc_oci_is_layout (a.fd));
  /* Only the layout is left.  */
  assert_int_equal (faccessat (a.fd, "manifest.json", F_OK, 0), -1);
  assert_int_equal (faccessat (a.fd, "repositories", F_OK, 0), -1);
  assert_int_equal (faccessat (a.fd, a.config_name, F_OK, 0), -1);
  /* The OCI reader takes it: the layers are the diff_ids, the tag asked
     for is its ref name, the config's time is read.  */
  assert_int_equal (mc_oci_layout_read (a.fd, "a.tar", "app", &img, &err), 0);
  assert_int_equal (img.n_layers, 2);
  snprintf (want, sizeof (want), "sha256:%s", a.layer_hex[0]);
  assert_string_equal (img.layers[0].digest, want);
  snprintf (want, sizeof (want), "sha256:%s", a.layer_hex[1]);
  assert_string_equal (img.layers[1].digest, want);
  assert_string_equal (img.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar");
  assert_string_equal (img.ref_name, "app");
  assert_int_equal (img.created, 1714979289);
  snprintf (want, sizeof (want), "sha256:%.64s", a.config_name);
  assert_string_equal (img.config_digest, want);
  mc_oci_image_release (&img);
  drop_archive (&a);
}

static void
test_refused (void **state)
{
  struct archive a;
  mc_error_t err = NULL;
  char name[MC_FP_HEX_LEN + 8];

  (void) state;
  /* A layer that is not what the config says.  */
  make_archive (&a, "[\"x:1\"]");
  snprintf (name, sizeof (name), "%s.tar", a.layer_hex[1]);
  unit_write_at (a.fd, name, "top layer byteZ", 15);
  assert_int_equal (mc_docker_archive_to_oci (a.fd, "a.tar", NULL, &err), -1);
  {
    char *want = xasprintf ("`a.tar`: layer `%s.tar` does not match its diff_id sha256:%.12s...", a.layer_hex[1],
                            a.layer_hex[1]);

    assert_error_contains (err, want);
    free (want);
  }
  drop_archive (&a);
  /* A config that is not what its name says.  */
  make_archive (&a, "[\"x:1\"]");
  unit_write_at (a.fd, a.config_name, "{}", 2);
  assert_int_equal (mc_docker_archive_to_oci (a.fd, "a.tar", NULL, &err), -1);
  assert_error_contains (err, "does not match its name");
  drop_archive (&a);
  /* A layer through a symlink (to a file outside).  */
  make_archive (&a, "[\"x:1\"]");
  snprintf (name, sizeof (name), "%s.tar", a.layer_hex[0]);
  assert_int_equal (unlinkat (a.fd, name, 0), 0);
  assert_int_equal (symlinkat ("/etc/passwd", a.fd, name), 0);
  assert_int_equal (mc_docker_archive_to_oci (a.fd, "a.tar", NULL, &err), -1);
  assert_error_contains (err, "is a symlink or leads outside");
  drop_archive (&a);
  /* A tag not there; two images and no tag.  */
  make_archive (&a, "[\"x:1\"]");
  assert_int_equal (mc_docker_archive_to_oci (a.fd, "a.tar", "y", &err), -1);
  assert_error_contains (err, "`a.tar`: no image tagged `y` in the archive (it has: x:1)");
  {
    const char *two = "[{\"RepoTags\": [\"a:1\"]}, {\"RepoTags\": [\"b:2\"]}]";

    unit_write_at (a.fd, "manifest.json", two, strlen (two));
  }
  assert_int_equal (mc_docker_archive_to_oci (a.fd, "a.tar", NULL, &err), -1);
  assert_error_contains (err, "`a.tar` holds 2 images: name one as `a.tar:TAG` (it has: a:1, b:2)");
  /* A manifest.json that is not a list is not a docker-archive.  */
  unit_write_at (a.fd, "manifest.json", "{}", 2);
  assert_false (mc_docker_archive_is (a.fd));
  drop_archive (&a);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_convert),
    cmocka_unit_test (test_refused),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
