#include "runtime/paths.h"
#include "images/fingerprint.h"
#include "runtime/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STATE_DIR "/var/lib/minictr"

static char run_dir[PATH_MAX];
static char cgroup_parent[64];

static int
compute (mc_error_t *err)
{
  char real[PATH_MAX], hex[MC_FP_HEX_LEN + 1];
  const char *dir = mc_state_dir ();
  struct mc_sha256 h;

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
  if (mc_sha256_init (&h, err) < 0)
    return -1;
  mc_sha256_update (&h, real, strlen (real));
  mc_sha256_final (&h, hex);
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
