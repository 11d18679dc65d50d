/* The OCI runtime's container commands (runc's): a container of a bundle
 * made by `create` (namespaces, cgroup, root, its process waiting), let
 * run by `start`, read by `state`, signalled by `kill`, removed by
 * `delete`.  Each container is a directory ROOT/ID holding state.json and,
 * until `start`, exec.fifo.  No process of minictr's stays: the
 * container's process is the creator's child, and becomes its subreaper's
 * (conmon, containerd's shim) when `create` exits, as with runc.  It is
 * made by the same start path as minictr's own containers (start.h).  */
#ifndef MINICTR_OCI_RUNC_H
#define MINICTR_OCI_RUNC_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

#define MC_OCI_DEFAULT_ROOT "/run/minictr-runc"

/* SYSTEMD_CGROUP: runc's --systemd-cgroup, a cgroupsPath SLICE:PREFIX:NAME
 * is the scope PREFIX-NAME.scope in SLICE that systemd makes for it.  */
int mc_oci_create (const char *root, const char *id, const char *bundle, const char *pid_file,
                   const char *console_socket, bool systemd_cgroup, mc_error_t *err);
int mc_oci_start (const char *root, const char *id, mc_error_t *err);
/* The OCI state: ociVersion, id, status (created, running, paused,
 * stopped), pid (0 once stopped), bundle, annotations.  */
json_t *mc_oci_state (const char *root, const char *id, mc_error_t *err);
int mc_oci_kill (const char *root, const char *id, int sig, bool all, mc_error_t *err);
int mc_oci_delete (const char *root, const char *id, bool force, mc_error_t *err);
/* Freeze (PAUSE) or thaw a running, or paused, container's cgroup.  */
int mc_oci_pause (const char *root, const char *id, bool pause, mc_error_t *err);
/* The host PIDs of the container's cgroup, as a JSON list.  */
json_t *mc_oci_pids (const char *root, const char *id, mc_error_t *err);

/* `exec`: a process of PROCESS (a runtime-spec Process file), or of the
 * bundle's process with ARGS and the changes, in the container's
 * namespaces and cgroup.  Attached, *STATUS is its end as a shell tells
 * it; detached, exec returns once it runs (its exec done).  */
struct mc_oci_exec_opts
{
  const char *process;
  char **args; /* NULL-terminated; without PROCESS */
  const char *cwd, *user; /* without PROCESS: --cwd, --user UID[:GID] */
  char **env;             /* without PROCESS: --env K=V, added */
  size_t n_env;
  bool tty, detach;
  const char *pid_file, *console_socket;
};
int mc_oci_exec (const char *root, const char *id, const struct mc_oci_exec_opts *o, int *status, mc_error_t *err);
/* `update`: RESOURCES (a LinuxResources object: memory limit and swap,
 * pids limit) changed on a running container; what is not given stays.  */
int mc_oci_update (const char *root, const char *id, json_t *resources, mc_error_t *err);

#endif
