/* The container's root: an overlay of the image rootfs (idmapped for
 * unprivileged containers) and the container's upper layer, built by the
 * monitor as a detached mount, then attached and furnished (/proc, /sys,
 * /dev) by the child inside its own mount namespace, and pivoted into.  */
#ifndef MINICTR_ROOTFS_H
#define MINICTR_ROOTFS_H

#include "runtime/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mc_rootfs_spec
{
  const char *image_rootfs; /* images/<fp>/rootfs */
  const char *cdir;         /* containers/NAME */
  int userns_fd;            /* -1: privileged, no idmapping */
  uint32_t idmap_base, idmap_size;
};

/* Monitor side, in its private mount namespace: returns a detached
 * overlay mount fd (new mount API, Linux 5.2+; idmapped lower layer with
 * mount_setattr, Linux 5.12+ and a filesystem that supports it — else the
 * shared shifted copy of shift.h).  */
int mc_rootfs_prepare (const struct mc_rootfs_spec *spec, mc_error_t *err);

/* Child side, still as host uid 0 (the owner of the state directory):
 * attach MOUNT_FD on CDIR/rootfs and return an fd for it.  */
int mc_rootfs_attach (const char *cdir, int mount_fd, mc_error_t *err);

/* Child side, as the container's root (new files on the filesystems
 * mounted here must be owned by an id mapped in the user namespace, or
 * creating them fails with EOVERFLOW): mount /proc, /sys (+cgroup2 when
 * the host has it), /dev (+pts, shm, and the console pty CONSOLE_PATH), and
 * pivot_root into ROOTFD.  */
int mc_rootfs_furnish (int rootfd, const char *console_path, mc_error_t *err);
/* ... then, after the disk devices are mounted, make it the root.  */
int mc_rootfs_pivot (int rootfd, mc_error_t *err);

/* Monitor side: SOURCE as a detached bind mount (read-only, idmapped to
 * USERNS_FD when SHIFT), to hand to the child.  */
int mc_rootfs_prepare_disk (const char *source, bool readonly, bool shift,
                            int userns_fd, mc_error_t *err);

/* Child side, as the container's root, before pivoting: attach MFD at
 * PATH inside the root, resolved with RESOLVE_IN_ROOT, creating the
 * mount point.  */
int mc_rootfs_mount_disk (int rootfd, const char *path, int mfd,
                          mc_error_t *err);

/* Child side, as the container's root: write CONTENT to PATH inside the
 * root (resolved in it, parents created); CREATE_ONLY: leave an existing
 * file alone.  */
int mc_rootfs_write_file (int rootfd, const char *path, const char *content,
                          bool create_only, mc_error_t *err);

#endif
