/* `minictr exec`: run a command inside a running container, in all its
 * namespaces, its cgroup and under the same seccomp policy as its init.  */
#ifndef MINICTR_EXEC_H
#define MINICTR_EXEC_H

#include "images/store.h"
#include "lib/error.h"

#include <stdbool.h>
#include <sys/types.h>

struct mc_exec_request
{
  const char *name;
  char **argv;              /* command and arguments */
  const char *const *env;   /* extra K=V, after the defaults and environment.* */
  size_t n_env;
  const char *cwd;          /* NULL: /root */
  uid_t uid;
  gid_t gid;
  bool pty;                 /* a terminal, from the container's own devpts */
  bool no_stdin;            /* nothing of our stdin goes in (LXD's -n): EOF at once */
  json_t *config;           /* its expanded config, when the caller has it; NULL: loaded */
};

/* Run the command; *STATUS receives the exit status as a shell reports
 * it: the command's code, 128+N when killed by signal N, 127 when it does
 * not exist, 126 when it cannot be executed.  */
int mc_container_exec (struct mc_store *s, const struct mc_exec_request *req,
                       int *status, mc_error_t *err);

#endif
