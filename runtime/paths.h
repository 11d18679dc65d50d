/* Where a state directory's runtime state and cgroups live.  The default
 * state dir (/var/lib/minictr) uses /run/minictr and the cgroup parent
 * `minictr`; any other state dir gets /run/minictr-<id> and `minictr-<id>`,
 * <id> being 12 hex digits of the sha256 of its real path, so tests and a
 * user's real containers never share PIDs, sockets or cgroups.  */
#ifndef MINICTR_PATHS_H
#define MINICTR_PATHS_H

#include "runtime/error.h"

/* Both return static storage, computed once.  $MINICTR_CGROUP_PARENT
 * overrides the cgroup parent (e.g. "/minictr" for the hierarchy roots). */
const char *mc_run_dir (mc_error_t *err);
const char *mc_cgroup_parent (mc_error_t *err);

#endif
