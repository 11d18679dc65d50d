#include "runtime/rootfs.h"
#include "runtime/files/shift.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int
sys_pivot_root (const char *new_root, const char *put_old)
{
  return (int) syscall (SYS_pivot_root, new_root, put_old);
}

/* ---- monitor side ------------------------------------------------------ */

/* fsconfig(2) takes string values of at most 255 bytes (longer ones are
 * EINVAL).  */
#define FSCONFIG_STRING_MAX 255

/* overlayfs' lowerdir: one path, or several (top first) joined with `:`,
 * none with a `,` (or empty).  The joined string when it fits in
 * fsconfig's 255 bytes (every kernel takes it); past that, one layer at a
 * time with `lowerdir+` (Linux 6.8; 6.5 to 6.7 refuse it at once, older
 * kernels only when the overlay is created: *ONE_BY_ONE says it was used,
 * for that error to say why).  */
static int
overlay_lowers (int fs, const char *lowerdir, bool *one_by_one, mc_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *layer, *save = NULL;

  *one_by_one = false;
  if (strchr (lowerdir, ',') != NULL || *lowerdir == '\0' || *lowerdir == ':'
      || lowerdir[strlen (lowerdir) - 1] == ':' || strstr (lowerdir, "::") != NULL)
    return mc_make_error (err, 0, "overlay lowerdir `%s`: paths with `:` or `,` are not supported", lowerdir);
  if (strlen (lowerdir) <= FSCONFIG_STRING_MAX || strchr (lowerdir, ':') == NULL)
    {
      if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir", lowerdir, 0) < 0)
        return mc_make_error (err, errno, "overlay lowerdir `%s`", lowerdir);
      return 0;
    }
  *one_by_one = true;
  copy = xstrdup (lowerdir);
  for (layer = strtok_r (copy, ":", &save); layer; layer = strtok_r (NULL, ":", &save))
    if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir+", layer, 0) < 0)
      return mc_make_error (err, errno, "overlay lowerdir+ `%s`%s", layer,
                            errno == EINVAL ? " (the layers' paths are longer than fsconfig takes at once, and this "
                                              "kernel takes no lowerdir+: Linux 6.8 does)"
                                            : "");
  return 0;
}

/* Kernels or filesystems without idmapped mounts answer EINVAL (the
 * filesystem lacks FS_ALLOW_IDMAP), ENOSYS (before 5.12) or EPERM.  */
static bool
idmap_unsupported_status (int st)
{
  return st == EINVAL || st == ENOSYS || st == EPERM || st == EOPNOTSUPP;
}

static bool
idmap_unsupported (mc_error_t *err)
{
  return idmap_unsupported_status (*err ? (*err)->status : 0);
}

/* Clone the image rootfs as a detached mount, idmap it to the container's
 * user namespace and attach it at CDIR/lower, in the monitor's private
 * mount namespace only (overlayfs takes layers by path).  */
