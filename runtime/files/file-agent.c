/* The agent of `minictr file`: a child of the CLI that enters the
 * container and does the container's half of the work as the container's
 * root, so ownership maps by itself and the kernel refuses what it would
 * refuse to a process inside.
 *
 *   running: setns(init's pidfd, CLONE_NEWUSER | CLONE_NEWNS), as exec
 *            does; the mount namespace's root is the container's root.
 *   stopped: a private mount namespace (unshare; nothing mounted there can
 *            outlive the agent), a user namespace with the container's
 *            idmap, the overlay assembled as `start` does it (rootfs.c),
 *            chroot into it, then setns into the user namespace.
 *
 * Either way the agent's own root directory is the container's, and every
 * path from the CLI is resolved with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) from it.  Before entering, the agent turns
 * non-dumpable (nothing in the container may ptrace it or reach its fds
 * through /proc, as with exec) and keeps no fd but its socket.  */
#include "runtime/files/file-internal.h"
#include "runtime/config/idmap.h"
#include "runtime/rootfs.h"
#include "runtime/security.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct agent
{
  const struct file_agent_spec *spec;
  int sock;
  int rootfd;
  struct tree_rx rx;    /* the tree being pushed, after a TARGET */
  int rx_dirfd;
  bool rx_active;
};

/* ---- entering ---------------------------------------------------------------- */

static int
become_root (mc_error_t *err)
{
  if (setresgid (0, 0, 0) < 0 || setgroups (0, NULL) < 0 || setresuid (0, 0, 0) < 0)
    return mc_make_error (err, errno, "become the container's root");
  return 0;
}

/* A user namespace mapping 0 -> BASE for SIZE ids, as the container's
 * (start.c maps its init the same way): a short-lived child unshares it,
 * we write its maps and keep a reference to it by fd.  */
