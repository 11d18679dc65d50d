#include "runtime/cgroup/limits.h"
#include "runtime/config/config.h"
#include "lib/cleanup.h"
#include "lib/utils.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Whether CTRL was given to CG: in its cgroup.controllers on cgroup2, a
 * mounted hierarchy on cgroup1.  */
static bool
has_controller (struct mc_cgroup *cg, const char *ctrl)
{
  cleanup_free char *list = NULL;
  mc_error_t e = NULL;
  char *w, *save = NULL;

  if (mc_cgroup_layout (cg) != MC_CGROUP_V2)
    return mc_cgroup_path (cg, ctrl) != NULL;
  if (mc_cgroup_read (cg, "cgroup.controllers", &list, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  for (w = strtok_r (list, " \n", &save); w; w = strtok_r (NULL, " \n", &save))
    if (strcmp (w, ctrl) == 0)
      return true;
  return false;
}

/* One write.  KEY is the config key behind it (NULL: a reset of an unset
 * key): a reset may meet a file the host does not have (no swap
 * accounting, say), a requested limit may not.  */
static int
put (struct mc_cgroup *cg, const char *key, const char *file, const char *value,
     mc_error_t *err)
{
  cleanup_free char *ctrl = NULL;

  /* A reset of a cgroup made a moment ago would write what is there
   * already, and some writes cost time that grows with the number of
   * cgroups on the host (cpu.cfs_quota_us walks every task group, a
   * cpuset write checks every sibling).  */
  if (key == NULL && mc_cgroup_is_new (cg))
    return 0;
  if (mc_cgroup_write (cg, file, value, err) == 0)
    return 0;
  if ((*err)->status == ENOENT && key == NULL)
    {
      mc_error_release (err);
      return 0;
    }
  ctrl = xstrndup (file, strcspn (file, "."));
  if ((*err)->status != ENOENT || has_controller (cg, ctrl))
    return mc_error_prefix (err, "%s: set %s to %s", key ? key : "reset", file, value);
  /* The file is missing because its controller was not given to this
   * cgroup: say which, and what provides it.  */
  mc_error_release (err);
  if (mc_cgroup_layout (cg) == MC_CGROUP_V2)
    return mc_make_error (err, 0,
                          "%s: the %s controller is not enabled for the container's cgroup `%s`: "
                          "the cgroup above it must delegate it (`+%s` in its cgroup.subtree_control; "
                          "under systemd, a unit with Delegate=yes)",
                          key, ctrl, mc_cgroup_path (cg, NULL), ctrl);
  return mc_make_error (err, 0,
                        "%s: the %s controller is not available: no cgroup v1 hierarchy of this host "
                        "mounts it", key, ctrl);
}

static const char *
get (json_t *config, const char *key)
{
  return json_string_value (json_object_get (config, key));
}

static int
apply_memory (struct mc_cgroup *cg, json_t *config, bool v2, mc_error_t *err)
{
  const char *mem = get (config, "limits.memory");
  const char *enforce = get (config, "limits.memory.enforce");
  const char *swap = get (config, "limits.memory.swap");
  bool soft = enforce && strcmp (enforce, "soft") == 0;
  bool noswap = swap && strcmp (swap, "false") == 0;
  const char *memkey = mem ? "limits.memory" : NULL;
  char bytes[32];
  uint64_t b = 0;

  if (mem && mc_config_parse_memory (mem, &b, err) < 0)
    return mc_error_prefix (err, "limits.memory");
  snprintf (bytes, sizeof (bytes), "%" PRIu64, b);
  if (v2)
    {
      if (put (cg, memkey, "memory.max", mem && !soft ? bytes : "max", err) < 0
          || put (cg, memkey, "memory.high", mem && soft ? bytes : "max", err) < 0)
        return -1;
      return put (cg, noswap ? "limits.memory.swap" : NULL, "memory.swap.max", noswap ? "0" : "max", err);
    }
  /* memsw (memory + swap) may never be below the memory limit: lift it
   * first, set the limit, then bring memsw down to it.  */
  if (put (cg, NULL, "memory.memsw.limit_in_bytes", "-1", err) < 0
      || put (cg, memkey, "memory.limit_in_bytes", mem && !soft ? bytes : "-1", err) < 0
      || put (cg, memkey, "memory.soft_limit_in_bytes", mem && soft ? bytes : "-1", err) < 0)
    return -1;
  if (noswap && mem && !soft)
    return put (cg, "limits.memory.swap", "memory.memsw.limit_in_bytes", bytes, err);
  return 0;
}

static int
apply_cpu (struct mc_cgroup *cg, json_t *config, bool v2, mc_error_t *err)
{
  const char *cpus = get (config, "limits.cpu");
  const char *allow = get (config, "limits.cpu.allowance");
  const char *prio = get (config, "limits.cpu.priority");
  cleanup_free char *set = NULL;
  uint64_t quota = 0, period = 100000;
  unsigned long p = prio ? strtoul (prio, NULL, 10) : 10;
  char buf[64];

  if (cpus && mc_config_parse_cpus (cpus, &set, err) < 0)
    return mc_error_prefix (err, "limits.cpu");
  if (allow && mc_config_parse_allowance (allow, &quota, &period, err) < 0)
    return mc_error_prefix (err, "limits.cpu.allowance");

  if (set == NULL && !v2 && !mc_cgroup_is_new (cg) && mc_cgroup_read_parent (cg, "cpuset.cpus", &set, err) < 0)
    return -1;
  if (put (cg, cpus ? "limits.cpu" : NULL, "cpuset.cpus", set ? set : "", err) < 0)
    return -1;

  if (v2)
    {
      if (allow)
        snprintf (buf, sizeof (buf), "%" PRIu64 " %" PRIu64, quota, period);
      else
        snprintf (buf, sizeof (buf), "max 100000");
      if (put (cg, allow ? "limits.cpu.allowance" : NULL, "cpu.max", buf, err) < 0)
        return -1;
      /* Priority 10 is the kernel's default weight, 100.  */
      snprintf (buf, sizeof (buf), "%lu", 100 * (p + 1) / 11);
      return put (cg, prio ? "limits.cpu.priority" : NULL, "cpu.weight", buf, err);
    }
  if (put (cg, NULL, "cpu.cfs_quota_us", "-1", err) < 0)
    return -1;
  snprintf (buf, sizeof (buf), "%" PRIu64, period);
  if (put (cg, allow ? "limits.cpu.allowance" : NULL, "cpu.cfs_period_us", buf, err) < 0)
    return -1;
  if (allow)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, quota);
      if (put (cg, "limits.cpu.allowance", "cpu.cfs_quota_us", buf, err) < 0)
        return -1;
    }
  /* Priority 10 is the kernel's default, 1024 shares.  */
  snprintf (buf, sizeof (buf), "%lu", 1024 * (p + 1) / 11);
  return put (cg, prio ? "limits.cpu.priority" : NULL, "cpu.shares", buf, err);
}

