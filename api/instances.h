/* /1.0/instances: LXD's instance objects (runtime/info.c's), their state,
 * and the state changes, which run as operations (api/operations.h).
 * Every handler fills its response (an error one included) and returns 0;
 * ARGS are the path's variable parts.  */
#ifndef MINICTR_API_INSTANCES_H
#define MINICTR_API_INSTANCES_H

#include "api/response.h"
#include "images/store.h"

/* GET /1.0/instances[?recursion=0|1|2]  */
int mc_api_instances_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r);
/* GET /1.0/instances/NAME  */
int mc_api_instance_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
/* GET and PUT /1.0/instances/NAME/state  */
int mc_api_instance_state_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                                struct mc_api_resp *r);
int mc_api_instance_state_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                                struct mc_api_resp *r);

/* POST /1.0/instances: create from a local image (alias or fingerprint),
 * with config, devices, profiles, ephemeral, and start when asked.  */
int mc_api_instances_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
/* DELETE /1.0/instances/NAME (a stopped one, as LXD's).  */
int mc_api_instance_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r);
/* PUT (replace) and PATCH (merge) /1.0/instances/NAME: config, devices,
 * profiles, description, through the CLI's `config edit`; PUT with
 * "restore": a snapshot restored.  */
int mc_api_instance_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_instance_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
/* POST /1.0/instances/NAME {"name": NEW}: rename (a stopped one).  */
int mc_api_instance_rename (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r);
/* /1.0/instances/NAME/snapshots[/SNAP]: list, create, get, delete.  */
int mc_api_snapshots_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
int mc_api_snapshots_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
int mc_api_snapshot_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_snapshot_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r);

#endif
