/* libFuzzer target: an OCI bundle's config.json is written by whatever
 * drives the runtime (podman, containerd, a user's hand).  The input is
 * the config; the bundle has a rootfs directory, so that configs naming
 * it get past root.path to the rest.  */
#include "runtime/oci/bundle.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mc_oci_bundle b;
  mc_error_t err = NULL;
  int fd;

  if (dir[0] == '\0')
    {
      snprintf (dir, sizeof (dir), "%s/minictr-fuzz-bundle-XXXXXX",
                access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
      if (mkdtemp (dir) == NULL)
        abort ();
      atexit (cleanup);
      fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 || mkdirat (fd, "rootfs", 0755) < 0)
        abort ();
      close (fd);
    }
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    abort ();
  if (mc_write_file_atomic_at (fd, "config.json", data, size, 0644, &err) < 0)
    abort ();
  close (fd);
  if (mc_oci_bundle_read (dir, &b, &err) < 0)
    mc_error_release (&err);
  mc_oci_bundle_release (&b);
  return 0;
}
