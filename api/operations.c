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
#include <sys/wait.h>
#include <unistd.h>

#define KEEP_DONE 100

static struct mc_op *ops;

static const char *
status_name (int code)
{
  return code == 103 ? "Running" : code == 200 ? "Success" : code == 401 ? "Cancelled" : "Failure";
}

/* In the child: nothing inherited but the pipe (fd 3 from here on), so a
 * dying server's listening socket is not held open by its operations;
 * the store opened afresh.  Never returns.  */
__attribute__ ((noreturn)) static void
child (int wfd, mc_op_fn fn, json_t *args)
{
  struct mc_store s;
  mc_error_t err = NULL;
  int ret;

  signal (SIGPIPE, SIG_IGN);
  signal (SIGTERM, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  if (wfd != 3 && (dup2 (wfd, 3) < 0 || close (wfd) < 0))
    _exit (2);
  close_range (4, ~0U, 0);
  ret = mc_store_open (&s, &err);
  if (ret == 0)
    ret = fn (&s, args, &err);
  if (ret < 0)
    {
      const char *msg = err ? err->msg : "failed";

      (void) !write (3, msg, strlen (msg));
      _exit (1);
    }
  _exit (0);
}

struct mc_op *
mc_op_run (const char *description, json_t *resources, mc_op_fn fn, json_t *args, const char *lifecycle,
           const char *source, mc_error_t *err)
{
  struct mc_op *op;
  int pfd[2];
  pid_t pid;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe"), NULL;
  pid = fork ();
  if (pid < 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      return mc_make_error (err, errno, "fork"), NULL;
    }
  if (pid == 0)
    {
      close (pfd[0]);
      child (pfd[1], fn, args);
    }
  close (pfd[1]);
  op = xmalloc (sizeof (*op));
  memset (op, 0, sizeof (*op));
  mc_random_uuid (op->id);
  op->description = xstrdup (description);
  op->resources = json_incref (resources);
  op->created_at = mc_api_now ();
  op->updated_at = xstrdup (op->created_at);
  op->status_code = 103;
  op->pid = pid;
  op->fd = pfd[0];
  op->lifecycle = lifecycle ? xstrdup (lifecycle) : NULL;
  op->source = source ? xstrdup (source) : NULL;
  op->next = ops;
  ops = op;
  return op;
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
  free (op);
}

void
mc_op_finish (struct mc_op *op)
{
  struct mc_op **pp;
  int status = 0, done = 0;

  op->fd = -1;
  while (waitpid (op->pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    op->status_code = 200;
  else
    {
      op->status_code = 400;
      op->err = xstrdup (op->out_len ? op->out
                         : WIFSIGNALED (status) ? "the operation's process was killed"
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
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:O, s:n, s:b, s:s, s:s}", "id", op->id, "class", "task",
                    "description", op->description, "created_at", op->created_at, "updated_at", op->updated_at,
                    "status", status_name (op->status_code), "status_code", op->status_code, "resources",
                    op->resources ? op->resources : json_null (), "metadata", "may_cancel", 0, "err",
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
