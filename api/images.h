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

/* POST /1.0/images: an instance or snapshot published (a JSON body with
 * LXD's `source`, `properties`, `aliases`), or an uploaded image (LXD's client: a unified tarball as
 * the body, X-LXD-filename; a split one as a multipart form with
 * `metadata` and `rootfs`), imported by an operation's child with the CLI's
 * `image import` (hashed, verified, unpacked, renamed into place).  */
int mc_api_images_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r);
/* DELETE /1.0/images/FINGERPRINT (refused while a container uses it).  */
int mc_api_image_export (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_image_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
/* POST /1.0/images/aliases {name, target, description}; DELETE one.  */
int mc_api_aliases_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_alias_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
/* POST /1.0/images/aliases/NAME {name}: rename.  */
int mc_api_alias_rename (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);

#endif
