/* DHCP and DNS on a managed network, as LXD serves them: one dnsmasq per
 * network (Debian's dnsmasq-base), started and stopped by minictr, its
 * files in the run dir, /run/minictr[-<id>]/.networks/NAME/ (dnsmasq
 * reads them as nobody, which a state dir's path may not let through;
 * remade by the next start after a reboot):
 *
 *   dnsmasq.pid   its PID (dnsmasq writes it)
 *   dhcp-hosts    static leases, MAC,ADDRESS,NAME: the address minictr
 *                 gave each nic (nic.c), so a DHCP client in the image
 *                 gets exactly that one; nobody else gets any
 *   dns-hosts     ADDRESS NAME.DOMAIN NAME for every container
 *   leases        what dnsmasq handed out
 *
 * It listens on the bridge's address only, answers for the network's
 * domain and its containers' names, and forwards nothing: it never reads
 * the host's resolv.conf (--no-resolv), so no query goes further than
 * the bridge.  On a NAT network the DHCP answer also names the host's
 * nameservers, after the bridge, as /etc/resolv.conf does (nic.c).
 * dnsmasq drops to `nobody`; the files it reads are world-readable.  On
 * a systemd host it runs in a scope of its own (`<parent>_net-NAME.scope`:
 * the `_` keeps it apart from the containers' scopes, whose names have none),
 * not in the caller's session.  */
#ifndef MINICTR_DNSMASQ_H
#define MINICTR_DNSMASQ_H

#include "images/store.h"
#include "lib/error.h"
#include "runtime/net/netaddr.h"

#include <stdbool.h>

#include <jansson.h>
#include <netinet/in.h>

/* The network it serves.  */
struct mc_dnsmasq_net
{
  const char *name, *bridge, *domain;
  struct mc_cidr4 ipv4;  /* the bridge's address and prefix */
  bool nat;
  bool has_ipv6;         /* router advertisements (SLAAC) on its /64 */
  struct mc_cidr6 ipv6;
};

/* One static lease (and its SLAAC address, for DNS).  */
struct mc_dhcp_host
{
  char mac[18];
  struct in_addr addr;
  const char *name;
  bool has_addr6;
  struct in6_addr addr6;
};

/* Start dnsmasq for NET unless it runs (the networks lock held).  */
int mc_dnsmasq_ensure (struct mc_store *s, const struct mc_dnsmasq_net *net, mc_error_t *err);
/* Stop NAME's dnsmasq if it runs; with FORGET its files go too.  */
void mc_dnsmasq_stop (struct mc_store *s, const char *name, bool forget);
/* Rewrite NET's static leases and names (HOSTS, N of them) and have a
 * running dnsmasq read them again (SIGHUP).  */
int mc_dnsmasq_set_hosts (struct mc_store *s, const struct mc_dnsmasq_net *net, const struct mc_dhcp_host *hosts,
                          size_t n, mc_error_t *err);
/* Whether NAME's dnsmasq runs.  */
bool mc_dnsmasq_running (struct mc_store *s, const char *name);

#endif
