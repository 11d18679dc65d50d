/* /1.0/images and /1.0/images/aliases: the store's images as LXD shows
 * them (images/store.c's objects), read only for now.  */
#ifndef MINICTR_API_IMAGES_H
#define MINICTR_API_IMAGES_H

#include "api/response.h"

/* GET /1.0/images[?recursion=1]  */
int mc_api_images_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r);
/* GET /1.0/images/FINGERPRINT (a unique prefix will do, as in LXD)  */
int mc_api_image_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r);
/* GET /1.0/images/aliases[?recursion=1] and /1.0/images/aliases/NAME  */
int mc_api_aliases_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_alias_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r);

#endif
