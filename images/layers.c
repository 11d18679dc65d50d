#include "images/layers.h"
#include "images/archive.h"
#include "images/fingerprint.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* images/layers, made when missing.  */
static int
layers_dir (struct mc_store *s, mc_error_t *err)
{
  int fd;

  if (mkdirat (s->imagesfd, "layers", 0700) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s/images/layers`", s->root);
  if ((fd = openat (s->imagesfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s/images/layers`", s->root);
  return fd;
}

/* A private temp dir in images/, made and flock()ed under the store lock
 * (as an import's: a sweep never finds it unlocked); its name in *NAME.  */
static int
layer_tmpdir (struct mc_store *s, char **name, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/images/.tmp-layer-XXXXXX", s->root);
  cleanup_close int lockfd = mc_store_lock (s, err);
  int fd;

  if (lockfd < 0)
    return -1;
  if (mkdtemp (path) == NULL)
    return mc_make_error (err, errno, "create a temporary directory in `%s/images`", s->root);
  *name = xstrdup (strrchr (path, '/') + 1);
  if ((fd = openat (s->imagesfd, *name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0
      || flock (fd, LOCK_EX) < 0)
    {
      int e = errno;

      if (fd >= 0)
        close (fd);
      unlinkat (s->imagesfd, *name, AT_REMOVEDIR);
      return mc_make_error (err, e, "open `%s`", path);
    }
  return fd;
}

/* The blob, unpacked into TMPFD/tree and copied to TMPFD/blob while
 * hashed: it must still be DIGEST.  */
static int
unpack_checked (int blobs, const char *label, const struct mc_oci_layer *l, int tmpfd, mc_error_t *err)
{
  cleanup_close int in = openat (blobs, l->digest + 7, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  cleanup_close int copy = -1, tree = -1;
  cleanup_free char *name = xasprintf ("layer %s", l->digest);
  char got[MC_FP_HEX_LEN + 1];
  struct mc_source src;
  struct mc_sha256 h;
  int ret;

  if (in < 0)
    return mc_make_error (err, errno, "%s: %s", label, name);
  if ((copy = openat (tmpfd, "blob", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0
      || mkdirat (tmpfd, "tree", 0755) < 0
      || (tree = openat (tmpfd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "%s: %s: make its place in the store", label, name);
  if (mc_sha256_init (&h, err) < 0)
    return -1;
  if (mc_source_init (&src, in, name, &h, copy, err) < 0)
    {
      mc_sha256_release (&h);
      return -1;
    }
  ret = mc_tar_unpack (&src, tree, MC_UNPACK_OCI_LAYER, NULL, err);
  if (ret == 0 && fsync (copy) < 0)
    ret = mc_make_error (err, errno, "%s: write its copy", name);
  mc_source_release (&src);
  mc_sha256_final (&h, got);
  if (ret == 0 && strcmp (got, l->digest + 7) != 0)
    ret = mc_make_error (err, 0, "%s changed while it was read (it now hashes to sha256:%.12s...)", name, got);
  return ret < 0 ? mc_error_prefix (err, "%s", label) : 0;
}

int
mc_layer_add (struct mc_store *s, int blobs, const char *label, const struct mc_oci_layer *l, bool *existed,
              mc_error_t *err)
{
  cleanup_close int lfd = layers_dir (s, err), tmpfd = -1, lockfd = -1;
  cleanup_free char *tmp = NULL;
  const char *hex = l->digest + 7;
  mc_error_t e2 = NULL;
  struct stat st;
  int ret;

  *existed = false;
  if (lfd < 0)
    return -1;
  if (strncmp (l->digest, "sha256:", 7) != 0 || !mc_fingerprint_valid (hex))
    return mc_make_error (err, 0, "%s: layer `%s`: not a sha256 digest", label, l->digest);
  if (fstatat (lfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      *existed = true;
      return 0;
    }
  if ((tmpfd = layer_tmpdir (s, &tmp, err)) < 0)
    return -1;
  ret = unpack_checked (blobs, label, l, tmpfd, err);
  if (ret == 0 && (lockfd = mc_store_lock (s, err)) < 0)
    ret = -1;
  if (ret == 0 && renameat (s->imagesfd, tmp, lfd, hex) < 0)
    {
      if (errno == EEXIST || errno == ENOTEMPTY)
        *existed = true;
      else
        ret = mc_make_error (err, errno, "rename layer `%s` into `%s/images/layers`", l->digest, s->root);
    }
  else if (ret == 0)
    {
      free (tmp);
      tmp = NULL;
    }
  if (tmp && mc_rm_rf_at (s->imagesfd, tmp, &e2) < 0)
    mc_error_release (&e2);
  return ret;
}

json_t *
mc_layers_in_use (struct mc_store *s, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (s->imagesfd, ".");
  struct dirent *de;
  json_t *used;

  if (d == NULL)
    {
      mc_make_error (err, errno, "open `%s/images`", s->root);
      return NULL;
    }
  used = json_object ();
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      json_t *rec, *v;
      size_t i;

      if (mc_str_has_prefix (de->d_name, ".tmp-import-"))
        {
          /* An import under way lists its layers before it adds them.  */
          cleanup_free char *pending = xasprintf ("%s/image.yaml", de->d_name);
          mc_error_t e = NULL;

          if ((rec = mc_yaml_load_mapping_at (s->imagesfd, pending, &e)) == NULL)
            {
              mc_error_release (&e);
              continue;
            }
        }
      else if (!mc_fingerprint_valid (de->d_name))
        continue;
      else if ((rec = mc_image_record_load (s, de->d_name, err)) == NULL)
        {
          json_decref (used);
          return NULL;
        }
      json_array_foreach (json_object_get (json_object_get (rec, "store"), "layers"), i, v)
        if (json_string_value (v) && strncmp (json_string_value (v), "sha256:", 7) == 0)
          json_object_set_new (used, json_string_value (v) + 7, json_true ());
      json_decref (rec);
    }
  if (errno != 0)
    {
      json_decref (used);
      mc_make_error (err, errno, "read `%s/images`", s->root);
      return NULL;
    }
  return used;
}

int
mc_layers_prune (struct mc_store *s, size_t *removed, mc_error_t *err)
{
  cleanup_close int lockfd = mc_store_lock (s, err);

  if (removed)
    *removed = 0;
  if (lockfd < 0)
    return -1;
  return mc_layers_prune_locked (s, removed, err);
}

int
mc_layers_prune_locked (struct mc_store *s, size_t *removed, mc_error_t *err)
{
  cleanup_close int lfd = -1;
  cleanup_json json_t *used = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  size_t n = 0;

  if (removed)
    *removed = 0;
  if ((used = mc_layers_in_use (s, err)) == NULL || (lfd = layers_dir (s, err)) < 0)
    return -1;
  if ((d = mc_opendir_at (lfd, ".")) == NULL)
    return mc_make_error (err, errno, "open `%s/images/layers`", s->root);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      if (!mc_fingerprint_valid (de->d_name) || json_object_get (used, de->d_name))
        continue;
      if (mc_rm_rf_at (lfd, de->d_name, err) < 0)
        return -1;
      n++;
    }
  if (errno != 0)
    return mc_make_error (err, errno, "read `%s/images/layers`", s->root);
  if (removed)
    *removed = n;
  return 0;
}
