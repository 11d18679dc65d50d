/* Managed networks (LXD's `lxc network`): a Linux bridge with an IPv4
 * subnet, optional NAT, and a DNS domain for the containers on it.
 *
 *   $MINICTR_DIR/networks/NAME.yaml   description, type: bridge, config
 *   $MINICTR_DIR/networks/.lock       flock: every change to a network and
 *                                     every address allocation (nic.c)
 *
 * The bridge's name is NAME for the default state dir and
 * `minictr<8 hex>` (a hash of the state id and NAME) for any other, so
 * test runs with private state dirs never meet each other or the real
 * networks; interface names have at most 15 characters, and so have
 * network names.  The bridge is made by `network create`, removed by
 * `network delete` only, and made again by a container's start if it went
 * (a host reboot).  Links and addresses: netlink.c; NAT and forwarding
 * rules: firewall.c.  */
#ifndef MINICTR_NETWORK_H
#define MINICTR_NETWORK_H

#include "images/store.h"
#include "lib/error.h"
#include "runtime/net/dnsmasq.h"
#include "runtime/net/netaddr.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>

#define MC_NETWORK_DEFAULT "minictrbr0"
#define MC_NETWORK_DOMAIN "minictr"

/* A network as the runtime uses it.  */
struct mc_network
{
  char name[16];
  char bridge[16];
  bool has_ipv4;
  struct mc_cidr4 ipv4;  /* the bridge's address: the containers' gateway */
  bool nat;
  bool has_ipv6;         /* ipv6.address: a /64, SLAAC's */
  struct mc_cidr6 ipv6;
  bool nat6;             /* ipv6.nat */
  bool dhcp;             /* ipv4.dhcp (default true, with an IPv4 subnet):
                            dnsmasq serves DHCP and DNS (dnsmasq.h) */
  bool managed;          /* false: a nic's host bridge minictr does not
                            manage, or a macvlan parent (nic.c) */
  bool macvlan;          /* BRIDGE is a macvlan's parent interface */
  char domain[254];
};

/* NET as its dnsmasq sees it (pointing into NET).  */
struct mc_dnsmasq_net mc_network_dnsmasq (const struct mc_network *net);

/* The bridge interface of network NAME (see above) into OUT[16].  */
int mc_network_bridge_name (const char *name, char out[16], mc_error_t *err);

/* Check KEY=VALUE for a network (ipv4.address may be `auto`: a free
 * subnet is picked when it is applied); the error names the expected
 * form.  */
int mc_network_validate_key (const char *key, const char *value, mc_error_t *err);

int mc_networks_lock (struct mc_store *s, mc_error_t *err);
bool mc_network_exists (struct mc_store *s, const char *name);
/* The document: description, type, config.  */
json_t *mc_network_load (struct mc_store *s, const char *name, mc_error_t *err);
int mc_network_get (struct mc_store *s, const char *name, struct mc_network *out, mc_error_t *err);
/* Sorted names.  */
json_t *mc_network_names (struct mc_store *s, mc_error_t *err);

/* CONFIG: key -> value strings (may be NULL); ipv4.address defaults to
 * `auto` (a free /24, see mc_network_pick_subnet), ipv4.nat to true,
 * ipv6.address to none, dns.domain to `minictr`.  Creates the bridge and
 * rewrites the firewall table; undone on failure.  */
int mc_network_create (struct mc_store *s, const char *name, const char *description,
                       json_t *config, mc_error_t *err);
/* Refused while a container or profile uses it (naming them).  */
int mc_network_delete (struct mc_store *s, const char *name, mc_error_t *err);

/* Set (VALUES) or unset (VALUES NULL) KEYS, or with REPLACE the whole
 * document (`network edit`); applied to the bridge and the firewall at
 * once, to the containers at their next start.  */
struct mc_network_change
{
  const char *const *keys;
  const char *const *values;
  size_t n;
  json_t *replace;
};
int mc_network_configure (struct mc_store *s, const char *name, const struct mc_network_change *c,
                          mc_error_t *err);

/* LXD's used_by: "/1.0/instances/NAME" and "/1.0/profiles/NAME".  */
json_t *mc_network_used_by (struct mc_store *s, const char *name, mc_error_t *err);

/* `network show`/`list`: the document with name, managed, status
 * (Created: the bridge is there; Unavailable: it is not), interface and
 * used_by.  */
json_t *mc_network_describe (struct mc_store *s, const char *name, mc_error_t *err);

/* At a container's start: make the bridge again (with its address and
 * the firewall table) if it is missing.  Takes the networks lock.  */
int mc_network_ensure (struct mc_store *s, const struct mc_network *net, mc_error_t *err);

/* A /24 in 10.0.0.0/8 (random, as LXD's), else in 172.16.0.0/12 or
 * 192.168.0.0/16, that overlaps no route (but the default ones), no
 * address of the host, no nameserver of /etc/resolv.conf and no other
 * network of this state dir.  */
int mc_network_pick_subnet (struct mc_store *s, struct mc_cidr4 *out, mc_error_t *err);

/* `network check`: {network, interface, ok: [..], problems: [..],
 * notes: [..]}.  */
json_t *mc_network_check (struct mc_store *s, const char *name, mc_error_t *err);

/* net.ipv4.ip_forward is 1.  */
bool mc_host_ip_forward (void);

/* LXD's `network info`: {name, interface, hwaddr, mtu, state, type,
 * addresses: [{family, address, netmask, scope}], counters: {bytes_received,
 * bytes_sent, packets_received, packets_sent}, bridge: {upper_devices:
 * [the bridge's ports]}} of the bridge as the kernel has it.  */
json_t *mc_network_info (struct mc_store *s, const char *name, mc_error_t *err);

#endif
