#include "runtime/net/network.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/net/firewall.h"
#include "runtime/net/netlink.h"
#include "lib/paths.h"
#include "lib/testhook.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- names and keys ------------------------------------------------------------- */

struct mc_dnsmasq_net
mc_network_dnsmasq (const struct mc_network *net)
{
  return (struct mc_dnsmasq_net) { net->name, net->bridge, net->domain, net->ipv4, net->nat, net->has_ipv6,
                                   net->ipv6 };
}

int
mc_network_bridge_name (const char *name, char out[16], mc_error_t *err)
{
  const char *id = mc_state_id (err);
  cleanup_free char *key = NULL;

  if (id == NULL || mc_network_name_validate (name, err) < 0)
    return -1;
  if (*id == '\0')
    {
      snprintf (out, 16, "%s", name);
      return 0;
    }
  key = xasprintf ("%s/%s", id, name);
  snprintf (out, 16, "minictr%08" PRIx32, (uint32_t) (mc_hash64 (key) >> 32));
  return 0;
}

static bool
valid_domain (const char *d)
{
  size_t label = 0, len = strlen (d);

  if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
    return false;
  for (; *d; d++)
    {
      if (*d == '.')
        {
          if (label == 0)
            return false;
          label = 0;
          continue;
        }
      if (!isalnum ((unsigned char) *d) && *d != '-')
        return false;
      if (++label > 63)
        return false;
    }
  return true;
}

int
mc_network_validate_key (const char *key, const char *value, mc_error_t *err)
{
  struct mc_cidr4 c;
  if (strcmp (key, "ipv4.address") == 0)
    {
      if (strcmp (value, "auto") == 0 || strcmp (value, "none") == 0)
        return 0;
      if (mc_cidr4_parse (value, &c, err) < 0)
        return mc_error_prefix (err, "invalid value for `ipv4.address` (auto, none or A.B.C.D/P)");
      return 0;
    }
  if (strcmp (key, "ipv4.nat") == 0 || strcmp (key, "ipv4.dhcp") == 0)
    {
      if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
        return 0;
      return mc_make_error (err, 0, "invalid value `%s` for `%s`: expected true or false", value, key);
    }
  if (strcmp (key, "ipv6.address") == 0)
    {
      struct mc_cidr6 c6;

      if (strcmp (value, "none") == 0 || strcmp (value, "auto") == 0)
        return 0;
      if (mc_cidr6_parse (value, &c6, err) < 0)
        return mc_error_prefix (err, "invalid value for `ipv6.address` (auto, none or X:Y::Z/64)");
      return 0;
    }
  if (strcmp (key, "ipv6.nat") == 0)
    {
      if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
        return 0;
      return mc_make_error (err, 0, "invalid value `%s` for `ipv6.nat`: expected true or false", value);
    }
  if (strcmp (key, "dns.domain") == 0)
    {
      if (valid_domain (value))
        return 0;
      return mc_make_error (err, 0, "invalid value `%s` for `dns.domain`: expected a domain name such as lab.local",
                            value);
    }
  if (mc_str_has_prefix (key, "user.") && key[5] != '\0')
    return 0;
  return mc_make_error (err, 0, "unknown network key `%s` (ipv4.address, ipv4.nat, ipv4.dhcp, ipv6.address, "
                        "ipv6.nat, dns.domain, user.*)", key);
}

/* ---- files ------------------------------------------------------------------------ */

int
mc_networks_lock (struct mc_store *s, mc_error_t *err)
{
  cleanup_close int dfd = mc_store_subdir (s, "networks", 0711, err);

  return dfd < 0 ? -1 : mc_lock_at (dfd, ".lock", true, false, err);
}

