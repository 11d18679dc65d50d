#include "images/fingerprint.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <string.h>

int
mc_sha256_init (struct mc_sha256 *h, mc_error_t *err)
{
  EVP_MD_CTX *ctx;

  if (mc_dl_crypto (err) < 0)
    return -1;
  ctx = sym_EVP_MD_CTX_new ();
  if (ctx == NULL || sym_EVP_DigestInit_ex (ctx, sym_EVP_sha256 (), NULL) != 1)
    {
      sym_EVP_MD_CTX_free (ctx);
      return mc_make_error (err, 0, "sha256: OpenSSL initialisation failed");
    }
  h->ctx = ctx;
  return 0;
}

void
mc_sha256_update (struct mc_sha256 *h, const void *buf, size_t len)
{
  /* EVP_DigestUpdate on an initialised sha256 context cannot fail.  */
  (void) sym_EVP_DigestUpdate (h->ctx, buf, len);
}

void
mc_sha256_final (struct mc_sha256 *h, char hex[MC_FP_HEX_LEN + 1])
{
  static const char digits[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0, i;

  (void) sym_EVP_DigestFinal_ex (h->ctx, md, &len);
  for (i = 0; i < len && i * 2 < MC_FP_HEX_LEN; i++)
    {
      hex[i * 2] = digits[md[i] >> 4];
      hex[i * 2 + 1] = digits[md[i] & 0xf];
    }
  hex[MC_FP_HEX_LEN] = '\0';
  mc_sha256_release (h);
}

void
mc_sha256_release (struct mc_sha256 *h)
{
  if (h->ctx == NULL)
    return;
  sym_EVP_MD_CTX_free (h->ctx);
  h->ctx = NULL;
}

int
mc_sha256_update_fd (struct mc_sha256 *h, int fd, const char *name, mc_error_t *err)
{
  cleanup_free char *buf = xmalloc (1 << 20);
  off_t off = 0;

  for (;;)
    {
      ssize_t n = pread (fd, buf, 1 << 20, off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mc_make_error (err, errno, "read `%s`", name);
      if (n == 0)
        return 0;
      mc_sha256_update (h, buf, (size_t) n);
      off += n;
    }
}

int
mc_sha256_fd (int fd, const char *name, char hex[MC_FP_HEX_LEN + 1], mc_error_t *err)
{
  struct mc_sha256 h;

  if (mc_sha256_init (&h, err) < 0)
    return -1;
  if (mc_sha256_update_fd (&h, fd, name, err) < 0)
    {
      mc_sha256_release (&h);
      return -1;
    }
  mc_sha256_final (&h, hex);
  return 0;
}

int
mc_sha256_bytes (const void *buf, size_t len, char hex[MC_FP_HEX_LEN + 1], mc_error_t *err)
{
  struct mc_sha256 h;

  if (mc_sha256_init (&h, err) < 0)
    return -1;
  mc_sha256_update (&h, buf, len);
  mc_sha256_final (&h, hex);
  return 0;
}

bool
mc_fingerprint_prefix_valid (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n > MC_FP_HEX_LEN)
    return false;
  return strspn (s, "0123456789abcdef") == n;
}

bool
mc_fingerprint_valid (const char *s)
{
  return strlen (s) == MC_FP_HEX_LEN && mc_fingerprint_prefix_valid (s);
}
