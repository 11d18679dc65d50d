/* Reading image files: a source that hashes (and optionally copies) every
 * byte as it streams past, and a tar unpacker that only ever writes inside
 * the directory it is given.  */
#ifndef MINICTR_ARCHIVE_H
#define MINICTR_ARCHIVE_H

#include "images/fingerprint.h"
#include "lib/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef void (*mc_progress_fn) (void *data, const char *name, uint64_t done,
                                uint64_t total);

/* One input file.  Every byte read through it is fed to HASH and written
 * to COPY_FD (when >= 0), so the importer keeps the original for export
 * and fingerprints it in the same single read pass that unpacks it.  */
struct mc_source
{
  int fd;
  const char *name;
  uint64_t size;
  uint64_t done;
  int copy_fd;
  struct mc_sha256 *hash;
  mc_progress_fn progress;
  void *progress_data;
  char *buf;
  size_t bufsize;
  int io_errno;         /* errno of a failed read or copy write */
  const char *io_what;  /* "read" or "write copy of" */
};

int mc_source_init (struct mc_source *s, int fd, const char *name,
                    struct mc_sha256 *hash, int copy_fd, mc_error_t *err);
/* Read the next chunk into s->buf; returns its length, 0 at EOF, -1 with
 * io_errno set on error.  */
ssize_t mc_source_read (struct mc_source *s);
/* Read what is left (the tar's trailing padding) so the hash covers the
 * whole file.  */
int mc_source_drain (struct mc_source *s, mc_error_t *err);
void mc_source_release (struct mc_source *s);

enum mc_unpack_kind
{
  MC_UNPACK_UNIFIED, /* metadata.yaml, templates/, rootfs/; and an OCI
                        layout's oci-layout, index.json, blobs/ (an
                        oci-archive is imported from those) */
  MC_UNPACK_META,    /* metadata.yaml, templates/ */
  MC_UNPACK_ROOTFS,  /* a bare root tree */
  MC_UNPACK_BACKUP,  /* a container backup: backup/ only; a layer's
                        overlayfs markers (opaque, whiteout) are kept */
  MC_UNPACK_OCI_LAYER, /* an OCI image layer: its whiteouts (`.wh.NAME`,
                          `.wh..wh..opq`) become overlayfs' (a 0:0
                          character device, an opaque directory), made
                          in directories reached without a symlink */
};

/* Unpack the tarball (any compression libarchive detects by content)
 * streaming from SRC into DESTFD.  Keeps ownership (numeric), modes,
 * times, xattrs, hardlinks and device nodes.  Entries with an absolute
 * path or a `..` component, and any write through a symlink, are refused
 * with an error naming the entry.  *COMPRESSION receives an extension
 * ("", ".gz", ".xz", ".zst", ".bz2", ".lzma", ...) describing the
 * compression found.  Changes the working directory while running and
 * restores it.  */
int mc_tar_unpack (struct mc_source *src, int destfd, enum mc_unpack_kind kind,
                   const char **compression, mc_error_t *err);

/* True for overlayfs' own xattrs (trusted.overlay.*, user.overlay.*).
 * The unpacked rootfs becomes an overlay lower layer: an image must not
 * plant opaque, redirect or metacopy markers there, so these are dropped
 * on unpack, from tarballs and squashfs alike.  */
bool mc_xattr_is_overlay_private (const char *name);
/* Of those, the ones that give a layer its meaning: opaque directories
 * and xattr whiteouts.  */
bool mc_xattr_is_overlay_marker (const char *name);

/* Normalise an archive entry path in place (drop leading "./" and
 * repeated or trailing slashes) and reject absolute paths, empty names
 * and `..` components.  */
int mc_archive_check_path (char *path, mc_error_t *err);

#endif
