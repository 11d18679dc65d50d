#include "api/multipart.h"
#include "lib/utils.h"

#include <stdbool.h>
#include <string.h>

char *
mc_form_boundary (const char *content_type, mc_error_t *err)
{
  const char *b;

  if (content_type == NULL || strncmp (content_type, "multipart/form-data", 19) != 0)
    {
      mc_make_error (err, 0, "not a multipart/form-data body (Content-Type `%s`)", content_type ? content_type : "");
      return NULL;
    }
  if ((b = strstr (content_type, "boundary=")) == NULL || b[9] == '\0' || b[9] == ';')
    {
      mc_make_error (err, 0, "multipart body without a boundary");
      return NULL;
    }
  b += 9;
  return *b == '"' ? xstrndup (b + 1, strcspn (b + 1, "\"")) : xstrndup (b, strcspn (b, "; "));
}

/* Whether a part's headers HDR[0..LEN) have the parameter WANT
 * (`name="rootfs"`) as a parameter of its own (after `;` or a space),
 * not inside another (`filename="rootfs"`).  */
static bool
part_named (const char *hdr, size_t len, const char *want)
{
  size_t wlen = strlen (want);
  const char *p = hdr, *end = hdr + len, *hit;

  while ((hit = memmem (p, (size_t) (end - p), want, wlen)) != NULL)
    {
      if (hit > hdr && (hit[-1] == ';' || hit[-1] == ' ' || hit[-1] == '\t'))
        return true;
      p = hit + 1;
    }
  return false;
}

/* The filename="..." of a part's headers HDR[0..LEN), or NULL.  */
static char *
part_filename (const char *hdr, size_t len)
{
  static const char key[] = "filename=\"";
  const char *f = memmem (hdr, len, key, sizeof (key) - 1), *q;

  if (f == NULL)
    return NULL;
  f += sizeof (key) - 1;
  q = memchr (f, '"', len - (size_t) (f - hdr));
  return q && q > f ? xstrndup (f, (size_t) (q - f)) : NULL;
}

int
mc_form_part (const char *body, size_t len, const char *boundary, const char *name, struct mc_form_part *part,
              mc_error_t *err)
{
  cleanup_free char *delim = xasprintf ("\r\n--%s", boundary);
  cleanup_free char *want = xasprintf ("name=\"%s\"", name);
  size_t dlen = strlen (delim);
  const char *p = body, *end = body + len;

  /* The first delimiter has no CRLF before it.  */
  if (len < dlen - 2 || memcmp (body, delim + 2, dlen - 2) != 0)
    return mc_make_error (err, 0, "malformed multipart body");
  p += dlen - 2;
  while (p < end)
    {
      const char *hdr_end, *data, *next;

      if (end - p >= 2 && memcmp (p, "--", 2) == 0)
        break;
      if (end - p < 2 || memcmp (p, "\r\n", 2) != 0
          || (hdr_end = memmem (p, (size_t) (end - p), "\r\n\r\n", 4)) == NULL)
        return mc_make_error (err, 0, "malformed multipart body");
      data = hdr_end + 4;
      if ((next = memmem (data, (size_t) (end - data), delim, dlen)) == NULL)
        return mc_make_error (err, 0, "malformed multipart body: no closing boundary");
      if (part_named (p, (size_t) (hdr_end - p), want))
        {
          part->data = data;
          part->len = (size_t) (next - data);
          part->filename = part_filename (p, (size_t) (hdr_end - p));
          return 0;
        }
      p = next + dlen;
    }
  return mc_make_error (err, 0, "the multipart body has no `%s` part", name);
}
