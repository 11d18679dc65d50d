#include "api/certificates.h"
#include "api/operations.h"
#include "runtime/trust.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <string.h>

/* runtime/trust.c's entry as LXD's certificate object.  */
static json_t *
cert_json (json_t *c)
{
  return json_pack ("{s:O, s:O, s:O, s:O, s:b, s:[]}", "name", json_object_get (c, "name"), "type",
                    json_object_get (c, "type"), "fingerprint", json_object_get (c, "fingerprint"), "certificate",
                    json_object_get (c, "certificate"), "restricted", 0, "projects");
}

int
mc_api_certificates_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_trust_list (ctx->store, &err), *out, *c;
  bool full = mc_api_recursion (req) > 0;
  size_t i;

  (void) args;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  out = json_array ();
  json_array_foreach (all, i, c)
    json_array_append_new (out, full ? cert_json (c)
                                     : json_sprintf ("/1.0/certificates/%s",
                                                     json_string_value (json_object_get (c, "fingerprint"))));
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_certificate_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                        struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_trust_list (ctx->store, &err), *c;
  size_t i;

  (void) req;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  json_array_foreach (all, i, c)
    if (strncmp (json_string_value (json_object_get (c, "fingerprint")), args[0], strlen (args[0])) == 0)
      {
        mc_api_sync (r, cert_json (c));
        json_decref (all);
        return 0;
      }
  json_decref (all);
  return mc_api_error (r, 404, "Certificate not found");
}

/* A join token for NAME, as LXD 5.0 answers one: an operation whose
 * metadata holds the request, the secret, the server's fingerprint and
 * addresses.  It has nothing left to do: it is answered as ended.  */
static int
token_post (struct mc_api_ctx *ctx, const char *name, struct mc_api_resp *r)
{
  cleanup_json json_t *config = NULL, *tok = NULL, *op_json = NULL;
  mc_error_t err = NULL;
  const char *addr;
  struct mc_op *op;

  if ((config = mc_server_config_load (ctx->store, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  if ((addr = json_string_value (json_object_get (config, "core.https_address"))) == NULL)
    return mc_api_error (r, 400, "Can't issue a token: the server does not listen on the network (set "
                                 "core.https_address)");
  if ((tok = mc_trust_token_doc (ctx->store, name ? name : "", addr, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  op = mc_op_new ("Executing operation", NULL, NULL, NULL);
  op->metadata = json_pack ("{s:{s:s, s:s, s:b}, s:O, s:O, s:O}", "request", "name", name ? name : "", "type",
                            "client", "token", 1, "secret", json_object_get (tok, "secret"), "fingerprint",
                            json_object_get (tok, "fingerprint"), "addresses", json_object_get (tok, "addresses"));
  op->status_code = 200;
  op_json = mc_op_json (op);
  mc_api_async (r, op_json);
  return 0;
}

int
mc_api_certificates_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r)
{
  const char *password = json_string_value (json_object_get (req->body, "password"));
  const char *cert64 = json_string_value (json_object_get (req->body, "certificate"));
  const char *name = json_string_value (json_object_get (req->body, "name"));
  const char *type = json_string_value (json_object_get (req->body, "type"));
  cleanup_free char *pem = NULL, *token_name = NULL;
  char fp[MC_CERT_FP_LEN + 1];
  mc_error_t err = NULL;

  (void) args;
  if (!json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid certificate: expected a JSON object");
  if (type && *type && strcmp (type, "client") != 0)
    return mc_api_error (r, 400, "Invalid certificate type `%s`: only client", type);
  if (!req->trusted)
    {
      /* The join token is the only way in; what is trusted is the
         certificate the client connected with.  */
      if (password == NULL || *password == '\0' || req->peer_pem == NULL)
        return mc_api_error (r, 403, "not authorized");
      if (mc_trust_token_take (ctx->store, password, &token_name, &err) < 0)
        {
          mc_error_release (&err);
          return mc_api_error (r, 403, "not authorized");
        }
      if (mc_trust_add (ctx->store, req->peer_pem, strlen (req->peer_pem), token_name, fp, &err) < 0)
        return mc_api_fail (r, 500, &err);
      mc_api_sync (r, NULL);
      return 0;
    }
  /* Trusted, asking for a join token (`lxc config trust add`): LXD's
     client reads it from the operation's metadata at once.  */
  if (json_is_true (json_object_get (req->body, "token")))
    return token_post (ctx, name, r);
  /* Trusted: a certificate given in the body, else the caller's own.  */
  if (cert64 && *cert64)
    pem = mc_cert_base64_pem (cert64);
  else if (req->peer_pem)
    pem = xstrdup (req->peer_pem);
  else
    return mc_api_error (r, 400, "Invalid certificate: none given");
  if (mc_trust_add (ctx->store, pem, strlen (pem), name, fp, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_certificate_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r)
{
  mc_error_t err = NULL;

  (void) req;
  if (mc_trust_remove (ctx->store, args[0], &err) < 0)
    return mc_api_fail (r, 404, &err);
  mc_api_sync (r, NULL);
  return 0;
}
