#include "runtime/net/firewall.h"
#include "runtime/net/netaddr.h"
#include "lib/dl.h"
#include "lib/paths.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char table[32];

const char *
mc_firewall_table (mc_error_t *err)
{
  const char *id;

  if (table[0])
    return table;
  if ((id = mc_state_id (err)) == NULL)
    return NULL;
  snprintf (table, sizeof (table), *id ? "minictr-%s" : "minictr", id);
  return table;
}

/* Run CMDS (nft syntax, one transaction); with OUT, the output (JSON when
 * AS_JSON).  libnftables reports errors as text in its error buffer.  */
static int
nft_run (const char *cmds, bool as_json, char **out, mc_error_t *err)
{
  struct nft_ctx *ctx;
  int r;

  if (mc_dl_nftables (err) < 0)
    return -1;
  if ((ctx = sym_nft_ctx_new (NFT_CTX_DEFAULT)) == NULL)
    return mc_make_error (err, ENOMEM, "nftables context");
  sym_nft_ctx_buffer_output (ctx);
  sym_nft_ctx_buffer_error (ctx);
  if (as_json)
    sym_nft_ctx_output_set_flags (ctx, sym_nft_ctx_output_get_flags (ctx) | NFT_CTX_OUTPUT_JSON);
  r = sym_nft_run_cmd_from_buffer (ctx, cmds);
  if (r != 0)
    {
      cleanup_free char *msg = xstrdup (sym_nft_ctx_get_error_buffer (ctx));
      size_t len = strlen (msg);

      while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
      sym_nft_ctx_free (ctx);
      return mc_make_error (err, 0, "nftables: %s", *msg ? msg : "the command failed");
    }
  if (out)
    *out = xstrdup (sym_nft_ctx_get_output_buffer (ctx));
  sym_nft_ctx_free (ctx);
  return 0;
}

static void
append (char **buf, size_t *len, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
append (char **buf, size_t *len, const char *fmt, ...)
{
  va_list ap;
  char *piece;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&piece, fmt, ap);
  va_end (ap);
  if (n < 0)
    abort ();
  *buf = xrealloc (*buf, *len + (size_t) n + 1);
  memcpy (*buf + *len, piece, (size_t) n + 1);
  *len += (size_t) n;
  free (piece);
}

/* Names and subnets come from validated network configs (interface-name
 * characters, dotted quads): nothing here needs quoting beyond "".  */
int
mc_firewall_sync (const struct mc_fw_net *nets, size_t n, mc_error_t *err)
{
  const char *t = mc_firewall_table (err);
  cleanup_free char *cmds = NULL;
  size_t len = 0, i;
  bool any_nat = false;

  if (t == NULL)
    return -1;
  /* `add` then `delete` works whether or not the table exists.  */
  append (&cmds, &len, "add table inet %s\ndelete table inet %s\n", t, t);
  /* With no network, no port filter either.  */
  if (n == 0)
    append (&cmds, &len, "add table bridge %s\ndelete table bridge %s\n", t, t);
  if (n == 0)
    return nft_run (cmds, false, NULL, err) < 0 ? mc_error_prefix (err, "remove tables inet and bridge %s", t) : 0;
  append (&cmds, &len,
          "add table inet %s { comment \"minictr networks: rewritten by minictr\"; }\n"
          "add chain inet %s forward { type filter hook forward priority filter; policy accept; }\n",
          t, t);
  for (i = 0; i < n; i++)
    append (&cmds, &len,
            "add rule inet %s forward iifname \"%s\" accept comment \"network %s\"\n"
            "add rule inet %s forward oifname \"%s\" accept comment \"network %s\"\n",
            t, nets[i].bridge, nets[i].name, t, nets[i].bridge, nets[i].name);
  for (i = 0; i < n; i++)
    any_nat |= (nets[i].nat && nets[i].subnet) || (nets[i].nat6 && nets[i].subnet6);
  if (any_nat)
    append (&cmds, &len,
            "add chain inet %s postrouting { type nat hook postrouting priority srcnat; policy accept; }\n", t);
  for (i = 0; i < n; i++)
    if (nets[i].nat && nets[i].subnet)
      append (&cmds, &len,
              "add rule inet %s postrouting ip saddr %s ip daddr != %s masquerade comment \"network %s\"\n",
              t, nets[i].subnet, nets[i].subnet, nets[i].name);
  for (i = 0; i < n; i++)
    if (nets[i].nat6 && nets[i].subnet6)
      append (&cmds, &len,
              "add rule inet %s postrouting ip6 saddr %s ip6 daddr != %s masquerade comment \"network %s\"\n",
              t, nets[i].subnet6, nets[i].subnet6, nets[i].name);
  if (nft_run (cmds, false, NULL, err) < 0)
    return mc_error_prefix (err, "write table inet %s", t);
  return 0;
}

