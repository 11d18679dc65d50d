#include "api/instances.h"
#include "api/backups.h"
#include "api/operations.h"
#include "runtime/container.h"
#include "runtime/info.h"
#include "runtime/lifecycle.h"
#include "runtime/config/configure.h"
#include "runtime/config/config.h"
#include "runtime/history/snapshot.h"
#include "lib/utils.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* runtime/info.c's object as LXD's InstanceFull has it.  */
static json_t *
instance_json (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *info = mc_container_info (s, name, err);

  if (info == NULL)
    return NULL;
  json_object_set_new (info, "project", json_string ("default"));
  json_object_set_new (info, "location", json_string ("none"));
  if (json_object_get (info, "backups") == NULL)
    json_object_set_new (info, "backups", json_array ());
  return info;
}

/* An error answer for NAME: 404 when there is no such container.  */
static int
instance_error (struct mc_store *s, const char *name, mc_error_t *err, struct mc_api_resp *r)
{
  if (!mc_container_exists (s, name))
    mc_api_error (r, 404, "Instance not found");
  else
    mc_api_error (r, 500, "%s", (*err)->msg);
  mc_error_release (err);
  return 0;
}

/* ---- LXD's filter= (the server side of `lxc list status=running NAME`) ---- */

/* The value of FIELD in an instance: a top-level string ("name",
 * "status", "type", ...) or "config.KEY" (expanded, as LXD's filter sees
 * the config).  */
static const char *
field_value (json_t *inst, const char *field)
{
  if (strncmp (field, "config.", 7) == 0)
    return json_string_value (json_object_get (json_object_get (inst, "expanded_config"), field + 7));
  return json_string_value (json_object_get (inst, field));
}

/* FILTER's clauses "[not] FIELD eq|ne VALUE" joined by "and" (binding
 * tighter) and "or", as LXD's client writes them.  -1 when malformed.  */
static int
filter_match (json_t *inst, const char *filter)
{
  cleanup_free char *buf = xstrdup (filter);
  char *tok[256], *save = NULL, *t;
  size_t n = 0, i = 0;
  bool any = false, all = true;

  for (t = strtok_r (buf, " ", &save); t && n < 256; t = strtok_r (NULL, " ", &save))
    tok[n++] = t;
  if (n == 0)
    return 1;
  while (i < n)
    {
      bool neg = false, hit;
      const char *v;

      if (strcmp (tok[i], "not") == 0)
        neg = true, i++;
      if (i + 3 > n || (strcmp (tok[i + 1], "eq") != 0 && strcmp (tok[i + 1], "ne") != 0))
        return -1;
      v = field_value (inst, tok[i]);
      hit = v != NULL && strcasecmp (v, tok[i + 2]) == 0;
      if (strcmp (tok[i + 1], "ne") == 0)
        hit = !hit;
      all = all && (neg ? !hit : hit);
      i += 3;
      if (i == n || strcmp (tok[i], "or") == 0)
        {
          any = any || all;
          all = true;
        }
      else if (strcmp (tok[i], "and") != 0)
        return -1;
      if (i < n && ++i == n)
        return -1;
    }
  return any;
}

