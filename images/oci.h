/* OCI image layouts (image-spec v1: `oci-layout`, `index.json`,
 * `blobs/ALG/HEX`), read and verified: from the index to one manifest
 * (linux/amd64, or the only one; nested indexes followed), its config and
 * its layers.  Every blob is checked against its descriptor's sha256
 * digest and size as it is read; another algorithm, a missing blob, a
 * mismatch, or a layout that is not one, is an error naming the blob.
 * Blobs are opened beneath the layout's directory, never through a
 * symlink.  The image's identity is its manifest's digest.  `image
 * import` (images/import.c) is built on it; docs/oci.md.  */
#ifndef MINICTR_OCI_H
#define MINICTR_OCI_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* "sha256:" and 64 lowercase hex digits.  */
#define MC_OCI_DIGEST_LEN (7 + 64)

struct mc_oci_layer
{
  char digest[MC_OCI_DIGEST_LEN + 1];
  char *media_type;
  int64_t size;
};

struct mc_oci_image
{
  char manifest_digest[MC_OCI_DIGEST_LEN + 1];
  char config_digest[MC_OCI_DIGEST_LEN + 1];
  /* The index's ref name for it (a docker-archive's tag), or NULL.  */
  char *ref_name;
  /* The manifest's annotations ({} when none).  */
  json_t *annotations;
  /* The config blob's "config" (Env, Entrypoint, Cmd, WorkingDir, User,
     StopSignal, ...; {} when it has none), and its architecture and os.  */
  json_t *config;
  char *architecture, *os;
  int64_t created;             /* the config's, 0 when it has none */
  struct mc_oci_layer *layers; /* base first */
  size_t n_layers;
};

/* Whether DIRFD holds an OCI layout (its `oci-layout` file names an
 * imageLayoutVersion).  */
bool mc_oci_is_layout (int dirfd);

/* Read and verify the layout in DIRFD (LABEL names it in errors) into
 * *IMG: the image whose ref name (org.opencontainers.image.ref.name) is
 * REF, or with REF NULL the only one for linux/amd64.  The layers' bytes
 * are hashed too (each read once, whole).  */
int mc_oci_layout_read (int dirfd, const char *label, const char *ref, struct mc_oci_image *img, mc_error_t *err);

void mc_oci_image_release (struct mc_oci_image *img);

#endif
