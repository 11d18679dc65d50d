/* Unpack squashfs root filesystems with libsquashfs (squashfs-tools-ng),
 * in-process and fd-relative: no unsquashfs, no path reopening. */
#ifndef MINICTR_IMAGES_SQUASHFS_H
#define MINICTR_IMAGES_SQUASHFS_H

#include "lib/error.h"

#include <stdbool.h>

/* True when FD starts with the squashfs magic "hsqs".  Reads with pread,
 * so FD's file offset is neither used nor moved.  */
bool mc_squashfs_detect (int fd);

/* Unpack the squashfs image readable at SRC_FD (a regular file or block
 * device; read with pread only) into the existing, empty directory
 * DEST_DIRFD.  NAME is used in error messages only.
 *
 * The image is untrusted: entry names are checked, nothing is ever
 * resolved through a symlink, and depth is bounded.  Ownership is
 * numeric, exactly as stored (no name lookup); modes including
 * setuid/setgid/sticky, mtimes, xattrs (user., trusted., security.) and
 * hard links are kept, and DEST itself gets the image root's owner, mode,
 * xattrs and mtime.  On failure DEST may hold a partial tree: the caller
 * removes it.  */
int mc_squashfs_unpack (int src_fd, const char *name, int dest_dirfd,
                        mc_error_t *err);

#endif
