/* The event loop: libwebsockets serves HTTP/1.1 and WebSocket on the unix
 * socket; a request is read whole (its JSON body at most BODY_MAX), routed
 * to a handler, and its answer written back.  Operations' pipes are watched
 * by the same loop (raw file descriptors), and /1.0/events listeners get
 * the operation and lifecycle events as they happen.  */
#include "api/server.h"
#include "api/backups.h"
#include "api/certificates.h"
#include "api/chunked.h"
#include "api/exec.h"
#include "api/files.h"
#include "api/host.h"
#include "api/images.h"
#include "api/instances.h"
#include "api/operations.h"
#include "api/profiles.h"
#include "api/response.h"
#include "api/wsflow.h"
#include "runtime/trust.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (4u << 20)
#define SERVER_MAX_FDS 1024
#define SERVER_READ_BUF (64u << 10)
#define PARAMS_MAX 32
#define EVENT_QUEUE_MAX 1024

/* ---- routing ---------------------------------------------------------- */

typedef int (*handler_fn) (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r);

/* "*" matches one path segment, which the handler gets in ARGS.  */
static const struct route
{
  const char *method, *pattern;
  handler_fn fn;
} routes[] = {
  { "GET", "/1.0", mc_api_host_get },
  { "PUT", "/1.0", mc_api_host_put },
  { "PATCH", "/1.0", mc_api_host_patch },
  { "GET", "/1.0/instances", mc_api_instances_list },
  { "POST", "/1.0/instances", mc_api_instances_post },
  { "GET", "/1.0/instances/*", mc_api_instance_get },
  { "PUT", "/1.0/instances/*", mc_api_instance_put },
  { "PATCH", "/1.0/instances/*", mc_api_instance_patch },
  { "DELETE", "/1.0/instances/*", mc_api_instance_delete },
  { "POST", "/1.0/instances/*", mc_api_instance_rename },
  { "POST", "/1.0/instances/*/exec", mc_api_instance_exec },
  { "POST", "/1.0/instances/*/console", mc_api_instance_console },
  { "GET", "/1.0/instances/*/console", mc_api_instance_console_log },
  { "GET", "/1.0/instances/*/logs", mc_api_instance_logs_list },
  { "GET", "/1.0/instances/*/logs/*", mc_api_instance_log_get },
  { "DELETE", "/1.0/instances/*/logs/*", mc_api_instance_log_delete },
  { "POST", "/1.0/instances/*/files", mc_api_instance_files_post },
  { "GET", "/1.0/instances/*/files", mc_api_instance_files_get },
  { "DELETE", "/1.0/instances/*/files", mc_api_instance_files_delete },
  { "GET", "/1.0/instances/*/state", mc_api_instance_state_get },
  { "PUT", "/1.0/instances/*/state", mc_api_instance_state_put },
  { "GET", "/1.0/instances/*/backups", mc_api_backups_list },
  { "POST", "/1.0/instances/*/backups", mc_api_backups_post },
  { "GET", "/1.0/instances/*/backups/*", mc_api_backup_get },
  { "DELETE", "/1.0/instances/*/backups/*", mc_api_backup_delete },
  { "GET", "/1.0/instances/*/backups/*/export", mc_api_backup_export },
  { "GET", "/1.0/instances/*/snapshots", mc_api_snapshots_list },
  { "POST", "/1.0/instances/*/snapshots", mc_api_snapshots_post },
  { "GET", "/1.0/instances/*/snapshots/*", mc_api_snapshot_get },
  { "DELETE", "/1.0/instances/*/snapshots/*", mc_api_snapshot_delete },
  { "GET", "/1.0/profiles", mc_api_profiles_list },
  { "GET", "/1.0/profiles/*", mc_api_profile_get },
  { "POST", "/1.0/profiles", mc_api_profiles_post },
  { "PUT", "/1.0/profiles/*", mc_api_profile_put },
  { "PATCH", "/1.0/profiles/*", mc_api_profile_patch },
  { "DELETE", "/1.0/profiles/*", mc_api_profile_delete },
  { "POST", "/1.0/profiles/*", mc_api_profile_rename },
  { "GET", "/1.0/networks", mc_api_networks_list },
  { "GET", "/1.0/networks/*", mc_api_network_get },
  { "GET", "/1.0/networks/*/state", mc_api_network_state },
  { "GET", "/1.0/networks/*/leases", mc_api_network_leases },
  { "POST", "/1.0/networks", mc_api_networks_post },
  { "PUT", "/1.0/networks/*", mc_api_network_put },
  { "PATCH", "/1.0/networks/*", mc_api_network_patch },
  { "DELETE", "/1.0/networks/*", mc_api_network_delete },
  { "GET", "/1.0/certificates", mc_api_certificates_list },
  { "POST", "/1.0/certificates", mc_api_certificates_post },
  { "GET", "/1.0/certificates/*", mc_api_certificate_get },
  { "DELETE", "/1.0/certificates/*", mc_api_certificate_delete },
  { "GET", "/1.0/images", mc_api_images_list },
  { "POST", "/1.0/images", mc_api_images_post },
  { "GET", "/1.0/images/aliases", mc_api_aliases_list },
  { "POST", "/1.0/images/aliases", mc_api_aliases_post },
  { "GET", "/1.0/images/aliases/*", mc_api_alias_get },
  { "DELETE", "/1.0/images/aliases/*", mc_api_alias_delete },
  { "POST", "/1.0/images/aliases/*", mc_api_alias_rename },
  { "GET", "/1.0/images/*", mc_api_image_get },
  { "GET", "/1.0/images/*/export", mc_api_image_export },
  { "DELETE", "/1.0/images/*", mc_api_image_delete },
};

#define MAX_ARGS 4

/* PATH against PATTERN; ARGS get the "*" segments (allocated).  */
static bool
route_match (const char *pattern, const char *path, char **args)
{
  size_t n = 0;

  while (*pattern && *path)
    {
      size_t lp = strcspn (pattern, "/"), ls = strcspn (path, "/");

      if (lp == 1 && *pattern == '*')
        {
          if (ls == 0 || n == MAX_ARGS)
            return false;
          args[n++] = xstrndup (path, ls);
        }
      else if (lp != ls || strncmp (pattern, path, lp) != 0)
        return false;
      pattern += lp;
      path += ls;
      if ((*pattern == '/') != (*path == '/'))
        return false;
      if (*pattern == '/')
        pattern++, path++;
    }
  return *pattern == '\0' && *path == '\0';
}

/* ---- connections ------------------------------------------------------- */

struct message
{
  struct message *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE bytes, then the text */
};

/* One per HTTP connection or websocket (libwebsockets' per-session data,
 * zeroed when the connection is made).  */