int
mc_api_instances_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  struct mc_store *s = ctx->store;
  int recursion = mc_api_recursion (req);
  cleanup_free char *filter = mc_api_query (req, "filter");
  mc_error_t err = NULL;
  json_t *names = mc_container_names (s, &err), *out, *n;
  size_t i;

  (void) args;
  if (names == NULL)
    return mc_api_fail (r, 500, &err);
  out = json_array ();
  json_array_foreach (names, i, n)
    {
      const char *name = json_string_value (n);
      json_t *one;
      int match;

      if (recursion == 0 && (filter == NULL || *filter == '\0'))
        {
          json_array_append_new (out, json_sprintf ("/1.0/instances/%s", name));
          continue;
        }
      /* One that went away meanwhile is left out.  */
      if ((one = instance_json (s, name, &err)) == NULL)
        {
          mc_error_release (&err);
          continue;
        }
      if (filter && *filter && (match = filter_match (one, filter)) != 1)
        {
          json_decref (one);
          if (match == 0)
            continue;
          json_decref (names);
          json_decref (out);
          return mc_api_error (r, 400, "Invalid filter `%s`: want [not] FIELD eq|ne VALUE, joined by and/or",
                               filter);
        }
      if (recursion == 0)
        {
          json_decref (one);
          json_array_append_new (out, json_sprintf ("/1.0/instances/%s", name));
          continue;
        }
      if (recursion == 1)
        json_object_del (one, "state");
      json_array_append_new (out, one);
    }
  json_decref (names);
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_instance_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  struct mc_store *s = ctx->store;
  mc_error_t err = NULL;
  json_t *one = instance_json (s, args[0], &err);

  if (one == NULL)
    return instance_error (s, args[0], &err, r);
  /* InstanceFull only with recursion (LXD's instance_get_full).  */
  if (mc_api_recursion (req) == 0)
    json_object_del (one, "state");
  mc_api_sync (r, one);
  return 0;
}

int
mc_api_instance_state_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r)
{
  struct mc_store *s = ctx->store;
  mc_error_t err = NULL;
  json_t *one = instance_json (s, args[0], &err);

  (void) req;
  if (one == NULL)
    return instance_error (s, args[0], &err, r);
  mc_api_sync (r, json_incref (json_object_get (one, "state")));
  json_decref (one);
  return 0;
}

/* Run FN in an operation about SOURCE (a URL), answered as LXD does.  */
static int
run_op (const char *what, const char *source, mc_op_fn fn, json_t *work, const char *lifecycle,
        struct mc_api_resp *r)
{
  cleanup_json json_t *res = NULL;

  if (strncmp (source, "/1.0/instances/", 15) == 0)
    {
      /* The instance itself, and the snapshot if it is one.  */
      const char *rest = source + 15;
      cleanup_free char *inst = xasprintf ("/1.0/instances/%.*s", (int) strcspn (rest, "/"), rest);

      res = strchr (rest, '/') ? json_pack ("{s:[s], s:[s]}", "instances", inst, "instances_snapshots", source)
                               : json_pack ("{s:[s]}", "instances", inst);
    }
  return mc_op_start (what, res, fn, work, lifecycle, source, r);
}

/* ---- state ---------------------------------------------------------------- */

/* In the operation's child.  */
static int
change_state (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  const char *name = json_string_value (json_object_get (args, "name"));
  enum mc_state_action action = (enum mc_state_action) json_integer_value (json_object_get (args, "action"));
  cleanup_close int lock = mc_container_lock (s, name, err);

  if (lock < 0)
    return -1;
  return mc_container_change_state (s, name, action, json_is_true (json_object_get (args, "force")),
                                    (int) json_integer_value (json_object_get (args, "timeout")), err);
}

int
mc_api_instance_state_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r)
{
  static const char *const lifecycle[] = { "instance-started", "instance-stopped", "instance-restarted",
                                           "instance-paused", "instance-resumed" };
  static const char *const what[] = { "Starting instance", "Stopping instance", "Restarting instance",
                                      "Freezing instance", "Unfreezing instance" };
  const char *name = args[0];
  const char *action_name = json_string_value (json_object_get (req->body, "action"));
  json_t *timeout = json_object_get (req->body, "timeout"), *force = json_object_get (req->body, "force");
  enum mc_state_action action;
  cleanup_json json_t *work = NULL;
  cleanup_free char *source = xasprintf ("/1.0/instances/%s", name);

  if (!json_is_object (req->body) || action_name == NULL || mc_state_action_parse (action_name, &action) < 0)
    return mc_api_error (r, 400, "Invalid action: want start, stop, restart, freeze or unfreeze");
  if ((timeout && !json_is_integer (timeout)) || (force && !json_is_boolean (force)))
    return mc_api_error (r, 400, "Invalid state change: timeout is a number of seconds, force a boolean");
  if (json_is_true (json_object_get (req->body, "stateful")))
    return mc_api_error (r, 400, "Stateful stop needs live migration (CRIU), which minictr does not do");
  if (!mc_container_exists (ctx->store, name))
    return mc_api_error (r, 404, "Instance not found");
  work = json_pack ("{s:s, s:i, s:b, s:I}", "name", name, "action", (int) action, "force", json_is_true (force),
                    "timeout", timeout ? json_integer_value (timeout) : (json_int_t) -1);
  return run_op (what[action], source, change_state, work, lifecycle[action], r);
}

