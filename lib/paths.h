/* Where a state directory's runtime state and cgroups live.  The default
 * state dir (/var/lib/minictr) uses /run/minictr and the cgroup parent
 * `minictr`; any other state dir gets /run/minictr-<id> and `minictr-<id>`,
 * <id> being 12 hex digits of the 64-bit FNV-1a hash of its real path,
 * so tests and a user's real containers never share PIDs, sockets or
 * cgroups.  */
#ifndef MINICTR_PATHS_H
#define MINICTR_PATHS_H

#include "lib/error.h"

#include <stdint.h>

/* Both return static storage, computed once.  $MINICTR_CGROUP_PARENT
 * overrides the cgroup parent (e.g. "/minictr" for the hierarchy roots). */
const char *mc_run_dir (mc_error_t *err);
const char *mc_cgroup_parent (mc_error_t *err);

/* "" for the default state dir, else the 12 hex digits of <id>: what
 * names of host objects (bridges, veths, nftables tables) are derived
 * from, so that two state dirs never meet on the host.  */
const char *mc_state_id (mc_error_t *err);

/* 64-bit FNV-1a: the hash behind <id> and the host object names.  */
uint64_t mc_hash64 (const char *s);

#endif
