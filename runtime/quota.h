/* LXD's root disk `size`: a project quota on the container's layer (its
 * upper and work directories), where the state directory's filesystem
 * enforces project quotas (ext4 or xfs mounted with prjquota).  The
 * project id is the upper directory's inode number: unique on the
 * filesystem while the layer exists, new for a restored or copied layer,
 * and nothing to allocate or record.  */
#ifndef MINICTR_QUOTA_H
#define MINICTR_QUOTA_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdint.h>

/* Cap container NAME's layer as the root disk of its expanded DEVICES
 * says: `size` set: the tree is charged to the layer's project (once per
 * layer) and capped; no size: an existing cap is lifted.  A size where
 * the filesystem enforces no project quota is refused in one line.  */
int mc_root_quota_apply (struct mc_store *s, const char *name, json_t *devices, mc_error_t *err);
/* The same for the container directory CDIR (at CPATH, for messages):
 * one being created.  */
int mc_root_quota_apply_at (int cdir, const char *cpath, json_t *devices, mc_error_t *err);

/* The bytes charged to NAME's layer and its cap (0: none); 0 when there
 * is a cap to report, 1 when the layer has no project quota.  */
int mc_root_quota_usage (struct mc_store *s, const char *name, uint64_t *used, uint64_t *limit,
                         mc_error_t *err);

#endif