struct conn
{
  struct lws *wsi;
  /* the request */
  char method[8];
  char *path;
  char *params[PARAMS_MAX + 1];
  char *body;
  size_t body_len;
  bool too_big;
  json_t *lxd_headers;
  char *content_type;
  bool trusted;       /* the unix socket, or a trusted certificate */
  char *peer_pem;     /* over HTTPS: the client's certificate */
  bool spool;         /* the body goes to BODY_FD (a file upload) */
  int body_fd;
  bool spool_failed;
  bool chunked;       /* Transfer-Encoding: chunked (decoded here) */
  struct mc_chunked ch;
  bool dispatched;
  bool close_after;   /* libwebsockets lost track of the body: close after answering */
  /* the answer */
  char *out;          /* LWS_PRE bytes of headroom, then the body */
  size_t out_len, out_sent;
  int status;
  char *location;
  const char *ctype;  /* NULL: application/json */
  char ctype_buf[128]; /* a raw answer's, when given */
  json_t *out_headers; /* more headers: {"X-LXD-uid": "0", ...} */
  int out_fds[MC_API_PARTS_MAX]; /* the body is these files' bytes in a row (OUT_IS_FD) */
  size_t n_out_fds, cur_out_fd;
  bool out_is_fd;
  bool headers_sent;
  /* a file GET: its content, spooled by the operation */
  int file_fd;
  bool has_file_fd;
  /* GET /1.0/operations/ID/wait, or a sync answer that waits for its
     operation (a file push), parked until the operation ends */
  struct mc_op *wait_op;
  bool wait_sync;
  struct conn *next_waiter;
  /* /1.0/events */
  bool listener;
  bool want_operation, want_lifecycle;
  struct message *q_head, *q_tail;
  size_t q_len;
  struct conn *next_listener;
  /* an operation's websocket (exec's streams) */
  struct mc_exec_session *exec;
  int exec_slot;
};

/* An operation's pipe.  */
struct pipe_conn
{
  struct mc_op *op;
};

struct server
{
  struct mc_store store;
  struct mc_api_ctx ctx;
  struct lws_context *lws;
  struct lws_vhost *vhost;
  struct lws_vhost *https;   /* core.https_address's, or NULL */
  struct conn *waiters, *listeners;
  int listen_fd;             /* systemd's socket (socket activation), or -1 */
  bool trim;                 /* a connection ended: give freed memory back */
};

static volatile sig_atomic_t stopping;
static struct server *the_server;

static void
conn_reset (struct conn *c)
{
  size_t i;

  free (c->path);
  for (i = 0; i < PARAMS_MAX && c->params[i]; i++)
    free (c->params[i]);
  free (c->body);
  free (c->out);
  free (c->location);
  if (c->spool)
    close (c->body_fd);
  if (c->has_file_fd)
    close (c->file_fd);
  if (c->out_is_fd)
    for (i = 0; i < c->n_out_fds; i++)
      close (c->out_fds[i]);
  c->n_out_fds = c->cur_out_fd = 0;
  json_decref (c->out_headers);
  c->out_headers = NULL;
  c->ctype = NULL;
  c->has_file_fd = c->out_is_fd = false;
  json_decref (c->lxd_headers);
  c->lxd_headers = NULL;
  free (c->content_type);
  c->content_type = NULL;
  free (c->peer_pem);
  c->peer_pem = NULL;
  c->spool = c->spool_failed = c->chunked = c->dispatched = c->close_after = c->wait_sync = false;
  memset (&c->ch, 0, sizeof (c->ch));
  c->path = c->body = c->out = c->location = NULL;
  memset (c->params, 0, sizeof (c->params));
  c->body_len = c->out_len = c->out_sent = 0;
  c->too_big = c->headers_sent = false;
  c->status = 0;
  c->method[0] = '\0';
}

static void
unlink_waiter (struct server *srv, struct conn *c)
{
  struct conn **pp;

  for (pp = &srv->waiters; *pp; pp = &(*pp)->next_waiter)
    if (*pp == c)
      {
        *pp = c->next_waiter;
        break;
      }
  c->wait_op = NULL;
}

/* C waits for OP: linked among the waiters, and its input no longer
 * polled for (libwebsockets reads nothing during a transaction, so a
 * peer that went away would leave the socket readable, polled in a loop;
 * not polled for, a closed unix socket still shows as hung up, and the
 * connection is closed).  */
static void
park (struct server *srv, struct conn *c, struct mc_op *op)
{
  c->wait_op = op;
  c->next_waiter = srv->waiters;
  srv->waiters = c;
  sym_lws_rx_flow_control (c->wsi, 0);
}

/* C's wait is over: its input polled for again (the next request).  */
static void
unpark (struct server *srv, struct conn *c)
{
  unlink_waiter (srv, c);
  sym_lws_rx_flow_control (c->wsi, 1);
}

static void
unlink_listener (struct server *srv, struct conn *c)
{
  struct conn **pp;
  struct message *m;

  for (pp = &srv->listeners; *pp; pp = &(*pp)->next_listener)
    if (*pp == c)
      {
        *pp = c->next_listener;
        break;
      }
  while ((m = c->q_head) != NULL)
    {
      c->q_head = m->next;
      free (m);
    }
  c->q_tail = NULL;
  c->q_len = 0;
  c->listener = false;
}

static void respond (struct conn *c, struct mc_api_resp *r);

/* Answer C with the raw bytes of the N files FDS (taken; read from their
 * start), one after the other, as CTYPE (NULL: application/octet-stream)
 * with the extra HEADERS (taken; or NULL) besides those already set.  */
static void
respond_fds (struct conn *c, const int *fds, size_t n, const char *ctype, json_t *headers)
{
  struct mc_api_resp r = { 0 };
  size_t i, len = 0;
  bool ok = true;

  for (i = 0; i < n; i++)
    {
      struct stat st;

      if (fstat (fds[i], &st) < 0 || lseek (fds[i], 0, SEEK_SET) != 0)
        ok = false;
      else
        len += (size_t) st.st_size;
    }
  if (!ok)
    {
      for (i = 0; i < n; i++)
        close (fds[i]);
      json_decref (headers);
      mc_api_error (&r, 500, "Cannot read back the answer's content");
      respond (c, &r);
      mc_api_resp_release (&r);
      return;
    }
  c->out_is_fd = true;
  memcpy (c->out_fds, fds, n * sizeof (int));
  c->n_out_fds = n;
  c->cur_out_fd = 0;
  c->out_len = len;
  c->out_sent = 0;
  c->status = 200;
  snprintf (c->ctype_buf, sizeof (c->ctype_buf), "%s", ctype ? ctype : "application/octet-stream");
  c->ctype = c->ctype_buf;
  if (c->out_headers == NULL)
    c->out_headers = headers;
  else if (headers)
    {
      json_object_update (c->out_headers, headers);
      json_decref (headers);
    }
  sym_lws_callback_on_writable (c->wsi);
}

/* Answer C with STATUS and LEN bytes of TEXT (then a newline when
 * NEWLINE, as LXD ends its JSON), of CTYPE (NULL: application/json).  */
