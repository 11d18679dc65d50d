/* multipart/form-data, as LXD's client uploads a split image and as its
 * export answers one: the boundary of a Content-Type, and a named part
 * found in a body held in memory (an mmap'ed spool file).  Used by the
 * server (uploads) and by the client (exports).  */
#ifndef MINICTR_API_MULTIPART_H
#define MINICTR_API_MULTIPART_H

#include "lib/error.h"

#include <stddef.h>

/* The boundary="..." (quoted or not) of CONTENT_TYPE, malloc'ed; NULL
 * (with *ERR) when it is not multipart/form-data with one.  */
char *mc_form_boundary (const char *content_type, mc_error_t *err);

/* A part: its bytes (inside the body) and its filename="..." (malloc'ed,
 * or NULL).  */
struct mc_form_part
{
  const char *data;
  size_t len;
  char *filename;
};

/* The part of BODY[0..LEN) whose name="NAME", the delimiter "--BOUNDARY".
 * Malformed framing and a missing part are errors.  */
int mc_form_part (const char *body, size_t len, const char *boundary, const char *name, struct mc_form_part *part,
                  mc_error_t *err);

#endif