/* limits.cpu.nodes (cpuset.mems), limits.memory.swap.priority (cgroup
 * v1's memory.swappiness: 6 * (10 - priority), 60 the kernel's default
 * at priority 0, never swapped at 10) and limits.hugepages.SIZE (the
 * hugetlb controller).  */
static int
apply_more (struct mc_cgroup *cg, json_t *config, bool v2, bool fresh, mc_error_t *err)
{
  static const char *const sizes[] = { "64KB", "1MB", "2MB", "1GB" };
  const char *nodes = get (config, "limits.cpu.nodes");
  const char *swprio = get (config, "limits.memory.swap.priority");
  cleanup_free char *mems = NULL;
  char buf[64];
  size_t i;

  if (nodes == NULL && !v2 && !fresh && mc_cgroup_read_parent (cg, "cpuset.mems", &mems, err) < 0)
    return -1;
  if ((nodes || !fresh)
      && put (cg, nodes ? "limits.cpu.nodes" : NULL, "cpuset.mems", nodes ? nodes : mems ? mems : "", err) < 0)
    return -1;
  if (swprio && v2)
    return mc_make_error (err, 0, "limits.memory.swap.priority: cgroup v2 has no per-cgroup swappiness (unset it, "
                          "or use limits.memory.swap=false)");
  if (!v2 && swprio)
    {
      snprintf (buf, sizeof (buf), "%lu", 6 * (10 - strtoul (swprio, NULL, 10)));
      if (put (cg, "limits.memory.swap.priority", "memory.swappiness", buf, err) < 0)
        return -1;
    }
  else if (!v2 && !fresh)
    {
      /* Unset: the parent's swappiness again.  */
      cleanup_free char *parent = NULL;

      if (mc_cgroup_read_parent (cg, "memory.swappiness", &parent, err) < 0)
        return -1;
      parent[strcspn (parent, "\n")] = '\0';
      if (put (cg, NULL, "memory.swappiness", parent, err) < 0)
        return -1;
    }
  for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++)
    {
      cleanup_free char *key = xasprintf ("limits.hugepages.%s", sizes[i]);
      cleanup_free char *file = xasprintf (v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", sizes[i]);
      const char *v = get (config, key);
      uint64_t b;

      if (v && mc_parse_size (v, &b, err) < 0)
        return mc_error_prefix (err, "%s", key);
      if (v)
        snprintf (buf, sizeof (buf), "%" PRIu64, b);
      /* Unset: the default back, where the host has that page size.  */
      if ((v || !fresh) && put (cg, v ? key : NULL, file, v ? buf : v2 ? "max" : "-1", err) < 0)
        return -1;
    }
  return 0;
}

static int
apply (struct mc_cgroup *cg, json_t *config, bool fresh, mc_error_t *err)
{
  bool v2 = mc_cgroup_layout (cg) == MC_CGROUP_V2;
  const char *procs = get (config, "limits.processes");

  if (apply_memory (cg, config, v2, err) < 0 || apply_cpu (cg, config, v2, err) < 0
      || apply_more (cg, config, v2, fresh, err) < 0)
    return -1;
  return put (cg, procs ? "limits.processes" : NULL, "pids.max", procs ? procs : "max", err);
}

int
mc_limits_apply (struct mc_cgroup *cg, json_t *config, mc_error_t *err)
{
  return apply (cg, config, false, err);
}

int
mc_limits_apply_new (struct mc_cgroup *cg, json_t *config, mc_error_t *err)
{
  return apply (cg, config, true, err);
}
