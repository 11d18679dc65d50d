/* metadata.yaml of an LXD image (https://documentation.ubuntu.com/lxd,
 * "Image format"): architecture and creation_date are required;
 * expiry_date, properties and templates are optional.  The file comes from
 * an untrusted archive: every field is type-checked here.  */
#ifndef MINICTR_METADATA_H
#define MINICTR_METADATA_H

#include "lib/error.h"

#include <jansson.h>
#include <stdint.h>

#define MC_METADATA_MAX_SIZE (1 << 20)

struct mc_image_metadata
{
  char *architecture;
  int64_t creation_date; /* seconds since the epoch */
  int64_t expiry_date;   /* 0 when absent */
  json_t *properties;    /* object: string -> string */
  json_t *templates;     /* object: absolute path -> {when, template, ...} */
};

int mc_metadata_parse (const char *buf, size_t len,
                       struct mc_image_metadata *md, mc_error_t *err);
void mc_metadata_release (struct mc_image_metadata *md);

#endif
