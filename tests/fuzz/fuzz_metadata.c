/* libFuzzer target: metadata.yaml comes from untrusted images.  */
#include "images/metadata.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mc_image_metadata md;
  mc_error_t err = NULL;

  if (mc_metadata_parse ((const char *) data, size, &md, &err) == 0)
    mc_metadata_release (&md);
  mc_error_release (&err);
  return 0;
}
