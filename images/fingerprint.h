/* Image fingerprints, computed exactly as LXD does: the sha256 of the
 * unified tarball's bytes, or of the metadata file's bytes followed by the
 * rootfs file's bytes for a split image.  One hash context is fed while the
 * files stream through the importer, so nothing is read twice.  */
#ifndef MINICTR_FINGERPRINT_H
#define MINICTR_FINGERPRINT_H

#include "lib/error.h"

#include <stdbool.h>
#include <stddef.h>

#define MC_FP_HEX_LEN 64
#define MC_FP_SHORT_LEN 12

struct mc_sha256
{
  void *ctx; /* EVP_MD_CTX */
};

int mc_sha256_init (struct mc_sha256 *h, mc_error_t *err);
void mc_sha256_update (struct mc_sha256 *h, const void *buf, size_t len);
/* Writes 64 lowercase hex digits and a NUL into HEX; frees the context. */
void mc_sha256_final (struct mc_sha256 *h, char hex[MC_FP_HEX_LEN + 1]);
void mc_sha256_release (struct mc_sha256 *h);

/* Feed the whole of FD, from offset 0 (pread, fd offset untouched).  */
int mc_sha256_update_fd (struct mc_sha256 *h, int fd, const char *name,
                         mc_error_t *err);

/* The sha256 of the whole of FD (NAME in errors), or of LEN bytes at
 * BUF, as 64 hex digits in HEX.  */
int mc_sha256_fd (int fd, const char *name, char hex[MC_FP_HEX_LEN + 1], mc_error_t *err);
int mc_sha256_bytes (const void *buf, size_t len, char hex[MC_FP_HEX_LEN + 1], mc_error_t *err);

/* True when S is a full fingerprint: 64 lowercase hex digits.  */
bool mc_fingerprint_valid (const char *s);
/* True when S could be a fingerprint prefix: 1..64 lowercase hex digits.  */
bool mc_fingerprint_prefix_valid (const char *s);

#endif
