#include "lib/paths.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STATE_DIR "/var/lib/minictr"

static char run_dir[PATH_MAX];
static char cgroup_parent[64];
static char state_id[13];

/* The id only has to tell state dirs apart on one host, so it is the
 * 64-bit FNV-1a hash of the canonical path (first 12 hex digits), not a
 * sha256: every command computes it, and linking a crypto library for it
 * would cost each command its start-up and each container monitor the
 * library's relocated data.  tests/integration/helpers.bash recomputes
 * it in shell.  */
uint64_t
mc_hash64 (const char *s)
{
  uint64_t h = UINT64_C (0xcbf29ce484222325);

  for (; *s; s++)
    {
      h ^= (unsigned char) *s;
      h *= UINT64_C (0x100000001b3);
    }
  return h;
}

static int
compute (mc_error_t *err)
{
  char real[PATH_MAX], hex[17];
  const char *dir = mc_state_dir ();

  if (run_dir[0])
    return 0;
  if (realpath (dir, real) == NULL)
    snprintf (real, sizeof (real), "%s", dir);
  if (strcmp (real, DEFAULT_STATE_DIR) == 0)
    {
      snprintf (run_dir, sizeof (run_dir), "/run/minictr");
      snprintf (cgroup_parent, sizeof (cgroup_parent), "minictr");
      return 0;
    }
  (void) err;
  snprintf (hex, sizeof (hex), "%016" PRIx64, mc_hash64 (real));
  snprintf (state_id, sizeof (state_id), "%.12s", hex);
  snprintf (run_dir, sizeof (run_dir), "/run/minictr-%.12s", hex);
  snprintf (cgroup_parent, sizeof (cgroup_parent), "minictr-%.12s", hex);
  return 0;
}

const char *
mc_run_dir (mc_error_t *err)
{
  return compute (err) < 0 ? NULL : run_dir;
}

/* $MINICTR_CGROUP_PARENT overrides: "/minictr" puts containers at the
 * root of each hierarchy (what a dedicated host wants); the default is
 * relative, below the cgroup of the command that starts the container,
 * so a supervisor's or session's limits keep applying to it.  */
const char *
mc_cgroup_parent (mc_error_t *err)
{
  const char *env = getenv ("MINICTR_CGROUP_PARENT");

  if (env && *env)
    return env;
  return compute (err) < 0 ? NULL : cgroup_parent;
}

const char *
mc_state_id (mc_error_t *err)
{
  return compute (err) < 0 ? NULL : state_id;
}
