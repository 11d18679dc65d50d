#include "runtime/container.h"
#include "runtime/quota.h"
#include "runtime/config/config.h"
#include "runtime/config/device-config.h"
#include "runtime/config/idmap.h"
#include "images/manage.h"
#include "runtime/config/profiles.h"
#include "runtime/files/shift.h"
#include "lib/testhook.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#define CONFIG_NAME "config.yaml"

int
mc_container_name_validate (const char *name, mc_error_t *err)
{
  size_t len = strlen (name), i;

  if (len == 0 || len > MC_NAME_MAX)
    return mc_make_usage_error (err, "invalid container name `%s`: it must be 1 to %d characters long",
                                name, MC_NAME_MAX);
  for (i = 0; i < len; i++)
    if (!isascii ((unsigned char) name[i])
        || !(isalnum ((unsigned char) name[i]) || name[i] == '-'))
      return mc_make_usage_error (err, "invalid container name `%s`: only letters, digits and hyphens are allowed", name);
  if (isdigit ((unsigned char) name[0]) || name[0] == '-')
    return mc_make_usage_error (err, "invalid container name `%s`: it must not start with a digit or a hyphen", name);
  if (name[len - 1] == '-')
    return mc_make_usage_error (err, "invalid container name `%s`: it must not end with a hyphen", name);
  return 0;
}

int
mc_containers_dir (struct mc_store *s, mc_error_t *err)
{
  /* 0711: the per-container dirs below are 0700 (runtime/container.h).  */
  return mc_store_subdir (s, "containers", 0711, err);
}

