#include "api/host.h"
#include "runtime/info.h"
#include "runtime/trust.h"
#include "lib/utils.h"

#include <string.h>
#include <unistd.h>

/* The API extensions of LXD that minictr's server implements, by LXD's
 * names (clients test for them before they use a feature).  */
static const char *const extensions[] = {
  "container_full",       /* recursion=2 gives state and snapshots */
  "operation_description",
  "event_lifecycle",
  "instances",            /* /1.0/instances */
  "api_filtering",        /* ?filter= accepted (empty: all) */
  "instance_get_full",    /* GET /1.0/instances/NAME?recursion=1 */
  "network",              /* /1.0/networks */
  "network_state",        /* /1.0/networks/NAME/state */
  "network_leases",       /* /1.0/networks/NAME/leases */
  "profile_usedby",       /* a profile's used_by */
  "container_exec_user_group_cwd", /* exec's user, group and cwd */
  "directory_manipulation", /* file push of directories (X-LXD-type: directory) */
  "file_symlinks",        /* ... and of symlinks */
  "file_delete",          /* DELETE .../files */
  "certificate_token",    /* join tokens (config trust add) */
  "console",              /* POST /1.0/instances/NAME/console */
  "container_backup",     /* /1.0/instances/NAME/backups, import by POST */
  "backup_compression",   /* a backup's compression_algorithm (gzip) */
  "backup_override_name", /* X-LXD-name: an imported backup's new name */
  "container_backup_override_pool", /* X-LXD-pool (only `default`) */
};

int
mc_api_host_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                 struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *host = mc_host_info (ctx->store, &err), *env, *ext, *features, *v, *config;
  const char *k;
  char name[256] = "";
  size_t i;

  (void) args;
  if (!req->trusted)
    {
      /* An untrusted client learns what it needs to ask for trust.  */
      json_decref (host);
      ext = json_array ();
      for (i = 0; i < sizeof (extensions) / sizeof (extensions[0]); i++)
        json_array_append_new (ext, json_string (extensions[i]));
      mc_api_sync (r, json_pack ("{s:o, s:s, s:s, s:s, s:b, s:[s], s:{}}", "api_extensions", ext, "api_status",
                                 "stable", "api_version", "1.0", "auth", "untrusted", "public", 0, "auth_methods",
                                 "tls", "config"));
      return 0;
    }
  if (host == NULL)
    return mc_api_fail (r, 500, &err);
  (void) gethostname (name, sizeof (name) - 1);
  /* LXD's kernel_features are strings.  */
  features = json_object ();
  json_object_foreach (json_object_get (host, "features"), k, v)
    json_object_set_new (features, k, json_string (json_is_true (v) ? "true" : "false"));
  ext = json_array ();
  for (i = 0; i < sizeof (extensions) / sizeof (extensions[0]); i++)
    json_array_append_new (ext, json_string (extensions[i]));
  env = json_pack ("{s:[], s:[s], s:s, s:s, s:s, s:O, s:O, s:O, s:s, s:s, s:b, s:s, s:s, s:i, s:s, s:s, s:O, s:o}",
                   "addresses", "architectures", "x86_64", "certificate", "", "driver", "minictr", "driver_version",
                   ctx->version, "kernel", json_object_get (host, "kernel"), "kernel_architecture",
                   json_object_get (host, "kernel_architecture"), "kernel_version",
                   json_object_get (host, "kernel_version"), "project", "default", "server", "minictr",
                   "server_clustered", 0, "server_name", name, "server_version", ctx->version, "server_pid",
                   (int) getpid (), "storage", "dir", "storage_version", "overlayfs", "cgroup_layout",
                   json_object_get (host, "cgroup_layout"), "kernel_features", features);
  json_decref (host);
  if ((config = mc_server_config_load (ctx->store, &err)) == NULL)
    {
      json_decref (ext);
      json_decref (env);
      return mc_api_fail (r, 500, &err);
    }
  mc_api_sync (r, json_pack ("{s:o, s:s, s:s, s:s, s:b, s:[s], s:o, s:o}", "api_extensions", ext, "api_status",
                             "stable", "api_version", "1.0", "auth", "trusted", "public", 0, "auth_methods", "tls",
                             "config", config, "environment", env));
  return 0;
}

/* PUT (REPLACE: the keys left out are unset) or PATCH /1.0 {config}: the
 * server's own keys (core.*), every one checked before any is changed.
 * A new core.https_address is listened on from the server's next start.  */
static int
host_change (struct mc_api_ctx *ctx, const struct mc_api_req *req, bool replace, struct mc_api_resp *r)
{
  json_t *given = json_object_get (req->body, "config"), *v;
  cleanup_json json_t *old = NULL;
  mc_error_t err = NULL;
  const char *k;

  if (!json_is_object (req->body) || (given && !json_is_null (given) && !json_is_object (given)))
    return mc_api_error (r, 400, "Invalid server config: expected {\"config\": {KEY: VALUE}}");
  json_object_foreach (given, k, v)
    if (!json_is_string (v) && !json_is_null (v))
      return mc_api_error (r, 400, "Invalid value for `%s`: a string", k);
    else if (mc_server_config_check (k, json_string_value (v), &err) < 0)
      return mc_api_fail (r, 400, &err);
  if ((old = mc_server_config_load (ctx->store, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  json_object_foreach (given, k, v)
    if (mc_server_config_set (ctx->store, k, json_string_value (v), &err) < 0)
      return mc_api_fail (r, 500, &err);
  if (replace)
    json_object_foreach (old, k, v)
      if (json_object_get (given, k) == NULL && mc_server_config_set (ctx->store, k, NULL, &err) < 0)
        return mc_api_fail (r, 500, &err);
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_host_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                 struct mc_api_resp *r)
{
  (void) args;
  return host_change (ctx, req, true, r);
}

int
mc_api_host_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                   struct mc_api_resp *r)
{
  (void) args;
  return host_change (ctx, req, false, r);
}
