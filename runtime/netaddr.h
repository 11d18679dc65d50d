/* Addresses and names of the network layer, parsed and checked with no
 * state behind them: IPv4 addresses and subnets, MAC addresses,
 * interface names and network names.  Used by the config validators
 * (runtime/device-config.c) as well as by networks and nics.  */
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

/* A network's name: it names an interface too (see runtime/network.h).  */
int mc_network_name_validate (const char *name, mc_error_t *err);
/* An interface name the kernel takes: 1-15 printable characters, no
 * `/`, `:` or blanks, not `.`, `..` or `lo`.  */
bool mc_ifname_valid (const char *s);
/* "xx:xx:xx:xx:xx:xx", unicast only: 0, or -1.  */
int mc_mac_parse (const char *s, uint8_t mac[6]);

#endif
