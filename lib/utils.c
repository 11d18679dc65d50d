#include "lib/utils.h"
#include "lib/syscalls.h"

#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

int
mc_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
mc_read_file_at (int dirfd, const char *path, size_t max_size, char **out,
                 size_t *out_len, mc_error_t *err)
{
  cleanup_close int fd = -1;

  fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  return mc_read_fd (fd, path, max_size, out, out_len, err);
}

/* Without openat2: every component opened with O_NOFOLLOW ("." and ".."
 * refused), directories as O_PATH|O_DIRECTORY.  */
static int
open_nofollow_walk (int dirfd, const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_close int cur = -1;
  char *comp, *save = NULL, *next;
  int fd;

  if (path[0] == '/')
    return errno = EXDEV, -1;
  for (comp = strtok_r (copy, "/", &save); comp; comp = next)
    {
      next = strtok_r (NULL, "/", &save);
      if (strcmp (comp, ".") == 0 || strcmp (comp, "..") == 0)
        return errno = EXDEV, -1;
      fd = openat (cur >= 0 ? cur : dirfd, comp,
                   next ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                        : O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0)
        return -1;
      if (cur >= 0)
        close (cur);
      cur = fd;
    }
  return cur >= 0 ? steal_fd (&cur) : (errno = ENOENT, -1);
}

int
mc_open_untrusted_at (int dirfd, const char *path, mc_error_t *err)
{
  struct open_how how = { .flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
                                     | RESOLVE_NO_MAGICLINKS };
  cleanup_close int fd = mc_sys_openat2 (dirfd, path, &how, sizeof (how));
  struct stat st;

  if (fd < 0 && errno == ENOSYS)
    fd = open_nofollow_walk (dirfd, path);
  if (fd < 0)
    {
      if (errno == ELOOP || errno == EXDEV)
        return mc_make_error (err, 0, "`%s` is a symlink or leads outside", path);
      return mc_make_error (err, errno, "open `%s`", path);
    }
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  if (!S_ISREG (st.st_mode))
    return mc_make_error (err, 0, "`%s` is not a regular file", path);
  return steal_fd (&fd);
}

int
mc_read_untrusted_at (int dirfd, const char *path, size_t max_size, char **out,
                      size_t *out_len, mc_error_t *err)
{
  cleanup_close int fd = mc_open_untrusted_at (dirfd, path, err);

  if (fd < 0)
    return -1;
  return mc_read_fd (fd, path, max_size, out, out_len, err);
}

