/* LXD's REST API from the client's side (api/client.h): a request is a
 * libwebsockets context of its own, one connection, run until the answer
 * is whole.  */
#include "api/client.h"
#include "lib/cleanup.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The request in flight (one at a time, in the CLI).  */
struct request
{
  struct mc_client *client;
  const char *body;       /* JSON text, or NULL */
  size_t body_len, sent;
  struct mc_client_xfer *xfer; /* a file's transfer, or NULL */
  char *resp;
  size_t resp_len;
  int status;
  long long expect;       /* the answer's Content-Length, or -1 */
  bool done, failed;
  char why[256];
};

/* The most of a body sent, or of an answer read, at once.  */
#define CLIENT_BUF (64u << 10)
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

/* LXD's X-LXD-* headers of a file's answer.  */
static void
note_file_headers (struct mc_client_xfer *x, struct lws *wsi)
{
  static const char *const names[] = { "type", "mode", "uid", "gid" };
  size_t i, j;

  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      char spelled[2][32], value[32] = "";

      snprintf (spelled[0], sizeof (spelled[0]), "x-lxd-%s:", names[i]);
      snprintf (spelled[1], sizeof (spelled[1]), "X-LXD-%s:", names[i]);
      for (j = 0; j < 2 && value[0] == '\0'; j++)
        if (sym_lws_hdr_custom_copy (wsi, value, sizeof (value), spelled[j], (int) strlen (spelled[j])) < 0)
          value[0] = '\0';
      if (i == 0)
        snprintf (x->type, sizeof (x->type), "%s", value);
      else if (i == 1)
        x->mode = (unsigned) strtoul (value, NULL, 8);
      else if (i == 2)
        x->uid = strtol (value, NULL, 10);
      else
        x->gid = strtol (value, NULL, 10);
    }
}

/* The answer's Content-Type, and the file name its Content-Disposition
 * gives (`attachment; filename=NAME`, quoted or not).  */
