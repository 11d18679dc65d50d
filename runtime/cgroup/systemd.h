/* A container's own systemd unit on a systemd host with pure cgroup v2.
 *
 * Placement below the caller's cgroup is wrong there: a login session's
 * scope delegates no controllers (limits cannot apply), ends with the
 * session (and kills what it holds), and a command run from elsewhere
 * computes another path.  So, as systemd-nspawn and systemd-run do, the
 * monitor asks systemd through its D-Bus API for a transient scope of
 * its own, `<parent>-NAME.scope` in `minictr.slice`, with Delegate=yes:
 * the subtree is then ours to organise, and every controller is offered
 * to it.  (machined registration was not chosen: it needs the
 * container's leader at registration time, which the monitor does not
 * have until init is cloned, and it would tie a container's life to
 * systemd-machined's.)  */
#ifndef MINICTR_SYSTEMD_H
#define MINICTR_SYSTEMD_H

#include "lib/error.h"

#include <stdbool.h>
#include <sys/types.h>

/* True when containers get their own scope: /run/systemd/system exists
 * (sd_booted), /sys/fs/cgroup is a cgroup2 mount, MINICTR_CGROUP_PARENT
 * is not set (an explicit parent means the caller places them) and
 * MINICTR_SYSTEMD is not "0".  */
bool mc_systemd_wanted (void);

/* Move the calling process into a new transient scope UNIT in
 * minictr.slice (Delegate=yes, ordered before minictr-boot.service so
 * that at host shutdown that unit's graceful stop runs first) and return
 * once systemd has started it.  The D-Bus work happens in a short-lived
 * child: libsystemd is never mapped into the caller.  */
int mc_systemd_scope_enter (const char *unit, const char *description, mc_error_t *err);

/* The same for process PID, into SLICE (made by systemd if missing), as
 * runc's systemd cgroup driver makes an OCI container's scope.  */
int mc_systemd_scope_start (const char *unit, const char *slice, const char *description, pid_t pid,
                            mc_error_t *err);

/* A host run by systemd (/run/systemd/system) with cgroup2 alone at
 * /sys/fs/cgroup.  */
bool mc_systemd_cgroup2_host (void);

#endif
