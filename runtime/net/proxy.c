/* Proxy devices (proxy.h).  */
#include "runtime/net/proxy.h"
#include "runtime/net/firewall.h"
#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 16384
#define MAX_CONNS 1024
#define MAX_UDP_SESSIONS 1024
#define UDP_IDLE_SECONDS 120

/* ---- configuration -------------------------------------------------------- */

int
mc_proxy_addr_parse (const char *text, struct mc_proxy_addr *out, mc_error_t *err)
{
  cleanup_free char *host = NULL;
  const char *rest, *port;
  unsigned long p;
  char *end;

  memset (out, 0, sizeof (*out));
  snprintf (out->text, sizeof (out->text), "%s", text);
  if (mc_str_has_prefix (text, "unix:"))
    {
      rest = text + 5;
      out->proto = MC_PROXY_UNIX;
      if (*rest == '\0' || (rest[0] != '/' && rest[0] != '@'))
        return mc_make_error (err, 0, "`%s`: a unix address is unix:/ABSOLUTE/PATH or unix:@NAME", text);
      if (strlen (rest) >= sizeof (out->path))
        return mc_make_error (err, 0, "`%s`: a unix socket path is at most %zu bytes", text, sizeof (out->path) - 1);
      strcpy (out->path, rest);
      return 0;
    }
  if (mc_str_has_prefix (text, "tcp:"))
    out->proto = MC_PROXY_TCP;
  else if (mc_str_has_prefix (text, "udp:"))
    out->proto = MC_PROXY_UDP;
  else
    return mc_make_error (err, 0, "`%s`: expected tcp:ADDRESS:PORT, udp:ADDRESS:PORT or unix:PATH", text);
  rest = text + 4;
  if (*rest == '[')
    {
      const char *close = strchr (rest, ']');

      if (close == NULL || close[1] != ':')
        return mc_make_error (err, 0, "`%s`: an IPv6 address is [ADDRESS]:PORT", text);
      host = xstrndup (rest + 1, (size_t) (close - rest - 1));
      port = close + 2;
    }
  else
    {
      const char *colon = strrchr (rest, ':');

      if (colon == NULL)
        return mc_make_error (err, 0, "`%s`: missing the port (ADDRESS:PORT)", text);
      host = xstrndup (rest, (size_t) (colon - rest));
      port = colon + 1;
    }
  if (strpbrk (port, "-,"))
    return mc_make_error (err, 0, "`%s`: port ranges and lists are not supported (one proxy device per port)", text);
  errno = 0;
  p = strtoul (port, &end, 10);
  if (!isdigit ((unsigned char) *port) || *end || errno || p == 0 || p > 65535)
    return mc_make_error (err, 0, "`%s`: invalid port `%s` (1 to 65535)", text, port);
  if (strchr (host, ':') == NULL)
    {
      struct sockaddr_in *in = (struct sockaddr_in *) &out->sa;

      in->sin_family = AF_INET;
      in->sin_port = htons ((uint16_t) p);
      if (inet_pton (AF_INET, host, &in->sin_addr) != 1)
        return mc_make_error (err, 0, "`%s`: invalid IPv4 address `%s`", text, host);
      out->salen = sizeof (*in);
    }
  else
    {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &out->sa;

      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons ((uint16_t) p);
      if (inet_pton (AF_INET6, host, &in6->sin6_addr) != 1)
        return mc_make_error (err, 0, "`%s`: invalid IPv6 address `%s`", text, host);
      out->salen = sizeof (*in6);
    }
  return 0;
}

static bool
number (const char *v, int base, unsigned long max)
{
  char *end;
  unsigned long n;

  if (v == NULL || !isdigit ((unsigned char) *v))
    return false;
  errno = 0;
  n = strtoul (v, &end, base);
  return *end == '\0' && errno == 0 && n <= max;
}