int
mc_container_open_dir (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int own = -1;
  int cfd = s->containersfd, fd;
  struct stat st;

  if (mc_container_name_validate (name, err) < 0)
    return -1;
  if (cfd < 0 && (cfd = own = mc_containers_dir (s, err)) < 0)
    return -1;
  fd = openat (cfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return mc_make_error (err, 0, "container `%s` not found", name);
  if (fd < 0)
    return mc_make_error (err, errno, "open container `%s`", name);
  /* 0700: no host user but root reaches its layer (a setuid file that
   * container root placed there, a host-root-owned one in a privileged
   * container's).  Containers made by older versions were 0711.  A
   * chmod, even to the same mode, writes the inode (its ctime): only
   * when needed.  */
  if (fstat (fd, &st) < 0 || (st.st_mode & 07777) != 0700)
    (void) fchmod (fd, 0700);
  return fd;
}

bool
mc_container_exists (struct mc_store *s, const char *name)
{
  cleanup_free char *path = NULL;
  mc_error_t err = NULL;

  /* Not a name (`..`, `.tmp-import-1`): not a container.  */
  if (mc_container_name_validate (name, &err) < 0)
    {
      mc_error_release (&err);
      return false;
    }
  path = xasprintf ("containers/%s", name);
  return faccessat (s->rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static mc_container_recover_fn recover_hook;

void
mc_container_set_recover (mc_container_recover_fn fn)
{
  recover_hook = fn;
}

int
mc_container_lock_bare (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int dfd = mc_container_open_dir (s, name, err);

  if (dfd < 0)
    return -1;
  return mc_lock_at (dfd, ".lock", true, false, err);
}

int
mc_container_lock (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int lock = mc_container_lock_bare (s, name, err);

  if (lock < 0)
    return -1;
  if (recover_hook && recover_hook (s, name, err) < 0)
    return mc_error_prefix (err, "finish what an interrupted command left on `%s`", name);
  return steal_fd (&lock);
}

json_t *
mc_container_config_load_at (int dfd, mc_error_t *err)
{
  json_t *cfg = mc_yaml_load_mapping_at (dfd, CONFIG_NAME, err);

  if (cfg == NULL)
    return NULL;
  /* YAML scalars load as strings; these two are booleans in LXD's API. */
  json_object_set_new (cfg, "ephemeral", json_boolean (json_is_true (json_object_get (cfg, "ephemeral"))
                                                       || (json_is_string (json_object_get (cfg, "ephemeral"))
                                                           && strcmp (json_string_value (json_object_get (cfg, "ephemeral")), "true") == 0)));
  json_object_set_new (cfg, "stateful", json_false ());
  if (!json_is_object (json_object_get (cfg, "config")))
    json_object_set_new (cfg, "config", json_object ());
  if (!json_is_object (json_object_get (cfg, "devices")))
    json_object_set_new (cfg, "devices", json_object ());
  return cfg;
}

json_t *
mc_container_config_load (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int dfd = mc_container_open_dir (s, name, err);

  if (dfd < 0)
    return NULL;
  return mc_container_config_load_at (dfd, err);
}

int
mc_container_config_save_at (int dfd, json_t *cfg, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_yaml_dump (cfg, &buf, &len, err) < 0)
    return -1;
  return mc_write_file_atomic_at (dfd, CONFIG_NAME, buf, len, 0600, err);
}

int
mc_container_config_save (struct mc_store *s, const char *name, json_t *cfg, mc_error_t *err)
{
  cleanup_close int dfd = mc_container_open_dir (s, name, err);

  if (dfd < 0)
    return -1;
  return mc_container_config_save_at (dfd, cfg, err);
}

void
mc_random_uuid (char out[37])
{
  unsigned char b[16];
  size_t i;
  char *p = out;

  if (getrandom (b, sizeof (b), 0) != (ssize_t) sizeof (b))
    memset (b, 0x5a, sizeof (b));
  b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
  for (i = 0; i < 16; i++)
    {
      p += sprintf (p, "%02x", b[i]);
      if (i == 3 || i == 5 || i == 7 || i == 9)
        *p++ = '-';
    }
  *p = '\0';
}

static void
set_str (json_t *obj, const char *key, const char *value)
{
  json_object_set_new (obj, key, json_string (value));
}

/* config: image.* from the image's properties, volatile.* identity.  */
static json_t *
initial_config (json_t *img, const char *fp, const struct mc_idmap *map)
{
  json_t *config = json_object (), *v;
  const char *key;
  char buf[64], uuid[37];

  set_str (config, "image.architecture", json_string_value (json_object_get (img, "architecture")));
  json_object_foreach (json_object_get (img, "properties"), key, v)
    {
      cleanup_free char *k = xasprintf ("image.%s", key);
      json_object_set (config, k, v);
    }
  set_str (config, "volatile.base_image", fp);
  snprintf (buf, sizeof (buf), "%u", map->uid_base);
  set_str (config, "volatile.idmap.base", buf);
  snprintf (buf, sizeof (buf), "%u", map->uid_count);
  set_str (config, "volatile.idmap.size", buf);
  mc_random_uuid (uuid);
  set_str (config, "volatile.uuid", uuid);
  /* The image's `create` templates are applied at the first start.  */
  set_str (config, "volatile.apply_template", "create");
  return config;
}

static json_t *
profiles_array (const struct mc_create_request *req)
{
  json_t *arr = json_array ();
  size_t i;

  if (req->profiles == NULL)
    json_array_append_new (arr, json_string ("default"));
  for (i = 0; req->profiles && i < req->n_profiles; i++)
    json_array_append_new (arr, json_string (req->profiles[i]));
  return arr;
}

/* Keys given on stdin (`minictr init IMAGE NAME < c.yaml`) win, except
 * volatile.* ones: a copy gets a new identity.  */
static void
apply_overrides (json_t *cfg, json_t *over)
{
  json_t *config = json_object_get (cfg, "config"), *v;
  const char *key;

  json_object_foreach (json_object_get (over, "config"), key, v)
    if (!mc_str_has_prefix (key, "volatile.") && json_is_string (v))
      json_object_set (config, key, v);
  if (json_is_object (json_object_get (over, "devices")))
    json_object_set (cfg, "devices", json_object_get (over, "devices"));
  if (json_is_array (json_object_get (over, "profiles")))
    json_object_set (cfg, "profiles", json_object_get (over, "profiles"));
  if (json_is_string (json_object_get (over, "description")))
    json_object_set (cfg, "description", json_object_get (over, "description"));
}

static json_t *
build_config (const struct mc_create_request *req, json_t *img, const char *fp,
              const struct mc_idmap *map)
{
  json_t *cfg = json_object ();
  char now[64];

  mc_format_time ((int64_t) time (NULL), now, sizeof (now));
  json_object_set (cfg, "architecture", json_object_get (img, "architecture"));
  json_object_set_new (cfg, "config", initial_config (img, fp, map));
  json_object_set_new (cfg, "devices", json_object ());
  json_object_set_new (cfg, "ephemeral", json_boolean (req->ephemeral));
  json_object_set_new (cfg, "profiles", profiles_array (req));
  json_object_set_new (cfg, "stateful", json_false ());
  set_str (cfg, "description", "");
  set_str (cfg, "created_at", now);
  set_str (cfg, "last_used_at", "0001-01-01T00:00:00Z");
  if (req->overrides)
    apply_overrides (cfg, req->overrides);
  return cfg;
}

/* The upper layer's root is the merged root: give it the owner container
 * root maps to (else / would show up as nobody inside) and the image's
 * root mode.  */
static int
make_layers (int dfd, const char *image_rootfs, json_t *cfg, mc_error_t *err)
{
  bool privileged = mc_config_get_bool (cfg, "security.privileged", false);
  uint32_t base, size;
  uid_t owner;
  struct mc_layer_ids ids;
  static const char *const dirs[] = { "upper", "work", "rootfs", "lower" };
  struct stat st;
  size_t i;

  mc_idmap_of_config (cfg, &base, &size);
  owner = privileged ? 0 : (uid_t) base;
  if (stat (image_rootfs, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", image_rootfs);
  for (i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    if (mkdirat (dfd, dirs[i], i == 0 ? st.st_mode & 07777 : 0700) < 0)
      return mc_make_error (err, errno, "mkdir `%s`", dirs[i]);
  if (fchownat (dfd, "upper", owner, owner, AT_SYMLINK_NOFOLLOW) < 0
      || fchmodat (dfd, "upper", st.st_mode & 07777, 0) < 0)
    return mc_make_error (err, errno, "chown the upper layer");
  ids = (struct mc_layer_ids){ .base = owner, .size = privileged ? UINT32_MAX : size, .raw = NULL };
  return mc_layer_idmap_set (dfd, "upper", &ids, err);
}

/* The root disk's size, on the new layer.  */
static int
root_quota (struct mc_store *s, int dfd, const char *name, json_t *cfg, mc_error_t *err)
{
  cleanup_json json_t *exp = mc_config_expand (s, cfg, err);
  cleanup_free char *cpath = xasprintf ("%s/containers/%s", s->root, name);

  return exp ? mc_root_quota_apply_at (dfd, cpath, json_object_get (exp, "devices"), err) : -1;
}

static int
populate (struct mc_store *s, int dfd, const struct mc_create_request *req,
          mc_error_t *err)
{
  char fp[MC_FP_HEX_LEN + 1];
  cleanup_free char *rootfs = NULL;
  struct mc_idmap map;
  json_t *img, *cfg;
  int ret;

  if (mc_image_resolve (s, req->image, fp, err) < 0 || mc_image_check_usable (s, fp, err) < 0)
    return -1;
  /* oci.* keys (and `launch -- COMMAND`) are for OCI images.  */
  if (!mc_image_is_oci (s, fp))
    {
      const char *key;
      json_t *v;

      json_object_foreach (json_object_get (req->overrides, "config"), key, v)
        if (mc_str_has_prefix (key, "oci."))
          return mc_make_error (err, 0, "%s: image %.12s is not an OCI image (a command after `--`, and oci.* keys, "
                                        "are for OCI images)", key, fp);
    }
  if (mc_idmap_host_default (&map, err) < 0 || (img = mc_image_get (s, fp, err)) == NULL)
    return -1;
  cfg = build_config (req, img, fp, &map);
  json_decref (img);
  if (mc_config_device_keys (s, cfg, req->device_keys, req->n_device_keys, err) < 0)
    {
      json_decref (cfg);
      return -1;
    }
  /* (an OCI image's lowers, top first: its base layer's root is the
     image's root)  */
  if ((rootfs = mc_image_lowerdir (s, fp, err)) == NULL)
    {
      json_decref (cfg);
      return -1;
    }
  ret = make_layers (dfd, strrchr (rootfs, ':') ? strrchr (rootfs, ':') + 1 : rootfs, cfg, err);
  if (ret == 0)
    ret = root_quota (s, dfd, req->name, cfg, err);
  if (ret == 0)
    ret = mc_container_config_save_at (dfd, cfg, err);
  json_decref (cfg);
  return ret;
}

/* Profiles must exist and given config must validate before anything
 * is created.  */
static int
check_request (struct mc_store *s, const struct mc_create_request *req, mc_error_t *err)
{
  json_t *profiles = json_object_get (req->overrides, "profiles"), *p, *prof;
  size_t i;

  if (req->overrides && mc_config_validate_doc (req->overrides, err) < 0)
    return -1;
  for (i = 0; req->profiles && i < req->n_profiles; i++)
    {
      if ((prof = mc_profile_load (s, req->profiles[i], err)) == NULL)
        return -1;
      json_decref (prof);
    }
  if (profiles && !json_is_array (profiles))
    return mc_make_error (err, 0, "`profiles` must be a list of profile names");
  json_array_foreach (profiles, i, p)
    {
      if (!json_is_string (p) || (prof = mc_profile_load (s, json_string_value (p), err)) == NULL)
        return json_is_string (p) ? -1 : mc_make_error (err, 0, "`profiles` must be a list of profile names");
      json_decref (prof);
    }
  return 0;
}

int
mc_container_create (struct mc_store *s, const struct mc_create_request *req,
                     mc_error_t *err)
{
  cleanup_close int cfd = -1;
  cleanup_close int dfd = -1;
  cleanup_close int storelock = -1;
  cleanup_free char *tmp = NULL;
  mc_error_t e2 = NULL;

  if (mc_container_name_validate (req->name, err) < 0 || (cfd = mc_containers_dir (s, err)) < 0)
    return -1;
  if (faccessat (cfd, req->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return mc_make_error (err, 0, "container `%s` already exists", req->name);
  if (check_request (s, req, err) < 0 || (storelock = mc_store_lock_shared (s, err)) < 0)
    return -1;
  tmp = xasprintf (".tmp-create-%s-%d", req->name, (int) getpid ());
  if (mkdirat (cfd, tmp, 0700) < 0)
    return mc_make_error (err, errno, "mkdir `%s/containers/%s`", s->root, tmp);
  dfd = openat (cfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0 || flock (dfd, LOCK_EX) < 0)
    mc_make_error (err, errno, "open `%s`", tmp);
  else if (populate (s, dfd, req, err) == 0)
    {
      mc_test_point ("create-populated");
      if (renameat2 (cfd, tmp, cfd, req->name, RENAME_NOREPLACE) == 0)
        return 0;
      if (errno == EEXIST)
        mc_make_error (err, 0, "container `%s` already exists", req->name);
      else
        mc_make_error (err, errno, "rename `%s` into place", tmp);
    }
  if (mc_rm_rf_at (cfd, tmp, &e2) < 0)
    mc_error_release (&e2);
  return -1;
}

int
mc_container_remove (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int cfd = mc_containers_dir (s, err);
  cleanup_close int dfd = -1;
  cleanup_free char *trash = NULL;

  if (cfd < 0)
    return -1;
  /* Rename out of sight first, so a half-removed container never shows;
   * flock()ed until removed (sweep_debris).  */
  dfd = openat (cfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0 || flock (dfd, LOCK_EX) < 0)
    return mc_make_error (err, errno, "open container `%s`", name);
  trash = xasprintf (".tmp-delete-%s-%d", name, (int) getpid ());
  if (renameat (cfd, name, cfd, trash) < 0)
    return mc_make_error (err, errno, "rename container `%s`", name);
  mc_test_point ("delete-renamed");
  return mc_rm_rf_at (cfd, trash, err);
}

/* A `.tmp-create-NAME-PID`, `.tmp-delete-NAME-PID` or `.tmp-import-PID`
 * dir of containers/ is the work of command PID, which holds a flock on it while it lives:
 * when PID is gone and the lock free, the command was killed, and its
 * remains go.  (The PID covers the moment between the mkdir and the
 * flock; the lock, a PID reused meanwhile or one of another PID
 * namespace.)  */
static void
sweep_debris (int cfd, const char *entry)
{
  cleanup_close int fd = -1;
  const char *dash = strrchr (entry, '-');
  mc_error_t e = NULL;
  long pid;
  char *end;

  if (!(mc_str_has_prefix (entry, ".tmp-create-") || mc_str_has_prefix (entry, ".tmp-delete-")
        || mc_str_has_prefix (entry, ".tmp-import-"))
      || dash == NULL)
    return;
  pid = strtol (dash + 1, &end, 10);
  if (*end != '\0' || pid <= 0 || (kill ((pid_t) pid, 0) == 0 || errno != ESRCH))
    return;
  fd = openat (cfd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
    return;
  if (mc_rm_rf_at (cfd, entry, &e) < 0)
    mc_error_release (&e);
}

json_t *
mc_container_names (struct mc_store *s, mc_error_t *err)
{
  cleanup_close int cfd = mc_store_subdir_if_any (s, "containers");
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char **names = NULL;
  size_t n = 0;

  if (cfd < 0 && errno == ENOENT)
    return json_array ();
  if (cfd < 0 || (d = mc_opendir_at (cfd, ".")) == NULL)
    return mc_make_error (err, errno, "open `%s/containers`", s->root), NULL;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        {
          sweep_debris (cfd, de->d_name);
          continue;
        }
      names = xrealloc (names, sizeof (char *) * (n + 1));
      names[n++] = xstrdup (de->d_name);
    }
  return mc_json_sorted_strings (names, n);
}