static void
respond_text (struct conn *c, int status, const char *ctype, const char *text, size_t len, bool newline)
{
  c->out = xmalloc (LWS_PRE + len + 1);
  memcpy (c->out + LWS_PRE, text, len);
  c->out[LWS_PRE + len] = '\n';
  c->out_len = len + (newline ? 1 : 0);
  c->out_sent = 0;
  c->status = status;
  c->ctype = ctype;
  sym_lws_callback_on_writable (c->wsi);
}

/* Answer C with the raw bytes TEXT.  */
static void
respond_raw (struct conn *c, const char *text)
{
  respond_text (c, 200, "application/octet-stream", text, strlen (text), false);
}

/* Queue the answer R on C and ask to write it.  */
static void
respond (struct conn *c, struct mc_api_resp *r)
{
  char *text = json_dumps (r->doc, JSON_COMPACT);

  c->location = r->location ? xstrdup (r->location) : NULL;
  respond_text (c, r->http, NULL, text ? text : "", text ? strlen (text) : 0, true);
  free (text);
}

/* ---- events ---------------------------------------------------------------- */

static void
broadcast (struct server *srv, const char *type, json_t *metadata)
{
  cleanup_free char *now = mc_api_now ();
  cleanup_json json_t *ev = json_pack ("{s:s, s:s, s:O, s:s, s:s}", "type", type, "timestamp", now, "metadata",
                                       metadata, "location", "none", "project", "default");
  cleanup_free char *text = json_dumps (ev, JSON_COMPACT);
  size_t len = text ? strlen (text) : 0;
  struct conn *c;

  if (text == NULL)
    return;
  for (c = srv->listeners; c; c = c->next_listener)
    {
      struct message *m;

      if (strcmp (type, "operation") == 0 ? !c->want_operation : !c->want_lifecycle)
        continue;
      /* A listener that does not read loses events, not the server's
         memory.  */
      if (c->q_len >= EVENT_QUEUE_MAX)
        continue;
      m = xmalloc (sizeof (*m) + LWS_PRE + len);
      m->next = NULL;
      m->len = len;
      memcpy (m->buf + LWS_PRE, text, len);
      if (c->q_tail)
        c->q_tail->next = m;
      else
        c->q_head = m;
      c->q_tail = m;
      c->q_len++;
      sym_lws_callback_on_writable (c->wsi);
    }
}

static void
op_event (struct server *srv, struct mc_op *op)
{
  cleanup_json json_t *j = mc_op_json (op);

  broadcast (srv, "operation", j);
}

static void op_ended (struct server *srv, struct mc_op *op);

/* Watch OP's pipe; tell the listeners it runs.  */
static void
watch_op (struct mc_op *op)
{
  struct server *srv = the_server;
  lws_sock_file_fd_type fd = { .filefd = op->fd };
  struct lws *pw = sym_lws_adopt_descriptor_vhost (srv->vhost, LWS_ADOPT_RAW_FILE_DESC, fd, "mc-op", NULL);

  op_event (srv, op);
  if (pw == NULL)
    op_ended (srv, op); /* the pipe is closed: reaped now */
  else
    ((struct pipe_conn *) sym_lws_wsi_user (pw))->op = op;
}

/* ---- requests ---------------------------------------------------------------- */

static bool
has_token (struct lws *wsi, enum lws_token_indexes t)
{
  return sym_lws_hdr_total_length (wsi, t) > 0;
}

static const char *
method_of (struct lws *wsi)
{
  if (has_token (wsi, WSI_TOKEN_GET_URI))
    return "GET";
  if (has_token (wsi, WSI_TOKEN_POST_URI))
    return "POST";
  if (has_token (wsi, WSI_TOKEN_PUT_URI))
    return "PUT";
  if (has_token (wsi, WSI_TOKEN_PATCH_URI))
    return "PATCH";
  if (has_token (wsi, WSI_TOKEN_DELETE_URI))
    return "DELETE";
  return "";
}

/* The request's query parts, as libwebsockets split and decoded them.  */
static void
read_params (struct conn *c)
{
  char buf[4096];
  int i, n = 0;

  for (i = 0; n < PARAMS_MAX; i++)
    {
      int len = sym_lws_hdr_copy_fragment (c->wsi, buf, sizeof (buf), WSI_TOKEN_HTTP_URI_ARGS, i);

      if (len < 0)
        break;
      c->params[n++] = xstrndup (buf, (size_t) len);
    }
}

static struct mc_api_resp
wait_answer (struct mc_op *op)
{
  struct mc_api_resp r = { 0 };

  mc_api_sync (&r, mc_op_json (op));
  return r;
}

static void respond (struct conn *c, struct mc_api_resp *r);

/* A file GET that waited for OP: LXD's answer, raw (a file, a symlink's
 * target) or JSON (a directory's names), with its X-LXD-* headers.  */
static void
file_answer (struct conn *c, struct mc_op *op)
{
  json_t *m = op->metadata;
  const char *type = json_string_value (json_object_get (m, "type"));
  struct mc_api_resp r = { 0 };

  if (op->status_code != 200 || type == NULL)
    {
      mc_api_error (&r, 404, "%s", op->err ? op->err : "not found");
      respond (c, &r);
      mc_api_resp_release (&r);
      return;
    }
  c->out_headers = json_pack ("{s:o, s:o, s:o, s:s}", "X-LXD-uid:",
                              json_sprintf ("%d", (int) json_integer_value (json_object_get (m, "uid"))), "X-LXD-gid:",
                              json_sprintf ("%d", (int) json_integer_value (json_object_get (m, "gid"))), "X-LXD-mode:",
                              json_sprintf ("%04o", (unsigned) json_integer_value (json_object_get (m, "mode"))),
                              "X-LXD-type:", type);
  if (strcmp (type, "directory") == 0)
    {
      mc_api_sync (&r, json_incref (json_object_get (m, "entries")));
      respond (c, &r);
      mc_api_resp_release (&r);
    }
  else if (strcmp (type, "symlink") == 0)
    respond_raw (c, json_string_value (json_object_get (m, "target")) ? json_string_value (json_object_get (m, "target"))
                                                                        : "");
  else
    {
      /* The spooled file becomes the answer's.  */
      c->has_file_fd = false;
      respond_fds (c, &c->file_fd, 1, NULL, NULL);
    }
}

/* A sync answer that waited for OP: null, or its error.  */
static struct mc_api_resp
sync_answer (struct mc_op *op)
{
  struct mc_api_resp r = { 0 };

  if (op->status_code == 200)
    mc_api_sync (&r, NULL);
  else
    mc_api_error (&r, 400, "%s", op->err ? op->err : "failed");
  return r;
}

/* GET /1.0/operations, /1.0/operations/ID and /ID/wait: here, since a wait
 * parks the connection.  1 when C was parked.  */