int
mc_proxy_validate (const char *name, json_t *dev, mc_error_t *err)
{
  static const char *const keys[] = { "type", "listen", "connect", "bind", "nat", "uid", "gid", "mode" };
  const char *listen = json_string_value (json_object_get (dev, "listen"));
  const char *connect = json_string_value (json_object_get (dev, "connect"));
  const char *bind = json_string_value (json_object_get (dev, "bind"));
  const char *nat = json_string_value (json_object_get (dev, "nat"));
  struct mc_proxy_addr l, c;
  const char *key, *v;

  if ((key = mc_json_unknown_key (dev, keys, sizeof (keys) / sizeof (keys[0]))) != NULL)
    return mc_make_error (err, 0, "device `%s`: unknown key `%s` for a proxy (listen, connect, bind, nat, uid, "
                          "gid, mode)", name, key);
  if (listen == NULL || connect == NULL)
    return mc_make_error (err, 0, "device `%s`: a proxy needs `listen` and `connect`", name);
  if (mc_proxy_addr_parse (listen, &l, err) < 0)
    return mc_error_prefix (err, "device `%s`: listen", name);
  if (mc_proxy_addr_parse (connect, &c, err) < 0)
    return mc_error_prefix (err, "device `%s`: connect", name);
  if ((l.proto == MC_PROXY_UDP) != (c.proto == MC_PROXY_UDP))
    return mc_make_error (err, 0, "device `%s`: udp forwards only to udp", name);
  if (bind && strcmp (bind, "host") && strcmp (bind, "container"))
    return mc_make_error (err, 0, "device `%s`: bind must be host or container, not `%s`", name, bind);
  if (nat && strcmp (nat, "true") && strcmp (nat, "false"))
    return mc_make_error (err, 0, "device `%s`: nat must be true or false, not `%s`", name, nat);
  if (nat && strcmp (nat, "true") == 0)
    {
      const struct sockaddr_in *li = (const struct sockaddr_in *) &l.sa, *ci = (const struct sockaddr_in *) &c.sa;

      if (l.proto == MC_PROXY_UNIX || c.proto != l.proto || l.sa.ss_family != AF_INET || c.sa.ss_family != AF_INET)
        return mc_make_error (err, 0, "device `%s`: nat=true needs tcp or udp IPv4 addresses at both ends, of one "
                              "protocol", name);
      if (bind && strcmp (bind, "host") != 0)
        return mc_make_error (err, 0, "device `%s`: nat=true listens on the host (bind=host)", name);
      if ((ntohl (li->sin_addr.s_addr) >> 24) == 127)
        return mc_make_error (err, 0, "device `%s`: nat=true cannot listen on loopback (use a host address, or "
                              "0.0.0.0, or leave nat unset)", name);
      if (ci->sin_addr.s_addr == htonl (INADDR_ANY))
        return mc_make_error (err, 0, "device `%s`: nat=true connects to the container's own address", name);
    }
  if ((v = json_string_value (json_object_get (dev, "uid"))) && !number (v, 10, 0xfffffffe))
    return mc_make_error (err, 0, "device `%s`: invalid uid `%s`", name, v);
  if ((v = json_string_value (json_object_get (dev, "gid"))) && !number (v, 10, 0xfffffffe))
    return mc_make_error (err, 0, "device `%s`: invalid gid `%s`", name, v);
  if ((v = json_string_value (json_object_get (dev, "mode"))) && !number (v, 8, 07777))
    return mc_make_error (err, 0, "device `%s`: invalid mode `%s` (octal, such as 0644)", name, v);
  return 0;
}

void
mc_proxies_free (struct mc_proxy *p, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (p[i].name);
  free (p);
}

