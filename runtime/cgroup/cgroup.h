/* Container cgroups: one API over two backends (cgroup2 and cgroup1),
 * after crun's libcrun_cgroup_manager and LXC's cgroup ops.
 *
 * Where the cgroups go.  PARENT follows the OCI `cgroupsPath` rule:
 *   - "/minictr" (absolute) is taken from the root of each hierarchy;
 *   - "minictr" (relative) is taken from the cgroup the *calling process*
 *     is in, hierarchy by hierarchy, as LXC does.  The containers then stay
 *     inside whatever limits and accounting the caller was put under
 *     (a systemd scope, a supervisor's memory cgroup); nothing is moved out
 *     of the caller's subtree.
 * A relative PARENT resolves again in every process that calls create or
 * open, so the process that stops a container must sit in the same cgroup
 * as the one that started it; use an absolute PARENT when that is not so.
 *
 * Nothing above PARENT is ever written to: the only change to a cgroup we
 * did not create is the mkdir of its child.  */
#ifndef MINICTR_CGROUP_H
#define MINICTR_CGROUP_H

#include "lib/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mc_cgroup; /* opaque */

enum mc_cgroup_layout
{
  MC_CGROUP_V2,
  MC_CGROUP_V1,
};

/* V2 when /sys/fs/cgroup is a cgroup2 mount, or when the hybrid
 * /sys/fs/cgroup/unified offers the memory and pids controllers; else V1,
 * whose hierarchies are found in /proc/self/mountinfo wherever mounted.  */
int mc_cgroup_detect (enum mc_cgroup_layout *out, mc_error_t *err);

/* "cgroup2" / "cgroup1".  */
const char *mc_cgroup_layout_name (enum mc_cgroup_layout l);

/* Create PARENT (every missing level; "a/b" allowed) and PARENT/NAME in
 * every hierarchy of the detected layout.  An existing NAME is reused when
 * it has no processes and no child cgroups, else the error is EEXIST.
 * cgroup2: the controllers available (cpu cpuset io memory pids hugetlb
 * misc rdma) are enabled in the subtree_control of the PARENT levels this
 * call created, never in a pre-existing cgroup and never in NAME itself
 * (NAME holds processes; cgroup2 forbids processes in a cgroup that
 * distributes controllers).  cgroup1: cpuset.cpus and cpuset.mems are
 * copied down into every created cpuset level; the name=systemd and the
 * hybrid unified (cgroup2) hierarchies get the cgroup too.  On failure
 * everything this call created is removed again.  */
int mc_cgroup_create (const char *parent, const char *name,
                      struct mc_cgroup **out, mc_error_t *err);
/* The same, relative to PLACEMENT (a /proc/PID/cgroup text; NULL: this
 * process's own) instead of the caller's cgroup.  */
int mc_cgroup_create_placed (const char *placement, const char *parent, const char *name,
                             struct mc_cgroup **out, mc_error_t *err);

/* Pure cgroup v2, for a delegated cgroup that holds only this process (a
 * systemd scope with Delegate=yes): move this process into SUB below it
 * (made if missing), then enable every controller the cgroup has for its
 * children, so that a sibling of SUB can hold a container that gets them
 * all (cgroup2 allows no process in a cgroup that hands controllers
 * down).  *PLACEMENT gets the /proc/self/cgroup text from before the
 * move: the cgroup to create the container's below.  */
int mc_cgroup_split_self (const char *sub, char **placement, mc_error_t *err);

/* Between these two, this process finds the layout and the mounted
 * hierarchies once rather than for every cgroup it opens: for a command
 * that reads many containers' cgroups (`list`) and mounts nothing.
 * Nested holds count; a child forked meanwhile is not affected.  */
void mc_cgroup_hold (void);
void mc_cgroup_release (void);

/* Whether CG is one mc_cgroup_create made afresh in every hierarchy
 * (rather than reused or opened): its files hold the kernel's defaults,
 * and cpuset.cpus/mems the parent's.  */
