/* The fault tests' hold points (lib/testhook.h).  */
#include "lib/testhook.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
mc_test_point (const char *step)
{
  const char *want = getenv ("MINICTR_TEST_STOP_AT"), *dir = getenv ("MINICTR_TEST_STOP_DIR");
  char tmp[4096], path[4096], fifo[4096], pid[32], c;
  int fd, n;

  static bool held;

  /* Once per process: a step on a path that is retried holds only the
   * first time.  */
  if (held || want == NULL || dir == NULL || strcmp (want, step) != 0)
    return;
  held = true;
  n = snprintf (pid, sizeof (pid), "%d\n", (int) getpid ());
  if (snprintf (tmp, sizeof (tmp), "%s/.%s.%d", dir, step, (int) getpid ()) >= (int) sizeof (tmp)
      || snprintf (path, sizeof (path), "%s/%s", dir, step) >= (int) sizeof (path)
      || snprintf (fifo, sizeof (fifo), "%s/%s.go", dir, step) >= (int) sizeof (fifo))
    return;
  if (mkfifo (fifo, 0600) < 0 && errno != EEXIST)
    return;
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (write (fd, pid, (size_t) n) != n || close (fd) < 0 || rename (tmp, path) < 0)
    {
      unlink (tmp);
      return;
    }
  do
    fd = open (fifo, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return;
  while (read (fd, &c, 1) < 0 && errno == EINTR)
    ;
  close (fd);
}

void
mc_test_point_of (const char *prefix, const char *name)
{
  const char *want = getenv ("MINICTR_TEST_STOP_AT");
  size_t n = strlen (prefix);
  char step[256];

  if (want == NULL || strncmp (want, prefix, n) != 0 || strcmp (want + n, name) != 0
      || snprintf (step, sizeof (step), "%s%s", prefix, name) >= (int) sizeof (step))
    return;
  mc_test_point (step);
}