static void
note_content (struct mc_client_xfer *x, struct lws *wsi)
{
  char cd[512] = "";
  const char *f;

  if (sym_lws_hdr_copy (wsi, x->content_type, sizeof (x->content_type), WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
    x->content_type[0] = '\0';
  if (sym_lws_hdr_copy (wsi, cd, sizeof (cd), WSI_TOKEN_HTTP_CONTENT_DISPOSITION) < 0)
    cd[0] = '\0';
  x->filename[0] = '\0';
  if ((f = strstr (cd, "filename=")) != NULL)
    {
      f += 9;
      if (*f == '"')
        f++;
      snprintf (x->filename, sizeof (x->filename), "%.*s", (int) strcspn (f, "\";"), f);
    }
}

static int
callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct request *r = current;
  /* One piece of a body, or of an answer read (static: one request at
     a time, and 64 KiB is more than a stack frame should take).  */
  static unsigned char buf[LWS_PRE + CLIENT_BUF];

  if (r == NULL)
    return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
  switch (reason)
    {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      /* (A head-only transfer ends the connection itself.)  */
      if (r->done)
        return 0;
      r->failed = r->done = true;
      snprintf (r->why, sizeof (r->why), "%s", in ? (const char *) in : "connection failed");
      return 0;

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      {
        unsigned char **p = (unsigned char **) in, *end = *p + len;
        struct mc_client_xfer *x = r->xfer;
        const char *k, *ctype = x && x->in_fd >= 0 ? "application/octet-stream" : "application/json";
        json_t *v;
        char n[32];

        json_object_foreach (x ? x->headers : NULL, k, v)
          {
            char name[64];

            /* A body of another type says so (a multipart form).  */
            if (strcasecmp (k, "Content-Type") == 0)
              {
                ctype = json_string_value (v);
                continue;
              }
            snprintf (name, sizeof (name), "%s:", k);
            if (sym_lws_add_http_header_by_name (wsi, (const unsigned char *) name,
                                                 (const unsigned char *) json_string_value (v),
                                                 (int) strlen (json_string_value (v)), p, end))
              return -1;
          }
        if (r->body || (x && x->in_fd >= 0))
          {
            size_t blen = x && x->in_fd >= 0 ? (size_t) x->in_len : r->body_len;

            snprintf (n, sizeof (n), "%zu", blen);
            if (sym_lws_add_http_header_by_name (wsi, (const unsigned char *) "content-type:",
                                                 (const unsigned char *) ctype, (int) strlen (ctype), p, end)
                || sym_lws_add_http_header_by_name (wsi, (const unsigned char *) "content-length:",
                                                    (const unsigned char *) n, (int) strlen (n), p, end))
              return -1;
            /* An empty body (an empty file) is its headers alone.  */
            if (blen > 0)
              {
                sym_lws_client_http_body_pending (wsi, 1);
                sym_lws_callback_on_writable (wsi);
              }
          }
        return 0;
      }

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
      if (r->xfer && r->xfer->in_fd >= 0 && r->sent < (size_t) r->xfer->in_len)
        {
          size_t n = (size_t) r->xfer->in_len - r->sent;
          ssize_t got;
          bool final;

          if (n > sizeof (buf) - LWS_PRE)
            n = sizeof (buf) - LWS_PRE;
          do
            got = read (r->xfer->in_fd, buf + LWS_PRE, n);
          while (got < 0 && errno == EINTR);
          if (got <= 0)
            {
              r->failed = r->done = true;
              snprintf (r->why, sizeof (r->why), "read the file to send: %s",
                        got < 0 ? strerror (errno) : "it got shorter");
              return -1;
            }
          n = (size_t) got;
          final = r->sent + n == (size_t) r->xfer->in_len;
          if (sym_lws_write (wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int) n)
            return -1;
          r->sent += n;
          if (final)
            sym_lws_client_http_body_pending (wsi, 0);
          else
            sym_lws_callback_on_writable (wsi);
        }
      else if (r->body && r->sent < r->body_len)
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
      {
        char cl[32];

        r->status = (int) sym_lws_http_client_http_response (wsi);
        if (sym_lws_get_ssl (wsi))
          note_peer (r, wsi);
        r->expect = sym_lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0
                        && sym_lws_hdr_copy (wsi, cl, sizeof (cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0
                      ? atoll (cl) : -1;
        if (r->xfer)
          {
            note_file_headers (r->xfer, wsi);
            note_content (r->xfer, wsi);
          }
        /* What it is was all that was asked: a file itself is not
           read (a symlink's target, a directory's names are).  */
        if (r->xfer && r->xfer->head_only && r->status == 200 && strcmp (r->xfer->type, "file") == 0)
          {
            r->done = true;
            return -1;
          }
        return 0;
      }

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
      {
        char *p = (char *) buf + LWS_PRE;
        int n = (int) (sizeof (buf) - LWS_PRE);

        return sym_lws_http_client_read (wsi, &p, &n) < 0 ? -1 : 0;
      }

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
      /* A file's content goes where it is wanted as it comes.  */
      if (r->xfer && r->xfer->out_fd >= 0 && r->status == 200
          && (r->xfer->raw || strcmp (r->xfer->type, "file") == 0))
        {
          if (mc_write_all (r->xfer->out_fd, in, len) < 0)
            {
              r->failed = r->done = true;
              snprintf (r->why, sizeof (r->why), "write the file: %s", strerror (errno));
              return -1;
            }
          r->xfer->received += len;
          return 0;
        }
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
      /* A file cut short is not a file.  */
      else if (!r->done && r->xfer && r->xfer->out_fd >= 0 && r->status == 200 && r->expect >= 0
               && (r->xfer->raw || strcmp (r->xfer->type, "file") == 0)
               && (long long) r->xfer->received < r->expect)
        {
          r->failed = true;
          snprintf (r->why, sizeof (r->why), "the connection closed after %zu of the file's %lld bytes",
                    r->xfer->received, r->expect);
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

/* A libwebsockets context for one of our requests to C: no listener; over
 * TLS our certificate, and the server's pinned one as the only CA.  */
static struct lws_context *
client_context (struct mc_client *c, bool tls, const struct lws_protocols *protocols, mc_error_t *err)
{
  struct lws_context_creation_info info;
  struct lws_context *ctx;

  memset (&info, 0, sizeof (info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.gid = (gid_t) -1;
  info.uid = (uid_t) -1;
  info.timeout_secs = 3600; /* an operation's wait may be long */
  /* A body goes out 64 KiB at a time (libwebsockets' default, 4 KiB,
     would take a poll per 4 KiB), and a context's tables are sized for the
     few descriptors a request uses (libwebsockets would size them by
     `ulimit -n`, and clear them, for every request).  */
  info.pt_serv_buf_size = CLIENT_BUF;
  info.fd_limit_per_thread = 64;
  info.connect_timeout_secs = 20;
  if (tls)
    {
      info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      info.client_ssl_cert_filepath = c->client_crt;
      info.client_ssl_private_key_filepath = c->client_key;
      info.client_ssl_ca_filepath = c->server_crt;
    }
  if ((ctx = sym_lws_create_context (&info)) == NULL)
    mc_make_error (err, 0, "cannot set up a connection to `%s`", c->url);
  return ctx;
}

static int
do_request (struct mc_client *c, const char *method, const char *path, json_t *body, struct mc_client_xfer *xfer,
            int *status, char **data, size_t *len, mc_error_t *err)
{
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
  r.xfer = xfer;
  r.body = text;
  r.body_len = text ? strlen (text) : 0;
  sym_lws_set_log_level (0, NULL);
  if ((ctx = client_context (c, tls, client_protocols, err)) == NULL)
    return -1;
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
mc_client_request_raw (struct mc_client *c, const char *method, const char *path, json_t *body, int *status,
                       char **data, size_t *len, mc_error_t *err)
{
  return do_request (c, method, path, body, NULL, status, data, len, err);
}

int
mc_client_xfer (struct mc_client *c, const char *method, const char *path, struct mc_client_xfer *x,
                mc_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_json json_t *doc = NULL;
  size_t len;
  const char *e;

  x->type[0] = '\0';
  x->received = 0;
  if (do_request (c, method, path, NULL, x, &x->status, &data, &len, err) < 0)
    return -1;
  if (x->status >= 400)
    {
      doc = json_loadb (data, len, 0, NULL);
      e = json_string_value (json_object_get (doc, "error"));
      return mc_make_error (err, 0, "%s", e && *e ? e : "the server refused the transfer");
    }
  /* What was not streamed (a directory's names, a symlink's target) is
     kept.  */
  free (x->data);
  x->data = steal_pointer (&data);
  x->len = len;
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

/* DOC, the answer (HTTP STATUS) to METHOD PATH, LXD's way: an error
 * becomes *ERR, an operation is waited for; *METADATA (may be NULL) the
 * answer's, or the finished operation's, metadata.  */
static int
answer (struct mc_client *c, json_t *doc, int status, json_t **metadata, mc_error_t *err)
{
  cleanup_json json_t *op_doc = NULL;
  const char *type = json_string_value (json_object_get (doc, "type")), *e;

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
      if (mc_client_request (c, "GET", wait, NULL, &status, &op_doc, err) < 0)
        return -1;
      op = json_object_get (op_doc, "metadata");
      if (status >= 400 || (e = json_string_value (json_object_get (op, "status"))) == NULL
          || strcmp (e, "Success") != 0)
        {
          const char *why = json_string_value (json_object_get (op, "err"));

          if (why == NULL || *why == '\0')
            why = json_string_value (json_object_get (op_doc, "error"));
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

int
mc_client_call (struct mc_client *c, const char *method, const char *path, json_t *body, json_t **metadata,
                mc_error_t *err)
{
  cleanup_json json_t *doc = NULL;
  int status;

  if (metadata)
    *metadata = NULL;
  if (mc_client_request (c, method, path, body, &status, &doc, err) < 0)
    return -1;
  return answer (c, doc, status, metadata, err);
}

int
mc_client_upload (struct mc_client *c, const char *path, struct mc_client_xfer *x, json_t **metadata,
                  mc_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_json json_t *doc = NULL;
  size_t len;

  if (metadata)
    *metadata = NULL;
  x->type[0] = '\0';
  if (do_request (c, "POST", path, NULL, x, &x->status, &data, &len, err) < 0)
    return -1;
  if ((doc = json_loadb (data, len, 0, NULL)) == NULL)
    return mc_make_error (err, 0, "`%s`: the answer to POST %s is not JSON (HTTP %d)", c->url, path, x->status);
  return answer (c, doc, x->status, metadata, err);
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

/* ---- exec with websockets ------------------------------------------------------ */

/* The slots of LXD's exec: stdin (or the terminal), stdout, stderr, control.  */
#define WS_SLOTS 4
#define WS_CONTROL 3
#define IN_QUEUE_HIGH (1u << 20)
#define CONSOLE_CTRL_A 0x01

struct exec_client
{
  struct lws_context *ctx;
  struct lws *ws[WS_SLOTS];
  bool wanted[WS_SLOTS], closed[WS_SLOTS];
  int slot_id[WS_SLOTS];
  struct lws *in_wsi;    /* our stdin, adopted */
  bool no_stdin, in_eof, in_eof_sent;
  unsigned char *in_q;   /* read from stdin, not yet sent */
  size_t in_len;
  unsigned char out[LWS_PRE + 65536];
  char ctl[LWS_PRE + 512];
  size_t ctl_len;
  bool interactive, failed;
  bool console, saw_ctrl_a, detached; /* a console: <ctrl>+a q detaches */
  char why[256];
};

static struct exec_client *exec_current;
static volatile sig_atomic_t exec_signal, exec_winch;

static void
exec_on_signal (int sig)
{
  if (sig == SIGWINCH)
    exec_winch = 1;
  else
    exec_signal = sig;
  if (exec_current && exec_current->ctx)
    sym_lws_cancel_service (exec_current->ctx);
}

static void
queue_control (struct exec_client *x, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
queue_control (struct exec_client *x, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (x->ws[WS_CONTROL] == NULL || x->ctl_len > 0)
    return;
  va_start (ap, fmt);
  n = vsnprintf (x->ctl + LWS_PRE, sizeof (x->ctl) - LWS_PRE, fmt, ap);
  va_end (ap);
  if (n > 0 && (size_t) n < sizeof (x->ctl) - LWS_PRE)
    {
      x->ctl_len = (size_t) n;
      sym_lws_callback_on_writable (x->ws[WS_CONTROL]);
    }
}

static void
queue_size (struct exec_client *x)
{
  struct winsize w;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
    queue_control (x, "{\"command\":\"window-resize\",\"args\":{\"width\":\"%u\",\"height\":\"%u\"}}",
                   (unsigned) w.ws_col, (unsigned) w.ws_row);
}

static void stdin_ended (struct exec_client *x);

/* What a websocket of the exec session sends when it may: the control
 * message, stdin, stdin's end.  */
static int
exec_ws_write (struct exec_client *x, struct lws *wsi, int slot)
{
  if (slot == WS_CONTROL && x->ctl_len > 0)
    {
      size_t n = x->ctl_len;

      x->ctl_len = 0;
      if (sym_lws_write (wsi, (unsigned char *) x->ctl + LWS_PRE, n, LWS_WRITE_TEXT) < (int) n)
        return -1;
    }
  else if (slot == 0 && x->in_len > 0)
    {
      size_t n = x->in_len < sizeof (x->out) - LWS_PRE ? x->in_len : sizeof (x->out) - LWS_PRE;

      memcpy (x->out + LWS_PRE, x->in_q, n);
      memmove (x->in_q, x->in_q + n, x->in_len - n);
      x->in_len -= n;
      if (sym_lws_write (wsi, x->out + LWS_PRE, n, LWS_WRITE_BINARY) < (int) n)
        return -1;
      if (x->in_wsi && x->in_len < IN_QUEUE_HIGH / 2)
        sym_lws_rx_flow_control (x->in_wsi, 1);
      if (x->in_len > 0 || x->in_eof)
        sym_lws_callback_on_writable (wsi);
    }
  else if (slot == 0 && x->in_eof && !x->in_eof_sent)
    {
      /* LXD's end of a stream: an empty text message.  */
      x->in_eof_sent = true;
      if (sym_lws_write (wsi, x->out + LWS_PRE, 0, LWS_WRITE_TEXT) < 0)
        return -1;
    }
  return 0;
}

static int
exec_ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct exec_client *x = exec_current;
  int slot = user ? *(int *) user : -1;

  if (x == NULL || slot < 0)
    return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
  switch (reason)
    {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      x->failed = true;
      x->closed[slot] = true;
      snprintf (x->why, sizeof (x->why), "%s", in ? (const char *) in : "websocket refused");
      return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (slot == 0)
        {
          if (x->no_stdin)
            stdin_ended (x);
          else
            {
              lws_sock_file_fd_type fd = { .filefd = STDIN_FILENO };

              x->in_wsi = sym_lws_adopt_descriptor_vhost (sym_lws_get_vhost (wsi), LWS_ADOPT_RAW_FILE_DESC, fd,
                                                          "mc-stdin", NULL);
              if (x->in_wsi == NULL)
                stdin_ended (x);
            }
        }
      if (slot == WS_CONTROL && x->interactive)
        queue_size (x);
      return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
      {
        int out = slot == 2 ? STDERR_FILENO : STDOUT_FILENO;

        if (slot != WS_CONTROL && len > 0 && mc_write_all (out, in, len) < 0)
          return -1;
        return 0;
      }

    case LWS_CALLBACK_CLIENT_WRITEABLE:
      /* (Not wsflow.h's hold: with the server's on the same interactive
         socket, both sides could stop reading at once.)  */
      return exec_ws_write (x, wsi, slot);

    case LWS_CALLBACK_CLIENT_CLOSED:
      x->closed[slot] = true;
      x->ws[slot] = NULL;
      return 0;

    default:
      break;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

/* Append up to one read of stdin to the queue: its size, 0 at its end,
 * -1 when nothing is there now.  */
/* A console's input N bytes at P, as the console gets them: <ctrl>+a q
 * detaches, <ctrl>+a <ctrl>+a is one <ctrl>+a, <ctrl>+a then anything
 * else is both (as `minictr console`).  OUT has room for N + 1.  */
static size_t
console_filter (struct exec_client *x, const unsigned char *p, size_t n, unsigned char *out)
{
  size_t i, o = 0;

  for (i = 0; i < n && !x->detached; i++)
    {
      if (x->saw_ctrl_a)
        {
          x->saw_ctrl_a = false;
          if (p[i] == 'q')
            x->detached = true;
          else
            {
              if (p[i] != CONSOLE_CTRL_A)
                out[o++] = CONSOLE_CTRL_A;
              out[o++] = p[i];
            }
        }
      else if (p[i] == CONSOLE_CTRL_A)
        x->saw_ctrl_a = true;
      else
        out[o++] = p[i];
    }
  return o;
}

static ssize_t
read_stdin (struct exec_client *x)
{
  unsigned char buf[65536];
  ssize_t n;

  x->in_q = xrealloc (x->in_q, x->in_len + sizeof (buf) + 1);
  do
    n = read (STDIN_FILENO, buf, sizeof (buf));
  while (n < 0 && errno == EINTR);
  if (n > 0 && x->console)
    x->in_len += console_filter (x, buf, (size_t) n, x->in_q + x->in_len);
  else if (n > 0)
    {
      memcpy (x->in_q + x->in_len, buf, (size_t) n);
      x->in_len += (size_t) n;
    }
  return n;
}

static void
stdin_ended (struct exec_client *x)
{
  x->in_eof = true;
  x->in_wsi = NULL;
  if (x->ws[0])
    sym_lws_callback_on_writable (x->ws[0]);
}

static int
exec_stdin_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct exec_client *x = exec_current;
  ssize_t n;

  if (x == NULL)
    return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
  switch (reason)
    {
    case LWS_CALLBACK_RAW_RX_FILE:
      n = read_stdin (x);
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n <= 0)
        {
          stdin_ended (x);
          return -1;
        }
      /* Past the high mark, stdin waits until the queue drains.  */
      if (x->in_len > IN_QUEUE_HIGH)
        sym_lws_rx_flow_control (wsi, 0);
      if (x->ws[0])
        sym_lws_callback_on_writable (x->ws[0]);
      return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      /* Also a hangup (a pipe's writer gone) with data still in it: what
         is left is read now.  */
      if (!x->in_eof)
        {
          while (read_stdin (x) > 0)
            ;
          stdin_ended (x);
        }
      return 0;
    default:
      break;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

static const struct lws_protocols exec_protocols[] = {
  { "mc-ws", exec_ws_callback, 0, 65536, 0, NULL, 0 },
  { "mc-stdin", exec_stdin_callback, 0, 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* An exec (or, CONSOLE, a console) session: POST BODY to PATH, then the
 * operation's websockets joined to our stdin and stdout (and stderr); an
 * exec's exit code in *STATUS.  */
static int
session (struct mc_client *c, const char *path, json_t *body, bool console, bool no_stdin, int *status,
         mc_error_t *err)
{
  static const char *const slot_names[WS_SLOTS] = { "0", "1", "2", "control" };
  static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  cleanup_free char *address = NULL, *wait = NULL;
  cleanup_json json_t *doc = NULL, *m = NULL;
  struct sigaction sa, old[sizeof (forwarded) / sizeof (forwarded[0])];
  struct termios saved;
  bool tls = false, raw = false;
  struct exec_client *x;
  const char *id, *e;
  json_t *fds;
  size_t i;
  int port = 0, st, ret = -1, in_keep = -1, in_flags = -1;

  if (mc_client_request (c, "POST", path, body, &st, &doc, err) < 0)
    return -1;
  if (st >= 400 || json_string_value (json_object_get (doc, "type")) == NULL
      || strcmp (json_string_value (json_object_get (doc, "type")), "async") != 0)
    {
      e = json_string_value (json_object_get (doc, "error"));
      return mc_make_error (err, 0, "%s", e && *e ? e : "the server refused the command");
    }
  id = json_string_value (json_object_get (json_object_get (doc, "metadata"), "id"));
  fds = json_object_get (json_object_get (json_object_get (doc, "metadata"), "metadata"), "fds");
  if (id == NULL || !json_is_object (fds) || parse_url (c->url, &address, &port, &tls, err) < 0)
    return id == NULL || !json_is_object (fds) ? mc_make_error (err, 0, "the server's exec operation has no streams")
                                               : -1;
  wait = xasprintf ("/1.0/operations/%s/wait", id);
  /* libwebsockets makes what it watches non-blocking, and our stdin's
     open file is shared with whoever gave it to us (a shell, the next
     command of a pipeline): its flags are put back at the end, through a
     copy that outlives libwebsockets closing stdin.  */
  in_keep = no_stdin ? -1 : fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  in_flags = in_keep >= 0 ? fcntl (in_keep, F_GETFL) : -1;
  x = xmalloc0 (sizeof (*x));
  x->interactive = console || json_is_true (json_object_get (body, "interactive"));
  x->console = console;
  x->no_stdin = no_stdin;
  exec_current = x;
  if ((x->ctx = client_context (c, tls, exec_protocols, err)) == NULL)
    goto out;
  for (i = 0; i < WS_SLOTS; i++)
    {
      const char *secret = json_string_value (json_object_get (fds, slot_names[i]));
      struct lws_client_connect_info ci;
      cleanup_free char *ws_path = NULL;

      if (secret == NULL)
        {
          x->closed[i] = true;
          continue;
        }
      ws_path = xasprintf ("/1.0/operations/%s/websocket?secret=%s", id, secret);
      x->wanted[i] = true;
      x->slot_id[i] = (int) i;
      memset (&ci, 0, sizeof (ci));
      ci.context = x->ctx;
      ci.address = address;
      ci.port = port;
      ci.path = ws_path;
      ci.host = tls ? address : "lxd";
      ci.origin = ci.host;
      ci.local_protocol_name = "mc-ws";
      ci.userdata = &x->slot_id[i];
      ci.pwsi = &x->ws[i];
      if (tls)
        ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
      if (sym_lws_client_connect_via_info (&ci) == NULL)
        {
          mc_make_error (err, 0, "`%s`: cannot open the command's streams", c->url);
          goto out;
        }
    }
  /* The terminal is the command's: raw, and its size follows ours.  */
  if (x->interactive && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      struct termios t = saved;

      cfmakeraw (&t);
      raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
    }
  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = exec_on_signal;
  for (i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaction (forwarded[i], &sa, &old[i]);
  /* Until the command's output has ended (the server closes its streams).  */
  while (!x->failed && !x->detached && !(x->interactive ? x->closed[0] : x->closed[1] && x->closed[2]))
    {
      if (sym_lws_service (x->ctx, 0) < 0)
        break;
      /* A console is left on a signal (its keys go to it as bytes).  */
      if (exec_signal && console)
        x->detached = true;
      else if (exec_signal)
        {
          queue_control (x, "{\"command\":\"signal\",\"signal\":%d}", (int) exec_signal);
          exec_signal = 0;
        }
      if (exec_winch)
        {
          exec_winch = 0;
          if (x->interactive)
            queue_size (x);
        }
    }
  for (i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaction (forwarded[i], &old[i], NULL);
  if (raw)
    tcsetattr (in_keep >= 0 ? in_keep : STDIN_FILENO, TCSANOW, &saved);
  if (x->failed)
    {
      mc_make_error (err, 0, "`%s`: %s", c->url, x->why);
      goto out;
    }
  ret = 0;
out:
  if (x->ctx)
    sym_lws_context_destroy (x->ctx);
  if (in_keep >= 0)
    {
      if (in_flags >= 0)
        fcntl (in_keep, F_SETFL, in_flags);
      close (in_keep);
    }
  exec_current = NULL;
  free (x->in_q);
  free (x);
  exec_signal = 0;
  if (ret < 0)
    return -1;
  /* A console left (or ended) leaves the container as it is.  */
  if (console)
    return 0;
  /* The command's code is the operation's (the wait's answer is the
     operation itself).  */
  if (mc_client_call (c, "GET", wait, NULL, &m, err) < 0)
    return -1;
  if ((e = json_string_value (json_object_get (m, "status"))) == NULL || strcmp (e, "Success") != 0)
    {
      const char *why = json_string_value (json_object_get (m, "err"));

      return mc_make_error (err, 0, "%s", why && *why ? why : "the command did not run");
    }
  *status = (int) json_integer_value (json_object_get (json_object_get (m, "metadata"), "return"));
  return 0;
}

int
mc_client_exec (struct mc_client *c, const char *name, json_t *body, bool no_stdin, int *status, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/1.0/instances/%s/exec", name);

  return session (c, path, body, false, no_stdin, status, err);
}

int
mc_client_console (struct mc_client *c, const char *name, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/1.0/instances/%s/console", name);
  cleanup_json json_t *body = NULL;
  struct winsize w = { 0 };
  int status;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &w) < 0 || w.ws_col == 0)
    {
      w.ws_col = 80;
      w.ws_row = 24;
    }
  body = json_pack ("{s:i, s:i, s:s}", "width", (int) w.ws_col, "height", (int) w.ws_row, "type", "console");
  return session (c, path, body, true, false, &status, err);
}
