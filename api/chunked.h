/* HTTP/1.1 chunked request bodies (RFC 9112, 7.1), decoded as they come:
 * LXD's client sends a file of unknown length that way, and
 * libwebsockets 4.1 hands a server the raw bytes of such a body.  */
#ifndef MINICTR_API_CHUNKED_H
#define MINICTR_API_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mc_chunked
{
  int state;
  uint64_t left;     /* bytes of the current chunk still to come */
  unsigned digits;   /* of its size, so far */
  bool done;         /* the last chunk and the trailer were read */
};

/* Decode IN[0..LEN) in place; *OUT_LEN gets how many data bytes are now
 * at IN's start, *USED how many input bytes were consumed (less than LEN
 * only once done).  -1 when the framing is malformed.  */
int mc_chunked_feed (struct mc_chunked *c, char *in, size_t len, size_t *out_len, size_t *used);

#endif
