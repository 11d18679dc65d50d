/* Deleting, exporting and verifying stored images.  */
#include "images/manage.h"
#include "images/alias.h"
#include "images/store.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#define COPY_BUFSIZE (1 << 20)
#define EXPORT_CORRUPT (-2)

/* A container uses an image when its config.yaml has
 * `volatile.base_image: <fp>` (LXD's key for the same fact).  */
static bool
container_uses_image (int containersfd, const char *name, const char *fp)
{
  cleanup_free char *path = xasprintf ("%s/config.yaml", name);
  cleanup_free char *buf = NULL;
  mc_error_t err = NULL;
  json_t *cfg, *base;
  bool used;
  size_t len;

  if (mc_read_file_at (containersfd, path, 4 << 20, &buf, &len, &err) < 0)
    {
      mc_error_release (&err);
      return false;
    }
  cfg = mc_yaml_load (buf, len, path, &err);
  mc_error_release (&err);
  base = json_object_get (json_object_get (cfg, "config"), "volatile.base_image");
  used = json_is_string (base) && strcmp (json_string_value (base), fp) == 0;
  json_decref (cfg);
  return used;
}

/* Names of the containers using FP, comma-separated, or NULL.  */
static char *
image_users (struct mc_store *s, const char *fp)
{
  cleanup_dir DIR *d = mc_opendir_at (s->rootfd, "containers");
  struct dirent *de;
  char *users = NULL;
  int fd;

  if (d == NULL)
    return NULL;
  fd = dirfd (d);
  while ((de = readdir (d)) != NULL)
    {
      char *tmp;

      if (de->d_name[0] == '.' || !container_uses_image (fd, de->d_name, fp))
        continue;
      tmp = xasprintf ("%s%s%s", users ? users : "", users ? ", " : "", de->d_name);
      free (users);
      users = tmp;
    }
  return users;
}

static void
drop_aliases_of (json_t *aliases, const char *fp)
{
  const char *name;
  json_t *a;
  void *tmp;

  json_object_foreach_safe (aliases, tmp, name, a)
    if (strcmp (json_string_value (json_object_get (a, "target")), fp) == 0)
      json_object_del (aliases, name);
}

/* Rename the image out of sight first (atomic), then remove it; the
 * directory stays flock()ed so a concurrent sweep leaves it to us.  */
