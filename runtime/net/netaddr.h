/* Addresses and names of the network layer, parsed and checked with no
 * state behind them: IPv4 addresses and subnets, MAC addresses,
 * interface names and network names.  Used by the config validators
 * (runtime/config/device-config.c) as well as by networks and nics.  */
#ifndef MINICTR_NETADDR_H
#define MINICTR_NETADDR_H

#include "lib/error.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mc_cidr4
{
  struct in_addr addr;   /* as written: the bridge's own address */
  unsigned prefix;
};

/* "A.B.C.D/P" (P 8 to 30, a host address of its subnet).  */
int mc_cidr4_parse (const char *s, struct mc_cidr4 *out, mc_error_t *err);
/* "A.B.C.D" alone.  */
int mc_ipv4_parse (const char *s, struct in_addr *out, mc_error_t *err);
bool mc_cidr4_contains (const struct mc_cidr4 *c, struct in_addr a);
/* The subnet as "A.B.C.0/P" into BUF (at least 20 bytes).  */
void mc_cidr4_subnet (const struct mc_cidr4 *c, char *buf, size_t len);
/* The netmask of PREFIX, host byte order.  */
uint32_t mc_ipv4_mask (unsigned prefix);

/* An IPv6 subnet of a network: always a /64 (SLAAC's size), ADDR the
 * bridge's own address in it.  */
struct mc_cidr6
{
  struct in6_addr addr;
  unsigned prefix;
};

/* "X:..:Y/64": a host address of its /64.  */
int mc_cidr6_parse (const char *s, struct mc_cidr6 *out, mc_error_t *err);
/* The subnet as "X:Y::/64" into BUF (INET6_ADDRSTRLEN + 4 bytes).  */
void mc_cidr6_subnet (const struct mc_cidr6 *c, char *buf, size_t len);
/* The address SLAAC gives MAC in C's /64 (the modified EUI-64 of RFC 4291).  */
void mc_ipv6_eui64 (const struct mc_cidr6 *c, const uint8_t mac[6], struct in6_addr *out);
/* A unique local /64 for RANDOM (7 bytes: global id and subnet), as LXD
 * picks: fdXX:XXXX:XXXX:XXXX::1/64.  */
void mc_ipv6_ula (const uint8_t random[7], struct mc_cidr6 *out);

/* A network's name: it names an interface too (see runtime/net/network.h).  */
int mc_network_name_validate (const char *name, mc_error_t *err);
/* An interface name the kernel takes: 1-15 printable characters, no
 * `/`, `:` or blanks, not `.`, `..` or `lo`.  */
bool mc_ifname_valid (const char *s);
/* "xx:xx:xx:xx:xx:xx", unicast only: 0, or -1.  */
int mc_mac_parse (const char *s, uint8_t mac[6]);
/* MAC as "xx:xx:xx:xx:xx:xx".  */
void mc_mac_text (const uint8_t mac[6], char buf[18]);

/* ---- picking: the pure part of choosing a subnet or an address ---------- */

/* Address ranges in use (host order), each with its prefix length.  */
struct mc_taken
{
  uint32_t *addr;
  unsigned *prefix;
  size_t n;
};
void mc_taken_add (struct mc_taken *t, uint32_t addr, unsigned prefix);
void mc_taken_release (struct mc_taken *t);
/* Whether the /24 NET24 (host order) meets any range in T: a range of
 * prefix below 24 covers every /24 inside it, a narrower one its /24.  */
bool mc_taken_overlaps24 (const struct mc_taken *t, uint32_t net24);

/* A free /24 for a new network, as A.B.C.1/24 (the bridge's address): the
 * first of 10.R.R.0/24 for the N random 16-bit RANDOMS that is free, else
 * the first free one of 10/8, 172.16/12 and 192.168/16 in order.  false
 * when every one is taken.  */
bool mc_subnet_pick (const struct mc_taken *t, const uint16_t *randoms, size_t n, struct mc_cidr4 *out);

/* A host address of SUBNET other than its network and broadcast
 * addresses and the bridge's own (SUBNET's address as written).  */
bool mc_ipv4_usable_host (const struct mc_cidr4 *subnet, struct in_addr a);
/* The lowest usable host address of SUBNET that HELD says is not held. */
bool mc_ipv4_lowest_free (const struct mc_cidr4 *subnet, bool (*held) (struct in_addr a, void *data), void *data,
                          struct in_addr *out);

#endif
