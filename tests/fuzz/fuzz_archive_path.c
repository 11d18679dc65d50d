/* libFuzzer target: archive entry paths.  Whatever is accepted must be
 * relative and free of `..` components, or the unpacker could escape.  */
#include "images/archive.h"
#include "lib/utils.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_invariants (const char *p)
{
  const char *c = p;

  if (p[0] == '/')
    abort ();
  while (*c)
    {
      size_t len = strcspn (c, "/");
      if ((len == 2 && c[0] == '.' && c[1] == '.') || (len == 1 && c[0] == '.') || len == 0)
        abort ();
      c += len;
      if (*c == '/')
        c++;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *p = xstrndup ((const char *) data, size);
  mc_error_t err = NULL;

  if (mc_archive_check_path (p, &err) == 0)
    check_invariants (p);
  mc_error_release (&err);
  free (p);
  return 0;
}
