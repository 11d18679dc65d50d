/* `image import`: a unified tarball, or metadata tarball + rootfs
 * (squashfs or tarball), hashed while it is read (LXD's fingerprint),
 * unpacked in a temporary dir and renamed into the store when whole.  */
#ifndef MINICTR_IMPORT_H
#define MINICTR_IMPORT_H

#include "images/archive.h"
#include "images/fingerprint.h"
#include "images/store.h"
#include "lib/error.h"

#include <stdbool.h>
#include <stddef.h>

struct mc_import_request
{
  const char *meta_path;   /* the unified tarball, or the metadata tarball */
  const char *rootfs_path; /* NULL for a unified image */
  /* The names to record and show in messages, if not META_PATH's and
     ROOTFS_PATH's (an upload's file names).  */
  const char *display_name, *rootfs_display_name;
  const char *const *aliases;
  size_t n_aliases;
  mc_progress_fn progress;
  void *progress_data;
};

struct mc_import_result
{
  char fingerprint[MC_FP_HEX_LEN + 1];
  bool existed; /* the image was already there: only aliases were added */
};

int mc_image_import (struct mc_store *s, const struct mc_import_request *req,
                     struct mc_import_result *res, mc_error_t *err);

#endif