/* ---- container ports ---------------------------------------------------------- */

/* The table and its base chain, whose rules look the port a frame comes
 * in by up in sets: `ra_ports` (every port: its router advertisements
 * are dropped), `mac_ports` with `port_mac` (PORT . MAC it may send
 * with), `ip_ports` with `port_ip` (PORT . IPv4 it may send from; a port
 * with no address of its own may only ask one by DHCP).  Re-made on
 * every port command, which makes each idempotent.  The map `ports`
 * still sends the ports of containers that older versions started to
 * their chains, until they stop.  No chain per port:
 * an element that jumps to a chain has the kernel check the whole table
 * again (loops), every port's chain included, at each port added, and a
 * start would slow down as containers accumulate; set elements need no
 * such check.  */
static void
port_prologue (char **cmds, size_t *len, const char *t)
{
  append (cmds, len,
          "add table bridge %s { comment \"minictr container ports: managed by minictr\"; }\n"
          "add set bridge %s ra_ports { type ifname; }\n"
          "add set bridge %s mac_ports { type ifname; }\n"
          "add set bridge %s port_mac { type ifname . ether_addr; }\n"
          "add set bridge %s ip_ports { type ifname; }\n"
          "add set bridge %s port_ip { type ifname . ipv4_addr; }\n"
          "add map bridge %s ports { type ifname : verdict; }\n"
          "add chain bridge %s prerouting { type filter hook prerouting priority filter; policy accept; }\n"
          "flush chain bridge %s prerouting\n"
          "add rule bridge %s prerouting iifname vmap @ports comment \"ports of containers started by older "
          "versions, until they stop\"\n"
          "add rule bridge %s prerouting iifname @ra_ports icmpv6 type nd-router-advert drop comment \"no router "
          "advertisements from containers\"\n"
          "add rule bridge %s prerouting iifname @mac_ports ether type { 8021q, 8021ad } drop\n"
          "add rule bridge %s prerouting iifname @ip_ports ether type { 8021q, 8021ad } drop\n"
          "add rule bridge %s prerouting iifname @mac_ports iifname . ether saddr != @port_mac drop comment "
          "\"mac_filtering\"\n"
          "add rule bridge %s prerouting iifname @mac_ports iifname . arp saddr ether != @port_mac drop comment "
          "\"mac_filtering\"\n"
          "add rule bridge %s prerouting iifname @ip_ports iifname . arp saddr ip != @port_ip drop comment "
          "\"ipv4_filtering\"\n"
          "add rule bridge %s prerouting iifname @ip_ports ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 "
          "udp dport 67 accept comment \"ipv4_filtering: DHCP\"\n"
          "add rule bridge %s prerouting iifname @ip_ports iifname . ip saddr != @port_ip drop comment "
          "\"ipv4_filtering\"\n",
          t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t);
}

/* Whatever PORT had in the sets (`add` first: a delete of what is not
 * there fails the whole batch), and the chain and map element of older
 * versions.  */
static void
port_forget (char **cmds, size_t *len, const char *t, const char *host)
{
  append (cmds, len,
          "add element bridge %s ra_ports { \"%s\" }\n"
          "delete element bridge %s ra_ports { \"%s\" }\n"
          "add element bridge %s mac_ports { \"%s\" }\n"
          "delete element bridge %s mac_ports { \"%s\" }\n"
          "add element bridge %s ip_ports { \"%s\" }\n"
          "delete element bridge %s ip_ports { \"%s\" }\n"
          "add chain bridge %s port-%s\n"
          "add element bridge %s ports { \"%s\" : jump port-%s }\n"
          "delete element bridge %s ports { \"%s\" }\n"
          "flush chain bridge %s port-%s\n"
          "delete chain bridge %s port-%s\n",
          t, host, t, host, t, host, t, host, t, host, t, host, t, host, t, host, host, t, host, t, host, t, host);
}

/* P's pairs in port_mac and port_ip, whichever there are.  */
static void
forget_pairs (char **cmds, size_t *len, const char *t, const struct mc_fw_port *p, const char *mac)
{
  const char *ips[2] = { p->ipv4, "0.0.0.0" };
  size_t i;

  append (cmds, len,
          "add element bridge %s port_mac { \"%s\" . %s }\n"
          "delete element bridge %s port_mac { \"%s\" . %s }\n",
          t, p->host_name, mac, t, p->host_name, mac);
  for (i = 0; i < 2; i++)
    if (ips[i] && (i == 0 || p->ipv4 == NULL || strcmp (p->ipv4, ips[i]) != 0))
      append (cmds, len,
              "add element bridge %s port_ip { \"%s\" . %s }\n"
              "delete element bridge %s port_ip { \"%s\" . %s }\n",
              t, p->host_name, ips[i], t, p->host_name, ips[i]);
}

