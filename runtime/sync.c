#include "runtime/sync.h"
#include "lib/utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
mc_sync_send (int sock, int type, int status, const char *text, int fd)
{
  struct mc_sync_msg msg = { .type = type, .status = status };

  if (text)
    snprintf (msg.text, sizeof (msg.text), "%s", text);
  return mc_send_with_fd (sock, &msg, sizeof (msg), fd);
}

int
mc_sync_recv (int sock, struct mc_sync_msg *msg, int *fd, mc_error_t *err)
{
  ssize_t n = mc_recv_with_fd (sock, msg, sizeof (*msg), fd, true);

  if (n < 0)
    return mc_make_error (err, errno == EBADMSG ? 0 : errno,
                          errno == EBADMSG ? "short message on the sync socket" : "read the sync socket");
  if (n == 0)
    return 0;
  msg->text[sizeof (msg->text) - 1] = '\0';
  return 1;
}

void
mc_sync_die (int sock, mc_error_t *err)
{
  mc_sync_send (sock, MC_SYNC_ERROR, err && *err ? (*err)->status : 0,
                err && *err ? (*err)->msg : "unknown error", -1);
  _exit (1);
}
