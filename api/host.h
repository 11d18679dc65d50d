/* GET /1.0: the server's description, LXD's shape (api_extensions,
 * auth, config, environment), from runtime/info.c's host view.  */
#ifndef MINICTR_API_HOST_H
#define MINICTR_API_HOST_H

#include "api/response.h"

int mc_api_host_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r);
/* PUT and PATCH /1.0: the server's config (core.*), as `config set
 * core.KEY` changes it.  */
int mc_api_host_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r);
int mc_api_host_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r);

#endif
