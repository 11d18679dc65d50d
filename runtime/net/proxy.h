/* LXD's proxy devices: connections to one end (`listen`) forwarded to the
 * other (`connect`), one end on the host and the other in the container
 * (`bind=host`, the default: listen on the host; `bind=container`: listen
 * inside).  tcp, udp and unix sockets, mixed as LXD allows.  One small
 * process per container serves all its proxies (runtime/monitor.c forks
 * it once the container's init exists and kills it when the init ends):
 * single-threaded, poll(2), a fixed buffer per direction.  It stays in
 * the host's namespaces and enters the container's network namespace
 * only to make the container's end of a socket; a unix path in the
 * container is resolved inside its root.  */
#ifndef MINICTR_PROXY_H
#define MINICTR_PROXY_H

#include "lib/error.h"
#include "lib/idmapset.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

enum mc_proxy_proto
{
  MC_PROXY_TCP,
  MC_PROXY_UDP,
  MC_PROXY_UNIX,
};

/* One end: tcp:ADDR:PORT, udp:ADDR:PORT ([ADDR] for IPv6), unix:PATH
 * (unix:@NAME: the abstract namespace).  */
struct mc_proxy_addr
{
  enum mc_proxy_proto proto;
  struct sockaddr_storage sa; /* tcp, udp: the address and port */
  socklen_t salen;
  char path[108];             /* unix: the path ('@' first: abstract) */
  char text[128];             /* as given, for messages */
};

struct mc_proxy
{
  char *name;
  struct mc_proxy_addr listen, connect;
  bool bind_container;        /* listen inside, connect on the host */
  bool nat;                   /* nat=true: DNAT rules, not the process */
  uid_t uid;                  /* a unix listening socket's owner and mode */
  gid_t gid;
  mode_t mode;
};

/* Parse one end; the error names what is wrong with TEXT.  */
int mc_proxy_addr_parse (const char *text, struct mc_proxy_addr *out, mc_error_t *err);

/* Check a proxy device's keys (listen, connect, bind, nat, uid, gid,
 * mode): the error names the device.  */
int mc_proxy_validate (const char *name, json_t *dev, mc_error_t *err);

/* The proxy devices of DEVICES (an expanded config's) in *OUT, N of them;
 * uid/gid of a listening socket in the container are host ids already
 * (through IDMAP, the container's map; PRIVILEGED: as given).  */
int mc_proxies_of (json_t *devices, bool privileged, const struct mc_idmap_set *idmap, struct mc_proxy **out,
                   size_t *n, mc_error_t *err);
void mc_proxies_free (struct mc_proxy *p, size_t n);

/* nat=true proxies of PROXIES as DNAT rules for container NAME, whose
 * nics have the IPv4 addresses ADDRS (N_ADDRS): each connect address must
 * be one of them (LXD's rule).  With none, the rules are removed.  Runs
 * libnftables in a short-lived child.  */
struct in_addr;
int mc_proxy_nat_apply (const char *name, const struct mc_proxy *proxies, size_t n, const struct in_addr *addrs,
                        size_t n_addrs, mc_error_t *err);

/* Fork the process that serves the PROXIES without nat for the container
 * whose init is INIT (none: no process, 0).  Its listening sockets exist when this returns (a bad address or
 * a port in use is an error here, not later).  It dies with its parent.  */
pid_t mc_proxy_spawn (const struct mc_proxy *proxies, size_t n, pid_t init, mc_error_t *err);

#endif
