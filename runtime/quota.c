#include "runtime/quota.h"
#include "runtime/config/device-config.h"
#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dqblk_xfs.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/quota.h>
#include <sys/stat.h>

/* As deep as a layer may be nested for the walk that charges it (the
 * shifted-copy walker's bound, runtime/files/shift.c).  */
#define MAX_DEPTH 512

static int
enforced (int fd, const char *path, mc_error_t *err)
{
  struct fs_quota_statv st;

  memset (&st, 0, sizeof (st));
  st.qs_version = FS_QSTATV_VERSION1;
  if (mc_sys_quotactl_fd (fd, QCMD (Q_XGETQSTATV, PRJQUOTA), 0, &st) == 0 && (st.qs_flags & FS_QUOTA_PDQ_ENFD))
    return 0;
  return mc_make_error (err, 0, "root disk size: the filesystem of `%s` enforces no project quota (ext4 or xfs "
                        "mounted with prjquota can; or unset the size)", path);
}

/* Put the inode open at FD in project ID (a directory: its new entries
 * too).  */
static int
set_project (int fd, uint32_t id, bool dir, const char *path, mc_error_t *err)
{
  struct fsxattr fsx;

  if (ioctl (fd, FS_IOC_FSGETXATTR, &fsx) < 0)
    return mc_make_error (err, errno, "read the project of `%s`", path);
  if (fsx.fsx_projid == id && (!dir || (fsx.fsx_xflags & FS_XFLAG_PROJINHERIT)))
    return 0;
  fsx.fsx_projid = id;
  if (dir)
    fsx.fsx_xflags |= FS_XFLAG_PROJINHERIT;
  if (ioctl (fd, FS_IOC_FSSETXATTR, &fsx) < 0)
    return mc_make_error (err, errno, "set the project of `%s`", path);
  return 0;
}

/* Charge the tree at DFD (a directory) to project ID.  The container may
 * be running and its root is not trusted: every step is relative to an
 * open directory, never follows a symlink, and what vanishes or changes
 * type meanwhile is skipped.  Only directories and regular files are
 * opened (never a device node, a FIFO or a socket).  */
static int
charge_dir (int dfd, uint32_t id, const char *path, int depth, mc_error_t *err)
{
  struct dirent *de;
  DIR *d;
  int ret = 0, fd;

  if (depth > MAX_DEPTH)
    return mc_make_error (err, 0, "`%s`: nested deeper than %d levels", path, MAX_DEPTH);
  if (set_project (dfd, id, true, path, err) < 0)
    return -1;
  fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      ret = mc_make_error (err, errno, "read `%s`", path);
      if (fd >= 0)
        close (fd);
      return ret;
    }
  while (ret == 0 && (errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_close int cfd = -1;
      cleanup_free char *sub = NULL;
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0
          || !(S_ISDIR (st.st_mode) || S_ISREG (st.st_mode)))
        continue;
      cfd = openat (dfd, de->d_name,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
                        | (S_ISDIR (st.st_mode) ? O_DIRECTORY : 0));
      if (cfd < 0 || fstat (cfd, &st) < 0)
        continue;
      sub = xasprintf ("%s/%s", path, de->d_name);
      if (S_ISDIR (st.st_mode))
        ret = charge_dir (cfd, id, sub, depth + 1, err);
      else if (S_ISREG (st.st_mode))
        ret = set_project (cfd, id, false, sub, err);
    }
  if (ret == 0 && errno)
    ret = mc_make_error (err, errno, "read `%s`", path);
  closedir (d);
  return ret;
}

