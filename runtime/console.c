#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define CTRL_A 0x01

int
mc_console_connect (const char *name, mc_error_t *err)
{
  cleanup_free char *dir = mc_state_dir_of (name, false, err);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  if (dir == NULL)
    return -1;
  snprintf (sa.sun_path, sizeof (sa.sun_path), "%s/console.sock", dir);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return mc_make_error (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
    {
      close (fd);
      return mc_make_error (err, 0, "container `%s` is not running", name);
    }
  return fd;
}

/* Forward stdin to the console, watching for Ctrl+a q.  Returns false
 * when the user detached or stdin ended.  */
static bool
forward_input (int sock, bool *saw_ctrl_a)
{
  char buf[256], out[257];
  size_t o = 0;
  ssize_t n = read (STDIN_FILENO, buf, sizeof (buf)), i;

  if (n <= 0)
    return false;
  for (i = 0; i < n; i++)
    {
      if (*saw_ctrl_a)
        {
          *saw_ctrl_a = false;
          if (buf[i] == 'q')
            return false;
          if (buf[i] != CTRL_A)
            out[o++] = CTRL_A;
          out[o++] = buf[i];
        }
      else if (buf[i] == CTRL_A)
        *saw_ctrl_a = true;
      else
        out[o++] = buf[i];
    }
  return mc_write_all (sock, out, o) == 0;
}

static void
relay (int sock)
{
  bool ctrl_a = false;
  char buf[8192];

  for (;;)
    {
      struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { sock, POLLIN, 0 } };
      ssize_t n;

      if (poll (p, 2, -1) < 0 && errno != EINTR)
        return;
      if (p[1].revents)
        {
          n = read (sock, buf, sizeof (buf));
          if (n <= 0 || mc_write_all (STDOUT_FILENO, buf, (size_t) n) < 0)
            return;
        }
      if (p[0].revents && !forward_input (sock, &ctrl_a))
        return;
    }
}

int
mc_console_attach (const char *name, mc_error_t *err)
{
  cleanup_close int sock = mc_console_connect (name, err);
  struct termios saved, raw;
  bool tty = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;

  if (sock < 0)
    return -1;
  fprintf (stderr, "To detach from the console, press: <ctrl>+a q\n");
  if (tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (STDIN_FILENO, TCSANOW, &raw);
    }
  relay (sock);
  /* Restored on every way out of relay().  */
  if (tty)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  if (tty)
    fprintf (stderr, "\r\n");
  return 0;
}

static int
copy_file (int dirfd, const char *name, int out, mc_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char buf[65536];
  ssize_t n;

  if (fd < 0)
    return errno == ENOENT ? 0 : mc_make_error (err, errno, "open `%s`", name);
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    if (mc_write_all (out, buf, (size_t) n) < 0)
      return mc_make_error (err, errno, "write the console log");
  return n < 0 ? mc_make_error (err, errno, "read `%s`", name) : 0;
}

int
mc_console_show_log (struct mc_store *s, const char *name, int fd, mc_error_t *err)
{
  cleanup_close int dfd = mc_container_open_dir (s, name, err);

  if (dfd < 0)
    return -1;
  if (copy_file (dfd, "console.log.1", fd, err) < 0)
    return -1;
  return copy_file (dfd, "console.log", fd, err);
}
