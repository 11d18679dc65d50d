/* The event loop: libwebsockets serves HTTP/1.1 and WebSocket on the unix
 * socket; a request is read whole (its JSON body at most BODY_MAX), routed
 * to a handler, and its answer written back.  Operations' pipes are watched
 * by the same loop (raw file descriptors), and /1.0/events listeners get
 * the operation and lifecycle events as they happen.  */
#include "api/server.h"
#include "api/exec.h"
#include "api/host.h"
#include "api/images.h"
#include "api/instances.h"
#include "api/operations.h"
#include "api/profiles.h"
#include "api/response.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
  { "GET", "/1.0/instances", mc_api_instances_list },
  { "POST", "/1.0/instances", mc_api_instances_post },
  { "GET", "/1.0/instances/*", mc_api_instance_get },
  { "PUT", "/1.0/instances/*", mc_api_instance_put },
  { "PATCH", "/1.0/instances/*", mc_api_instance_patch },
  { "DELETE", "/1.0/instances/*", mc_api_instance_delete },
  { "POST", "/1.0/instances/*/exec", mc_api_instance_exec },
  { "GET", "/1.0/instances/*/state", mc_api_instance_state_get },
  { "PUT", "/1.0/instances/*/state", mc_api_instance_state_put },
  { "GET", "/1.0/instances/*/snapshots", mc_api_snapshots_list },
  { "POST", "/1.0/instances/*/snapshots", mc_api_snapshots_post },
  { "GET", "/1.0/instances/*/snapshots/*", mc_api_snapshot_get },
  { "DELETE", "/1.0/instances/*/snapshots/*", mc_api_snapshot_delete },
  { "GET", "/1.0/profiles", mc_api_profiles_list },
  { "GET", "/1.0/profiles/*", mc_api_profile_get },
  { "GET", "/1.0/networks", mc_api_networks_list },
  { "GET", "/1.0/networks/*", mc_api_network_get },
  { "GET", "/1.0/images", mc_api_images_list },
  { "GET", "/1.0/images/aliases", mc_api_aliases_list },
  { "GET", "/1.0/images/aliases/*", mc_api_alias_get },
  { "GET", "/1.0/images/*", mc_api_image_get },
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
  /* the answer */
  char *out;          /* LWS_PRE bytes of headroom, then the body */
  size_t out_len, out_sent;
  int status;
  char *location;
  bool headers_sent;
  /* GET /1.0/operations/ID/wait, parked until the operation ends */
  struct mc_op *wait_op;
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
  struct conn *waiters, *listeners;
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

/* Queue the answer R on C and ask to write it.  */
static void
respond (struct conn *c, struct mc_api_resp *r)
{
  char *text = json_dumps (r->doc, JSON_COMPACT);
  size_t len = text ? strlen (text) : 0;

  c->out = xmalloc (LWS_PRE + len + 1);
  memcpy (c->out + LWS_PRE, text ? text : "", len);
  c->out[LWS_PRE + len] = '\n';
  c->out_len = len + 1;
  c->out_sent = 0;
  c->status = r->http;
  c->location = r->location ? xstrdup (r->location) : NULL;
  free (text);
  sym_lws_callback_on_writable (c->wsi);
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
  if (*rest == '\0' && strcmp (c->method, "DELETE") == 0)
    return mc_api_error (r, 403, "This operation cannot be cancelled");
  if (strcmp (rest, "/wait") != 0 || strcmp (c->method, "GET") != 0)
    return mc_api_error (r, 404, "not found");
  if (op->status_code != 103)
    {
      *r = wait_answer (op);
      return 0;
    }
  /* Parked until it ends, or until ?timeout= seconds (-1: no limit).  */
  timeout = mc_api_query (&req, "timeout");
  c->wait_op = op;
  c->next_waiter = srv->waiters;
  srv->waiters = c;
  if (timeout && atoi (timeout) >= 0)
    sym_lws_set_timer_usecs (c->wsi, (lws_usec_t) atoi (timeout) * LWS_USEC_PER_SEC);
  return 1;
}

static void
dispatch (struct server *srv, struct conn *c)
{
  struct mc_api_resp r = { 0 };
  struct mc_api_req req = { .method = c->method, .path = c->path, .params = c->params };
  char *args[MAX_ARGS + 1] = { 0 };
  bool path_known = false;
  json_error_t jerr;
  size_t i, j;

  if (c->too_big)
    mc_api_error (&r, 413, "Request body too large (over %u bytes)", BODY_MAX);
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
      if (c->wait_op == op)
        {
          struct mc_api_resp r = wait_answer (op);

          unlink_waiter (srv, c);
          sym_lws_set_timer_usecs (c->wsi, LWS_SET_TIMER_USEC_CANCEL);
          respond (c, &r);
          mc_api_resp_release (&r);
        }
    }
}