int
mc_proxies_of (json_t *devices, bool privileged, const struct mc_idmap_set *idmap, struct mc_proxy **out,
               size_t *n, mc_error_t *err)
{
  struct mc_proxy *p = NULL;
  const char *dname;
  size_t count = 0;
  json_t *dev;

  json_object_foreach (devices, dname, dev)
    {
      const char *type = json_string_value (json_object_get (dev, "type"));
      const char *bind = json_string_value (json_object_get (dev, "bind"));
      const char *uid = json_string_value (json_object_get (dev, "uid"));
      const char *gid = json_string_value (json_object_get (dev, "gid"));
      const char *mode = json_string_value (json_object_get (dev, "mode"));
      struct mc_proxy *x;

      if (type == NULL || strcmp (type, "proxy") != 0)
        continue;
      if (mc_proxy_validate (dname, dev, err) < 0)
        {
          mc_proxies_free (p, count);
          return -1;
        }
      p = xrealloc (p, sizeof (*p) * (count + 1));
      x = &p[count++];
      memset (x, 0, sizeof (*x));
      x->name = xstrdup (dname);
      (void) mc_proxy_addr_parse (json_string_value (json_object_get (dev, "listen")), &x->listen, err);
      (void) mc_proxy_addr_parse (json_string_value (json_object_get (dev, "connect")), &x->connect, err);
      x->bind_container = bind && strcmp (bind, "container") == 0;
      x->nat = json_string_value (json_object_get (dev, "nat"))
               && strcmp (json_string_value (json_object_get (dev, "nat")), "true") == 0;
      /* A listening socket inside belongs to a container id; one on the
         host to the host id given.  */
      {
        uint32_t hu, hg;
        bool as_is = privileged || !x->bind_container;

        if (mc_idmap_host_id (idmap, as_is, "uid", false, uid ? strtoul (uid, NULL, 10) : 0, &hu, err) < 0
            || mc_idmap_host_id (idmap, as_is, "gid", true, gid ? strtoul (gid, NULL, 10) : 0, &hg, err) < 0)
          {
            mc_error_prefix (err, "device `%s`", dname);
            mc_proxies_free (p, count);
            return -1;
          }
        x->uid = (uid_t) hu;
        x->gid = (gid_t) hg;
      }
      x->mode = (mode_t) (mode ? strtoul (mode, NULL, 8) : 0666);
    }
  *out = p;
  *n = count;
  return 0;
}

/* ---- the proxy process ---------------------------------------------------- */

struct side
{
  int netns;   /* the side's network namespace */
  int root;    /* the side's root directory, for unix paths */
};

struct conn
{
  int fd[2];                  /* 0: accepted, 1: connected */
  char buf[2][BUF_SIZE];      /* buf[i]: read from fd[i], for fd[1 - i] */
  size_t len[2], off[2];
  bool eof[2], shut[2];
  bool connecting;
};

struct udp_session
{
  size_t proxy;
  struct sockaddr_storage peer;
  socklen_t peerlen;
  int fd;
  time_t last;
};

struct server
{
  const struct mc_proxy *proxies;
  size_t n;
  int *listeners;
  struct side host, ctr;
  int self_netns;
  struct conn *conns[MAX_CONNS];
  size_t nconns;
  struct udp_session udp[MAX_UDP_SESSIONS];
  size_t nudp;
};

/* A socket in SIDE's network namespace (this process returns to its own
 * at once: only sockets are made over there).  */
