/* The fallback when the image's filesystem cannot be idmapped (e.g. tmpfs
 * before Linux 6.3): a copy of the image rootfs with every owner shifted
 * into the container's range, made once per image and idmap and shared by
 * every container using both: images/<fp>/shifted-<base>-<size>/.  */
#ifndef MINICTR_SHIFT_H
#define MINICTR_SHIFT_H

#include "lib/error.h"
#include "lib/idmapset.h"

#include <stdint.h>

/* Return (creating it under IMAGE_DIR/.shift.lock if missing) the path
 * of the shifted copy of IMAGE_DIR/TREE: an LXD image's `rootfs`, an OCI
 * layer's `tree` (images/layers/<hex>/, whose prune takes the copies
 * too).  Built in a temp directory and renamed into place: a crash leaves
 * no half copy in use.  */
char *mc_shifted_tree (const char *image_dir, const char *tree, uint32_t base, uint32_t size, mc_error_t *err);

/* Which host ids a layer's files are in (a container's upper layer, a
 * snapshot's): "BASE SIZE" in the trusted.minictr.idmap xattr of its
 * root directory, then the raw.idmap entries in effect, a line each
 * (lib/idmapset.h's spelling); privileged: "0 4294967295".  Not the owner of the root,
 * which container root controls (`chown 5:5 /`): a trusted.* xattr only
 * host root can set, and it travels with the tree, atomically with a
 * shift (below), into snapshots and copies (mc_copy_tree).  Archives
 * never carry it (images/archive.c).  */
#define MC_LAYER_IDMAP_XATTR "trusted.minictr.idmap"

#define MC_LAYER_IDS_MAX 4000

struct mc_layer_ids
{
  uint32_t base, size;
  char *raw; /* raw.idmap's entries, "" or NULL for none */
};

/* 1 and *IDS (IDS->raw allocated) when DIRFD/NAME has the record; 0
 * without one.  */
int mc_layer_idmap_get (int dirfd, const char *name, struct mc_layer_ids *ids, mc_error_t *err);
int mc_layer_idmap_set (int dirfd, const char *name, const struct mc_layer_ids *ids, mc_error_t *err);

/* Re-own DIRFD/NAME from the ids FROM says to those TO says: a host id of
 * FROM's map becomes TO's host id of the same container id (ids FROM does
 * not map, and container ids TO does not: nobody, 65534 inside); by copy
 * and RENAME_EXCHANGE, so a crash never leaves a half-shifted tree.  The
 * new tree's id record says TO.  */
int mc_shift_tree (int dirfd, const char *name, const struct mc_layer_ids *from, const struct mc_layer_ids *to,
                   mc_error_t *err);

/* Copy SRC_DIRFD/SRC_NAME to DST_DIRFD/DST_NAME (which must not exist)
 * exactly: owners, modes, times, xattrs (overlayfs' trusted.overlay.*
 * too), hard links, device nodes (whiteouts), holes.  A failure removes
 * the partial copy.  */
int mc_copy_tree (int src_dirfd, const char *src_name, int dst_dirfd,
                  const char *dst_name, mc_error_t *err);

#endif
