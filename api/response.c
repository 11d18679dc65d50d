#include "api/response.h"
#include "lib/utils.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
mc_api_query (const struct mc_api_req *req, const char *name)
{
  size_t n = strlen (name), i;

  for (i = 0; req->params && req->params[i]; i++)
    if (strncmp (req->params[i], name, n) == 0 && (req->params[i][n] == '=' || req->params[i][n] == '\0'))
      return xstrdup (req->params[i][n] == '=' ? req->params[i] + n + 1 : "");
  return NULL;
}

int
mc_api_recursion (const struct mc_api_req *req)
{
  cleanup_free char *v = mc_api_query (req, "recursion");

  return v && *v >= '0' && *v <= '9' ? atoi (v) : 0;
}

void
mc_api_sync (struct mc_api_resp *r, json_t *metadata)
{
  r->http = 200;
  r->location = NULL;
  r->doc = json_pack ("{s:s, s:s, s:i, s:s, s:i, s:s, s:o}", "type", "sync", "status", "Success", "status_code",
                      200, "operation", "", "error_code", 0, "error", "", "metadata",
                      metadata ? metadata : json_null ());
}

void
mc_api_async (struct mc_api_resp *r, json_t *op_json)
{
  json_t *op = op_json;

  const char *id = json_string_value (json_object_get (op, "id"));
  char *url = xasprintf ("/1.0/operations/%s", id ? id : "");

  r->http = 202;
  r->location = url;
  r->doc = json_pack ("{s:s, s:s, s:i, s:s, s:i, s:s, s:O}", "type", "async", "status", "Operation created",
                      "status_code", 100, "operation", url, "error_code", 0, "error", "", "metadata", op);
}

int
mc_api_error (struct mc_api_resp *r, int code, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  r->http = code;
  r->location = NULL;
  r->doc = json_pack ("{s:s, s:s, s:i, s:s, s:i, s:s, s:n}", "type", "error", "status", "", "status_code", 0,
                      "operation", "", "error_code", code, "error", msg ? msg : "out of memory", "metadata");
  return 0;
}

int
mc_api_fail (struct mc_api_resp *r, int code, mc_error_t *err)
{
  mc_api_error (r, code, "%s", *err ? (*err)->msg : "failed");
  mc_error_release (err);
  return 0;
}

void
mc_api_resp_release (struct mc_api_resp *r)
{
  json_decref (r->doc);
  json_decref (r->raw_headers);
  free (r->location);
  r->doc = r->raw_headers = NULL;
  r->location = NULL;
}

json_t *
mc_api_doc_fields (json_t *body, const char *const *fields)
{
  json_t *doc = json_object (), *v;

  for (; *fields; fields++)
    if ((v = json_object_get (body, *fields)) != NULL && !json_is_null (v))
      json_object_set (doc, *fields, v);
  return doc;
}

void
mc_api_doc_patch (json_t *doc, json_t *given)
{
  const char *k;
  json_t *v, *mine;

  json_object_foreach (given, k, v)
    if (json_is_object (v) && json_is_object (mine = json_object_get (doc, k)))
      {
        mine = json_deep_copy (mine);
        json_object_update (mine, v);
        json_object_set_new (doc, k, mine);
      }
    else
      json_object_set (doc, k, v);
}

char *
mc_api_now (void)
{
  char buf[64];

  mc_format_now_ns (buf, sizeof (buf));
  return xstrdup (buf);
}
