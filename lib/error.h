/* minictr error convention (after crun's libcrun_error_t).
 *
 * A function that can fail takes `mc_error_t *err` last and returns a
 * negative value on failure.  The error is created once, at the failing
 * call, with the errno and the object it concerned; callers may prefix
 * context on the way up with mc_error_prefix(); only main() prints it.
 *
 * ERR is never NULL: a caller that does not want the error passes a
 * local mc_error_t and releases it (callers inspect (*ERR)->status).
 * When *ERR already holds an error, a new one is dropped (the first cause
 * wins).  An error received in a local mc_error_t is handed on with
 * mc_error_propagate(), never by assigning *ERR.
 */
#ifndef MINICTR_ERROR_H
#define MINICTR_ERROR_H

#include <stdio.h>

struct mc_error_s
{
  int status;   /* errno of the failing call, 0 when not a system error */
  int exit_code; /* process exit code main() should use (1 by default) */
  char *msg;
};
typedef struct mc_error_s *mc_error_t;

/* Exit code for command-line misuse, as LXD's client and getopt tools do. */
#define MC_EXIT_USAGE 2

/* Record an error.  When STATUS is non-zero, ": strerror(STATUS)" is
 * appended.  Always returns -1 so callers can `return mc_make_error (...)`.
 * If *ERR is already set, the new error is dropped: the first cause wins. */
int mc_make_error (mc_error_t *err, int status, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Like mc_make_error() for command-line misuse: exit code 2. */
int mc_make_usage_error (mc_error_t *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* Prefix context to an existing error: "CONTEXT: old message". */
int mc_error_prefix (mc_error_t *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* Move *FROM into *ERR (released instead when *ERR is already set);
 * *FROM is NULL afterwards.  Always returns -1.  */
int mc_error_propagate (mc_error_t *err, mc_error_t *from);

void mc_error_release (mc_error_t *err);

/* Print "minictr: MESSAGE" on stderr, release the error and return the
 * exit code to use.  Only main() calls this. */
int mc_error_report (mc_error_t *err);

#endif