/* ---- create, delete ----------------------------------------------------------- */

static int
create (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  struct mc_create_request req = {
    .name = json_string_value (json_object_get (args, "name")),
    .image = json_string_value (json_object_get (args, "image")),
    .overrides = json_object_get (args, "overrides"),
    .ephemeral = json_is_true (json_object_get (args, "ephemeral")),
  };
  cleanup_close int lock = -1;

  if (mc_container_create (s, &req, err) < 0)
    return -1;
  if (!json_is_true (json_object_get (args, "start")))
    return 0;
  if ((lock = mc_container_lock (s, req.name, err)) < 0)
    return -1;
  return mc_container_change_state (s, req.name, MC_STATE_START, false, -1, err);
}

/* The writable fields of an instance body, as the container's own
 * document.  */
static const char *const writable_fields[] = { "config", "devices", "profiles", "description", NULL };

static int
copy_op (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  const char *src = json_string_value (json_object_get (args, "source"));
  cleanup_free char *cname = xstrndup (src, strcspn (src, "/"));
  struct mc_copy_request req = {
    .src = cname,
    .snap = strchr (src, '/') ? strchr (src, '/') + 1 : NULL,
    .dst = json_string_value (json_object_get (args, "name")),
    .ephemeral = json_is_true (json_object_get (args, "ephemeral")),
    .instance_only = json_is_true (json_object_get (args, "instance_only")),
    .overrides = json_object_get (args, "overrides"),
  };
  cleanup_close int lock = mc_container_lock (s, cname, err);

  (void) metadata;
  if (lock < 0)
    return -1;
  return mc_container_copy (s, &req, err);
}

/* POST /1.0/instances with {"source": {"type": "copy", "source": "NAME[/SNAP]"}}:
 * `lxc copy` on one server.  The body's config is the source's, volatile
 * keys and all, as the client read it: only the rest is taken over.  */
static int
copy_post (struct mc_api_ctx *ctx, json_t *body, const char *name, struct mc_api_resp *r)
{
  json_t *source = json_object_get (body, "source"), *config = json_object_get (body, "config"), *v, *over;
  const char *src = json_string_value (json_object_get (source, "source"));
  cleanup_json json_t *work = NULL;
  cleanup_free char *cname = NULL, *url = xasprintf ("/1.0/instances/%s", name);
  const char *k;

  if (src == NULL || *src == '\0')
    return mc_api_error (r, 400, "Invalid copy: the source instance is required");
  cname = xstrndup (src, strcspn (src, "/"));
  if (!mc_container_exists (ctx->store, cname))
    return mc_api_error (r, 404, "Instance not found");
  if (mc_container_exists (ctx->store, name))
    return mc_api_error (r, 409, "Instance `%s` already exists", name);
  over = json_object ();
  if (json_is_object (config))
    {
      json_t *c = json_object ();

      json_object_foreach (config, k, v)
        if (strncmp (k, "volatile.", 9) != 0 && json_is_string (v))
          json_object_set (c, k, v);
      json_object_set_new (over, "config", c);
    }
  if (json_is_array (json_object_get (body, "profiles")))
    json_object_set (over, "profiles", json_object_get (body, "profiles"));
  work = json_pack ("{s:s, s:s, s:b, s:b, s:o}", "name", name, "source", src, "ephemeral",
                    json_is_true (json_object_get (body, "ephemeral")), "instance_only",
                    json_is_true (json_object_get (source, "instance_only")), "overrides", over);
  return run_op ("Copying instance", url, copy_op, work, "instance-created", r);
}

