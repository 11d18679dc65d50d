/* The nftables side of minictr's networks: one table per state dir,
 * `inet minictr` (or `inet minictr-<id>` for another state dir, paths.h),
 * owned by minictr and rewritten whole, in one transaction, from the list
 * of networks whenever one is created, changed or deleted:
 *
 *   chain forward     (filter, hook forward)   accept to and from each bridge
 *   chain postrouting (nat, hook postrouting)  masquerade each subnet with
 *                                              ipv4.nat=true (ipv6.nat=true:
 *                                              its IPv6 /64 too)
 *
 * With no network left the table goes.  The forward rules are explicit so
 * that `nft list ruleset` shows what the networks need; they cannot
 * override another table's drop (every base chain of a hook sees the
 * packet), which is why mc_firewall_check() reports such drops instead.
 * libnftables is loaded on first use (lib/dl.c).  */
#ifndef MINICTR_FIREWALL_H
#define MINICTR_FIREWALL_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct mc_fw_net
{
  const char *name;    /* the network, for the rules' comments */
  const char *bridge;
  const char *subnet;  /* "10.1.2.0/24", or NULL without IPv4 */
  bool nat;
  const char *subnet6; /* "fd42:1:2:3::/64", or NULL without IPv6 */
  bool nat6;
};

/* A container's port on a bridge: its host end, and what it may send.
 * Every port drops IPv6 router advertisements (a container is never a
 * router for the host nor its neighbours); with MAC_FILTER, frames and ARP
 * must carry its own MAC; with IPV4_FILTER, IPv4 and ARP its own address
 * (and 802.1Q-tagged frames, which would carry either past the rules, are
 * dropped).  LXD's security.mac_filtering / security.ipv4_filtering, on
 * by default here.  The rules live in table `bridge minictr[-<id>]`: a
 * base chain at the bridge's prerouting hook looks the input port up in
 * sets (the ports, and the port . MAC and port . address pairs allowed).  */
struct mc_fw_port
{
  const char *host_name;
  const uint8_t *mac;        /* 6 bytes */
  const char *ipv4;          /* dotted quad, or NULL */
  bool mac_filter, ipv4_filter;
};

/* Put the port in the sets, before the container runs.  */
int mc_firewall_port_add (const struct mc_fw_port *p, mc_error_t *err);
/* Take it out again: its MAC and address as they were added (the filter
 * flags do not matter); what is not there is fine.  */
int mc_firewall_port_del (const struct mc_fw_port *p, mc_error_t *err);

/* "minictr" or "minictr-<id>".  */
const char *mc_firewall_table (mc_error_t *err);

/* Make the table say exactly NETS (N may be 0: no table).  */
int mc_firewall_sync (const struct mc_fw_net *nets, size_t n, mc_error_t *err);

/* Report, for network NET, what keeps its traffic from flowing: into
 * PROBLEMS (strings: a missing rule of ours, another table's chain that
 * drops forwarded or incoming traffic by default, ip_forward off while
 * NAT is wanted) and NOTES (strings: br_netfilter, legacy iptables).
 * Reads only; never changes a rule it does not own.  */
int mc_firewall_check (const struct mc_fw_net *net, json_t *problems, json_t *notes,
                       mc_error_t *err);

/* A proxy device with nat=true (proxy.h): connections to LISTEN_IP:PORT
 * (0.0.0.0: any local address but loopback) DNATed to CONNECT_IP:PORT,
 * the container's address, for traffic arriving and traffic the host
 * itself sends.  */
struct mc_fw_dnat
{
  const char *proto;        /* "tcp" or "udp" */
  const char *listen_ip;    /* dotted quad */
  unsigned listen_port;
  const char *connect_ip;
  unsigned connect_port;
};

/* Container NAME's DNAT rules: table `inet <table>-nat-NAME`, replaced
 * whole; N 0 removes it (a missing one is fine).  */
int mc_firewall_dnat (const char *name, const struct mc_fw_dnat *rules, size_t n, mc_error_t *err);

#endif
