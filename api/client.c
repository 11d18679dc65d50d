/* LXD's REST API from the client's side (api/client.h): a request is a
 * libwebsockets context of its own, one connection, run until the answer
 * is whole.  */
#include "api/client.h"
#include "lib/cleanup.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The request in flight (one at a time, in the CLI).  */
struct request
{
  struct mc_client *client;
  const char *body;
  size_t body_len, sent;
  char *resp;
  size_t resp_len;
  int status;
  bool done, failed;
  char why[256];
};

static struct request *current;

#define ANSWER_MAX (64u << 20)

/* Over HTTPS: the certificate the server presented.  */
static void
note_peer (struct request *r, struct lws *wsi)
{
  unsigned char *der = NULL, *b64;
  mc_error_t err = NULL;
  X509 *x;
  int n;

  if (mc_dl_ssl (&err) < 0 || mc_dl_x509 (&err) < 0)
    {
      mc_error_release (&err);
      return;
    }
  if ((x = sym_SSL_get1_peer_certificate ((SSL *) sym_lws_get_ssl (wsi))) == NULL)
    return;
  n = sym_i2d_X509 (x, &der);
  sym_X509_free (x);
  if (n <= 0)
    return;
  if (mc_cert_fingerprint_der (der, (size_t) n, r->client->peer_fp, &err) < 0)
    mc_error_release (&err);
  b64 = xmalloc (4 * (((size_t) n + 2) / 3) + 1);
  sym_EVP_EncodeBlock (b64, der, n);
  free (r->client->peer_pem);
  r->client->peer_pem = mc_cert_base64_pem ((char *) b64);
  free (b64);
  free (der);
}