int
mc_api_instances_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  json_t *body = req->body, *source = json_object_get (body, "source");
  const char *name = json_string_value (json_object_get (body, "name"));
  const char *type = json_string_value (json_object_get (body, "type"));
  const char *stype = json_string_value (json_object_get (source, "type"));
  const char *image = json_string_value (json_object_get (source, "alias"));
  cleanup_json json_t *work = NULL, *over = NULL;
  cleanup_free char *url = NULL;
  mc_error_t err = NULL;
  char fp[MC_FP_HEX_LEN + 1];

  (void) args;
  if (req->body_fd >= 0)
    return mc_api_instances_import (ctx, req, r);
  if (!json_is_object (body))
    return mc_api_error (r, 400, "Invalid instance: expected a JSON object");
  if (type && *type && strcmp (type, "container") != 0)
    return mc_api_error (r, 400, "Invalid instance type `%s`: minictr runs system containers, not virtual machines",
                         type);
  if (name == NULL || *name == '\0')
    return mc_api_error (r, 400, "Invalid instance: a name is required");
  if (mc_container_name_validate (name, &err) < 0)
    return mc_api_fail (r, 400, &err);
  if (stype && strcmp (stype, "copy") == 0)
    return copy_post (ctx, body, name, r);
  if (stype == NULL || strcmp (stype, "image") != 0)
    return mc_api_error (r, 400, "Invalid source type `%s`: a local image (alias or fingerprint) or a copy",
                         stype ? stype : "");
  if (json_string_value (json_object_get (source, "server")) && *json_string_value (json_object_get (source, "server")))
    return mc_api_error (r, 400, "Images from remote servers are not supported: import the image first");
  if (image == NULL)
    image = json_string_value (json_object_get (source, "fingerprint"));
  if (image == NULL || mc_image_resolve (ctx->store, image, fp, &err) < 0)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Image not found");
    }
  if (mc_container_exists (ctx->store, name))
    return mc_api_error (r, 409, "Instance `%s` already exists", name);
  /* The same checks as `init < file`.  */
  over = mc_api_doc_fields (body, writable_fields);
  if (mc_config_validate_doc (over, &err) < 0)
    return mc_api_fail (r, 400, &err);
  work = json_pack ("{s:s, s:s, s:O, s:b, s:b}", "name", name, "image", fp, "overrides", over, "ephemeral",
                    json_is_true (json_object_get (body, "ephemeral")), "start",
                    json_is_true (json_object_get (body, "start")));
  url = xasprintf ("/1.0/instances/%s", name);
  return run_op ("Creating instance", url, create, work, "instance-created", r);
}

static int
delete_one (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  const char *name = json_string_value (json_object_get (args, "name"));
  cleanup_close int lock = mc_container_lock_bare (s, name, err);

  if (lock < 0)
    return -1;
  return mc_container_delete (s, name, false, err);
}

int
mc_api_instance_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r)
{
  cleanup_json json_t *work = json_pack ("{s:s}", "name", args[0]);
  cleanup_free char *url = xasprintf ("/1.0/instances/%s", args[0]);

  (void) req;
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  return run_op ("Deleting instance", url, delete_one, work, "instance-deleted", r);
}

/* ---- PUT, PATCH: configuration, or a restore -------------------------------------- */

static int
restore (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  const char *name = json_string_value (json_object_get (args, "name"));
  cleanup_close int lock = mc_container_lock (s, name, err);

  if (lock < 0)
    return -1;
  return mc_container_restore (s, name, json_string_value (json_object_get (args, "snapshot")), err);
}

/* The change itself is quick: made here, under the container's lock, the
 * operation only reports it (LXD answers PUT with an operation too).  */
