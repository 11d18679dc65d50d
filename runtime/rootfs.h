/* The container's root: an overlay of the image rootfs (idmapped for
 * unprivileged containers) and the container's upper layer, built by the
 * tree builder as a detached mount, then attached and furnished (/proc,
 * /sys, /dev, disk devices) and pivoted into, all in a mount namespace
 * owned by the initial user namespace (start.c explains why).  */
#ifndef MINICTR_ROOTFS_H
#define MINICTR_ROOTFS_H

#include "lib/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mc_rootfs_spec
{
  const char *image_rootfs; /* images/<fp>/rootfs */
  const char *cdir;         /* containers/NAME */
  int userns_fd;            /* -1: privileged, no idmapping */
  uint32_t idmap_base, idmap_size;
  bool raw_idmap;           /* raw.idmap entries: no shifted-copy fallback */
};

/* Monitor side, in its private mount namespace: returns a detached
 * overlay mount fd (new mount API, Linux 5.2+; idmapped lower layer with
 * mount_setattr, Linux 5.12+ and a filesystem that supports it — else the
 * shared shifted copy of shift.h).  */
int mc_rootfs_prepare (const struct mc_rootfs_spec *spec, mc_error_t *err);

/* The same for an OCI bundle's ROOT: the directory itself, bound
 * (recursively; read-only when READONLY), ids as they are.  (A root
 * read-only is made so at the end instead: mc_rootfs_readonly.)  */
int mc_rootfs_prepare_bind (const char *root, bool readonly, mc_error_t *err);

/* Who the container's root is on the host: what the tree builder
 * creates (mount points, /dev entries) is handed to it.  */
struct mc_owner
{
  uid_t uid;
  gid_t gid;
};

/* The tree builder (start.c), as host root in a mount namespace of its
 * own that the container copies at the end, so that the kernel locks
 * every mount made here (see start.c):
 * attach MOUNT_FD on CDIR/rootfs and return an fd for it.  */
int mc_rootfs_attach (const char *cdir, int mount_fd, mc_error_t *err);

/* /sys (read-only, with cgroup2 at /sys/fs/cgroup when the host has it):
 * in the container's network namespace, and cgroup namespace (HOST_CGROUPNS:
 * the host's; then never a cgroup2 mount).  With
 * CGROUP_DIRFD (the container's cgroup2 directory; -1: none), that
 * directory bound at /sys/fs/cgroup instead: for a container in the
 * host's cgroup namespace, where a cgroup2 mount would show the whole
 * tree.  */
int mc_rootfs_mount_sys (int rootfd, bool host_cgroupns, int cgroup_dirfd, mc_error_t *err);

/* A tmpfs made from OPTIONS (mount(8)'s: ro, noexec, the atime modes;
 * the others as the filesystem's, such as mode= and size=), always
 * nosuid and nodev, its root owned by O: detached, for
 * mc_rootfs_mount_disk.  */
int mc_rootfs_prepare_tmpfs (char *const *options, const struct mc_owner *o, mc_error_t *err);

/* /proc: by a process of the container's PID namespace.  */
int mc_rootfs_mount_proc (int rootfd, mc_error_t *err);
/* ... or by anyone, naming the PID namespace of PID (proc's pidns=
 * option, Linux 6.18); 1 when the kernel has no such option.  */
int mc_rootfs_mount_proc_of (int rootfd, pid_t pid, mc_error_t *err);

/* /dev: a tmpfs owned by O with the host's harmless nodes bound in, the
 * console pty CONSOLE_PATH, a devpts instance of its own and /dev/shm.  */
int mc_rootfs_setup_dev (int rootfd, const char *console_path, const struct mc_owner *o,
                         mc_error_t *err);

/* The mount at ROOTFD (not those on it) made read-only.  */
int mc_rootfs_readonly (int rootfd, mc_error_t *err);

/* /sys/fs/cgroup, when mounted, made read-only.  */
int mc_rootfs_cgroup_readonly (int rootfd, mc_error_t *err);

/* /dev/mqueue: by a process in the container's ipc namespace.  */
int mc_rootfs_mount_mqueue (int rootfd, const struct mc_owner *o, mc_error_t *err);

/* Make ROOTFD the root of this mount namespace; the old root is
 * detached.  */
int mc_rootfs_pivot (int rootfd, mc_error_t *err);

/* Monitor side: SOURCE as a detached bind mount (read-only, idmapped to
 * USERNS_FD when SHIFT), to hand to the child; nosuid, and nodev unless
 * it is a DEVICE node minictr made.  */
int mc_rootfs_prepare_disk (const char *source, bool readonly, bool shift, bool device,
                            int userns_fd, mc_error_t *err);
/* The same for an OCI bind mount: RECURSIVE (rbind) or the source's own
 * mount only (bind); NOEXEC also.  */
int mc_rootfs_prepare_bind_mount (const char *source, bool recursive, bool readonly, bool noexec,
                                  mc_error_t *err);

/* Attach MFD at PATH inside the root, resolved with RESOLVE_IN_ROOT,
 * creating the mount point (owned by O).  */
int mc_rootfs_mount_disk (int rootfd, const char *path, int mfd, const struct mc_owner *o,
                          mc_error_t *err);

/* Child side, as the container's root: write CONTENT to PATH inside the
 * root (resolved in it, parents created); CREATE_ONLY: leave an existing
 * file alone.  */
int mc_rootfs_write_file (int rootfd, const char *path, const char *content,
                          bool create_only, mc_error_t *err);

#endif
