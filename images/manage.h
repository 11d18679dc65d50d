/* What is done to a stored image: delete, export of the original
 * files, verification against the fingerprint.  */
#ifndef MINICTR_MANAGE_H
#define MINICTR_MANAGE_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

int mc_image_delete (struct mc_store *s, const char *fp, mc_error_t *err);

/* Write the original file(s) to TARGET: a directory gets LXD's names
 * (<fp>.tar.xz, or meta-<fp>.tar.xz + <fp>.squashfs); any other path is
 * the file name (split: the rootfs goes to TARGET.root).  An OCI image is
 * written as an OCI layout: the directory TARGET, or TARGET/<fp> when
 * TARGET is a directory.  The bytes are re-hashed on the way: a tampered
 * image is refused and nothing is left.  *WRITTEN receives an array of
 * the paths written.  */
int mc_image_export (struct mc_store *s, const char *fp, const char *target,
                     json_t **written, mc_error_t *err);

/* Re-hash the stored originals (an OCI image's manifest, config and
 * layer blobs against their digests).  A mismatch marks the image as
 * corrupt (it will not be used or exported) and returns an error.  */
int mc_image_verify (struct mc_store *s, const char *fp, mc_error_t *err);

/* Whether FP is an OCI image (its layers in images/layers).  */
bool mc_image_is_oci (struct mc_store *s, const char *fp);

/* What a container of FP stacks its layer on, as overlayfs' lowerdir
 * (absolute, malloc'ed): images/FP/rootfs, or an OCI image's layer trees,
 * top first, joined with `:`.  */
char *mc_image_lowerdir (struct mc_store *s, const char *fp, mc_error_t *err);

/* An OCI image's process config (its config blob's "config": Entrypoint,
 * Cmd, Env, WorkingDir, User, StopSignal), {} when it has none.  */
json_t *mc_image_oci_config (struct mc_store *s, const char *fp, mc_error_t *err);

/* Refuse an image that failed verification; for users of the store.  */
int mc_image_check_usable (struct mc_store *s, const char *fp, mc_error_t *err);

#endif
