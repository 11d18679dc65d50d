#include "images/store.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#define RECORD_NAME "image.yaml"
#define RECORD_MAX_SIZE (4 << 20)

/* A .tmp-* directory whose flock we can take belongs to a dead process.  */
static void
sweep_one (int imagesfd, const char *name)
{
  cleanup_close int fd = openat (imagesfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  mc_error_t err = NULL;

  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
    return;
  if (mc_rm_rf_at (imagesfd, name, &err) < 0)
    mc_error_release (&err);
}

/* Under the store lock: an importer creates and flock()s its temp dir
 * while holding it, so no sweep can see a live temp dir unlocked.  */
static int
sweep_debris (struct mc_store *s, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (s->imagesfd, ".");
  cleanup_close int lockfd = -1;
  struct dirent *de;

  if (d == NULL)
    return mc_make_error (err, errno, "open `%s/images`", s->root);
  while ((de = readdir (d)) != NULL)
    if (mc_str_has_prefix (de->d_name, ".tmp-"))
      {
        if (lockfd < 0 && (lockfd = mc_store_lock (s, err)) < 0)
          return -1;
        sweep_one (s->imagesfd, de->d_name);
      }
  return 0;
}

int
mc_store_subdir_if_any (struct mc_store *s, const char *name)
{
  return openat (s->rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
mc_store_subdir (struct mc_store *s, const char *name, mode_t mode, mc_error_t *err)
{
  int fd;

  if (mkdirat (s->rootfd, name, mode) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s/%s`", s->root, name);
  fd = openat (s->rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s/%s`", s->root, name);
  return fd;
}

int
mc_store_open (struct mc_store *s, mc_error_t *err)
{
  memset (s, 0, sizeof (*s));
  s->rootfd = s->imagesfd = s->containersfd = -1;
  s->root = xstrdup (mc_state_dir ());
  if (mc_mkdir_p (s->root, 0711, err) < 0)
    goto fail;
  s->rootfd = open (s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->rootfd < 0)
    {
      mc_make_error (err, errno, "open state directory `%s`", s->root);
      goto fail;
    }
  s->imagesfd = mc_store_subdir (s, "images", 0700, err);
  if (s->imagesfd < 0 || sweep_debris (s, err) < 0)
    goto fail;
  return 0;
fail:
  mc_store_close (s);
  return -1;
}

void
mc_store_close (struct mc_store *s)
{
  if (s->imagesfd >= 0)
    close (s->imagesfd);
  if (s->rootfd >= 0)
    close (s->rootfd);
  if (s->containersfd >= 0)
    close (s->containersfd);
  json_decref (s->cache);
  s->cache = NULL;
  free (s->root);
  s->root = NULL;
  s->rootfd = s->imagesfd = s->containersfd = -1;
}

void
mc_store_cache_begin (struct mc_store *s)
{
  mc_error_t e = NULL;

  if (s->cache == NULL)
    s->cache = json_object ();
  /* As mc_containers_dir (runtime/container.c); without it, each open
   * makes its own.  */
  if (s->containersfd < 0 && (s->containersfd = mc_store_subdir (s, "containers", 0711, &e)) < 0)
    mc_error_release (&e);
}

json_t *
mc_store_cached (struct mc_store *s, const char *key)
{
  return s->cache ? json_incref (json_object_get (s->cache, key)) : NULL;
}

void
mc_store_keep (struct mc_store *s, const char *key, json_t *v)
{
  if (s->cache && v)
    json_object_set_new (s->cache, key, json_deep_copy (v));
}

int
mc_store_lock (struct mc_store *s, mc_error_t *err)
{
  return mc_lock_at (s->imagesfd, ".lock", true, false, err);
}

int
mc_store_lock_shared (struct mc_store *s, mc_error_t *err)
{
  return mc_lock_at (s->imagesfd, ".lock", false, false, err);
}

json_t *
mc_image_record_load (struct mc_store *s, const char *fp, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/" RECORD_NAME, fp);
  cleanup_free char *buf = NULL;
  size_t len;
  json_t *rec;

  if (mc_read_file_at (s->imagesfd, path, RECORD_MAX_SIZE, &buf, &len, err) < 0)
    return NULL;
  rec = mc_yaml_load (buf, len, path, err);
  if (rec && !json_is_object (json_object_get (rec, "store")))
    {
      json_decref (rec);
      mc_make_error (err, 0, "%s/images/%s: no `store` section", s->root, path);
      return NULL;
    }
  return rec;
}

int
mc_image_record_save (struct mc_store *s, int dirfd, json_t *rec, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  (void) s;
  if (mc_yaml_dump (rec, &buf, &len, err) < 0)
    return -1;
  return mc_write_file_atomic_at (dirfd, RECORD_NAME, buf, len, 0600, err);
}

/* Names of the fingerprint directories starting with PREFIX.  */
static json_t *
list_fingerprints (struct mc_store *s, const char *prefix, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (s->imagesfd, ".");
  struct dirent *de;
  json_t *out;

  if (d == NULL)
    {
      mc_make_error (err, errno, "open `%s/images`", s->root);
      return NULL;
    }
  out = json_array ();
  while ((de = readdir (d)) != NULL)
    if (mc_fingerprint_valid (de->d_name) && mc_str_has_prefix (de->d_name, prefix))
      json_array_append_new (out, json_string (de->d_name));
  return out;
}

static int
resolve_prefix (struct mc_store *s, const char *ref, char fp[MC_FP_HEX_LEN + 1],
                mc_error_t *err)
{
  json_t *matches = list_fingerprints (s, ref, err);
  cleanup_free char *names = NULL;
  size_t i, n;

  if (matches == NULL)
    return -1;
  n = json_array_size (matches);
  if (n == 1)
    {
      memcpy (fp, json_string_value (json_array_get (matches, 0)), MC_FP_HEX_LEN + 1);
      json_decref (matches);
      return 0;
    }
  if (n == 0)
    {
      json_decref (matches);
      return mc_make_error (err, 0, "image `%s` not found", ref);
    }
  names = xstrdup ("");
  for (i = 0; i < n; i++)
    {
      char *tmp = xasprintf ("%s%s%s", names, i ? ", " : "",
                             json_string_value (json_array_get (matches, i)));
      free (names);
      names = tmp;
    }
  json_decref (matches);
  return mc_make_error (err, 0, "image `%s` is ambiguous: it matches %s", ref, names);
}

/* ---- the aliases file (images/alias.c changes it) ---------------------------- */

#define ALIASES_NAME "aliases.yaml"

/* A loaded entry must be {target: <fingerprint>, description: string}. */
static int
check_alias_entry (const char *name, json_t *a, mc_error_t *err)
{
  json_t *t = json_object_get (a, "target");
  json_t *d = json_object_get (a, "description");

  if (!json_is_object (a) || !json_is_string (t) || !mc_fingerprint_valid (json_string_value (t)))
    return mc_make_error (err, 0, ALIASES_NAME ": alias `%s` has no valid target", name);
  if (d == NULL || json_is_null (d))
    json_object_set_new (a, "description", json_string (""));
  else if (!json_is_string (d))
    return mc_make_error (err, 0, ALIASES_NAME ": alias `%s`: description must be a string", name);
  return 0;
}

json_t *
mc_aliases_load (struct mc_store *s, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  mc_error_t read_err = NULL;
  const char *name;
  json_t *root, *a;
  size_t len;

  if (mc_read_file_at (s->imagesfd, ALIASES_NAME, 4 << 20, &buf, &len, &read_err) < 0)
    {
      if (read_err->status == ENOENT)
        {
          mc_error_release (&read_err);
          return json_object ();
        }
      mc_error_propagate (err, &read_err);
      return NULL;
    }
  root = mc_yaml_load_mapping (buf, len, ALIASES_NAME, err);
  if (root == NULL)
    return NULL;
  json_object_foreach (root, name, a)
    if (check_alias_entry (name, a, err) < 0)
      {
        json_decref (root);
        return NULL;
      }
  return root;
}

int
mc_aliases_save (struct mc_store *s, json_t *aliases, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_yaml_dump (aliases, &buf, &len, err) < 0)
    return -1;
  return mc_write_file_atomic_at (s->imagesfd, ALIASES_NAME, buf, len, 0600, err);
}

int
mc_image_resolve (struct mc_store *s, const char *ref, char fp[MC_FP_HEX_LEN + 1],
                  mc_error_t *err)
{
  json_t *aliases = mc_aliases_load (s, err);
  json_t *a;

  if (aliases == NULL)
    return -1;
  a = json_object_get (aliases, ref);
  if (a != NULL)
    {
      snprintf (fp, MC_FP_HEX_LEN + 1, "%s", json_string_value (json_object_get (a, "target")));
      json_decref (aliases);
      return 0;
    }
  json_decref (aliases);
  if (!mc_fingerprint_prefix_valid (ref))
    return mc_make_error (err, 0, "image `%s` not found", ref);
  return resolve_prefix (s, ref, fp, err);
}

/* Attach the aliases that target FP, as LXD's [{name, description}].  */
static void
attach_aliases (json_t *img, json_t *aliases, const char *fp)
{
  json_t *list = json_array ();
  const char *name;
  json_t *a;

  json_object_foreach (aliases, name, a)
    {
      if (strcmp (json_string_value (json_object_get (a, "target")), fp) != 0)
        continue;
      json_array_append_new (list, json_pack ("{s:s, s:O}", "name", name, "description",
                                              json_object_get (a, "description")));
    }
  json_object_set_new (img, "aliases", list);
}

static json_t *
image_view (json_t *rec, json_t *aliases, const char *fp)
{
  json_t *img = json_deep_copy (rec);
  json_t *size = json_object_get (img, "size");
  int64_t n;

  /* The record keeps scalars as strings; the API has numbers and booleans. */
  if (size && mc_json_get_int64 (size, &n) == 0)
    json_object_set_new (img, "size", json_integer (n));
  json_object_set_new (img, "public", json_false ());
  json_object_set_new (img, "auto_update", json_false ());
  json_object_set_new (img, "cached", json_false ());
  /* An OCI image's layers (minictr's own field), base first.  */
  {
    json_t *store = json_object_get (img, "store"), *layers, *d;
    size_t i;

    if ((layers = json_object_get (store, "layers")) != NULL)
      {
        json_t *out = json_array ();

        json_array_foreach (layers, i, d)
          {
            int64_t sz = 0;

            if (mc_json_get_int64 (json_array_get (json_object_get (store, "layer_sizes"), i), &sz) < 0)
              sz = 0;
            json_array_append_new (out, json_pack ("{s:O, s:I}", "digest", d, "size", (json_int_t) sz));
          }
        json_object_set_new (img, "layers", out);
      }
  }
  json_object_del (img, "store");
  attach_aliases (img, aliases, fp);
  return img;
}

json_t *
mc_image_get (struct mc_store *s, const char *fp, mc_error_t *err)
{
  cleanup_free char *key = xasprintf ("image:%s", fp);
  json_t *rec, *aliases, *img = mc_store_cached (s, key);

  if (img)
    return img;
  if ((rec = mc_image_record_load (s, fp, err)) == NULL)
    return NULL;
  aliases = mc_aliases_load (s, err);
  if (aliases == NULL)
    {
      json_decref (rec);
      return NULL;
    }
  img = image_view (rec, aliases, fp);
  json_decref (rec);
  json_decref (aliases);
  mc_store_keep (s, key, img);
  return img;
}

static const char *
sort_key (json_t *img)
{
  json_t *first = json_array_get (json_object_get (img, "aliases"), 0);

  if (first)
    return json_string_value (json_object_get (first, "name"));
  return json_string_value (json_object_get (img, "fingerprint"));
}

static int
compare_images (const void *a, const void *b)
{
  json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
  int xa = json_array_size (json_object_get (x, "aliases")) > 0;
  int ya = json_array_size (json_object_get (y, "aliases")) > 0;

  if (xa != ya)
    return ya - xa;
  return strcmp (sort_key (x), sort_key (y));
}

json_t *
mc_image_list (struct mc_store *s, mc_error_t *err)
{
  json_t *fps = list_fingerprints (s, "", err);
  json_t *out, *fpv;
  json_t **items;
  size_t i, n;

  if (fps == NULL)
    return NULL;
  n = json_array_size (fps);
  items = xmalloc0 (sizeof (*items) * (n + 1));
  json_array_foreach (fps, i, fpv)
    {
      items[i] = mc_image_get (s, json_string_value (fpv), err);
      if (items[i] == NULL)
        {
          while (i-- > 0)
            json_decref (items[i]);
          free (items);
          json_decref (fps);
          return NULL;
        }
    }
  qsort (items, n, sizeof (*items), compare_images);
  out = json_array ();
  for (i = 0; i < n; i++)
    json_array_append_new (out, items[i]);
  free (items);
  json_decref (fps);
  return out;
}