static int
socket_in (struct server *sv, const struct side *side, int domain, int type)
{
  int fd, e;

  if (side->netns != sv->self_netns && setns (side->netns, CLONE_NEWNET) < 0)
    return -1;
  fd = socket (domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  e = errno;
  if (side->netns != sv->self_netns && setns (sv->self_netns, CLONE_NEWNET) < 0)
    _exit (1);
  errno = e;
  return fd;
}

static int
sock_type (const struct mc_proxy_addr *a)
{
  return a->proto == MC_PROXY_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

static int
sock_domain (const struct mc_proxy_addr *a)
{
  return a->proto == MC_PROXY_UNIX ? AF_UNIX : a->sa.ss_family;
}

/* A unix address on SIDE: an abstract name as it is; a path through the
 * side's root (inside the container: resolved in its root, never out of
 * it), as /proc/self/fd/N of its directory (DIRFD, the caller closes it)
 * and the last component.  */
static int
unix_sockaddr (const struct side *side, const char *path, bool for_bind, struct sockaddr_un *sun,
               socklen_t *len, int *dirfd, const char **base)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_free char *dir = NULL;
  const char *slash;
  int fd;

  memset (sun, 0, sizeof (*sun));
  sun->sun_family = AF_UNIX;
  *dirfd = -1;
  if (path[0] == '@')
    {
      size_t n = strlen (path + 1);

      memcpy (sun->sun_path + 1, path + 1, n);
      *len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + n);
      return 0;
    }
  slash = strrchr (path, '/');
  *base = slash + 1;
  dir = slash == path ? xstrdup ("/") : xstrndup (path, (size_t) (slash - path));
  if (for_bind)
    how.flags |= O_DIRECTORY;
  fd = mc_sys_openat2 (side->root, for_bind ? dir : path, &how, sizeof (how));
  if (fd < 0)
    return -1;
  if (for_bind)
    snprintf (sun->sun_path, sizeof (sun->sun_path), "/proc/self/fd/%d/%s", fd, *base);
  else
    snprintf (sun->sun_path, sizeof (sun->sun_path), "/proc/self/fd/%d", fd);
  *dirfd = fd;
  *len = (socklen_t) sizeof (*sun);
  return 0;
}

