/* /1.0/profiles and /1.0/networks, read side: LXD's objects from the
 * profile and network stores, with their used_by.  */
#ifndef MINICTR_API_PROFILES_H
#define MINICTR_API_PROFILES_H

#include "api/response.h"

int mc_api_profiles_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_profile_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r);
/* POST /1.0/profiles; PUT, PATCH, DELETE and POST (rename) a profile:
 * the CLI's `profile` paths (validation, running users updated).  */
int mc_api_profiles_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_profile_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r);
int mc_api_profile_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_profile_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
int mc_api_profile_rename (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
/* POST /1.0/networks (a bridge); PUT, PATCH and DELETE a network: the
 * CLI's `network create|edit|set|delete` paths, sync as LXD's.  */
int mc_api_networks_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_network_put (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r);
int mc_api_network_patch (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_network_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);
int mc_api_networks_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_network_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r);

int mc_api_network_state (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_network_leases (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);

#endif