int
mc_firewall_port_add (const struct mc_fw_port *p, mc_error_t *err)
{
  const char *t = mc_firewall_table (err);
  cleanup_free char *cmds = NULL;
  char mac[18];
  size_t len = 0;

  if (t == NULL)
    return -1;
  mc_mac_text (p->mac, mac);
  port_prologue (&cmds, &len, t);
  port_forget (&cmds, &len, t, p->host_name);
  append (&cmds, &len, "add element bridge %s ra_ports { \"%s\" }\n", t, p->host_name);
  if (p->mac_filter)
    append (&cmds, &len,
            "add element bridge %s port_mac { \"%s\" . %s }\n"
            "add element bridge %s mac_ports { \"%s\" }\n",
            t, p->host_name, mac, t, p->host_name);
  if (p->ipv4_filter)
    append (&cmds, &len,
            "add element bridge %s port_ip { \"%s\" . %s }\n"
            "add element bridge %s ip_ports { \"%s\" }\n",
            t, p->host_name, p->ipv4 ? p->ipv4 : "0.0.0.0", t, p->host_name);
  if (nft_run (cmds, false, NULL, err) < 0)
    return mc_error_prefix (err, "filter for port %s (table bridge %s)", p->host_name, t);
  return 0;
}

int
mc_firewall_port_del (const struct mc_fw_port *p, mc_error_t *err)
{
  const char *t = mc_firewall_table (err);
  cleanup_free char *cmds = NULL;
  size_t len = 0;
  char mac[18];

  if (t == NULL)
    return -1;
  mc_mac_text (p->mac, mac);
  port_prologue (&cmds, &len, t);
  port_forget (&cmds, &len, t, p->host_name);
  forget_pairs (&cmds, &len, t, p, mac);
  if (nft_run (cmds, false, NULL, err) < 0)
    return mc_error_prefix (err, "remove the filter of port %s (table bridge %s)", p->host_name, t);
  return 0;
}

/* ---- proxy devices with nat=true --------------------------------------------------- */

int
mc_firewall_dnat (const char *name, const struct mc_fw_dnat *rules, size_t n, mc_error_t *err)
{
  const char *base = mc_firewall_table (err);
  cleanup_free char *cmds = NULL, *t = NULL;
  size_t len = 0, i;

  if (base == NULL)
    return -1;
  t = xasprintf ("%s-nat-%s", base, name);
  append (&cmds, &len, "add table inet %s\ndelete table inet %s\n", t, t);
  if (n > 0)
    append (&cmds, &len,
            "add table inet %s { comment \"minictr proxy devices of container %s (nat=true)\"; }\n"
            "add chain inet %s prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
            "add chain inet %s output { type nat hook output priority -100; policy accept; }\n",
            t, name, t, t);
  for (i = 0; i < n; i++)
    {
      const struct mc_fw_dnat *r = &rules[i];
      cleanup_free char *match = strcmp (r->listen_ip, "0.0.0.0") == 0
                                     ? xstrdup ("fib daddr type local ip daddr != 127.0.0.0/8")
                                     : xasprintf ("ip daddr %s", r->listen_ip);

      append (&cmds, &len,
              "add rule inet %s prerouting %s %s dport %u dnat ip to %s:%u\n"
              "add rule inet %s output %s %s dport %u dnat ip to %s:%u\n",
              t, match, r->proto, r->listen_port, r->connect_ip, r->connect_port, t, match, r->proto,
              r->listen_port, r->connect_ip, r->connect_port);
    }
  if (nft_run (cmds, false, NULL, err) < 0)
    return mc_error_prefix (err, "proxy devices of `%s` (table inet %s)", name, t);
  return 0;
}

/* ---- checks ------------------------------------------------------------------ */

static int
read_sysctl (const char *path)
{
  char buf[16] = "";
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0)
    return -1;
  return atoi (buf);
}

static bool
rule_contains (json_t *rule, const char *needle)
{
  cleanup_free char *text = json_dumps (json_object_get (rule, "expr"), JSON_COMPACT);

  return text && strstr (text, needle) != NULL;
}

/* Our table: a forward rule naming the bridge, and the masquerade for the
 * subnet when NAT is on.  */
