#include "runtime/history/backup.h"
#include "images/archive.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "images/manage.h"
#include "runtime/history/snapshot.h"
#include "images/tarwrite.h"
#include "lib/testhook.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int
add_yaml (struct mc_tar_writer *w, const char *path, json_t *doc, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_yaml_dump (doc, &buf, &len, err) < 0)
    return -1;
  return mc_tar_writer_add_buffer (w, path, buf, len, 0600, err);
}

static int
write_backup (struct mc_store *s, const char *name, struct mc_tar_writer *w, bool instance_only,
              mc_error_t *err)
{
  cleanup_close int cdir = mc_container_open_dir (s, name, err);
  json_t *cfg = NULL, *snaps = NULL, *index, *names, *v;
  size_t i;
  int ret = -1;

  if (cdir < 0 || (cfg = mc_container_config_load (s, name, err)) == NULL)
    goto out;
  snaps = instance_only ? json_array () : mc_snapshot_list (s, name, err);
  if (snaps == NULL)
    goto out;
  names = json_array ();
  json_array_foreach (snaps, i, v)
    json_array_append (names, json_object_get (v, "name"));
  index = json_pack ("{s:s, s:s, s:s, s:o}", "name", name, "format", "minictr-backup-1",
                     "image", mc_config_get (cfg, "volatile.base_image", ""), "snapshots", names);
  ret = add_yaml (w, "backup/index.yaml", index, err);
  json_decref (index);
  if (ret == 0)
    ret = add_yaml (w, "backup/container/config.yaml", cfg, err);
  if (ret == 0)
    ret = mc_tar_writer_add_tree (w, cdir, "upper", "backup/container/upper", NULL, -1, true, err);
  json_array_foreach (snaps, i, v)
    {
      const char *sn = json_string_value (json_object_get (v, "name"));
      cleanup_free char *rel = xasprintf ("snapshots/%s", sn);
      cleanup_free char *prefix = xasprintf ("backup/snapshots/%s", sn);
      cleanup_close int sfd = -1;
      cleanup_free char *p1 = NULL, *p2 = NULL;

      if (ret < 0)
        break;
      sfd = openat (cdir, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sfd < 0)
        {
          ret = mc_make_error (err, errno, "open snapshot `%s/%s`", name, sn);
          break;
        }
      ret = mc_tar_writer_add_tree (w, sfd, "upper", (p1 = xasprintf ("%s/upper", prefix)), NULL, -1, true, err);
      if (ret == 0)
        ret = mc_tar_writer_add_tree (w, sfd, "config.yaml", (p2 = xasprintf ("%s/config.yaml", prefix)), NULL, -1,
                                      true, err);
      if (ret == 0)
        {
          free (p2);
          ret = mc_tar_writer_add_tree (w, sfd, "snapshot.yaml", (p2 = xasprintf ("%s/snapshot.yaml", prefix)),
                                        NULL, -1, true, err);
        }
    }
out:
  json_decref (snaps);
  json_decref (cfg);
  return ret;
}

int
mc_backup_export (struct mc_store *s, const char *name, const char *path, bool instance_only,
                  mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (path), *base = xstrdup (path), *tmp = NULL;
  const char *dir = dirname (copy);
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  struct mc_freeze fz = { NULL, false, NULL };
  struct mc_tar_writer *w;
  bool unnamed = false, named = false;
  int ret;

  if (dfd < 0)
    return mc_make_error (err, errno, "open directory `%s`", dir);
  if (!mc_container_exists (s, name))
    return mc_make_error (err, 0, "container `%s` not found", name);
  tmp = xasprintf (".%s.tmp-%d", basename (base), (int) getpid ());
  /* Unnamed until it is whole (O_TMPFILE): an export killed on its way
   * leaves nothing in DIR.  A filesystem without O_TMPFILE gets a named
   * temp file.  */
  fd = openat (dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0)
    unnamed = true;
  else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
    fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return mc_make_error (err, errno, "create a file in `%s`", dir);
  w = mc_tar_writer_open (fd, true, err);
  ret = w ? 0 : -1;
  if (ret == 0)
    ret = mc_freeze_if_running (name, &fz, err);
  if (ret == 0)
    ret = write_backup (s, name, w, instance_only, err);
  ret = mc_thaw (&fz, ret, err);
  if (ret == 0)
    {
      ret = mc_tar_writer_close (w, err);
      w = NULL;
    }
  mc_tar_writer_abort (w);
  if (ret == 0 && fsync (fd) < 0)
    ret = mc_make_error (err, errno, "fsync `%s`", path);
  if (ret == 0)
    mc_test_point ("export-written");
  if (ret == 0 && unnamed)
    {
      char proc[64];

      snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
      if (linkat (AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW) < 0)
        ret = mc_make_error (err, errno, "link `%s/%s`", dir, tmp);
      else
        named = true;
    }
  if (ret == 0 && renameat (dfd, tmp, dfd, basename (base)) < 0)
    ret = mc_make_error (err, errno, "rename into `%s`", path);
  if (ret < 0 && (named || !unnamed))
    unlinkat (dfd, tmp, 0);
  return ret < 0 ? mc_error_prefix (err, "export `%s`", name) : 0;
}