static int
callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct request *r = current;
  unsigned char buf[LWS_PRE + 16384];

  if (r == NULL)
    return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
  switch (reason)
    {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      r->failed = r->done = true;
      snprintf (r->why, sizeof (r->why), "%s", in ? (const char *) in : "connection failed");
      return 0;

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      if (r->body)
        {
          unsigned char **p = (unsigned char **) in, *end = *p + len;
          char n[32];

          snprintf (n, sizeof (n), "%zu", r->body_len);
          if (sym_lws_add_http_header_by_name (wsi, (const unsigned char *) "content-type:",
                                               (const unsigned char *) "application/json", 16, p, end)
              || sym_lws_add_http_header_by_name (wsi, (const unsigned char *) "content-length:",
                                                  (const unsigned char *) n, (int) strlen (n), p, end))
            return -1;
          sym_lws_client_http_body_pending (wsi, 1);
          sym_lws_callback_on_writable (wsi);
        }
      return 0;

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
      if (r->body && r->sent < r->body_len)
        {
          size_t n = r->body_len - r->sent;
          bool final;

          if (n > sizeof (buf) - LWS_PRE)
            n = sizeof (buf) - LWS_PRE;
          final = r->sent + n == r->body_len;
          memcpy (buf + LWS_PRE, r->body + r->sent, n);
          if (sym_lws_write (wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int) n)
            return -1;
          r->sent += n;
          if (final)
            sym_lws_client_http_body_pending (wsi, 0);
          else
            sym_lws_callback_on_writable (wsi);
        }
      return 0;

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      r->status = (int) sym_lws_http_client_http_response (wsi);
      if (sym_lws_get_ssl (wsi))
        note_peer (r, wsi);
      return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
      {
        char *p = (char *) buf + LWS_PRE;
        int n = (int) (sizeof (buf) - LWS_PRE);

        return sym_lws_http_client_read (wsi, &p, &n) < 0 ? -1 : 0;
      }

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
      if (r->resp_len + len > ANSWER_MAX)
        {
          r->failed = r->done = true;
          snprintf (r->why, sizeof (r->why), "the answer is larger than %u MiB", ANSWER_MAX >> 20);
          return -1;
        }
      r->resp = xrealloc (r->resp, r->resp_len + len + 1);
      memcpy (r->resp + r->resp_len, in, len);
      r->resp_len += len;
      r->resp[r->resp_len] = '\0';
      return 0;

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      if (!r->done && r->status == 0)
        {
          r->failed = true;
          snprintf (r->why, sizeof (r->why), "the server closed the connection without an answer");
        }
      r->done = true;
      return 0;

    default:
      break;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

static const struct lws_protocols client_protocols[] = {
  { "mc-client", callback, 0, 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* URL as libwebsockets' address (+PATH for a unix socket), port, TLS.  */
static int
parse_url (const char *url, char **address, int *port, bool *tls, mc_error_t *err)
{
  const char *h, *colon;

  if (strncmp (url, "unix://", 7) == 0 || strncmp (url, "unix:", 5) == 0)
    {
      const char *path = url + (url[5] == '/' && url[6] == '/' ? 7 : 5);

      if (*path != '/')
        return mc_make_error (err, 0, "`%s`: a unix socket's path must be absolute", url);
      *address = xasprintf ("+%s", path);
      *port = 0;
      *tls = false;
      return 0;
    }
  if (strncmp (url, "https://", 8) != 0)
    return mc_make_error (err, 0, "`%s` is not a server address (https://HOST[:PORT] or unix:///PATH)", url);
  h = url + 8;
  if (*h == '[')
    {
      const char *close = strchr (h, ']');

      if (close == NULL)
        return mc_make_error (err, 0, "`%s`: unterminated IPv6 address", url);
      *address = xstrndup (h + 1, (size_t) (close - h - 1));
      colon = close[1] == ':' ? close + 1 : NULL;
    }
  else
    {
      colon = strchr (h, ':');
      *address = xstrndup (h, colon ? (size_t) (colon - h) : strcspn (h, "/"));
    }
  *port = 8443;
  if (colon)
    {
      char *end;
      long p = strtol (colon + 1, &end, 10);

      if (p <= 0 || p > 65535 || (*end != '\0' && *end != '/'))
        {
          free (*address);
          return mc_make_error (err, 0, "`%s`: bad port", url);
        }
      *port = (int) p;
    }
  *tls = true;
  return 0;
}

int
mc_client_request_raw (struct mc_client *c, const char *method, const char *path, json_t *body, int *status,
                       char **data, size_t *len, mc_error_t *err)
{
  struct lws_context_creation_info info;
  struct lws_client_connect_info ci;
  cleanup_free char *address = NULL, *text = NULL;
  struct request r;
  struct lws_context *ctx;
  bool tls = false;
  int port = 0;

  if (mc_dl_lws (err) < 0 || parse_url (c->url, &address, &port, &tls, err) < 0)
    return -1;
  if (body && (text = json_dumps (body, JSON_COMPACT)) == NULL)
    return mc_make_error (err, 0, "cannot encode the request");
  memset (&r, 0, sizeof (r));
  r.client = c;
  r.body = text;
  r.body_len = text ? strlen (text) : 0;
  sym_lws_set_log_level (0, NULL);
  memset (&info, 0, sizeof (info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = client_protocols;
  info.gid = (gid_t) -1;
  info.uid = (uid_t) -1;
  info.timeout_secs = 3600; /* an operation's wait may be long */
  info.connect_timeout_secs = 20;
  if (tls)
    {
      info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      info.client_ssl_cert_filepath = c->client_crt;
      info.client_ssl_private_key_filepath = c->client_key;
      info.client_ssl_ca_filepath = c->server_crt;
    }
  if ((ctx = sym_lws_create_context (&info)) == NULL)
    return mc_make_error (err, 0, "cannot set up a connection to `%s`", c->url);
  memset (&ci, 0, sizeof (ci));
  ci.context = ctx;
  ci.address = address;
  ci.port = port;
  ci.path = path;
  ci.host = tls ? address : "lxd";
  ci.origin = ci.host;
  ci.method = method;
  ci.local_protocol_name = "mc-client";
  /* The server's certificate is checked against the pinned one (the only
     CA given), never against a host name: LXD's servers are addressed by
     IP as often as by name.  */
  if (tls)
    ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
                        | (c->server_crt ? 0 : LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_INSECURE | LCCSCF_ALLOW_EXPIRED);
  current = &r;
  if (sym_lws_client_connect_via_info (&ci) == NULL)
    {
      r.failed = r.done = true;
      if (r.why[0] == '\0')
        snprintf (r.why, sizeof (r.why), "cannot connect");
    }
  while (!r.done)
    if (sym_lws_service (ctx, 0) < 0)
      break;
  sym_lws_context_destroy (ctx);
  current = NULL;
  if (r.failed || !r.done)
    {
      free (r.resp);
      /* A TLS failure with a pinned certificate: most likely not that one.  */
      if (tls && c->server_crt && strstr (r.why, "SSL") != NULL)
        return mc_make_error (err, 0, "`%s`: TLS refused: the server's certificate is not the one pinned in `%s` "
                                      "(if it changed on purpose, remove the remote and add it again)",
                              c->url, c->server_crt);
      return mc_make_error (err, 0, "`%s`: %s", c->url, r.why[0] ? r.why : "no answer");
    }
  *status = r.status;
  *data = r.resp ? r.resp : xstrdup ("");
  *len = r.resp_len;
  return 0;
}

int
mc_client_request (struct mc_client *c, const char *method, const char *path, json_t *body, int *status,
                   json_t **doc, mc_error_t *err)
{
  cleanup_free char *data = NULL;
  json_error_t jerr;
  size_t len;

  if (mc_client_request_raw (c, method, path, body, status, &data, &len, err) < 0)
    return -1;
  if ((*doc = json_loadb (data, len, 0, &jerr)) == NULL)
    return mc_make_error (err, 0, "`%s`: the answer to %s %s is not JSON (HTTP %d)", c->url, method, path, *status);
  return 0;
}

int
mc_client_call (struct mc_client *c, const char *method, const char *path, json_t *body, json_t **metadata,
                mc_error_t *err)
{
  cleanup_json json_t *doc = NULL;
  const char *type, *e;
  int status;

  if (metadata)
    *metadata = NULL;
  if (mc_client_request (c, method, path, body, &status, &doc, err) < 0)
    return -1;
  type = json_string_value (json_object_get (doc, "type"));
  if (type == NULL || strcmp (type, "error") == 0 || status >= 400)
    {
      e = json_string_value (json_object_get (doc, "error"));
      return mc_make_error (err, 0, "%s", e && *e ? e : "the server refused the request");
    }
  if (strcmp (type, "async") == 0)
    {
      const char *id = json_string_value (json_object_get (json_object_get (doc, "metadata"), "id"));
      cleanup_free char *wait = NULL;
      json_t *op;

      if (id == NULL)
        return mc_make_error (err, 0, "the server's operation has no id");
      wait = xasprintf ("/1.0/operations/%s/wait", id);
      json_decref (doc);
      doc = NULL;
      if (mc_client_request (c, "GET", wait, NULL, &status, &doc, err) < 0)
        return -1;
      op = json_object_get (doc, "metadata");
      if (status >= 400 || (e = json_string_value (json_object_get (op, "status"))) == NULL
          || strcmp (e, "Success") != 0)
        {
          const char *why = json_string_value (json_object_get (op, "err"));

          if (why == NULL || *why == '\0')
            why = json_string_value (json_object_get (doc, "error"));
          return mc_make_error (err, 0, "%s", why && *why ? why : "the operation failed");
        }
      if (metadata)
        *metadata = json_incref (json_object_get (op, "metadata"));
      return 0;
    }
  if (metadata)
    *metadata = json_incref (json_object_get (doc, "metadata"));
  return 0;
}

void
mc_client_release (struct mc_client *c)
{
  free (c->url);
  free (c->server_crt);
  free (c->client_crt);
  free (c->client_key);
  free (c->peer_pem);
  memset (c, 0, sizeof (*c));
}
