#include "api/operations.h"
#include "api/response.h"
#include "runtime/container.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP_DONE 100

static struct mc_op *ops;

static const char *
status_name (int code)
{
  return code == 103 ? "Running" : code == 200 ? "Success" : code == 401 ? "Cancelled" : "Failure";
}

/* In the child: nothing inherited but STDIO and the pipe (fd 3 from here
 * on), so a dying server's listening socket is not held open by its
 * operations; a session of its own; the store opened afresh.  The pipe gets "E" and the error's
 * line, or "M" and the metadata.  Never returns.  */
__attribute__ ((noreturn)) static void
child (int wfd, const int *stdio, bool ctty, mc_op_fn fn, json_t *args)
{
  struct mc_store s;
  mc_error_t err = NULL;
  json_t *metadata = NULL;
  int ret, i, hi;

  signal (SIGPIPE, SIG_IGN);
  signal (SIGTERM, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  /* Out of the way of 0-3 first, then into place.  */
  if ((hi = fcntl (wfd, F_DUPFD_CLOEXEC, 64)) < 0)
    _exit (2);
  for (i = 0; stdio && i < 3; i++)
    if (dup2 (stdio[i], i) < 0)
      _exit (2);
  /* A session of its own: the server's terminal (its ^C, its hangup)
     and the end of its process group do not end an operation midway.  */
  if (setsid () < 0 || (ctty && ioctl (0, TIOCSCTTY, 0) < 0))
    _exit (2);
  if (dup2 (hi, 3) < 0)
    _exit (2);
  close_range (4, ~0U, 0);
  ret = mc_store_open (&s, &err);
  if (ret == 0)
    ret = fn (&s, args, &metadata, &err);
  if (ret < 0)
    {
      const char *msg = err ? err->msg : "failed";

      (void) !write (3, "E", 1);
      (void) !write (3, msg, strlen (msg));
      _exit (1);
    }
  if (metadata)
    {
      char *text = json_dumps (metadata, JSON_COMPACT);

      (void) !write (3, "M", 1);
      if (text)
        (void) !write (3, text, strlen (text));
    }
  _exit (0);
}

struct mc_op *
mc_op_new (const char *description, json_t *resources, const char *lifecycle, const char *source)
{
  struct mc_op *op = xmalloc (sizeof (*op));

  memset (op, 0, sizeof (*op));
  mc_random_uuid (op->id);
  op->description = xstrdup (description);
  op->resources = json_incref (resources);
  op->created_at = mc_api_now ();
  op->updated_at = xstrdup (op->created_at);
  op->status_code = 103;
  op->fd = -1;
  op->lifecycle = lifecycle ? xstrdup (lifecycle) : NULL;
  op->source = source ? xstrdup (source) : NULL;
  op->next = ops;
  ops = op;
  return op;
}

int
mc_op_spawn (struct mc_op *op, mc_op_fn fn, json_t *args, const int *stdio, bool ctty, mc_error_t *err)
{
  int pfd[2];
  pid_t pid;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      return mc_make_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (pfd[0]);
      child (pfd[1], stdio, ctty, fn, args);
    }
  close (pfd[1]);
  op->pid = pid;
  op->fd = pfd[0];
  return 0;
}

void
mc_op_failed (struct mc_op *op, const char *why)
{
  op->status_code = 400;
  free (op->err);
  op->err = xstrdup (why);
  free (op->updated_at);
  op->updated_at = mc_api_now ();
}

struct mc_op *
mc_op_run (const char *description, json_t *resources, mc_op_fn fn, json_t *args, const char *lifecycle,
           const char *source, mc_error_t *err)
{
  struct mc_op *op = mc_op_new (description, resources, lifecycle, source);

  if (mc_op_spawn (op, fn, args, NULL, false, err) < 0)
    {
      mc_op_failed (op, (*err)->msg);
      return NULL;
    }
  return op;
}

