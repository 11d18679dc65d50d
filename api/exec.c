#include "api/exec.h"
#include "api/operations.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/state.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <termios.h>
#include <dirent.h>
#include <unistd.h>

#define SLOTS 4
#define SLOT_CONTROL 3
/* Output queued for a websocket beyond this stops reading the command's
 * side until it drains (the client is slower than the command).  */
#define QUEUE_HIGH (1u << 20)
#define CONTROL_MAX 4096

struct out_msg
{
  struct out_msg *next;
  size_t len;
  bool text, close;
  unsigned char buf[]; /* LWS_PRE bytes, then the data */
};

struct mc_exec_session
{
  struct mc_op *op;
  json_t *work;             /* what the child runs */
  bool interactive;
  bool console;             /* the container's console, not a command */
  char secret[SLOTS][65];   /* "" for a slot not used */
  struct lws *ws[SLOTS];
  bool attached[SLOTS];
  bool started, op_done;
  int width, height;
  /* the server's ends: stdin (the pty master when interactive), stdout, stderr */
  int fd[3];
  struct lws *io[3];
  bool eof[3];              /* output stream ended (its barrier queued) */
  struct out_msg *q_head[SLOTS], *q_tail[SLOTS];
  size_t q_bytes[SLOTS];
  unsigned char *pending;   /* input not yet written to the command */
  size_t pending_len;
  bool in_eof;              /* the client ended stdin */
  char control[CONTROL_MAX];
  size_t control_len;
  struct mc_exec_session *next;
};

static struct mc_exec_session *sessions;
static struct lws_vhost *vhost;
static void (*watch_op) (struct mc_op *op);

void
mc_api_exec_setup (struct lws_vhost *vh, void (*watch) (struct mc_op *op))
{
  vhost = vh;
  watch_op = watch;
}

/* ---- the child ----------------------------------------------------------------- */

static int
exec_fn (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  json_t *cmd = json_object_get (work, "command"), *env = json_object_get (work, "environment"), *v;
  size_t n = json_array_size (cmd), i = 0, ne = 0;
  cleanup_free char **argv = xmalloc ((n + 1) * sizeof (char *));
  cleanup_free const char **envv = xmalloc ((json_object_size (env) + 1) * sizeof (char *));
  struct mc_exec_request req = { 0 };
  const char *k;
  int status = 0;

  for (i = 0; i < n; i++)
    argv[i] = (char *) json_string_value (json_array_get (cmd, i));
  argv[n] = NULL;
  json_object_foreach (env, k, v)
    envv[ne++] = xasprintf ("%s=%s", k, json_string_value (v));
  req.name = json_string_value (json_object_get (work, "name"));
  req.argv = argv;
  req.env = envv;
  req.n_env = ne;
  req.cwd = json_string_value (json_object_get (work, "cwd"));
  req.uid = (uid_t) json_integer_value (json_object_get (work, "user"));
  req.gid = (gid_t) json_integer_value (json_object_get (work, "group"));
  req.pty = json_is_true (json_object_get (work, "interactive"));
  if (mc_container_exec (s, &req, &status, err) < 0)
    return -1;
  *metadata = json_pack ("{s:i}", "return", status);
  return 0;
}

/* The console's operation: the container's console socket and our end of
 * the session (fd 0) joined, byte for byte, until either ends.  */
static int
console_fn (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  cleanup_close int sock = mc_console_connect (json_string_value (json_object_get (work, "name")), err);
  char buf[16384];

  (void) s;
  (void) metadata;
  if (sock < 0)
    return -1;
  for (;;)
    {
      struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { sock, POLLIN, 0 } };
      ssize_t n;
      int i;

      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return mc_make_error (err, errno, "poll");
        }
      for (i = 0; i < 2; i++)
        if (p[i].revents)
          {
            n = read (p[i].fd, buf, sizeof (buf));
            if (n <= 0 || mc_write_all (i == 0 ? sock : STDIN_FILENO, buf, (size_t) n) < 0)
              return 0; /* the client or the console went */
          }
    }
}

