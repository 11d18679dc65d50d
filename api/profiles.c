#include "api/profiles.h"
#include "runtime/config/configure.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/net/network.h"
#include "runtime/net/nic.h"
#include "lib/utils.h"

#include <unistd.h>

#include <string.h>

/* One profile as LXD shows it, or NULL (*ERR set).  */
static json_t *
profile_json (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *p = mc_profile_load (s, name, err), *users;

  if (p == NULL)
    return NULL;
  if ((users = mc_profile_used_by (s, name, err)) == NULL)
    {
      json_decref (p);
      return NULL;
    }
  json_object_set_new (p, "name", json_string (name));
  /* As URLs, LXD's way.  */
  {
    json_t *urls = json_array (), *u;
    size_t i;

    json_array_foreach (users, i, u)
      json_array_append_new (urls, json_sprintf ("/1.0/instances/%s", json_string_value (u)));
    json_decref (users);
    json_object_set_new (p, "used_by", urls);
  }
  if (json_object_get (p, "description") == NULL)
    json_object_set_new (p, "description", json_string (""));
  return p;
}

typedef json_t *(*names_fn) (struct mc_store *s, mc_error_t *err);
typedef json_t *(*one_fn) (struct mc_store *s, const char *name, mc_error_t *err);

/* A collection at PREFIX: URLs, or with recursion the objects.  */
static int
list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *prefix, names_fn names_of, one_fn one,
      struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *names = names_of (ctx->store, &err), *out, *n;
  bool full = mc_api_recursion (req) > 0;
  size_t i;

  if (names == NULL)
    return mc_api_fail (r, 500, &err);
  out = json_array ();
  json_array_foreach (names, i, n)
    {
      json_t *o;

      if (!full)
        {
          json_array_append_new (out, json_sprintf ("%s/%s", prefix, json_string_value (n)));
          continue;
        }
      if ((o = one (ctx->store, json_string_value (n), &err)) == NULL)
        {
          mc_error_release (&err);
          continue;
        }
      json_array_append_new (out, o);
    }
  json_decref (names);
  mc_api_sync (r, out);
  return 0;
}

static int
get (struct mc_api_ctx *ctx, const char *name, one_fn one, names_fn names_of, const char *what,
     struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *names = names_of (ctx->store, &err), *n, *o;
  bool known = false;
  size_t i;

  json_array_foreach (names, i, n)
    if (strcmp (json_string_value (n), name) == 0)
      known = true;
  json_decref (names);
  mc_error_release (&err);
  if (!known)
    return mc_api_error (r, 404, "%s not found", what);
  if ((o = one (ctx->store, name, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  mc_api_sync (r, o);
  return 0;
}

int
mc_api_profiles_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  (void) args;
  return list (ctx, req, "/1.0/profiles", mc_profile_names, profile_json, r);
}

int
mc_api_profile_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  (void) req;
  return get (ctx, args[0], profile_json, mc_profile_names, "Profile", r);
}

/* runtime/net/network.c's description, which is LXD's shape already.  */
static json_t *
network_json (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *d = mc_network_describe (s, name, err);

  if (d && json_object_get (d, "type") == NULL)
    json_object_set_new (d, "type", json_string ("bridge"));
  return d;
}

int
mc_api_networks_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  (void) args;
  return list (ctx, req, "/1.0/networks", mc_network_names, network_json, r);
}

int
mc_api_network_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  (void) req;
  return get (ctx, args[0], network_json, mc_network_names, "Network", r);
}

/* LXD's network state: the bridge as the kernel has it (`lxc network
 * info`), without the name fields LXD leaves out.  */
int
mc_api_network_state (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *i;

  (void) req;
  if ((i = mc_network_info (ctx->store, args[0], &err)) == NULL)
    return mc_api_fail (r, 404, &err);
  json_object_del (i, "name");
  json_object_del (i, "interface");
  mc_api_sync (r, i);
  return 0;
}

/* `lxc network list-leases`: the addresses recorded on the network.  */
int
mc_api_network_leases (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *l;

  (void) req;
  if ((l = mc_nic_leases (ctx->store, args[0], &err)) == NULL)
    return mc_api_fail (r, 404, &err);
  mc_api_sync (r, l);
  return 0;
}

/* ---- profile changes (sync, as LXD's) ------------------------------------------- */

/* A profile body's own fields.  */
static const char *const profile_fields[] = { "description", "config", "devices", NULL };

