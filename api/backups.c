#include "api/backups.h"
#include "api/operations.h"
#include "runtime/container.h"
#include "runtime/history/backup.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NEVER "0001-01-01T00:00:00Z"

/* containers/NAME/backups (made with CREATE); -2 when there is none.  */
static int
backups_dir (struct mc_store *s, const char *name, bool create, mc_error_t *err)
{
  cleanup_close int cfd = mc_container_open_dir (s, name, err);
  int fd;

  if (cfd < 0)
    return -1;
  if (create && mkdirat (cfd, "backups", 0700) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s/containers/%s/backups`", s->root, name);
  fd = openat (cfd, "backups", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && !create)
    return -2;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s/containers/%s/backups`", s->root, name);
  return fd;
}

static bool
is_true_text (const char *s)
{
  return s && strcmp (s, "true") == 0;
}

/* BACKUP's files in BFD removed (the record first: a listed backup
 * always has its tarball).  */
static int
remove_backup (int bfd, const char *backup, mc_error_t *err)
{
  cleanup_free char *rec = xasprintf ("%s.yaml", backup), *tar = xasprintf ("%s.tar.gz", backup);

  if (unlinkat (bfd, rec, 0) < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "remove backup `%s`", backup);
  if (unlinkat (bfd, tar, 0) < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "remove backup `%s`", backup);
  return 0;
}

/* NAME's backups, LXD's objects; the expired ones left out, and removed
 * when PRUNE (the caller holds NAME's lock: a backup being made under the
 * same name is never removed by someone else).  */
static json_t *
backup_list (struct mc_store *s, const char *name, bool prune, mc_error_t *err)
{
  cleanup_close int bfd = backups_dir (s, name, false, err);
  cleanup_json json_t *names = NULL;
  json_t *out, *v;
  time_t now = time (NULL);
  size_t i;

  if (bfd == -2)
    return json_array ();
  if (bfd < 0 || (names = mc_yaml_names_at (bfd, "backups", err)) == NULL)
    return NULL;
  out = json_array ();
  json_array_foreach (names, i, v)
    {
      const char *b = json_string_value (v);
      cleanup_free char *file = xasprintf ("%s.yaml", b);
      mc_error_t e = NULL;
      json_t *rec = mc_yaml_load_mapping_at (bfd, file, &e);
      time_t exp;
      bool only;

      if (rec == NULL)
        {
          /* Removed meanwhile (or unreadable): not listed.  */
          mc_error_release (&e);
          continue;
        }
      exp = mc_parse_time (json_string_value (json_object_get (rec, "expires_at")));
      if (exp > 0 && exp <= now)
        {
          if (prune && remove_backup (bfd, b, &e) < 0)
            mc_error_release (&e);
          json_decref (rec);
          continue;
        }
      /* Its name is its file's, whatever the record says.  */
      json_object_set_new (rec, "name", json_string (b));
      /* (YAML's scalars load as strings)  */
      only = json_is_true (json_object_get (rec, "instance_only"))
             || is_true_text (json_string_value (json_object_get (rec, "instance_only")));
      json_object_set_new (rec, "instance_only", json_boolean (only));
      json_object_set_new (rec, "container_only", json_boolean (only));
      json_object_set_new (rec, "optimized_storage", json_false ());
      json_array_append_new (out, rec);
    }
  return out;
}

int
mc_api_backups_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all, *out, *b;
  size_t i;

  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if ((all = backup_list (ctx->store, args[0], false, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  if (mc_api_recursion (req) > 0)
    {
      mc_api_sync (r, all);
      return 0;
    }
  out = json_array ();
  json_array_foreach (all, i, b)
    json_array_append_new (out, json_sprintf ("/1.0/instances/%s/backups/%s", args[0],
                                              json_string_value (json_object_get (b, "name"))));
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

/* NAME's backup BACKUP, or NULL (404).  */
static json_t *
backup_get (struct mc_store *s, const char *name, const char *backup)
{
  mc_error_t err = NULL;
  json_t *all = backup_list (s, name, false, &err), *b, *found = NULL;
  size_t i;

  mc_error_release (&err);
  json_array_foreach (all, i, b)
    if (strcmp (json_string_value (json_object_get (b, "name")), backup) == 0)
      found = json_incref (b);
  json_decref (all);
  return found;
}

/* In the operation's child: WORK {name, backup, expires_at, instance_only}.  */
static int
make_backup (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  const char *name = json_string_value (json_object_get (work, "name"));
  const char *backup = json_string_value (json_object_get (work, "backup"));
  cleanup_close int lock = mc_container_lock (s, name, err), bfd = -1;
  cleanup_free char *rec_name = xasprintf ("%s.yaml", backup), *path = NULL, *text = NULL, *now = NULL;
  cleanup_json json_t *rec = NULL, *old = NULL;
  size_t len;

  (void) metadata;
  if (lock < 0 || (bfd = backups_dir (s, name, true, err)) < 0)
    return -1;
  /* (the expired ones go first)  */
  if ((old = backup_list (s, name, true, err)) == NULL)
    return -1;
  if (faccessat (bfd, rec_name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return mc_make_error (err, 0, "Backup `%s` of `%s` already exists", backup, name);
  path = xasprintf ("%s/containers/%s/backups/%s.tar.gz", s->root, name, backup);
  if (mc_backup_export (s, name, path, json_is_true (json_object_get (work, "instance_only")), err) < 0)
    return -1;
  now = mc_api_now ();
  rec = json_pack ("{s:s, s:s, s:O, s:O}", "name", backup, "created_at", now, "expires_at",
                   json_object_get (work, "expires_at"), "instance_only", json_object_get (work, "instance_only"));
  if (mc_yaml_dump (rec, &text, &len, err) < 0 || mc_write_file_atomic_at (bfd, rec_name, text, len, 0600, err) < 0)
    {
      mc_error_t e = NULL;

      if (remove_backup (bfd, backup, &e) < 0)
        mc_error_release (&e);
      return -1;
    }
  return 0;
}

/* LXD's next free backupN.  */
static char *
next_backup_name (struct mc_store *s, const char *name)
{
  mc_error_t err = NULL;
  json_t *all = backup_list (s, name, false, &err), *b;
  long next = 0;
  size_t i;

  mc_error_release (&err);
  json_array_foreach (all, i, b)
    {
      const char *n = json_string_value (json_object_get (b, "name"));
      char *end;
      long k;

      if (strncmp (n, "backup", 6) != 0 || n[6] == '\0')
        continue;
      k = strtol (n + 6, &end, 10);
      if (*end == '\0' && k >= next)
        next = k + 1;
    }
  json_decref (all);
  return xasprintf ("backup%ld", next);
}

int
mc_api_backups_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  const char *given = json_string_value (json_object_get (req->body, "name"));
  const char *expires = json_string_value (json_object_get (req->body, "expires_at"));
  const char *compression = json_string_value (json_object_get (req->body, "compression_algorithm"));
  cleanup_free char *backup = NULL, *url = NULL, *inst = NULL;
  cleanup_json json_t *work = NULL, *res = NULL;
  mc_error_t err = NULL;

  if (req->body && !json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid backup: expected a JSON object");
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (json_is_true (json_object_get (req->body, "optimized_storage")))
    return mc_api_error (r, 400, "Optimized storage backups are not supported: minictr's one store has no "
                                 "optimized format");
  if (compression && *compression && strcmp (compression, "gzip") != 0)
    return mc_api_error (r, 400, "Compression `%s` is not supported: backups are gzip tarballs", compression);
  if (given && strchr (given, '/'))
    return mc_api_error (r, 400, "Backup names may not contain slashes");
  backup = given && *given ? xstrdup (given) : next_backup_name (ctx->store, args[0]);
  if (mc_plain_name_validate ("backup", backup, &err) < 0)
    return mc_api_fail (r, 400, &err);
  if (expires && *expires && mc_parse_time (expires) == 0 && strncmp (expires, "0001-01-01T", 11) != 0)
    return mc_api_error (r, 400, "Invalid expires_at `%s`: an RFC 3339 time", expires);
  work = json_pack ("{s:s, s:s, s:s, s:b}", "name", args[0], "backup", backup, "expires_at",
                    expires && *expires ? expires : NEVER, "instance_only",
                    json_is_true (json_object_get (req->body, "instance_only"))
                      || json_is_true (json_object_get (req->body, "container_only")));
  inst = xasprintf ("/1.0/instances/%s", args[0]);
  url = xasprintf ("/1.0/instances/%s/backups/%s", args[0], backup);
  res = json_pack ("{s:[s], s:[s]}", "instances", inst, "backups", backup);
  return mc_op_start ("Backing up instance", res, make_backup, work, "instance-backup-created", url, r);
}

int
mc_api_backup_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                   struct mc_api_resp *r)
{
  json_t *b = backup_get (ctx->store, args[0], args[1]);

  (void) req;
  if (b == NULL)
    return mc_api_error (r, 404, "Backup not found");
  mc_api_sync (r, b);
  return 0;
}

static int
delete_backup (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  const char *name = json_string_value (json_object_get (work, "name"));
  cleanup_close int lock = mc_container_lock (s, name, err), bfd = -1;

  (void) metadata;
  if (lock < 0 || (bfd = backups_dir (s, name, false, err)) == -1)
    return -1;
  return bfd == -2 ? 0 : remove_backup (bfd, json_string_value (json_object_get (work, "backup")), err);
}

int
mc_api_backup_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  cleanup_json json_t *b = backup_get (ctx->store, args[0], args[1]), *work = NULL, *res = NULL;
  cleanup_free char *url = xasprintf ("/1.0/instances/%s/backups/%s", args[0], args[1]);
  cleanup_free char *inst = xasprintf ("/1.0/instances/%s", args[0]);

  (void) req;
  if (b == NULL)
    return mc_api_error (r, 404, "Backup not found");
  work = json_pack ("{s:s, s:s}", "name", args[0], "backup", args[1]);
  res = json_pack ("{s:[s], s:[s]}", "instances", inst, "backups", args[1]);
  return mc_op_start ("Removing instance backup", res, delete_backup, work, "instance-backup-deleted", url, r);
}

int
mc_api_backup_export (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  cleanup_json json_t *b = backup_get (ctx->store, args[0], args[1]);
  cleanup_free char *tar = xasprintf ("%s.tar.gz", args[1]);
  cleanup_close int bfd = -1;
  mc_error_t err = NULL;
  int fd;

  (void) req;
  if (b == NULL)
    return mc_api_error (r, 404, "Backup not found");
  if ((bfd = backups_dir (ctx->store, args[0], false, &err)) < 0)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Backup not found");
    }
  if ((fd = openat (bfd, tar, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_api_error (r, 500, "open backup `%s` of `%s`: %s", args[1], args[0], strerror (errno));
  mc_api_sync (r, NULL);
  r->raw = true;
  r->parts[0] = fd;
  r->n_parts = 1;
  r->raw_headers = json_pack ("{s:o}", "Content-Disposition:", json_sprintf ("attachment; filename=%s", tar));
  return 0;
}

/* In the operation's child: the backup is its stdin.  */
static int
import_backup (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  const char *name = json_string_value (json_object_get (work, "name"));
  cleanup_free char *made = NULL;

  if (mc_backup_import (s, "/proc/self/fd/0", "uploaded backup", name && *name ? name : NULL, false, &made, err)
      < 0)
    return -1;
  *metadata = json_pack ("{s:s}", "name", made);
  return 0;
}

int
mc_api_instances_import (struct mc_api_ctx *ctx, const struct mc_api_req *req, struct mc_api_resp *r)
{
  const char *name = json_string_value (json_object_get (req->lxd_headers, "name"));
  const char *pool = json_string_value (json_object_get (req->lxd_headers, "pool"));
  cleanup_json json_t *work = NULL;
  mc_error_t err = NULL;

  if (name && *name && mc_container_name_validate (name, &err) < 0)
    return mc_api_fail (r, 400, &err);
  if (name && *name && mc_container_exists (ctx->store, name))
    return mc_api_error (r, 409, "Instance `%s` already exists", name);
  if (pool && *pool && strcmp (pool, "default") != 0)
    return mc_api_error (r, 400, "Storage pool `%s` does not exist (minictr has one store: `default`)", pool);
  if (lseek (req->body_fd, 0, SEEK_SET) < 0)
    return mc_api_error (r, 500, "rewind the uploaded backup: %s", strerror (errno));
  work = json_pack ("{s:s}", "name", name ? name : "");
  return mc_op_answer (mc_op_new ("Restoring backup", NULL, "instance-created", "/1.0/instances"), import_backup,
                       work, req->body_fd, -1, false, r);
}
