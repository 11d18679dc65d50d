/* `minictr file`: push, pull, edit, delete and create files in a
 * container, running or stopped (LXD's `lxc file`).
 *
 * Every path inside the container is resolved inside the container's
 * root: the container side of the work is done by an agent process that
 * has entered the container (its user and mount namespaces when running;
 * a private mount namespace with the overlay assembled and a user
 * namespace with the container's idmap when stopped), as the container's
 * root, resolving with openat2(RESOLVE_IN_ROOT).  Host files are opened by
 * the CLI in the host's context and travel to and from the agent as file
 * descriptors.  The semantics (scp's, with LXD's ownership) are written
 * down in docs/file.md.  */
#ifndef MINICTR_FILE_H
#define MINICTR_FILE_H

#include "images/store.h"
#include "lib/error.h"

#include <stdbool.h>
#include <stdint.h>

/* An id not given on the command line.  */
#define MC_FILE_ID_UNSET UINT32_MAX

/* NAME/PATH: PATH is absolute inside the container.  DIR is set when PATH
 * was written with a trailing slash (it names a directory).  */
struct mc_file_ref
{
  const char *name;
  char *path;
  bool dir;
};

/* Parse "NAME/PATH" (a usage error otherwise); REF->path is malloc'ed.  */
int mc_file_parse_ref (const char *arg, struct mc_file_ref *ref, mc_error_t *err);
void mc_file_ref_release (struct mc_file_ref *ref);

/* An octal mode, 0 to 07777 ("644", "0755", "4755").  */
int mc_file_parse_mode (const char *s, int *mode, mc_error_t *err);

/* A non-fatal note for the user (an entry that was skipped).  */
typedef void (*mc_file_warn_fn) (void *data, const char *msg);

struct mc_file_opts
{
  bool recursive;      /* -r: directories and what they hold */
  bool parents;        /* -p: create missing parent directories */
  bool force;          /* delete: directories with content; create: replace */
  uint32_t uid, gid;   /* inside the container; MC_FILE_ID_UNSET: root */
  int mode;            /* -1: the source's (push), the default (create) */
  bool nowait;         /* push: a container busy with another command
                          fails at once (EWOULDBLOCK) instead of waiting */
  mc_file_warn_fn warn;
  void *warn_data;
};

/* Copy host SRCS ("-" is standard input) to DST in the container.  */
int mc_file_push (struct mc_store *s, const char *const *srcs, size_t n,
                  const struct mc_file_ref *dst, const struct mc_file_opts *o,
                  mc_error_t *err);

/* Copy SRCS from containers to the host path DEST ("-" is standard
 * output, regular files only).  */
int mc_file_pull (struct mc_store *s, const struct mc_file_ref *srcs, size_t n,
                  const char *dest, const struct mc_file_opts *o, mc_error_t *err);

/* Remove a file, symlink or empty directory (with O->force, a directory
 * and everything in it).  A symlink is removed, never followed.  */
int mc_file_delete (struct mc_store *s, const struct mc_file_ref *ref,
                    const struct mc_file_opts *o, mc_error_t *err);

enum mc_file_type
{
  MC_FILE_TYPE_FILE,
  MC_FILE_TYPE_DIRECTORY,
  MC_FILE_TYPE_SYMLINK,
};

/* Create an empty file, a directory or a symlink to LINK_TARGET.  An
 * existing entry is an error unless O->force (files and symlinks are then
 * replaced, an existing directory is kept).  */
int mc_file_create (struct mc_store *s, const struct mc_file_ref *ref,
                    enum mc_file_type type, const char *link_target,
                    const struct mc_file_opts *o, mc_error_t *err);

/* LXD's GET of a file (the API's): what REF is, not following its last
 * component, with its owner and mode; a regular file's or a directory's
 * open fd (*FD; read-only, O_NONBLOCK; a directory's names read from it),
 * a symlink's target (*TARGET, allocated).  */
struct mc_file_info
{
  enum mc_file_type type;
  uint32_t uid, gid;
  int mode;
  uint64_t size;
};
int mc_file_open (struct mc_store *s, const struct mc_file_ref *ref, struct mc_file_info *info, int *fd,
                  char **target, mc_error_t *err);

/* Pull REF to a private temp file, run $VISUAL, $EDITOR or vi on it and
 * push it back (same mode and owner) only if the content changed.  The
 * temp file is always removed.  */
int mc_file_edit (struct mc_store *s, const struct mc_file_ref *ref, mc_error_t *err);

/* The same edit with the transfers done by the caller (a remote's): PULL
 * writes REF's content to FD (and keeps what PUSH needs: its mode and
 * owner), PUSH writes the edited TMP back.  */
struct mc_file_edit_io
{
  int (*pull) (void *data, const struct mc_file_ref *ref, int fd, mc_error_t *err);
  int (*push) (void *data, const struct mc_file_ref *ref, const char *tmp, mc_error_t *err);
  void *data;
};
int mc_file_edit_with (const struct mc_file_ref *ref, const struct mc_file_edit_io *io, mc_error_t *err);

#endif
