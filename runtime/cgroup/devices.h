/* Device access control: which device nodes a container may open, for
 * every container, privileged or not (LXD's list).  Everything may be
 * created (mknod), as in LXD; only these may be read or written:
 *
 *   c 1:3 null   c 1:5 zero   c 1:7 full   c 1:8 random   c 1:9 urandom
 *   c 5:0 tty    c 5:1 console   c 5:2 ptmx   c 136:* pts/N
 *   c 10:229 fuse   c 10:200 net/tun
 *
 * and the nodes of the container's unix-char and unix-block devices.
 *
 * On cgroup v1 through the devices controller (devices.deny "a", then
 * devices.allow); on cgroup v2 through a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the container's cgroup, generated from the same
 * table (as crun and LXC generate theirs).  The container's root cannot
 * lift either: devices.* stay host root's, and detaching a program takes
 * CAP_NET_ADMIN in the initial user namespace.  */
#ifndef MINICTR_DEVICES_H
#define MINICTR_DEVICES_H

#include "runtime/cgroup/cgroup.h"
#include "lib/error.h"

#include <stddef.h>
#include <stdint.h>

#define MC_DEV_ANY UINT32_MAX

enum
{
  MC_DEV_MKNOD = 1,
  MC_DEV_READ = 2,
  MC_DEV_WRITE = 4,
};

struct mc_dev_rule
{
  char type; /* 'c' or 'b' */
  uint32_t major, minor; /* MC_DEV_ANY: any */
  unsigned access;       /* MC_DEV_* */
};

/* The default allowlist above.  */
const struct mc_dev_rule *mc_devices_default (size_t *n);

/* Apply the allowlist to a new cgroup, before anything runs in it: the
 * v1 devices hierarchy when the host mounts one, else (pure cgroup v2)
 * the device program.  EXTRA (N_EXTRA of them, may be 0): the nodes of
 * the container's unix-char and unix-block devices, allowed as well.  */
int mc_devices_limit (struct mc_cgroup *cg, const struct mc_dev_rule *extra, size_t n_extra, mc_error_t *err);

/* The eBPF program for RULES (struct bpf_insn, 8 bytes each) in *OUT;
 * returns the instruction count.  For tests.  */
size_t mc_devices_bpf_program (const struct mc_dev_rule *rules, size_t n, void **out);

#endif
