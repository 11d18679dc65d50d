/* LXD's instance backups (/1.0/instances/NAME/backups), what `lxc export`
 * drives: a backup is made by an operation (runtime/history/backup.c's
 * tarball, the CLI's `export`), kept on the server until it is deleted or
 * expires, and downloaded from .../backups/BACKUP/export.  They live with
 * their container, so delete and rename take them along:
 *
 *   containers/NAME/backups/BACKUP.tar.gz   the tarball
 *   containers/NAME/backups/BACKUP.yaml     {name, created_at, expires_at,
 *                                            instance_only}
 *
 * An expired backup is no longer listed, and is removed when a backup of
 * its container is next made (under the container's lock).  `lxc import` is POST /1.0/instances with the tarball as an
 * application/octet-stream body (mc_api_instances_import).  */
#ifndef MINICTR_API_BACKUPS_H
#define MINICTR_API_BACKUPS_H

#include "api/response.h"

int mc_api_backups_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_backups_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                         struct mc_api_resp *r);
int mc_api_backup_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                       struct mc_api_resp *r);
int mc_api_backup_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
int mc_api_backup_export (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);
/* POST /1.0/instances with a backup as the body (X-LXD-name: the new
 * name); the CLI's `import`, which refuses a privileged backup.  */
int mc_api_instances_import (struct mc_api_ctx *ctx, const struct mc_api_req *req, struct mc_api_resp *r);

#endif
