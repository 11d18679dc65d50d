/* `minictr serve`: LXD's REST API on a unix socket, over the same library
 * the CLI uses (libwebsockets does HTTP/1.1 and WebSocket).  Containers
 * never depend on it: they belong to their monitors, and an operation in
 * flight belongs to its own process (api/operations.h), so the server can
 * be stopped, killed or upgraded at any time.  */
#ifndef MINICTR_API_SERVER_H
#define MINICTR_API_SERVER_H

#include "lib/error.h"

struct mc_api_options
{
  const char *socket_path; /* NULL: $MINICTR_DIR/unix.socket */
  const char *version;     /* the server_version it reports */
};

/* Serve until SIGTERM or SIGINT; 0 then.  */
int mc_api_serve (const struct mc_api_options *o, mc_error_t *err);

#endif
