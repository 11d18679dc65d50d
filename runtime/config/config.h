/* Instance configuration keys: one table states each key's type, default,
 * whether it applies to a running container, and its documentation
 * (`minictr config keys` prints it).  Validation, LXD's value syntax, the
 * stacking of profiles under a container's own config, and the devices
 * (disk) live here; turning limits into cgroup values is limits.c.  */
#ifndef MINICTR_CONFIG_H
#define MINICTR_CONFIG_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum mc_key_type
{
  MC_KEY_STRING,
  MC_KEY_BOOL,
  MC_KEY_UINT,      /* a decimal count, at least 1 */
  MC_KEY_NUMBER,    /* a decimal number, 0 or more */
  MC_KEY_MEMORY,    /* LXD size ("256MiB", "1GB") or a percentage of host RAM */
  MC_KEY_CPUS,      /* a count ("2") or a CPU set ("0-1,3") */
  MC_KEY_ALLOWANCE, /* "50%" or "25ms/100ms" */
  MC_KEY_PRIORITY,  /* 0..10 */
  MC_KEY_ENFORCE,   /* hard | soft */
  MC_KEY_SIGNAL,    /* a signal name or number */
  MC_KEY_RLIMIT,    /* limits.kernel.NAME: N, unlimited, or SOFT:HARD */
  MC_KEY_SYSCTL,    /* linux.sysctl.NAME: a namespaced sysctl's value */
  MC_KEY_SCHEDULE,  /* a cron expression or @daily, ... (schedule.h) */
  MC_KEY_EXPIRY,    /* "1w 2d" (schedule.h) */
  MC_KEY_NODES,     /* a set of NUMA nodes ("0", "0-1,3") */
  MC_KEY_SIZE,      /* an LXD size ("64MiB") */
  MC_KEY_SYSCALLS,  /* system call names (security.h) */
  MC_KEY_IDMAP,     /* LXD's raw.idmap lines (lib/idmapset.h) */
  MC_KEY_OCI_INIT,  /* app | system */
};

struct mc_config_key
{
  const char *name;  /* "limits.memory", or a prefix "environment." */
  bool prefix;
  enum mc_key_type type;
  const char *dflt;  /* NULL: unset by default */
  bool live;         /* applied to a running container at once */
  const char *doc;
};

const struct mc_config_key *mc_config_keys (size_t *n);

/* Look KEY up; unknown keys get an error suggesting close matches, and
 * keys minictr manages itself (volatile.*) are refused for writing.  */
const struct mc_config_key *mc_config_key_find (const char *key, bool for_write,
                                                mc_error_t *err);

/* Check VALUE for KEY; the error names the expected form.  */
int mc_config_validate (const char *key, const char *value, mc_error_t *err);

/* Check a whole instance or profile document (config keys, devices) as
 * `config edit`, `profile edit` and `init < file` give it.  */
int mc_config_validate_doc (json_t *doc, mc_error_t *err);


/* Parsed forms, for limits.c.  */
int mc_config_parse_memory (const char *value, uint64_t *bytes, mc_error_t *err);
/* A CPU count N becomes "0-(N-1)"; a set is checked and normalised.  */
int mc_config_parse_cpus (const char *value, char **cpuset, mc_error_t *err);
/* Quota and period in microseconds.  */
int mc_config_parse_allowance (const char *value, uint64_t *quota_us,
                               uint64_t *period_us, mc_error_t *err);
int mc_config_parse_signal (const char *value, int *sig, mc_error_t *err);
/* A signal by name (SIGPWR, PWR, SIGRTMIN+3, RTMIN) or number.  */
int mc_parse_signal (const char *s, int *sig, mc_error_t *err);

/* limits.kernel.NAME=VALUE: the resource (RLIMIT_*) and its limits.  */
struct rlimit;
int mc_config_parse_rlimit (const char *key, const char *value, int *resource, struct rlimit *rl,
                            mc_error_t *err);

/* linux.sysctl.NAME: NAME's path below /proc/sys ("net/ipv4/ip_forward")
 * and whether it lives in the IPC namespace (else the network one); -1
 * for a sysctl that is not namespaced (it would change the host).  */
int mc_config_sysctl_path (const char *key, char **path, bool *ipc, mc_error_t *err);

/* DOC's config value KEY as a string, or DFLT.  */
const char *mc_config_get (json_t *cfg, const char *key, const char *dflt);
/* The same as a boolean: true, 1 and yes are true.  */
bool mc_config_get_bool (json_t *cfg, const char *key, bool dflt);
/* Whether CFG (a container's, expanded) asks an OCI image for a system
 * container: oci.init=system, or, with no oci.init, Incus's way:
 * oci.entrypoint=/sbin/init (alone, as words or a JSON list) with no
 * oci.cmd.  */
bool mc_config_oci_system (json_t *cfg);

#endif
