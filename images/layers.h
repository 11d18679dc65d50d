/* OCI layers in the store (issue #16, docs/oci.md): each unpacked once,
 * by digest, and shared by the images whose records list it
 * (`store.layers`, base first):
 *
 *   images/layers/<hex>/tree/   the layer's tree, whiteouts as overlayfs'
 *                               (an overlay lower layer)
 *   images/layers/<hex>/blob    its blob, byte for byte (export, verify)
 *
 * A layer is unpacked into a private, flock()ed `.tmp-layer-*` directory
 * (swept as the imports' are if its process dies), hashed while it is
 * read (the bytes unpacked are the bytes checked), and renamed into place
 * under the store lock; one already there (a concurrent import of an image
 * sharing it) is kept and ours dropped.  Nothing counts references: a
 * layer is removed when, under the store lock, no record lists it (an
 * import lists its layers in its temp dir before it adds them, so a prune
 * never takes a layer from under it).
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

/* The layers the store's image records list, and those the imports under
 * way list in their temp dir's image.yaml (written before they add a
 * layer): {"<hex>": true, ...}.  */
json_t *mc_layers_in_use (struct mc_store *s, mc_error_t *err);

/* Under the store lock (taken; or already held by the caller, _locked):
 * remove the layers none of those lists; *REMOVED (may be NULL) gets how
 * many.  */
int mc_layers_prune (struct mc_store *s, size_t *removed, mc_error_t *err);
int mc_layers_prune_locked (struct mc_store *s, size_t *removed, mc_error_t *err);

#endif