/* ---- sessions ------------------------------------------------------------------- */

static void
queue (struct mc_exec_session *x, int slot, const void *buf, size_t len, bool text, bool close_after)
{
  struct out_msg *m;

  if (x->ws[slot] == NULL)
    return;
  m = xmalloc (sizeof (*m) + LWS_PRE + len);
  m->next = NULL;
  m->len = len;
  m->text = text;
  m->close = close_after;
  if (len)
    memcpy (m->buf + LWS_PRE, buf, len);
  if (x->q_tail[slot])
    x->q_tail[slot]->next = m;
  else
    x->q_head[slot] = m;
  x->q_tail[slot] = m;
  x->q_bytes[slot] += len;
  sym_lws_callback_on_writable (x->ws[slot]);
}

static void
free_queue (struct mc_exec_session *x, int slot)
{
  struct out_msg *m;

  while ((m = x->q_head[slot]) != NULL)
    {
      x->q_head[slot] = m->next;
      free (m);
    }
  x->q_tail[slot] = NULL;
  x->q_bytes[slot] = 0;
}

/* Gone once the operation ended and no websocket or stream is left.  */
static void
maybe_free (struct mc_exec_session *x)
{
  struct mc_exec_session **pp;
  int i;

  if (!x->op_done)
    return;
  for (i = 0; i < SLOTS; i++)
    if (x->ws[i])
      return;
  for (i = 0; i < 3; i++)
    if (x->io[i])
      return;
  for (pp = &sessions; *pp; pp = &(*pp)->next)
    if (*pp == x)
      {
        *pp = x->next;
        break;
      }
  for (i = 0; i < SLOTS; i++)
    free_queue (x, i);
  for (i = 0; i < 3; i++)
    if (x->fd[i] >= 0)
      close (x->fd[i]);
  json_decref (x->work);
  free (x->pending);
  free (x);
}

/* The slot an output stream goes to.  */
static int
out_slot (const struct mc_exec_session *x, int stream)
{
  return x->interactive ? 0 : stream;
}

static struct lws *
adopt (struct mc_exec_session *x, int stream)
{
  lws_sock_file_fd_type fd = { .filefd = x->fd[stream] };
  struct lws *w = sym_lws_adopt_descriptor_vhost (vhost, LWS_ADOPT_RAW_FILE_DESC, fd, "mc-exec-io", NULL);
  struct mc_exec_io *io;

  if (w == NULL)
    {
      /* libwebsockets closed it.  */
      x->fd[stream] = -1;
      return NULL;
    }
  io = sym_lws_wsi_user (w);
  io->x = x;
  io->stream = stream;
  /* lws owns it now.  */
  x->fd[stream] = -1;
  return w;
}

static void flush_input (struct mc_exec_session *x);

