/* The half of `minictr file` both sides share: messages, copying, temp
 * names, path resolution inside a root, and the tree stream (sender and
 * receiver).  See file-internal.h for the protocol.  */
#include "runtime/files/file-internal.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- messages ----------------------------------------------------------- */

int
fmsg_send (int sock, const struct fmsg *m, int fd)
{
  return mc_send_with_fd (sock, m, sizeof (*m), fd);
}

int
fmsg_recv (int sock, struct fmsg *m, int *fd, mc_error_t *err)
{
  /* Only the CLI catches signals (without SA_RESTART): EINTR means it
   * was asked to stop.  */
  ssize_t n = mc_recv_with_fd (sock, m, sizeof (*m), fd, false);

  if (n < 0 && errno == EINTR)
    return mc_make_error (err, 0, "interrupted");
  if (n < 0 && errno == EBADMSG)
    return mc_make_error (err, 0, "malformed message from the file agent");
  if (n < 0)
    return mc_make_error (err, errno, "read from the file agent");
  if (n == 0)
    return 0;
  m->path[sizeof (m->path) - 1] = '\0';
  m->text[sizeof (m->text) - 1] = '\0';
  return 1;
}

int
fmsg_call (int sock, const struct fmsg *m, int fd, struct fmsg *out, bool *peer,
           mc_error_t *err)
{
  struct fmsg reply;
  int r;

  if (fmsg_send (sock, m, fd) < 0)
    return mc_make_error (err, errno == EPIPE || errno == ECONNRESET ? 0 : errno,
                          "the file agent went away");
  r = fmsg_recv (sock, &reply, NULL, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return mc_make_error (err, 0, "the file agent went away");
  if (reply.op == FOP_ERROR)
    {
      if (peer)
        *peer = true;
      if (*err == NULL && mc_make_error (err, 0, "%s", reply.text) < 0)
        (*err)->status = reply.status;
      return -1;
    }
  if (reply.op != FOP_OK)
    return mc_make_error (err, 0, "unexpected answer from the file agent");
  if (out)
    *out = reply;
  return 0;
}

int
fmsg_reply_error (int sock, mc_error_t *err)
{
  struct fmsg m = { .op = FOP_ERROR };

  if (err && *err)
    {
      m.status = (*err)->status;
      snprintf (m.text, sizeof (m.text), "%s", (*err)->msg);
    }
  else
    snprintf (m.text, sizeof (m.text), "unknown error");
  mc_error_release (err);
  return fmsg_send (sock, &m, -1);
}

int
fmsg_reply_ok (int sock)
{
  struct fmsg m = { .op = FOP_OK };

  return fmsg_send (sock, &m, -1);
}

int
fmsg_set (char dst[PATH_MAX], const char *s, mc_error_t *err)
{
  size_t n = strlen (s);

  if (n >= PATH_MAX)
    return mc_make_error (err, ENAMETOOLONG, "`%.64s...`", s);
  memcpy (dst, s, n + 1);
  return 0;
}

/* ---- copying ------------------------------------------------------------- */

#define COPY_CHUNK (8 << 20)

/* Errors that mean "this way of copying does not apply to these files":
 * copy_file_range across filesystem types (EXDEV), pipes and terminals
 * (EINVAL, ESPIPE), O_APPEND (EBADF), old kernels (ENOSYS).  */
static bool
try_next_way (int e)
{
  return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF
         || e == ESPIPE;
}

static ssize_t
copy_chunk_rw (int in, int out, char **buf)
{
  ssize_t n;

  if (*buf == NULL)
    *buf = xmalloc (1 << 17);
  n = read (in, *buf, 1 << 17);
  if (n > 0 && mc_write_all (out, *buf, (size_t) n) < 0)
    return -1;
  return n;
}

int
file_copy_fd (int in, int out, cancel_fn cancelled, void *cdata, const char *what,
              mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  int way = 0; /* 0 copy_file_range, 1 sendfile, 2 read/write */

  for (;;)
    {
      ssize_t n;

      if (cancelled && cancelled (cdata))
        return mc_make_error (err, 0, "copy to `%s`: interrupted", what);
      if (way == 0)
        n = copy_file_range (in, NULL, out, NULL, COPY_CHUNK, 0);
      else if (way == 1)
        n = sendfile (out, in, NULL, COPY_CHUNK);
      else
        n = copy_chunk_rw (in, out, &buf);
      if (n < 0 && way < 2 && try_next_way (errno))
        {
          way++;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mc_make_error (err, errno, "copy to `%s`", what);
      /* At the end of a stream, asked to stop means the stream may have
       * been cut short: it is not committed.  */
      if (n == 0)
        return cancelled && cancelled (cdata)
                 ? mc_make_error (err, 0, "copy to `%s`: interrupted", what) : 0;
    }
}

/* ---- names ----------------------------------------------------------------- */

bool
file_name_valid (const char *name)
{
  return name[0] != '\0' && strchr (name, '/') == NULL && strcmp (name, ".") != 0
         && strcmp (name, "..") != 0 && strlen (name) <= NAME_MAX;
}

static void
temp_name (char *name)
{
  unsigned char b[6] = { 0 };
  size_t i;

  if (getrandom (b, sizeof (b), 0) != (ssize_t) sizeof (b))
    {
      pid_t p = getpid ();
      memcpy (b, &p, sizeof (p) < sizeof (b) ? sizeof (p) : sizeof (b));
    }
  strcpy (name, ".minictr.");
  for (i = 0; i < sizeof (b); i++)
    sprintf (name + 9 + 2 * i, "%02x", b[i]);
}

int
file_temp_at (int dirfd, char *name, mc_error_t *err)
{
  int i, fd;

  for (i = 0; i < 100; i++)
    {
      temp_name (name);
      fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0 || errno != EEXIST)
        return fd >= 0 ? fd : mc_make_error (err, errno, "create a temp file");
    }
  return mc_make_error (err, EEXIST, "create a temp file");
}

int
file_temp_symlink_at (const char *target, int dirfd, char *name, mc_error_t *err)
{
  int i;

  for (i = 0; i < 100; i++)
    {
      temp_name (name);
      if (symlinkat (target, dirfd, name) == 0)
        return 0;
      if (errno != EEXIST)
        break;
    }
  return mc_make_error (err, errno, "create a temp symlink");
}

/* ---- paths inside a root --------------------------------------------------- */

int
file_open_in (int rootfd, const char *path, int flags, mode_t mode)
{
  struct open_how how = { .flags = (uint64_t) (flags | O_CLOEXEC),
                          .mode = (flags & O_CREAT) ? mode : 0,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd, tries;

  if (rootfd == AT_FDCWD)
    return openat (AT_FDCWD, path, flags | O_CLOEXEC, mode);
  /* EAGAIN: a rename raced with the lookup (the kernel cannot prove it
   * stayed inside the root), so it must be tried again.  */
  for (tries = 0; tries < 1000; tries++)
    {
      fd = mc_sys_openat2 (rootfd, path, &how, sizeof (how));
      if (fd >= 0 || errno != EAGAIN)
        break;
    }
  if (fd < 0 && errno == ENOSYS)
    {
      /* Before Linux 5.6.  ROOTFD is also the agent's own root directory
       * (setns or chroot put it there), so a lookup from it treats `..`
       * and absolute symlinks the same way; only magic links are not
       * refused.  */
      while (*path == '/')
        path++;
      return openat (rootfd, *path ? path : ".", flags | O_CLOEXEC, mode);
    }
  return fd;
}

void
file_path_split (const char *path, char **dir, char **base)
{
  cleanup_free char *p = xstrdup (path);
  size_t n = strlen (p);
  char *slash;

  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  slash = strrchr (p, '/');
  if (slash == NULL)
    {
      *dir = xstrdup (".");
      *base = xstrdup (p);
      return;
    }
  *base = xstrdup (slash + 1);
  while (slash > p && slash[-1] == '/')
    slash--;
  *dir = slash == p ? xstrdup ("/") : xstrndup (p, (size_t) (slash - p));
}

static int
mkdir_one (int rootfd, const char *path, mode_t mode, bool chown, uid_t uid, gid_t gid,
           mc_error_t *err)
{
  cleanup_free char *dir = NULL, *base = NULL;
  cleanup_close int dfd = -1, fd = -1;

  file_path_split (path, &dir, &base);
  if (!file_name_valid (base))
    return mc_make_error (err, EINVAL, "mkdir `%s`", path);
  dfd = file_open_in (rootfd, dir, O_PATH | O_DIRECTORY, 0);
  if (dfd < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  if (mkdirat (dfd, base, mode) < 0)
    return errno == EEXIST ? 0 : mc_make_error (err, errno, "mkdir `%s`", path);
  if (!chown)
    return 0;
  fd = openat (dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fchown (fd, uid, gid) < 0 || fchmod (fd, mode) < 0)
    return mc_make_error (err, errno, "set the owner of `%s`", path);
  return 0;
}

int
file_mkdir_p (int rootfd, const char *path, mode_t mode, bool chown, uid_t uid, gid_t gid,
              mc_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  size_t i, n = strlen (p);

  for (i = 1; i <= n; i++)
    {
      cleanup_close int fd = -1;
      char saved = p[i];

      if (saved != '/' && saved != '\0')
        continue;
      if (p[i - 1] == '/')
        continue;
      p[i] = '\0';
      fd = file_open_in (rootfd, p, O_PATH | O_DIRECTORY, 0);
      if (fd < 0 && errno != ENOENT)
        return mc_make_error (err, errno, "mkdir `%s`", p);
      if (fd < 0 && mkdir_one (rootfd, p, mode, chown, uid, gid, err) < 0)
        return -1;
      p[i] = saved;
    }
  return 0;
}

static int
target_into_dir (const char *src_name, const char *label, int fd, int *dirfd,
                 char name[NAME_MAX + 1], mc_error_t *err)
{
  if (src_name == NULL || !file_name_valid (src_name))
    {
      close (fd);
      return mc_make_error (err, 0, "`%s` is a directory: name the file to create in it", label);
    }
  strcpy (name, src_name);
  *dirfd = fd;
  return 0;
}

int
file_resolve_target (int rootfd, const char *path, const char *src_name, uint32_t flags,
                     bool chown, uid_t uid, gid_t gid, const char *label, int *dirfd,
                     char name[NAME_MAX + 1], bool *into_dir, mc_error_t *err)
{
  cleanup_free char *dir = NULL, *base = NULL;
  int fd = file_open_in (rootfd, path, O_PATH | O_DIRECTORY, 0);
  int e = errno;

  *into_dir = false;
  if (fd >= 0 && !(flags & FF_EXACT))
    return *into_dir = true, target_into_dir (src_name, label, fd, dirfd, name, err);
  if (fd >= 0)
    {
      close (fd);
      return mc_make_error (err, EISDIR, "`%s`", label);
    }
  if (e != ENOENT && e != ENOTDIR)
    return mc_make_error (err, e, "`%s`", label);
  if (flags & (FF_MULTI | FF_DIR))
    {
      if (!(flags & FF_PARENTS) || e != ENOENT)
        return e == ENOTDIR ? mc_make_error (err, 0, "`%s` is not a directory", label)
                            : mc_make_error (err, e, "`%s`", label);
      if (file_mkdir_p (rootfd, path, 0755, chown, uid, gid, err) < 0)
        return -1;
      fd = file_open_in (rootfd, path, O_PATH | O_DIRECTORY, 0);
      if (fd < 0)
        return mc_make_error (err, errno, "`%s`", label);
      return *into_dir = true, target_into_dir (src_name, label, fd, dirfd, name, err);
    }
  file_path_split (path, &dir, &base);
  if (!file_name_valid (base))
    return mc_make_error (err, 0, "invalid target `%s`", label);
  if ((flags & FF_PARENTS) && file_mkdir_p (rootfd, dir, 0755, chown, uid, gid, err) < 0)
    return -1;
  fd = file_open_in (rootfd, dir, O_PATH | O_DIRECTORY, 0);
  if (fd < 0)
    return mc_make_error (err, errno, "`%s`", label);
  strcpy (name, base);
  *dirfd = fd;
  return 0;
}

/* ---- sending a tree -------------------------------------------------------- */

void
file_warn_skipped (mc_file_warn_fn warn, void *data, const char *label)
{
  cleanup_free char *msg = NULL;

  if (warn == NULL)
    return;
  msg = xasprintf ("skipped `%s`: not a regular file, directory or symlink", label);
  warn (data, msg);
}

static int send_node (struct tree_tx *tx, int fd, const struct stat *st, const char *name,
                      size_t depth, mc_error_t *err);

static int
tx_call (struct tree_tx *tx, struct fmsg *m, int fd, mc_error_t *err)
{
  return fmsg_call (tx->sock, m, fd, NULL, &tx->peer_failed, err);
}

static void
tx_stamp (struct tree_tx *tx, struct fmsg *m, const struct stat *st, const char *name)
{
  snprintf (m->path, sizeof (m->path), "%s", name);
  m->mode = st->st_mode & 07777;
  m->uid = tx->uid == MC_FILE_ID_UNSET ? st->st_uid : tx->uid;
  m->gid = tx->gid == MC_FILE_ID_UNSET ? st->st_gid : tx->gid;
  m->size = (uint64_t) st->st_size;
}

static int
send_skip (struct tree_tx *tx, mc_error_t *err)
{
  struct fmsg m = { .op = FOP_SKIP };

  if (tx->forward_skips)
    {
      snprintf (m.path, sizeof (m.path), "%s", tx->label);
      return tx_call (tx, &m, -1, err);
    }
  file_warn_skipped (tx->warn, tx->warn_data, tx->label);
  return 0;
}

static int
send_symlink (struct tree_tx *tx, int dirfd, const char *name, const struct stat *st,
              mc_error_t *err)
{
  struct fmsg m = { .op = FOP_SYMLINK };
  ssize_t n = readlinkat (dirfd, name, m.text, sizeof (m.text));

  if (n < 0)
    return mc_make_error (err, errno, "readlink `%s`", tx->label);
  if ((size_t) n >= sizeof (m.text))
    return mc_make_error (err, ENAMETOOLONG, "readlink `%s`", tx->label);
  m.text[n] = '\0';
  tx_stamp (tx, &m, st, name);
  return tx_call (tx, &m, -1, err);
}

/* One directory entry: links as links, never followed; directories and
 * files opened O_NOFOLLOW and checked again once open (the entry may have
 * been swapped since the fstatat).  */
static int
send_child (struct tree_tx *tx, int dirfd, const char *name, size_t depth, mc_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "stat `%s`", tx->label);
  if (S_ISLNK (st.st_mode))
    return send_symlink (tx, dirfd, name, &st, err);
  if (S_ISDIR (st.st_mode))
    fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  else if (S_ISREG (st.st_mode))
    fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  else
    return send_skip (tx, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "open `%s`", tx->label);
  return send_node (tx, fd, &st, name, depth, err);
}

static int
send_children (struct tree_tx *tx, int fd, size_t depth, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (fd, ".");
  size_t len = strlen (tx->label);
  struct dirent *de;
  int ret = 0;

  if (d == NULL)
    return mc_make_error (err, errno, "open `%s`", tx->label);
  while (ret == 0 && (errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      snprintf (tx->label + len, sizeof (tx->label) - len, "%s%s",
                len && tx->label[len - 1] == '/' ? "" : "/", de->d_name);
      ret = send_child (tx, dirfd (d), de->d_name, depth + 1, err);
      tx->label[len] = '\0';
    }
  if (ret == 0 && errno != 0)
    return mc_make_error (err, errno, "read the directory `%s`", tx->label);
  return ret;
}

/* One message about ST; kept out of send_node so that the recursion does
 * not hold a message (8 KiB) per level.  */
static int
send_entry (struct tree_tx *tx, uint32_t op, int fd, const struct stat *st, const char *name,
            mc_error_t *err)
{
  struct fmsg m = { .op = op };

  tx_stamp (tx, &m, st, name);
  if (op == FOP_FILE && tx->mode_override >= 0)
    m.mode = (uint32_t) tx->mode_override;
  return tx_call (tx, &m, fd, err);
}

static int
send_node (struct tree_tx *tx, int fd, const struct stat *st, const char *name, size_t depth,
           mc_error_t *err)
{
  if (S_ISREG (st->st_mode))
    return send_entry (tx, FOP_FILE, fd, st, name, err);
  if (!S_ISDIR (st->st_mode))
    return depth == 0 ? mc_make_error (err, 0, "`%s` is not a regular file, directory or symlink",
                                       tx->label)
                      : send_skip (tx, err);
  if (!tx->recursive)
    return mc_make_error (err, 0, "`%s` is a directory (use -r)", tx->label);
  if (depth >= FILE_TREE_MAX_DEPTH)
    return mc_make_error (err, 0, "`%s`: more than %d levels of directories", tx->label,
                          FILE_TREE_MAX_DEPTH);
  if (send_entry (tx, FOP_DIR, -1, st, name, err) < 0 || send_children (tx, fd, depth, err) < 0)
    return -1;
  return send_entry (tx, FOP_END, -1, st, name, err);
}

int
tree_send (struct tree_tx *tx, int fd, const struct stat *st, mc_error_t *err)
{
  const char *slash = strrchr (tx->label, '/');

  return send_node (tx, fd, st, slash ? slash + 1 : tx->label, 0, err);
}

/* ---- receiving a tree ------------------------------------------------------ */

void
tree_rx_init (struct tree_rx *rx, int parent, const char *top, const char *label)
{
  memset (rx, 0, sizeof (*rx));
  rx->parent = parent;
  rx->out_fd = -1;
  snprintf (rx->top, sizeof (rx->top), "%s", top);
  snprintf (rx->label, sizeof (rx->label), "%s", label);
}

static void
rx_label_push (struct tree_rx *rx, const char *name)
{
  size_t len = strlen (rx->label);

  snprintf (rx->label + len, sizeof (rx->label) - len, "/%s", name);
}

static void
rx_label_pop (struct tree_rx *rx)
{
  char *slash = strrchr (rx->label, '/');

  if (slash)
    *slash = '\0';
}

static uint32_t
rx_file_mode (const struct tree_rx *rx, const struct fmsg *m)
{
  /* A file from a container must not become a setuid or setgid program
   * on the host.  */
  return (m->mode & 07777) & (rx->host ? ~(uint32_t) (S_ISUID | S_ISGID) : ~0U);
}

/* Temp file next to the target, filled, owned, chmod'ed (after the chown,
 * which clears setuid bits), then renamed over it: a reader sees the old
 * file or the new one, and a symlink at the target is replaced, never
 * written through.  */
static int
rx_file (struct tree_rx *rx, int dirfd, const char *name, const struct fmsg *m, int fd,
         mc_error_t *err)
{
  char tmp[NAME_MAX + 1];
  cleanup_close int out = -1;
  struct stat st;

  /* The agent checked; the host side does not take its word for it.  */
  if (rx->host && (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)))
    return mc_make_error (err, 0, "`%s`: not a regular file", rx->label);
  if (rx->out_fd >= 0)
    return file_copy_fd (fd, rx->out_fd, rx->cancelled, rx->cdata, "standard output", err);
  out = file_temp_at (dirfd, tmp, err);
  if (out < 0)
    return mc_error_prefix (err, "`%s`", rx->label);
  if (file_copy_fd (fd, out, rx->cancelled, rx->cdata, rx->label, err) < 0)
    goto fail;
  if (rx->chown && fchown (out, m->uid, m->gid) < 0)
    {
      mc_make_error (err, errno, "chown `%s` to %u:%u", rx->label, m->uid, m->gid);
      goto fail;
    }
  if (fchmod (out, rx_file_mode (rx, m)) < 0 || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      mc_make_error (err, errno, "write `%s`", rx->label);
      goto fail;
    }
  return 0;
fail:
  unlinkat (dirfd, tmp, 0);
  return -1;
}

static int
rx_symlink (struct tree_rx *rx, int dirfd, const char *name, const struct fmsg *m,
            mc_error_t *err)
{
  char tmp[NAME_MAX + 1];

  if (file_temp_symlink_at (m->text, dirfd, tmp, err) < 0)
    return mc_error_prefix (err, "`%s`", rx->label);
  if (rx->chown && fchownat (dirfd, tmp, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0)
    mc_make_error (err, errno, "chown `%s` to %u:%u", rx->label, m->uid, m->gid);
  else if (renameat (dirfd, tmp, dirfd, name) < 0)
    mc_make_error (err, errno, "write `%s`", rx->label);
  else
    return 0;
  unlinkat (dirfd, tmp, 0);
  return -1;
}

/* A directory is created 0700 and gets its mode at END, so a read-only
 * one can still be filled; an existing directory is merged into as is.  */
static int
rx_dir (struct tree_rx *rx, int dirfd, const char *name, const struct fmsg *m, mc_error_t *err)
{
  struct tree_rx_dir *d;
  bool created;
  int fd;

  if (rx->depth >= FILE_TREE_MAX_DEPTH)
    return mc_make_error (err, 0, "`%s`: more than %d levels of directories", rx->label,
                          FILE_TREE_MAX_DEPTH);
  created = mkdirat (dirfd, name, 0700) == 0;
  if (!created && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s`", rx->label);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
    return mc_make_error (err, 0, "`%s` exists and is not a directory", rx->label);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", rx->label);
  if (created && rx->chown && fchown (fd, m->uid, m->gid) < 0)
    {
      close (fd);
      return mc_make_error (err, errno, "chown `%s` to %u:%u", rx->label, m->uid, m->gid);
    }
  d = &rx->dirs[rx->depth++];
  d->fd = fd;
  d->mode = m->mode & 07777;
  d->created = created;
  return 0;
}

static int
rx_end (struct tree_rx *rx, mc_error_t *err)
{
  struct tree_rx_dir *d = &rx->dirs[--rx->depth];
  int ret = 0;

  if (d->created && fchmod (d->fd, d->mode) < 0)
    ret = mc_make_error (err, errno, "chmod `%s`", rx->label);
  close (d->fd);
  return ret;
}

int
tree_rx_entry (struct tree_rx *rx, const struct fmsg *m, int fd, mc_error_t *err)
{
  const char *name = rx->depth == 0 ? rx->top : m->path;
  int dirfd = rx->depth == 0 ? rx->parent : rx->dirs[rx->depth - 1].fd;
  int ret;

  if (m->op == FOP_END)
    {
      if (rx->depth == 0)
        return mc_make_error (err, 0, "`%s`: unbalanced directory end", rx->label);
      ret = rx_end (rx, err);
      if (rx->depth > 0)
        rx_label_pop (rx);
      return ret;
    }
  if (rx->depth > 0 && !file_name_valid (m->path))
    return mc_make_error (err, 0, "`%s`: invalid entry name", rx->label);
  if (rx->out_fd >= 0 && m->op != FOP_FILE)
    return mc_make_error (err, 0, "`%s` is not a regular file: it cannot go to standard output",
                          rx->label);
  if (rx->depth > 0)
    rx_label_push (rx, name);
  switch (m->op)
    {
    case FOP_FILE:
      ret = fd < 0 ? mc_make_error (err, 0, "`%s`: no file came", rx->label)
                   : rx_file (rx, dirfd, name, m, fd, err);
      break;
    case FOP_SYMLINK:
      ret = rx_symlink (rx, dirfd, name, m, err);
      break;
    case FOP_DIR:
      /* The label keeps the directory's name until its END.  */
      ret = rx_dir (rx, dirfd, name, m, err);
      if (ret < 0 && rx->depth > 0)
        rx_label_pop (rx);
      return ret;
    default:
      ret = mc_make_error (err, 0, "unexpected entry in a file tree");
    }
  if (rx->depth > 0)
    rx_label_pop (rx);
  return ret;
}

/* Directories left open by an interrupted tree still get their modes.  */
void
tree_rx_release (struct tree_rx *rx)
{
  mc_error_t e = NULL;

  while (rx->depth > 0)
    if (rx_end (rx, &e) < 0)
      mc_error_release (&e);
}