static int
make_userns (const struct mc_idmap_set *idmap, mc_error_t *err)
{
  int ready[2] = { -1, -1 }, hold[2] = { -1, -1 }, fd = -1, status;
  char path[64], c = 0;
  pid_t pid;

  if (pipe2 (ready, O_CLOEXEC) < 0 || pipe2 (hold, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid == 0)
    {
      /* Our copy of the write end would keep the read below from ever
       * seeing EOF.  */
      close (ready[0]);
      close (hold[1]);
      if (unshare (CLONE_NEWUSER) < 0)
        _exit (1);
      (void) !write (ready[1], "x", 1);
      (void) !read (hold[0], &c, 1);
      _exit (0);
    }
  close (ready[1]);
  close (hold[0]);
  if (pid < 0)
    mc_make_error (err, errno, "fork");
  else if (read (ready[0], &c, 1) != 1)
    mc_make_error (err, 0, "create a user namespace for the container's idmap");
  else if (mc_idmap_write (pid, idmap, err) == 0)
    {
      snprintf (path, sizeof (path), "/proc/%d/ns/user", (int) pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        mc_make_error (err, errno, "open `%s`", path);
    }
  close (ready[0]);
  close (hold[1]);
  if (pid > 0)
    waitpid (pid, &status, 0);
  return fd;
}

static int
enter_running (const struct file_agent_spec *spec, mc_error_t *err)
{
  if (setns (spec->init_pidfd, spec->ns_flags) < 0)
    return mc_make_error (err, errno, "join the namespaces of `%s`", spec->name);
  if ((spec->ns_flags & CLONE_NEWUSER) && become_root (err) < 0)
    return -1;
  return 0;
}

/* The overlay as `start` builds it, attached (in our private namespace
 * only) so that we can chroot into it, and remounted nodev and nosuid:
 * an image may hold device nodes, and nothing here needs them.  A
 * remount rather than mount_setattr, which the shifted-copy fallback
 * cannot count on.  */
static int
assemble_rootfs (const struct file_agent_spec *spec, int userns, mc_error_t *err)
{
  struct mc_rootfs_spec rs = { .image_rootfs = spec->image_rootfs, .cdir = spec->cdir,
                               .userns_fd = userns, .idmap_base = spec->idmap_base,
                               .idmap_size = spec->idmap_size,
                               .raw_idmap = spec->idmap.uid.n > 1 || spec->idmap.gid.n > 1 };
  cleanup_free char *target = xasprintf ("%s/rootfs", spec->cdir);
  cleanup_close int mfd = mc_rootfs_prepare (&rs, err);
  int rootfd;

  if (mfd < 0)
    return -1;
  rootfd = mc_rootfs_attach (spec->cdir, mfd, err);
  if (rootfd < 0)
    return -1;
  if (mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_NODEV | MS_NOSUID, NULL) < 0)
    {
      close (rootfd);
      return mc_make_error (err, errno, "remount `%s` nodev", target);
    }
  return rootfd;
}

static int
enter_stopped (const struct file_agent_spec *spec, mc_error_t *err)
{
  cleanup_close int userns = -1;
  cleanup_close int rootfd = -1;

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return mc_make_error (err, errno, "private mount namespace");
  if (!spec->privileged
      && (userns = make_userns (&spec->idmap, err)) < 0)
    return -1;
  rootfd = assemble_rootfs (spec, userns, err);
  if (rootfd < 0)
    return -1;
  if (userns >= 0 && setns (userns, CLONE_NEWUSER) < 0)
    return mc_make_error (err, errno, "join the container's user namespace");
  if (userns >= 0 && become_root (err) < 0)
    return -1;
  if (fchdir (rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return mc_make_error (err, errno, "chroot into the container's root");
  return 0;
}

/* Keep only SOCK, moved to fd 3.  */
static int
drop_fds (int sock)
{
  if (sock != 3)
    {
      if (dup2 (sock, 3) < 0)
        return sock;
      close (sock);
    }
  mc_sys_close_range (4, ~0U, 0);
  return 3;
}

/* The host's /dev/null on 0-2, before entering: the container's could be
 * anything, and the agent has no business with the user's terminal.  */
static void
null_stdio (void)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  if (null < 0)
    return;
  dup2 (null, 0);
  dup2 (null, 1);
  dup2 (null, 2);
  if (null > 2)
    close (null);
}

static int
enter (struct agent *a, mc_error_t *err)
{
  const struct file_agent_spec *spec = a->spec;

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return mc_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  if ((spec->running ? enter_running (spec, err) : enter_stopped (spec, err)) < 0)
    return -1;
  /* Becoming container root reset "dumpable" to fs.suid_dumpable: the
   * container's root must not ptrace us, nor open our /proc/PID/exe.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return mc_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  /* A privileged container's root lacks these; so do we.  */
  if (spec->privileged && mc_caps_drop_default (err) < 0)
    return -1;
  a->sock = drop_fds (a->sock);
  umask (0);
  a->rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (a->rootfd < 0)
    return mc_make_error (err, errno, "open the container's root");
  return 0;
}

/* ---- requests -------------------------------------------------------------- */

static char *
label_of (struct agent *a, const char *path)
{
  return xasprintf ("%s%s", a->spec->name, path);
}

/* Nothing legitimate can arrive while a request is being served (strict
 * ping-pong): readable or hung up means the CLI is gone.  */
static bool
cli_gone (void *data)
{
  struct agent *a = data;
  struct pollfd p = { a->sock, POLLIN, 0 };

  return poll (&p, 1, 0) > 0;
}

static int
do_stat (struct agent *a, const struct fmsg *m, mc_error_t *err)
{
  cleanup_free char *label = label_of (a, m->path);
  cleanup_close int fd = file_open_in (a->rootfd, m->path,
                                      O_PATH | (m->flags & FF_NOFOLLOW ? O_NOFOLLOW : 0), 0);
  struct fmsg r = { .op = FOP_OK };
  struct stat st;
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "`%s`", label);
  if (S_ISLNK (st.st_mode) && (n = readlinkat (fd, "", r.text, sizeof (r.text) - 1)) > 0)
    r.text[n] = '\0';
  r.mode = st.st_mode;
  r.uid = st.st_uid;
  r.gid = st.st_gid;
  r.size = (uint64_t) st.st_size;
  return fmsg_send (a->sock, &r, -1);
}

/* FOP_OPEN: what the API's GET of a file needs.  Opened read-only and
 * non-blocking (a FIFO would otherwise hang us), never through a final
 * symlink; the fd leaves the container for the host side, which only
 * reads a file's bytes or a directory's names from it.  */
static int
do_open (struct agent *a, const struct fmsg *m, mc_error_t *err)
{
  cleanup_free char *label = label_of (a, m->path);
  cleanup_close int fd = file_open_in (a->rootfd, m->path, O_PATH | O_NOFOLLOW, 0);
  cleanup_close int rfd = -1;
  struct fmsg r = { .op = FOP_OK };
  struct stat st;
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "`%s`", label);
  r.mode = st.st_mode;
  r.uid = st.st_uid;
  r.gid = st.st_gid;
  r.size = (uint64_t) st.st_size;
  if (S_ISLNK (st.st_mode))
    {
      if ((n = readlinkat (fd, "", r.text, sizeof (r.text) - 1)) < 0)
        return mc_make_error (err, errno, "`%s`", label);
      r.text[n] = '\0';
      return fmsg_send (a->sock, &r, -1);
    }
  if (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
    return mc_make_error (err, 0, "`%s` is not a file, directory or symlink", label);
  /* Open it for reading (not through /proc/self/fd: our pid is not in the
   * container's procfs).  Whatever replaced it meanwhile cannot be a
   * symlink (O_NOFOLLOW) nor block us (O_NONBLOCK), and what is sent is
   * what this fd is.  */
  rfd = file_open_in (a->rootfd, m->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
  if (rfd < 0 || fstat (rfd, &st) < 0)
    return mc_make_error (err, errno, "open `%s`", label);
  if (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
    return mc_make_error (err, 0, "`%s` is not a file or directory any more", label);
  r.mode = st.st_mode;
  r.uid = st.st_uid;
  r.gid = st.st_gid;
  r.size = (uint64_t) st.st_size;
  return fmsg_send (a->sock, &r, rfd);
}

static void
rx_stop (struct agent *a)
{
  if (!a->rx_active)
    return;
  tree_rx_release (&a->rx);
  close (a->rx_dirfd);
  a->rx_active = false;
}

static int
do_target (struct agent *a, const struct fmsg *m, mc_error_t *err)
{
  cleanup_free char *label = label_of (a, m->path);
  cleanup_free char *full = NULL;
  char name[NAME_MAX + 1];
  bool into;
  int dirfd;

  rx_stop (a);
  if (file_resolve_target (a->rootfd, m->path, m->text[0] ? m->text : NULL, m->flags, true,
                           m->uid, m->gid, label, &dirfd, name, &into, err) < 0)
    return -1;
  full = into ? xasprintf ("%s%s%s", label, label[strlen (label) - 1] == '/' ? "" : "/", name)
              : xstrdup (label);
  tree_rx_init (&a->rx, dirfd, name, full);
  a->rx.chown = true;
  a->rx.cancelled = cli_gone;
  a->rx.cdata = a;
  a->rx_dirfd = dirfd;
  a->rx_active = true;
  return fmsg_reply_ok (a->sock);
}

static int
do_entry (struct agent *a, const struct fmsg *m, int fd, mc_error_t *err)
{
  if (!a->rx_active)
    return mc_make_error (err, 0, "file entry without a target");
  if (tree_rx_entry (&a->rx, m, fd, err) < 0)
    {
      rx_stop (a);
      return -1;
    }
  return fmsg_reply_ok (a->sock);
}

/* The answer is the tree itself, then DONE; an error the CLI sent back
 * ends it without another word from us.  */
static int
do_pull (struct agent *a, const struct fmsg *m, mc_error_t *err)
{
  struct tree_tx tx = { .sock = a->sock, .recursive = (m->flags & FF_RECURSIVE) != 0,
                        .mode_override = -1, .uid = MC_FILE_ID_UNSET,
                        .gid = MC_FILE_ID_UNSET, .forward_skips = true };
  cleanup_close int fd = -1;
  struct fmsg done = { .op = FOP_DONE };
  struct stat st;

  snprintf (tx.label, sizeof (tx.label), "%s%s", a->spec->name, m->path);
  fd = file_open_in (a->rootfd, m->path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "`%s`", tx.label);
  if (tree_send (&tx, fd, &st, err) < 0)
    {
      if (tx.peer_failed)
        mc_error_release (err);
      return tx.peer_failed ? 0 : -1;
    }
  return fmsg_send (a->sock, &done, -1);
}

static int
split_parent (struct agent *a, const char *path, const char *label, char **base,
              mc_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  size_t n = strlen (dir);
  char *slash;
  int fd;

  while (n > 1 && dir[n - 1] == '/')
    dir[--n] = '\0';
  slash = strrchr (dir, '/');
  if (slash == NULL || !file_name_valid (slash + 1))
    return mc_make_error (err, 0, "invalid path `%s`", label);
  *base = xstrdup (slash + 1);
  slash[slash == dir ? 1 : 0] = '\0';
  fd = file_open_in (a->rootfd, dir, O_PATH | O_DIRECTORY, 0);
  if (fd < 0)
    {
      free (steal_pointer (base));
      return mc_make_error (err, errno, "`%s`", label);
    }
  return fd;
}

static int
do_delete (struct agent *a, const struct fmsg *m, mc_error_t *err)
{
  cleanup_free char *label = label_of (a, m->path);
  cleanup_free char *base = NULL;
  cleanup_close int dfd = -1;
  struct stat st;

  if (strspn (m->path, "/") == strlen (m->path))
    return mc_make_error (err, 0, "refusing to delete the container's root directory");
  dfd = split_parent (a, m->path, label, &base, err);
  if (dfd < 0)
    return -1;
  if (fstatat (dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "`%s`", label);
  if (S_ISDIR (st.st_mode) && (m->flags & FF_FORCE))
    {
      if (mc_rm_rf_at (dfd, base, err) < 0)
        return mc_error_prefix (err, "delete `%s`", label);
    }
  else if (unlinkat (dfd, base, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
    return errno == ENOTEMPTY || errno == EEXIST
             ? mc_make_error (err, 0, "`%s` is a directory and not empty (use --force)", label)
             : mc_make_error (err, errno, "delete `%s`", label);
  return fmsg_reply_ok (a->sock);
}

static int
create_file (int dfd, const char *base, const struct fmsg *m, const char *label,
             mc_error_t *err)
{
  char tmp[NAME_MAX + 1];
  bool force = (m->flags & FF_FORCE) != 0;
  cleanup_close int fd = force ? file_temp_at (dfd, tmp, err)
                               : openat (dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);

  if (fd < 0)
    return errno == EEXIST && !force
             ? mc_make_error (err, 0, "`%s` already exists (use --force to replace it)", label)
             : mc_make_error (err, errno, "create `%s`", label);
  if (fchown (fd, m->uid, m->gid) < 0 || fchmod (fd, m->mode & 07777) < 0
      || (force && renameat (dfd, tmp, dfd, base) < 0))
    {
      int e = errno;
      unlinkat (dfd, force ? tmp : base, 0);
      return mc_make_error (err, e, "create `%s`", label);
    }
  return 0;
}

static int
create_dir (int dfd, const char *base, const struct fmsg *m, const char *label, mc_error_t *err)
{
  bool created = mkdirat (dfd, base, 0700) == 0;
  cleanup_close int fd = -1;

  if (!created && (errno != EEXIST || !(m->flags & FF_FORCE)))
    return errno == EEXIST ? mc_make_error (err, 0, "`%s` already exists", label)
                           : mc_make_error (err, errno, "mkdir `%s`", label);
  fd = openat (dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno == ELOOP ? ENOTDIR : errno, "`%s`", label);
  if (created && (fchown (fd, m->uid, m->gid) < 0 || fchmod (fd, m->mode & 07777) < 0))
    return mc_make_error (err, errno, "mkdir `%s`", label);
  return 0;
}

static int
create_symlink (int dfd, const char *base, const struct fmsg *m, const char *label,
                mc_error_t *err)
{
  char tmp[NAME_MAX + 1];
  bool force = (m->flags & FF_FORCE) != 0;
  const char *name = force ? tmp : base;

  if (force ? file_temp_symlink_at (m->text, dfd, tmp, err) < 0
            : symlinkat (m->text, dfd, base) < 0)
    return errno == EEXIST && !force
             ? mc_make_error (err, 0, "`%s` already exists (use --force to replace it)", label)
             : mc_make_error (err, errno, "symlink `%s`", label);
  if (fchownat (dfd, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0
      || (force && renameat (dfd, tmp, dfd, base) < 0))
    {
      int e = errno;
      unlinkat (dfd, name, 0);
      return mc_make_error (err, e, "symlink `%s`", label);
    }
  return 0;
}

static int
do_create (struct agent *a, const struct fmsg *m, mc_error_t *err)
{
  cleanup_free char *label = label_of (a, m->path);
  cleanup_free char *base = NULL;
  cleanup_free char *dir = NULL;
  cleanup_close int dfd = -1;
  char *slash;
  int ret;

  if (m->flags & FF_PARENTS)
    {
      size_t n;

      dir = xstrdup (m->path);
      for (n = strlen (dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
      slash = strrchr (dir, '/');
      if (slash != NULL && slash != dir)
        {
          *slash = '\0';
          if (file_mkdir_p (a->rootfd, dir, 0755, true, m->uid, m->gid, err) < 0)
            return -1;
        }
    }
  dfd = split_parent (a, m->path, label, &base, err);
  if (dfd < 0)
    return -1;
  if (S_ISDIR (m->mode))
    ret = create_dir (dfd, base, m, label, err);
  else if (S_ISLNK (m->mode))
    ret = create_symlink (dfd, base, m, label, err);
  else
    ret = create_file (dfd, base, m, label, err);
  return ret < 0 ? -1 : fmsg_reply_ok (a->sock);
}

static int
serve_one (struct agent *a, const struct fmsg *m, int fd, mc_error_t *err)
{
  switch (m->op)
    {
    case FOP_STAT:
      return do_stat (a, m, err);
    case FOP_TARGET:
      return do_target (a, m, err);
    case FOP_FILE:
    case FOP_DIR:
    case FOP_SYMLINK:
    case FOP_END:
      return do_entry (a, m, fd, err);
    case FOP_PULL:
      return do_pull (a, m, err);
    case FOP_DELETE:
      return do_delete (a, m, err);
    case FOP_CREATE:
      return do_create (a, m, err);
    case FOP_OPEN:
      return do_open (a, m, err);
    default:
      return mc_make_error (err, 0, "unknown request %u", m->op);
    }
}

/* Terminal signals reach the whole process group: the CLI handles them
 * and closes the socket, and we finish what we are doing cleanly (a temp
 * file is removed, never left behind).  */
static void
ignore_terminal_signals (void)
{
  signal (SIGINT, SIG_IGN);
  signal (SIGQUIT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);
  signal (SIGTSTP, SIG_IGN);
}

void
file_agent_main (const struct file_agent_spec *spec, int sock)
{
  struct agent a = { .spec = spec, .sock = sock, .rootfd = -1, .rx_dirfd = -1 };
  mc_error_t err = NULL;

  ignore_terminal_signals ();
  null_stdio ();
  if (enter (&a, &err) < 0)
    {
      fmsg_reply_error (a.sock, &err);
      _exit (1);
    }
  fmsg_reply_ok (a.sock);
  for (;;)
    {
      struct fmsg m;
      int fd = -1, r = fmsg_recv (a.sock, &m, &fd, &err);

      if (r <= 0)
        break;
      if (serve_one (&a, &m, fd, &err) < 0)
        fmsg_reply_error (a.sock, &err);
      if (fd >= 0)
        close (fd);
    }
  rx_stop (&a);
  _exit (0);
}
