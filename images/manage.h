/* What is done to a stored image: delete, export of the original
 * files, verification against the fingerprint.  */
#ifndef MINICTR_MANAGE_H
#define MINICTR_MANAGE_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

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

#endif
