#include "api/chunked.h"

enum
{
  SIZE,      /* hex digits */
  EXT,       /* ;extensions up to CR */
  SIZE_LF,
  DATA,
  DATA_CR,
  DATA_LF,
  TRAILER,   /* start of a trailer line (or the final CRLF) */
  TRAILER_LINE,
  FINAL_LF,
};

static int
hex (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int
mc_chunked_feed (struct mc_chunked *c, char *in, size_t len, size_t *out_len, size_t *used)
{
  size_t i = 0, o = 0;

  while (i < len && !c->done)
    {
      char ch = in[i];

      switch (c->state)
        {
        case SIZE:
          if (hex (ch) >= 0)
            {
              /* 15 digits: far past any body anyone sends.  */
              if (++c->digits > 15)
                return -1;
              c->left = c->left * 16 + (uint64_t) hex (ch);
              i++;
              break;
            }
          if (c->digits == 0)
            return -1;
          c->state = ch == ';' || ch == ' ' || ch == '\t' ? EXT : ch == '\r' ? SIZE_LF : -1;
          if (c->state < 0)
            return -1;
          i++;
          break;
        case EXT:
          if (ch == '\r')
            c->state = SIZE_LF;
          i++;
          break;
        case SIZE_LF:
          if (ch != '\n')
            return -1;
          i++;
          c->digits = 0;
          c->state = c->left == 0 ? TRAILER : DATA;
          break;
        case DATA:
          {
            size_t n = len - i < c->left ? len - i : (size_t) c->left;

            /* In place: the output never overtakes the input.  */
            for (size_t k = 0; k < n; k++)
              in[o + k] = in[i + k];
            o += n;
            i += n;
            c->left -= n;
            if (c->left == 0)
              c->state = DATA_CR;
            break;
          }
        case DATA_CR:
          if (ch != '\r')
            return -1;
          c->state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (ch != '\n')
            return -1;
          c->state = SIZE;
          i++;
          break;
        case TRAILER:
          c->state = ch == '\r' ? FINAL_LF : TRAILER_LINE;
          i++;
          break;
        case TRAILER_LINE:
          if (ch == '\n')
            c->state = TRAILER;
          i++;
          break;
        case FINAL_LF:
          if (ch != '\n')
            return -1;
          c->done = true;
          i++;
          break;
        default:
          return -1;
        }
    }
  *out_len = o;
  *used = i;
  return 0;
}
