/* Container backups: one tar.gz with everything a container is besides
 * its image, to move it to another host (`export` / `import`):
 *
 *   backup/index.yaml                name, image fingerprint, snapshots
 *   backup/container/config.yaml
 *   backup/container/upper/...        the container's layer, host ids
 *   backup/snapshots/SNAP/{config.yaml,snapshot.yaml,upper/...}
 *
 * The image is referred to by fingerprint, not carried: importing needs it
 * in the store (import it first), so nothing is imported twice.  A backup
 * is untrusted input: it is unpacked with the image store's checks. */
#ifndef MINICTR_BACKUP_H
#define MINICTR_BACKUP_H

#include "images/store.h"
#include "lib/error.h"

#include <stdbool.h>

/* Write NAME's backup to PATH (atomically: a temp file renamed into
 * place).  A running container is frozen while it is read.  The caller
 * holds NAME's lock.  */
int mc_backup_export (struct mc_store *s, const char *name, const char *path,
                      bool instance_only, mc_error_t *err);

/* Recreate the container in PATH (LABEL in messages; NULL: PATH), as
 * NAME (NULL: the name it had).
 * *CREATED gets the name (malloc'ed).  Unless ALLOW_PRIVILEGED, a backup
 * whose config (or a snapshot's) makes the container privileged or
 * shares the host's root directory as a disk is refused, naming what was
 * found: a backup is as trusted as whoever made it.  */
int mc_backup_import (struct mc_store *s, const char *path, const char *label, const char *name,
                      bool allow_privileged, char **created, mc_error_t *err);

#endif
