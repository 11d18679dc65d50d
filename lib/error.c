#include "lib/error.h"
#include "lib/cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int make_error_va (mc_error_t *err, int status, int exit_code,
                          const char *fmt, va_list ap)
  __attribute__ ((format (printf, 4, 0)));

static int
make_error_va (mc_error_t *err, int status, int exit_code, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;
  mc_error_t e;

  if (err == NULL || *err != NULL)
    return -1;

  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();

  e = xmalloc0 (sizeof (*e));
  e->status = status;
  e->exit_code = exit_code;
  if (status != 0)
    e->msg = xasprintf ("%s: %s", msg, strerror (status));
  else
    e->msg = steal_pointer (&msg);
  *err = e;
  return -1;
}

int
mc_make_error (mc_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = make_error_va (err, status, 1, fmt, ap);
  va_end (ap);
  return ret;
}

int
mc_make_usage_error (mc_error_t *err, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = make_error_va (err, 0, MC_EXIT_USAGE, fmt, ap);
  va_end (ap);
  return ret;
}

int
mc_error_prefix (mc_error_t *err, const char *fmt, ...)
{
  cleanup_free char *ctx = NULL;
  va_list ap;
  char *joined;

  if (err == NULL || *err == NULL)
    return -1;

  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    abort ();
  va_end (ap);

  joined = xasprintf ("%s: %s", ctx, (*err)->msg);
  free ((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

int
mc_error_propagate (mc_error_t *err, mc_error_t *from)
{
  if (from == NULL || *from == NULL)
    return -1;
  if (err == NULL || *err != NULL)
    {
      mc_error_release (from);
      return -1;
    }
  *err = *from;
  *from = NULL;
  return -1;
}

void
mc_error_release (mc_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
mc_error_report (mc_error_t *err)
{
  int code;

  if (err == NULL || *err == NULL)
    return 0;
  fprintf (stderr, "minictr: %s\n", (*err)->msg);
  code = (*err)->exit_code ? (*err)->exit_code : 1;
  mc_error_release (err);
  return code;
}