int
mc_op_start (const char *description, json_t *resources, mc_op_fn fn, json_t *args, const char *lifecycle,
             const char *source, struct mc_api_resp *r)
{
  cleanup_json json_t *op_json = NULL;
  mc_error_t err = NULL;
  struct mc_op *op = mc_op_run (description, resources, fn, args, lifecycle, source, &err);

  if (op == NULL)
    return mc_api_fail (r, 500, &err);
  op_json = mc_op_json (op);
  mc_api_async (r, op_json);
  r->op = op;
  return 0;
}

int
mc_op_answer (struct mc_op *op, mc_op_fn fn, json_t *args, int in, int out, bool sync, struct mc_api_resp *r)
{
  cleanup_json json_t *op_json = NULL;
  mc_error_t err = NULL;
  int devnull, stdio[3];

  if ((devnull = open ("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
    mc_make_error (&err, errno, "open /dev/null");
  else
    {
      stdio[0] = in >= 0 ? in : devnull;
      stdio[1] = out >= 0 ? out : devnull;
      stdio[2] = devnull;
      mc_op_spawn (op, fn, args, stdio, false, &err);
      close (devnull);
    }
  if (err)
    {
      mc_op_failed (op, err->msg);
      return mc_api_fail (r, 500, &err);
    }
  op_json = mc_op_json (op);
  mc_api_async (r, op_json);
  r->op = op;
  r->sync_op = sync;
  return 0;
}

void
mc_op_output (struct mc_op *op, const char *buf, size_t len)
{
  if (len > sizeof (op->out) - 1 - op->out_len)
    len = sizeof (op->out) - 1 - op->out_len;
  memcpy (op->out + op->out_len, buf, len);
  op->out_len += len;
  op->out[op->out_len] = '\0';
}

static void
op_free (struct mc_op *op)
{
  free (op->description);
  json_decref (op->resources);
  free (op->created_at);
  free (op->updated_at);
  free (op->err);
  free (op->lifecycle);
  free (op->source);
  json_decref (op->metadata);
  free (op);
}

void
mc_op_finish (struct mc_op *op)
{
  struct mc_op **pp;
  int status = 0, done = 0;

  op->fd = -1;
  while (op->pid > 0 && waitpid (op->pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (op->pid > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    {
      json_t *m = op->out[0] == 'M' ? json_loads (op->out + 1, 0, NULL) : NULL;

      op->status_code = 200;
      if (json_is_object (m))
        {
          if (op->metadata == NULL)
            op->metadata = json_object ();
          json_object_update (op->metadata, m);
        }
      json_decref (m);
    }
  else
    {
      op->status_code = 400;
      free (op->err);
      op->err = xstrdup (op->out[0] == 'E' && op->out[1] ? op->out + 1
                         : op->pid > 0 && WIFSIGNALED (status) ? "the operation's process was killed"
                                                               : "the operation failed");
    }
  free (op->updated_at);
  op->updated_at = mc_api_now ();
  /* Forget the oldest finished ones.  */
  for (pp = &ops; *pp;)
    {
      if ((*pp)->status_code != 103 && ++done > KEEP_DONE)
        {
          struct mc_op *old = *pp;

          *pp = old->next;
          op_free (old);
          continue;
        }
      pp = &(*pp)->next;
    }
}

json_t *
mc_op_json (const struct mc_op *op)
{
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:O, s:O, s:b, s:s, s:s}", "id", op->id, "class", "task",
                    "description", op->description, "created_at", op->created_at, "updated_at", op->updated_at,
                    "status", status_name (op->status_code), "status_code", op->status_code, "resources",
                    op->resources ? op->resources : json_null (), "metadata",
                    op->metadata ? op->metadata : json_null (), "may_cancel", 0, "err",
                    op->err ? op->err : "", "location", "none");
}

struct mc_op *
mc_op_find (const char *id)
{
  struct mc_op *op;

  for (op = ops; op; op = op->next)
    if (strcmp (op->id, id) == 0)
      return op;
  return NULL;
}

struct mc_op *
mc_op_list (void)
{
  return ops;
}