/* ---- import ------------------------------------------------------------------ */

/* Whether PATH names the root directory ("/", "//", "/.", "/..", ...).  */
static bool
is_root_path (const char *path)
{
  const char *p = path;
  int depth = 0;

  if (path[0] != '/')
    return false;
  while (*p)
    {
      size_t len;

      p += strspn (p, "/");
      len = strcspn (p, "/");
      if (len == 0)
        break;
      if (len == 2 && strncmp (p, "..", 2) == 0)
        depth = depth > 0 ? depth - 1 : 0;
      else if (!(len == 1 && *p == '.'))
        depth++;
      p += len;
    }
  return depth == 0;
}

/* What a backup's config REL may not bring without --allow-privileged.  */
static int
check_trust (int bdir, const char *rel, mc_error_t *err)
{
  json_t *cfg = mc_yaml_load_mapping_at (bdir, rel, err), *dev;
  const char *dname;
  int ret = 0;

  if (cfg == NULL)
    return -1;
  if (mc_config_get_bool (cfg, "security.privileged", false))
    ret = mc_make_error (err, 0, "backup/%s: security.privileged is true (import with "
                                 "--allow-privileged only a backup you trust)", rel);
  json_object_foreach (json_object_get (cfg, "devices"), dname, dev)
    {
      const char *src = json_string_value (json_object_get (dev, "source"));

      if (ret == 0 && strcmp (json_string_value (json_object_get (dev, "type")) ?: "", "disk") == 0
          && src && is_root_path (src))
        ret = mc_make_error (err, 0, "backup/%s: disk device `%s` shares the host's root directory "
                                     "(import with --allow-privileged only a backup you trust)",
                             rel, dname);
    }
  json_decref (cfg);
  return ret;
}

/* An entry of backup/snapshots/ that backup/index.yaml's SNAPS does not
 * list is an error.  */
static int
unlisted_snapshot (int bdir, json_t *snaps, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (bdir, "snapshots");
  cleanup_free char *first = NULL;
  struct dirent *de;
  json_t *v;
  size_t i;

  if (d == NULL)
    return errno == ENOENT ? 0 : mc_make_error (err, errno, "backup: read snapshots/");
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      bool listed = false;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      json_array_foreach (snaps, i, v)
        if (strcmp (json_string_value (v), de->d_name) == 0)
          listed = true;
      /* (the first by name is named: the same on every file system)  */
      if (!listed && (first == NULL || strcmp (de->d_name, first) < 0))
        {
          free (first);
          first = xstrdup (de->d_name);
        }
    }
  if (errno != 0)
    return mc_make_error (err, errno, "backup: read snapshots/");
  return first ? mc_make_error (err, 0, "backup: snapshots/%s is not in backup/index.yaml", first) : 0;
}

