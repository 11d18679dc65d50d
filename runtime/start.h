/* The container's first process: the tree builder clones it into its
 * namespaces and cgroup, builds its root (every mount locked), and it
 * execs the image's init.  The monitor (runtime/monitor.h) drives this
 * and then stays the init's parent.  */
#ifndef MINICTR_START_H
#define MINICTR_START_H

#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/devices.h"
#include "lib/error.h"
#include "lib/idmapset.h"
#include "runtime/net/nic.h"
#include "runtime/net/proxy.h"
#include "runtime/template.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A disk device: SOURCE on the host bind-mounted at PATH inside; or a
 * unix-char/unix-block device: DEVICE, SOURCE the node minictr made for
 * it (containers/NAME/devices/), mounted without nodev.  */
struct mc_disk
{
  char *source, *path;
  bool readonly, shift, device;
  bool nonrecursive, noexec; /* an OCI bind mount's `bind` and `noexec` */
  bool tmpfs;                /* a tmpfs (no source), made with OPTIONS */
  char *const *options;
};

/* A container of the OCI runtime CLI (runtime/oci/runc.c): its root is a
 * directory of its bundle, bound (no overlay, no id shift); its process
 * gets the bundle's capability sets, groups and umask; it waits for
 * `start` before it execs; stdio is the creator's.  */
struct mc_oci_seccomp;

struct mc_oci_run
{
  const char *root;
  bool root_readonly;
  const char *hostname; /* NULL: the host's, as copied into its uts namespace */
  uint64_t caps[5];     /* bounding, effective, inheritable, permitted, ambient */
  const gid_t *groups;
  size_t n_groups;
  int umask;            /* -1: leave it */
  bool no_new_privileges;
  bool has_oom_score_adj; /* write OOM_SCORE_ADJ to its oom_score_adj */
  int oom_score_adj;
  bool mqueue;          /* /dev/mqueue, of its ipc namespace */
  bool cgroup_readonly; /* /sys/fs/cgroup read-only */
  bool cgroupns_host;   /* no cgroup namespace of its own */
  /* The namespaces it does not get new (CLONE_NEW* flags): the host's,
     or, for those in JOIN_FDS (the same order as JOIN_FLAGS), another's
     by path (a pod's), joined by the process first thing.  */
  int ns_kept;
  int join_fds[3];
  int join_flags[3];
  size_t n_join;
  /* A pid namespace to be born in (a pod's, by path; its CLONE_NEWPID in
     NS_KEPT): the builder joins it for its children before it clones
     the process, and so sees the process's PID in its own namespace.
     -1: none.  */
  int pid_join_fd;
  struct mc_oci_seccomp *seccomp; /* the config's filter; NULL: minictr's default */
  char *const *masked, *const *readonly; /* paths, NULL-terminated */
  int start_fifo;       /* O_PATH fd of exec.fifo: opened for writing (which
                           waits for `start`) just before the exec */
  int console_sock;     /* -1, or a socket to send a terminal's master to */
  /* The config's hooks (createContainer and startContainer run here),
     and what their state says.  */
  json_t *hooks, *annotations;
  const char *id, *bundle;
  unsigned short console_rows, console_cols; /* its size; 0: the default */
};

/* process.oomScoreAdj, when given, written for PID (from the host's
 * side: the builder for the container's process, exec's helper for its
 * own, which the command inherits).  */
int mc_oci_oom_score_adj (const struct mc_oci_run *run, pid_t pid, mc_error_t *err);

/* The config's seccomp filter is loaded last, just before the exec: it
 * has one, and no_new_privs (runc's order; without no_new_privs loading
 * needs CAP_SYS_ADMIN, so it goes before the ids are taken).  */
bool mc_oci_seccomp_last (const struct mc_oci_run *run);

/* An OCI process's umask, capability bounding set, groups, ids, other
 * capability sets and no_new_privs, in that order (as root, in its
 * namespaces).  */
int mc_oci_take_user (const struct mc_oci_run *run, uid_t uid, gid_t gid, mc_error_t *err);
/* An OCI process's terminal: a pty of the devpts at /dev (the
 * container's), our controlling terminal and fds 0-2, its master sent to
 * CONSOLE_SOCK as runc sends it (the console socket protocol of conmon
 * and containerd).  */
int mc_oci_console (int console_sock, unsigned short rows, unsigned short cols, mc_error_t *err);
/* PROG as execvp would find it on PATH: an executable regular file
 * (malloc'ed); NULL when there is none.  */
char *mc_find_program (const char *prog, const char *path);

struct mc_child_spec
{
  char *name;
  char *cdir;          /* containers/NAME, absolute */
  char *image_rootfs;  /* images/<fp>/rootfs, absolute */
  bool privileged;
  bool nesting;        /* security.nesting: no masks, so /proc can be mounted again inside */
  bool ephemeral;
  uint32_t idmap_base, idmap_size;
  struct mc_idmap_set idmap; /* the whole map: the range and raw.idmap */
  int console_fd;      /* pty slave, for the child */
  char console_path[64];
  struct mc_cgroup *cgroup;
  int *cgroup_fds;     /* for the child to move itself (cgroup.h) */
  size_t n_cgroup_fds;
  json_t *config;      /* the expanded `config` (limits, environment) */
  struct mc_disk *disks;
  size_t n_disks;
  struct mc_dev_rule *dev_rules; /* the unix-char/block nodes, allowed */
  size_t n_dev_rules;
  struct mc_proxy *proxies;      /* proxy devices (the monitor serves them) */
  size_t n_proxies;
  struct mc_rendered *templates; /* the image's templates, rendered, then
                                    /etc/hosts and /etc/resolv.conf */
  size_t n_templates;
  struct mc_nic *nics; /* nic devices: veth pairs the monitor makes */
  size_t n_nics;
  /* An OCI image's process, PID 1 instead of /sbin/init (NULL for a
     system container): {argv: [...], env: ["K=V", ...], cwd, user} and
     uid or gid (Incus's oci.uid, oci.gid) over what user resolves to.  */
  json_t *oci;
  const struct mc_oci_run *run; /* NULL: a container of minictr's own */
};

/* Called once the init exists and its nics are attached, while its
 * tree is still being built: the monitor records the container's state
 * then, off the start's critical path.  */
typedef int (*mc_init_known_fn) (pid_t init, void *data, mc_error_t *err);

/* Clone and set up the container's init; returns its host PID.  With
 * TREE_NS, *TREE_NS gets an fd of the mount namespace the tree was built
 * in, which the init left: whoever closes it last waits for its mounts
 * to go (an RCU grace period), which the caller can do once the start is
 * reported.  Without, it is closed before returning.  */
pid_t mc_spawn_init (struct mc_child_spec *c, mc_init_known_fn known, void *data, int *tree_ns,
                     mc_error_t *err);

#endif
