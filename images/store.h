/* The image store: $MINICTR_DIR/images/.
 *
 *   images/.lock            flock: serialises commits, deletes, alias edits
 *   images/aliases.yaml     alias -> {target, description}
 *   images/<fingerprint>/   one image, renamed into place only when whole:
 *       image.yaml          LXD API fields + a `store:` section (files, status)
 *       metadata.yaml       as shipped in the image
 *       rootfs/ templates/  unpacked
 *       orig/               the imported file(s), byte for byte, for export
 *                           and `image verify`
 *   images/.tmp-*           imports or deletes in progress; each is flock()ed
 *                           by its owner, so any unlocked one is debris of a
 *                           killed process and is removed on the next open.
 */
#ifndef MINICTR_STORE_H
#define MINICTR_STORE_H

#include "images/archive.h"
#include "images/fingerprint.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

struct mc_store
{
  char *root;    /* the state directory */
  int rootfd;
  int imagesfd;
};

/* Open (creating on first use) the state directory and its image store,
 * and sweep away debris left by killed imports.  */
int mc_store_open (struct mc_store *s, mc_error_t *err);
void mc_store_close (struct mc_store *s);

struct mc_import_request
{
  const char *meta_path;   /* the unified tarball, or the metadata tarball */
  const char *rootfs_path; /* NULL for a unified image */
  const char *display_name; /* the file name to record, if not META_PATH's */
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

/* An alias, else a unique fingerprint prefix.  */
int mc_image_resolve (struct mc_store *s, const char *ref,
                      char fp[MC_FP_HEX_LEN + 1], mc_error_t *err);

/* The image as LXD's API shows it (fingerprint, aliases, architecture,
 * properties, size, created_at, uploaded_at, ...).  */
json_t *mc_image_get (struct mc_store *s, const char *fp, mc_error_t *err);
/* Every image, sorted by first alias then fingerprint.  */
json_t *mc_image_list (struct mc_store *s, mc_error_t *err);

int mc_image_delete (struct mc_store *s, const char *fp, mc_error_t *err);

/* Write the original file(s) to TARGET: a directory gets LXD's names
 * (<fp>.tar.xz, or meta-<fp>.tar.xz + <fp>.squashfs); any other path is
 * the file name (split: the rootfs goes to TARGET.root).  The bytes are
 * re-hashed on the way: a tampered image is refused and nothing is left.
 * *WRITTEN receives an array of the paths written.  */
int mc_image_export (struct mc_store *s, const char *fp, const char *target,
                     json_t **written, mc_error_t *err);

/* Re-hash the stored originals.  A mismatch marks the image as corrupt
 * (it will not be used or exported) and returns an error.  */
int mc_image_verify (struct mc_store *s, const char *fp, mc_error_t *err);

/* Refuse an image that failed verification; for users of the store.  */
int mc_image_check_usable (struct mc_store *s, const char *fp, mc_error_t *err);

/* Aliases.  */
int mc_alias_validate (const char *name, mc_error_t *err);
int mc_alias_create (struct mc_store *s, const char *name, const char *fp,
                     const char *description, mc_error_t *err);
int mc_alias_delete (struct mc_store *s, const char *name, mc_error_t *err);
int mc_alias_rename (struct mc_store *s, const char *from, const char *to,
                     mc_error_t *err);
/* Array of {name, target, description}, sorted by name.  */
json_t *mc_alias_list (struct mc_store *s, mc_error_t *err);

/* Internal to images/: the aliases file and the store lock.  */
json_t *mc_aliases_load (struct mc_store *s, mc_error_t *err);
int mc_aliases_save (struct mc_store *s, json_t *aliases, mc_error_t *err);
int mc_store_lock (struct mc_store *s, mc_error_t *err);
json_t *mc_image_record_load (struct mc_store *s, const char *fp, mc_error_t *err);
int mc_image_record_save (struct mc_store *s, int dirfd, json_t *rec, mc_error_t *err);

#endif
