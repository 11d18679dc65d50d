/* The sync socket between a monitor and the container child it clones:
 * SOCK_SEQPACKET messages, optionally carrying one fd.  The child reports
 * failures with errno and text, so `start` prints the real cause ("mount
 * proc: Operation not permitted"), not "child exited 1" (after crun's
 * send_error_to_sync_socket).  A successful execve closes the child's end
 * (CLOEXEC): the monitor reads EOF.  */
#ifndef MINICTR_SYNC_H
#define MINICTR_SYNC_H

#include "lib/error.h"

enum mc_sync_type
{
  MC_SYNC_GO = 1,     /* exec: the command's exit status */
  MC_SYNC_ROOTFS,     /* builder -> monitor -> child: the tree is built */
  MC_SYNC_ERROR,      /* child or builder -> monitor: errno + message */
  MC_SYNC_PID,        /* builder -> monitor: the child's PID (ids mapped), in status */
};

struct mc_sync_msg
{
  int type;
  int status;
  char text[1024];
};

int mc_sync_send (int sock, int type, int status, const char *text, int fd);
/* Returns 1 with *MSG (and *FD when one came, else -1), 0 at EOF.  */
int mc_sync_recv (int sock, struct mc_sync_msg *msg, int *fd, mc_error_t *err);

/* In the child: send ERR over SOCK and _exit(1).  */
__attribute__ ((noreturn)) void mc_sync_die (int sock, mc_error_t *err);

#endif
