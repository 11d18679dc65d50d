/* `nic` devices: a container's network interface on a managed network
 * (network.h), LXD's `nictype: bridged`.
 *
 *   eth0:
 *     type: nic
 *     network: minictrbr0        (or nictype: bridged + parent: NETWORK,
 *                                or parent: a host bridge minictr does not
 *                                manage: no address, no DNS, the container
 *                                configures itself; or nictype: macvlan +
 *                                parent: a host interface)
 *     name: eth0                 the interface inside (default: the
 *                                device's name)
 *     hwaddr: 00:16:3e:..        default: random, kept in
 *                                volatile.<dev>.hwaddr
 *     ipv4.address: 10.x.y.z     default: the lowest free address of the
 *                                network, kept in volatile.<dev>.ipv4.address
 *     mtu: 1500
 *     security.mac_filtering: true    the container sends only with its
 *     security.ipv4_filtering: true   own MAC / IPv4 (firewall.h); LXD has
 *                                     both off by default, minictr on
 *
 * At start the CLI allocates and records the addresses (under the
 * networks lock, so two starts never get the same one) and renders
 * /etc/hosts (every container of the container's networks, by name and
 * name.<dns.domain>) and /etc/resolv.conf; the monitor, as host root in
 * the host's network namespace, creates each veth pair with its host end
 * (`mc<13 hex>`, derived from the state id, container and device) on the
 * bridge and its peer born inside the container's namespace, and there
 * sets it up with its address and the default route through the bridge,
 * before the container's init runs: no DHCP client needed.  The monitor
 * deletes the host ends when the container stops (the pair would die with
 * the namespace anyway, but asynchronously).  */
#ifndef MINICTR_NIC_H
#define MINICTR_NIC_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mc_nic
{
  char dev[65];         /* the device's name in the config */
  char ifname[16];      /* inside the container */
  char host_name[16];   /* the host end */
  char bridge[16];
  uint8_t mac[6];
  unsigned mtu;         /* 0: the kernel's default */
  bool has_ipv4;
  struct in_addr addr, gw;
  unsigned prefix;
  bool has_ipv6;        /* the network's /64: ADDR6 its SLAAC address */
  struct in6_addr addr6, gw6;
  bool mac_filter, ipv4_filter; /* security.mac_filtering / ipv4_filtering */
  bool macvlan;         /* nictype macvlan: BRIDGE is its parent, no host end */
  bool filtered;        /* its port gets a chain in the bridge table: on a
                           managed network always (the RA drop at least),
                           elsewhere only when a filter is asked for */
};


/* The host end's name for device DEV of container NAME.  */
int mc_nic_host_name (const char *name, const char *dev, char out[16], mc_error_t *err);

struct mc_nic_plan
{
  struct mc_nic *nics;
  size_t n;
  char *hosts;   /* /etc/hosts, or NULL without nics */
  char *resolv;  /* /etc/resolv.conf */
};

/* For the start of NAME (its lock held): make sure the networks' bridges
 * exist, allocate what is missing (MAC, IPv4 address), record it in
 * LOCAL's volatile keys and save LOCAL, and fill PLAN.  EXPANDED is the
 * stacked config.  A static address another container has is refused.  */
int mc_nic_prepare (struct mc_store *s, const char *name, json_t *local, json_t *expanded,
                    struct mc_nic_plan *plan, mc_error_t *err);
void mc_nic_plan_release (struct mc_nic_plan *plan);

/* Monitor side, once the container's first process PID exists (before
 * it runs anything of the container's).  */
int mc_nic_attach (const struct mc_nic *nics, size_t n, pid_t pid, mc_error_t *err);
/* Delete the host ends (a missing one is fine).  */
void mc_nic_detach (const struct mc_nic *nics, size_t n);

/* The same from the config, when the monitor is gone (lifecycle.c).  */
void mc_nic_cleanup (struct mc_store *s, const char *name);

/* After NAME started: rewrite /etc/hosts in the running containers that
 * share a network with it, so they resolve it too.  Best effort: a
 * container busy with another command (its lock held) is skipped.  */
void mc_nic_refresh_peers (struct mc_store *s, const char *name);

/* LXD's state.network of running container NAME (init PID): per
 * interface addresses, counters, hwaddr, host_name (from DEVICES, its
 * expanded devices), mtu, state, type.  NULL when it cannot be read (not
 * root).  Not FULL: {} when no interface has a global address (what
 * `list`'s address columns show).  */
json_t *mc_nic_state (const char *name, pid_t pid, json_t *devices, bool full);

/* `config` changes of container NAME (DOC: its new document, expanded):
 * the networks named exist and no static address is another container's. */
int mc_nic_check_config (struct mc_store *s, const char *name, json_t *doc, mc_error_t *err);

/* LXD's `network list-leases NAME`: every container address recorded on
 * the network, [{hostname, hwaddr, address, type: static|dynamic,
 * location}] (static: the device's own ipv4.address; dnsmasq hands each
 * out as a fixed lease either way).  */
json_t *mc_nic_leases (struct mc_store *s, const char *name, mc_error_t *err);

#endif
