/* /1.0/instances/NAME/files?path=P: LXD's file push (POST) through the
 * CLI's `file` machinery (runtime/files/file.h): the body, spooled by the
 * server to an unnamed file in the state dir, is pushed by an operation's
 * child; LXD's X-LXD-uid, -gid, -mode and -type (file, directory, symlink:
 * the body is its target) headers say how.  The answer is sync, as LXD's.  */
#ifndef MINICTR_API_FILES_H
#define MINICTR_API_FILES_H

#include "api/response.h"

int mc_api_instance_files_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                                struct mc_api_resp *r);
/* GET: a file's content (raw, with X-LXD-uid, -gid, -mode and -type:
 * file), a directory's names (JSON, X-LXD-type: directory) or a symlink's
 * target (raw, X-LXD-type: symlink); LXD's answers.  */
int mc_api_instance_files_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                               struct mc_api_resp *r);
/* DELETE: a file, symlink or empty directory goes (LXD's removal; sync).  */
int mc_api_instance_files_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                                  struct mc_api_resp *r);

#endif
