/* /1.0/certificates: the clients trusted over HTTPS (runtime/trust.h).
 * An untrusted client may only POST its join token (LXD 5.0's `lxc remote
 * add NAME TOKEN`: the token as the password); its TLS certificate is what
 * becomes trusted.  */
#ifndef MINICTR_API_CERTIFICATES_H
#define MINICTR_API_CERTIFICATES_H

#include "api/response.h"

int mc_api_certificates_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                              struct mc_api_resp *r);
int mc_api_certificates_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                              struct mc_api_resp *r);
int mc_api_certificate_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r);
int mc_api_certificate_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                               struct mc_api_resp *r);

#endif