static int
operations (struct server *srv, struct conn *c, struct mc_api_resp *r)
{
  const char *rest = c->path + strlen ("/1.0/operations");
  cleanup_free char *timeout = NULL;
  struct mc_api_req req = { .method = c->method, .path = c->path, .params = c->params };
  struct mc_op *op;
  char id[40];
  size_t n;

  if (*rest == '\0')
    {
      json_t *running = json_array (), *success = json_array (), *failure = json_array ();
      bool full = mc_api_recursion (&req) > 0;

      if (strcmp (c->method, "GET") != 0)
        return mc_api_error (r, 405, "Method not allowed");
      for (op = mc_op_list (); op; op = op->next)
        {
          json_t *list = op->status_code == 103 ? running : op->status_code == 200 ? success : failure;

          json_array_append_new (list, full ? mc_op_json (op) : json_sprintf ("/1.0/operations/%s", op->id));
        }
      mc_api_sync (r, json_pack ("{s:o, s:o, s:o}", "running", running, "success", success, "failure", failure));
      return 0;
    }
  n = strcspn (rest + 1, "/");
  if (*rest != '/' || n == 0 || n >= sizeof (id))
    return mc_api_error (r, 404, "not found");
  memcpy (id, rest + 1, n);
  id[n] = '\0';
  rest += 1 + n;
  if ((op = mc_op_find (id)) == NULL)
    return mc_api_error (r, 404, "Operation not found");
  if (*rest == '\0' && strcmp (c->method, "GET") == 0)
    {
      mc_api_sync (r, mc_op_json (op));
      return 0;
    }
  /* LXD cancels what has a way to be cancelled (a download, a token);
     none of ours has: each runs in a child that the store's locks and
     atomic writes keep safe to let finish.  LXD's answers.  */
  if (*rest == '\0' && strcmp (c->method, "DELETE") == 0)
    return mc_api_error (r, 400, op->status_code == 103 ? "This operation can't be cancelled"
                                                         : "Only running operations can be cancelled");
  if (strcmp (rest, "/wait") != 0 || strcmp (c->method, "GET") != 0)
    return mc_api_error (r, 404, "not found");
  if (op->status_code != 103)
    {
      *r = wait_answer (op);
      return 0;
    }
  /* Parked until it ends, or until ?timeout= seconds (-1: no limit).  */
  timeout = mc_api_query (&req, "timeout");
  park (srv, c, op);
  if (timeout && atoi (timeout) >= 0)
    sym_lws_set_timer_usecs (c->wsi, (lws_usec_t) atoi (timeout) * LWS_USEC_PER_SEC);
  return 1;
}

/* What an untrusted client over HTTPS may ask: the server's description
 * and the join token's exchange, nothing else (LXD's rule).  */
static bool
untrusted_may (const struct conn *c)
{
  return (strcmp (c->method, "GET") == 0 && (strcmp (c->path, "/1.0") == 0 || strcmp (c->path, "/") == 0))
         || (strcmp (c->method, "POST") == 0 && strcmp (c->path, "/1.0/certificates") == 0);
}

