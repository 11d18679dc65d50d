/* sock-probe: the two ends of a proxy device's traffic, for the tests
 * (statically linked, so it runs in a busybox rootfs and on the host).
 *
 *   sock-probe unix-echo PATH         serve a stream unix socket at PATH
 *                                     (@NAME: abstract), echoing each
 *                                     connection back until its EOF
 *   sock-probe tcp-echo ADDR PORT     the same on TCP (IPv4)
 *   sock-probe udp-echo ADDR PORT     echo each datagram to its sender
 *   sock-probe unix-send PATH TEXT    connect, send TEXT, shut the write
 *   sock-probe tcp-send ADDR PORT TEXT   side, print what comes back until
 *                                     EOF (3 s at most)
 *   sock-probe udp-send ADDR PORT TEXT   one datagram, print the reply
 *
 * The servers run until killed (the tests start them in the background
 * and end them by PID).  Exit status: 0, or the errno of the first
 * failing call (125: usage).  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
fail (const char *what)
{
  int e = errno;

  fprintf (stderr, "sock-probe: %s: %s\n", what, strerror (e));
  return e ? e : 1;
}

static socklen_t
unix_addr (const char *path, struct sockaddr_un *sun)
{
  size_t n = strlen (path);

  memset (sun, 0, sizeof (*sun));
  sun->sun_family = AF_UNIX;
  if (n >= sizeof (sun->sun_path))
    n = sizeof (sun->sun_path) - 1;
  memcpy (sun->sun_path, path, n);
  if (path[0] == '@')
    sun->sun_path[0] = '\0';
  return (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
}

static socklen_t
inet_addr4 (const char *addr, const char *port, struct sockaddr_in *in)
{
  memset (in, 0, sizeof (*in));
  in->sin_family = AF_INET;
  in->sin_port = htons ((unsigned short) atoi (port));
  if (inet_pton (AF_INET, addr, &in->sin_addr) != 1)
    exit (125);
  return sizeof (*in);
}

static int
echo_stream (int ls)
{
  char buf[65536];

  if (listen (ls, 16) < 0)
    return fail ("listen");
  for (;;)
    {
      int c = accept (ls, NULL, NULL);
      ssize_t n;

      if (c < 0)
        continue;
      while ((n = read (c, buf, sizeof (buf))) > 0)
        if (write (c, buf, (size_t) n) != n)
          break;
      close (c);
    }
}

static int
send_stream (int s, const struct sockaddr *sa, socklen_t len, const char *text)
{
  char buf[65536];
  struct pollfd p = { s, POLLIN, 0 };
  ssize_t n;

  if (connect (s, sa, len) < 0)
    return fail ("connect");
  if (write (s, text, strlen (text)) < 0 || shutdown (s, SHUT_WR) < 0)
    return fail ("send");
  while (poll (&p, 1, 3000) > 0 && (n = read (s, buf, sizeof (buf))) > 0)
    fwrite (buf, 1, (size_t) n, stdout);
  putchar ('\n');
  return 0;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un sun;
  struct sockaddr_in in;
  socklen_t len;
  int s;

  if (argc < 3)
    return 125;
  if (strcmp (argv[1], "unix-echo") == 0 || strcmp (argv[1], "unix-send") == 0)
    {
      len = unix_addr (argv[2], &sun);
      if ((s = socket (AF_UNIX, SOCK_STREAM, 0)) < 0)
        return fail ("socket");
      if (argv[1][5] == 'e')
        {
          unlink (argv[2]);
          if (bind (s, (struct sockaddr *) &sun, len) < 0)
            return fail ("bind");
          return echo_stream (s);
        }
      return argc == 4 ? send_stream (s, (struct sockaddr *) &sun, len, argv[3]) : 125;
    }
  if (argc < 4)
    return 125;
  len = inet_addr4 (argv[2], argv[3], &in);
  if (strcmp (argv[1], "tcp-echo") == 0 || strcmp (argv[1], "tcp-send") == 0)
    {
      int one = 1;

      if ((s = socket (AF_INET, SOCK_STREAM, 0)) < 0)
        return fail ("socket");
      if (argv[1][4] == 'e')
        {
          setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
          if (bind (s, (struct sockaddr *) &in, len) < 0)
            return fail ("bind");
          return echo_stream (s);
        }
      return argc == 5 ? send_stream (s, (struct sockaddr *) &in, len, argv[4]) : 125;
    }
  if (strcmp (argv[1], "udp-echo") == 0 || strcmp (argv[1], "udp-send") == 0)
    {
      char buf[65536];
      struct sockaddr_storage peer;
      socklen_t plen;
      ssize_t n;

      if ((s = socket (AF_INET, SOCK_DGRAM, 0)) < 0)
        return fail ("socket");
      if (argv[1][4] == 'e')
        {
          if (bind (s, (struct sockaddr *) &in, len) < 0)
            return fail ("bind");
          for (;;)
            {
              plen = sizeof (peer);
              n = recvfrom (s, buf, sizeof (buf), 0, (struct sockaddr *) &peer, &plen);
              if (n >= 0)
                sendto (s, buf, (size_t) n, 0, (struct sockaddr *) &peer, plen);
            }
        }
      if (argc != 5)
        return 125;
      {
        struct pollfd p = { s, POLLIN, 0 };

        if (sendto (s, argv[4], strlen (argv[4]), 0, (struct sockaddr *) &in, len) < 0)
          return fail ("sendto");
        if (poll (&p, 1, 3000) <= 0)
          {
            errno = ETIMEDOUT;
            return fail ("no reply");
          }
        n = recv (s, buf, sizeof (buf), 0);
        if (n < 0)
          return fail ("recv");
        fwrite (buf, 1, (size_t) n, stdout);
        putchar ('\n');
        return 0;
      }
    }
  return 125;
}
