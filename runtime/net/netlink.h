/* rtnetlink through libmnl: the links, addresses and routes minictr
 * makes for its networks (a bridge per network) and their containers (a
 * veth pair per nic device), and the dumps behind `list`, `info` and the
 * choice of a free subnet.  No `ip` subprocess: each request is one
 * message, acknowledged (NLM_F_ACK), and a failure carries the kernel's
 * errno.
 *
 * A socket is bound to the network namespace it was created in, so
 * mc_nl_open_netns() enters a container's namespace only long enough to
 * create one (setns there and back; the caller must be single-threaded,
 * as the CLI and the monitor are).  */
#ifndef MINICTR_NETLINK_H
#define MINICTR_NETLINK_H

#include "lib/error.h"

#include <jansson.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mnl_socket;

struct mc_nl
{
  struct mnl_socket *sock;
  uint32_t seq;
  uint32_t portid;
};

/* In our own network namespace.  */
int mc_nl_open (struct mc_nl *nl, mc_error_t *err);
/* In the network namespace of process PID (host root only); SELF_FD is
 * an fd of our own network namespace, or -1 to open one.  */
int mc_nl_open_netns (struct mc_nl *nl, pid_t pid, int self_fd, mc_error_t *err);
void mc_nl_close (struct mc_nl *nl);

/* The index of link NAME; 0 when there is none.  */
int mc_nl_link_index (struct mc_nl *nl, const char *name, mc_error_t *err);

/* A new bridge NAME (NLM_F_EXCL: an existing link is an error).  */
int mc_nl_bridge_add (struct mc_nl *nl, const char *name, mc_error_t *err);
/* Delete link NAME; a link that is not there is not an error.  */
int mc_nl_link_del (struct mc_nl *nl, const char *name, mc_error_t *err);
int mc_nl_link_up (struct mc_nl *nl, int ifindex, mc_error_t *err);

struct mc_veth
{
  const char *host_name;   /* stays in our namespace */
  int master;              /* bridge ifindex for the host end, or 0 */
  const char *peer_name;   /* created in PEER_NETNS_FD under this name */
  int peer_netns_fd;
  const uint8_t *peer_mac; /* 6 bytes, or NULL for a random one */
  unsigned mtu;            /* both ends; 0: the kernel's default */
};

/* Create the pair with the peer already in its namespace, and bring the
 * host end up.  */
int mc_nl_veth_add (struct mc_nl *nl, const struct mc_veth *v, mc_error_t *err);

/* A macvlan (bridge mode) on host interface PARENT_INDEX, created
 * directly in NETNS_FD under NAME, with MAC (or a random one) and MTU
 * (0: the parent's).  */
int mc_nl_macvlan_add (struct mc_nl *nl, int parent_index, const char *name, int netns_fd, const uint8_t *mac,
                       unsigned mtu, mc_error_t *err);

/* Whether interface NAME of this namespace is a bridge.  */
bool mc_nl_is_bridge (struct mc_nl *nl, const char *name);

/* IPv4 ADDR/PREFIX (with its broadcast address) on IFINDEX.  */
int mc_nl_addr4_add (struct mc_nl *nl, int ifindex, struct in_addr addr, unsigned prefix,
                     mc_error_t *err);
int mc_nl_addr4_del (struct mc_nl *nl, int ifindex, struct in_addr addr, unsigned prefix,
                     mc_error_t *err);
/* The default route through GW on IFINDEX.  */
int mc_nl_route4_default (struct mc_nl *nl, int ifindex, struct in_addr gw, mc_error_t *err);

/* IPv6 ADDR/PREFIX on IFINDEX, usable at once (no duplicate address
 * detection: minictr picked it).  */
int mc_nl_addr6_add (struct mc_nl *nl, int ifindex, const struct in6_addr *addr, unsigned prefix, mc_error_t *err);
int mc_nl_addr6_del (struct mc_nl *nl, int ifindex, const struct in6_addr *addr, unsigned prefix, mc_error_t *err);
/* The IPv6 default route through GW on IFINDEX.  */
int mc_nl_route6_default (struct mc_nl *nl, int ifindex, const struct in6_addr *gw, mc_error_t *err);

/* ---- dumps ------------------------------------------------------------ */

struct mc_nl_link
{
  int index;
  char name[16];
  char kind[16];     /* IFLA_INFO_KIND: "bridge", "veth", "" */
  unsigned flags;    /* IFF_* */
  unsigned mtu;
  int master;
  bool has_mac;
  uint8_t mac[6];
  bool loopback;
  uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};

struct mc_nl_addr
{
  int index;
  int family;        /* AF_INET or AF_INET6 */
  uint8_t addr[16];
  unsigned prefix;
  unsigned scope;    /* RT_SCOPE_* */
};

struct mc_nl_route
{
  uint32_t dst;      /* network byte order */
  unsigned prefix;
};

/* LXD's `addresses` of interface INDEX among ADDRS: [{family (inet or
 * inet6), address, netmask (the prefix length), scope (global, link or
 * local)}].  */
json_t *mc_nl_addrs_json (const struct mc_nl_addr *addrs, size_t n, int index);
/* "xx:xx:xx:xx:xx:xx" of L's MAC into BUF[18] ("" without one).  */
void mc_nl_mac_text (const struct mc_nl_link *l, char buf[18]);

/* Arrays are malloc'ed; free() them.  */
int mc_nl_links (struct mc_nl *nl, struct mc_nl_link **out, size_t *n, mc_error_t *err);
int mc_nl_addrs (struct mc_nl *nl, int family, struct mc_nl_addr **out, size_t *n,
                 mc_error_t *err);
/* IPv4 routes of every table (unicast, local, ...), the default ones too. */
int mc_nl_routes4 (struct mc_nl *nl, struct mc_nl_route **out, size_t *n, mc_error_t *err);

#endif
