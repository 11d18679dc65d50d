/* Runtime state of a running container: <run dir>/NAME/state.yaml, written
 * by its monitor.  A PID is always recorded with its start time (field 22
 * of /proc/PID/stat), so a recycled PID is never taken for the container. */
#ifndef MINICTR_STATE_H
#define MINICTR_STATE_H

#include "lib/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mc_cgroup;

struct mc_run_state
{
  pid_t pid;               /* the container's init, host PID */
  uint64_t pid_start;
  pid_t monitor;
  uint64_t monitor_start;
  int64_t started_at;
  /* Where its cgroup is: the monitor's /proc/self/cgroup text when it
   * made it, and the cgroup parent.  Written by mc_state_write; read by
   * mc_container_cgroup_open (mc_state_read leaves them NULL).  */
  const char *cgroup_placement;
  const char *cgroup_parent;
};

enum mc_status
{
  MC_STATUS_STOPPED,
  MC_STATUS_RUNNING,
  MC_STATUS_FROZEN,
};

const char *mc_status_name (enum mc_status s); /* "Running", ... as LXD */

/* Start time of PID in clock ticks since boot, 0 when PID does not exist. */
uint64_t mc_proc_start_time (pid_t pid);
bool mc_proc_alive (pid_t pid, uint64_t start);
/* Whether PID is in a user namespace other than ours (true when that
 * cannot be told: callers then fail to join rather than join too little). */
bool mc_proc_own_userns (pid_t pid);

/* <run dir>/NAME, created on demand; the returned path is malloc'ed.  */
char *mc_state_dir_of (const char *name, bool create, mc_error_t *err);
/* <run dir>/NAME/FILE (malloc'ed; NULL without a run dir): the marks a
 * run leaves beside its state (`booted`, `snapshot-freeze`,
 * `apply-template`; docs/RELIABILITY.md).  CREATE makes NAME's dir.  */
char *mc_state_file_of (const char *name, const char *file, bool create);

int mc_state_write (const char *name, const struct mc_run_state *st, mc_error_t *err);
/* 1 and *ST filled when a state file exists, 0 when none.  */
int mc_state_read (const char *name, struct mc_run_state *st, mc_error_t *err);
/* Remove <run dir>/NAME and everything in it.  */
int mc_state_remove (const char *name, mc_error_t *err);

/* Open running container NAME's cgroup where its run state says it is,
 * whatever the caller's own cgroup (a service, cron, another session);
 * without a recorded place, where the caller would put it.  */
int mc_container_cgroup_open (const char *name, struct mc_cgroup **cg, mc_error_t *err);

/* Running when the state file names a live init; Frozen when its cgroup
 * is frozen.  A state file whose init is gone is reported Stopped.  */
int mc_container_status (const char *name, struct mc_run_state *st,
                         enum mc_status *status, mc_error_t *err);
/* The same, and a running or frozen container's cgroup, opened from the
 * same read of its run state, in *CG (NULL when stopped or when it
 * cannot be opened); the caller frees it.  */
int mc_container_status_cgroup (const char *name, struct mc_run_state *st, enum mc_status *status,
                                struct mc_cgroup **cg, mc_error_t *err);

#endif