bool
mc_network_exists (struct mc_store *s, const char *name)
{
  cleanup_free char *file = xasprintf ("networks/%s.yaml", name);
  mc_error_t e = NULL;

  if (mc_network_name_validate (name, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  return faccessat (s->rootfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

json_t *
mc_network_load (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int dfd = -1;
  cleanup_free char *file = NULL, *buf = NULL;
  json_t *doc;
  size_t len;

  if (mc_network_name_validate (name, err) < 0 || (dfd = mc_store_subdir (s, "networks", 0711, err)) < 0)
    return NULL;
  file = xasprintf ("%s.yaml", name);
  if (mc_read_file_at (dfd, file, 1 << 20, &buf, &len, err) < 0)
    {
      if ((*err)->status == ENOENT)
        {
          mc_error_release (err);
          mc_make_error (err, 0, "network `%s` not found", name);
        }
      return NULL;
    }
  if ((doc = mc_yaml_load_mapping (buf, len, file, err)) == NULL)
    {
      mc_error_prefix (err, "network `%s`", name);
      return NULL;
    }
  if (!json_is_object (json_object_get (doc, "config")))
    json_object_set_new (doc, "config", json_object ());
  if (!json_is_string (json_object_get (doc, "description")))
    json_object_set_new (doc, "description", json_string (""));
  json_object_set_new (doc, "type", json_string ("bridge"));
  return doc;
}

static int
network_save (struct mc_store *s, const char *name, json_t *doc, mc_error_t *err)
{
  cleanup_close int dfd = mc_store_subdir (s, "networks", 0711, err);
  cleanup_free char *file = xasprintf ("%s.yaml", name), *buf = NULL;
  json_t *out;
  size_t len;
  int ret;

  if (dfd < 0)
    return -1;
  out = json_pack ("{s:O, s:s, s:O}", "description", json_object_get (doc, "description"), "type", "bridge",
                   "config", json_object_get (doc, "config"));
  ret = mc_yaml_dump (out, &buf, &len, err);
  json_decref (out);
  return ret < 0 ? -1 : mc_write_file_atomic_at (dfd, file, buf, len, 0600, err);
}

json_t *
mc_network_names (struct mc_store *s, mc_error_t *err)
{
  cleanup_close int dfd = mc_store_subdir_if_any (s, "networks");
  cleanup_free char *what = NULL;

  if (dfd < 0 && errno == ENOENT)
    return json_array ();
  if (dfd < 0)
    return mc_make_error (err, errno, "open `%s/networks`", s->root), NULL;
  what = xasprintf ("%s/networks", s->root);
  return mc_yaml_names_at (dfd, what, err);
}

static int
from_doc (const char *name, json_t *doc, struct mc_network *out, mc_error_t *err)
{
  json_t *config = json_object_get (doc, "config");
  const char *v4 = json_string_value (json_object_get (config, "ipv4.address"));
  const char *nat = json_string_value (json_object_get (config, "ipv4.nat"));
  const char *dom = json_string_value (json_object_get (config, "dns.domain"));

  memset (out, 0, sizeof (*out));
  snprintf (out->name, sizeof (out->name), "%s", name);
  if (mc_network_bridge_name (name, out->bridge, err) < 0)
    return -1;
  if (v4 && strcmp (v4, "none") != 0)
    {
      if (mc_cidr4_parse (v4, &out->ipv4, err) < 0)
        return mc_error_prefix (err, "network `%s`: ipv4.address", name);
      out->has_ipv4 = true;
    }
  out->managed = true;
  out->nat = nat && strcmp (nat, "true") == 0;
  {
    const char *v6 = json_string_value (json_object_get (config, "ipv6.address"));
    const char *nat6 = json_string_value (json_object_get (config, "ipv6.nat"));

    if (v6 && strcmp (v6, "none") != 0 && strcmp (v6, "auto") != 0)
      {
        if (mc_cidr6_parse (v6, &out->ipv6, err) < 0)
          return mc_error_prefix (err, "network `%s`: ipv6.address", name);
        out->has_ipv6 = true;
      }
    out->nat6 = out->has_ipv6 && nat6 && strcmp (nat6, "true") == 0;
  }
  {
    const char *dhcp = json_string_value (json_object_get (config, "ipv4.dhcp"));

    out->dhcp = out->has_ipv4 && !(dhcp && strcmp (dhcp, "false") == 0);
  }
  snprintf (out->domain, sizeof (out->domain), "%s", dom && valid_domain (dom) ? dom : MC_NETWORK_DOMAIN);
  return 0;
}

int
mc_network_get (struct mc_store *s, const char *name, struct mc_network *out, mc_error_t *err)
{
  json_t *doc = mc_network_load (s, name, err);
  int ret;

  if (doc == NULL)
    return -1;
  ret = from_doc (name, doc, out, err);
  json_decref (doc);
  return ret;
}

/* ---- the kernel side ------------------------------------------------------------- */

/* Every network of the store into the firewall table, EXCEPT_NAME left
 * out and EXTRA (may be NULL) put in: the state the table must have
 * after the change being made.  */
static int
sync_firewall (struct mc_store *s, const char *except_name, const struct mc_network *extra, mc_error_t *err)
{
  json_t *names = mc_network_names (s, err), *n;
  struct mc_network *nets;
  struct mc_fw_net *fw;
  char (*subnets)[24];
  char (*subnets6)[INET6_ADDRSTRLEN + 4];
  size_t i, k = 0;
  int ret = 0;

  if (names == NULL)
    return -1;
  subnets6 = xmalloc0 (sizeof (*subnets6) * (json_array_size (names) + 1));
  nets = xmalloc0 (sizeof (*nets) * (json_array_size (names) + 1));
  fw = xmalloc0 (sizeof (*fw) * (json_array_size (names) + 1));
  subnets = xmalloc0 (sizeof (*subnets) * (json_array_size (names) + 1));
  json_array_foreach (names, i, n)
    {
      const char *name = json_string_value (n);

      if ((except_name && strcmp (name, except_name) == 0) || (extra && strcmp (name, extra->name) == 0))
        continue;
      if (mc_network_get (s, name, &nets[k], err) < 0)
        {
          ret = -1;
          break;
        }
      k++;
    }
  if (ret == 0 && extra)
    nets[k++] = *extra;
  for (i = 0; ret == 0 && i < k; i++)
    {
      fw[i].name = nets[i].name;
      fw[i].bridge = nets[i].bridge;
      if (nets[i].has_ipv4)
        {
          mc_cidr4_subnet (&nets[i].ipv4, subnets[i], sizeof (subnets[i]));
          fw[i].subnet = subnets[i];
        }
      fw[i].nat = nets[i].nat;
      if (nets[i].has_ipv6)
        {
          mc_cidr6_subnet (&nets[i].ipv6, subnets6[i], sizeof (subnets6[i]));
          fw[i].subnet6 = subnets6[i];
        }
      fw[i].nat6 = nets[i].nat6;
    }
  if (ret == 0)
    ret = mc_firewall_sync (fw, k, err);
  free (subnets);
  free (subnets6);
  free (fw);
  free (nets);
  json_decref (names);
  return ret;
}

/* minictr's networks are IPv4 only (ipv6.address: none): the bridge gets
 * no IPv6 at all, so a router advertisement a container sends can give
 * the host neither an address nor a route.  Nothing to do on a host
 * without IPv6.  */
static int
no_ipv6 (const char *bridge, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/sys/net/ipv6/conf/%s/disable_ipv6", bridge);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || mc_write_all (fd, "1", 1) < 0)
    return mc_make_error (err, errno, "disable IPv6 on bridge `%s` (`%s`)", bridge, path);
  return 0;
}

static int
write_sysctl (const char *path, const char *v, mc_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || mc_write_all (fd, v, strlen (v)) < 0)
    return mc_make_error (err, errno, "write `%s`", path);
  return 0;
}

/* With ipv6.address the bridge has IPv6 and its /64, but takes no router
 * advertisement (accept_ra 0: a container's could not configure it even
 * past the port filters) and makes no address of its own from one
 * (autoconf 0); without, IPv6 stays off (no_ipv6).  */
static int
set_ipv6 (const struct mc_network *net, mc_error_t *err)
{
  cleanup_free char *base = xasprintf ("/proc/sys/net/ipv6/conf/%s", net->bridge);
  cleanup_free char *ra = xasprintf ("%s/accept_ra", base), *ac = xasprintf ("%s/autoconf", base);
  cleanup_free char *off = xasprintf ("%s/disable_ipv6", base);

  if (!net->has_ipv6)
    return no_ipv6 (net->bridge, err);
  if (access (base, F_OK) < 0)
    return mc_make_error (err, 0, "network `%s`: ipv6.address needs IPv6, which this host does not have",
                          net->name);
  if (write_sysctl (ra, "0", err) < 0 || write_sysctl (ac, "0", err) < 0 || write_sysctl (off, "0", err) < 0)
    return mc_error_prefix (err, "bridge `%s`", net->bridge);
  return 0;
}

/* The bridge, up, with its address.  */
static int
make_bridge (struct mc_nl *nl, const struct mc_network *net, mc_error_t *err)
{
  int idx;

  if (mc_nl_bridge_add (nl, net->bridge, err) < 0)
    return -1;
  if ((idx = mc_nl_link_index (nl, net->bridge, err)) <= 0)
    return idx < 0 ? -1 : mc_make_error (err, ENODEV, "bridge `%s` vanished", net->bridge);
  if (set_ipv6 (net, err) < 0)
    return -1;
  if (net->has_ipv4 && mc_nl_addr4_add (nl, idx, net->ipv4.addr, net->ipv4.prefix, err) < 0)
    return mc_error_prefix (err, "bridge `%s`", net->bridge);
  if (net->has_ipv6 && mc_nl_addr6_add (nl, idx, &net->ipv6.addr, 64, err) < 0)
    return mc_error_prefix (err, "bridge `%s`", net->bridge);
  return 0;
}

static void
remove_bridge (struct mc_nl *nl, const char *bridge)
{
  mc_error_t e = NULL;

  if (mc_nl_link_del (nl, bridge, &e) < 0)
    mc_error_release (&e);
}

int
mc_network_ensure (struct mc_store *s, const struct mc_network *net, mc_error_t *err)
{
  struct mc_nl nl = { 0 };
  cleanup_close int lock = -1;
  int idx, ret = 0;

  /* A host bridge or interface minictr does not manage: there or not.  */
  if (!net->managed)
    {
      if (mc_nl_open (&nl, err) < 0)
        return -1;
      idx = mc_nl_link_index (&nl, net->bridge, err);
      mc_nl_close (&nl);
      if (idx == 0)
        return mc_make_error (err, 0, "host interface `%s` does not exist", net->bridge);
      return idx < 0 ? -1 : 0;
    }

  if (mc_nl_open (&nl, err) < 0)
    return -1;
  if ((idx = mc_nl_link_index (&nl, net->bridge, err)) != 0 && (idx < 0 || !net->dhcp || mc_dnsmasq_running (s, net->name)))
    {
      mc_nl_close (&nl);
      return idx < 0 ? -1 : 0;
    }
  /* Missing (a host reboot, or someone deleted it): as `network create`
   * made it, under the lock so that two starts do it once.  */
  if ((lock = mc_networks_lock (s, err)) < 0 || (idx = mc_nl_link_index (&nl, net->bridge, err)) < 0)
    ret = -1;
  else if (idx == 0)
    {
      ret = make_bridge (&nl, net, err);
      if (ret == 0)
        ret = sync_firewall (s, NULL, NULL, err);
      if (ret < 0)
        remove_bridge (&nl, net->bridge);
    }
  /* Its dnsmasq, gone with a reboot, or never started by an older
   * minictr.  */
  if (ret == 0 && net->dhcp)
    {
      struct mc_dnsmasq_net dm = mc_network_dnsmasq (net);

      ret = mc_dnsmasq_ensure (s, &dm, err);
    }
  mc_nl_close (&nl);
  return ret < 0 ? mc_error_prefix (err, "network `%s`", net->name) : 0;
}

/* ---- a free subnet ------------------------------------------------------------------ */

static void
take_nameservers (struct mc_taken *t)
{
  cleanup_free char *buf = NULL;
  char *line, *save = NULL;
  mc_error_t e = NULL;
  size_t len;

  if (mc_read_file_at (AT_FDCWD, "/etc/resolv.conf", 1 << 16, &buf, &len, &e) < 0)
    {
      mc_error_release (&e);
      return;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char ip[64];
      struct in_addr a;

      if (sscanf (line, " nameserver %63s", ip) == 1 && inet_pton (AF_INET, ip, &a) == 1)
        mc_taken_add (t, ntohl (a.s_addr), 32);
    }
}

static int
take_host (struct mc_taken *t, mc_error_t *err)
{
  struct mc_nl nl = { 0 };
  struct mc_nl_route *routes = NULL;
  struct mc_nl_addr *addrs = NULL;
  size_t nr = 0, na = 0, i;
  int ret;

  if (mc_nl_open (&nl, err) < 0)
    return -1;
  ret = mc_nl_routes4 (&nl, &routes, &nr, err);
  if (ret == 0)
    ret = mc_nl_addrs (&nl, AF_INET, &addrs, &na, err);
  mc_nl_close (&nl);
  /* Default routes cover everything and say nothing about what is used. */
  for (i = 0; i < nr; i++)
    if (routes[i].prefix > 0)
      mc_taken_add (t, ntohl (routes[i].dst), routes[i].prefix);
  for (i = 0; i < na; i++)
    {
      uint32_t a;

      memcpy (&a, addrs[i].addr, 4);
      mc_taken_add (t, ntohl (a), addrs[i].prefix);
    }
  free (routes);
  free (addrs);
  return ret;
}

static void
take_networks (struct mc_store *s, struct mc_taken *t)
{
  mc_error_t e = NULL;
  json_t *names = mc_network_names (s, &e), *n;
  size_t i;

  mc_error_release (&e);
  json_array_foreach (names, i, n)
    {
      struct mc_network net;

      if (mc_network_get (s, json_string_value (n), &net, &e) == 0 && net.has_ipv4)
        mc_taken_add (t, ntohl (net.ipv4.addr.s_addr), net.ipv4.prefix);
      mc_error_release (&e);
    }
  json_decref (names);
}

int
mc_network_pick_subnet (struct mc_store *s, struct mc_cidr4 *out, mc_error_t *err)
{
  struct mc_taken t = { NULL, NULL, 0 };
  uint16_t randoms[64];
  size_t nrand;
  bool found;

  if (take_host (&t, err) < 0)
    {
      mc_taken_release (&t);
      return -1;
    }
  take_nameservers (&t);
  take_networks (s, &t);
  /* Random first, as LXD does: two hosts (or two test runs) rarely pick
   * the same one.  */
  nrand = getrandom (randoms, sizeof (randoms), 0) == (ssize_t) sizeof (randoms) ? 64 : 0;
  found = mc_subnet_pick (&t, randoms, nrand, out);
  mc_taken_release (&t);
  if (!found)
    return mc_make_error (err, 0, "no free /24 in the private ranges: set ipv4.address to a subnet yourself");
  return 0;
}

static int
resolve_auto (struct mc_store *s, json_t *config, mc_error_t *err)
{
  const char *v4 = json_string_value (json_object_get (config, "ipv4.address"));
  const char *v6 = json_string_value (json_object_get (config, "ipv6.address"));
  struct mc_cidr4 c;
  char ip[INET6_ADDRSTRLEN];

  /* ipv6.address=auto: a unique local /64 of random bits (RFC 4193), as
   * LXD picks; a clash with another network's is astronomically unlikely
   * and refused by check_subnet_free anyway.  */
  if (v6 && strcmp (v6, "auto") == 0)
    {
      uint8_t r[7];
      struct mc_cidr6 c6;

      if (getrandom (r, sizeof (r), 0) != (ssize_t) sizeof (r))
        return mc_make_error (err, errno, "getrandom");
      mc_ipv6_ula (r, &c6);
      inet_ntop (AF_INET6, &c6.addr, ip, sizeof (ip));
      json_object_set_new (config, "ipv6.address", json_sprintf ("%s/64", ip));
    }
  if (v4 && strcmp (v4, "auto") != 0)
    return 0;
  if (mc_network_pick_subnet (s, &c, err) < 0)
    return -1;
  inet_ntop (AF_INET, &c.addr, ip, sizeof (ip));
  json_object_set_new (config, "ipv4.address", json_sprintf ("%s/%u", ip, c.prefix));
  return 0;
}

/* ---- create, delete, change --------------------------------------------------------- */

static bool
known_key (const char *key)
{
  return strcmp (key, "ipv4.address") == 0 || strcmp (key, "ipv4.nat") == 0 || strcmp (key, "ipv4.dhcp") == 0
         || strcmp (key, "ipv6.address") == 0 || strcmp (key, "ipv6.nat") == 0
         || strcmp (key, "dns.domain") == 0 || (mc_str_has_prefix (key, "user.") && key[5] != '\0');
}

static int
validate_config (json_t *config, mc_error_t *err)
{
  const char *key;
  json_t *v;

  if (!json_is_object (config))
    return mc_make_error (err, 0, "`config` must be a mapping of keys to values");
  json_object_foreach (config, key, v)
    {
      if (!json_is_string (v))
        return mc_make_error (err, 0, "network key `%s`: expected a string value", key);
      if (mc_network_validate_key (key, json_string_value (v), err) < 0)
        return -1;
    }
  return 0;
}

static void
set_default (json_t *config, const char *key, const char *value)
{
  if (json_object_get (config, key) == NULL)
    json_object_set_new (config, key, json_string (value));
}

/* No other network of the store may share the subnet.  */
static int
check_subnet_free (struct mc_store *s, const struct mc_network *net, mc_error_t *err)
{
  json_t *names = mc_network_names (s, err), *n;
  size_t i;
  int ret = 0;

  if (names == NULL)
    return -1;
  json_array_foreach (names, i, n)
    {
      struct mc_network other;
      mc_error_t e = NULL;

      if (strcmp (json_string_value (n), net->name) == 0)
        continue;
      if (mc_network_get (s, json_string_value (n), &other, &e) < 0)
        {
          mc_error_release (&e);
          continue;
        }
      if (other.has_ipv4 && net->has_ipv4
          && (mc_cidr4_contains (&other.ipv4, net->ipv4.addr) || mc_cidr4_contains (&net->ipv4, other.ipv4.addr)))
        {
          ret = mc_make_error (err, 0, "ipv4.address overlaps network `%s`", other.name);
          break;
        }
    }
  json_decref (names);
  return ret;
}

/* networks/.creating-NAME holds the bridge a create of NAME is making,
 * from before the bridge exists until NAME.yaml is saved or everything
 * is rolled back: a create killed in between leaves it, and whoever
 * takes the networks lock next rolls that create back (the bridge, its
 * dnsmasq and its rules go), or, with NAME.yaml saved, just drops it.  */
#define CREATING ".creating-"

static void
finish_interrupted_creates (struct mc_store *s)
{
  cleanup_close int dfd = mc_store_subdir (s, "networks", 0711, NULL);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (dfd < 0 || (d = mc_opendir_at (dfd, ".")) == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      const char *name = de->d_name + strlen (CREATING);
      cleanup_free char *bridge = NULL;
      struct mc_nl nl = { 0 };
      mc_error_t e = NULL;
      size_t len;

      char expect[16];
      bool done = false;

      /* (a `.creating-NAME.tmp-PID` is the atomic write's own temp file) */
      if (!mc_str_has_prefix (de->d_name, CREATING) || strstr (name, ".tmp-") != NULL
          || mc_network_name_validate (name, &e) < 0)
        {
          mc_error_release (&e);
          continue;
        }
      if (mc_network_exists (s, name))
        done = true; /* saved: the create got through */
      else if (mc_read_file_at (dfd, de->d_name, 64, &bridge, &len, &e) == 0
               && mc_network_bridge_name (name, expect, &e) == 0 && strcmp (bridge, expect) == 0
               && mc_nl_open (&nl, &e) == 0)
        {
          /* Only the bridge NAME's create makes (its name from the state
           * id), and only under the networks lock we hold.  */
          mc_dnsmasq_stop (s, name, true);
          if (mc_nl_link_index (&nl, bridge, &e) > 0)
            remove_bridge (&nl, bridge);
          mc_nl_close (&nl);
          if (sync_firewall (s, name, NULL, &e) < 0)
            mc_error_release (&e);
          done = true;
        }
      mc_error_release (&e);
      /* Kept when the roll back could not run: the next command tries. */
      if (done)
        (void) unlinkat (dfd, de->d_name, 0);
    }
}

/* The create's intent (CREATING), written before the bridge is made.  */
static int
intent_write (struct mc_store *s, const char *name, const char *bridge, bool on, mc_error_t *err)
{
  cleanup_close int dfd = mc_store_subdir (s, "networks", 0711, err);
  cleanup_free char *file = xasprintf (CREATING "%s", name);

  if (dfd < 0)
    return -1;
  if (on)
    return mc_write_file_atomic_at (dfd, file, bridge, strlen (bridge), 0600, err);
  if (unlinkat (dfd, file, 0) < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "remove `%s/networks/%s`", s->root, file);
  return 0;
}

int
mc_network_create (struct mc_store *s, const char *name, const char *description, json_t *config,
                   mc_error_t *err)
{
  cleanup_close int lock = -1;
  struct mc_nl nl = { 0 };
  struct mc_network net;
  struct mc_dnsmasq_net dm;
  bool intent = false;
  json_t *doc;
  int idx, ret;

  if (mc_network_name_validate (name, err) < 0)
    return -1;
  doc = json_pack ("{s:s, s:s, s:o}", "description", description ? description : "", "type", "bridge", "config",
                   config ? json_deep_copy (config) : json_object ());
  config = json_object_get (doc, "config");
  set_default (config, "ipv4.address", "auto");
  set_default (config, "ipv4.nat", "true");
  set_default (config, "ipv6.address", "none");
  set_default (config, "dns.domain", MC_NETWORK_DOMAIN);
  ret = validate_config (config, err);
  if (ret == 0 && (lock = mc_networks_lock (s, err)) < 0)
    ret = -1;
  if (ret == 0)
    finish_interrupted_creates (s);
  if (ret == 0 && mc_network_exists (s, name))
    ret = mc_make_error (err, 0, "network `%s` already exists", name);
  if (ret == 0)
    ret = resolve_auto (s, config, err);
  if (ret == 0)
    ret = from_doc (name, doc, &net, err);
  if (ret == 0)
    ret = check_subnet_free (s, &net, err);
  if (ret == 0)
    ret = mc_nl_open (&nl, err);
  if (ret == 0 && (idx = mc_nl_link_index (&nl, net.bridge, err)) != 0)
    ret = idx < 0 ? -1 : mc_make_error (err, 0, "an interface named `%s` already exists on the host", net.bridge);
  if (ret == 0 && (ret = intent_write (s, name, net.bridge, true, err)) == 0)
    intent = true;
  if (ret == 0 && (ret = make_bridge (&nl, &net, err)) < 0)
    remove_bridge (&nl, net.bridge);
  if (ret == 0 && (ret = sync_firewall (s, NULL, &net, err)) < 0)
    remove_bridge (&nl, net.bridge);
  if (ret == 0)
    mc_test_point ("network-bridge-made");
  dm = mc_network_dnsmasq (&net);
  if (ret == 0 && ((net.dhcp && (ret = mc_dnsmasq_ensure (s, &dm, err)) < 0)
                   || (ret = network_save (s, name, doc, err)) < 0))
    {
      mc_error_t e = NULL;

      mc_dnsmasq_stop (s, name, true);
      remove_bridge (&nl, net.bridge);
      if (sync_firewall (s, name, NULL, &e) < 0)
        mc_error_release (&e);
    }
  /* Made and saved, or rolled back: no intent left (a failure to drop it
   * is rolled back by the next command, which finds NAME.yaml then).  */
  if (intent)
    {
      mc_error_t e = NULL;

      if (intent_write (s, name, NULL, false, &e) < 0)
        mc_error_release (&e);
    }
  mc_nl_close (&nl);
  json_decref (doc);
  return ret < 0 ? mc_error_prefix (err, "create network `%s`", name) : 0;
}

/* Does nic device DEV name network NAME (by `network`, or by `parent`
 * naming it or its bridge)?  */
static bool
nic_uses (json_t *dev, const char *name, const char *bridge)
{
  const char *type = json_string_value (json_object_get (dev, "type"));
  const char *network = json_string_value (json_object_get (dev, "network"));
  const char *parent = json_string_value (json_object_get (dev, "parent"));

  if (type == NULL || strcmp (type, "nic") != 0)
    return false;
  if (network)
    return strcmp (network, name) == 0;
  return parent && (strcmp (parent, name) == 0 || strcmp (parent, bridge) == 0);
}

static bool
devices_use (json_t *devices, const char *name, const char *bridge)
{
  const char *key;
  json_t *dev;

  json_object_foreach (devices, key, dev)
    if (nic_uses (dev, name, bridge))
      return true;
  return false;
}

/* Append "/1.0/KIND/X" to OUT for each X of NAMES whose document (LOAD)
 * has a device on network NAME; a document that went meanwhile is
 * skipped.  */
static void
add_users (struct mc_store *s, json_t *names, json_t *(*load) (struct mc_store *, const char *, mc_error_t *),
           const char *kind, const char *name, const char *bridge, json_t *out)
{
  json_t *n;
  size_t i;

  json_array_foreach (names, i, n)
    {
      mc_error_t e = NULL;
      cleanup_json json_t *doc = load (s, json_string_value (n), &e);

      mc_error_release (&e);
      if (doc && devices_use (json_object_get (doc, "devices"), name, bridge))
        json_array_append_new (out, json_sprintf ("/1.0/%s/%s", kind, json_string_value (n)));
    }
}

json_t *
mc_network_used_by (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_json json_t *containers = NULL, *profiles = NULL;
  char bridge[16];
  json_t *out;

  if (mc_network_bridge_name (name, bridge, err) < 0 || (containers = mc_container_names (s, err)) == NULL
      || (profiles = mc_profile_names (s, err)) == NULL)
    return NULL;
  out = json_array ();
  add_users (s, containers, mc_container_config_expanded, "instances", name, bridge, out);
  add_users (s, profiles, mc_profile_load, "profiles", name, bridge, out);
  return out;
}

int
mc_network_delete (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int lock = mc_networks_lock (s, err);
  cleanup_close int dfd = -1;
  cleanup_free char *file = xasprintf ("%s.yaml", name);
  struct mc_nl nl = { 0 };
  struct mc_network net;
  json_t *users;
  int ret;

  if (lock < 0)
    return -1;
  finish_interrupted_creates (s);
  if (mc_network_get (s, name, &net, err) < 0)
    return -1;
  if ((users = mc_network_used_by (s, name, err)) == NULL)
    return -1;
  if (json_array_size (users) > 0)
    {
      char list[512] = "";
      size_t i, used = 0;
      json_t *u;

      json_array_foreach (users, i, u)
        {
          const char *ref = json_string_value (u);
          bool inst = mc_str_has_prefix (ref, "/1.0/instances/");

          if (used < sizeof (list) - 1)
            used += (size_t) snprintf (list + used, sizeof (list) - used, "%s%s `%s`", i ? ", " : "",
                                       inst ? "container" : "profile", strrchr (ref, '/') + 1);
        }
      json_decref (users);
      return mc_make_error (err, 0, "network `%s` is in use by %s; remove its nic devices first", name, list);
    }
  json_decref (users);
  mc_dnsmasq_stop (s, name, true);
  if (mc_nl_open (&nl, err) < 0)
    return -1;
  ret = mc_nl_link_del (&nl, net.bridge, err);
  mc_nl_close (&nl);
  if (ret == 0)
    ret = sync_firewall (s, name, NULL, err);
  if (ret == 0 && (dfd = mc_store_subdir (s, "networks", 0711, err)) < 0)
    ret = -1;
  if (ret == 0 && unlinkat (dfd, file, 0) < 0)
    ret = mc_make_error (err, errno, "remove `%s/networks/%s`", s->root, file);
  return ret < 0 ? mc_error_prefix (err, "delete network `%s`", name) : 0;
}

/* Move the bridge from OLD's address to NEW's.  */
static int
readdress (const struct mc_network *old, const struct mc_network *new, mc_error_t *err)
{
  struct mc_nl nl = { 0 };
  mc_error_t e = NULL;
  int idx, ret = 0;

  bool same4 = old->has_ipv4 == new->has_ipv4
               && (!old->has_ipv4
                   || (old->ipv4.addr.s_addr == new->ipv4.addr.s_addr && old->ipv4.prefix == new->ipv4.prefix));
  bool same6 = old->has_ipv6 == new->has_ipv6
               && (!old->has_ipv6 || memcmp (&old->ipv6.addr, &new->ipv6.addr, sizeof (new->ipv6.addr)) == 0);

  if (same4 && same6)
    return 0;
  if (mc_nl_open (&nl, err) < 0)
    return -1;
  idx = mc_nl_link_index (&nl, old->bridge, err);
  if (idx > 0 && !same4)
    {
      if (old->has_ipv4 && mc_nl_addr4_del (&nl, idx, old->ipv4.addr, old->ipv4.prefix, &e) < 0)
        mc_error_release (&e); /* not there: nothing to remove */
      if (new->has_ipv4)
        ret = mc_nl_addr4_add (&nl, idx, new->ipv4.addr, new->ipv4.prefix, err);
    }
  if (idx > 0 && ret == 0 && !same6)
    {
      if (old->has_ipv6 && mc_nl_addr6_del (&nl, idx, &old->ipv6.addr, 64, &e) < 0)
        mc_error_release (&e);
      ret = set_ipv6 (new, err);
      if (ret == 0 && new->has_ipv6)
        ret = mc_nl_addr6_add (&nl, idx, &new->ipv6.addr, 64, err);
    }
  mc_nl_close (&nl);
  return idx < 0 ? -1 : ret;
}

int
mc_network_configure (struct mc_store *s, const char *name, const struct mc_network_change *c,
                      mc_error_t *err)
{
  cleanup_close int lock = mc_networks_lock (s, err);
  struct mc_network old, new;
  json_t *doc, *config;
  size_t i;
  int ret = 0;

  if (lock < 0 || (doc = mc_network_load (s, name, err)) == NULL)
    return -1;
  config = json_object_get (doc, "config");
  if (c->replace)
    {
      json_t *nc = json_object_get (c->replace, "config");

      if (!json_is_object (c->replace))
        ret = mc_make_error (err, 0, "expected a YAML mapping (description, config)");
      else if (nc && !json_is_object (nc))
        ret = mc_make_error (err, 0, "`config` must be a mapping of keys to values");
      else
        {
          json_object_set_new (doc, "config", nc ? json_deep_copy (nc) : json_object ());
          if (json_is_string (json_object_get (c->replace, "description")))
            json_object_set (doc, "description", json_object_get (c->replace, "description"));
          config = json_object_get (doc, "config");
        }
    }
  for (i = 0; ret == 0 && i < c->n; i++)
    {
      if (c->values && (ret = mc_network_validate_key (c->keys[i], c->values[i], err)) < 0)
        break;
      if (!c->values && !known_key (c->keys[i]))
        {
          ret = mc_network_validate_key (c->keys[i], "", err);
          break;
        }
      if (c->values)
        json_object_set_new (config, c->keys[i], json_string (c->values[i]));
      else
        json_object_del (config, c->keys[i]);
    }
  if (ret == 0)
    ret = validate_config (config, err);
  if (ret == 0)
    {
      /* Unset keys fall back to what `network create` would choose.  */
      set_default (config, "ipv4.nat", "false");
      set_default (config, "ipv6.address", "none");
      set_default (config, "dns.domain", MC_NETWORK_DOMAIN);
      ret = resolve_auto (s, config, err);
    }
  if (ret == 0)
    ret = mc_network_get (s, name, &old, err);
  if (ret == 0)
    ret = from_doc (name, doc, &new, err);
  if (ret == 0)
    ret = check_subnet_free (s, &new, err);
  if (ret == 0)
    ret = readdress (&old, &new, err);
  if (ret == 0)
    ret = sync_firewall (s, NULL, &new, err);
  if (ret == 0)
    ret = network_save (s, name, doc, err);
  /* dnsmasq starts again with the new settings (its host lists stay).  */
  if (ret == 0)
    {
      struct mc_dnsmasq_net dmn = mc_network_dnsmasq (&new);

      mc_dnsmasq_stop (s, name, false);
      if (new.dhcp)
        ret = mc_dnsmasq_ensure (s, &dmn, err);
    }
  json_decref (doc);
  return ret < 0 ? mc_error_prefix (err, "network `%s`", name) : 0;
}

/* ---- show and check ----------------------------------------------------------------- */

json_t *
mc_network_describe (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_json json_t *doc = mc_network_load (s, name, err);
  struct mc_network net;
  struct mc_nl nl = { 0 };
  json_t *users;
  int idx = -1;

  if (doc == NULL)
    return NULL;
  if (from_doc (name, doc, &net, err) < 0 || (users = mc_network_used_by (s, name, err)) == NULL)
    return NULL;
  if (mc_nl_open (&nl, err) == 0)
    {
      idx = mc_nl_link_index (&nl, net.bridge, err);
      mc_nl_close (&nl);
    }
  mc_error_release (err);
  json_object_set_new (doc, "name", json_string (name));
  json_object_set_new (doc, "managed", json_true ());
  json_object_set_new (doc, "status", json_string (idx > 0 ? "Created" : "Unavailable"));
  json_object_set_new (doc, "interface", json_string (net.bridge));
  json_object_set_new (doc, "used_by", users);
  return steal_pointer (&doc);
}

static int
check_bridge (const struct mc_network *net, json_t *ok, json_t *problems, mc_error_t *err)
{
  struct mc_nl nl = { 0 };
  struct mc_nl_link *links = NULL;
  struct mc_nl_addr *addrs = NULL;
  size_t nl_n = 0, na = 0, i;
  bool has_addr = false;
  int idx = 0, ret;

  if (mc_nl_open (&nl, err) < 0)
    return -1;
  ret = mc_nl_links (&nl, &links, &nl_n, err);
  if (ret == 0)
    ret = mc_nl_addrs (&nl, AF_INET, &addrs, &na, err);
  mc_nl_close (&nl);
  for (i = 0; ret == 0 && i < nl_n; i++)
    if (strcmp (links[i].name, net->bridge) == 0)
      {
        idx = links[i].index;
        if (strcmp (links[i].kind, "bridge") != 0)
          json_array_append_new (problems, json_sprintf ("`%s` is not a bridge (%s)", net->bridge,
                                                         links[i].kind[0] ? links[i].kind : "unknown kind"));
        else if (!(links[i].flags & IFF_UP))
          json_array_append_new (problems, json_sprintf ("bridge %s is down", net->bridge));
        else
          json_array_append_new (ok, json_sprintf ("bridge %s exists and is up", net->bridge));
      }
  if (ret == 0 && idx == 0)
    json_array_append_new (problems, json_sprintf ("bridge %s is missing (the next container start on it makes "
                                                   "it again)", net->bridge));
  for (i = 0; ret == 0 && idx && net->has_ipv4 && i < na; i++)
    has_addr |= addrs[i].index == idx && memcmp (addrs[i].addr, &net->ipv4.addr, 4) == 0
                && addrs[i].prefix == net->ipv4.prefix;
  if (ret == 0 && idx && net->has_ipv4)
    {
      char ip[INET_ADDRSTRLEN];

      inet_ntop (AF_INET, &net->ipv4.addr, ip, sizeof (ip));
      if (has_addr)
        json_array_append_new (ok, json_sprintf ("bridge %s has address %s/%u", net->bridge, ip, net->ipv4.prefix));
      else
        json_array_append_new (problems, json_sprintf ("bridge %s lacks its address %s/%u", net->bridge, ip,
                                                       net->ipv4.prefix));
    }
  free (links);
  free (addrs);
  return ret;
}

json_t *
mc_network_check (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *ok = json_array (), *problems = json_array (), *notes = json_array ();
  struct mc_network net;
  struct mc_fw_net fw = { 0 };
  char subnet[24];

  if (mc_network_get (s, name, &net, err) < 0 || check_bridge (&net, ok, problems, err) < 0)
    goto fail;
  fw.name = net.name;
  fw.bridge = net.bridge;
  fw.nat = net.nat;
  if (net.has_ipv4)
    {
      mc_cidr4_subnet (&net.ipv4, subnet, sizeof (subnet));
      fw.subnet = subnet;
    }
  if (mc_firewall_check (&fw, problems, notes, err) < 0)
    goto fail;
  return json_pack ("{s:s, s:s, s:o, s:o, s:o}", "network", name, "interface", net.bridge, "ok", ok, "problems",
                    problems, "notes", notes);
fail:
  json_decref (ok);
  json_decref (problems);
  json_decref (notes);
  return NULL;
}

bool
mc_host_ip_forward (void)
{
  char buf[4] = "";
  cleanup_close int fd = open ("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);

  return fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0 && buf[0] == '1';
}

/* ---- info ------------------------------------------------------------------------------ */

json_t *
mc_network_info (struct mc_store *s, const char *name, mc_error_t *err)
{
  struct mc_nl nl = { 0 };
  struct mc_nl_link *links = NULL;
  struct mc_nl_addr *addrs = NULL;
  size_t nlinks = 0, naddrs = 0, i;
  struct mc_network net;
  const struct mc_nl_link *br = NULL;
  json_t *out = NULL, *list, *ports;
  char mac[18] = "";

  if (mc_network_get (s, name, &net, err) < 0 || mc_nl_open (&nl, err) < 0)
    return NULL;
  if (mc_nl_links (&nl, &links, &nlinks, err) < 0 || mc_nl_addrs (&nl, AF_UNSPEC, &addrs, &naddrs, err) < 0)
    goto done;
  for (i = 0; i < nlinks && br == NULL; i++)
    if (strcmp (links[i].name, net.bridge) == 0)
      br = &links[i];
  if (br == NULL)
    {
      mc_make_error (err, 0, "network `%s`: its bridge `%s` is missing (the next start makes it again)", name,
                     net.bridge);
      goto done;
    }
  list = mc_nl_addrs_json (addrs, naddrs, br->index);
  ports = json_array ();
  for (i = 0; i < nlinks; i++)
    if (links[i].master == br->index)
      json_array_append_new (ports, json_string (links[i].name));
  mc_nl_mac_text (br, mac);
  out = json_pack ("{s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:o}}", "name", name,
                   "interface", net.bridge, "hwaddr", mac, "mtu", (json_int_t) br->mtu, "state",
                   (br->flags & IFF_UP) ? "up" : "down", "type", "broadcast", "addresses", list, "counters",
                   "bytes_received", (json_int_t) br->rx_bytes, "bytes_sent", (json_int_t) br->tx_bytes,
                   "packets_received", (json_int_t) br->rx_packets, "packets_sent", (json_int_t) br->tx_packets,
                   "bridge", "upper_devices", ports);
done:
  free (links);
  free (addrs);
  mc_nl_close (&nl);
  return out;
}