static void
dispatch (struct server *srv, struct conn *c)
{
  struct mc_api_resp r = { 0 };
  struct mc_api_req req = { .method = c->method, .path = c->path, .params = c->params,
                            .body_fd = c->spool ? c->body_fd : -1, .lxd_headers = c->lxd_headers,
                            .content_type = c->content_type, .trusted = c->trusted, .peer_pem = c->peer_pem };
  char *args[MAX_ARGS + 1] = { 0 };
  bool path_known = false;
  json_error_t jerr;
  size_t i, j;

  c->dispatched = true;
  if (!c->trusted && !untrusted_may (c))
    mc_api_error (&r, 403, "not authorized");
  else if (c->too_big)
    mc_api_error (&r, 413, "Request body too large (over %u bytes)", BODY_MAX);
  else if (c->spool_failed)
    mc_api_error (&r, 500, "Cannot store the request body in the state directory");
  else if (c->body_len > 0
           && (req.body = json_loadb (c->body, c->body_len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
    mc_api_error (&r, 400, "Invalid JSON body: %s", jerr.text);
  else if (strcmp (c->path, "/") == 0 && strcmp (c->method, "GET") == 0)
    mc_api_sync (&r, json_pack ("[s]", "/1.0"));
  else if (strncmp (c->path, "/1.0/operations", 15) == 0 && (c->path[15] == '\0' || c->path[15] == '/'))
    {
      if (operations (srv, c, &r) == 1)
        {
          json_decref (req.body);
          return;
        }
    }
  else
    {
      for (i = 0; i < sizeof (routes) / sizeof (routes[0]) && r.doc == NULL; i++)
        {
          bool hit = route_match (routes[i].pattern, c->path, args);

          if (hit)
            path_known = true;
          if (hit && strcmp (routes[i].method, c->method) == 0)
            routes[i].fn (&srv->ctx, &req, (const char *const *) args, &r);
          for (j = 0; j < MAX_ARGS; j++)
            {
              free (args[j]);
              args[j] = NULL;
            }
        }
      if (r.doc == NULL)
        mc_api_error (&r, path_known ? 405 : 404, path_known ? "Method not allowed" : "not found");
    }
  json_decref (req.body);
  if (r.op)
    watch_op (r.op);
  if (r.file_op)
    {
      c->file_fd = r.file_fd;
      c->has_file_fd = true;
    }
  if (r.raw)
    {
      json_t *headers = r.raw_headers;

      r.raw_headers = NULL;
      respond_fds (c, r.parts, r.n_parts, r.raw_ctype[0] ? r.raw_ctype : NULL, headers);
      mc_api_resp_release (&r);
      return;
    }
  if (r.op && r.sync_op && r.op->status_code == 103)
    {
      /* The answer is the operation's outcome.  */
      c->wait_sync = true;
      park (srv, c, r.op);
      mc_api_resp_release (&r);
      return;
    }
  if (r.op && r.file_op)
    {
      mc_api_resp_release (&r);
      file_answer (c, r.op);
      return;
    }
  if (r.op && r.sync_op)
    {
      mc_api_resp_release (&r);
      r = sync_answer (r.op);
    }
  respond (c, &r);
  mc_api_resp_release (&r);
}

/* An operation ended: events, and the waiters' answers.  */
static void
op_ended (struct server *srv, struct mc_op *op)
{
  struct conn *c, *next;

  mc_op_finish (op);
  mc_api_exec_op_ended (op);
  op_event (srv, op);
  if (op->status_code == 200 && op->lifecycle)
    {
      cleanup_json json_t *m = json_pack ("{s:s, s:s, s:{}, s:{s:s, s:s, s:s}}", "action", op->lifecycle, "source",
                                          op->source ? op->source : "", "context", "requestor", "username", "root",
                                          "protocol", "unix", "address", "@");

      broadcast (srv, "lifecycle", m);
    }
  for (c = srv->waiters; c; c = next)
    {
      next = c->next_waiter;
      if (c->wait_op == op && c->has_file_fd)
        {
          unpark (srv, c);
          file_answer (c, op);
        }
      else if (c->wait_op == op)
        {
          struct mc_api_resp r = c->wait_sync ? sync_answer (op) : wait_answer (op);

          unpark (srv, c);
          sym_lws_set_timer_usecs (c->wsi, LWS_SET_TIMER_USEC_CANCEL);
          respond (c, &r);
          mc_api_resp_release (&r);
        }
    }
}

/* An answer the peer does not read fills its socket; meanwhile the peer
 * may shut down its sending side.  libwebsockets reads nothing during a
 * transaction, so that end of input would leave the socket readable,
 * and it polled in a loop, until the socket drains.  So while an answer
 * is under way, every PEER_CHECK_USEC the socket is peeked at: its end
 * (a peer that stopped asking stops being answered, as nginx does) closes
 * the connection.  */
#define PEER_CHECK_USEC 20000

static bool
peer_ended (struct conn *c)
{
  char b;
  ssize_t n = recv (sym_lws_get_socket_fd (c->wsi), &b, 1, MSG_PEEK | MSG_DONTWAIT);

  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Write what is due on C: the headers, then the body in pieces.  A
 * failure is -1, which has libwebsockets close the connection (for an
 * HTTP_WRITEABLE callback it takes only a negative value as that: a
 * positive one would leave a connection whose peer went away alive, its
 * socket readable and never read, polled in a loop).  */
static int
write_http (struct conn *c)
{
  unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof (buf) - 1];
  size_t n;
  bool final;

  if (c->out == NULL && !c->out_is_fd)
    return 0;
  if (!c->headers_sent)
    {
      const char *hk;
      json_t *hv;

      if (sym_lws_add_http_common_headers (c->wsi, (unsigned int) c->status,
                                           c->ctype ? c->ctype : "application/json", c->out_len, &p, end))
        return -1;
      json_object_foreach (c->out_headers, hk, hv)
        if (sym_lws_add_http_header_by_name (c->wsi, (const unsigned char *) hk,
                                             (const unsigned char *) json_string_value (hv),
                                             (int) strlen (json_string_value (hv)), &p, end))
          return -1;
      if ((c->location
              && sym_lws_add_http_header_by_name (c->wsi, (const unsigned char *) "Location:",
                                                  (const unsigned char *) c->location, (int) strlen (c->location),
                                                  &p, end))
          || sym_lws_finalize_write_http_header (c->wsi, start, &p, end))
        return -1;
      c->headers_sent = true;
      sym_lws_callback_on_writable (c->wsi);
      return 0;
    }
  n = c->out_len - c->out_sent;
  if (n > 65536)
    n = 65536;
  final = c->out_sent + n == c->out_len;
  if (c->out_is_fd)
    {
      static unsigned char fbuf[LWS_PRE + 65536];
      size_t got = 0;

      /* N bytes from the files in turn (a short read: the next file).  */
      while (got < n && c->cur_out_fd < c->n_out_fds)
        {
          ssize_t r = read (c->out_fds[c->cur_out_fd], fbuf + LWS_PRE + got, n - got);

          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return -1;
          if (r == 0)
            c->cur_out_fd++;
          got += (size_t) r;
        }
      if (got != n
          || sym_lws_write (c->wsi, fbuf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int) n)
        return -1;
    }
  else if (sym_lws_write (c->wsi, (unsigned char *) c->out + LWS_PRE + c->out_sent, n,
                          final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
           != (int) n)
    return -1;
  c->out_sent += n;
  if (!final)
    {
      sym_lws_callback_on_writable (c->wsi);
      /* (While the peer does not read: watch for it going, below.)  */
      sym_lws_set_timer_usecs (c->wsi, PEER_CHECK_USEC);
      return 0;
    }
  sym_lws_set_timer_usecs (c->wsi, LWS_SET_TIMER_USEC_CANCEL);
  if (c->close_after)
    return -1;
  conn_reset (c);
  return sym_lws_http_transaction_completed (c->wsi) ? -1 : 0;
}

static bool peer_trusted (struct server *srv, struct lws *wsi, char **pem);

/* A websocket: /1.0/events, or an operation's stream.  */
static int
ws_established (struct server *srv, struct conn *c)
{
  char uri[256];
  cleanup_free char *type = NULL, *secret = NULL;
  struct mc_api_req req = { .params = c->params };
  size_t n;

  if (sym_lws_hdr_copy (c->wsi, uri, sizeof (uri), WSI_TOKEN_GET_URI) < 0)
    return -1;
  read_params (c);
  n = strlen (uri);
  if (strncmp (uri, "/1.0/operations/", 16) == 0 && n > 26 && strcmp (uri + n - 10, "/websocket") == 0)
    {
      uri[n - 10] = '\0';
      secret = mc_api_query (&req, "secret");
      c->exec = secret ? mc_api_exec_attach (uri + 16, secret, c->wsi, &c->exec_slot) : NULL;
      return c->exec ? 0 : -1;
    }
  if (strcmp (uri, "/1.0/events") != 0)
    return -1;
  {
    char *pem = NULL;
    bool ok = peer_trusted (srv, c->wsi, &pem);

    free (pem);
    if (!ok)
      return -1;
  }
  type = mc_api_query (&req, "type");
  c->want_operation = type == NULL || *type == '\0' || strstr (type, "operation") != NULL;
  c->want_lifecycle = type == NULL || *type == '\0' || strstr (type, "lifecycle") != NULL;
  c->listener = true;
  c->next_listener = srv->listeners;
  srv->listeners = c;
  return 0;
}

static int
ws_write (struct conn *c)
{
  struct message *m = c->q_head;

  if (m == NULL)
    return 0;
  c->q_head = m->next;
  if (c->q_head == NULL)
    c->q_tail = NULL;
  c->q_len--;
  if (sym_lws_write (c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int) m->len)
    {
      free (m);
      return -1;
    }
  free (m);
  if (c->q_head)
    sym_lws_callback_on_writable (c->wsi);
  return 0;
}

/* Who is asking: on the unix socket, root or the minictr group (trusted);
 * over HTTPS, the holder of the certificate the client presented, trusted
 * when it is in the trust store.  *PEM gets that certificate.  */
static bool
peer_trusted (struct server *srv, struct lws *wsi, char **pem)
{
  char fp[MC_CERT_FP_LEN + 1];
  unsigned char *der = NULL, *b64;
  mc_error_t err = NULL;
  bool trusted = false;
  X509 *x;
  int n;

  *pem = NULL;
  if (srv->https == NULL || sym_lws_get_vhost (wsi) != srv->https)
    return true;
  if (mc_dl_ssl (&err) < 0 || mc_dl_x509 (&err) < 0
      || (x = sym_SSL_get1_peer_certificate ((SSL *) sym_lws_get_ssl (wsi))) == NULL)
    {
      mc_error_release (&err);
      return false;
    }
  n = sym_i2d_X509 (x, &der);
  sym_X509_free (x);
  if (n <= 0)
    return false;
  if (mc_cert_fingerprint_der (der, (size_t) n, fp, &err) == 0)
    trusted = mc_trust_has (&srv->store, fp);
  mc_error_release (&err);
  b64 = xmalloc (4 * (((size_t) n + 2) / 3) + 1);
  sym_EVP_EncodeBlock (b64, der, n);
  *pem = mc_cert_base64_pem ((char *) b64);
  free (b64);
  free (der);
  return trusted;
}

/* LXD's X-LXD-* headers (Go sends them as X-Lxd-Uid), lower-cased.  */
static json_t *
lxd_headers (struct lws *wsi)
{
  static const char *const names[] = { "uid", "gid", "mode", "type", "write", "filename", "name", "pool" };
  json_t *out = json_object ();
  size_t i, j;

  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      char spelled[3][32], value[256];

      snprintf (spelled[0], sizeof (spelled[0]), "X-LXD-%s:", names[i]);
      snprintf (spelled[1], sizeof (spelled[1]), "X-Lxd-%c%s:", names[i][0] - 'a' + 'A', names[i] + 1);
      snprintf (spelled[2], sizeof (spelled[2]), "x-lxd-%s:", names[i]);
      for (j = 0; j < 3; j++)
        {
          int n = (int) strlen (spelled[j]);

          if (sym_lws_hdr_custom_length (wsi, spelled[j], n) > 0
              && sym_lws_hdr_custom_copy (wsi, value, sizeof (value), spelled[j], n) >= 0)
            {
              json_object_set_new (out, names[i], json_string (value));
              break;
            }
        }
    }
  return out;
}

/* Whose body is a file, spooled to disk rather than held as JSON.  */
static bool
spooled_path (const char *path, const char *content_type)
{
  char *args[MAX_ARGS + 1] = { 0 };
  bool octets = content_type && strncmp (content_type, "application/octet-stream", 24) == 0;
  /* /1.0/images: an upload, or JSON (publish), told apart once it is
     here (api/images.c); /1.0/instances: JSON, or a backup to import.  */
  bool hit = route_match ("/1.0/instances/*/files", path, args) || strcmp (path, "/1.0/images") == 0
             || (strcmp (path, "/1.0/instances") == 0 && octets);
  size_t i;

  for (i = 0; i < MAX_ARGS; i++)
    free (args[i]);
  return hit;
}

/* Keep or spool N data bytes of a request body.  */
static void
body_keep (struct conn *c, const char *data, size_t n)
{
  if (c->spool)
    {
      if (!c->spool_failed && mc_write_all (c->body_fd, data, n) < 0)
        c->spool_failed = true;
    }
  else if (!c->too_big)
    {
      if (c->body_len + n > BODY_MAX)
        c->too_big = true;
      else
        {
          c->body = xrealloc (c->body, c->body_len + n + 1);
          memcpy (c->body + c->body_len, data, n);
          c->body_len += n;
        }
    }
}

/* Request body bytes: decoded when chunked, then kept (JSON, at most
 * BODY_MAX) or spooled, one write per read of the connection.  */
static int
body_in (struct server *srv, struct conn *c, const void *in, size_t len)
{
  cleanup_free char *buf = NULL;
  size_t got = len, used = len;

  if (c->dispatched || len == 0)
    return 0;
  if (!c->chunked)
    {
      body_keep (c, in, len);
      return 0;
    }
  /* Decoded in a copy: IN is libwebsockets' buffer.  */
  buf = xmalloc (len);
  memcpy (buf, in, len);
  if (mc_chunked_feed (&c->ch, buf, len, &got, &used) < 0)
    {
      struct mc_api_resp r = { 0 };

      c->dispatched = c->close_after = true;
      mc_api_error (&r, 400, "Malformed chunked request body");
      respond (c, &r);
      mc_api_resp_release (&r);
      return 0;
    }
  body_keep (c, buf, got);
  if (c->ch.done)
    {
      /* libwebsockets still counts this body: the connection ends with
         the answer.  */
      c->close_after = true;
      dispatch (srv, c);
    }
  return 0;
}

static int
callback_http (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct server *srv = the_server;
  struct conn *c = user;
  int ret;

  switch (reason)
    {
    case LWS_CALLBACK_HTTP:
      conn_reset (c);
      c->wsi = wsi;
      snprintf (c->method, sizeof (c->method), "%s", method_of (wsi));
      c->path = xstrdup (in ? (const char *) in : "/");
      read_params (c);
      c->lxd_headers = lxd_headers (wsi);
      c->trusted = peer_trusted (srv, wsi, &c->peer_pem);
      if (has_token (wsi, WSI_TOKEN_HTTP_CONTENT_TYPE))
        {
          char ct[512];

          if (sym_lws_hdr_copy (wsi, ct, sizeof (ct), WSI_TOKEN_HTTP_CONTENT_TYPE) > 0)
            c->content_type = xstrdup (ct);
        }
      if (has_token (wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING))
        {
          char te[64];

          c->chunked = sym_lws_hdr_copy (wsi, te, sizeof (te), WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0
                       && strstr (te, "chunked") != NULL;
        }
      /* Refused before its body is read, let alone stored; the
         connection ends with the answer.  */
      if (!c->trusted && !untrusted_may (c))
        {
          c->close_after = true;
          dispatch (srv, c);
          return 0;
        }
      if (strcmp (c->method, "POST") == 0 && spooled_path (c->path, c->content_type))
        {
          c->body_fd = openat (srv->store.rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
          c->spool = c->body_fd >= 0;
          c->spool_failed = !c->spool;
        }
      /* A body comes with POST, PUT and PATCH, unless it is said to be
         empty (libwebsockets ends a POST's empty body itself).  */
      if ((strcmp (c->method, "PUT") == 0 || strcmp (c->method, "PATCH") == 0)
          && has_token (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH))
        {
          char cl[32];

          if (sym_lws_hdr_copy (wsi, cl, sizeof (cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && atoll (cl) == 0)
            {
              dispatch (srv, c);
              return 0;
            }
        }
      if (strcmp (c->method, "POST") != 0 && strcmp (c->method, "PUT") != 0 && strcmp (c->method, "PATCH") != 0)
        dispatch (srv, c);
      return 0;

    case LWS_CALLBACK_HTTP_BODY:
      return body_in (srv, c, in, len);

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (c->dispatched)
        return 0;
      if (c->chunked)
        {
          /* libwebsockets stopped at its limit for a body of no stated
             length before the last chunk came.  */
          struct mc_api_resp r = { 0 };

          c->dispatched = c->close_after = true;
          mc_api_error (&r, 413, "Request body too large (a chunked body over 100 MB)");
          respond (c, &r);
          mc_api_resp_release (&r);
          return 0;
        }
      dispatch (srv, c);
      return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE:
      return write_http (c);

    case LWS_CALLBACK_TIMER:
      /* A wait that timed out: the operation as it stands.  */
      if (c->wait_op)
        {
          struct mc_api_resp r = wait_answer (c->wait_op);

          unpark (srv, c);
          respond (c, &r);
          mc_api_resp_release (&r);
        }
      /* An answer under way (write_http); its peer gone, the connection
         is dropped at once, with no wait to flush what libwebsockets may
         hold.  (The cancel of write_http's last timer fires it once more,
         in libwebsockets 4.1: with no answer under way, it does nothing.)  */
      else if (c->headers_sent)
        {
          if (peer_ended (c))
            sym_lws_set_timeout (wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
          else
            sym_lws_set_timer_usecs (wsi, PEER_CHECK_USEC);
        }
      return 0;

    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (c)
        {
          if (c->wait_op)
            unlink_waiter (srv, c);
          conn_reset (c);
        }
      srv->trim = true;
      break;

    case LWS_CALLBACK_ESTABLISHED:
      c->wsi = wsi;
      return ws_established (srv, c);

    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
      /* Any certificate, self-signed as LXD's clients' are: whether it is
         trusted is decided per request.  */
      return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
      mc_wsflow_writable (wsi);
      ret = c->exec ? mc_api_exec_ws_writable (c->exec, c->exec_slot) : ws_write (c);
      mc_wsflow_wrote (wsi);
      return ret;

    case LWS_CALLBACK_RECEIVE:
      if (c->exec)
        mc_api_exec_ws_rx (c->exec, c->exec_slot, in, len, !sym_lws_frame_is_binary (wsi),
                           sym_lws_is_final_fragment (wsi));
      return 0;

    case LWS_CALLBACK_CLOSED:
      if (c->exec)
        {
          mc_api_exec_ws_closed (c->exec, c->exec_slot);
          c->exec = NULL;
        }
      if (c->listener)
        unlink_listener (srv, c);
      conn_reset (c);
      srv->trim = true;
      return 0;

    default:
      break;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

static int
callback_op_pipe (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct pipe_conn *p = user;
  char buf[512];
  ssize_t n;

  switch (reason)
    {
    case LWS_CALLBACK_RAW_RX_FILE:
      if (p->op == NULL)
        return 0;
      n = read (p->op->fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        return 0;
      if (n <= 0)
        return -1;
      mc_op_output (p->op, buf, (size_t) n);
      return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (p->op)
        op_ended (the_server, p->op);
      p->op = NULL;
      return 0;
    default:
      break;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

/* The socket systemd passed (socket activation): each connection it
 * accepts becomes an HTTP connection of the unix vhost.  */
static int
callback_listen (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct server *srv = the_server;

  if (reason == LWS_CALLBACK_RAW_RX_FILE)
    {
      lws_sock_file_fd_type fd;

      fd.sockfd = accept4 (srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd.sockfd < 0)
        return 0; /* EAGAIN, ECONNABORTED, EMFILE: the next one */
      if (sym_lws_adopt_descriptor_vhost (srv->vhost, LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP, fd, NULL, NULL) == NULL)
        close (fd.sockfd);
      return 0;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
  /* tx_packet_size: a write goes to the socket whole (up to 64 KiB, the
     largest we make), not 4 KiB at a time with the rest held (wsflow.h).  */
  { "http", callback_http, sizeof (struct conn), 4096, 0, NULL, 65536 + 64 },
  { "mc-op", callback_op_pipe, sizeof (struct pipe_conn), 0, 0, NULL, 0 },
  { "mc-listen", callback_listen, 0, 0, 0, NULL, 0 },
  { "mc-exec-io", mc_api_exec_io_callback, sizeof (struct mc_exec_io), 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- the socket --------------------------------------------------------------- */

/* A socket file left by a server that is gone goes; one that answers is
 * another server's.  */
static int
clear_stale_socket (const char *path, mc_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  struct stat st;

  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : mc_make_error (err, errno, "stat `%s`", path);
  if (!S_ISSOCK (st.st_mode))
    return mc_make_error (err, 0, "`%s` exists and is not a socket", path);
  if (strlen (path) >= sizeof (sa.sun_path))
    return mc_make_error (err, 0, "socket path `%s` too long", path);
  strcpy (sa.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return mc_make_error (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) == 0)
    return mc_make_error (err, 0, "another server already listens on `%s`", path);
  if (unlink (path) < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "remove the stale socket `%s`", path);
  return 0;
}

/* The gid of the system group NAME, from /etc/group itself (where
 * sysusers and groupadd put system groups), or -1.  Not getgrnam(): the
 * NSS modules it loads would stay mapped in the server for good.  */
static gid_t
system_group (const char *name)
{
  FILE *f = fopen ("/etc/group", "re");
  struct group *g;
  gid_t gid = (gid_t) -1;

  if (f == NULL)
    return gid;
  while ((g = fgetgrent (f)) != NULL)
    if (strcmp (g->gr_name, name) == 0)
      {
        gid = g->gr_gid;
        break;
      }
  fclose (f);
  return gid;
}

/* LXD's unix socket is for root and the `lxd` group; ours for root and
 * the `minictr` group when there is one.  */
static int
restrict_socket (const char *path, mc_error_t *err)
{
  gid_t gid = system_group ("minictr");
  bool group = gid != (gid_t) -1;

  if (chown (path, 0, group ? gid : 0) < 0 || chmod (path, group ? 0660 : 0600) < 0)
    return mc_make_error (err, errno, "set the owner and mode of `%s`", path);
  return 0;
}

/* core.https_address: a second listener, TLS with the server's own
 * certificate (made on first use), asking clients for theirs.  */
static int
https_vhost (struct server *srv, mc_error_t *err)
{
  cleanup_json json_t *config = mc_server_config_load (&srv->store, err);
  cleanup_free char *crt = NULL, *key = NULL, *host = NULL;
  struct lws_context_creation_info v;
  char fp[MC_CERT_FP_LEN + 1];
  const char *addr, *colon;

  if (config == NULL)
    return -1;
  if ((addr = json_string_value (json_object_get (config, "core.https_address"))) == NULL || *addr == '\0')
    return 0;
  if (mc_server_cert (&srv->store, &crt, &key, fp, err) < 0)
    return -1;
  colon = strrchr (addr, ':');
  host = addr[0] == '[' ? xstrndup (addr + 1, (size_t) (colon - addr - 2)) : xstrndup (addr, (size_t) (colon - addr));
  memset (&v, 0, sizeof (v));
  v.vhost_name = "https";
  v.port = atoi (colon + 1);
  v.iface = *host ? host : NULL;
  v.protocols = protocols;
  v.ssl_cert_filepath = crt;
  v.ssl_private_key_filepath = key;
  v.options = LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT | LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED;
  v.max_http_header_data = 8192;
  v.timeout_secs = 60;
  if ((srv->https = sym_lws_create_vhost (srv->lws, &v)) == NULL)
    return mc_make_error (err, 0, "cannot serve HTTPS on `%s`", addr);
  return 0;
}

/* systemd's socket activation (sd_listen_fds(3)'s protocol, read here
 * without libsystemd): LISTEN_PID is us and LISTEN_FDS=1, fd 3 a
 * listening unix stream socket.  Returns 3, -1 when not activated, -2 on
 * an error (in *ERR).  The variables are not passed on.  */
static int
activation_socket (mc_error_t *err)
{
  const char *pid = getenv ("LISTEN_PID"), *fds = getenv ("LISTEN_FDS");
  int acc = 0, domain = 0, type = 0;
  socklen_t l = sizeof (int);
  bool ours = pid && fds && strtol (pid, NULL, 10) == (long) getpid ();

  unsetenv ("LISTEN_PID");
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_FDNAMES");
  if (!ours)
    return -1;
  if (strcmp (fds, "1") != 0)
    {
      mc_make_error (err, 0, "socket activation passed %s sockets; minictr serve takes one (a unix stream socket)", fds);
      return -2;
    }
  if (getsockopt (3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0 || !acc
      || getsockopt (3, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 || domain != AF_UNIX
      || getsockopt (3, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_STREAM)
    {
      mc_make_error (err, 0, "socket activation: fd 3 is not a listening unix stream socket (ListenStream= a path)");
      return -2;
    }
  if (fcntl (3, F_SETFD, FD_CLOEXEC) < 0 || fcntl (3, F_SETFL, fcntl (3, F_GETFL) | O_NONBLOCK) < 0)
    {
      mc_make_error (err, errno, "socket activation: set up fd 3");
      return -2;
    }
  return 3;
}

static void
on_signal (int sig)
{
  (void) sig;
  stopping = 1;
  if (the_server && the_server->lws)
    sym_lws_cancel_service (the_server->lws);
}

int
mc_api_serve (const struct mc_api_options *o, mc_error_t *err)
{
  struct lws_context_creation_info info;
  struct server srv;
  cleanup_free char *path = NULL;
  struct sigaction sa;
  mode_t old_umask;
  int ret = 0;

  memset (&srv, 0, sizeof (srv));
  if ((srv.listen_fd = activation_socket (err)) == -2)
    return -1;
  if (mc_dl_lws (err) < 0 || mc_store_open (&srv.store, err) < 0)
    return -1;
  path = o->socket_path ? xstrdup (o->socket_path) : xasprintf ("%s/unix.socket", srv.store.root);
  if (srv.listen_fd < 0 && clear_stale_socket (path, err) < 0)
    {
      mc_store_close (&srv.store);
      return -1;
    }
  srv.ctx.store = &srv.store;
  srv.ctx.version = o->version;
  the_server = &srv;
  sym_lws_set_log_level (getenv ("MC_LWS_DEBUG") ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO | LLL_DEBUG : LLL_ERR, NULL);
  /* The socket is made with no access for others, before its owner and
     mode are set: no window in which anyone could connect.  */
  old_umask = umask (077);
  memset (&info, 0, sizeof (info));
  info.options = srv.listen_fd < 0 ? LWS_SERVER_OPTION_UNIX_SOCK : 0;
  /* IPv6 off unless the HTTPS address is an IPv6 one: with it on, an IPv4
     address would not be what libwebsockets binds to.  OpenSSL is set up
     only for HTTPS: its initialisation alone makes the server's memory
     twice as large.  */
  {
    mc_error_t e = NULL;
    cleanup_json json_t *config = mc_server_config_load (&srv.store, &e);
    const char *a = config ? json_string_value (json_object_get (config, "core.https_address")) : NULL;

    mc_error_release (&e);
    if (a == NULL || a[0] != '[')
      info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (a && *a)
      info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  }
  /* Socket activated: systemd made the socket (owner, mode, path are its
     unit's); libwebsockets gets the connections accepted from it.  */
  info.iface = srv.listen_fd < 0 ? path : NULL;
  info.port = srv.listen_fd < 0 ? 0 : CONTEXT_PORT_NO_LISTEN_SERVER;
  info.protocols = protocols;
  info.gid = (gid_t) -1;
  info.uid = (uid_t) -1;
  info.max_http_header_data = 8192;
  /* libwebsockets sizes its fd tables by `ulimit -n` unless told a
     number (at 20000 files, 320 KiB of the server's memory); the
     connections a server of ours holds at once are far fewer.  */
  info.fd_limit_per_thread = SERVER_MAX_FDS;
  /* What one read of a connection takes: an uploaded file or image
     arrives in pieces of this size (the default, 4 KiB, made a 1 MiB
     upload 256 reads, polls and writes).  */
  info.pt_serv_buf_size = SERVER_READ_BUF;
  info.timeout_secs = 60;
  srv.lws = sym_lws_create_context (&info);
  umask (old_umask);
  if (srv.lws == NULL)
    {
      mc_store_close (&srv.store);
      the_server = NULL;
      return mc_make_error (err, 0, "cannot serve on `%s` (libwebsockets could not listen there)", path);
    }
  srv.vhost = sym_lws_get_vhost_by_name (srv.lws, "default");
  if (srv.vhost && https_vhost (&srv, err) < 0)
    ret = -1;
  if (ret == 0 && srv.vhost && srv.listen_fd >= 0)
    {
      lws_sock_file_fd_type fd = { .filefd = srv.listen_fd };

      if (sym_lws_adopt_descriptor_vhost (srv.vhost, LWS_ADOPT_RAW_FILE_DESC, fd, "mc-listen", NULL) == NULL)
        ret = mc_make_error (err, 0, "cannot watch the socket systemd passed");
    }
  if (srv.vhost == NULL || (srv.listen_fd < 0 && restrict_socket (path, err) < 0))
    {
      if (srv.vhost == NULL)
        mc_make_error (err, 0, "libwebsockets made no default vhost");
      ret = -1;
    }
  mc_api_exec_setup (srv.vhost, watch_op);
  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = on_signal;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  while (ret == 0 && !stopping)
    {
      if (sym_lws_service (srv.lws, 0) < 0)
        break;
      /* A server idles most of its life: what a client's requests took
         from the heap goes back to the system when it leaves (each
         `lxc` command is a client of its own; a connection that stays
         pays nothing).  */
      if (srv.trim)
        {
          srv.trim = false;
          malloc_trim (0);
        }
    }
  sym_lws_context_destroy (srv.lws);
  srv.lws = NULL;
  if (srv.listen_fd < 0)
    (void) unlink (path);
  mc_store_close (&srv.store);
  the_server = NULL;
  return ret;
}
