#include "runtime/history/snapshot.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "lib/paths.h"
#include "lib/testhook.h"
#include "runtime/config/config.h"
#include "runtime/config/profiles.h"
#include "runtime/history/schedule.h"
#include "runtime/files/shift.h"
#include "runtime/state.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
mc_snapshot_name_validate (const char *snap, mc_error_t *err)
{
  return mc_plain_name_validate ("snapshot", snap, err);
}

/* containers/NAME/snapshots, created when CREATE.  */
static int
snapshots_dir (struct mc_store *s, const char *name, bool create, mc_error_t *err)
{
  cleanup_close int dfd = mc_container_open_dir (s, name, err);
  int fd;

  if (dfd < 0)
    return -1;
  if (create && mkdirat (dfd, "snapshots", 0700) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s/containers/%s/snapshots`", s->root, name);
  fd = openat (dfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && !create)
    return -2;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s/containers/%s/snapshots`", s->root, name);
  return fd;
}

static int
open_snapshot (struct mc_store *s, const char *name, const char *snap, mc_error_t *err)
{
  cleanup_close int sfd = -1;
  int fd;

  if (mc_snapshot_name_validate (snap, err) < 0)
    return -1;
  sfd = snapshots_dir (s, name, false, err);
  if (sfd == -1)
    return -1;
  fd = sfd < 0 ? -1 : openat (sfd, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && (sfd < 0 || errno == ENOENT))
    return mc_make_error (err, 0, "snapshot `%s/%s` not found", name, snap);
  if (fd < 0)
    return mc_make_error (err, errno, "open snapshot `%s/%s`", name, snap);
  return fd;
}

/* ---- freezing a running container for a consistent copy -------------- */

/* <run dir>/NAME/snapshot-freeze: NAME was frozen by us for a copy.  */
#define FREEZE_MARK "snapshot-freeze"

int
mc_freeze_if_running (const char *name, struct mc_freeze *f, mc_error_t *err)
{
  cleanup_free char *mark = NULL;
  struct mc_run_state st;
  enum mc_status status;
  int fd;

  f->cg = NULL;
  f->thaw = false;
  f->mark = NULL;
  if (mc_container_status (name, &st, &status, err) < 0)
    return -1;
  if (status != MC_STATUS_RUNNING)
    return 0; /* stopped, or paused by the user (and left so) */
  if (mc_container_cgroup_open (name, &f->cg, err) < 0)
    return -1;
  /* Marked before it is frozen, unmarked once thawed: should we be
   * killed in between, the next command under the lock thaws it
   * (mc_snapshot_recover).  It goes with the run dir at the stop.  */
  if ((mark = mc_state_file_of (name, FREEZE_MARK, false)) != NULL
      && (fd = open (mark, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0)
    close (fd);
  if (mc_cgroup_freeze (f->cg, true, err) < 0)
    {
      mc_error_t e = NULL;

      (void) mc_cgroup_freeze (f->cg, false, &e);
      mc_error_release (&e);
      mc_cgroup_free (f->cg);
      f->cg = NULL;
      if (mark)
        (void) unlink (mark);
      return mc_error_prefix (err, "freeze container `%s`", name);
    }
  f->thaw = true;
  f->mark = steal_pointer (&mark);
  return 0;
}

int
mc_thaw (struct mc_freeze *f, int ret, mc_error_t *err)
{
  mc_error_t e = NULL;

  if (f->thaw && mc_cgroup_freeze (f->cg, false, &e) < 0)
    {
      if (ret == 0)
        {
          ret = mc_error_propagate (err, &e);
        }
      else
        mc_error_release (&e);
    }
  else if (f->thaw && f->mark)
    (void) unlink (f->mark);
  free (f->mark);
  f->mark = NULL;
  mc_cgroup_free (f->cg);
  f->cg = NULL;
  return ret;
}

/* ---- create -------------------------------------------------------------- */

static char *
next_name (int sfd)
{
  cleanup_dir DIR *d = mc_opendir_at (sfd, ".");
  struct dirent *de;
  long next = 0;

  while (d && (de = readdir (d)) != NULL)
    {
      char *end;
      long n;

      if (strncmp (de->d_name, "snap", 4) != 0 || de->d_name[4] < '0' || de->d_name[4] > '9')
        continue;
      n = strtol (de->d_name + 4, &end, 10);
      if (*end == '\0' && n >= next)
        next = n + 1;
    }
  return xasprintf ("snap%ld", next);
}


static int
write_yaml_at (int dfd, const char *file, json_t *doc, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_yaml_dump (doc, &buf, &len, err) < 0)
    return -1;
  return mc_write_file_atomic_at (dfd, file, buf, len, 0600, err);
}

int
mc_snapshot_create (struct mc_store *s, const char *name, const char *snap, bool no_expiry, char **created,
                    mc_error_t *err)
{
  cleanup_close int sfd = -1, cdir = -1, tfd = -1;
  cleanup_free char *sname = NULL, *tmp = NULL;
  struct mc_freeze fz = { NULL, false, NULL };
  mc_error_t e2 = NULL;
  json_t *cfg = NULL, *meta;
  char now[64];
  int ret;

  if ((cdir = mc_container_open_dir (s, name, err)) < 0 || (sfd = snapshots_dir (s, name, true, err)) < 0)
    return -1;
  sname = snap ? xstrdup (snap) : next_name (sfd);
  if (mc_snapshot_name_validate (sname, err) < 0)
    return -1;
  if (faccessat (sfd, sname, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return mc_make_error (err, 0, "snapshot `%s/%s` already exists", name, sname);
  if ((cfg = mc_container_config_load (s, name, err)) == NULL)
    return -1;
  tmp = xasprintf (".tmp-%s-%d", sname, (int) getpid ());
  if (mkdirat (sfd, tmp, 0700) < 0 || (tfd = openat (sfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    {
      json_decref (cfg);
      return mc_make_error (err, errno, "mkdir snapshot `%s/%s`", name, sname);
    }
  ret = mc_freeze_if_running (name, &fz, err);
  if (ret == 0)
    mc_test_point ("snapshot-frozen");
  if (ret == 0)
    ret = mc_copy_tree (cdir, "upper", tfd, "upper", err);
  ret = mc_thaw (&fz, ret, err);
  mc_format_now_ns (now, sizeof (now));
  meta = json_pack ("{s:s, s:s}", "name", sname, "created_at", now);
  if (!no_expiry)
    {
      cleanup_json json_t *exp = mc_config_expand (s, cfg, err);
      const char *expiry = exp ? mc_config_get (exp, "snapshots.expiry", NULL) : NULL;

      if (exp == NULL)
        ret = -1;
      else if (expiry && *expiry)
        {
          time_t when = mc_expiry_after (expiry, time (NULL));
          char iso[64];

          mc_format_time ((int64_t) when, iso, sizeof (iso));
          json_object_set_new (meta, "expires_at", json_string (iso));
        }
    }
  if (ret == 0)
    ret = write_yaml_at (tfd, "config.yaml", cfg, err);
  if (ret == 0)
    ret = write_yaml_at (tfd, "snapshot.yaml", meta, err);
  json_decref (meta);
  json_decref (cfg);
  if (ret == 0)
    mc_test_point ("snapshot-written");
  if (ret == 0 && renameat2 (sfd, tmp, sfd, sname, RENAME_NOREPLACE) < 0)
    ret = errno == EEXIST ? mc_make_error (err, 0, "snapshot `%s/%s` already exists", name, sname)
                          : mc_make_error (err, errno, "commit snapshot `%s/%s`", name, sname);
  if (ret < 0)
    {
      (void) mc_rm_rf_at (sfd, tmp, &e2);
      mc_error_release (&e2);
      return mc_error_prefix (err, "snapshot `%s`", name);
    }
  if (created)
    *created = steal_pointer (&sname);
  return 0;
}

/* ---- list, get, delete, rename ------------------------------------------- */

static int
by_created (const void *a, const void *b)
{
  json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
  int c = strcmp (json_string_value (json_object_get (x, "created_at")),
                  json_string_value (json_object_get (y, "created_at")));

  return c ? c : strcmp (json_string_value (json_object_get (x, "name")),
                         json_string_value (json_object_get (y, "name")));
}

/* The snapshots in SFD (container NAME's snapshots/).  */
static json_t *
list_in (int sfd, const char *name, mc_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  json_t **items = NULL, *out;
  struct dirent *de;
  size_t n = 0, i;

  if ((d = mc_opendir_at (sfd, ".")) == NULL)
    {
      mc_make_error (err, errno, "open snapshots of `%s`", name);
      return NULL;
    }
  out = json_array ();
  while ((de = readdir (d)) != NULL)
    {
      cleanup_close int fd = -1;
      mc_error_t e = NULL;
      json_t *meta;

      if (de->d_name[0] == '.')
        continue;
      fd = openat (sfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || (meta = mc_yaml_load_mapping_at (fd, "snapshot.yaml", &e)) == NULL)
        {
          mc_error_release (&e);
          continue;
        }
      if (!json_is_string (json_object_get (meta, "created_at")))
        json_object_set_new (meta, "created_at", json_string (""));
      json_object_set_new (meta, "name", json_string (de->d_name));
      items = xrealloc (items, sizeof (*items) * (n + 1));
      items[n++] = meta;
    }
  if (n > 1)
    qsort (items, n, sizeof (*items), by_created);
  for (i = 0; i < n; i++)
    json_array_append_new (out, items[i]);
  free (items);
  return out;
}

json_t *
mc_snapshot_list (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int sfd = snapshots_dir (s, name, false, err);

  if (sfd == -1)
    return NULL;
  if (sfd == -2)
    return json_array ();
  return list_in (sfd, name, err);
}

json_t *
mc_snapshot_list_at (int cdir, const char *name, mc_error_t *err)
{
  cleanup_close int sfd = openat (cdir, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (sfd < 0 && errno == ENOENT)
    return json_array ();
  if (sfd < 0)
    {
      mc_make_error (err, errno, "open snapshots of `%s`", name);
      return NULL;
    }
  return list_in (sfd, name, err);
}


json_t *
mc_snapshot_get (struct mc_store *s, const char *name, const char *snap, mc_error_t *err)
{
  cleanup_close int fd = open_snapshot (s, name, snap, err);
  cleanup_json json_t *meta = NULL;
  json_t *cfg;

  if (fd < 0 || (meta = mc_yaml_load_mapping_at (fd, "snapshot.yaml", err)) == NULL
      || (cfg = mc_yaml_load_mapping_at (fd, "config.yaml", err)) == NULL)
    return NULL;
  json_object_set_new (meta, "name", json_string (snap));
  json_object_set_new (meta, "config", cfg);
  return steal_pointer (&meta);
}

int
mc_snapshot_delete (struct mc_store *s, const char *name, const char *snap, mc_error_t *err)
{
  cleanup_close int fd = open_snapshot (s, name, snap, err);
  cleanup_close int sfd = -1;
  cleanup_free char *trash = NULL;

  if (fd < 0 || (sfd = snapshots_dir (s, name, false, err)) < 0)
    return -1;
  trash = xasprintf (".tmp-delete-%s-%d", snap, (int) getpid ());
  if (renameat (sfd, snap, sfd, trash) < 0)
    return mc_make_error (err, errno, "delete snapshot `%s/%s`", name, snap);
  return mc_rm_rf_at (sfd, trash, err);
}

int
mc_snapshot_rename (struct mc_store *s, const char *name, const char *from, const char *to,
                    mc_error_t *err)
{
  cleanup_close int fd = open_snapshot (s, name, from, err);
  cleanup_close int sfd = -1;
  json_t *meta;
  int ret;

  if (fd < 0 || mc_snapshot_name_validate (to, err) < 0 || (sfd = snapshots_dir (s, name, false, err)) < 0)
    return -1;
  if (renameat2 (sfd, from, sfd, to, RENAME_NOREPLACE) < 0)
    return errno == EEXIST ? mc_make_error (err, 0, "snapshot `%s/%s` already exists", name, to)
                           : mc_make_error (err, errno, "rename snapshot `%s/%s`", name, from);
  if ((meta = mc_yaml_load_mapping_at (fd, "snapshot.yaml", err)) == NULL)
    return -1;
  json_object_set_new (meta, "name", json_string (to));
  ret = write_yaml_at (fd, "snapshot.yaml", meta, err);
  json_decref (meta);
  return ret;
}

/* ---- restore ----------------------------------------------------------------- */

/* The overlay's work dir holds only transient state of a mounted
 * overlay: a fresh one goes with a new upper layer.  */
static int
fresh_workdir (int cdir, mc_error_t *err)
{
  if (mc_rm_rf_at (cdir, "work", err) < 0)
    return -1;
  if (mkdirat (cdir, "work", 0700) < 0)
    return mc_make_error (err, errno, "mkdir work");
  return 0;
}

#define RESTORE_MARK ".restore-pending"

int
mc_snapshot_restore (struct mc_store *s, const char *name, const char *snap, mc_error_t *err)
{
  cleanup_close int fd = open_snapshot (s, name, snap, err);
  cleanup_close int cdir = -1;
  cleanup_free char *tmp = NULL;
  struct mc_run_state st;
  enum mc_status status;
  mc_error_t e2 = NULL;
  cleanup_json json_t *cfg = NULL, *cur = NULL;
  bool swapped = false;
  int ret;

  if (fd < 0 || mc_container_status (name, &st, &status, err) < 0)
    return -1;
  if (status != MC_STATUS_STOPPED)
    return mc_make_error (err, 0, "container `%s` is running; stop it first", name);
  if ((cdir = mc_container_open_dir (s, name, err)) < 0)
    return -1;
  if ((cfg = mc_yaml_load_mapping_at (fd, "config.yaml", err)) == NULL)
    return -1;
  if ((cur = mc_container_config_load (s, name, err)) == NULL)
    return -1;
  /* The container keeps its identity and history.  */
  json_object_set (cfg, "created_at", json_object_get (cur, "created_at"));
  json_object_set (cfg, "last_used_at", json_object_get (cur, "last_used_at"));
  json_object_set (json_object_get (cfg, "config"), "volatile.uuid",
                   json_object_get (json_object_get (cur, "config"), "volatile.uuid"));
  tmp = xasprintf (".tmp-restore-%d", (int) getpid ());
  (void) mc_rm_rf_at (cdir, tmp, &e2);
  mc_error_release (&e2);
  ret = mc_copy_tree (fd, "upper", cdir, tmp, err);
  /* From the swap until the config is saved, the layer and the config
   * disagree: the mark, durable before the swap, says so to whoever
   * takes the lock next (mc_snapshot_recover).  */
  if (ret == 0)
    ret = mc_write_file_atomic_at (cdir, RESTORE_MARK, snap, strlen (snap), 0600, err);
  if (ret == 0 && renameat2 (cdir, tmp, cdir, "upper", RENAME_EXCHANGE) < 0)
    ret = mc_make_error (err, errno, "swap in the restored layer");
  if (ret == 0)
    {
      swapped = true;
      mc_test_point ("restore-swapped");
    }
  (void) mc_rm_rf_at (cdir, tmp, &e2);
  mc_error_release (&e2);
  if (ret == 0)
    ret = fresh_workdir (cdir, err);
  if (ret == 0)
    ret = mc_container_config_save (s, name, cfg, err);
  /* Done, or failed before the swap (nothing changed): unmarked.  A
   * failure after the swap stays marked: the next command finishes it. */
  if (ret == 0 || !swapped)
    {
      if (unlinkat (cdir, RESTORE_MARK, 0) < 0 && ret == 0)
        ret = mc_make_error (err, errno, "remove `%s`", RESTORE_MARK);
      else if (ret == 0 && fsync (cdir) < 0)
        ret = mc_make_error (err, errno, "fsync the directory of `%s`", name);
    }
  return ret < 0 ? mc_error_prefix (err, "restore `%s/%s`", name, snap) : 0;
}

/* Under NAME's lock: what a killed snapshot, restore or copy left.  */
int
mc_snapshot_recover (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int cdir = mc_container_open_dir (s, name, err);
  cleanup_free char *mark = NULL, *snap = NULL;
  cleanup_close int sfd = -1, snapfd = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  mc_error_t e = NULL;
  size_t len;

  if (cdir < 0)
    return -1;
  /* Temp dirs: nobody else works on NAME while we hold its lock.  */
  if ((d = mc_opendir_at (cdir, ".")) != NULL)
    while ((de = readdir (d)) != NULL)
      if (mc_str_has_prefix (de->d_name, ".tmp-restore-") && mc_rm_rf_at (cdir, de->d_name, &e) < 0)
        mc_error_release (&e);
  if (d)
    closedir (steal_pointer (&d));
  sfd = openat (cdir, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sfd >= 0 && (d = mc_opendir_at (sfd, ".")) != NULL)
    while ((de = readdir (d)) != NULL)
      if (mc_str_has_prefix (de->d_name, ".tmp-") && mc_rm_rf_at (sfd, de->d_name, &e) < 0)
        mc_error_release (&e);
  /* Left frozen by a snapshot: thawed.  */
  if ((mark = mc_state_file_of (name, FREEZE_MARK, false)) != NULL && access (mark, F_OK) == 0)
    {
      struct mc_freeze f = { NULL, true, steal_pointer (&mark) };

      if (mc_container_cgroup_open (name, &f.cg, &e) < 0)
        {
          /* Stopped meanwhile: nothing is frozen any more.  */
          mc_error_release (&e);
          f.thaw = false;
          (void) unlink (f.mark);
        }
      if (mc_thaw (&f, 0, err) < 0)
        return -1;
    }
  /* A restore left between its swap and its config: done again (it
   * stopped the container first; every start takes the lock, and so
   * comes here, before it runs).  */
  if (mc_read_file_at (cdir, RESTORE_MARK, 4096, &snap, &len, &e) < 0)
    {
      bool none = e->status == ENOENT;

      mc_error_release (&e);
      return none ? 0 : mc_make_error (err, EIO, "read `%s` of container `%s`", RESTORE_MARK, name);
    }
  if (mc_snapshot_name_validate (snap, &e) < 0 || (snapfd = open_snapshot (s, name, snap, &e)) < 0)
    {
      /* Nothing to finish it from: said once, and dropped.  */
      (void) unlinkat (cdir, RESTORE_MARK, 0);
      mc_error_propagate (err, &e);
      return mc_error_prefix (err, "the interrupted restore of `%s` cannot be finished", name);
    }
  return mc_snapshot_restore (s, name, snap, err);
}

/* ---- copy and rename ---------------------------------------------------------- */

static json_t *
copy_config (struct mc_store *s, const struct mc_copy_request *req, int srcfd, mc_error_t *err)
{
  cleanup_json json_t *cfg = srcfd >= 0 ? mc_yaml_load_mapping_at (srcfd, "config.yaml", err)
                                        : mc_container_config_load (s, req->src, err);
  json_t *config;
  char uuid[37], now[64];
  const char *key;
  void *tmp;
  json_t *v;
  size_t i;

  if (cfg == NULL)
    return NULL;
  config = json_object_get (cfg, "config");
  /* A new identity: volatile keys other than the base image and the id
   * map describe the source's life, not the copy's.  */
  json_object_foreach_safe (config, tmp, key, v)
    if (mc_str_has_prefix (key, "volatile.") && strcmp (key, "volatile.base_image") != 0
        && !mc_str_has_prefix (key, "volatile.idmap."))
      json_object_del (config, key);
  mc_random_uuid (uuid);
  json_object_set_new (config, "volatile.uuid", json_string (uuid));
  json_object_set_new (config, "volatile.apply_template", json_string ("copy"));
  mc_format_time ((int64_t) time (NULL), now, sizeof (now));
  json_object_set_new (cfg, "created_at", json_string (now));
  json_object_set_new (cfg, "last_used_at", json_string ("0001-01-01T00:00:00Z"));
  json_object_set_new (cfg, "ephemeral", json_boolean (req->ephemeral));
  if (req->profiles)
    {
      cleanup_json json_t *profiles = json_array ();

      for (i = 0; i < req->n_profiles; i++)
        {
          cleanup_json json_t *p = mc_profile_load (s, req->profiles[i], err);

          if (p == NULL)
            return NULL;
          json_array_append_new (profiles, json_string (req->profiles[i]));
        }
      json_object_set_new (cfg, "profiles", steal_pointer (&profiles));
    }
  json_object_foreach (json_object_get (req->overrides, "config"), key, v)
    {
      if (mc_config_validate (key, json_string_value (v), err) < 0)
        return NULL;
      json_object_set (config, key, v);
    }
  if (json_is_array (json_object_get (req->overrides, "profiles")))
    json_object_set (cfg, "profiles", json_object_get (req->overrides, "profiles"));
  if (mc_config_device_keys (s, cfg, req->device_keys, req->n_device_keys, err) < 0)
    return NULL;
  return steal_pointer (&cfg);
}

int
mc_container_copy (struct mc_store *s, const struct mc_copy_request *req, mc_error_t *err)
{
  cleanup_close int cfd = -1, src = -1, snapfd = -1, dst = -1;
  cleanup_free char *tmp = NULL;
  struct mc_freeze fz = { NULL, false, NULL };
  mc_error_t e2 = NULL;
  json_t *cfg = NULL;
  int ret = 0;

  if (mc_container_name_validate (req->dst, err) < 0 || (cfd = mc_containers_dir (s, err)) < 0)
    return -1;
  if ((src = mc_container_open_dir (s, req->src, err)) < 0)
    return -1;
  if (req->snap && (snapfd = open_snapshot (s, req->src, req->snap, err)) < 0)
    return -1;
  if (faccessat (cfd, req->dst, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return mc_make_error (err, 0, "container `%s` already exists", req->dst);
  if ((cfg = copy_config (s, req, snapfd, err)) == NULL)
    return -1;
  tmp = xasprintf (".tmp-create-%s-%d", req->dst, (int) getpid ());
  if (mkdirat (cfd, tmp, 0700) < 0 || (dst = openat (cfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
      || flock (dst, LOCK_EX) < 0)
    ret = mc_make_error (err, errno, "mkdir `%s/containers/%s`", s->root, tmp);
  if (ret == 0 && snapfd >= 0)
    ret = mc_copy_tree (snapfd, "upper", dst, "upper", err);
  else if (ret == 0)
    {
      ret = mc_freeze_if_running (req->src, &fz, err);
      if (ret == 0)
        ret = mc_copy_tree (src, "upper", dst, "upper", err);
      ret = mc_thaw (&fz, ret, err);
    }
  if (ret == 0 && snapfd < 0 && !req->instance_only && faccessat (src, "snapshots", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    ret = mc_copy_tree (src, "snapshots", dst, "snapshots", err);
  if (ret == 0 && (mkdirat (dst, "work", 0700) < 0 || mkdirat (dst, "rootfs", 0700) < 0
                   || mkdirat (dst, "lower", 0700) < 0))
    ret = mc_make_error (err, errno, "mkdir the layer directories");
  if (ret == 0)
    ret = write_yaml_at (dst, "config.yaml", cfg, err);
  json_decref (cfg);
  if (ret == 0)
    mc_test_point ("copy-populated");
  if (ret == 0 && renameat2 (cfd, tmp, cfd, req->dst, RENAME_NOREPLACE) < 0)
    ret = errno == EEXIST ? mc_make_error (err, 0, "container `%s` already exists", req->dst)
                          : mc_make_error (err, errno, "rename `%s` into place", tmp);
  if (ret < 0)
    {
      (void) mc_rm_rf_at (cfd, tmp, &e2);
      mc_error_release (&e2);
    }
  return ret;
}

int
mc_container_rename (struct mc_store *s, const char *from, const char *to, mc_error_t *err)
{
  cleanup_close int cfd = -1, fd = -1;
  struct mc_run_state st;
  enum mc_status status;

  if (mc_container_name_validate (to, err) < 0 || (fd = mc_container_open_dir (s, from, err)) < 0)
    return -1;
  if (mc_container_status (from, &st, &status, err) < 0)
    return -1;
  if (status != MC_STATUS_STOPPED)
    return mc_make_error (err, 0, "container `%s` is running; stop it first", from);
  if ((cfd = mc_containers_dir (s, err)) < 0)
    return -1;
  if (renameat2 (cfd, from, cfd, to, RENAME_NOREPLACE) < 0)
    return errno == EEXIST ? mc_make_error (err, 0, "container `%s` already exists", to)
                           : mc_make_error (err, errno, "rename `%s`", from);
  return 0;
}

/* ---- schedule and expiry --------------------------------------------------------- */

int
mc_snapshots_tick (struct mc_store *s, const char *name, time_t now, json_t *done, mc_error_t *err)
{
  cleanup_json json_t *list = mc_snapshot_list (s, name, err), *cfg = NULL, *exp = NULL;
  const char *schedule;
  char minute[32], nowiso[64];
  struct tm tm;
  json_t *v;
  size_t i;

  if (list == NULL)
    return -1;
  mc_format_time ((int64_t) now, nowiso, sizeof (nowiso));
  json_array_foreach (list, i, v)
    {
      const char *at = json_string_value (json_object_get (v, "expires_at"));
      const char *snap = json_string_value (json_object_get (v, "name"));

      /* ISO 8601 UTC strings of one length compare as times do.  */
      if (at == NULL || *at == '\0' || strcmp (at, nowiso) > 0)
        continue;
      if (mc_snapshot_delete (s, name, snap, err) < 0)
        return -1;
      json_array_append_new (done, json_pack ("{s:s, s:s}", "snapshot", snap, "action", "expired"));
    }
  if ((cfg = mc_container_config_load (s, name, err)) == NULL || (exp = mc_config_expand (s, cfg, err)) == NULL)
    return -1;
  schedule = mc_config_get (exp, "snapshots.schedule", NULL);
  localtime_r (&now, &tm);
  if (schedule == NULL || *schedule == '\0' || !mc_schedule_due (schedule, &tm))
    return 0;
  if (!mc_config_get_bool (exp, "snapshots.schedule.stopped", false))
    {
      struct mc_run_state st;
      enum mc_status status;

      if (mc_container_status (name, &st, &status, err) < 0)
        return -1;
      if (status == MC_STATUS_STOPPED)
        return 0;
    }
  /* Once in a minute, however often the timer fires in it.  */
  strftime (minute, sizeof (minute), "%Y-%m-%dT%H:%M", &tm);
  if (strcmp (mc_config_get (cfg, "volatile.snapshots.last_scheduled", ""), minute) == 0)
    return 0;
  {
    cleanup_free char *made = NULL;

    if (mc_snapshot_create (s, name, NULL, false, &made, err) < 0)
      return -1;
    json_array_append_new (done, json_pack ("{s:s, s:s}", "snapshot", made, "action", "created"));
  }
  json_decref (cfg);
  if ((cfg = mc_container_config_load (s, name, err)) == NULL)
    return -1;
  json_object_set_new (json_object_get (cfg, "config"), "volatile.snapshots.last_scheduled", json_string (minute));
  return mc_container_config_save (s, name, cfg, err);
}

