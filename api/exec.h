/* POST /1.0/instances/NAME/exec: LXD's exec over websockets.  The answer
 * is an operation whose metadata has a secret per stream ("0", "1", "2"
 * and "control"; interactive: "0", a terminal both ways, and "control");
 * the client connects one websocket per secret to
 * /1.0/operations/ID/websocket?secret=S, and once all are there the
 * command runs through mc_container_exec in the operation's child, with
 * pipes (or a pty of the server's, for a terminal) as its stdio.  Data is
 * binary messages; an empty text message is LXD's end of a stream.  The
 * control socket takes window-resize.  The operation ends with
 * {"return": the exit status}.  */
#ifndef MINICTR_API_EXEC_H
#define MINICTR_API_EXEC_H

#include "api/response.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

struct mc_exec_session;

int mc_api_instance_console_log (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                                 struct mc_api_resp *r);
int mc_api_instance_console (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                             struct mc_api_resp *r);
int mc_api_instance_exec (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                          struct mc_api_resp *r);

/* /1.0/instances/NAME/logs: lxc.log (the console log, as `info
 * --show-log` reads it) and the exec_ID.stdout/.stderr of record-output;
 * GET one (raw), DELETE an exec one.  */
int mc_api_instance_logs_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                               struct mc_api_resp *r);
int mc_api_instance_log_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                             struct mc_api_resp *r);
int mc_api_instance_log_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                                struct mc_api_resp *r);

/* The vhost whose raw descriptors carry the streams, and how the server
 * watches an operation's pipe (api/server.c's).  */
void mc_api_exec_setup (struct lws_vhost *vh, void (*watch) (struct mc_op *op));

/* A websocket to /1.0/operations/ID/websocket with SECRET: its session
 * and stream (*SLOT), or NULL when nothing waits for it.  */
struct mc_exec_session *mc_api_exec_attach (const char *id, const char *secret, struct lws *wsi, int *slot);
/* What the client sent on a stream (TEXT: a text message).  */
void mc_api_exec_ws_rx (struct mc_exec_session *x, int slot, const void *buf, size_t len, bool text, bool final);
/* The websocket of SLOT may write.  -1: close it.  */
int mc_api_exec_ws_writable (struct mc_exec_session *x, int slot);
/* The websocket of SLOT is gone.  */
void mc_api_exec_ws_closed (struct mc_exec_session *x, int slot);
/* The operation ended (after mc_op_finish).  */
void mc_api_exec_op_ended (struct mc_op *op);

/* libwebsockets' protocol for the streams' descriptors ("mc-exec-io").  */
int mc_api_exec_io_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
/* Its per-descriptor data.  */
struct mc_exec_io
{
  struct mc_exec_session *x;
  int stream;  /* 0 stdin (or the pty), 1 stdout, 2 stderr */
};

#endif
