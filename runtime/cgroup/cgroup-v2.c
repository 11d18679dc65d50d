/* The cgroup2 backend: one hierarchy, the kernel's own freezer
 * (cgroup.freeze, Linux 5.2+) and cgroup.kill (5.14+).  */
#include "runtime/cgroup/cgroup-internal.h"
#include "lib/testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* What a container may be given, when the level above delegates it.  */
static const char *const v2_controllers[] = {
  "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "misc", "rdma",
};

static bool
v2_wants (const struct mc_cg_hier *h)
{
  return h->unified;
}

/* Enable in a PARENT level what it was given itself, so that NAME below
 * gets it.  Never in NAME: it holds the container's processes and cgroup2
 * lets no cgroup both hold processes and distribute controllers.  A
 * controller the nearest pre-existing ancestor does not delegate is
 * missing from cgroup.controllers here: we go without it rather than
 * write to a cgroup that is not ours.  A level that was there (made by a
 * launch running now, which may not have got this far) gets what is not
 * enabled yet; should it hold processes of its own (someone else's
 * cgroup of that name), the kernel refuses with EBUSY and NAME goes
 * without, as before this level was ours.  */
static int
v2_init_level (struct mc_cgroup *cg, struct mc_cg_hier *h, const char *rel,
               bool leaf, bool made, mc_error_t *err)
{
  cleanup_free char *avail = NULL, *enabled = NULL;
  size_t i;

  (void) cg;
  if (leaf)
    return 0;
  if (made)
    mc_test_point ("cgroup-parent-made");
  if (mc_cg_read_at (h, rel, "cgroup.controllers", &avail, err) < 0
      || (!made && mc_cg_read_at (h, rel, "cgroup.subtree_control", &enabled, err) < 0))
    return -1;
  for (i = 0; i < sizeof (v2_controllers) / sizeof (v2_controllers[0]); i++)
    {
      cleanup_free char *op = NULL;

      if (!mc_cg_list_has (avail, ' ', v2_controllers[i])
          || (enabled && mc_cg_list_has (enabled, ' ', v2_controllers[i])))
        continue;
      op = xasprintf ("+%s", v2_controllers[i]);
      if (mc_cg_write_at (h, rel, "cgroup.subtree_control", op, err) == 0)
        continue;
      if (!made && (*err)->status == EBUSY)
        {
          mc_error_release (err);
          return 0;
        }
      return mc_error_prefix (err, "enable the %s controller", v2_controllers[i]);
    }
  return 0;
}

/* One hierarchy holds every controller.  */
static struct mc_cg_hier *
v2_hier_for (struct mc_cgroup *cg, const char *controller)
{
  (void) controller;
  return &cg->hier[0];
}

static int
v2_request_freeze (struct mc_cgroup *cg, bool frozen, mc_error_t *err)
{
  return mc_cg_write_at (&cg->hier[0], cg->hier[0].rel, "cgroup.freeze",
                         frozen ? "1" : "0", err);
}

/* cgroup.freeze is what was asked; "frozen 1" in cgroup.events is what
 * the kernel has done.  */
static int
v2_frozen (struct mc_cgroup *cg, bool *frozen, mc_error_t *err)
{
  uint64_t v = 0;

  if (mc_cg_read_key_u64 (&cg->hier[0], "cgroup.events", "frozen", &v, err) < 0)
    return -1;
  *frozen = v != 0;
  return 0;
}

static bool
has_file (struct mc_cg_hier *h, const char *file)
{
  cleanup_free char *sub = xasprintf ("%s/%s", h->rel, file);

  return faccessat (h->mountfd, sub, F_OK, 0) == 0;
}

/* cgroup.kill (5.14+) kills the whole subtree atomically, forks racing
 * with it included.  Older kernels: freeze, kill, thaw.  */
static int
v2_kill (struct mc_cgroup *cg, mc_error_t *err)
{
  struct mc_cg_hier *h = &cg->hier[0];

  if (!has_file (h, "cgroup.kill"))
    return mc_cg_kill_frozen (cg, err);
  return mc_cg_write_at (h, h->rel, "cgroup.kill", "1", err);
}

/* Each figure whose controller the cgroup was given (cpu.stat's
 * usage_usec is there without the cpu controller).  */
static int
v2_stats (struct mc_cgroup *cg, struct mc_cgroup_stats *st, mc_error_t *err)
{
  struct mc_cg_hier *h = &cg->hier[0];
  uint64_t usec = 0;

  st->has_memory = has_file (h, "memory.current");
  st->has_pids = has_file (h, "pids.current");
  st->has_cpu = true;
  if ((st->has_memory && mc_cg_read_u64 (h, "memory.current", &st->memory_current, err) < 0)
      || mc_cg_read_key_u64 (h, "cpu.stat", "usage_usec", &usec, err) < 0
      || (st->has_pids && mc_cg_read_u64 (h, "pids.current", &st->pids_current, err) < 0))
    return -1;
  st->cpu_usage_ns = usec * 1000;
  /* memory.peak appeared in Linux 5.19.  */
  st->has_memory_peak = st->has_memory && has_file (h, "memory.peak");
  if (st->has_memory_peak)
    return mc_cg_read_u64 (h, "memory.peak", &st->memory_peak, err);
  return 0;
}

const struct mc_cgroup_ops mc_cgroup_ops_v2 = {
  .name = "cgroup2",
  .wants = v2_wants,
  .init_level = v2_init_level,
  .hier_for = v2_hier_for,
  .request_freeze = v2_request_freeze,
  .frozen = v2_frozen,
  .kill = v2_kill,
  .stats = v2_stats,
};
