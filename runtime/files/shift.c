#include "runtime/files/shift.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_DEPTH 512

struct link_seen
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct shift
{
  /* A source id is FROM's host id of a container id (NULL: it is the
   * container id itself), which becomes TO's host id of it (NULL: stays
   * the container id).  Both NULL: a plain copy.  */
  const struct mc_idmap_set *from, *to;
  int dst_top;
  struct link_seen *links;
  size_t nlinks;
};

static uint32_t
shifted (const struct shift *sh, uint32_t id, bool gid)
{
  uint32_t ns = id, host;

  /* Ids outside the maps would be unmapped inside: nobody, as LXD does. */
  if (sh->from && !mc_idmap_to_ns (gid ? &sh->from->gid : &sh->from->uid, id, &ns))
    ns = 65534;
  if (sh->to == NULL)
    return ns;
  if (mc_idmap_to_host (gid ? &sh->to->gid : &sh->to->uid, ns, &host)
      || mc_idmap_to_host (gid ? &sh->to->gid : &sh->to->uid, 65534, &host))
    return host;
  return 65534;
}

/* Copy [OFF, END) at the same offsets.  */
static int
copy_range (int in, int out, off_t off, off_t end, const char *path, mc_error_t *err)
{
  char buf[65536];
  loff_t a = off, b = off;
  ssize_t n;

  while (a < end)
    {
      n = copy_file_range (in, &a, out, &b, (size_t) (end - a), 0);
      if (n > 0)
        continue;
      if (n == 0)
        return mc_make_error (err, 0, "copy `%s`: file shrank", path);
      if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
        return mc_make_error (err, errno, "copy `%s`", path);
      break;
    }
  while (a < end)
    {
      n = pread (in, buf, (size_t) (end - a) < sizeof (buf) ? (size_t) (end - a) : sizeof (buf), a);
      if (n <= 0)
        return mc_make_error (err, n < 0 ? errno : 0, "read `%s`", path);
      if (pwrite (out, buf, (size_t) n, a) != n)
        return mc_make_error (err, errno, "write `%s`", path);
      a += n;
    }
  return 0;
}

/* Data segments only, so holes stay holes (SEEK_DATA/SEEK_HOLE); the
 * size is set last.  copy_file_range reflinks where the filesystem can. */