static int
attach_idmapped_lower (const struct mc_rootfs_spec *spec, const char *source, const char *lower,
                       mc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (__u64) spec->userns_fd };
  cleanup_close int tree = mc_sys_open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

  if (tree < 0)
    return mc_make_error (err, errno, "open_tree `%s`", source);
  if (mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return mc_make_error (err, errno, "idmap `%s` (the filesystem must support idmapped mounts)", source);
  if (mc_sys_move_mount (tree, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return mc_make_error (err, errno, "attach the idmapped rootfs on `%s`", lower);
  return 0;
}

/* Where the idmapped clone of layer I (0: the top) is attached: CDIR/lower,
 * then CDIR/lower.1, ... (made when missing).  */
static char *
lower_point (const struct mc_rootfs_spec *spec, size_t i, mc_error_t *err)
{
  char *p = i == 0 ? xasprintf ("%s/lower", spec->cdir) : xasprintf ("%s/lower.%zu", spec->cdir, i);

  if (i > 0 && mkdir (p, 0700) < 0 && errno != EEXIST)
    {
      mc_make_error (err, errno, "mkdir `%s`", p);
      free (p);
      return NULL;
    }
  return p;
}

/* Detach the attach points of LOWERDIR (idmapped_layers').  */
static void
detach_layers (const char *lowerdir)
{
  cleanup_free char *copy = xstrdup (lowerdir);
  char *point, *save = NULL;

  for (point = strtok_r (copy, ":", &save); point; point = strtok_r (NULL, ":", &save))
    umount2 (point, MNT_DETACH);
}

/* The shifted copy of image layer (or rootfs) PATH: PATH's directory
 * holds it, beside PATH.  */
static char *
shifted_copy (const struct mc_rootfs_spec *spec, const char *path, mc_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');

  if (slash == NULL)
    return mc_make_error (err, 0, "`%s`: not a path in the store", path), NULL;
  *slash = '\0';
  return mc_shifted_tree (dir, slash + 1, spec->idmap_base, spec->idmap_size, err);
}

/* The lowerdir of IMAGE_ROOTFS's layers' shifted copies (made once per
 * layer and id map, shared).  */
static char *
shifted_layers (const struct mc_rootfs_spec *spec, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec->image_rootfs);
  char *layer, *save = NULL, *out = NULL;

  for (layer = strtok_r (copy, ":", &save); layer; layer = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *shifted = shifted_copy (spec, layer, err);
      char *more;

      if (shifted == NULL)
        {
          free (out);
          return NULL;
        }
      more = xasprintf ("%s%s%s", out ? out : "", out ? ":" : "", shifted);
      free (out);
      out = more;
    }
  return out;
}

/* An image of several layers (an OCI image: IMAGE_ROOTFS is their list,
 * top first, `:`-separated), each idmapped and attached in turn: the
 * lowerdir made of the attach points.  */
static char *
idmapped_layers (const struct mc_rootfs_spec *spec, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec->image_rootfs);
  char *layer, *save = NULL, *out = NULL;
  size_t i = 0;

  for (layer = strtok_r (copy, ":", &save); layer; layer = strtok_r (NULL, ":", &save), i++)
    {
      cleanup_free char *point = lower_point (spec, i, err);
      char *more;

      if (point == NULL || attach_idmapped_lower (spec, layer, point, err) < 0)
        {
          if (out)
            detach_layers (out);
          free (out);
          /* No idmapped mounts here: every layer's shared shifted copy.  */
          if (point && i == 0 && idmap_unsupported (err) && !spec->raw_idmap)
            {
              mc_error_release (err);
              return shifted_layers (spec, err);
            }
          if (point && idmap_unsupported (err))
            mc_error_prefix (err, spec->raw_idmap
                                      ? "raw.idmap needs idmapped image layers, and this host cannot make one"
                                      : "an image layer could not be idmapped where the first one was");
          return NULL;
        }
      more = xasprintf ("%s%s%s", out ? out : "", out ? ":" : "", point);
      free (out);
      out = more;
    }
  return out;
}

static int
overlay_config (int fs, const char *key, const char *value, mc_error_t *err)
{
  if (strpbrk (value, ":,") != NULL)
    return mc_make_error (err, 0, "overlay %s `%s`: paths with `:` or `,` are not supported", key, value);
  if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, key, value, 0) < 0)
    return mc_make_error (err, errno, "overlay %s `%s`", key, value);
  return 0;
}

/* The lower layer for an unprivileged container: the idmapped image
 * rootfs, or the shifted copy where idmapping is not available.  */