static int
open_layer (int cdir, const char *cpath, const char *which, char **path, mc_error_t *err)
{
  int fd;

  *path = xasprintf ("%s/%s", cpath, which);
  fd = openat (cdir, which, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", *path);
  return fd;
}

/* The project of NAME's layer: the upper directory's inode number.  */
static int
layer_project (int upper, const char *path, uint32_t *id, mc_error_t *err)
{
  struct stat st;

  if (fstat (upper, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  if (st.st_ino == 0 || st.st_ino >= UINT32_MAX)
    return mc_make_error (err, 0, "root disk size: `%s` has an inode number above 32 bits (no project id "
                          "can follow it)", path);
  *id = (uint32_t) st.st_ino;
  return 0;
}

static int
set_limit (int fd, uint32_t id, uint64_t bytes, const char *path, mc_error_t *err)
{
  struct dqblk dq;

  memset (&dq, 0, sizeof (dq));
  /* In blocks of 1 KiB, rounded up.  */
  dq.dqb_bhardlimit = (bytes + 1023) / 1024;
  dq.dqb_valid = QIF_BLIMITS;
  if (mc_sys_quotactl_fd (fd, QCMD (Q_SETQUOTA, PRJQUOTA), (int) id, &dq) < 0)
    {
      /* Lifting a cap where quotas are off (the filesystem was mounted
         again without them) has nothing to do.  */
      if (bytes == 0 && (errno == ESRCH || errno == ENOSYS || errno == EOPNOTSUPP))
        return 0;
      return mc_make_error (err, errno, "set the project quota of `%s`", path);
    }
  return 0;
}

int
mc_root_quota_apply_at (int cdir, const char *cpath, json_t *devices, mc_error_t *err)
{
  cleanup_free char *upath = NULL, *wpath = NULL;
  cleanup_close int upper = -1, work = -1;
  const char *size = NULL;
  struct fsxattr fsx;
  json_t *root;
  uint64_t bytes;
  uint32_t id;

  if (mc_devices_root (devices, &root, NULL, err) < 0)
    return -1;
  if (root)
    size = json_string_value (json_object_get (root, "size"));
  if (size == NULL || *size == '\0')
    {
      /* No size: lift the cap this layer got before, if any.  */
      upper = openat (cdir, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (upper < 0 || ioctl (upper, FS_IOC_FSGETXATTR, &fsx) < 0)
        return 0;
      upath = xasprintf ("%s/upper", cpath);
      if (layer_project (upper, upath, &id, err) < 0)
        return -1;
      return fsx.fsx_projid == id ? set_limit (upper, id, 0, upath, err) : 0;
    }
  if ((upper = open_layer (cdir, cpath, "upper", &upath, err)) < 0
      || layer_project (upper, upath, &id, err) < 0)
    return -1;
  if (mc_parse_size (size, &bytes, err) < 0)
    return mc_error_prefix (err, "root disk size");
  if (enforced (upper, upath, err) < 0)
    return -1;
  /* Charged once per layer: then new files inherit the project.  The work
   * directory too, or overlayfs could not rename a copied-up file into
   * the layer (EXDEV across projects).  */
  if (ioctl (upper, FS_IOC_FSGETXATTR, &fsx) < 0)
    return mc_make_error (err, errno, "read the project of `%s`", upath);
  if ((fsx.fsx_projid != id || !(fsx.fsx_xflags & FS_XFLAG_PROJINHERIT))
      && charge_dir (upper, id, upath, 0, err) < 0)
    return mc_error_prefix (err, "root disk size");
  if ((work = open_layer (cdir, cpath, "work", &wpath, err)) < 0 || charge_dir (work, id, wpath, 0, err) < 0)
    return -1;
  return set_limit (upper, id, bytes, upath, err);
}

static int
open_container (struct mc_store *s, const char *name, char **cpath, mc_error_t *err)
{
  int fd;

  *cpath = xasprintf ("%s/containers/%s", s->root, name);
  fd = open (*cpath, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", *cpath);
  return fd;
}

int
mc_root_quota_apply (struct mc_store *s, const char *name, json_t *devices, mc_error_t *err)
{
  cleanup_free char *cpath = NULL;
  cleanup_close int cdir = open_container (s, name, &cpath, err);

  return cdir < 0 ? -1 : mc_root_quota_apply_at (cdir, cpath, devices, err);
}

int
mc_root_quota_usage (struct mc_store *s, const char *name, uint64_t *used, uint64_t *limit, mc_error_t *err)
{
  cleanup_free char *upath = NULL, *cpath = NULL;
  cleanup_close int cdir = open_container (s, name, &cpath, err);
  cleanup_close int upper = -1;
  struct fsxattr fsx;
  struct dqblk dq;
  uint32_t id;

  *used = *limit = 0;
  if (cdir < 0 || (upper = open_layer (cdir, cpath, "upper", &upath, err)) < 0
      || layer_project (upper, upath, &id, err) < 0)
    return -1;
  if (ioctl (upper, FS_IOC_FSGETXATTR, &fsx) < 0 || fsx.fsx_projid != id)
    return 1;
  memset (&dq, 0, sizeof (dq));
  if (mc_sys_quotactl_fd (upper, QCMD (Q_GETQUOTA, PRJQUOTA), (int) id, &dq) < 0)
    return errno == ESRCH || errno == ENOSYS ? 1 : mc_make_error (err, errno, "read the project quota of `%s`",
                                                                   upath);
  *used = dq.dqb_curspace;
  *limit = dq.dqb_bhardlimit * 1024;
  return *limit ? 0 : 1;
}
