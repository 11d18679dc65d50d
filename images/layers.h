/* OCI layers in the store (issue #16, docs/oci.md): each unpacked once,
 * by digest, and shared by the images whose records list it
 * (`store.layers`, base first):
 *
 *   images/layers/<hex>/        the layer's tree, whiteouts as overlayfs'
 *
 * A layer is unpacked into a private, flock()ed `.tmp-layer-*` directory
 * (swept as the imports' are if its process dies), hashed while it is
 * read (the bytes unpacked are the bytes checked), and renamed into place
 * under the store lock; one already there (a concurrent import of an image
 * sharing it) is kept and ours dropped.  Nothing counts references: a
 * layer is removed when, under the store lock, no record lists it.
 * Not yet called by `image import` (next step of #16).  */
#ifndef MINICTR_LAYERS_H
#define MINICTR_LAYERS_H

#include "images/oci.h"
#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

/* Layer L, the blob of that digest in the directory BLOBS (an OCI
 * layout's blobs/sha256; LABEL names the image in errors), in the store;
 * *EXISTED: it was there already, and nothing was read.  */
int mc_layer_add (struct mc_store *s, int blobs, const char *label, const struct mc_oci_layer *l, bool *existed,
                  mc_error_t *err);

/* The layers the store's image records list: {"<hex>": true, ...}.  */
json_t *mc_layers_in_use (struct mc_store *s, mc_error_t *err);

/* Under the store lock: remove the layers no record lists; *REMOVED (may
 * be NULL) gets how many.  */
int mc_layers_prune (struct mc_store *s, size_t *removed, mc_error_t *err);

#endif