static void
check_ours (json_t *items, const char *t, const struct mc_fw_net *net, json_t *problems)
{
  cleanup_free char *quoted = xasprintf ("\"%s\"", net->bridge);
  cleanup_free char *prefix = xstrndup (net->subnet ? net->subnet : "", strcspn (net->subnet ? net->subnet : "", "/"));
  bool fwd = false, nat = false;
  json_t *item, *r;
  size_t i;

  json_array_foreach (items, i, item)
    {
      if ((r = json_object_get (item, "rule")) == NULL
          || strcmp (json_string_value (json_object_get (r, "table")) ?: "", t) != 0)
        continue;
      if (strcmp (json_string_value (json_object_get (r, "chain")) ?: "", "forward") == 0
          && rule_contains (r, quoted))
        fwd = true;
      if (strcmp (json_string_value (json_object_get (r, "chain")) ?: "", "postrouting") == 0 && net->subnet
          && rule_contains (r, "masquerade") && rule_contains (r, prefix))
        nat = true;
    }
  if (!fwd)
    json_array_append_new (problems, json_sprintf ("table inet %s has no forward rules for bridge %s "
                                                   "(run `minictr network set` on it to rewrite them)",
                                                   t, net->bridge));
  if (net->nat && net->subnet && !nat)
    json_array_append_new (problems, json_sprintf ("table inet %s has no masquerade rule for %s", t,
                                                   net->subnet));
}

/* Base chains of other tables whose policy drops what the network needs:
 * forwarded traffic (containers to the outside; with br_netfilter also
 * container to container) and incoming traffic (containers to the host). */
static void
check_others (json_t *items, const char *t, json_t *problems)
{
  json_t *item, *c;
  size_t i;

  json_array_foreach (items, i, item)
    {
      const char *fam, *tab, *hook, *policy;

      if ((c = json_object_get (item, "chain")) == NULL)
        continue;
      fam = json_string_value (json_object_get (c, "family")) ?: "";
      tab = json_string_value (json_object_get (c, "table")) ?: "";
      hook = json_string_value (json_object_get (c, "hook"));
      policy = json_string_value (json_object_get (c, "policy"));
      if (hook == NULL || policy == NULL || strcmp (policy, "drop") != 0)
        continue;
      if (strcmp (fam, "inet") == 0 && strcmp (tab, t) == 0)
        continue;
      if (strcmp (fam, "ip") && strcmp (fam, "inet") && strcmp (fam, "bridge"))
        continue;
      if (strcmp (hook, "forward") == 0)
        json_array_append_new (problems,
                               json_sprintf ("table %s %s, chain %s drops forwarded traffic by default "
                                             "(policy drop): containers cannot reach beyond the host%s unless "
                                             "that table accepts the bridge's traffic",
                                             fam, tab, json_string_value (json_object_get (c, "name")),
                                             strcmp (fam, "bridge") == 0 ? " nor each other" : ""));
      else if (strcmp (hook, "input") == 0)
        json_array_append_new (problems,
                               json_sprintf ("table %s %s, chain %s drops incoming traffic by default "
                                             "(policy drop): containers may not reach the host's bridge address",
                                             fam, tab, json_string_value (json_object_get (c, "name"))));
    }
}

int
mc_firewall_check (const struct mc_fw_net *net, json_t *problems, json_t *notes, mc_error_t *err)
{
  const char *t = mc_firewall_table (err);
  cleanup_free char *out = NULL;
  json_error_t jerr;
  json_t *doc, *items;
  int v;

  if (t == NULL || nft_run ("list ruleset", true, &out, err) < 0)
    return -1;
  doc = json_loads (*out ? out : "{\"nftables\": []}", 0, &jerr);
  if (doc == NULL)
    return mc_make_error (err, 0, "nftables: unreadable JSON ruleset: %s", jerr.text);
  items = json_object_get (doc, "nftables");
  check_ours (items, t, net, problems);
  check_others (items, t, problems);
  json_decref (doc);
  v = read_sysctl ("/proc/sys/net/ipv4/ip_forward");
  if (net->nat && v == 0)
    json_array_append_new (problems, json_string ("net.ipv4.ip_forward is 0: with ipv4.nat=true the host does not "
                                                  "forward the containers' traffic (sysctl -w net.ipv4.ip_forward=1; "
                                                  "minictr leaves host sysctls alone)"));
  if (read_sysctl ("/proc/sys/net/bridge/bridge-nf-call-iptables") == 1)
    json_array_append_new (notes, json_string ("br_netfilter is on (net.bridge.bridge-nf-call-iptables=1): "
                                               "traffic between containers on one bridge also passes the "
                                               "forward hook of every table"));
  {
    cleanup_free char *names = NULL;
    size_t len;
    mc_error_t e = NULL;

    if (mc_read_file_at (AT_FDCWD, "/proc/net/ip_tables_names", 4096, &names, &len, &e) == 0 && len > 0)
      json_array_append_new (notes, json_string ("legacy iptables tables are loaded (/proc/net/ip_tables_names): "
                                                 "their rules are not inspected here"));
    mc_error_release (&e);
  }
  return 0;
}