int
mc_read_fd (int fd, const char *path, size_t max_size, char **out,
            size_t *out_len, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t used = 0, alloc = 4096;

  buf = xmalloc (alloc);
  for (;;)
    {
      ssize_t n;

      if (alloc - used < 2)
        {
          alloc *= 2;
          buf = xrealloc (buf, alloc);
        }
      n = read (fd, buf + used, alloc - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mc_make_error (err, errno, "read `%s`", path);
      if (n == 0)
        break;
      used += (size_t) n;
      if (used > max_size)
        return mc_make_error (err, 0, "read `%s`: file larger than %zu bytes", path, max_size);
    }
  buf[used] = '\0';
  *out = steal_pointer (&buf);
  if (out_len)
    *out_len = used;
  return 0;
}

int
mc_write_file_atomic_at (int dirfd, const char *name, const void *buf,
                         size_t len, mode_t mode, mc_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp-%d", name, (int) getpid ());
  cleanup_close int fd = -1;

  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return mc_make_error (err, errno, "create `%s`", tmp);
  if (mc_write_all (fd, buf, len) < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return mc_make_error (err, saved, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return mc_make_error (err, saved, "rename `%s` to `%s`", tmp, name);
    }
  /* Make the rename itself durable.  */
  if (dirfd != AT_FDCWD)
    (void) fsync (dirfd);
  return 0;
}

DIR *
mc_opendir_at (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d;

  if (fd < 0)
    return NULL;
  d = fdopendir (fd);
  if (d == NULL)
    {
      int saved = errno;
      close (fd);
      errno = saved;
    }
  return d;
}

int
mc_mkdir_p (const char *path, mode_t mode, mc_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  char *s;

  for (s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return mc_make_error (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s`", p);
  return 0;
}

static int
rm_rf_children (int dfd, const char *what, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (dfd, ".");
  struct dirent *de;

  if (d == NULL)
    return mc_make_error (err, errno, "opendir `%s`", what);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (mc_rm_rf_at (dfd, de->d_name, err) < 0)
        return -1;
    }
  if (errno != 0)
    return mc_make_error (err, errno, "readdir `%s`", what);
  return 0;
}

int
mc_rm_rf_at (int dirfd, const char *name, mc_error_t *err)
{
  cleanup_close int fd = -1;

  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return mc_make_error (err, errno, "unlink `%s`", name);

  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return mc_make_error (err, errno, "open `%s`", name);
    }
  /* A directory we may not write to (a 0555 dir in an image) still has to
   * go: we own it.  */
  (void) fchmod (fd, 0700);
  if (rm_rf_children (fd, name, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "rmdir `%s`", name);
  return 0;
}

int
mc_rm_rf_all_but_at (int dirfd, const char *const *keep, size_t n_keep, mc_error_t *err)
{
  cleanup_free char **names = NULL;
  size_t n = 0, i, k;
  struct dirent *de;
  DIR *d = mc_opendir_at (dirfd, ".");
  int ret = 0;

  if (d == NULL)
    return mc_make_error (err, errno, "read a directory to empty it");
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      bool kept = strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0;

      for (k = 0; k < n_keep && !kept; k++)
        kept = strcmp (de->d_name, keep[k]) == 0;
      if (kept)
        continue;
      names = xrealloc (names, (n + 1) * sizeof (*names));
      names[n++] = xstrdup (de->d_name);
    }
  if (errno != 0)
    ret = mc_make_error (err, errno, "read a directory to empty it");
  closedir (d);
  for (i = 0; i < n; i++)
    {
      if (ret == 0 && mc_rm_rf_at (dirfd, names[i], err) < 0)
        ret = -1;
      free (names[i]);
    }
  return ret;
}

int
mc_lock_at (int dirfd, const char *name, bool exclusive, bool nonblock,
            mc_error_t *err)
{
  cleanup_close int fd = -1;
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (nonblock ? LOCK_NB : 0);

  fd = openat (dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return mc_make_error (err, errno, "open lock `%s`", name);
  while (flock (fd, op) < 0)
    {
      if (errno == EINTR)
        continue;
      return mc_make_error (err, errno, "lock `%s`", name);
    }
  return steal_fd (&fd);
}

struct size_unit
{
  const char *suffix;
  uint64_t mult;
};

static const struct size_unit size_units[] = {
  { "", 1 },
  { "B", 1 },
  { "kB", 1000ULL },
  { "MB", 1000ULL * 1000 },
  { "GB", 1000ULL * 1000 * 1000 },
  { "TB", 1000ULL * 1000 * 1000 * 1000 },
  { "PB", 1000ULL * 1000 * 1000 * 1000 * 1000 },
  { "EB", 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000 },
  { "KiB", 1ULL << 10 },
  { "MiB", 1ULL << 20 },
  { "GiB", 1ULL << 30 },
  { "TiB", 1ULL << 40 },
  { "PiB", 1ULL << 50 },
  { "EiB", 1ULL << 60 },
};

int
mc_parse_size (const char *s, uint64_t *out, mc_error_t *err)
{
  const char *p = s;
  uint64_t value = 0;
  size_t i;

  if (*p < '0' || *p > '9')
    return mc_make_error (err, 0, "invalid size `%s`: expected a whole number with an optional unit (B, kB, MB, GB, KiB, MiB, GiB, ...)", s);
  for (; *p >= '0' && *p <= '9'; p++)
    {
      if (value > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
        return mc_make_error (err, 0, "invalid size `%s`: too large", s);
      value = value * 10 + (uint64_t) (*p - '0');
    }
  for (i = 0; i < sizeof (size_units) / sizeof (size_units[0]); i++)
    {
      if (strcmp (p, size_units[i].suffix) != 0)
        continue;
      if (value != 0 && size_units[i].mult > UINT64_MAX / value)
        return mc_make_error (err, 0, "invalid size `%s`: too large", s);
      *out = value * size_units[i].mult;
      return 0;
    }
  return mc_make_error (err, 0, "invalid size `%s`: unknown unit `%s` (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, p);
}

void
mc_format_size (uint64_t bytes, char *buf, size_t len)
{
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  double v = (double) bytes;
  size_t i = 0;

  if (bytes < 1024)
    {
      snprintf (buf, len, "%" PRIu64 "B", bytes);
      return;
    }
  v /= 1024.0;
  while (v >= 1024.0 && i + 1 < sizeof (units) / sizeof (units[0]))
    {
      v /= 1024.0;
      i++;
    }
  snprintf (buf, len, "%.2f%s", v, units[i]);
}

const char *
mc_state_dir (void)
{
  const char *d = getenv ("MINICTR_DIR");
  return (d && *d) ? d : "/var/lib/minictr";
}

bool
mc_str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

void
mc_format_time (int64_t t, char *buf, size_t len)
{
  time_t tt = (time_t) t;
  struct tm tm;

  if (gmtime_r (&tt, &tm) == NULL)
    {
      snprintf (buf, len, "%" PRId64, t);
      return;
    }
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t
mc_parse_time (const char *s)
{
  struct tm tm = { 0 };
  const char *p = s ? strptime (s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  long off = 0;

  if (p == NULL || tm.tm_year + 1900 < 1970)
    return 0;
  if (*p == '.')
    p += 1 + strspn (p + 1, "0123456789");
  if ((*p == '+' || *p == '-') && strlen (p) >= 6 && p[3] == ':')
    off = (*p == '-' ? -1 : 1) * (atol (p + 1) * 3600 + atol (p + 4) * 60);
  else if (*p != 'Z')
    return 0;
  return (int64_t) timegm (&tm) - off;
}

void
mc_format_now_ns (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char secs[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (secs, sizeof (secs), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09ldZ", secs, ts.tv_nsec);
}

/* ---- messages with a descriptor ----------------------------------------- */

int
mc_send_with_fd (int sock, const void *buf, size_t len, int fd)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  if (fd >= 0)
    {
      struct cmsghdr *c;

      memset (cbuf, 0, sizeof (cbuf));
      mh.msg_control = cbuf;
      mh.msg_controllen = sizeof (cbuf);
      c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n >= 0 && (size_t) n != len)
    errno = EMSGSIZE;
  return n >= 0 && (size_t) n == len ? 0 : -1;
}

ssize_t
mc_recv_with_fd (int sock, void *buf, size_t len, int *fd, bool retry_eintr)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *c;
  int got = -1;
  ssize_t n;

  if (fd)
    *fd = -1;
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR && retry_eintr);
  if (n < 0)
    return -1;
  for (c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (&got, CMSG_DATA (c), sizeof (int));
  /* A message cut short (or with its descriptor cut off) is no message. */
  if (n > 0 && ((size_t) n != len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))))
    {
      if (got >= 0)
        close (got);
      errno = EBADMSG;
      return -1;
    }
  if (fd && n > 0)
    *fd = got;
  else if (got >= 0)
    close (got);
  return n;
}

/* ---- the user's editor ----------------------------------------------------- */

int
mc_editor_run (const char *file, const char **editor, int *status, mc_error_t *err)
{
  const char *ed = getenv ("VISUAL");
  cleanup_free char *cmd = NULL;
  struct sigaction ign, old_int, old_quit;
  pid_t pid;

  if (ed == NULL || *ed == '\0')
    ed = getenv ("EDITOR");
  if (ed == NULL || *ed == '\0')
    ed = "vi";
  *editor = ed;
  *status = 0;
  cmd = xasprintf ("%s \"$@\"", ed);
  memset (&ign, 0, sizeof (ign));
  ign.sa_handler = SIG_IGN;
  sigaction (SIGINT, &ign, &old_int);
  sigaction (SIGQUIT, &ign, &old_quit);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == 0)
    {
      signal (SIGINT, SIG_DFL);
      signal (SIGQUIT, SIG_DFL);
      execl ("/bin/sh", "sh", "-c", cmd, ed, file, (char *) NULL);
      _exit (127);
    }
  while (pid > 0 && waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);
  return pid < 0 ? mc_make_error (err, errno, "fork") : 0;
}

int
mc_run_in_child (int (*fn) (void *arg, mc_error_t *err), void *arg, mc_error_t *err)
{
  char msg[1024];
  int pipefd[2], status = -1;
  ssize_t n, got = 0;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return mc_make_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      mc_error_t e = NULL;

      close (pipefd[0]);
      if (fn (arg, &e) == 0)
        _exit (0);
      if (e)
        (void) mc_write_all (pipefd[1], e->msg, strlen (e->msg));
      _exit (1);
    }
  close (pipefd[1]);
  while ((size_t) got < sizeof (msg) - 1
         && ((n = read (pipefd[0], msg + got, sizeof (msg) - 1 - (size_t) got)) > 0
             || (n < 0 && errno == EINTR)))
    got += n > 0 ? n : 0;
  close (pipefd[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  msg[got] = '\0';
  return mc_make_error (err, 0, "%s", got > 0 ? msg : "a helper process failed");
}

int
mc_plain_name_validate (const char *what, const char *name, mc_error_t *err)
{
  size_t i, len = strlen (name);

  if (len == 0 || len > 63)
    return mc_make_error (err, 0, "invalid %s name `%s`: 1 to 63 characters", what, name);
  if (name[0] == '.' || name[0] == '-')
    return mc_make_error (err, 0, "invalid %s name `%s`: must not start with `.` or `-`", what, name);
  for (i = 0; i < len; i++)
    {
      char c = name[i];

      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_' || c == '.'))
        return mc_make_error (err, 0, "invalid %s name `%s`: letters, digits, `-`, `_` and `.` only", what,
                              name);
    }
  return 0;
}

/* ---- signals passed on ------------------------------------------------------ */

static volatile pid_t forward_to;

static void
on_forwarded (int sig)
{
  int saved = errno;

  if (forward_to > 0)
    kill (forward_to, sig);
  errno = saved;
}

void
mc_forward_signals (pid_t to, bool winch)
{
  static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
  struct sigaction sa;
  size_t i;

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = on_forwarded;
  sa.sa_flags = SA_RESTART;
  forward_to = to;
  for (i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    if (winch || forwarded[i] != SIGWINCH)
      sigaction (forwarded[i], &sa, NULL);
}

/* ---- fds closed before an exec ------------------------------------------------- */

static int
close_span (unsigned int lo, unsigned int hi, bool cloexec)
{
  return lo > hi ? 0 : mc_sys_close_range (lo, hi, cloexec ? CLOSE_RANGE_CLOEXEC : 0);
}

void
mc_close_fds_from (int from, int keep, bool cloexec)
{
  struct rlimit rl;
  long i, max;

  if (keep < from)
    keep = -1;
  if (keep < 0 ? close_span ((unsigned int) from, ~0U, cloexec) == 0
               : (close_span ((unsigned int) from, (unsigned int) keep - 1, cloexec) == 0
                  && close_span ((unsigned int) keep + 1, ~0U, cloexec) == 0))
    return;
  /* No close_range (an old kernel, or a seccomp profile that denies it):
     one by one, up to the fd limit.  */
  max = getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (1 << 20)
            ? (long) rl.rlim_cur
            : 1 << 20;
  for (i = from; i < max; i++)
    if (i != keep)
      {
        if (cloexec)
          fcntl ((int) i, F_SETFD, FD_CLOEXEC);
        else
          close ((int) i);
      }
}
