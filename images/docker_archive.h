/* docker-archive tarballs (what `docker save`, `podman save` and `skopeo
 * copy ... docker-archive:` write): a top-level `manifest.json` list of
 * images, each a config file named by its sha256 and its layers as
 * uncompressed tars whose sha256 the config lists (rootfs.diff_ids).
 *
 * Unpacked into a directory, one of its images is checked (the config
 * against its name, each layer against its diff_id, as it is hashed) and
 * turned into an OCI image layout in the same directory: its blobs linked
 * under blobs/sha256, an OCI manifest written for it, and an index naming
 * that manifest.  `image import` then reads it as any OCI layout, so both
 * formats are one path from there (images/import.c).  */
#ifndef MINICTR_DOCKER_ARCHIVE_H
#define MINICTR_DOCKER_ARCHIVE_H

#include "lib/error.h"

#include <stdbool.h>

/* Whether DIRFD holds an unpacked docker-archive (a `manifest.json` that
 * is a JSON list).  */
bool mc_docker_archive_is (int dirfd);

/* Turn the image of DIRFD's docker-archive whose RepoTags hold REF (or,
 * REF NULL, the only one) into an OCI layout in DIRFD; its index's entry
 * carries REF (or the image's first tag) as its ref name.  LABEL names the
 * archive in errors.  Every file the archive had besides is removed.  */
int mc_docker_archive_to_oci (int dirfd, const char *label, const char *ref, mc_error_t *err);

#endif
