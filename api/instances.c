#include "api/instances.h"
#include "api/operations.h"
#include "runtime/container.h"
#include "runtime/info.h"
#include "runtime/lifecycle.h"
#include "lib/utils.h"

#include <stdio.h>
#include <string.h>
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
    {
      mc_api_error (r, 500, "%s", err->msg);
      mc_error_release (&err);
      return 0;
    }
  if (filter && *filter)
    {
      json_decref (names);
      return mc_api_error (r, 400, "filter is not supported: filter on the client side");
    }
  out = json_array ();
  json_array_foreach (names, i, n)
    {
      const char *name = json_string_value (n);
      json_t *one;

      if (recursion == 0)
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

/* In the operation's child.  */
static int
change_state (struct mc_store *s, json_t *args, mc_error_t *err)
{
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
  struct mc_store *s = ctx->store;
  static const char *const lifecycle[] = { "instance-started", "instance-stopped", "instance-restarted",
                                           "instance-paused", "instance-resumed" };
  static const char *const what[] = { "Starting instance", "Stopping instance", "Restarting instance",
                                      "Freezing instance", "Unfreezing instance" };
  const char *name = args[0];
  const char *action_name = json_string_value (json_object_get (req->body, "action"));
  json_t *timeout = json_object_get (req->body, "timeout"), *force = json_object_get (req->body, "force");
  enum mc_state_action action;
  cleanup_json json_t *work = NULL, *res = NULL, *op_json = NULL;
  cleanup_free char *source = xasprintf ("/1.0/instances/%s", name);
  mc_error_t err = NULL;
  struct mc_op *op;

  if (!json_is_object (req->body) || action_name == NULL || mc_state_action_parse (action_name, &action) < 0)
    return mc_api_error (r, 400, "Invalid action: want start, stop, restart, freeze or unfreeze");
  if ((timeout && !json_is_integer (timeout)) || (force && !json_is_boolean (force)))
    return mc_api_error (r, 400, "Invalid state change: timeout is a number of seconds, force a boolean");
  if (json_is_true (json_object_get (req->body, "stateful")))
    return mc_api_error (r, 400, "Stateful stop needs live migration (CRIU), which minictr does not do");
  if (!mc_container_exists (s, name))
    return mc_api_error (r, 404, "Instance not found");
  work = json_pack ("{s:s, s:i, s:b, s:I}", "name", name, "action", (int) action, "force", json_is_true (force),
                    "timeout", timeout ? json_integer_value (timeout) : (json_int_t) -1);
  res = json_pack ("{s:[s]}", "instances", source);
  op = mc_op_run (what[action], res, change_state, work, lifecycle[action], source, &err);
  if (op == NULL)
    {
      mc_api_error (r, 500, "%s", err->msg);
      mc_error_release (&err);
      return 0;
    }
  op_json = mc_op_json (op);
  mc_api_async (r, op_json);
  r->op = op;
  return 0;
}
