/* An OCI bundle (runtime-spec 1.x): a directory with a config.json and,
 * at the config's root.path, the container's root filesystem.  The
 * runtime CLI (`minictr oci`, `minictr-runc`) reads it here, whole and
 * checked, before anything is made: every field minictr does not carry
 * out is refused by name, never ignored, so a container never runs with
 * less isolation than its config asked for.  docs/oci.md maps what is
 * read onto the start path.  */
#ifndef MINICTR_OCI_BUNDLE_H
#define MINICTR_OCI_BUNDLE_H

#include "lib/error.h"
#include "lib/idmapset.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

enum mc_oci_ns
{
  MC_OCI_NS_PID,
  MC_OCI_NS_NETWORK,
  MC_OCI_NS_MOUNT,
  MC_OCI_NS_IPC,
  MC_OCI_NS_UTS,
  MC_OCI_NS_USER,
  MC_OCI_NS_CGROUP,
  MC_OCI_NS_N
};

/* The spec's name of a namespace type ("pid", "network", ...).  */
const char *mc_oci_ns_name (enum mc_oci_ns ns);

struct mc_oci_mount
{
  char *destination, *type, *source;
  char **options; /* NULL-terminated */
};

struct mc_oci_rlimit
{
  int resource;
  struct rlimit limit;
};

/* process.capabilities: bit N is capability N.  */
enum
{
  MC_OCI_CAPS_BOUNDING,
  MC_OCI_CAPS_EFFECTIVE,
  MC_OCI_CAPS_INHERITABLE,
  MC_OCI_CAPS_PERMITTED,
  MC_OCI_CAPS_AMBIENT,
  MC_OCI_CAPS_N
};

struct mc_oci_bundle
{
  char *dir;  /* absolute */
  char *root; /* absolute: root.path, relative to DIR when relative */
  bool root_readonly;
  char *hostname; /* NULL: none given */

  /* process */
  char **args; /* NULL-terminated, at least one */
  char **env;  /* NULL-terminated */
  char *cwd;
  uid_t uid;
  gid_t gid;
  int umask; /* -1: none given */
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool terminal;
  unsigned short console_rows, console_cols; /* consoleSize; 0: none given */
  bool no_new_privileges;
  bool has_oom_score_adj; /* process.oomScoreAdj given: OOM_SCORE_ADJ */
  int oom_score_adj;
  struct mc_oci_rlimit *rlimits;
  size_t n_rlimits;
  uint64_t caps[MC_OCI_CAPS_N];

  /* linux */
  bool ns[MC_OCI_NS_N];          /* false: the host's (the caller's) */
  char *ns_path[MC_OCI_NS_N];    /* joined by path (network, ipc, uts); NULL: a new one */
  struct mc_idmap_set idmap; /* with a user namespace */
  struct mc_oci_mount *mounts;
  size_t n_mounts;
  char *cgroups_path; /* NULL: none given */
  int64_t memory_limit; /* bytes; -1: none */
  int64_t memory_swap;  /* memory + swap, bytes; -1: unlimited; 0: not given */
  int64_t pids_limit;   /* -1: none */
  uint64_t cpu_shares;  /* 0: not given */
  int64_t cpu_quota;    /* microseconds per period; -1: none; 0: not given */
  uint64_t cpu_period;  /* microseconds; 0: not given */
  char *cpu_cpus, *cpu_mems; /* cpusets; NULL: not given */
  char **masked_paths, **readonly_paths; /* NULL-terminated */
  json_t *sysctl; /* an object of strings, maybe empty */
  json_t *annotations; /* an object, maybe empty */
  json_t *seccomp;     /* linux.seccomp as given (seccomp.h); NULL: none */
  json_t *hooks;       /* hooks as given, checked; NULL: none */
};

/* Read DIR/config.json into B.  An error names the field at fault:
 * malformed, or asking for what minictr does not do (a namespace to join
 * by path, seccomp, hooks, ...).  */
int mc_oci_bundle_read (const char *dir, struct mc_oci_bundle *b, mc_error_t *err);
/* A runtime-spec Process object alone (runc's `exec --process FILE`) into
 * B's process fields; the others stay empty.  Errors name FILE and then
 * the field, as `process.FIELD`.  */
int mc_oci_process_read (const char *path, struct mc_oci_bundle *b, mc_error_t *err);
/* A LinuxResources object alone (runc's `update --resources`) into B's
 * limits, checked as config.json's `linux.resources`.  */
int mc_oci_resources_read (json_t *resources, struct mc_oci_bundle *b, mc_error_t *err);
void mc_oci_bundle_release (struct mc_oci_bundle *b);

/* The config.json `minictr oci spec` writes, as `runc spec` does: `sh` on
 * a terminal in ./rootfs (read-only), new namespaces, the usual mounts,
 * masks and three capabilities.  ROOTLESS, as `runc spec --rootless`:
 * also a user namespace that maps root to UID and GID, /sys bound from
 * the host instead of mounted, and no cgroup mount or resources.  */
json_t *mc_oci_spec_default (bool rootless, uid_t uid, gid_t gid);

#endif
