/* The cgroup1 backend: a hierarchy per controller (or group of
 * co-mounted controllers), the freezer controller for freeze and kill,
 * plus the name=systemd and hybrid unified hierarchies, which have no
 * controllers but where the container gets a cgroup too (systemd inside
 * the container looks for its own place there).  */
#include "runtime/cgroup/cgroup-internal.h"
#include "lib/testhook.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Every mounted hierarchy: the controllers, the named ones and the
 * hybrid cgroup2 one.  */
static bool
v1_wants (const struct mc_cg_hier *h)
{
  (void) h;
  return true;
}

/* A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and
 * no task can join it until both are set: copy them from the nearest
 * ancestor that has them (the one above may itself be empty).  */
static int
copy_from_ancestor (struct mc_cg_hier *h, const char *rel, const char *file,
                    mc_error_t *err)
{
  cleanup_free char *dir = mc_cg_dirname (rel);

  for (;;)
    {
      cleanup_free char *v = NULL;
      char *up;

      if (mc_cg_read_at (h, dir, file, &v, err) < 0)
        return -1;
      if (*v != '\0')
        return mc_cg_write_at (h, rel, file, v, err);
      if (*dir == '\0')
        return mc_make_error (err, EINVAL, "`%s/%s`: no ancestor has a %s",
                              h->mountpoint, rel, file);
      up = mc_cg_dirname (dir);
      free (dir);
      dir = up;
    }
}

/* FILE of REL, when it is empty: from the nearest ancestor.  */
static int
fill_if_empty (struct mc_cg_hier *h, const char *rel, const char *file,
               mc_error_t *err)
{
  cleanup_free char *v = NULL;

  if (mc_cg_read_at (h, rel, file, &v, err) < 0)
    return -1;
  if (v[strspn (v, " \n")] != '\0')
    return 0;
  return copy_from_ancestor (h, rel, file, err);
}

/* A PARENT level made here gets cgroup.clone_children, so that the kernel
 * fills the cpuset of each container's cgroup made below it: a write of
 * cpuset.cpus checks every sibling and, on some kernels, rebuilds the
 * scheduler domains, which grows with the number of containers.  A level
 * that was there gets the CPUs and nodes it lacks (clone_children is its
 * maker's to set): its maker may not have filled it yet, and a
 * container's cgroup made before clone_children was set (or below a
 * parent made elsewhere) starts empty.  The maker writes CPUs, then
 * nodes, then clone_children, so a cloned leaf has both.  */
static int
v1_init_level (struct mc_cgroup *cg, struct mc_cg_hier *h, const char *rel,
               bool leaf, bool made, mc_error_t *err)
{
  (void) cg;
  if (h->unified || !mc_cg_list_has (h->controllers, ',', "cpuset"))
    return 0;
  if (leaf || !made)
    return fill_if_empty (h, rel, "cpuset.cpus", err) < 0 ? -1
           : fill_if_empty (h, rel, "cpuset.mems", err);
  mc_test_point ("cgroup-parent-made");
  if (copy_from_ancestor (h, rel, "cpuset.cpus", err) < 0
      || copy_from_ancestor (h, rel, "cpuset.mems", err) < 0)
    return -1;
  return mc_cg_write_at (h, rel, "cgroup.clone_children", "1", err);
}

static struct mc_cg_hier *
v1_hier_for (struct mc_cgroup *cg, const char *controller)
{
  return mc_cg_find_v1 (cg, controller);
}

/* Without a freezer hierarchy nothing can be frozen, so there is also
 * nothing to thaw.  */
static int
v1_request_freeze (struct mc_cgroup *cg, bool frozen, mc_error_t *err)
{
  struct mc_cg_hier *h = mc_cg_find_v1 (cg, "freezer");

  if (h == NULL && !frozen)
    return 0;
  if (h == NULL)
    return mc_make_error (err, ENOTSUP, "freeze: no cgroup1 hierarchy with the `freezer` controller is mounted");
  return mc_cg_write_at (h, h->rel, "freezer.state",
                         frozen ? "FROZEN" : "THAWED", err);
}

/* FREEZING (asked, not yet done everywhere) counts as not frozen.  */
static int
v1_frozen (struct mc_cgroup *cg, bool *frozen, mc_error_t *err)
{
  struct mc_cg_hier *h = mc_cg_need_v1 (cg, "freezer", err);
  cleanup_free char *s = NULL;

  if (h == NULL || mc_cg_read_at (h, h->rel, "freezer.state", &s, err) < 0)
    return -1;
  *frozen = strcmp (s, "FROZEN") == 0;
  return 0;
}

static int
v1_kill (struct mc_cgroup *cg, mc_error_t *err)
{
  return mc_cg_kill_frozen (cg, err);
}

/* Each figure whose hierarchy is mounted.  */
static int
v1_stats (struct mc_cgroup *cg, struct mc_cgroup_stats *st, mc_error_t *err)
{
  struct mc_cg_hier *mem = mc_cg_find_v1 (cg, "memory");
  struct mc_cg_hier *cpu = mc_cg_find_v1 (cg, "cpuacct");
  struct mc_cg_hier *pids = mc_cg_find_v1 (cg, "pids");

  if (mem && (mc_cg_read_u64 (mem, "memory.usage_in_bytes", &st->memory_current, err) < 0
              || mc_cg_read_u64 (mem, "memory.max_usage_in_bytes", &st->memory_peak, err) < 0))
    return -1;
  if (cpu && mc_cg_read_u64 (cpu, "cpuacct.usage", &st->cpu_usage_ns, err) < 0)
    return -1;
  if (pids && mc_cg_read_u64 (pids, "pids.current", &st->pids_current, err) < 0)
    return -1;
  st->has_memory = st->has_memory_peak = mem != NULL;
  st->has_cpu = cpu != NULL;
  st->has_pids = pids != NULL;
  return 0;
}

const struct mc_cgroup_ops mc_cgroup_ops_v1 = {
  .name = "cgroup1",
  .wants = v1_wants,
  .init_level = v1_init_level,
  .hier_for = v1_hier_for,
  .request_freeze = v1_request_freeze,
  .frozen = v1_frozen,
  .kill = v1_kill,
  .stats = v1_stats,
};