static int
remove_image_dir (struct mc_store *s, const char *fp, mc_error_t *err)
{
  cleanup_free char *trash = xasprintf (".tmp-delete-%s", fp);
  cleanup_close int fd = openat (s->imagesfd, fp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return mc_make_error (err, errno, "open image `%s`", fp);
  if (flock (fd, LOCK_EX) < 0)
    return mc_make_error (err, errno, "lock image `%s`", fp);
  if (renameat (s->imagesfd, fp, s->imagesfd, trash) < 0)
    return mc_make_error (err, errno, "rename image `%s`", fp);
  return mc_rm_rf_at (s->imagesfd, trash, err);
}

int
mc_image_delete (struct mc_store *s, const char *fp, mc_error_t *err)
{
  cleanup_close int lockfd = mc_store_lock (s, err);
  cleanup_free char *users = NULL;
  json_t *aliases;
  int ret;

  if (lockfd < 0)
    return -1;
  users = image_users (s, fp);
  if (users)
    return mc_make_error (err, 0, "image %.12s is in use by: %s", fp, users);
  aliases = mc_aliases_load (s, err);
  if (aliases == NULL)
    return -1;
  drop_aliases_of (aliases, fp);
  ret = mc_aliases_save (s, aliases, err);
  json_decref (aliases);
  if (ret < 0)
    return -1;
  return remove_image_dir (s, fp, err);
}

/* ---- verification ------------------------------------------------------ */

static int
hash_stored_files (struct mc_store *s, const char *fp, json_t *files,
                   char out[MC_FP_HEX_LEN + 1], mc_error_t *err)
{
  struct mc_sha256 h;
  json_t *f;
  size_t i;

  if (mc_sha256_init (&h, err) < 0)
    return -1;
  json_array_foreach (files, i, f)
    {
      const char *role = json_string_value (json_object_get (f, "role"));
      cleanup_free char *path = xasprintf ("%s/orig/%s", fp, role ? role : "");
      cleanup_close int fd = openat (s->imagesfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

      if (fd < 0 || mc_sha256_update_fd (&h, fd, path, err) < 0)
        {
          mc_sha256_release (&h);
          return fd < 0 ? mc_make_error (err, errno, "open `%s/images/%s`", s->root, path) : -1;
        }
    }
  mc_sha256_final (&h, out);
  return 0;
}

static int
set_status (struct mc_store *s, const char *fp, json_t *rec, const char *status,
            mc_error_t *err)
{
  cleanup_close int dirfd = openat (s->imagesfd, fp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (dirfd < 0)
    return mc_make_error (err, errno, "open image `%s`", fp);
  json_object_set_new (json_object_get (rec, "store"), "status", json_string (status));
  return mc_image_record_save (s, dirfd, rec, err);
}

int
mc_image_verify (struct mc_store *s, const char *fp, mc_error_t *err)
{
  char got[MC_FP_HEX_LEN + 1];
  json_t *rec = mc_image_record_load (s, fp, err);
  int ret = -1;

  if (rec == NULL)
    return -1;
  if (hash_stored_files (s, fp, json_object_get (json_object_get (rec, "store"), "files"), got, err) < 0)
    goto out;
  if (strcmp (got, fp) != 0)
    {
      if (set_status (s, fp, rec, "corrupt", err) == 0)
        mc_make_error (err, 0, "image %.12s is corrupt: its stored files hash to %s, not to its fingerprint", fp, got);
      goto out;
    }
  ret = set_status (s, fp, rec, "ok", err);
out:
  json_decref (rec);
  return ret;
}

int
mc_image_check_usable (struct mc_store *s, const char *fp, mc_error_t *err)
{
  json_t *rec = mc_image_record_load (s, fp, err);
  const char *status;
  int ret = 0;

  if (rec == NULL)
    return -1;
  status = json_string_value (json_object_get (json_object_get (rec, "store"), "status"));
  if (status == NULL || strcmp (status, "ok") != 0)
    ret = mc_make_error (err, 0, "image %.12s failed verification (`minictr image verify %.12s`); it will not be used", fp, fp);
  json_decref (rec);
  return ret;
}

/* ---- export ------------------------------------------------------------ */

/* Copy the stored ROLE file to DEST (through a temp name), feeding H.  */
static int
copy_out (struct mc_store *s, const char *fp, const char *role, const char *dest,
          struct mc_sha256 *h, mc_error_t *err)
{
  cleanup_free char *src_path = xasprintf ("%s/orig/%s", fp, role);
  cleanup_free char *tmp = xasprintf ("%s.tmp-%d", dest, (int) getpid ());
  cleanup_free char *buf = xmalloc (COPY_BUFSIZE);
  cleanup_close int in = openat (s->imagesfd, src_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;
  ssize_t n;

  if (in < 0)
    return mc_make_error (err, errno, "open `%s/images/%s`", s->root, src_path);
  out = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (out < 0)
    return mc_make_error (err, errno, "create `%s`", tmp);
  while ((n = read (in, buf, COPY_BUFSIZE)) > 0)
    {
      mc_sha256_update (h, buf, (size_t) n);
      if (mc_write_all (out, buf, (size_t) n) < 0)
        break;
    }
  if (n != 0 || fsync (out) < 0 || rename (tmp, dest) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return mc_make_error (err, saved, "write `%s`", dest);
    }
  return 0;
}

static char *
export_name (const char *target, bool target_is_dir, const char *fp,
             const char *role, const char *ext)
{
  bool meta = strcmp (role, "meta") == 0;

  if (!target_is_dir)
    return strcmp (role, "rootfs") == 0 ? xasprintf ("%s.root", target) : xstrdup (target);
  return xasprintf ("%s/%s%s%s", target, meta ? "meta-" : "", fp, ext);
}

static void
unlink_written (json_t *written)
{
  json_t *p;
  size_t i;

  json_array_foreach (written, i, p)
    unlink (json_string_value (p));
}

static int
export_files (struct mc_store *s, const char *fp, json_t *files, const char *target,
              json_t *written, mc_error_t *err)
{
  char got[MC_FP_HEX_LEN + 1];
  struct stat st;
  bool is_dir = stat (target, &st) == 0 && S_ISDIR (st.st_mode);
  struct mc_sha256 h;
  json_t *f;
  size_t i;

  if (mc_sha256_init (&h, err) < 0)
    return -1;
  json_array_foreach (files, i, f)
    {
      const char *role = json_string_value (json_object_get (f, "role"));
      const char *ext = json_string_value (json_object_get (f, "ext"));
      char *dest = export_name (target, is_dir, fp, role ? role : "", ext ? ext : "");

      json_array_append_new (written, json_string (dest));
      free (dest);
      if (copy_out (s, fp, role ? role : "", json_string_value (json_array_get (written, i)), &h, err) < 0)
        {
          json_array_remove (written, i);
          mc_sha256_release (&h);
          return -1;
        }
    }
  mc_sha256_final (&h, got);
  if (strcmp (got, fp) != 0)
    {
      mc_make_error (err, 0, "image %.12s is corrupt: its stored files no longer match the fingerprint; nothing was exported", fp);
      return EXPORT_CORRUPT;
    }
  return 0;
}

int
mc_image_export (struct mc_store *s, const char *fp, const char *target,
                 json_t **written, mc_error_t *err)
{
  json_t *rec;
  json_t *out = json_array ();
  int ret;

  if (mc_image_check_usable (s, fp, err) < 0 || (rec = mc_image_record_load (s, fp, err)) == NULL)
    {
      json_decref (out);
      return -1;
    }
  ret = export_files (s, fp, json_object_get (json_object_get (rec, "store"), "files"), target, out, err);
  if (ret < 0)
    {
      unlink_written (out);
      json_decref (out);
      if (ret == EXPORT_CORRUPT)
        {
          mc_error_t e2 = NULL;
          if (set_status (s, fp, rec, "corrupt", &e2) < 0)
            mc_error_release (&e2);
        }
      json_decref (rec);
      return -1;
    }
  json_decref (rec);
  *written = out;
  return 0;
}
