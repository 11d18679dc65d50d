#include "images/archive.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SOURCE_BUFSIZE (1 << 20)

int
mc_source_init (struct mc_source *s, int fd, const char *name,
                struct mc_sha256 *hash, int copy_fd, mc_error_t *err)
{
  struct stat st;

  memset (s, 0, sizeof (*s));
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", name);
  s->fd = fd;
  s->name = name;
  s->size = S_ISREG (st.st_mode) ? (uint64_t) st.st_size : 0;
  s->copy_fd = copy_fd;
  s->hash = hash;
  s->bufsize = SOURCE_BUFSIZE;
  s->buf = xmalloc (s->bufsize);
  return 0;
}

void
mc_source_release (struct mc_source *s)
{
  free (s->buf);
  s->buf = NULL;
}

ssize_t
mc_source_read (struct mc_source *s)
{
  ssize_t n;

  do
    n = read (s->fd, s->buf, s->bufsize);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      s->io_errno = errno;
      s->io_what = "read";
      return -1;
    }
  if (n == 0)
    return 0;
  if (s->hash)
    mc_sha256_update (s->hash, s->buf, (size_t) n);
  if (s->copy_fd >= 0 && mc_write_all (s->copy_fd, s->buf, (size_t) n) < 0)
    {
      s->io_errno = errno;
      s->io_what = "store a copy of";
      return -1;
    }
  s->done += (uint64_t) n;
  if (s->progress)
    s->progress (s->progress_data, s->name, s->done, s->size);
  return n;
}

int
mc_source_drain (struct mc_source *s, mc_error_t *err)
{
  ssize_t n;

  while ((n = mc_source_read (s)) > 0)
    ;
  if (n < 0)
    return mc_make_error (err, s->io_errno, "%s `%s`", s->io_what, s->name);
  return 0;
}

int
mc_archive_check_path (char *path, mc_error_t *err)
{
  char *r = path, *w = path;

  if (*path == '/')
    return mc_make_error (err, 0, "entry `%s`: absolute path", path);
  while (r[0] == '.' && r[1] == '/')
    for (r += 2; *r == '/'; r++)
      ;
  /* Copy component by component, folding "//" and "/./".  */
  while (*r)
    {
      const char *c = r;
      size_t len = strcspn (r, "/");

      r += len;
      while (*r == '/')
        r++;
      if (len == 1 && c[0] == '.')
        continue;
      if (len == 2 && c[0] == '.' && c[1] == '.')
        return mc_make_error (err, 0, "entry `%s`: path contains `..`", path);
      if (w != path)
        *w++ = '/';
      memmove (w, c, len);
      w += len;
    }
  *w = '\0';
  return 0;
}

bool
mc_xattr_is_overlay_private (const char *name)
{
  /* minictr's own record of a layer's ids (runtime/files/shift.h) is private
   * to this host too: it never leaves in an archive, nor comes in.  */
  return mc_str_has_prefix (name, "trusted.overlay.") || mc_str_has_prefix (name, "user.overlay.")
         || mc_str_has_prefix (name, "trusted.minictr.");
}

struct saved_xattr
{
  char *name;
  void *value;
  size_t size;
};

/* What a layer in a backup needs to mean the same after a restore:
 * opaque directories and xattr whiteouts.  Everything else of overlayfs'
 * (redirect, metacopy, origin, ...) would let a hostile backup steer
 * overlayfs lookups.  */
bool
mc_xattr_is_overlay_marker (const char *name)
{
  return strcmp (name, "trusted.overlay.opaque") == 0 || strcmp (name, "trusted.overlay.whiteout") == 0
         || strcmp (name, "trusted.overlay.whiteouts") == 0;
}

/* Rebuild E's xattr list without overlayfs' private ones (KEEP_MARKERS:
 * but for the layer markers).  */