static int
reconfigure (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  const char *name = json_string_value (json_object_get (args, "name"));
  struct mc_config_change change = { .replace = json_object_get (args, "doc") };

  return mc_container_configure (s, name, &change, NULL, err);
}

static int
update (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *name, bool patch, struct mc_api_resp *r)
{
  const char *snap = json_string_value (json_object_get (req->body, "restore"));
  cleanup_json json_t *work = NULL, *doc = NULL, *cur = NULL;
  cleanup_free char *url = xasprintf ("/1.0/instances/%s", name);
  mc_error_t err = NULL;

  if (!json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid instance: expected a JSON object");
  if (!mc_container_exists (ctx->store, name))
    return mc_api_error (r, 404, "Instance not found");
  if (snap && *snap)
    {
      /* LXD's client says "NAME/SNAP".  */
      size_t n = strlen (name);

      if (strncmp (snap, name, n) == 0 && snap[n] == '/')
        snap += n + 1;
      work = json_pack ("{s:s, s:s}", "name", name, "snapshot", snap);
      return run_op ("Restoring snapshot", url, restore, work, "instance-restored", r);
    }
  doc = mc_api_doc_fields (req->body, writable_fields);
  if (patch)
    {
      json_t *mine;

      if ((cur = mc_container_config_load (ctx->store, name, &err)) == NULL)
        return mc_api_fail (r, 500, &err);
      mine = mc_api_doc_fields (cur, writable_fields);
      mc_api_doc_patch (mine, doc);
      json_decref (doc);
      doc = mine;
    }
  work = json_pack ("{s:s, s:O}", "name", name, "doc", doc);
  return run_op ("Updating instance", url, reconfigure, work, "instance-updated", r);
}

int
mc_api_instance_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  return update (ctx, req, args[0], false, r);
}

int
mc_api_instance_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  return update (ctx, req, args[0], true, r);
}

/* ---- snapshots ------------------------------------------------------------------ */

/* runtime/history/snapshot.c's {name, created_at, expires_at, config: the
 * saved document} as LXD's InstanceSnapshot (config and devices at the
 * top, booleans as booleans).  */
static json_t *
snapshot_json (struct mc_store *s, const char *name, const char *snap, mc_error_t *err)
{
  static const struct
  {
    const char *key;
    json_type type;
  } fields[] = { { "config", JSON_OBJECT }, { "devices", JSON_OBJECT }, { "profiles", JSON_ARRAY },
                 { "architecture", JSON_STRING }, { "description", JSON_STRING } };
  json_t *raw = mc_snapshot_get (s, name, snap, err), *doc, *out, *v;
  size_t i;

  if (raw == NULL)
    return NULL;
  doc = json_object_get (raw, "config");
  out = json_pack ("{s:s, s:b, s:b}", "name", snap, "ephemeral", 0, "stateful", 0);
  for (i = 0; i < sizeof (fields) / sizeof (fields[0]); i++)
    {
      v = json_object_get (doc, fields[i].key);
      if (v && json_typeof (v) == fields[i].type)
        json_object_set (out, fields[i].key, v);
      else
        json_object_set_new (out, fields[i].key, fields[i].type == JSON_OBJECT  ? json_object ()
                                                 : fields[i].type == JSON_ARRAY ? json_array ()
                                                                                : json_string (""));
    }
  if (json_is_string (v = json_object_get (raw, "created_at")))
    json_object_set (out, "created_at", v);
  if (json_is_string (v = json_object_get (raw, "expires_at")))
    json_object_set (out, "expires_at", v);
  json_decref (raw);
  return out;
}