static int
copy_data (int in, int out, const char *path, mc_error_t *err)
{
  struct stat st;
  off_t off = 0, data, hole;

  if (fstat (in, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  while (off < st.st_size)
    {
      data = lseek (in, off, SEEK_DATA);
      if (data < 0 && errno == ENXIO)
        break;
      if (data < 0)
        {
          data = off; /* no SEEK_DATA here: all of it is data */
          hole = st.st_size;
        }
      else if ((hole = lseek (in, data, SEEK_HOLE)) < 0)
        hole = st.st_size;
      if (hole > st.st_size)
        hole = st.st_size;
      if (copy_range (in, out, data, hole, path, err) < 0)
        return -1;
      off = hole;
    }
  if (ftruncate (out, st.st_size) < 0)
    return mc_make_error (err, errno, "truncate `%s`", path);
  return 0;
}

static int
copy_xattrs (int in, int out, const char *path, mc_error_t *err)
{
  char names[65536], value[65536];
  ssize_t len = flistxattr (in, names, sizeof (names)), v;
  char *n;

  if (len < 0)
    return (errno == ENOTSUP) ? 0 : mc_make_error (err, errno, "list xattrs of `%s`", path);
  for (n = names; n < names + len; n += strlen (n) + 1)
    {
      v = fgetxattr (in, n, value, sizeof (value));
      if (v < 0 || fsetxattr (out, n, value, (size_t) v, 0) < 0)
        return mc_make_error (err, errno, "copy xattr `%s` of `%s`", n, path);
    }
  return 0;
}

static int
copy_regular (int src, int dst, const char *name, const char *path, mc_error_t *err)
{
  cleanup_close int in = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;

  if (in < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  out = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return mc_make_error (err, errno, "create `%s`", path);
  if (copy_data (in, out, path, err) < 0)
    return -1;
  return copy_xattrs (in, out, path, err);
}

/* A second name of an inode already copied becomes a hard link to it.  */
static const char *
seen_link (struct shift *sh, const struct stat *st, const char *path)
{
  size_t i;

  for (i = 0; i < sh->nlinks; i++)
    if (sh->links[i].dev == st->st_dev && sh->links[i].ino == st->st_ino)
      return sh->links[i].path;
  sh->links = xrealloc (sh->links, sizeof (*sh->links) * (sh->nlinks + 1));
  sh->links[sh->nlinks].dev = st->st_dev;
  sh->links[sh->nlinks].ino = st->st_ino;
  sh->links[sh->nlinks++].path = xstrdup (path);
  return NULL;
}

static int copy_dir (struct shift *sh, int src, int dst, const char *path, int depth,
                     mc_error_t *err);

static int
copy_one (struct shift *sh, int src, int dst, const char *name, const char *path,
          const struct stat *st, int depth, mc_error_t *err)
{
  char target[4096];
  ssize_t n;

  if (S_ISDIR (st->st_mode))
    {
      cleanup_close int s = -1, d = -1;

      if (mkdirat (dst, name, 0700) < 0)
        return mc_make_error (err, errno, "mkdir `%s`", path);
      s = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      d = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return mc_make_error (err, errno, "open `%s`", path);
      if (copy_dir (sh, s, d, path, depth + 1, err) < 0)
        return -1;
      return copy_xattrs (s, d, path, err);
    }
  if (S_ISREG (st->st_mode))
    return copy_regular (src, dst, name, path, err);
  if (S_ISLNK (st->st_mode))
    {
      n = readlinkat (src, name, target, sizeof (target) - 1);
      if (n < 0)
        return mc_make_error (err, errno, "readlink `%s`", path);
      target[n] = '\0';
      return symlinkat (target, dst, name) < 0 ? mc_make_error (err, errno, "symlink `%s`", path) : 0;
    }
  if (mknodat (dst, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0)
    return mc_make_error (err, errno, "mknod `%s`", path);
  return 0;
}

/* Owner first (chown clears setuid bits), then mode, then times.  */
static int
set_attrs (struct shift *sh, int dst, const char *name, const char *path,
           const struct stat *st, mc_error_t *err)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };

  if (fchownat (dst, name, shifted (sh, st->st_uid, false), shifted (sh, st->st_gid, true), AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "chown `%s`", path);
  if (!S_ISLNK (st->st_mode) && fchmodat (dst, name, st->st_mode & 07777, 0) < 0)
    return mc_make_error (err, errno, "chmod `%s`", path);
  if (utimensat (dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "set times of `%s`", path);
  return 0;
}

static int
copy_entry (struct shift *sh, int src, int dst, const char *name, const char *dirpath,
            int depth, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s%s%s", dirpath, *dirpath ? "/" : "", name);
  const char *first;
  struct stat st;

  if (fstatat (src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  if (!S_ISDIR (st.st_mode) && st.st_nlink > 1 && (first = seen_link (sh, &st, path)) != NULL)
    return linkat (sh->dst_top, first, dst, name, 0) < 0 ? mc_make_error (err, errno, "link `%s`", path) : 0;
  if (copy_one (sh, src, dst, name, path, &st, depth, err) < 0)
    return -1;
  return set_attrs (sh, dst, name, path, &st, err);
}

static int
copy_dir (struct shift *sh, int src, int dst, const char *path, int depth, mc_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (depth > MAX_DEPTH)
    return mc_make_error (err, 0, "`%s`: nested deeper than %d levels", path, MAX_DEPTH);
  d = mc_opendir_at (src, ".");
  if (d == NULL)
    return mc_make_error (err, errno, "opendir `%s`", path);
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (copy_entry (sh, src, dst, de->d_name, path, depth, err) < 0)
        return -1;
    }
  return 0;
}

static int
build_copy (int imgfd, const char *tree, const char *tmp, uint32_t base, uint32_t size, mc_error_t *err)
{
  struct mc_idmap_set to;
  struct shift sh = { .from = NULL, .to = &to, .dst_top = -1 };
  cleanup_close int src = openat (imgfd, tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  size_t i;
  int ret;

  mc_idmap_set_init (&to, base, size);
  if (src < 0 || fstat (src, &st) < 0)
    return mc_make_error (err, errno, "open the image's `%s`", tree);
  if (mkdirat (imgfd, tmp, 0700) < 0)
    return mc_make_error (err, errno, "mkdir `%s`", tmp);
  sh.dst_top = openat (imgfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sh.dst_top < 0)
    return mc_make_error (err, errno, "open `%s`", tmp);
  ret = copy_dir (&sh, src, sh.dst_top, "", 0, err);
  if (ret == 0)
    ret = set_attrs (&sh, imgfd, tmp, tmp, &st, err);
  for (i = 0; i < sh.nlinks; i++)
    free (sh.links[i].path);
  free (sh.links);
  close (sh.dst_top);
  return ret;
}

char *
mc_shifted_tree (const char *image_dir, const char *tree, uint32_t base, uint32_t size, mc_error_t *err)
{
  cleanup_close int imgfd = open (image_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int lock = -1;
  cleanup_free char *name = xasprintf ("shifted-%u-%u", base, size);
  cleanup_free char *tmp = xasprintf (".tmp-%s-%d", name, (int) getpid ());
  mc_error_t e2 = NULL;

  if (imgfd < 0)
    return mc_make_error (err, errno, "open `%s`", image_dir), NULL;
  lock = mc_lock_at (imgfd, ".shift.lock", true, false, err);
  if (lock < 0)
    return NULL;
  if (faccessat (imgfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return xasprintf ("%s/%s", image_dir, name);
  (void) mc_rm_rf_at (imgfd, tmp, &e2);
  mc_error_release (&e2);
  if (build_copy (imgfd, tree, tmp, base, size, err) < 0 || renameat (imgfd, tmp, imgfd, name) < 0)
    {
      if (*err == NULL)
        mc_make_error (err, errno, "rename `%s`", tmp);
      (void) mc_rm_rf_at (imgfd, tmp, &e2);
      mc_error_release (&e2);
      return NULL;
    }
  return xasprintf ("%s/%s", image_dir, name);
}

/* A new tree beside the old one, then an atomic exchange: a crash leaves
 * either tree whole, and the caller can tell which from the owner of the
 * top directory.  */
int
mc_layer_idmap_get (int dirfd, const char *name, struct mc_layer_ids *ids, mc_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  char buf[MC_LAYER_IDS_MAX + 1], *nl;
  unsigned long b, n;
  ssize_t len;
  char end;

  ids->raw = NULL;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", name);
  len = fgetxattr (fd, MC_LAYER_IDMAP_XATTR, buf, sizeof (buf) - 1);
  if (len < 0 && errno == ENODATA)
    return 0;
  if (len < 0)
    return mc_make_error (err, errno, "read the id record of `%s`", name);
  buf[len] = '\0';
  /* "BASE SIZE", then raw.idmap's entries on lines of their own.  */
  nl = strchr (buf, '\n');
  if (nl)
    *nl = '\0';
  if (sscanf (buf, "%lu %lu%c", &b, &n, &end) != 2 || b > UINT32_MAX || n == 0 || n > UINT32_MAX)
    return mc_make_error (err, 0, "`%s`: bad id record `%s`", name, buf);
  ids->base = (uint32_t) b;
  ids->size = (uint32_t) n;
  ids->raw = xstrdup (nl ? nl + 1 : "");
  return 1;
}

int
mc_layer_idmap_set (int dirfd, const char *name, const struct mc_layer_ids *ids, mc_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  const char *raw = ids->raw ? ids->raw : "";
  cleanup_free char *buf = xasprintf ("%u %u%s%s", ids->base, ids->size, *raw ? "\n" : "", raw);

  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", name);
  if (strlen (buf) > MC_LAYER_IDS_MAX)
    return mc_make_error (err, 0, "record the ids of `%s`: raw.idmap too long", name);
  if (fsetxattr (fd, MC_LAYER_IDMAP_XATTR, buf, strlen (buf), 0) < 0)
    return mc_make_error (err, errno, "record the ids of `%s`", name);
  return 0;
}

/* IDS as a map; a privileged layer's (0, UINT32_MAX) is the identity.  */
static int
ids_set (const struct mc_layer_ids *ids, struct mc_idmap_set *set, mc_error_t *err)
{
  if (ids->base == 0)
    {
      mc_idmap_set_init (set, 0, UINT32_MAX);
      return 0;
    }
  return mc_idmap_set_build (set, ids->base, ids->size, ids->raw, NULL, err);
}

int
mc_shift_tree (int dirfd, const char *name, const struct mc_layer_ids *from, const struct mc_layer_ids *to,
               mc_error_t *err)
{
  struct mc_idmap_set from_set, to_set;
  struct shift sh = { .from = &from_set, .to = &to_set, .dst_top = -1 };
  cleanup_free char *tmp = xasprintf (".tmp-shift-%s", name);
  cleanup_close int src = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  mc_error_t e2 = NULL;
  struct stat st;
  size_t i;
  int ret;

  if (ids_set (from, &from_set, err) < 0 || ids_set (to, &to_set, err) < 0)
    return -1;
  if (src < 0 || fstat (src, &st) < 0)
    return mc_make_error (err, errno, "open `%s`", name);
  (void) mc_rm_rf_at (dirfd, tmp, &e2);
  mc_error_release (&e2);
  if (mkdirat (dirfd, tmp, 0700) < 0)
    return mc_make_error (err, errno, "mkdir `%s`", tmp);
  sh.dst_top = openat (dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sh.dst_top < 0)
    ret = mc_make_error (err, errno, "open `%s`", tmp);
  else
    ret = copy_dir (&sh, src, sh.dst_top, "", 0, err);
  if (ret == 0)
    ret = set_attrs (&sh, dirfd, tmp, tmp, &st, err);
  if (ret == 0)
    ret = mc_layer_idmap_set (dirfd, tmp, to, err);
  if (ret == 0 && renameat2 (dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0)
    ret = mc_make_error (err, errno, "exchange `%s` with its shifted copy", name);
  for (i = 0; i < sh.nlinks; i++)
    free (sh.links[i].path);
  free (sh.links);
  if (sh.dst_top >= 0)
    close (sh.dst_top);
  /* Now the old tree (or, on failure, the partial copy).  */
  (void) mc_rm_rf_at (dirfd, tmp, &e2);
  mc_error_release (&e2);
  return ret;
}

int
mc_copy_tree (int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name,
              mc_error_t *err)
{
  struct shift sh = { .from = NULL, .to = NULL, .dst_top = -1 };
  cleanup_close int src = openat (src_dirfd, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  mc_error_t e2 = NULL;
  struct stat st;
  size_t i;
  int ret;

  if (src < 0 || fstat (src, &st) < 0)
    return mc_make_error (err, errno, "open `%s`", src_name);
  if (mkdirat (dst_dirfd, dst_name, 0700) < 0)
    return mc_make_error (err, errno, "mkdir `%s`", dst_name);
  sh.dst_top = openat (dst_dirfd, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sh.dst_top < 0)
    ret = mc_make_error (err, errno, "open `%s`", dst_name);
  else
    ret = copy_dir (&sh, src, sh.dst_top, "", 0, err);
  if (ret == 0)
    ret = copy_xattrs (src, sh.dst_top, dst_name, err);
  if (ret == 0)
    ret = set_attrs (&sh, dst_dirfd, dst_name, dst_name, &st, err);
  for (i = 0; i < sh.nlinks; i++)
    free (sh.links[i].path);
  free (sh.links);
  if (sh.dst_top >= 0)
    close (sh.dst_top);
  if (ret < 0)
    {
      (void) mc_rm_rf_at (dst_dirfd, dst_name, &e2);
      mc_error_release (&e2);
    }
  return ret;
}
