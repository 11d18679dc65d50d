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

/* The work, in the child.  ARGS: the handler's own (borrowed).  */
typedef int (*mc_op_fn) (struct mc_store *s, json_t *args, mc_error_t *err);

struct mc_op
{
  char id[37];
  char *description;
  json_t *resources;       /* {"instances": ["/1.0/instances/NAME"]} */
  char *created_at, *updated_at;
  int status_code;         /* 103 Running, 200 Success, 400 Failure */
  char *err;
  pid_t pid;
  int fd;                  /* the pipe's read end while it runs, else -1 */
  char out[1024];          /* what the child said */
  size_t out_len;
  char *lifecycle;         /* the lifecycle event of a success ("instance-started") */
  char *source;            /* ... and what it is about ("/1.0/instances/NAME") */
  struct mc_op *next;
};

/* Fork the child that runs FN (ARGS borrowed until the fork) and record
 * the operation, Running.  */
struct mc_op *mc_op_run (const char *description, json_t *resources, mc_op_fn fn, json_t *args,
                         const char *lifecycle, const char *source, mc_error_t *err);

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
