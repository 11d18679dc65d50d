#include "api/images.h"
#include "images/alias.h"
#include "images/store.h"
#include "lib/utils.h"

#include <string.h>

int
mc_api_images_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_image_list (ctx->store, &err), *out, *img;
  size_t i;

  (void) args;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  if (mc_api_recursion (req) > 0)
    {
      mc_api_sync (r, all);
      return 0;
    }
  out = json_array ();
  json_array_foreach (all, i, img)
    json_array_append_new (out, json_sprintf ("/1.0/images/%s",
                                              json_string_value (json_object_get (img, "fingerprint"))));
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_image_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                  struct mc_api_resp *r)
{
  char fp[MC_FP_HEX_LEN + 1];
  mc_error_t err = NULL;
  json_t *img;

  (void) req;
  /* A fingerprint (prefix) only: aliases have their own URL.  */
  if (strspn (args[0], "0123456789abcdef") != strlen (args[0])
      || mc_image_resolve (ctx->store, args[0], fp, &err) < 0 || strncmp (fp, args[0], strlen (args[0])) != 0)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Image not found");
    }
  if ((img = mc_image_get (ctx->store, fp, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  mc_api_sync (r, img);
  return 0;
}

/* images/alias.c's {name, target, description} as LXD's alias.  */
static json_t *
alias_json (json_t *a)
{
  return json_pack ("{s:O, s:O, s:O, s:s}", "name", json_object_get (a, "name"), "description",
                    json_object_get (a, "description"), "target", json_object_get (a, "target"), "type",
                    "container");
}

int
mc_api_aliases_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_alias_list (ctx->store, &err), *out, *a;
  bool full = mc_api_recursion (req) > 0;
  size_t i;

  (void) args;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  out = json_array ();
  json_array_foreach (all, i, a)
    json_array_append_new (out, full ? alias_json (a)
                                     : json_sprintf ("/1.0/images/aliases/%s",
                                                     json_string_value (json_object_get (a, "name"))));
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_alias_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                  struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_alias_list (ctx->store, &err), *a;
  size_t i;

  (void) req;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  json_array_foreach (all, i, a)
    if (strcmp (json_string_value (json_object_get (a, "name")), args[0]) == 0)
      {
        mc_api_sync (r, alias_json (a));
        json_decref (all);
        return 0;
      }
  json_decref (all);
  return mc_api_error (r, 404, "Image alias not found");
}
