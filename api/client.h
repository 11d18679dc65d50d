/* A client of LXD's REST API (another `minictr serve`, or LXD): one
 * request at a time, over a unix socket or HTTPS with the client's
 * certificate and the server's pinned one (libwebsockets, as the server).
 * What `minictr remote` and `REMOTE:` names use.  */
#ifndef MINICTR_API_CLIENT_H
#define MINICTR_API_CLIENT_H

#include "lib/error.h"
#include "runtime/trust.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct mc_client
{
  char *url;        /* unix:///PATH (or unix:PATH), or https://HOST[:PORT] */
  char *server_crt; /* HTTPS: the pinned server certificate (PEM file), or
                       NULL to accept any (the first contact only) */
  char *client_crt, *client_key; /* HTTPS: ours */
  /* After a request over HTTPS: the server certificate's fingerprint and
     PEM, whatever was pinned.  */
  char peer_fp[MC_CERT_FP_LEN + 1];
  char *peer_pem;
};

void mc_client_release (struct mc_client *c);

/* METHOD PATH with BODY (JSON, or NULL): the HTTP status in *STATUS and
 * the answer parsed in *DOC.  Fails (in *ERR) only when there was no
 * answer: an unreachable server, TLS refused, a body that is not JSON.  */
int mc_client_request (struct mc_client *c, const char *method, const char *path, json_t *body, int *status,
                       json_t **doc, mc_error_t *err);

/* A file's transfer, LXD's /files way: the request's X-LXD-* HEADERS
 * ({"X-LXD-type": "file", ...}) and body from IN_FD (IN_LEN bytes; -1:
 * none); a file's answer written to OUT_FD as it comes (-1: kept in DATA,
 * as a directory's or symlink's answer always is), its X-LXD-* headers
 * in TYPE, MODE, UID, GID, its Content-Type and Content-Disposition's
 * file name in CONTENT_TYPE and FILENAME.  */
struct mc_client_xfer
{
  json_t *headers;
  int in_fd;
  off_t in_len;
  int out_fd;
  int status;
  char type[32];
  unsigned mode;
  long uid, gid;
  size_t received;
  bool head_only; /* a file's X-LXD-* headers only (its type), not its bytes */
  bool raw;       /* any successful answer's body to OUT_FD (an image export) */
  char content_type[256];
  char filename[256]; /* Content-Disposition's filename= */
  char *data;
  size_t len;
};

/* METHOD PATH as a file transfer X; an error answer becomes *ERR.  */
int mc_client_xfer (struct mc_client *c, const char *method, const char *path, struct mc_client_xfer *x,
                    mc_error_t *err);

/* The same, the answer as bytes (*DATA, malloc'ed and NUL-ended, *LEN).  */
int mc_client_request_raw (struct mc_client *c, const char *method, const char *path, json_t *body, int *status,
                           char **data, size_t *len, mc_error_t *err);

/* METHOD PATH with BODY, LXD's way: an error answer becomes *ERR (its
 * `error`), an operation is waited for (its `err` an error); *METADATA
 * (may be NULL) gets the answer's, or the finished operation's, metadata.  */
int mc_client_call (struct mc_client *c, const char *method, const char *path, json_t *body, json_t **metadata,
                    mc_error_t *err);

/* POST PATH with X's headers and body (an upload: an image), answered
 * as mc_client_call answers.  A "Content-Type" in X's headers replaces
 * application/octet-stream.  */
int mc_client_upload (struct mc_client *c, const char *path, struct mc_client_xfer *x, json_t **metadata,
                      mc_error_t *err);

/* LXD's exec with websockets: POST BODY (command, environment, cwd, user,
 * group, interactive, width, height; wait-for-websocket is set here) to
 * instance NAME's exec (NAME as a URL segment: encoded), then our stdin (none with NO_STDIN) to the
 * command, its stdout and stderr (or its terminal, interactive: ours put
 * in raw mode, its size passed on) to ours, and the signals we get
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2) to it; *STATUS is its
 * exit code.  */
int mc_client_exec (struct mc_client *c, const char *name, json_t *body, bool no_stdin, int *status,
                    mc_error_t *err);

/* LXD's console of instance NAME (a URL segment): our terminal joined to
 * it, raw, its size passed on, until <ctrl>+a q (or a signal, or its
 * end).  */
int mc_client_console (struct mc_client *c, const char *name, mc_error_t *err);

#endif