static void
strip_overlay_xattrs (struct archive_entry *e, bool keep_markers)
{
  const char *name;
  const void *value;
  size_t size, n = 0, i;
  int count = sym_archive_entry_xattr_reset (e), drop = 0;
  struct saved_xattr *keep;

  if (count <= 0)
    return;
  keep = xmalloc0 (sizeof (*keep) * (size_t) count);
  while (sym_archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (mc_xattr_is_overlay_private (name) && !(keep_markers && mc_xattr_is_overlay_marker (name)))
        {
          drop = 1;
          continue;
        }
      keep[n].name = xstrdup (name);
      keep[n].value = xmalloc (size);
      memcpy (keep[n].value, value, size);
      keep[n++].size = size;
    }
  if (drop)
    {
      sym_archive_entry_xattr_clear (e);
      for (i = 0; i < n; i++)
        sym_archive_entry_xattr_add_entry (e, keep[i].name, keep[i].value, keep[i].size);
    }
  for (i = 0; i < n; i++)
    {
      free (keep[i].name);
      free (keep[i].value);
    }
  free (keep);
}

/* libarchive pulls data through this; every byte goes past the hash.  */
static la_ssize_t
source_read_cb (struct archive *a, void *data, const void **buf)
{
  struct mc_source *s = data;
  ssize_t n = mc_source_read (s);

  if (n < 0)
    {
      sym_archive_set_error (a, s->io_errno, "%s `%s`: %s", s->io_what, s->name,
                         strerror (s->io_errno));
      return -1;
    }
  *buf = s->buf;
  return n;
}

/* A docker-archive's name for a config or a layer: its first component
 * (FIRST bytes) 64 hex digits, alone (a directory) or with `.json` or
 * `.tar`.  */
static bool
docker_member (const char *path, size_t first)
{
  size_t hex = strspn (path, "0123456789abcdef");

  if (hex != 64)
    return false;
  return first == 64 || (first == 69 && strncmp (path + 64, ".json", 5) == 0)
         || (first == 68 && strncmp (path + 64, ".tar", 4) == 0);
}

/* Which entries KIND keeps; the others are skipped (still hashed).  */
static int
entry_wanted (enum mc_unpack_kind kind, const char *path)
{
  size_t first = strcspn (path, "/");

  if (kind == MC_UNPACK_ROOTFS || kind == MC_UNPACK_OCI_LAYER)
    return *path != '\0';
  if (kind == MC_UNPACK_BACKUP)
    return first == 6 && strncmp (path, "backup", 6) == 0;
  if (strcmp (path, "metadata.yaml") == 0)
    return 1;
  /* An OCI archive (oci-archive) is told apart once it is unpacked.  */
  if (kind == MC_UNPACK_UNIFIED
      && (strcmp (path, "oci-layout") == 0 || strcmp (path, "index.json") == 0
          || (first == 5 && strncmp (path, "blobs", 5) == 0)))
    return 1;
  /* And so is a docker-archive: manifest.json, configs `<hex>.json`,
     layers `<hex>.tar` or `<id>/layer.tar`.  */
  if (kind == MC_UNPACK_UNIFIED && (strcmp (path, "manifest.json") == 0 || docker_member (path, first)))
    return 1;
  if (first == 9 && strncmp (path, "templates", 9) == 0)
    return 1;
  return kind == MC_UNPACK_UNIFIED && first == 6 && strncmp (path, "rootfs", 6) == 0;
}

static const char *
compression_ext (struct archive *a)
{
  switch (sym_archive_filter_code (a, 0))
    {
    case ARCHIVE_FILTER_GZIP:
      return ".gz";
    case ARCHIVE_FILTER_BZIP2:
      return ".bz2";
    case ARCHIVE_FILTER_XZ:
      return ".xz";
    case ARCHIVE_FILTER_LZMA:
      return ".lzma";
    case ARCHIVE_FILTER_ZSTD:
      return ".zst";
    case ARCHIVE_FILTER_LZIP:
      return ".lz";
    case ARCHIVE_FILTER_LZ4:
      return ".lz4";
    default:
      return "";
    }
}