bool mc_cgroup_is_new (struct mc_cgroup *cg);

/* Open an existing cgroup.  ENOENT error when NAME exists in no
 * hierarchy; present in only some (a destroy that was interrupted) is
 * accepted so that destroy can finish the job.  */
int mc_cgroup_open (const char *parent, const char *name,
                    struct mc_cgroup **out, mc_error_t *err);

/* The same, with paths relative to PLACEMENT, the text of a
 * /proc/PID/cgroup file (NULL: this process's own): what a container's
 * run state recorded when it started, so that a command run from any
 * cgroup finds it.  */
int mc_cgroup_open_placed (const char *placement, const char *parent, const char *name,
                           struct mc_cgroup **out, mc_error_t *err);

/* The placement text and PARENT that CG's paths were computed from.  */
const char *mc_cgroup_placement (struct mc_cgroup *cg);
const char *mc_cgroup_parent_of (struct mc_cgroup *cg);

void mc_cgroup_free (struct mc_cgroup *cg);

enum mc_cgroup_layout mc_cgroup_layout (struct mc_cgroup *cg);

/* Move PID into the cgroup in every hierarchy.  */
int mc_cgroup_enter (struct mc_cgroup *cg, pid_t pid, mc_error_t *err);

/* The fast way in for a process about to move itself: open the files
 * here (any process may write to them later, with these credentials),
 * then the moving process calls mc_cgroup_enter_self.  */
int mc_cgroup_open_self_move (struct mc_cgroup *cg, bool skip_unified, int **fds, size_t *n,
                              mc_error_t *err);
/* An O_DIRECTORY fd on the cgroup in the cgroup2 (or hybrid unified)
 * hierarchy, for clone3(CLONE_INTO_CGROUP); -1 with errno when none.  */
int mc_cgroup_unified_dirfd (struct mc_cgroup *cg);
/* The same as mc_cgroup_open_self_move, into UNIFIED_SUB below the cgroup
 * in the cgroup2 hierarchy (NULL or "": the cgroup itself).  */
int mc_cgroup_open_self_move_to (struct mc_cgroup *cg, bool skip_unified, const char *unified_sub,
                                 int **fds, size_t *n, mc_error_t *err);
/* Where PID is below CG in the cgroup2 hierarchy ("init.scope"), when it
 * is in a sub-cgroup the container made; NULL when in CG itself or
 * elsewhere.  Malloc'ed.  */
char *mc_cgroup_unified_sub_of (struct mc_cgroup *cg, pid_t pid);
int mc_cgroup_enter_self (const int *fds, size_t n, mc_error_t *err);
void mc_cgroup_close_self_move (int *fds, size_t n);

/* Freeze or thaw, and return once the kernel reports the new state
 * (cgroup2 cgroup.events `frozen`, cgroup1 freezer.state); ETIMEDOUT error
 * after 5 s.  */
int mc_cgroup_freeze (struct mc_cgroup *cg, bool frozen, mc_error_t *err);
int mc_cgroup_frozen (struct mc_cgroup *cg, bool *frozen, mc_error_t *err);

/* SIGKILL every process and return once the cgroup is empty (ETIMEDOUT
 * error after 5 s).  cgroup2 uses cgroup.kill (Linux 5.14+); without it,
 * and on cgroup1, the cgroup is frozen so nothing can fork, every listed
 * PID gets SIGKILL, and it is thawed so the kills are delivered.  Processes
 * that have exited but are not yet reaped do not count.  */
int mc_cgroup_kill (struct mc_cgroup *cg, mc_error_t *err);

/* Host PIDs in the cgroup and in any child cgroups the container made
 * (cgroup.procs; on cgroup1 of the pids hierarchy, else the freezer's).
 * *OUT is malloc'ed, NULL when *N is 0.  */
int mc_cgroup_pids (struct mc_cgroup *cg, pid_t **out, size_t *n,
                    mc_error_t *err);

