/* libFuzzer target: the YAML loader on untrusted input, and the dumper's
 * round trip: whatever loads must dump and load back to the same tree.  */
#include "lib/yamltree.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  mc_error_t err = NULL;
  json_t *tree = mc_yaml_load ((const char *) data, size, "fuzz", &err);
  json_t *back;
  char *out = NULL;
  size_t len;

  mc_error_release (&err);
  if (tree == NULL)
    return 0;
  if (mc_yaml_dump (tree, &out, &len, &err) < 0)
    abort ();
  back = mc_yaml_load (out, len, "round-trip", &err);
  if (back == NULL || !json_equal (tree, back))
    abort ();
  json_decref (back);
  json_decref (tree);
  free (out);
  return 0;
}