static struct archive *
open_writer (void)
{
  struct archive *w = sym_archive_write_disk_new ();

  /* No user/group lookup: ids stay the image's numeric ids.  The three
   * SECURE flags make libarchive refuse `..`, absolute paths and any
   * write through a symlink already extracted; we check the first two
   * ourselves too, to name the entry in a clear error.  */
  sym_archive_write_disk_set_options (
      w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME
             | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SPARSE
             | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
             | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  return w;
}

static int
copy_entry_data (struct archive *r, struct archive *w, const char *path,
                 const char *name, mc_error_t *err)
{
  const void *buf;
  size_t size;
  la_int64_t off;
  int rc;

  while ((rc = sym_archive_read_data_block (r, &buf, &size, &off)) == ARCHIVE_OK)
    if (sym_archive_write_data_block (w, buf, size, off) != ARCHIVE_OK)
      return mc_make_error (err, sym_archive_errno (w), "`%s`: entry `%s`: %s", name,
                            path, sym_archive_error_string (w));
  if (rc != ARCHIVE_EOF)
    return mc_make_error (err, 0, "`%s`: entry `%s`: %s", name, path,
                          sym_archive_error_string (r));
  return 0;
}

/* Check and normalise the entry's path and hardlink target.  */
static int
prepare_entry (struct archive_entry *e, enum mc_unpack_kind kind,
               const char *name, int *wanted, mc_error_t *err)
{
  cleanup_free char *path = xstrdup (sym_archive_entry_pathname (e) ? sym_archive_entry_pathname (e) : "");
  const char *hl = sym_archive_entry_hardlink (e);

  if (mc_archive_check_path (path, err) < 0)
    return mc_error_prefix (err, "`%s`", name);
  *wanted = entry_wanted (kind, path);
  if (!*wanted)
    return 0;
  sym_archive_entry_set_pathname (e, path);
  strip_overlay_xattrs (e, kind == MC_UNPACK_BACKUP);
  if (hl != NULL)
    {
      cleanup_free char *target = xstrdup (hl);

      if (mc_archive_check_path (target, err) < 0)
        return mc_error_prefix (err, "`%s`: hardlink `%s`", name, path);
      if (!entry_wanted (kind, target))
        return mc_make_error (err, 0, "`%s`: hardlink `%s` points outside the archive: `%s`",
                              name, path, target);
      sym_archive_entry_set_hardlink (e, target);
    }
  return 0;
}

/* The directory DIR (relative, checked) of the layer being unpacked in
 * the working directory, opened one component at a time with no symlink
 * followed, the missing ones made (a whiteout may name a file of a
 * directory only a lower layer has).  */
static int
layer_dir (const char *dir, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (dir);
  char *comp, *save = NULL;
  int cur = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

  if (cur < 0)
    return mc_make_error (err, errno, "open the layer's directory");
  for (comp = strtok_r (copy, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      if ((fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 && errno == ENOENT
          && (mkdirat (cur, comp, 0755) == 0 || errno == EEXIST))
        fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        {
          int e = errno;
          struct stat st;
          bool link = e == ELOOP || (fstatat (cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode));

          close (cur);
          return link ? mc_make_error (err, 0, "`%s` is reached through a symlink", dir)
                      : mc_make_error (err, e, "`%s`", dir);
        }
      close (cur);
      cur = fd;
    }
  return cur;
}

/* PATH (checked), an OCI whiteout: `.wh..wh..opq` makes its directory
 * opaque, `.wh.NAME` hides NAME of the layers below.  */
static int
oci_whiteout (const char *path, const char *name, mc_error_t *err)
{
  const char *slash = strrchr (path, '/'), *base = slash ? slash + 1 : path;
  cleanup_free char *dir = slash ? xstrndup (path, (size_t) (slash - path)) : xstrdup (".");
  cleanup_close int dfd = -1;

  if (strncmp (base, ".wh..wh.", 8) == 0 && strcmp (base, ".wh..wh..opq") != 0)
    return mc_make_error (err, 0, "`%s`: entry `%s`: an unknown whiteout", name, path);
  if (strcmp (base, ".wh..wh..opq") != 0
      && (base[4] == '\0' || strcmp (base + 4, ".") == 0 || strcmp (base + 4, "..") == 0))
    return mc_make_error (err, 0, "`%s`: entry `%s`: a whiteout of nothing", name, path);
  if ((dfd = layer_dir (dir, err)) < 0)
    return mc_error_prefix (err, "`%s`: whiteout `%s`", name, path);
  if (strcmp (base, ".wh..wh..opq") == 0)
    {
      if (fsetxattr (dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return mc_make_error (err, errno, "`%s`: make `%s` opaque", name, dir);
      return 0;
    }
  if (mknodat (dfd, base + 4, S_IFCHR | 0000, makedev (0, 0)) < 0)
    return mc_make_error (err, errno, "`%s`: whiteout `%s`", name, path);
  return 0;
}

static int
unpack_entries (struct archive *r, struct archive *w, enum mc_unpack_kind kind,
                const char *name, mc_error_t *err)
{
  struct archive_entry *e;
  int rc, wanted = 0;

  while ((rc = sym_archive_read_next_header (r, &e)) == ARCHIVE_OK)
    {
      const char *base;

      if (prepare_entry (e, kind, name, &wanted, err) < 0)
        return -1;
      if (!wanted)
        continue;
      base = strrchr (sym_archive_entry_pathname (e), '/');
      base = base ? base + 1 : sym_archive_entry_pathname (e);
      if (kind == MC_UNPACK_OCI_LAYER && strncmp (base, ".wh.", 4) == 0)
        {
          if (oci_whiteout (sym_archive_entry_pathname (e), name, err) < 0)
            return -1;
          continue;
        }
      if (sym_archive_write_header (w, e) != ARCHIVE_OK)
        return mc_make_error (err, 0, "`%s`: entry `%s`: %s", name,
                              sym_archive_entry_pathname (e), sym_archive_error_string (w));
      if (sym_archive_entry_size (e) > 0
          && copy_entry_data (r, w, sym_archive_entry_pathname (e), name, err) < 0)
        return -1;
      if (sym_archive_write_finish_entry (w) != ARCHIVE_OK)
        return mc_make_error (err, 0, "`%s`: entry `%s`: %s", name,
                              sym_archive_entry_pathname (e), sym_archive_error_string (w));
    }
  if (rc != ARCHIVE_EOF)
    return mc_make_error (err, 0, "`%s`: %s", name, sym_archive_error_string (r));
  /* Directory modes and times are applied at close.  */
  if (sym_archive_write_close (w) != ARCHIVE_OK)
    return mc_make_error (err, 0, "`%s`: %s", name, sym_archive_error_string (w));
  return 0;
}

static int
unpack_in_cwd (struct mc_source *src, enum mc_unpack_kind kind,
               const char **compression, mc_error_t *err)
{
  struct archive *r = sym_archive_read_new ();
  struct archive *w = open_writer ();
  int ret = -1;

  sym_archive_read_support_filter_all (r);
  sym_archive_read_support_format_tar (r);
  if (sym_archive_read_open2 (r, src, NULL, source_read_cb, NULL, NULL) != ARCHIVE_OK)
    {
      mc_make_error (err, 0, "`%s`: not a tar archive (%s)", src->name,
                     sym_archive_error_string (r));
      goto out;
    }
  if (unpack_entries (r, w, kind, src->name, err) < 0)
    goto out;
  if (compression)
    *compression = compression_ext (r);
  ret = 0;
out:
  sym_archive_write_free (w);
  sym_archive_read_free (r);
  return ret;
}

int
mc_tar_unpack (struct mc_source *src, int destfd, enum mc_unpack_kind kind,
               const char **compression, mc_error_t *err)
{
  cleanup_close int oldcwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int ret;

  if (mc_dl_archive (err) < 0)
    return -1;
  if (oldcwd < 0)
    return mc_make_error (err, errno, "open current directory");
  /* libarchive's symlink checks work on paths relative to the current
   * directory, so extract from inside DESTFD.  */
  if (fchdir (destfd) < 0)
    return mc_make_error (err, errno, "chdir to the unpack directory");
  ret = unpack_in_cwd (src, kind, compression, err);
  if (fchdir (oldcwd) < 0 && ret == 0)
    return mc_make_error (err, errno, "restore the working directory");
  if (ret < 0)
    return -1;
  return mc_source_drain (src, err);
}