struct mc_cgroup_stats
{
  uint64_t memory_current;
  uint64_t memory_peak;
  uint64_t cpu_usage_ns;
  uint64_t pids_current;
  /* Which figures the cgroup's controllers provide.  */
  bool has_memory, has_memory_peak, has_cpu, has_pids;
};

/* cgroup2: memory.current, memory.peak (Linux 5.19+, if present), cpu.stat
 * usage_usec * 1000, pids.current.  cgroup1: memory.usage_in_bytes,
 * memory.max_usage_in_bytes, cpuacct.usage, pids.current.  A figure whose
 * controller the cgroup lacks is left out (its has_ flag false); an error
 * only when a file that is there cannot be read.  */
int mc_cgroup_stats (struct mc_cgroup *cg, struct mc_cgroup_stats *st,
                     mc_error_t *err);

/* Write / read one controller file named in the layout's own spelling
 * ("memory.max" on cgroup2, "memory.limit_in_bytes" on cgroup1).  On
 * cgroup1 the hierarchy is the one owning the controller named before the
 * first dot ("cgroup.*" files: the pids or freezer hierarchy).  FILE may
 * not contain '/'.  Read strips one trailing newline.  */
int mc_cgroup_write (struct mc_cgroup *cg, const char *file,
                     const char *value, mc_error_t *err);
int mc_cgroup_read (struct mc_cgroup *cg, const char *file, char **out,
                    mc_error_t *err);

/* Remove the cgroup, and any child cgroups made inside it, in every
 * hierarchy.  rmdir is retried for a while on EBUSY (exiting tasks still
 * draining); a missing directory counts as removed.  PARENT stays.  */
/* Hand the cgroup2 cgroup to UID:GID (every unprivileged container's
 * root): it may create sub-cgroups and move its processes, not change
 * its own limits.  */
int mc_cgroup_delegate (struct mc_cgroup *cg, uid_t uid, gid_t gid, mc_error_t *err);

/* FILE of the cgroup's parent (to restore an inherited value).  */
int mc_cgroup_read_parent (struct mc_cgroup *cg, const char *file, char **out,
                           mc_error_t *err);

int mc_cgroup_destroy (struct mc_cgroup *cg, mc_error_t *err);

/* rmdir PARENT (its last component only) in every hierarchy.  Success
 * also when it is missing, or when it still holds child cgroups (other
 * containers): then it is left alone.  Nothing above PARENT is touched. */
int mc_cgroup_remove_parent (const char *parent, mc_error_t *err);
int mc_cgroup_remove_parent_placed (const char *placement, const char *parent, mc_error_t *err);
/* The same for the parent CG was opened below, where CG was placed.  */
int mc_cgroup_remove_parent_of (struct mc_cgroup *cg, mc_error_t *err);

/* In the monitor's systemd scope: its own sub-cgroup, and the parent of
 * the container's cgroup (runtime/monitor.c).  */
#define MC_SCOPE_MONITOR "monitor"
#define MC_SCOPE_PAYLOAD "payload"

/* Pure cgroup2, where CG was placed below a systemd scope (the monitor's
 * own, minictr-ID-NAME.scope): whether that scope's cgroup is gone,
 * waiting up to MS for systemd to remove it.  systemd removes a scope's
 * whole tree once nothing runs in it; a process removing cgroups of that
 * tree meanwhile can make its rmdir of the scope fail (EBUSY), and the
 * scope's cgroup then stays behind with no unit.  False at once when CG
 * is not below a scope or the scope still holds processes.  */
bool mc_cgroup_wait_scope_trimmed (struct mc_cgroup *cg, int ms);

/* Absolute path of the cgroup in the hierarchy owning CONTROLLER
 * ("memory", "freezer", "name=systemd" or "systemd"; "" = the cgroup2 one,
 * also on hybrid hosts).  NULL when there is no such hierarchy.  */
const char *mc_cgroup_path (struct mc_cgroup *cg, const char *controller);

#endif
