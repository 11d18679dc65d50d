/* publish: turn a container (or a snapshot) into an image in the store,
 * as `lxc publish`: a unified LXD image with its own fingerprint, the
 * source image's templates, its properties plus the given ones; ids back
 * to the container's own (0-based).  A running container only with
 * FORCE, frozen while it is read.  The caller holds NAME's lock.  */
#ifndef MINICTR_PUBLISH_H
#define MINICTR_PUBLISH_H

#include "images/store.h"
#include "lib/error.h"

#include <stdbool.h>

struct mc_publish_request
{
  const char *name;
  const char *snap;                 /* or NULL */
  const char *const *aliases;
  size_t n_aliases;
  const char *const *properties;    /* "key=value" */
  size_t n_properties;
  bool force;
};

int mc_container_publish (struct mc_store *s, const struct mc_publish_request *req,
                          char fp[65], mc_error_t *err);

#endif
