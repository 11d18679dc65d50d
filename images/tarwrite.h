/* Writing tarballs with libarchive (pax, gzip): container backups
 * (`export`) and images made from containers (`publish`).  Trees are
 * walked through directory fds, never following a symlink; owners,
 * modes, times, xattrs, hard links, device nodes and holes are kept.  */
#ifndef MINICTR_IMAGES_TARWRITE_H
#define MINICTR_IMAGES_TARWRITE_H

#include "lib/error.h"
#include "lib/idmapset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mc_tar_writer;

/* Write to FD (gzip-compressed when GZIP).  */
struct mc_tar_writer *mc_tar_writer_open (int fd, bool gzip, mc_error_t *err);

/* A regular file PATH holding BUF (owner root, MODE).  */
int mc_tar_writer_add_buffer (struct mc_tar_writer *w, const char *path, const void *buf,
                              size_t len, mode_t mode, mc_error_t *err);

/* The tree DIRFD/NAME, stored as PREFIX (which names the top directory
 * itself).  Owner and group ids that IDS maps are written as the
 * container ids they are the host ids of (an unprivileged container's
 * back to its own); IDS NULL, and ids it does not map, are kept.
 * IDS_LAYER >= 0: only the ids of entries that this directory holds too
 * are mapped (the tree is an overlay of that layer, in host ids, over
 * layers in container ids).  OVERLAY_XATTRS: keep
 * overlayfs' layer markers (opaque, whiteout: a layer); its other,
 * host-specific xattrs (origin, uuid, ...) are always dropped.  */
int mc_tar_writer_add_tree (struct mc_tar_writer *w, int dirfd, const char *name,
                            const char *prefix, const struct mc_idmap_set *ids, int ids_layer,
                            bool overlay_xattrs, mc_error_t *err);

/* Finish the archive (end blocks, compressor) and free W.  */
int mc_tar_writer_close (struct mc_tar_writer *w, mc_error_t *err);
/* Free W after a failure.  */
void mc_tar_writer_abort (struct mc_tar_writer *w);

#endif