/* All websockets are there: the command starts.  */
static void
start (struct mc_exec_session *x)
{
  int child[3] = { -1, -1, -1 }, p[2], i;
  mc_error_t err = NULL;
  bool ok = true;

  x->started = true;
  if (x->console)
    {
      int sv[2];

      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        ok = false;
      else
        {
          x->fd[0] = sv[0];
          child[0] = child[1] = child[2] = sv[1];
        }
    }
  else if (x->interactive)
    {
      struct winsize wsz = { .ws_row = (unsigned short) (x->height > 0 ? x->height : 24),
                             .ws_col = (unsigned short) (x->width > 0 ? x->width : 80) };
      int master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC), slave = -1;

      if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0
          || (slave = open (ptsname (master), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
        ok = false;
      else
        {
          struct termios t;

          ioctl (master, TIOCSWINSZ, &wsz);
          /* Raw from the start: what the client sends before the command
             runs is not echoed back as output.  */
          if (tcgetattr (slave, &t) == 0)
            {
              cfmakeraw (&t);
              tcsetattr (slave, TCSANOW, &t);
            }
        }
      x->fd[0] = master;
      child[0] = child[1] = child[2] = slave;
    }
  else
    for (i = 0; i < 3 && ok; i++)
      {
        if (pipe2 (p, O_CLOEXEC) < 0)
          ok = false;
        else
          {
            x->fd[i] = i == 0 ? p[1] : p[0];
            child[i] = i == 0 ? p[0] : p[1];
          }
      }
  if (ok && mc_op_spawn (x->op, x->console ? console_fn : exec_fn, x->work, child, x->interactive && !x->console, &err)
               == 0)
    watch_op (x->op);
  else
    {
      if (err == NULL)
        mc_make_error (&err, errno, "set up the command's streams");
      mc_op_failed (x->op, err->msg);
      mc_error_release (&err);
      ok = false;
    }
  for (i = 0; i < 3; i++)
    if (child[i] >= 0 && (i == 0 || child[i] != child[0]))
      close (child[i]);
  if (!ok)
    {
      /* The operation failed before it ran: the client hears of it by
         its websockets closing.  */
      for (i = 0; i < SLOTS; i++)
        queue (x, i, NULL, 0, false, true);
      mc_api_exec_op_ended (x->op);
      return;
    }
  for (i = 0; i < 3; i++)
    if (x->fd[i] >= 0)
      {
        fcntl (x->fd[i], F_SETFL, O_NONBLOCK);
        x->io[i] = adopt (x, i);
      }
  /* What the client sent before the last websocket came.  */
  flush_input (x);
}

static void
random_secret (char out[65])
{
  unsigned char b[32];
  size_t i;

  if (getrandom (b, sizeof (b), 0) != (ssize_t) sizeof (b))
    memset (b, 0, sizeof (b));
  for (i = 0; i < sizeof (b); i++)
    snprintf (out + 2 * i, 3, "%02x", b[i]);
}

/* A session waiting for its websockets: WORK for its child (taken), a
 * terminal's slots (0, control) when INTERACTIVE, else 0, 1, 2 and
 * control; its operation, DESCRIPTION, about instance URL.  */
static struct mc_exec_session *
new_session (json_t *body, json_t *work, bool interactive, bool console, const char *description, const char *url)
{
  struct mc_exec_session *x = xmalloc0 (sizeof (*x));
  json_t *fds = json_object (), *res;
  int i;

  x->fd[0] = x->fd[1] = x->fd[2] = -1;
  x->interactive = interactive;
  x->console = console;
  x->width = (int) json_integer_value (json_object_get (body, "width"));
  x->height = (int) json_integer_value (json_object_get (body, "height"));
  x->work = work;
  for (i = 0; i < SLOTS; i++)
    {
      if (x->interactive && (i == 1 || i == 2))
        continue;
      random_secret (x->secret[i]);
      json_object_set_new (fds, i == SLOT_CONTROL ? "control" : (const char *[]){ "0", "1", "2" }[i],
                           json_string (x->secret[i]));
    }
  res = json_pack ("{s:[s]}", "instances", url);
  x->op = mc_op_new (description, res, NULL, url);
  json_decref (res);
  x->op->metadata = json_pack ("{s:o}", "fds", fds);
  x->next = sessions;
  sessions = x;
  return x;
}

/* exec without websockets (pylxd's and LXD's `record-output`): the
 * command runs at once with no input; with record-output its stdout and
 * stderr go to containers/NAME/logs/exec_ID.stdout and .stderr, which the
 * operation's metadata names (GET /1.0/instances/NAME/logs/...).  */
static int
exec_detached (struct mc_api_ctx *ctx, json_t *body, const char *name, const char *url, struct mc_api_resp *r)
{
  bool record = json_is_true (json_object_get (body, "record-output"));
  const char *cwd = json_string_value (json_object_get (body, "cwd"));
  json_t *env = json_object_get (body, "environment"), *res;
  cleanup_json json_t *work = NULL, *op_json = NULL;
  cleanup_close int cdir = -1, logs = -1;
  int devnull, stdio[3], i;
  mc_error_t err = NULL;
  struct mc_op *op;
  char names[2][64];

  work = json_pack ("{s:s, s:O, s:o, s:s*, s:I, s:I, s:b}", "name", name, "command", json_object_get (body, "command"),
                    "environment", env ? json_incref (env) : json_object (), "cwd", cwd && *cwd ? cwd : NULL, "user",
                    json_integer_value (json_object_get (body, "user")), "group",
                    json_integer_value (json_object_get (body, "group")), "interactive", 0);
  if ((devnull = open ("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
    return mc_api_error (r, 500, "open /dev/null: %s", strerror (errno));
  res = json_pack ("{s:[s]}", "instances", url);
  op = mc_op_new ("Executing command", res, NULL, url);
  json_decref (res);
  stdio[0] = stdio[1] = stdio[2] = devnull;
  op->metadata = json_object ();
  if (record)
    {
      json_t *output = json_object ();

      if ((cdir = mc_container_open_dir (ctx->store, name, &err)) < 0
          || ((mkdirat (cdir, "logs", 0700) < 0 && errno != EEXIST)
              && mc_make_error (&err, errno, "mkdir `%s/containers/%s/logs`", ctx->store->root, name) < 0)
          || (logs = openat (cdir, "logs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        {
          close (devnull);
          json_decref (output);
          if (err == NULL)
            mc_make_error (&err, errno, "open the logs of `%s`", name);
          mc_op_failed (op, err->msg);
          return mc_api_fail (r, 500, &err);
        }
      for (i = 0; i < 2; i++)
        {
          snprintf (names[i], sizeof (names[i]), "exec_%s.%s", op->id, i == 0 ? "stdout" : "stderr");
          stdio[i + 1] = openat (logs, names[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          json_object_set_new (output, i == 0 ? "1" : "2",
                               json_sprintf ("/1.0/instances/%s/logs/%s", name, names[i]));
        }
      json_object_set_new (op->metadata, "output", output);
    }
  if ((record && (stdio[1] < 0 || stdio[2] < 0)) || mc_op_spawn (op, exec_fn, work, stdio, false, &err) < 0)
    {
      if (err == NULL)
        mc_make_error (&err, errno, "create the output files in `%s/containers/%s/logs`", ctx->store->root, name);
      mc_op_failed (op, err->msg);
      mc_api_fail (r, 500, &err);
      /* No output files of a command that never ran.  */
      for (i = 0; record && i < 2; i++)
        if (stdio[i + 1] >= 0)
          unlinkat (logs, names[i], 0);
    }
  else
    {
      op_json = mc_op_json (op);
      mc_api_async (r, op_json);
      r->op = op;
    }
  for (i = 1; record && i < 3; i++)
    if (stdio[i] >= 0)
      close (stdio[i]);
  close (devnull);
  return 0;
}

int
mc_api_instance_exec (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                      struct mc_api_resp *r)
{
  json_t *body = req->body, *cmd = json_object_get (body, "command"), *env = json_object_get (body, "environment");
  json_t *v;
  cleanup_json json_t *op_json = NULL;
  cleanup_free char *url = xasprintf ("/1.0/instances/%s", args[0]);
  struct mc_exec_session *x;
  struct mc_run_state st;
  enum mc_status status;
  mc_error_t err = NULL;
  const char *k, *cwd = json_string_value (json_object_get (body, "cwd"));
  size_t i;

  if (!json_is_object (body))
    return mc_api_error (r, 400, "Invalid exec: expected a JSON object");
  if (!json_is_array (cmd) || json_array_size (cmd) == 0)
    return mc_api_error (r, 400, "Invalid exec: command must be a non-empty list of strings");
  json_array_foreach (cmd, i, v)
    if (!json_is_string (v))
      return mc_api_error (r, 400, "Invalid exec: command must be a non-empty list of strings");
  json_object_foreach (env, k, v)
    if (!json_is_string (v) || strchr (k, '=') || *k == '\0')
      return mc_api_error (r, 400, "Invalid exec: environment maps names to strings");
  if (env && !json_is_object (env))
    return mc_api_error (r, 400, "Invalid exec: environment maps names to strings");

  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (mc_container_status (args[0], &st, &status, &err) < 0)
    return mc_api_fail (r, 500, &err);
  if (status != MC_STATUS_RUNNING)
    return mc_api_error (r, 400, "Instance is not running");

  if (!json_is_true (json_object_get (body, "wait-for-websocket")))
    return exec_detached (ctx, body, args[0], url, r);
  x = new_session (body, json_pack ("{s:s, s:O, s:o, s:s*, s:I, s:I, s:b}", "name", args[0], "command", cmd,
                                     "environment", env ? json_incref (env) : json_object (), "cwd",
                                     cwd && *cwd ? cwd : NULL, "user", json_integer_value (json_object_get (body, "user")),
                                     "group", json_integer_value (json_object_get (body, "group")), "interactive",
                                     json_is_true (json_object_get (body, "interactive"))),
                   json_is_true (json_object_get (body, "interactive")), false, "Executing command", url);
  op_json = mc_op_json (x->op);
  mc_api_async (r, op_json);
  return 0;
}

/* GET .../console: the console log (LXD's `lxc console --show-log`),
 * which the logs also serve as lxc.log.  */
int
mc_api_instance_console_log (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                             struct mc_api_resp *r)
{
  const char *const log_args[] = { args[0], "lxc.log", NULL };

  return mc_api_instance_log_get (ctx, req, log_args, r);
}

/* LXD's console: an operation with a terminal's websockets (0 and
 * control), joined to the container's console.  */
int
mc_api_instance_console (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r)
{
  cleanup_json json_t *op_json = NULL;
  cleanup_free char *url = xasprintf ("/1.0/instances/%s", args[0]);
  const char *type = json_string_value (json_object_get (req->body, "type"));
  struct mc_exec_session *x;
  struct mc_run_state st;
  enum mc_status status;
  mc_error_t err = NULL;

  if (req->body && !json_is_object (req->body))
    return mc_api_error (r, 400, "Invalid console request: expected a JSON object");
  if (type && *type && strcmp (type, "console") != 0)
    return mc_api_error (r, 400, "Console type `%s` is not supported (containers have a text console)", type);
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (mc_container_status (args[0], &st, &status, &err) < 0)
    return mc_api_fail (r, 500, &err);
  if (status != MC_STATUS_RUNNING)
    return mc_api_error (r, 400, "Instance is not running");
  x = new_session (req->body, json_pack ("{s:s}", "name", args[0]), true, true, "Showing console", url);
  op_json = mc_op_json (x->op);
  mc_api_async (r, op_json);
  return 0;
}

struct mc_exec_session *
mc_api_exec_attach (const char *id, const char *secret, struct lws *wsi, int *slot)
{
  struct mc_exec_session *x;
  int i;

  for (x = sessions; x; x = x->next)
    if (strcmp (x->op->id, id) == 0)
      break;
  if (x == NULL || x->started)
    return NULL;
  for (i = 0; i < SLOTS; i++)
    if (x->secret[i][0] && !x->attached[i] && strcmp (x->secret[i], secret) == 0)
      {
        x->attached[i] = true;
        x->ws[i] = wsi;
        *slot = i;
        break;
      }
  if (i == SLOTS)
    return NULL;
  for (i = 0; i < SLOTS; i++)
    if (x->secret[i][0] && !x->attached[i])
      return x;
  start (x);
  return x;
}

/* Write what input is pending; at the client's end of stdin (not a
 * terminal's), close the command's stdin.  IN_WRITABLE: called from the
 * descriptor's writable callback, after which libwebsockets drops the
 * wish to write again: a timer asks anew.  */
static void
flush_input_how (struct mc_exec_session *x, bool in_writable)
{
  ssize_t n;

  while (x->pending_len > 0 && x->io[0])
    {
      n = write (sym_lws_get_socket_fd (x->io[0]), x->pending, x->pending_len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          if (in_writable)
            sym_lws_set_timer_usecs (x->io[0], 1000);
          else
            sym_lws_callback_on_writable (x->io[0]);
          return;
        }
      if (n <= 0)
        {
          x->pending_len = 0;
          break;
        }
      memmove (x->pending, x->pending + n, x->pending_len - (size_t) n);
      x->pending_len -= (size_t) n;
    }
  /* Drained: the client may send more.  */
  if (x->ws[0] && x->pending_len < QUEUE_HIGH / 2)
    sym_lws_rx_flow_control (x->ws[0], 1);
  if (x->in_eof && !x->interactive && x->io[0] && x->pending_len == 0 && !in_writable)
    sym_lws_callback_on_writable (x->io[0]);
}

static void
flush_input (struct mc_exec_session *x)
{
  flush_input_how (x, false);
}

static void
control (struct mc_exec_session *x)
{
  cleanup_json json_t *m = json_loadb (x->control, x->control_len, 0, NULL);
  const char *cmd = json_string_value (json_object_get (m, "command"));

  /* LXD's client passes on the signals it gets (SIGTERM, SIGINT, SIGHUP,
     ...): to the operation's child, which passes them to the command
     (runtime/exec.c).  */
  if (cmd && strcmp (cmd, "signal") == 0)
    {
      json_int_t sig = json_integer_value (json_object_get (m, "signal"));

      if ((sig == SIGHUP || sig == SIGINT || sig == SIGQUIT || sig == SIGTERM || sig == SIGUSR1 || sig == SIGUSR2)
          && x->started && !x->op_done && x->op->pid > 0)
        kill (x->op->pid, (int) sig);
      return;
    }
  if (cmd && strcmp (cmd, "window-resize") == 0 && x->interactive && x->io[0])
    {
      json_t *a = json_object_get (m, "args");
      const char *w = json_string_value (json_object_get (a, "width"));
      const char *h = json_string_value (json_object_get (a, "height"));
      struct winsize wsz = { 0 };

      if (w && h && atoi (w) > 0 && atoi (h) > 0)
        {
          wsz.ws_col = (unsigned short) atoi (w);
          wsz.ws_row = (unsigned short) atoi (h);
          ioctl (sym_lws_get_socket_fd (x->io[0]), TIOCSWINSZ, &wsz);
        }
    }
}

void
mc_api_exec_ws_rx (struct mc_exec_session *x, int slot, const void *buf, size_t len, bool text, bool final)
{
  if (slot == SLOT_CONTROL)
    {
      if (x->control_len + len <= sizeof (x->control))
        {
          memcpy (x->control + x->control_len, buf, len);
          x->control_len += len;
        }
      if (final)
        {
          control (x);
          x->control_len = 0;
        }
      return;
    }
  if (slot != 0)
    return;
  /* LXD's end of a stream: an empty text message.  */
  if (text && len == 0)
    {
      x->in_eof = true;
      flush_input (x);
      return;
    }
  if (len == 0 || x->in_eof)
    return;
  x->pending = xrealloc (x->pending, x->pending_len + len);
  memcpy (x->pending + x->pending_len, buf, len);
  x->pending_len += len;
  /* The command reads slower than the client sends: wait for it.  */
  if (x->pending_len > QUEUE_HIGH)
    sym_lws_rx_flow_control (x->ws[0], 0);
  flush_input (x);
}

int
mc_api_exec_ws_writable (struct mc_exec_session *x, int slot)
{
  struct out_msg *m = x->q_head[slot];
  int stream;

  if (m == NULL)
    return 0;
  if (m->close)
    return -1;
  x->q_head[slot] = m->next;
  if (x->q_head[slot] == NULL)
    x->q_tail[slot] = NULL;
  x->q_bytes[slot] -= m->len;
  if (sym_lws_write (x->ws[slot], m->buf + LWS_PRE, m->len, m->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY)
      < (int) m->len)
    {
      free (m);
      return -1;
    }
  free (m);
  if (x->q_head[slot])
    sym_lws_callback_on_writable (x->ws[slot]);
  /* Drained enough: read the command's side again.  */
  stream = x->interactive ? 0 : slot;
  if (stream < 3 && x->io[stream] && x->q_bytes[slot] < QUEUE_HIGH / 2)
    sym_lws_rx_flow_control (x->io[stream], 1);
  return 0;
}

void
mc_api_exec_ws_closed (struct mc_exec_session *x, int slot)
{
  int stream = x->interactive ? 0 : slot;

  x->ws[slot] = NULL;
  free_queue (x, slot);
  if (!x->started)
    {
      /* The client left before the command ran: it never will.  */
      x->started = true;
      mc_op_failed (x->op, "the client went away before the command started");
      x->op_done = true;
    }
  else if (slot == 0 && !x->interactive)
    {
      /* stdin's end, as an empty text message would say.  */
      x->in_eof = true;
      flush_input (x);
    }
  else if (stream < 3 && x->io[stream] && !x->eof[stream])
    /* The reader went (`lxc exec ... | head`): the command gets SIGPIPE
       (a terminal's, SIGHUP) from our end of its stream closing.  */
    sym_lws_set_timeout (x->io[stream], PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
  maybe_free (x);
}

void
mc_api_exec_op_ended (struct mc_op *op)
{
  struct mc_exec_session *x;
  int i;

  for (x = sessions; x; x = x->next)
    if (x->op == op)
      break;
  if (x == NULL)
    return;
  x->op_done = true;
  /* Streams with nothing more to say close now; outputs after their
     barrier.  */
  for (i = 0; i < SLOTS; i++)
    {
      bool output = x->interactive ? i == 0 : (i == 1 || i == 2);

      if (!output || x->io[x->interactive ? 0 : i] == NULL)
        queue (x, i, NULL, 0, false, true);
    }
  maybe_free (x);
}

/* What is left in an output stream's fd as it closes.  libwebsockets
 * closes a raw fd on a hangup that comes without POLLIN, which is how the
 * hangup comes when reading is paused (the queue past its mark): the last
 * of the command's output, still in the pipe, would be lost.  At most
 * DRAIN_MAX, in case the other end still writes.  */
#define DRAIN_MAX (2u << 20)

static void
drain (struct mc_exec_session *x, int stream, int fd)
{
  int slot = out_slot (x, stream);
  unsigned char buf[16384];
  size_t total = 0;
  ssize_t n;

  if (x->ws[slot] == NULL)
    return;
  while (total < DRAIN_MAX && (n = read (fd, buf, sizeof (buf))) > 0)
    {
      queue (x, slot, buf, (size_t) n, false, false);
      total += (size_t) n;
    }
}

/* An output stream ended: LXD's barrier, then the websocket closes once
 * the operation is over.  */
static void
stream_eof (struct mc_exec_session *x, int stream)
{
  int slot = out_slot (x, stream);

  if (x->eof[stream])
    return;
  x->eof[stream] = true;
  queue (x, slot, "", 0, true, false);
  if (x->op_done)
    queue (x, slot, NULL, 0, false, true);
}

int
mc_api_exec_io_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct mc_exec_io *io = user;
  struct mc_exec_session *x = io ? io->x : NULL;
  unsigned char buf[16384];
  ssize_t n;


  switch (reason)
    {
    case LWS_CALLBACK_RAW_RX_FILE:
      if (x == NULL || (io->stream == 0 && !x->interactive))
        return 0;
      n = read (sym_lws_get_socket_fd (wsi), buf, sizeof (buf));
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
      if (n <= 0)
        return -1; /* EOF; a pty's master says EIO */
      queue (x, out_slot (x, io->stream), buf, (size_t) n, false, false);
      if (x->q_bytes[out_slot (x, io->stream)] > QUEUE_HIGH)
        sym_lws_rx_flow_control (wsi, 0);
      return 0;

    case LWS_CALLBACK_TIMER:
      if (x)
        sym_lws_callback_on_writable (wsi);
      return 0;

    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
      if (x == NULL)
        return 0;
      flush_input_how (x, true);
      /* stdin done: closing our end is the command's EOF.  */
      if (io->stream == 0 && !x->interactive && x->in_eof && x->pending_len == 0)
        return -1;
      return 0;

    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (x == NULL)
        return 0;
      x->io[io->stream] = NULL;
      if (io->stream != 0 || x->interactive)
        {
          drain (x, io->stream, sym_lws_get_socket_fd (wsi));
          stream_eof (x, io->stream);
        }
      io->x = NULL;
      maybe_free (x);
      return 0;

    default:
      break;
    }
  return sym_lws_callback_http_dummy (wsi, reason, user, in, len);
}

/* ---- logs -------------------------------------------------------------------- */

/* An exec log's name: exec_<uuid>.stdout or .stderr, nothing else.  */
static bool
exec_log_name (const char *n)
{
  size_t len = strlen (n);

  return strncmp (n, "exec_", 5) == 0 && strchr (n, '/') == NULL && strstr (n, "..") == NULL
         && ((len > 12 && strcmp (n + len - 7, ".stdout") == 0) || (len > 12 && strcmp (n + len - 7, ".stderr") == 0));
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
logs_dir (struct mc_api_ctx *ctx, const char *name)
{
  cleanup_close int cdir = -1;
  mc_error_t err = NULL;

  if ((cdir = mc_container_open_dir (ctx->store, name, &err)) < 0)
    {
      mc_error_release (&err);
      return -1;
    }
  return openat (cdir, "logs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
mc_api_instance_logs_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r)
{
  json_t *out;
  int dfd;

  (void) req;
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  out = json_pack ("[o]", json_sprintf ("/1.0/instances/%s/logs/lxc.log", args[0]));
  if ((dfd = logs_dir (ctx, args[0])) >= 0)
    {
      DIR *d = fdopendir (dfd);
      struct dirent *de;
      char **names = NULL;
      size_t n = 0, i;

      while (d && (de = readdir (d)) != NULL)
        if (exec_log_name (de->d_name))
          {
            names = xrealloc (names, (n + 1) * sizeof (*names));
            names[n++] = xstrdup (de->d_name);
          }
      if (d)
        closedir (d);
      else
        close (dfd);
      /* In name order, not the directory's.  */
      qsort (names, n, sizeof (*names), by_name);
      for (i = 0; i < n; i++)
        {
          json_array_append_new (out, json_sprintf ("/1.0/instances/%s/logs/%s", args[0], names[i]));
          free (names[i]);
        }
      free (names);
    }
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_instance_log_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  int fd;

  (void) req;
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (strcmp (args[1], "lxc.log") == 0)
    {
      if ((fd = openat (ctx->store->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
        return mc_api_error (r, 500, "Cannot spool the log: %s", strerror (errno));
      if (mc_console_show_log (ctx->store, args[0], fd, &err) < 0)
        {
          close (fd);
          return mc_api_fail (r, 500, &err);
        }
    }
  else
    {
      cleanup_close int dfd = -1;

      if (!exec_log_name (args[1]) || (dfd = logs_dir (ctx, args[0])) < 0
          || (fd = openat (dfd, args[1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return mc_api_error (r, 404, "Log not found");
    }
  r->http = 200;
  r->raw = true;
  r->parts[0] = fd;
  r->n_parts = 1;
  r->doc = NULL;
  r->location = NULL;
  /* The server streams the log; the envelope is not used.  */
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_instance_log_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r)
{
  cleanup_close int dfd = -1;

  (void) req;
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (!exec_log_name (args[1]))
    return mc_api_error (r, 400, "Only exec logs can be deleted");
  if ((dfd = logs_dir (ctx, args[0])) < 0 || unlinkat (dfd, args[1], 0) < 0)
    return mc_api_error (r, 404, "Log not found");
  mc_api_sync (r, NULL);
  return 0;
}
