/* LXD's background operations (/1.0/operations).  Each runs in a child
 * forked from the server with a fresh view of the store, so one slow start
 * never holds up the others, and a server that dies (or is upgraded)
 * leaves it to finish on its own: the store's locks and atomic writes keep
 * it consistent either way.  The child reports through a pipe: nothing
 * on success, the error's one line on failure.  The server owns the pipe's
 * read end (api/server.c watches it) and calls mc_op_finish at its EOF.  */
#ifndef MINICTR_API_OPERATIONS_H
#define MINICTR_API_OPERATIONS_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* The work, in the child.  ARGS: the handler's own (borrowed).  What it
 * puts in *METADATA (NULL at first) becomes the operation's metadata
 * (exec's {"return": N}).  */
typedef int (*mc_op_fn) (struct mc_store *s, json_t *args, json_t **metadata, mc_error_t *err);

struct mc_op
{
  char id[37];
  char *description;
  json_t *resources;       /* {"instances": ["/1.0/instances/NAME"]} */
  char *created_at, *updated_at;
  int status_code;         /* 103 Running, 200 Success, 400 Failure */
  char *err;
  json_t *metadata;        /* LXD's operation metadata, or NULL */
  pid_t pid;               /* the child; 0 before it is spawned */
  int fd;                  /* the pipe's read end while it runs, else -1 */
  char out[4096];          /* what the child said */
  size_t out_len;
  char *lifecycle;         /* the lifecycle event of a success ("instance-started") */
  char *source;            /* ... and what it is about ("/1.0/instances/NAME") */
  struct mc_op *next;
};

/* Record an operation, Running, with no child yet.  */
struct mc_op *mc_op_new (const char *description, json_t *resources, const char *lifecycle, const char *source);
/* Fork OP's child, which runs FN (ARGS borrowed until the fork); STDIO
 * (NULL: /dev/null's place is left alone) become its fds 0-2, and with
 * CTTY fd 0 is its controlling terminal (a session of its own).  */
int mc_op_spawn (struct mc_op *op, mc_op_fn fn, json_t *args, const int *stdio, bool ctty, mc_error_t *err);
/* OP could not start: a Failure saying WHY, as an ended one.  */
void mc_op_failed (struct mc_op *op, const char *why);

/* mc_op_new and mc_op_spawn.  */
struct mc_op *mc_op_run (const char *description, json_t *resources, mc_op_fn fn, json_t *args,
                         const char *lifecycle, const char *source, mc_error_t *err);

/* mc_op_run, answered as LXD does (202 with the operation; its error
 * 500 when the child cannot start); R->op is the operation.  */
struct mc_api_resp;
int mc_op_start (const char *description, json_t *resources, mc_op_fn fn, json_t *args, const char *lifecycle,
                 const char *source, struct mc_api_resp *r);

/* Spawn OP's child (FN on ARGS; its stdin IN and stdout OUT, -1 for
 * /dev/null, as its stderr) and answer R with OP: 202, or with SYNC the
 * answer once it ends (LXD's sync answers: files).  A child that cannot
 * start fails OP and is R's error (500).  */
struct mc_api_resp;
int mc_op_answer (struct mc_op *op, mc_op_fn fn, json_t *args, int in, int out, bool sync, struct mc_api_resp *r);

/* Append what the child wrote (up to a line's worth).  */
void mc_op_output (struct mc_op *op, const char *buf, size_t len);

/* The pipe's EOF: reap the child; Success, or Failure with its message.
 * Old finished operations beyond a hundred are forgotten.  */
void mc_op_finish (struct mc_op *op);

/* LXD's operation object.  */
json_t *mc_op_json (const struct mc_op *op);
struct mc_op *mc_op_find (const char *id);
/* The operations, newest first.  */
struct mc_op *mc_op_list (void);

#endif