static char *
unprivileged_lower (const struct mc_rootfs_spec *spec, const char *lower, mc_error_t *err)
{
  if (strchr (spec->image_rootfs, ':') != NULL)
    return idmapped_layers (spec, err);
  if (attach_idmapped_lower (spec, spec->image_rootfs, lower, err) == 0)
    return xstrdup (lower);
  if (!idmap_unsupported (err))
    return NULL;
  if (spec->raw_idmap)
    return mc_error_prefix (err, "raw.idmap needs an idmapped image layer, and this host cannot make one"), NULL;
  mc_error_release (err);
  return shifted_copy (spec, spec->image_rootfs, err);
}

int
mc_rootfs_prepare (const struct mc_rootfs_spec *spec, mc_error_t *err)
{
  cleanup_free char *lower = xasprintf ("%s/lower", spec->cdir);
  cleanup_free char *upper = xasprintf ("%s/upper", spec->cdir);
  cleanup_free char *work = xasprintf ("%s/work", spec->cdir);
  cleanup_free char *unpriv_lower = NULL;
  cleanup_close int fs = -1;
  const char *lowerdir = spec->image_rootfs;
  bool one_by_one = false;
  int mfd;

  if (spec->userns_fd >= 0)
    {
      unpriv_lower = unprivileged_lower (spec, lower, err);
      if (unpriv_lower == NULL)
        return -1;
      lowerdir = unpriv_lower;
    }
  fs = mc_sys_fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return mc_make_error (err, errno, "fsopen overlay");
  if (overlay_lowers (fs, lowerdir, &one_by_one, err) < 0
      || overlay_config (fs, "upperdir", upper, err) < 0
      || overlay_config (fs, "workdir", work, err) < 0)
    return -1;
  if (mc_sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return mc_make_error (err, errno, "create the overlay for `%s`%s", spec->cdir,
                          one_by_one && errno == EINVAL ? " (its layers went in one by one, with lowerdir+, which "
                                                          "needs Linux 6.8: their paths are too long to go at once)"
                                                        : "");
  /* nodev: a device node that came with an image or a backup, or that a
   * privileged container made in its layer, opens nothing; the
   * container's /dev is a mount of its own.  */
  mfd = mc_sys_fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
  if (mfd < 0)
    return mc_make_error (err, errno, "fsmount the overlay for `%s`", spec->cdir);
  /* overlayfs goes read-only, with only a line in the kernel log, when
   * it cannot set up its work dir: say why instead of letting the first
   * write in the container fail with EROFS.  */
  {
    struct statvfs vfs, up;

    if (fstatvfs (mfd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
      {
        bool full = statvfs (upper, &up) == 0 && (up.f_bavail == 0 || up.f_favail == 0);

        close (mfd);
        return mc_make_error (err, full ? ENOSPC : EROFS, "the overlay for `%s` came up read-only%s", spec->cdir,
                              full ? "" : " (see the kernel log: overlayfs could not set up its work dir)");
      }
  }
  /* overlayfs holds its own clones of the layers: the idmapped lower can
   * go now.  */
  if (spec->userns_fd >= 0 && strchr (spec->image_rootfs, ':') != NULL && mc_str_has_prefix (lowerdir, lower))
    detach_layers (lowerdir);
  else if (spec->userns_fd >= 0 && strcmp (lowerdir, lower) == 0)
    umount2 (lower, MNT_DETACH);
  return mfd;
}

/* ---- child side --------------------------------------------------------- */

/* Open ROOTFD/NAME as a directory without following a symlink the image
 * may have planted there (a /dev -> /etc link must not redirect a mount
 * onto the host).  Creates it when missing.  */
static int
open_mountpoint (int rootfd, const char *name, mc_error_t *err)
{
  int fd;

  if (mkdirat (rootfd, name, 0755) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `/%s` in the container", name);
  fd = openat (rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "`/%s` in the container must be a directory", name);
  return fd;
}

/* mount(2) onto an O_PATH fd through its /proc/self/fd magic link, which
 * names exactly that dentry.  */
static int
mount_on_fd (const char *src, int fd, const char *type, unsigned long flags,
             const char *data, const char *what, mc_error_t *err)
{
  char target[64];

  snprintf (target, sizeof (target), "/proc/self/fd/%d", fd);
  if (mount (src, target, type, flags, data) < 0)
    return mc_make_error (err, errno, "mount %s", what);
  return 0;
}

static int
mount_at (int rootfd, const char *name, const char *src, const char *type,
          unsigned long flags, const char *data, mc_error_t *err)
{
  cleanup_close int fd = open_mountpoint (rootfd, name, err);

  if (fd < 0)
    return -1;
  return mount_on_fd (src, fd, type, flags, data, name, err);
}

/* What the tree builder creates, it creates as host root: hand it to
 * the container's root (O NULL or root: leave it).  */
static int
give_to (int dirfd, const char *name, const struct mc_owner *o, mc_error_t *err)
{
  if (o == NULL || (o->uid == 0 && o->gid == 0))
    return 0;
  if (fchownat (dirfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "chown `%s` in the container", name);
  return 0;
}

/* A file in the container's /dev, bind-mounted from SOURCE (a host
 * device node, or the console pty): device nodes cannot be created in a
 * user namespace, bind mounts of them can.  */
static int
bind_dev_file (int devfd, const char *name, const char *source, const struct mc_owner *o,
               mc_error_t *err)
{
  cleanup_close int fd = -1;
  int f = openat (devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);

  if (f < 0)
    return mc_make_error (err, errno, "create `/dev/%s`", name);
  close (f);
  if (give_to (devfd, name, o, err) < 0)
    return -1;
  fd = openat (devfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "open `/dev/%s`", name);
  return mount_on_fd (source, fd, NULL, MS_BIND, NULL, name, err);
}

static int
dev_links (int devfd, const struct mc_owner *o, mc_error_t *err)
{
  static const char *const links[][2] = {
    { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
    { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
  };
  size_t i;

  for (i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    if (symlinkat (links[i][1], devfd, links[i][0]) < 0)
      return mc_make_error (err, errno, "symlink `/dev/%s`", links[i][0]);
    else if (give_to (devfd, links[i][0], o, err) < 0)
      return -1;
  return 0;
}

int
mc_rootfs_setup_dev (int rootfd, const char *console_path, const struct mc_owner *o,
                     mc_error_t *err)
{
  static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
  cleanup_free char *dev_opts = xasprintf ("mode=755,size=65536k,uid=%u,gid=%u", o->uid, o->gid);
  cleanup_free char *pts_opts = xasprintf ("newinstance,ptmxmode=0666,mode=0620,gid=%u", o->gid + 5);
  cleanup_free char *shm_opts = xasprintf ("mode=1777,size=65536k,uid=%u,gid=%u", o->uid, o->gid);
  cleanup_close int devfd = -1;
  char src[64];
  size_t i;

  if (mount_at (rootfd, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC, dev_opts, err) < 0)
    return -1;
  devfd = openat (rootfd, "dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (devfd < 0)
    return mc_make_error (err, errno, "open the container's /dev");
  for (i = 0; i < sizeof (nodes) / sizeof (nodes[0]); i++)
    {
      snprintf (src, sizeof (src), "/dev/%s", nodes[i]);
      if (bind_dev_file (devfd, nodes[i], src, o, err) < 0)
        return -1;
    }
  /* By path: the pty is the monitor's, and this namespace is a copy of
   * the monitor's.  */
  /* (No console: an OCI runtime container's stdio is its creator's.)  */
  if ((console_path[0] && bind_dev_file (devfd, "console", console_path, o, err) < 0) || dev_links (devfd, o, err) < 0)
    return -1;
  /* gid=: the container's tty group (5), as the host sees it.  */
  if (mount_at (devfd, "pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, pts_opts, err) < 0)
    return -1;
  return mount_at (devfd, "shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_opts, err);
}

static int
pivot (int rootfd, mc_error_t *err)
{
  if (fchdir (rootfd) < 0)
    return mc_make_error (err, errno, "chdir to the container root");
  /* pivot_root(".", ".") stacks the old root on top of the new one;
   * detaching it leaves only the container's tree (as crun does).  */
  if (sys_pivot_root (".", ".") < 0)
    return mc_make_error (err, errno, "pivot_root");
  if (mount (NULL, ".", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return mc_make_error (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return mc_make_error (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return mc_make_error (err, errno, "chdir /");
  return 0;
}

int
mc_rootfs_mount_proc (int rootfd, mc_error_t *err)
{
  return mount_at (rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

int
mc_rootfs_mount_proc_of (int rootfd, pid_t pid, mc_error_t *err)
{
  cleanup_free char *ns = xasprintf ("/proc/%d/ns/pid", (int) pid);
  cleanup_close int fs = mc_sys_fsopen ("proc", FSOPEN_CLOEXEC);
  cleanup_close int mnt = -1, target = -1;

  if (fs < 0)
    return errno == ENOSYS ? 1 : mc_make_error (err, errno, "fsopen proc");
  /* Linux 6.18's pidns= option; before it, EINVAL: unknown option.  */
  if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, "pidns", ns, 0) < 0)
    return errno == EINVAL ? 1 : mc_make_error (err, errno, "proc pidns=%s", ns);
  if (mc_sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return mc_make_error (err, errno, "create the container's /proc");
  mnt = mc_sys_fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return mc_make_error (err, errno, "fsmount the container's /proc");
  if ((target = open_mountpoint (rootfd, "proc", err)) < 0)
    return -1;
  if (mc_sys_move_mount (mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return mc_make_error (err, errno, "mount /proc");
  return 0;
}

static int
mount_sys (int rootfd, bool cgroup2, mc_error_t *err)
{
  unsigned long common = MS_NOSUID | MS_NODEV | MS_NOEXEC;

  if (mount_at (rootfd, "sys", "sysfs", "sysfs", common | MS_RDONLY, NULL, err) < 0)
    return -1;
  if (!cgroup2)
    return 0;
  {
    cleanup_close int sysfd = openat (rootfd, "sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int cg = sysfd < 0 ? -1 : openat (sysfd, "fs/cgroup", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (cg < 0)
      return 0;
    return mount_on_fd ("cgroup2", cg, "cgroup2", common, NULL, "/sys/fs/cgroup", err);
  }
}

/* Whether the container has a cgroup2 cgroup to show at /sys/fs/cgroup:
 * on a pure cgroup2 host, and on a hybrid one (cgroup2 beside the v1
 * controllers, usually at /sys/fs/cgroup/unified, with the container in
 * it): its "0::" line.  systemd in the container needs it either way.  */
static bool
host_has_cgroup2 (void)
{
  cleanup_free char *buf = NULL;
  mc_error_t e = NULL;

  if (mc_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, &buf, NULL, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  return strncmp (buf, "0::", 3) == 0 || strstr (buf, "\n0::") != NULL;
}

int
mc_rootfs_prepare_bind (const char *root, bool readonly, mc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  int tree = mc_sys_open_tree (AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

  if (tree < 0)
    return mc_make_error (err, errno, "the bundle's root `%s`", root);
  if (readonly && mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    {
      mc_make_error (err, errno, "make the bundle's root `%s` read-only", root);
      close (tree);
      return -1;
    }
  return tree;
}

int
mc_rootfs_readonly (int rootfd, mc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (mc_sys_mount_setattr (rootfd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return mc_make_error (err, errno, "make the root read-only");
  return 0;
}

int
mc_rootfs_cgroup_readonly (int rootfd, mc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  cleanup_close int fd = openat (rootfd, "sys/fs/cgroup", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return errno == ENOENT ? 0 : mc_make_error (err, errno, "open /sys/fs/cgroup in the container");
  if (mc_sys_mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return mc_make_error (err, errno, "make /sys/fs/cgroup read-only");
  return 0;
}

int
mc_rootfs_mount_mqueue (int rootfd, const struct mc_owner *o, mc_error_t *err)
{
  cleanup_close int devfd = openat (rootfd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (devfd < 0)
    return mc_make_error (err, errno, "open the container's /dev");
  if (mkdirat (devfd, "mqueue", 0755) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir /dev/mqueue");
  if (give_to (devfd, "mqueue", o, err) < 0)
    return -1;
  return mount_at (devfd, "mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

int
mc_rootfs_attach (const char *cdir, int mount_fd, mc_error_t *err)
{
  cleanup_free char *target = xasprintf ("%s/rootfs", cdir);
  int rootfd;

  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return mc_make_error (err, errno, "make / private");
  if (mc_sys_move_mount (mount_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return mc_make_error (err, errno, "attach the root filesystem on `%s`", target);
  /* A bind of a directory on a shared mount (an OCI bundle's rootfs on a
   * systemd host, where every mount is shared) is a peer of it: what is
   * mounted in the container's tree would show in the host's, and
   * pivot_root refuses a shared new root.  */
  if (mount (NULL, target, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return mc_make_error (err, errno, "make `%s` private", target);
  rootfd = open (target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return mc_make_error (err, errno, "open `%s`", target);
  return rootfd;
}

int
mc_rootfs_mount_sys (int rootfd, bool host_cgroupns, int cgroup_dirfd, mc_error_t *err)
{
  cleanup_close int tree = -1;
  cleanup_close int target = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
  char link[64], path[PATH_MAX];
  ssize_t n;

  /* In the host's cgroup namespace with no cgroup2 directory of its own
     (a host without cgroup2): no cgroup2 mount, which would show the
     host's whole tree.  */
  if (cgroup_dirfd < 0)
    return mount_sys (rootfd, !host_cgroupns && host_has_cgroup2 (), err);
  /* The host's cgroup namespace: a cgroup2 mount would show its whole
     tree, so the container's own cgroup is bound there (as runc does).  */
  if (mount_sys (rootfd, false, err) < 0)
    return -1;
  target = openat (rootfd, "sys/fs/cgroup", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return 0;
  /* By its path: the fd was opened in the host's mount namespace, whose
     mounts cannot be cloned from here; the same path names our copy.  */
  snprintf (link, sizeof (link), "/proc/self/fd/%d", cgroup_dirfd);
  n = readlink (link, path, sizeof (path) - 1);
  if (n <= 0 || (size_t) n >= sizeof (path) - 1)
    return mc_make_error (err, n < 0 ? errno : ENAMETOOLONG, "the container's cgroup directory");
  path[n] = '\0';
  tree = mc_sys_open_tree (AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0 || mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return mc_make_error (err, errno, "bind the container's cgroup on /sys/fs/cgroup");
  if (mc_sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return mc_make_error (err, errno, "mount the container's cgroup on /sys/fs/cgroup");
  return 0;
}

int
mc_rootfs_prepare_tmpfs (char *const *options, const struct mc_owner *o, mc_error_t *err)
{
  static const struct
  {
    const char *name;
    uint64_t set, clear;
  } flags[] = {
    { "ro", MOUNT_ATTR_RDONLY, 0 },
    { "rw", 0, MOUNT_ATTR_RDONLY },
    { "noexec", MOUNT_ATTR_NOEXEC, 0 },
    { "exec", 0, MOUNT_ATTR_NOEXEC },
    { "nosuid", 0, 0 },
    { "nodev", 0, 0 },
    { "strictatime", MOUNT_ATTR_STRICTATIME, 0 },
    { "relatime", MOUNT_ATTR_RELATIME, 0 },
    { "noatime", MOUNT_ATTR_NOATIME, 0 },
  };
  cleanup_close int fs = mc_sys_fsopen ("tmpfs", FSOPEN_CLOEXEC);
  char owner[32];
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  char *const *opt;
  size_t i;
  int mnt;

  if (fs < 0)
    return mc_make_error (err, errno, "fsopen tmpfs");
  for (opt = options; opt && *opt; opt++)
    {
      const char *eq = strchr (*opt, '=');

      for (i = 0; i < sizeof (flags) / sizeof (flags[0]) && strcmp (*opt, flags[i].name) != 0; i++)
        ;
      if (i < sizeof (flags) / sizeof (flags[0]))
        {
          /* One atime mode: the last given.  */
          if (flags[i].set & (MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME | MOUNT_ATTR_NOATIME))
            attrs &= ~(uint64_t) (MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME | MOUNT_ATTR_NOATIME);
          attrs = (attrs | flags[i].set) & ~flags[i].clear;
          continue;
        }
      if (eq == NULL)
        return mc_make_error (err, EINVAL, "tmpfs option `%s`", *opt);
      {
        cleanup_free char *key = xstrndup (*opt, (size_t) (eq - *opt));

        if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, key, eq + 1, 0) < 0)
          return mc_make_error (err, errno, "tmpfs option `%s`", *opt);
      }
    }
  /* Its root, the container's root's.  */
  snprintf (owner, sizeof (owner), "%u", (unsigned) o->uid);
  if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, "uid", owner, 0) < 0)
    return mc_make_error (err, errno, "tmpfs uid=%s", owner);
  snprintf (owner, sizeof (owner), "%u", (unsigned) o->gid);
  if (mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, "gid", owner, 0) < 0)
    return mc_make_error (err, errno, "tmpfs gid=%s", owner);
  if (mc_sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return mc_make_error (err, errno, "create a tmpfs");
  mnt = mc_sys_fsmount (fs, FSMOUNT_CLOEXEC, (unsigned int) attrs);
  if (mnt < 0)
    return mc_make_error (err, errno, "fsmount a tmpfs");
  return mnt;
}

int
mc_rootfs_pivot (int rootfd, mc_error_t *err)
{
  return pivot (rootfd, err);
}

/* ---- disk devices -------------------------------------------------------- */

int
mc_rootfs_prepare_disk (const char *source, bool readonly, bool shift, bool device, int userns_fd,
                        mc_error_t *err)
{
  /* Always nosuid and nodev (LXD's choice: a setuid file or a device node
   * container root made in a shared directory must not work on the host
   * side, nor a host one inside); read-only, when asked, for every
   * submount too.  A unix-char/block device's node is the one exception
   * to nodev: minictr made it, and it is no directory.  */
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | (device ? 0 : MOUNT_ATTR_NODEV)
                                         | (readonly ? MOUNT_ATTR_RDONLY : 0),
                             .attr_clr = device ? MOUNT_ATTR_NODEV : 0 };
  struct mount_attr idmap = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (__u64) userns_fd };
  int tree = mc_sys_open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

  if (tree < 0)
    return mc_make_error (err, errno, "disk source `%s`", source);
  if (mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    {
      mc_make_error (err, errno, "make disk source `%s` nosuid,nodev%s", source,
                     readonly ? ",ro" : "");
      close (tree);
      return -1;
    }
  /* The id shift applies to the source's own mount only: a submount of
   * another filesystem may not support idmapping.  */
  if (shift && userns_fd >= 0
      && mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH, &idmap, sizeof (idmap)) < 0)
    {
      mc_make_error (err, errno, "idmap disk source `%s`", source);
      close (tree);
      return -1;
    }
  return tree;
}

int
mc_rootfs_prepare_bind_mount (const char *source, bool recursive, bool readonly, bool noexec, mc_error_t *err)
{
  /* nosuid and nodev always, as for disk devices.  */
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readonly ? MOUNT_ATTR_RDONLY : 0)
                                         | (noexec ? MOUNT_ATTR_NOEXEC : 0) };
  int tree = mc_sys_open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));

  if (tree < 0)
    return mc_make_error (err, errno, "bind mount source `%s`", source);
  if (mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof (attr)) < 0)
    {
      mc_make_error (err, errno, "bind mount source `%s`: set its flags", source);
      close (tree);
      return -1;
    }
  return tree;
}

/* Open PATH below ROOTFD as the container sees it (symlinks resolved
 * inside the root, never out of it), creating what is missing: parents as
 * directories, the last component as a directory or, for a file source,
 * an empty file.  */
static int
open_in_root (int rootfd, const char *path, bool dir, const struct mc_owner *o, mc_error_t *err)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_free char *buf = xstrdup (path);
  char *p = buf;

  for (;;)
    {
      char *slash = strchr (p + 1, '/');
      bool last = slash == NULL;
      int fd;

      if (!last)
        *slash = '\0';
      fd = mc_sys_openat2 (rootfd, buf, &how, sizeof (how));
      if (fd < 0 && errno == ENOENT)
        {
          cleanup_free char *parent = xstrdup (buf);
          char *cut = strrchr (parent, '/');
          cleanup_close int pfd = -1;
          int r;

          *cut = '\0';
          pfd = mc_sys_openat2 (rootfd, *parent ? parent : "/", &how, sizeof (how));
          if (pfd < 0)
            return mc_make_error (err, errno, "open `%s` in the container", *parent ? parent : "/");
          if (!last || dir)
            r = mkdirat (pfd, cut + 1, 0755);
          else
            {
              r = openat (pfd, cut + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
              if (r >= 0)
                r = close (r);
            }
          if (r < 0 && errno != EEXIST)
            return mc_make_error (err, errno, "create `%s` in the container", buf);
          if (r == 0 && give_to (pfd, cut + 1, o, err) < 0)
            return -1;
          fd = mc_sys_openat2 (rootfd, buf, &how, sizeof (how));
        }
      if (fd < 0)
        return mc_make_error (err, errno, "open `%s` in the container", buf);
      if (last)
        return fd;
      close (fd);
      *slash = '/';
      p = slash;
    }
}

int
mc_rootfs_mount_disk (int rootfd, const char *path, int mfd, const struct mc_owner *o,
                      mc_error_t *err)
{
  struct stat st;
  cleanup_close int target = -1;

  if (fstat (mfd, &st) < 0)
    return mc_make_error (err, errno, "stat the disk mount for `%s`", path);
  if ((target = open_in_root (rootfd, path, S_ISDIR (st.st_mode), o, err)) < 0)
    return -1;
  if (mc_sys_move_mount (mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return mc_make_error (err, errno, "mount a disk on `%s`", path);
  return 0;
}

int
mc_rootfs_write_file (int rootfd, const char *path, const char *content, bool create_only,
                      mc_error_t *err)
{
  struct open_how how = { .flags = O_WRONLY | O_CREAT | O_CLOEXEC | (create_only ? O_EXCL : O_TRUNC),
                          .mode = 0644, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_free char *parent = xstrdup (path);
  cleanup_close int pfd = -1, fd = -1;
  char *cut = strrchr (parent, '/');
  size_t len = strlen (content);

  if (path[0] != '/' || cut == NULL || cut[1] == '\0')
    return mc_make_error (err, 0, "`%s`: not an absolute file path", path);
  *cut = '\0';
  if (*parent && (pfd = open_in_root (rootfd, parent, true, NULL, err)) < 0)
    return -1;
  fd = mc_sys_openat2 (rootfd, path, &how, sizeof (how));
  if (fd < 0 && errno == EEXIST && create_only)
    return 0;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s` in the container", path);
  if (mc_write_all (fd, content, len) < 0)
    return mc_make_error (err, errno, "write `%s` in the container", path);
  return 0;
}