static int
make_listener (struct server *sv, const struct mc_proxy *p, mc_error_t *err)
{
  const struct side *side = p->bind_container ? &sv->ctr : &sv->host;
  cleanup_close int dirfd = -1;
  int fd = socket_in (sv, side, sock_domain (&p->listen), sock_type (&p->listen)), one = 1;

  if (fd < 0)
    return mc_make_error (err, errno, "proxy `%s`: socket", p->name);
  if (p->listen.proto == MC_PROXY_UNIX)
    {
      struct sockaddr_un sun;
      const char *base = NULL;
      socklen_t len;

      if (unix_sockaddr (side, p->listen.path, true, &sun, &len, &dirfd, &base) < 0)
        {
          close (fd);
          return mc_make_error (err, errno, "proxy `%s`: the directory of `%s`", p->name, p->listen.path);
        }
      /* A socket file left by an earlier run goes, as LXD does.  */
      if (dirfd >= 0)
        {
          struct stat st;

          if (fstatat (dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK (st.st_mode))
            (void) unlinkat (dirfd, base, 0);
        }
      if (bind (fd, (struct sockaddr *) &sun, len) < 0)
        {
          close (fd);
          return mc_make_error (err, errno, "proxy `%s`: listen on `%s`", p->name, p->listen.path);
        }
      if (dirfd >= 0
          && (fchownat (dirfd, base, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat (dirfd, base, p->mode, 0) < 0))
        {
          close (fd);
          return mc_make_error (err, errno, "proxy `%s`: set the owner of `%s`", p->name, p->listen.path);
        }
    }
  else
    {
      (void) setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
      if (bind (fd, (struct sockaddr *) &p->listen.sa, p->listen.salen) < 0)
        {
          close (fd);
          return mc_make_error (err, errno, "proxy `%s`: listen on `%s`", p->name, p->listen.text);
        }
    }
  if (sock_type (&p->listen) == SOCK_STREAM && listen (fd, 128) < 0)
    {
      close (fd);
      return mc_make_error (err, errno, "proxy `%s`: listen", p->name);
    }
  return fd;
}

/* A non-blocking connection to P's other end; -1 when it failed at once. */
static int
connect_out (struct server *sv, const struct mc_proxy *p, bool *pending)
{
  const struct side *side = p->bind_container ? &sv->host : &sv->ctr;
  int fd = socket_in (sv, side, sock_domain (&p->connect), sock_type (&p->connect)), r;

  if (fd < 0)
    return -1;
  if (p->connect.proto == MC_PROXY_UNIX)
    {
      struct sockaddr_un sun;
      const char *base = NULL;
      socklen_t len;
      int dirfd;

      if (unix_sockaddr (side, p->connect.path, false, &sun, &len, &dirfd, &base) < 0)
        {
          close (fd);
          return -1;
        }
      r = connect (fd, (struct sockaddr *) &sun, len);
      if (dirfd >= 0)
        close (dirfd);
    }
  else
    r = connect (fd, (struct sockaddr *) &p->connect.sa, p->connect.salen);
  *pending = r < 0 && (errno == EINPROGRESS || errno == EAGAIN);
  if (r < 0 && !*pending)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static void
conn_close (struct server *sv, size_t i)
{
  close (sv->conns[i]->fd[0]);
  close (sv->conns[i]->fd[1]);
  free (sv->conns[i]);
  sv->conns[i] = sv->conns[--sv->nconns];
}

static void
accept_stream (struct server *sv, size_t k)
{
  int fd = accept4 (sv->listeners[k], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), out;
  bool pending = false;
  struct conn *c;

  if (fd < 0)
    return;
  if (sv->nconns == MAX_CONNS || (out = connect_out (sv, &sv->proxies[k], &pending)) < 0)
    {
      close (fd);
      return;
    }
  c = xmalloc0 (sizeof (*c));
  c->fd[0] = fd;
  c->fd[1] = out;
  c->connecting = pending;
  sv->conns[sv->nconns++] = c;
}

/* Move what is pending in direction I; false when the connection is
 * done with.  */
static bool
pump (struct conn *c, int i, short rev_src, short rev_dst)
{
  ssize_t n;

  if (c->len[i] == 0 && !c->eof[i] && (rev_src & (POLLIN | POLLHUP | POLLERR)))
    {
      n = recv (c->fd[i], c->buf[i], BUF_SIZE, 0);
      if (n > 0)
        {
          c->len[i] = (size_t) n;
          c->off[i] = 0;
        }
      else if (n == 0)
        c->eof[i] = true;
      else if (errno != EAGAIN && errno != EINTR)
        return false;
    }
  if (c->len[i] > 0 && (rev_dst & POLLOUT))
    {
      n = send (c->fd[1 - i], c->buf[i] + c->off[i], c->len[i] - c->off[i], MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return false;
      if (n > 0 && (c->off[i] += (size_t) n) == c->len[i])
        c->len[i] = 0;
    }
  if (c->eof[i] && c->len[i] == 0 && !c->shut[i])
    {
      (void) shutdown (c->fd[1 - i], SHUT_WR);
      c->shut[i] = true;
    }
  return !(c->shut[0] && c->shut[1]);
}

static short
conn_events (const struct conn *c, int k)
{
  short ev = 0;

  if (c->connecting)
    return k == 1 ? POLLOUT : 0;
  if (!c->eof[k] && c->len[k] == 0)
    ev |= POLLIN;
  if (c->len[1 - k] > 0)
    ev |= POLLOUT;
  return ev;
}

static void
udp_from_client (struct server *sv, size_t k)
{
  char buf[65536];
  struct sockaddr_storage peer;
  socklen_t plen = sizeof (peer);
  ssize_t n = recvfrom (sv->listeners[k], buf, sizeof (buf), 0, (struct sockaddr *) &peer, &plen);
  struct udp_session *u = NULL;
  bool pending;
  size_t i;

  if (n < 0)
    return;
  for (i = 0; i < sv->nudp; i++)
    if (sv->udp[i].proxy == k && sv->udp[i].peerlen == plen && memcmp (&sv->udp[i].peer, &peer, plen) == 0)
      u = &sv->udp[i];
  if (u == NULL)
    {
      int fd;

      if (sv->nudp == MAX_UDP_SESSIONS || (fd = connect_out (sv, &sv->proxies[k], &pending)) < 0)
        return;
      u = &sv->udp[sv->nudp++];
      u->proxy = k;
      u->peer = peer;
      u->peerlen = plen;
      u->fd = fd;
    }
  u->last = time (NULL);
  (void) send (u->fd, buf, (size_t) n, MSG_NOSIGNAL);
}

static void
udp_from_target (struct server *sv, size_t i)
{
  char buf[65536];
  struct udp_session *u = &sv->udp[i];
  ssize_t n = recv (u->fd, buf, sizeof (buf), 0);

  if (n < 0)
    return;
  u->last = time (NULL);
  (void) sendto (sv->listeners[u->proxy], buf, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &u->peer, u->peerlen);
}

static void
udp_expire (struct server *sv)
{
  time_t now = time (NULL);
  size_t i = 0;

  while (i < sv->nudp)
    if (now - sv->udp[i].last > UDP_IDLE_SECONDS)
      {
        close (sv->udp[i].fd);
        sv->udp[i] = sv->udp[--sv->nudp];
      }
    else
      i++;
}

__attribute__ ((noreturn)) static void
serve_loop (struct server *sv)
{
  size_t cap = sv->n + 2 * MAX_CONNS + MAX_UDP_SESSIONS;
  struct pollfd *p = xmalloc0 (sizeof (*p) * cap);

  for (;;)
    {
      size_t np = 0, i, base_conn, base_udp;

      for (i = 0; i < sv->n; i++)
        p[np++] = (struct pollfd) { sv->listeners[i], POLLIN, 0 };
      base_conn = np;
      for (i = 0; i < sv->nconns; i++)
        {
          p[np++] = (struct pollfd) { sv->conns[i]->fd[0], conn_events (sv->conns[i], 0), 0 };
          p[np++] = (struct pollfd) { sv->conns[i]->fd[1], conn_events (sv->conns[i], 1), 0 };
        }
      base_udp = np;
      for (i = 0; i < sv->nudp; i++)
        p[np++] = (struct pollfd) { sv->udp[i].fd, POLLIN, 0 };
      if (poll (p, np, sv->nudp ? 30000 : -1) < 0)
        {
          if (errno == EINTR)
            continue;
          _exit (1);
        }
      /* Connections first, from the last: closing one moves the last
         into its slot.  */
      for (i = sv->nconns; i-- > 0;)
        {
          struct conn *c = sv->conns[i];
          short r0 = p[base_conn + 2 * i].revents, r1 = p[base_conn + 2 * i + 1].revents;

          if (c->connecting)
            {
              int e = 0;
              socklen_t el = sizeof (e);

              if (!(r1 & (POLLOUT | POLLERR | POLLHUP)))
                continue;
              if (getsockopt (c->fd[1], SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0)
                {
                  conn_close (sv, i);
                  continue;
                }
              c->connecting = false;
              continue;
            }
          if (!pump (c, 0, r0, r1) || !pump (c, 1, r1, r0))
            conn_close (sv, i);
        }
      for (i = sv->nudp; i-- > 0;)
        if (p[base_udp + i].revents & POLLIN)
          udp_from_target (sv, i);
      for (i = 0; i < sv->n; i++)
        if (p[i].revents & POLLIN)
          {
            if (sv->proxies[i].listen.proto == MC_PROXY_UDP)
              udp_from_client (sv, i);
            else
              accept_stream (sv, i);
          }
      udp_expire (sv);
    }
}

/* The child: set everything up, say so on REPORT (a NUL byte, or the
 * error's text), then serve until killed.  */
__attribute__ ((noreturn)) static void
serve (const struct mc_proxy *proxies, size_t n, pid_t init, int report)
{
  struct server sv;
  mc_error_t err = NULL;
  char path[64];
  size_t i;

  memset (&sv, 0, sizeof (sv));
  sv.proxies = proxies;
  sv.n = n;
  sv.listeners = xmalloc0 (sizeof (int) * (n + 1));
  sv.self_netns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  sv.host.netns = sv.self_netns;
  sv.host.root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) init);
  sv.ctr.netns = open (path, O_RDONLY | O_CLOEXEC);
  snprintf (path, sizeof (path), "/proc/%d/root", (int) init);
  sv.ctr.root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (sv.self_netns < 0 || sv.host.root < 0 || sv.ctr.netns < 0 || sv.ctr.root < 0)
    mc_make_error (&err, errno, "proxy: open the container's namespaces");
  for (i = 0; err == NULL && i < n; i++)
    sv.listeners[i] = proxies[i].nat ? -1 : make_listener (&sv, &proxies[i], &err);
  if (err)
    {
      if (write (report, err->msg, strlen (err->msg)) < 0)
        _exit (2);
      _exit (1);
    }
  if (write (report, "", 1) != 1)
    _exit (1);
  close (report);
  serve_loop (&sv);
}

struct nat_job
{
  const char *name;
  struct mc_fw_dnat *rules;
  size_t n;
};

static int
nat_in_child (void *arg, mc_error_t *err)
{
  struct nat_job *j = arg;

  return mc_firewall_dnat (j->name, j->rules, j->n, err);
}

int
mc_proxy_nat_apply (const char *name, const struct mc_proxy *proxies, size_t n, const struct in_addr *addrs,
                    size_t n_addrs, mc_error_t *err)
{
  struct mc_fw_dnat *rules = xmalloc0 (sizeof (*rules) * (n + 1));
  char (*ips)[2][INET_ADDRSTRLEN] = xmalloc0 (sizeof (*ips) * (n + 1));
  struct nat_job job = { name, rules, 0 };
  size_t i, k;
  int ret = 0;

  for (i = 0; ret == 0 && i < n; i++)
    {
      const struct sockaddr_in *li = (const struct sockaddr_in *) &proxies[i].listen.sa;
      const struct sockaddr_in *ci = (const struct sockaddr_in *) &proxies[i].connect.sa;
      bool mine = false;

      if (!proxies[i].nat)
        continue;
      for (k = 0; k < n_addrs; k++)
        mine |= addrs[k].s_addr == ci->sin_addr.s_addr;
      inet_ntop (AF_INET, &li->sin_addr, ips[job.n][0], sizeof (ips[job.n][0]));
      inet_ntop (AF_INET, &ci->sin_addr, ips[job.n][1], sizeof (ips[job.n][1]));
      if (!mine)
        {
          ret = mc_make_error (err, 0, "proxy `%s`: nat=true connects to %s, which is not an address of the "
                               "container's nics (give its nic that ipv4.address)", proxies[i].name, ips[job.n][1]);
          break;
        }
      rules[job.n] = (struct mc_fw_dnat) { proxies[i].listen.proto == MC_PROXY_TCP ? "tcp" : "udp", ips[job.n][0],
                                           ntohs (li->sin_port), ips[job.n][1], ntohs (ci->sin_port) };
      job.n++;
    }
  if (ret == 0)
    ret = mc_run_in_child (nat_in_child, &job, err);
  free (rules);
  free (ips);
  return ret;
}

pid_t
mc_proxy_spawn (const struct mc_proxy *proxies, size_t n, pid_t init, mc_error_t *err)
{
  pid_t parent = getpid (), pid;
  char buf[1024];
  int pfd[2];
  ssize_t got;
  size_t i, plain = 0;

  for (i = 0; i < n; i++)
    plain += !proxies[i].nat;
  if (plain == 0)
    return 0;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      return mc_make_error (err, errno, "fork the proxy process");
    }
  if (pid == 0)
    {
      /* Nothing of the monitor's but the report pipe.  */
      if (dup2 (pfd[1], 3) < 0)
        _exit (1);
      mc_sys_close_range (4, ~0U, 0);
      if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
        _exit (1);
      (void) prctl (PR_SET_NAME, "minictr-proxy");
      serve (proxies, n, init, 3);
    }
  close (pfd[1]);
  got = read (pfd[0], buf, sizeof (buf) - 1);
  close (pfd[0]);
  if (got == 1 && buf[0] == '\0')
    return pid;
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (got <= 0)
    return mc_make_error (err, 0, "the proxy process ended before it was ready");
  buf[got] = '\0';
  return mc_make_error (err, 0, "%s", buf);
}