/* What the unpacked backup/ must hold before it becomes a container.  */
static int
check_backup (struct mc_store *s, int bdir, json_t *index, bool allow_privileged, mc_error_t *err)
{
  const char *fmt = json_string_value (json_object_get (index, "format"));
  const char *fp = json_string_value (json_object_get (index, "image"));
  json_t *cfg, *snaps = json_object_get (index, "snapshots"), *v;
  struct stat st;
  size_t i;
  int ret;

  if (fmt == NULL || strcmp (fmt, "minictr-backup-1") != 0)
    return mc_make_error (err, 0, "backup/index.yaml: unknown format `%s`", fmt ? fmt : "");
  if (fp == NULL || mc_image_check_usable (s, fp, err) < 0)
    return mc_error_prefix (err, "the backup needs image `%.12s`; import it first", fp ? fp : "");
  if (fstatat (bdir, "container/upper", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return mc_make_error (err, 0, "backup: no container/upper directory");
  if ((cfg = mc_yaml_load_mapping_at (bdir, "container/config.yaml", err)) == NULL)
    return -1;
  ret = mc_config_validate_doc (cfg, err);
  if (ret == 0 && strcmp (mc_config_get (cfg, "volatile.base_image", ""), fp) != 0)
    ret = mc_make_error (err, 0, "backup: config and index name different images");
  json_decref (cfg);
  if (ret < 0)
    return mc_error_prefix (err, "backup/container/config.yaml");
  if (snaps != NULL && !json_is_array (snaps))
    return mc_make_error (err, 0, "backup/index.yaml: `snapshots` must be a list");
  json_array_foreach (snaps, i, v)
    {
      cleanup_free char *rel = NULL;

      if (!json_is_string (v) || mc_snapshot_name_validate (json_string_value (v), err) < 0)
        return json_is_string (v) ? -1 : mc_make_error (err, 0, "backup/index.yaml: bad snapshot name");
      rel = xasprintf ("snapshots/%s/upper", json_string_value (v));
      if (fstatat (bdir, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
        return mc_make_error (err, 0, "backup: snapshot `%s` has no layer", json_string_value (v));
      free (rel);
      rel = xasprintf ("snapshots/%s/config.yaml", json_string_value (v));
      if (fstatat (bdir, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
        return mc_make_error (err, 0, "backup: snapshot `%s` has no config.yaml", json_string_value (v));
      if (!allow_privileged && check_trust (bdir, rel, err) < 0)
        return -1;
    }
  /* Every snapshot that comes in is one of those checked: a directory the
     index leaves out would arrive unchecked (and a restore of it would
     bring its config in).  */
  if (unlisted_snapshot (bdir, snaps, err) < 0)
    return -1;
  if (!allow_privileged && check_trust (bdir, "container/config.yaml", err) < 0)
    return -1;
  return 0;
}

static int
arrange (int tdir, mc_error_t *err)
{
  static const char *const dirs[] = { "work", "rootfs", "lower" };
  struct stat st;
  size_t i;

  if (renameat (tdir, "backup/container/upper", tdir, "upper") < 0
      || renameat (tdir, "backup/container/config.yaml", tdir, "config.yaml") < 0)
    return mc_make_error (err, errno, "arrange the imported container");
  if (fstatat (tdir, "backup/snapshots", &st, AT_SYMLINK_NOFOLLOW) == 0
      && renameat (tdir, "backup/snapshots", tdir, "snapshots") < 0)
    return mc_make_error (err, errno, "arrange the imported snapshots");
  for (i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    if (mkdirat (tdir, dirs[i], 0700) < 0)
      return mc_make_error (err, errno, "mkdir `%s`", dirs[i]);
  return mc_rm_rf_at (tdir, "backup", err);
}

int
mc_backup_import (struct mc_store *s, const char *path, const char *label, const char *name, bool allow_privileged,
                  char **created, mc_error_t *err)
{
  cleanup_close int in = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_close int cfd = -1, tdir = -1, bdir = -1;
  cleanup_free char *tmp = NULL, *target = NULL;
  struct mc_source src;
  json_t *index = NULL, *cfg;
  mc_error_t e2 = NULL;
  int ret;

  if (label == NULL)
    label = path;
  if (in < 0)
    return mc_make_error (err, errno, "open `%s`", label);
  if (name && mc_container_name_validate (name, err) < 0)
    return -1;
  if ((cfd = mc_containers_dir (s, err)) < 0)
    return -1;
  tmp = xasprintf (".tmp-import-%d", (int) getpid ());
  if (mkdirat (cfd, tmp, 0700) < 0 || (tdir = openat (cfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
      || flock (tdir, LOCK_EX) < 0)
    return mc_make_error (err, errno, "mkdir `%s/containers/%s`", s->root, tmp);
  ret = mc_source_init (&src, in, label, NULL, -1, err);
  if (ret == 0)
    {
      ret = mc_tar_unpack (&src, tdir, MC_UNPACK_BACKUP, NULL, err);
      mc_source_release (&src);
    }
  if (ret == 0 && (bdir = openat (tdir, "backup", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    ret = mc_make_error (err, 0, "not a minictr backup (no backup/ directory)");
  if (ret == 0 && (index = mc_yaml_load_mapping_at (bdir, "index.yaml", err)) == NULL)
    ret = -1;
  if (ret == 0)
    {
      const char *orig = json_string_value (json_object_get (index, "name"));

      target = xstrdup (name ? name : orig ? orig : "");
      if (mc_container_name_validate (target, err) < 0)
        ret = -1;
      else if (mc_container_exists (s, target))
        ret = mc_make_error (err, 0, "container `%s` already exists", target);
    }
  if (ret == 0)
    ret = check_backup (s, bdir, index, allow_privileged, err);
  if (ret == 0)
    ret = arrange (tdir, err);
  /* A new identity, as for a copy: the original may still exist.  */
  if (ret == 0 && (cfg = mc_container_config_load_at (tdir, err)) != NULL)
    {
      char uuid[37];

      mc_random_uuid (uuid);
      json_object_set_new (json_object_get (cfg, "config"), "volatile.uuid", json_string (uuid));
      ret = mc_container_config_save_at (tdir, cfg, err);
      json_decref (cfg);
    }
  else if (ret == 0)
    ret = -1;
  if (ret == 0)
    mc_test_point ("import-unpacked");
  if (ret == 0 && renameat2 (cfd, tmp, cfd, target, RENAME_NOREPLACE) < 0)
    ret = errno == EEXIST ? mc_make_error (err, 0, "container `%s` already exists", target)
                          : mc_make_error (err, errno, "rename `%s` into place", tmp);
  json_decref (index);
  if (ret < 0)
    {
      (void) mc_rm_rf_at (cfd, tmp, &e2);
      mc_error_release (&e2);
      return mc_error_prefix (err, "import `%s`", label);
    }
  if (created)
    *created = steal_pointer (&target);
  return 0;
}
