#include "images/tarwrite.h"
#include "images/archive.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 512

struct link_seen
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct mc_tar_writer
{
  struct archive *a;
  struct link_seen *links;
  size_t nlinks;
  /* per add_tree call */
  const struct mc_idmap_set *ids;
  int ids_layer;
  size_t top_len;
  bool overlay_xattrs;
};

static int
archive_fail (struct mc_tar_writer *w, const char *what, const char *path, mc_error_t *err)
{
  return mc_make_error (err, sym_archive_errno (w->a) > 0 ? sym_archive_errno (w->a) : 0, "%s `%s`: %s",
                        what, path, sym_archive_error_string (w->a));
}

struct mc_tar_writer *
mc_tar_writer_open (int fd, bool gzip, mc_error_t *err)
{
  struct mc_tar_writer *w;

  if (mc_dl_archive (err) < 0)
    return NULL;
  w = xmalloc0 (sizeof (*w));
  w->a = sym_archive_write_new ();
  if (w->a == NULL || sym_archive_write_set_format_pax_restricted (w->a) != ARCHIVE_OK
      || (gzip && sym_archive_write_add_filter_gzip (w->a) != ARCHIVE_OK)
      || sym_archive_write_open_fd (w->a, fd) != ARCHIVE_OK)
    {
      if (w->a)
        archive_fail (w, "open", "archive", err);
      else
        mc_make_error (err, ENOMEM, "libarchive: cannot create a writer");
      mc_tar_writer_abort (w);
      return NULL;
    }
  return w;
}

static void
release_links (struct mc_tar_writer *w)
{
  size_t i;

  for (i = 0; i < w->nlinks; i++)
    free (w->links[i].path);
  free (w->links);
  w->links = NULL;
  w->nlinks = 0;
}

void
mc_tar_writer_abort (struct mc_tar_writer *w)
{
  if (w == NULL)
    return;
  if (w->a)
    sym_archive_write_free (w->a);
  release_links (w);
  free (w);
}

int
mc_tar_writer_close (struct mc_tar_writer *w, mc_error_t *err)
{
  int ret = 0;

  if (sym_archive_write_close (w->a) != ARCHIVE_OK)
    ret = archive_fail (w, "finish", "archive", err);
  mc_tar_writer_abort (w);
  return ret;
}

int
mc_tar_writer_add_buffer (struct mc_tar_writer *w, const char *path, const void *buf, size_t len,
                          mode_t mode, mc_error_t *err)
{
  struct archive_entry *e = sym_archive_entry_new ();
  int ret = 0;

  sym_archive_entry_set_pathname (e, path);
  sym_archive_entry_set_filetype (e, AE_IFREG);
  sym_archive_entry_set_perm (e, mode);
  sym_archive_entry_set_size (e, (la_int64_t) len);
  sym_archive_entry_set_mtime (e, time (NULL), 0);
  if (sym_archive_write_header (w->a, e) != ARCHIVE_OK
      || (len && sym_archive_write_data (w->a, buf, len) != (la_ssize_t) len)
      || sym_archive_write_finish_entry (w->a) != ARCHIVE_OK)
    ret = archive_fail (w, "write", path, err);
  sym_archive_entry_free (e);
  return ret;
}

static uint32_t
map_id (struct mc_tar_writer *w, bool in_layer, uint32_t id, bool gid)
{
  uint32_t ns;

  if (w->ids && in_layer && mc_idmap_to_ns (gid ? &w->ids->gid : &w->ids->uid, id, &ns))
    return ns;
  return id;
}

/* Whether the entry at PATH (the archive's name) comes from the layer
 * whose ids W->ids describes.  */
static bool
in_ids_layer (struct mc_tar_writer *w, const char *path)
{
  const char *rel = path + w->top_len;
  struct stat st;

  if (w->ids_layer < 0)
    return true;
  rel += *rel == '/';
  return fstatat (w->ids_layer, *rel ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Regular files and directories carry their xattrs here; symlinks and
 * device nodes cannot be opened for them without following or opening
 * the device, and a layer's whiteouts have none.  */
static int
add_xattrs (struct mc_tar_writer *w, struct archive_entry *e, int fd, const char *path,
            mc_error_t *err)
{
  cleanup_free char *names = xmalloc (65536);
  cleanup_free char *value = xmalloc (65536);
  ssize_t len = flistxattr (fd, names, 65536), v;
  char *n;

  if (len < 0)
    return errno == ENOTSUP ? 0 : mc_make_error (err, errno, "list xattrs of `%s`", path);
  for (n = names; n < names + len; n += strlen (n) + 1)
    {
      if (mc_xattr_is_overlay_private (n) && !(w->overlay_xattrs && mc_xattr_is_overlay_marker (n)))
        continue;
      v = fgetxattr (fd, n, value, 65536);
      if (v < 0)
        return mc_make_error (err, errno, "read xattr `%s` of `%s`", n, path);
      sym_archive_entry_xattr_add_entry (e, n, value, (size_t) v);
    }
  return 0;
}

static int add_dir (struct mc_tar_writer *w, int dirfd, const char *prefix, int depth, mc_error_t *err);

static int
write_data (struct mc_tar_writer *w, int fd, const char *path, mc_error_t *err)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (fd, buf, sizeof (buf))) > 0)
    if (sym_archive_write_data (w->a, buf, (size_t) n) != n)
      return archive_fail (w, "write", path, err);
  return n < 0 ? mc_make_error (err, errno, "read `%s`", path) : 0;
}

