/* libFuzzer target: OCI layouts and docker-archives come from untrusted
 * images.  The input is split at "\n--\n": the first part is the index
 * (index.json of a layout, manifest.json of a docker-archive), each other
 * part a file named by its sha256 (a blob of the layout; a `<hex>.json`
 * config and a `<hex>.tar` layer of the archive), so that digests the
 * fuzzer copies from one part to another lead somewhere.  Both readers
 * run on it, with no ref name and with "a" (the archive with one of them).  */
#include "images/docker_archive.h"
#include "images/fingerprint.h"
#include "images/oci.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char dir[64];

static void
cleanup (void)
{
  mc_error_t err = NULL;

  if (dir[0] && mc_rm_rf_at (AT_FDCWD, dir, &err) < 0)
    mc_error_release (&err);
}

static void
put (int dirfd, const char *name, const void *buf, size_t len)
{
  int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd >= 0)
    {
      (void) mc_write_all (fd, buf, len);
      close (fd);
    }
}

/* The parts of DATA as files in a fresh DIR: FORM 0 a layout, 1 an
 * archive.  */
static int
build (const uint8_t *data, size_t size, int form)
{
  const char *sep = "\n--\n", *p = (const char *) data, *end = p + size;
  mc_error_t err = NULL;
  int fd, blobs = -1, first = 1;

  if (dir[0] == '\0')
    {
      /* tmpfs: the atomic writes' fsyncs cost nothing there.  */
      snprintf (dir, sizeof (dir), "%s/minictr-fuzz-oci-XXXXXX", access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
      if (mkdtemp (dir) == NULL)
        abort ();
      atexit (cleanup);
    }
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || mc_rm_rf_all_but_at (fd, NULL, 0, &err) < 0)
    abort ();
  if (form == 0)
    {
      put (fd, "oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}", 31);
      if (mkdirat (fd, "blobs", 0755) < 0 || mkdirat (fd, "blobs/sha256", 0755) < 0)
        abort ();
      blobs = openat (fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  while (p <= end)
    {
      const char *next = memmem (p, (size_t) (end - p), sep, 4);
      size_t len = next ? (size_t) (next - p) : (size_t) (end - p);

      if (first)
        put (fd, form == 0 ? "index.json" : "manifest.json", p, len);
      else
        {
          char hex[MC_FP_HEX_LEN + 1], name[MC_FP_HEX_LEN + 8];
          struct mc_sha256 h;

          if (mc_sha256_init (&h, &err) < 0)
            abort ();
          mc_sha256_update (&h, p, len);
          mc_sha256_final (&h, hex);
          if (form == 0)
            put (blobs, hex, p, len);
          else
            {
              snprintf (name, sizeof (name), "%s.%s", hex, len > 0 && *p == '{' ? "json" : "tar");
              put (fd, name, p, len);
            }
        }
      first = 0;
      if (next == NULL)
        break;
      p = next + 4;
    }
  if (blobs >= 0)
    close (blobs);
  return fd;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const refs[] = { NULL, "a" };
  struct mc_oci_image img;
  mc_error_t err = NULL;
  size_t i;
  int fd;

  fd = build (data, size, 0);
  for (i = 0; i < 2; i++)
    {
      if (mc_oci_layout_read (fd, "fuzz", refs[i], &img, &err) == 0)
        mc_oci_image_release (&img);
      mc_error_release (&err);
    }
  close (fd);
  /* The conversion changes the directory: one ref, by the input's size.  */
  fd = build (data, size, 1);
  i = size % 2;
  if (mc_docker_archive_is (fd) && mc_docker_archive_to_oci (fd, "fuzz", refs[i], &err) == 0
      && mc_oci_layout_read (fd, "fuzz", refs[i], &img, &err) == 0)
    mc_oci_image_release (&img);
  mc_error_release (&err);
  close (fd);
  return 0;
}