int
mc_api_snapshots_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all, *out, *sn;
  bool full = mc_api_recursion (req) > 0;
  size_t i;

  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if ((all = mc_snapshot_list (ctx->store, args[0], &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  out = json_array ();
  json_array_foreach (all, i, sn)
    {
      const char *sname = json_string_value (json_object_get (sn, "name"));
      json_t *one;

      if (!full)
        {
          json_array_append_new (out, json_sprintf ("/1.0/instances/%s/snapshots/%s", args[0], sname));
          continue;
        }
      if ((one = snapshot_json (ctx->store, args[0], sname, &err)) == NULL)
        {
          mc_error_release (&err);
          continue;
        }
      json_array_append_new (out, one);
    }
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_snapshot_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *one;

  (void) req;
  if ((one = snapshot_json (ctx->store, args[0], args[1], &err)) == NULL)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Snapshot not found");
    }
  mc_api_sync (r, one);
  return 0;
}

static int
snapshot_op (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  const char *name = json_string_value (json_object_get (args, "name"));
  const char *snap = json_string_value (json_object_get (args, "snapshot"));
  cleanup_close int lock = mc_container_lock (s, name, err);

  if (lock < 0)
    return -1;
  if (json_is_true (json_object_get (args, "delete")))
    return mc_snapshot_delete (s, name, snap, err);
  return mc_snapshot_create (s, name, snap, false, NULL, err);
}

int
mc_api_snapshots_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  const char *snap = json_string_value (json_object_get (req->body, "name"));
  cleanup_json json_t *work = NULL;
  cleanup_free char *url = NULL;
  cleanup_json json_t *list = NULL;
  mc_error_t err = NULL;

  if (!json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid snapshot: expected a JSON object");
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (json_is_true (json_object_get (req->body, "stateful")))
    return mc_api_error (r, 400, "Stateful snapshots need live migration (CRIU), which minictr does not do");
  if (snap && *snap && mc_snapshot_name_validate (snap, &err) < 0)
    return mc_api_fail (r, 400, &err);
  /* No name: LXD's next snapN, picked in the operation.  */
  work = snap && *snap ? json_pack ("{s:s, s:s}", "name", args[0], "snapshot", snap)
                       : json_pack ("{s:s}", "name", args[0]);
  url = snap && *snap ? xasprintf ("/1.0/instances/%s/snapshots/%s", args[0], snap)
                      : xasprintf ("/1.0/instances/%s", args[0]);
  return run_op ("Snapshotting instance", url, snapshot_op, work, "instance-snapshot-created", r);
}

int
mc_api_snapshot_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r)
{
  cleanup_json json_t *work = json_pack ("{s:s, s:s, s:b}", "name", args[0], "snapshot", args[1], "delete", 1);
  cleanup_free char *url = xasprintf ("/1.0/instances/%s/snapshots/%s", args[0], args[1]);
  mc_error_t err = NULL;
  json_t *one;

  (void) req;
  if ((one = mc_snapshot_get (ctx->store, args[0], args[1], &err)) == NULL)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Snapshot not found");
    }
  json_decref (one);
  return run_op ("Deleting snapshot", url, snapshot_op, work, "instance-snapshot-deleted", r);
}

static int
rename_op (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err)
{
  const char *from = json_string_value (json_object_get (args, "name"));
  cleanup_close int lock = mc_container_lock (s, from, err);

  (void) metadata;
  if (lock < 0)
    return -1;
  return mc_container_rename (s, from, json_string_value (json_object_get (args, "to")), err);
}

int
mc_api_instance_rename (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r)
{
  const char *to = json_string_value (json_object_get (req->body, "name"));
  cleanup_json json_t *work = NULL;
  cleanup_free char *url = xasprintf ("/1.0/instances/%s", args[0]);
  mc_error_t err = NULL;

  if (json_is_true (json_object_get (req->body, "migration")))
    return mc_api_error (r, 400, "Migration between servers is not supported (minictr runs on one host)");
  if (to == NULL)
    return mc_api_error (r, 400, "Invalid rename: a name is required");
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (mc_container_name_validate (to, &err) < 0)
    return mc_api_fail (r, 400, &err);
  work = json_pack ("{s:s, s:s}", "name", args[0], "to", to);
  return run_op ("Renaming instance", url, rename_op, work, "instance-renamed", r);
}
