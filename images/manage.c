/* Deleting, exporting and verifying stored images.  */
#include "images/manage.h"
#include "images/alias.h"
#include "images/fingerprint.h"
#include "images/layers.h"
#include "images/store.h"
#include "lib/testhook.h"
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

/* Whether REC is an OCI image's (layers in images/layers, docs/oci.md).  */
static bool
is_oci (json_t *rec)
{
  const char *format = json_string_value (json_object_get (json_object_get (rec, "store"), "format"));

  return format && strcmp (format, "oci") == 0;
}

/* Only an OCI image's directory has a config.json (an LXD image's unpack
 * keeps metadata.yaml, templates/ and rootfs/ only): a check that costs
 * no read of the record, on every start and exec.  */
bool
mc_image_is_oci (struct mc_store *s, const char *fp)
{
  cleanup_free char *path = NULL;

  if (!mc_fingerprint_valid (fp))
    return false;
  path = xasprintf ("%s/config.json", fp);
  return faccessat (s->imagesfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

char *
mc_image_lowerdir (struct mc_store *s, const char *fp, mc_error_t *err)
{
  cleanup_json json_t *rec = NULL;
  json_t *layers;
  char *out = NULL;
  size_t i, n;

  if (!mc_image_is_oci (s, fp))
    return xasprintf ("%s/images/%s/rootfs", s->root, fp);
  if ((rec = mc_image_record_load (s, fp, err)) == NULL)
    return NULL;
  layers = json_object_get (json_object_get (rec, "store"), "layers");
  if ((n = json_array_size (layers)) == 0)
    {
      mc_make_error (err, 0, "image %.12s has no layers", fp);
      return NULL;
    }
  /* overlayfs wants the top first; the record has the base first.  */
  for (i = n; i-- > 0;)
    {
      const char *d = json_string_value (json_array_get (layers, i));
      char *more;

      if (d == NULL || strncmp (d, "sha256:", 7) != 0 || !mc_fingerprint_valid (d + 7))
        {
          free (out);
          mc_make_error (err, 0, "image %.12s: a layer with a bad digest", fp);
          return NULL;
        }
      more = xasprintf ("%s%s%s/images/layers/%s/tree", out ? out : "", out ? ":" : "", s->root, d + 7);
      free (out);
      out = more;
    }
  return out;
}

json_t *
mc_image_oci_config (struct mc_store *s, const char *fp, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/config.json", fp), *text = NULL;
  cleanup_json json_t *doc = NULL;
  json_error_t jerr;
  json_t *c;
  size_t len;

  if (mc_read_file_at (s->imagesfd, path, 4 << 20, &text, &len, err) < 0)
    return NULL;
  if ((doc = json_loadb (text, len, 0, &jerr)) == NULL)
    {
      mc_make_error (err, 0, "image %.12s: config.json: %s", fp, jerr.text);
      return NULL;
    }
  c = json_object_get (doc, "config");
  return json_is_object (c) ? json_incref (c) : json_object ();
}

/* SRC (beneath SRCFD) copied to DSTFD/DST when DSTFD >= 0, hashed: it
 * must hash to DIGEST ("sha256:HEX").  *SIZE (may be NULL) gets its size.
 * A mismatch is EXPORT_CORRUPT, naming WHAT.  */
static int
copy_hashed (int srcfd, const char *src, int dstfd, const char *dst, const char *digest, const char *what,
             int64_t *size, mc_error_t *err)
{
  cleanup_close int in = openat (srcfd, src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1;
  cleanup_free char *buf = xmalloc (COPY_BUFSIZE);
  char got[MC_FP_HEX_LEN + 1];
  struct mc_sha256 h;
  int64_t total = 0;
  ssize_t n;

  if (in < 0)
    return mc_make_error (err, errno, "open %s", what);
  if (dstfd >= 0 && (out = openat (dstfd, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
    return mc_make_error (err, errno, "create `%s`", dst);
  if (mc_sha256_init (&h, err) < 0)
    return -1;
  while ((n = read (in, buf, COPY_BUFSIZE)) > 0)
    {
      mc_sha256_update (&h, buf, (size_t) n);
      total += n;
      if (out >= 0 && mc_write_all (out, buf, (size_t) n) < 0)
        break;
    }
  mc_sha256_final (&h, got);
  if (n != 0 || (out >= 0 && fsync (out) < 0))
    return mc_make_error (err, errno, "copy %s", what);
  if (digest == NULL || strncmp (digest, "sha256:", 7) != 0 || strcmp (got, digest + 7) != 0)
    {
      mc_make_error (err, 0, "%s no longer matches its digest", what);
      return EXPORT_CORRUPT;
    }
  if (size)
    *size = total;
  return 0;
}

/* Every stored piece of the OCI image FP (REC): its manifest and config,
 * each layer's blob, hashed against their digests; copied into DSTFD's
 * blobs/sha256 when DSTFD >= 0.  *MANIFEST_SIZE gets the manifest's.  */
static int
oci_pieces (struct mc_store *s, const char *fp, json_t *rec, int dstfd, int64_t *manifest_size, mc_error_t *err)
{
  json_t *store = json_object_get (rec, "store"), *l;
  const char *manifest = json_string_value (json_object_get (store, "manifest"));
  const char *config = json_string_value (json_object_get (store, "config"));
  cleanup_close int imgfd = openat (s->imagesfd, fp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int layers = openat (s->imagesfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  size_t i;
  int ret;

  if (imgfd < 0)
    return mc_make_error (err, errno, "open image `%s`", fp);
  if (manifest == NULL || strncmp (manifest, "sha256:", 7) != 0 || strcmp (manifest + 7, fp) != 0)
    {
      mc_make_error (err, 0, "image %.12s: its record names another manifest", fp);
      return EXPORT_CORRUPT;
    }
  if ((ret = copy_hashed (imgfd, "manifest.json", dstfd, manifest + 7, manifest, "the manifest", manifest_size,
                          err))
      < 0)
    return ret;
  if ((ret = copy_hashed (imgfd, "config.json", dstfd, config ? config + 7 : "", config, "the config", NULL, err))
      < 0)
    return ret;
  json_array_foreach (json_object_get (store, "layers"), i, l)
    {
      const char *digest = json_string_value (l);
      cleanup_free char *blob = NULL, *what = NULL;

      if (digest == NULL || strncmp (digest, "sha256:", 7) != 0 || !mc_fingerprint_valid (digest + 7))
        {
          mc_make_error (err, 0, "image %.12s: a layer with a bad digest", fp);
          return EXPORT_CORRUPT;
        }
      if (layers < 0)
        return mc_make_error (err, errno, "open `%s/images/layers`", s->root);
      blob = xasprintf ("%s/blob", digest + 7);
      what = xasprintf ("layer %.19s", digest);
      if ((ret = copy_hashed (layers, blob, dstfd, digest + 7, digest, what, NULL, err)) < 0)
        return ret;
    }
  return 0;
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
  cleanup_json json_t *rec = NULL;
  json_t *aliases;
  int ret;

  if (lockfd < 0)
    return -1;
  users = image_users (s, fp);
  if (users)
    return mc_make_error (err, 0, "image %.12s is in use by: %s", fp, users);
  if ((rec = mc_image_record_load (s, fp, err)) == NULL)
    return -1;
  mc_test_point ("image-delete-checked");
  aliases = mc_aliases_load (s, err);
  if (aliases == NULL)
    return -1;
  drop_aliases_of (aliases, fp);
  ret = mc_aliases_save (s, aliases, err);
  json_decref (aliases);
  if (ret < 0 || remove_image_dir (s, fp, err) < 0)
    return -1;
  /* An OCI image's layers that no other image lists go with it.  */
  return is_oci (rec) ? mc_layers_prune_locked (s, NULL, err) : 0;
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
  if (is_oci (rec))
    {
      int r = oci_pieces (s, fp, rec, -1, NULL, err);

      if (r == EXPORT_CORRUPT)
        {
          mc_error_t e2 = NULL;

          if (set_status (s, fp, rec, "corrupt", &e2) < 0)
            mc_error_release (&e2);
          mc_error_prefix (err, "image %.12s is corrupt", fp);
        }
      ret = r < 0 ? -1 : set_status (s, fp, rec, "ok", err);
      goto out;
    }
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

/* An OCI image as an OCI layout: the directory TARGET (made; or, when
 * TARGET is a directory, TARGET/FP), built under a temp name and renamed
 * into place whole.  */
static int
oci_export (struct mc_store *s, const char *fp, json_t *rec, const char *target, json_t *written, mc_error_t *err)
{
  struct stat st;
  cleanup_free char *dest = stat (target, &st) == 0 && S_ISDIR (st.st_mode) ? xasprintf ("%s/%s", target, fp)
                                                                             : xstrdup (target);
  cleanup_free char *tmp = xasprintf ("%s.tmp-%d", dest, (int) getpid ()), *index = NULL;
  cleanup_close int tfd = -1, bfd = -1;
  mc_error_t e2 = NULL;
  int64_t msize = 0;
  int ret;

  if (lstat (dest, &st) == 0)
    return mc_make_error (err, EEXIST, "`%s`", dest);
  if (mkdir (tmp, 0755) < 0 || (tfd = open (tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0
      || mkdirat (tfd, "blobs", 0755) < 0 || mkdirat (tfd, "blobs/sha256", 0755) < 0
      || (bfd = openat (tfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    ret = mc_make_error (err, errno, "make `%s`", tmp);
  else
    ret = oci_pieces (s, fp, rec, bfd, &msize, err);
  if (ret == 0)
    {
      index = xasprintf ("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                         "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\",\"size\":%lld}]}\n",
                         fp, (long long) msize);
      if (mc_write_file_atomic_at (tfd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}\n", 31, 0644, err) < 0
          || mc_write_file_atomic_at (tfd, "index.json", index, strlen (index), 0644, err) < 0)
        ret = -1;
    }
  if (ret == 0 && rename (tmp, dest) < 0)
    ret = mc_make_error (err, errno, "rename `%s` to `%s`", tmp, dest);
  if (ret < 0)
    {
      if (mc_rm_rf_at (AT_FDCWD, tmp, &e2) < 0)
        mc_error_release (&e2);
      if (ret == EXPORT_CORRUPT)
        mc_error_prefix (err, "image %.12s is corrupt, nothing was exported", fp);
      return ret;
    }
  json_array_append_new (written, json_string (dest));
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
  ret = is_oci (rec) ? oci_export (s, fp, rec, target, out, err)
                     : export_files (s, fp, json_object_get (json_object_get (rec, "store"), "files"), target, out, err);
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
