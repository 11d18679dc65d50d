/* LXD's REST API, the pieces every handler shares: a request as the server
 * parsed it, and LXD's response envelopes (doc/rest-api.md): sync (the
 * answer in `metadata`), async (an operation, 202 with a Location), and
 * error (`error_code` and `error`, the HTTP status too).  */
#ifndef MINICTR_API_RESPONSE_H
#define MINICTR_API_RESPONSE_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What every handler gets besides its request.  */
struct mc_api_ctx
{
  struct mc_store *store;
  const char *version;  /* minictr's, for /1.0 */
};

struct mc_api_req
{
  const char *method; /* GET, PUT, POST, PATCH, DELETE */
  const char *path;   /* percent-decoded (by libwebsockets), without the query */
  char **params;      /* the query's "NAME=VALUE" parts, decoded; NULL-ended */
  json_t *body;       /* the parsed JSON body, NULL when none */
  int body_fd;        /* a file upload's body, spooled (offset at its end), or -1 */
  json_t *lxd_headers; /* LXD's X-LXD-* headers: {"uid": "0", "type": "file", ...} */
  const char *content_type; /* or NULL */
  bool trusted;       /* the unix socket, or a trusted client certificate */
  const char *peer_pem; /* over HTTPS: the client's certificate, or NULL */
};

struct mc_op;

/* A raw answer is at most this many files in a row (a multipart export:
 * head, metadata, separator, rootfs, tail).  */
#define MC_API_PARTS_MAX 5

struct mc_api_resp
{
  int http;           /* status */
  json_t *doc;        /* the envelope */
  char *location;     /* Location header (async), or NULL */
  struct mc_op *op;   /* async: the operation started (the server watches it) */
  bool sync_op;       /* ... and the answer waits for it: sync, or its error */
  bool file_op;       /* ... a file GET's: the operation's metadata says what
                         it found and FILE_FD holds its content */
  int file_fd;
  bool raw;           /* the answer is the bytes of PARTS, one after the
                         other, as they are (the server closes them) */
  int parts[MC_API_PARTS_MAX];
  size_t n_parts;
  char raw_ctype[96];      /* "": application/octet-stream */
  json_t *raw_headers;     /* more headers: {"Content-Disposition:": ...} */
};

/* Value of query parameter NAME (allocated), or NULL.  */
char *mc_api_query (const struct mc_api_req *req, const char *name);
/* ?recursion=N as a number (0 when absent or not a number).  */
int mc_api_recursion (const struct mc_api_req *req);

/* Fill R: 200 with METADATA (stolen; NULL: null).  */
void mc_api_sync (struct mc_api_resp *r, json_t *metadata);
/* Fill R: 202 for the operation OP_JSON (copied), at its URL.  */
void mc_api_async (struct mc_api_resp *r, json_t *op_json);
/* Fill R: an error of HTTP status CODE; returns 0, for handlers.  */
int mc_api_error (struct mc_api_resp *r, int code, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
/* Fill R: an error of HTTP status CODE with *ERR's message, which is
 * released; returns 0.  */
int mc_api_fail (struct mc_api_resp *r, int code, mc_error_t *err);
void mc_api_resp_release (struct mc_api_resp *r);

/* BODY's fields named in FIELDS (NULL-ended) that are not null, as a new
 * document (the values shared with BODY).  */
json_t *mc_api_doc_fields (json_t *body, const char *const *fields);
/* LXD's PATCH: GIVEN's fields over DOC's, an object (config, devices) key
 * by key, anything else replaced; DOC's objects are copied first, never
 * changed where they are shared.  */
void mc_api_doc_patch (json_t *doc, json_t *given);

/* RFC 3339 with nanoseconds, as LXD's Go time renders it, for now.  */
char *mc_api_now (void);

#endif
