/* limits.* keys -> cgroup files, for cgroup v2 and v1/hybrid:
 *
 *   key                     v2                      v1
 *   limits.memory           memory.max              memory.limit_in_bytes
 *     (enforce=soft)        memory.high             memory.soft_limit_in_bytes
 *   limits.memory.swap=false memory.swap.max = 0    memory.memsw.limit_in_bytes = limit
 *   limits.processes        pids.max                pids.max
 *   limits.cpu              cpuset.cpus             cpuset.cpus
 *   limits.cpu.allowance    cpu.max                 cpu.cfs_quota_us, cpu.cfs_period_us
 *   limits.cpu.priority     cpu.weight              cpu.shares
 *
 * An unset key writes the kernel's default back ("max", -1, the parent's
 * cpuset), so applying a whole config is idempotent and serves both the
 * start of a container and a live `config set`/`unset`; on a cgroup
 * mc_cgroup_create has just made (mc_cgroup_is_new), which holds the
 * defaults, those writes are left out.  */
#ifndef MINICTR_LIMITS_H
#define MINICTR_LIMITS_H

#include "runtime/cgroup/cgroup.h"
#include "lib/error.h"

#include <jansson.h>

/* CONFIG: the expanded `config` object.  */
int mc_limits_apply (struct mc_cgroup *cg, json_t *config, mc_error_t *err);
/* The same on a cgroup just made, at a start: keys that are unset and
 * new since LXD's first set (limits.cpu.nodes, .memory.swap.priority,
 * .hugepages.*) need no reset there, it has the parent's values.  */
int mc_limits_apply_new (struct mc_cgroup *cg, json_t *config, mc_error_t *err);

#endif