/* Write what is due on C: the headers, then the body in pieces.  */
static int
write_http (struct conn *c)
{
  unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof (buf) - 1];
  size_t n;
  bool final;

  if (c->out == NULL)
    return 0;
  if (!c->headers_sent)
    {
      if (sym_lws_add_http_common_headers (c->wsi, (unsigned int) c->status, "application/json", c->out_len, &p, end)
          || (c->location
              && sym_lws_add_http_header_by_name (c->wsi, (const unsigned char *) "Location:",
                                                  (const unsigned char *) c->location, (int) strlen (c->location),
                                                  &p, end))
          || sym_lws_finalize_write_http_header (c->wsi, start, &p, end))
        return 1;
      c->headers_sent = true;
      sym_lws_callback_on_writable (c->wsi);
      return 0;
    }
  n = c->out_len - c->out_sent;
  if (n > 65536)
    n = 65536;
  final = c->out_sent + n == c->out_len;
  if (sym_lws_write (c->wsi, (unsigned char *) c->out + LWS_PRE + c->out_sent, n,
                     final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
      != (int) n)
    return 1;
  c->out_sent += n;
  if (!final)
    {
      sym_lws_callback_on_writable (c->wsi);
      return 0;
    }
  conn_reset (c);
  return sym_lws_http_transaction_completed (c->wsi) ? -1 : 0;
}

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

static int
callback_http (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct server *srv = the_server;
  struct conn *c = user;

  switch (reason)
    {
    case LWS_CALLBACK_HTTP:
      conn_reset (c);
      c->wsi = wsi;
      snprintf (c->method, sizeof (c->method), "%s", method_of (wsi));
      c->path = xstrdup (in ? (const char *) in : "/");
      read_params (c);
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
      if (c->too_big || len == 0)
        return 0;
      if (c->body_len + len > BODY_MAX)
        {
          c->too_big = true;
          return 0;
        }
      c->body = xrealloc (c->body, c->body_len + len);
      memcpy (c->body + c->body_len, in, len);
      c->body_len += len;
      return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      dispatch (srv, c);
      return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE:
      return write_http (c);

    case LWS_CALLBACK_TIMER:
      /* A wait that timed out: the operation as it stands.  */
      if (c->wait_op)
        {
          struct mc_api_resp r = wait_answer (c->wait_op);

          unlink_waiter (srv, c);
          respond (c, &r);
          mc_api_resp_release (&r);
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
      break;

    case LWS_CALLBACK_ESTABLISHED:
      c->wsi = wsi;
      return ws_established (srv, c);

    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (c->exec)
        return mc_api_exec_ws_writable (c->exec, c->exec_slot);
      return ws_write (c);

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

static const struct lws_protocols protocols[] = {
  { "http", callback_http, sizeof (struct conn), 4096, 0, NULL, 0 },
  { "mc-op", callback_op_pipe, sizeof (struct pipe_conn), 0, 0, NULL, 0 },
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

/* LXD's unix socket is for root and the `lxd` group; ours for root and
 * the `minictr` group when there is one.  */
static int
restrict_socket (const char *path, mc_error_t *err)
{
  struct group *g = getgrnam ("minictr");

  if (chown (path, 0, g ? g->gr_gid : 0) < 0 || chmod (path, g ? 0660 : 0600) < 0)
    return mc_make_error (err, errno, "set the owner and mode of `%s`", path);
  return 0;
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
  int ret = 0;

  memset (&srv, 0, sizeof (srv));
  if (mc_dl_lws (err) < 0 || mc_store_open (&srv.store, err) < 0)
    return -1;
  path = o->socket_path ? xstrdup (o->socket_path) : xasprintf ("%s/unix.socket", srv.store.root);
  if (clear_stale_socket (path, err) < 0)
    {
      mc_store_close (&srv.store);
      return -1;
    }
  srv.ctx.store = &srv.store;
  srv.ctx.version = o->version;
  the_server = &srv;
  sym_lws_set_log_level (LLL_ERR, NULL);
  memset (&info, 0, sizeof (info));
  info.options = LWS_SERVER_OPTION_UNIX_SOCK | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.iface = path;
  info.port = 0;
  info.protocols = protocols;
  info.gid = (gid_t) -1;
  info.uid = (uid_t) -1;
  info.max_http_header_data = 8192;
  info.timeout_secs = 60;
  srv.lws = sym_lws_create_context (&info);
  if (srv.lws == NULL)
    {
      mc_store_close (&srv.store);
      the_server = NULL;
      return mc_make_error (err, 0, "cannot serve on `%s` (libwebsockets could not listen there)", path);
    }
  srv.vhost = sym_lws_get_vhost_by_name (srv.lws, "default");
  if (srv.vhost == NULL || restrict_socket (path, err) < 0)
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
    if (sym_lws_service (srv.lws, 0) < 0)
      break;
  sym_lws_context_destroy (srv.lws);
  srv.lws = NULL;
  (void) unlink (path);
  mc_store_close (&srv.store);
  the_server = NULL;
  return ret;
}