int
mc_api_profiles_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  const char *name = json_string_value (json_object_get (req->body, "name"));
  cleanup_json json_t *doc = NULL;
  cleanup_close int lock = -1;
  mc_error_t err = NULL;

  (void) args;
  if (!json_is_object (req->body) || name == NULL)
    return mc_api_error (r, 400, "Invalid profile: a name is required");
  if (mc_profile_name_validate (name, &err) < 0)
    return mc_api_fail (r, 400, &err);
  doc = mc_api_doc_fields (req->body, profile_fields);
  if ((lock = mc_profiles_lock (ctx->store, &err)) < 0 || mc_profile_save (ctx->store, name, doc, true, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

static int
profile_update (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *name, bool patch,
                struct mc_api_resp *r)
{
  cleanup_json json_t *doc = NULL;
  struct mc_config_change change = { 0 };
  mc_error_t err = NULL;
  json_t *names = mc_profile_names (ctx->store, &err), *n;
  bool known = false;
  size_t i;

  json_array_foreach (names, i, n)
    known = known || strcmp (json_string_value (n), name) == 0;
  json_decref (names);
  mc_error_release (&err);
  if (!known)
    return mc_api_error (r, 404, "Profile not found");
  if (!json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid profile: expected a JSON object");
  doc = mc_api_doc_fields (req->body, profile_fields);
  if (patch)
    {
      json_t *cur = mc_profile_load (ctx->store, name, &err), *mine;

      if (cur == NULL)
        return mc_api_fail (r, 500, &err);
      mine = mc_api_doc_fields (cur, profile_fields);
      json_decref (cur);
      mc_api_doc_patch (mine, doc);
      json_decref (doc);
      doc = mine;
    }
  change.replace = doc;
  if (mc_profile_configure (ctx->store, name, &change, NULL, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_profile_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  return profile_update (ctx, req, args[0], false, r);
}

int
mc_api_profile_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  return profile_update (ctx, req, args[0], true, r);
}

int
mc_api_profile_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  cleanup_close int lock = -1;
  mc_error_t err = NULL;
  json_t *names = mc_profile_names (ctx->store, &err), *n;
  bool known = false;
  size_t i;

  (void) req;
  json_array_foreach (names, i, n)
    known = known || strcmp (json_string_value (n), args[0]) == 0;
  json_decref (names);
  mc_error_release (&err);
  if (!known)
    return mc_api_error (r, 404, "Profile not found");
  if ((lock = mc_profiles_lock (ctx->store, &err)) < 0 || mc_profile_delete (ctx->store, args[0], &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_profile_rename (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  const char *to = json_string_value (json_object_get (req->body, "name"));
  cleanup_close int lock = -1;
  mc_error_t err = NULL;

  if (to == NULL)
    return mc_api_error (r, 400, "Invalid rename: a name is required");
  if ((lock = mc_profiles_lock (ctx->store, &err)) < 0 || mc_profile_rename (ctx->store, args[0], to, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

/* ---- network changes (sync, as LXD's) -------------------------------------------- */

int
mc_api_networks_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  const char *name = json_string_value (json_object_get (req->body, "name"));
  const char *type = json_string_value (json_object_get (req->body, "type"));
  const char *desc = json_string_value (json_object_get (req->body, "description"));
  json_t *config = json_object_get (req->body, "config");
  mc_error_t err = NULL;

  (void) args;
  if (!json_is_object (req->body) || name == NULL)
    return mc_api_error (r, 400, "Invalid network: a name is required");
  if (type && *type && strcmp (type, "bridge") != 0)
    return mc_api_error (r, 400, "Invalid network type `%s`: minictr manages bridges", type);
  if (config && !json_is_object (config))
    return mc_api_error (r, 400, "Invalid network: config maps keys to strings");
  if (mc_network_create (ctx->store, name, desc ? desc : "", config, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

static int
network_update (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *name, bool patch,
                struct mc_api_resp *r)
{
  struct mc_network_change change = { 0 };
  cleanup_json json_t *doc = NULL;
  mc_error_t err = NULL;
  json_t *cur;

  if (!json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid network: expected a JSON object");
  if ((cur = mc_network_load (ctx->store, name, &err)) == NULL)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Network not found");
    }
  {
    const char *d = json_string_value (json_object_get (req->body, "description"));

    if (d == NULL)
      d = json_string_value (json_object_get (cur, "description"));
    doc = json_pack ("{s:s, s:o}", "description", d ? d : "", "config", json_object ());
  }
  /* PUT: the config given; PATCH: over the current one.  */
  if (patch && json_is_object (json_object_get (cur, "config")))
    json_object_update (json_object_get (doc, "config"), json_object_get (cur, "config"));
  if (json_is_object (json_object_get (req->body, "config")))
    json_object_update (json_object_get (doc, "config"), json_object_get (req->body, "config"));
  json_decref (cur);
  change.replace = doc;
  if (mc_network_configure (ctx->store, name, &change, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_network_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  return network_update (ctx, req, args[0], false, r);
}

int
mc_api_network_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  return network_update (ctx, req, args[0], true, r);
}

int
mc_api_network_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *cur;

  (void) req;
  if ((cur = mc_network_load (ctx->store, args[0], &err)) == NULL)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Network not found");
    }
  json_decref (cur);
  if (mc_network_delete (ctx->store, args[0], &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}
