/* libFuzzer target: template files come from untrusted images (the
 * pongo2 subset of runtime/template.h).  */
#include "runtime/template.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static json_t *context;
  mc_error_t err = NULL;
  char *text, *out;

  if (context == NULL)
    context = json_pack ("{s:{s:s,s:s,s:b},s:{s:s},s:{s:s,s:s},s:{s:s,s:s}}", "container", "name", "c1",
                         "architecture", "x86_64", "privileged", 0, "instance", "name", "c1", "properties",
                         "default", "yes", "os", "debian", "config", "user.a", "1", "security.nesting",
                         "false");
  text = malloc (size + 1);
  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  out = mc_template_render ("fuzz.tpl", text, context, &err);
  free (out);
  mc_error_release (&err);
  free (text);
  return 0;
}
