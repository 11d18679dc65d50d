/* OCI hooks: the state a hook reads, and a kind's hooks run in order.
 * runc.c runs prestart and createRuntime at `create`, poststart after
 * `start`, poststop after `delete`; start.c runs createContainer (the
 * tree builder, in the container's namespaces, before pivot_root) and
 * startContainer (the container's process, after `start`, before its
 * exec).  */
#ifndef MINICTR_OCI_HOOKS_H
#define MINICTR_OCI_HOOKS_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* The OCI state a hook reads on its stdin.  */
json_t *mc_oci_hook_state (json_t *annotations, const char *id, const char *status, pid_t pid, const char *bundle);

/* Run the hooks of KIND in order, STATE on each one's stdin, their stdout
 * and stderr ours.  One fails when it exits with another code than 0, is
 * killed, or outlives its timeout (then killed): the first is the error;
 * with WARN_ALL (poststart, poststop, as the spec says) each is told as a
 * warning and the others still run.  */
int mc_oci_run_hooks (json_t *hooks, const char *kind, json_t *state, bool warn_all, mc_error_t *err);

#endif