static int
add_entry (struct mc_tar_writer *w, int dirfd, const char *name, const char *path, int depth,
           mc_error_t *err)
{
  struct archive_entry *e = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  size_t i;
  int ret = 0;

  /* NAME "": DIRFD itself (a detached mount, say).  */
  if (fstatat (dirfd, name, &st, *name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  e = sym_archive_entry_new ();
  sym_archive_entry_copy_stat (e, &st);
  sym_archive_entry_set_pathname (e, path);
  if (w->ids)
    {
      bool layer = in_ids_layer (w, path);

      sym_archive_entry_set_uid (e, map_id (w, layer, st.st_uid, false));
      sym_archive_entry_set_gid (e, map_id (w, layer, st.st_gid, true));
    }
  if (S_ISREG (st.st_mode) || S_ISDIR (st.st_mode))
    {
      fd = openat (dirfd, *name ? name : ".", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR (st.st_mode) ? O_DIRECTORY : 0));
      if (fd < 0)
        ret = mc_make_error (err, errno, "open `%s`", path);
      else
        ret = add_xattrs (w, e, fd, path, err);
    }
  else if (S_ISLNK (st.st_mode))
    {
      char target[4096];
      ssize_t n = readlinkat (dirfd, name, target, sizeof (target) - 1);

      if (n < 0)
        ret = mc_make_error (err, errno, "readlink `%s`", path);
      else
        {
          target[n] = '\0';
          sym_archive_entry_set_symlink (e, target);
        }
    }
  /* A second name of an inode is a hard link to the first.  */
  if (ret == 0 && !S_ISDIR (st.st_mode) && st.st_nlink > 1)
    {
      for (i = 0; i < w->nlinks; i++)
        if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino)
          break;
      if (i < w->nlinks)
        {
          sym_archive_entry_set_hardlink (e, w->links[i].path);
          sym_archive_entry_set_size (e, 0);
          if (fd >= 0)
            {
              close (fd);
              fd = -1;
            }
        }
      else
        {
          w->links = xrealloc (w->links, sizeof (*w->links) * (w->nlinks + 1));
          w->links[w->nlinks].dev = st.st_dev;
          w->links[w->nlinks].ino = st.st_ino;
          w->links[w->nlinks++].path = xstrdup (path);
        }
    }
  if (ret == 0 && sym_archive_write_header (w->a, e) != ARCHIVE_OK)
    ret = archive_fail (w, "write", path, err);
  if (ret == 0 && S_ISREG (st.st_mode) && fd >= 0)
    ret = write_data (w, fd, path, err);
  if (ret == 0 && sym_archive_write_finish_entry (w->a) != ARCHIVE_OK)
    ret = archive_fail (w, "write", path, err);
  sym_archive_entry_free (e);
  if (ret == 0 && S_ISDIR (st.st_mode))
    ret = add_dir (w, fd, path, depth + 1, err);
  return ret;
}

static int
add_dir (struct mc_tar_writer *w, int dirfd, const char *prefix, int depth, mc_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (depth > MAX_DEPTH)
    return mc_make_error (err, 0, "`%s`: nested deeper than %d levels", prefix, MAX_DEPTH);
  if ((d = mc_opendir_at (dirfd, ".")) == NULL)
    return mc_make_error (err, errno, "opendir `%s`", prefix);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      path = xasprintf ("%s/%s", prefix, de->d_name);
      if (add_entry (w, dirfd, de->d_name, path, depth, err) < 0)
        return -1;
    }
  return 0;
}

int
mc_tar_writer_add_tree (struct mc_tar_writer *w, int dirfd, const char *name, const char *prefix,
                        const struct mc_idmap_set *ids, int ids_layer, bool overlay_xattrs, mc_error_t *err)
{
  int ret;

  w->ids = ids;
  w->ids_layer = ids_layer;
  w->top_len = strlen (prefix);
  w->overlay_xattrs = overlay_xattrs;
  ret = add_entry (w, dirfd, name, prefix, 0, err);
  release_links (w);
  return ret;
}
