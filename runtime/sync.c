#include "runtime/sync.h"
#include "runtime/utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int
mc_sync_send (int sock, int type, int status, const char *text, int fd)
{
  struct mc_sync_msg msg = { .type = type, .status = status };
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = &msg, .iov_len = sizeof (msg) };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  if (text)
    snprintf (msg.text, sizeof (msg.text), "%s", text);
  if (fd >= 0)
    {
      struct cmsghdr *c;

      memset (cbuf, 0, sizeof (cbuf));
      mh.msg_control = cbuf;
      mh.msg_controllen = sizeof (cbuf);
      c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t) sizeof (msg) ? 0 : -1;
}

int
mc_sync_recv (int sock, struct mc_sync_msg *msg, int *fd, mc_error_t *err)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = msg, .iov_len = sizeof (*msg) };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *c;
  ssize_t n;

  if (fd)
    *fd = -1;
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mc_make_error (err, errno, "read the sync socket");
  if (n == 0)
    return 0;
  if (n != (ssize_t) sizeof (*msg))
    return mc_make_error (err, 0, "short message on the sync socket");
  msg->text[sizeof (msg->text) - 1] = '\0';
  for (c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd)
      memcpy (fd, CMSG_DATA (c), sizeof (int));
  return 1;
}

void
mc_sync_die (int sock, mc_error_t *err)
{
  mc_sync_send (sock, MC_SYNC_ERROR, err && *err ? (*err)->status : 0,
                err && *err ? (*err)->msg : "unknown error", -1);
  _exit (1);
}
