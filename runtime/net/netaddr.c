#include "runtime/net/netaddr.h"
#include "lib/utils.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- addresses ---------------------------------------------------------------- */

uint32_t
mc_ipv4_mask (unsigned prefix)
{
  return prefix ? ~0U << (32 - prefix) : 0;
}

int
mc_ipv4_parse (const char *s, struct in_addr *out, mc_error_t *err)
{
  unsigned a, b, c, d;
  char tail;

  /* inet_pton accepts exactly four decimal parts; sscanf alone would
   * take "1.2.3.4x" or leading blanks.  */
  if (inet_pton (AF_INET, s, out) != 1 || sscanf (s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4)
    return mc_make_error (err, 0, "`%s` is not an IPv4 address (expected A.B.C.D)", s);
  return 0;
}

int
mc_cidr4_parse (const char *s, struct mc_cidr4 *out, mc_error_t *err)
{
  const char *slash = strchr (s, '/');
  cleanup_free char *ip = NULL;
  uint32_t host, m;
  char *end;
  long p;

  if (slash == NULL)
    return mc_make_error (err, 0, "`%s` is not an address with a prefix length (expected A.B.C.D/P, e.g. 10.42.0.1/24)", s);
  ip = xstrndup (s, (size_t) (slash - s));
  errno = 0;
  p = strtol (slash + 1, &end, 10);
  if (!isdigit ((unsigned char) slash[1]) || *end != '\0' || errno || p < 8 || p > 30)
    return mc_make_error (err, 0, "`%s`: the prefix length must be from 8 to 30", s);
  if (mc_ipv4_parse (ip, &out->addr, err) < 0)
    return -1;
  out->prefix = (unsigned) p;
  host = ntohl (out->addr.s_addr);
  m = mc_ipv4_mask (out->prefix);
  if ((host & ~m) == 0 || (host & ~m) == ~m)
    return mc_make_error (err, 0, "`%s`: the bridge's address must be a host address of its subnet, not its "
                          "network or broadcast address (e.g. 10.42.0.1/24)", s);
  return 0;
}

bool
mc_cidr4_contains (const struct mc_cidr4 *c, struct in_addr a)
{
  uint32_t m = mc_ipv4_mask (c->prefix);

  return (ntohl (a.s_addr) & m) == (ntohl (c->addr.s_addr) & m);
}

void
mc_cidr4_subnet (const struct mc_cidr4 *c, char *buf, size_t len)
{
  struct in_addr net = { htonl (ntohl (c->addr.s_addr) & mc_ipv4_mask (c->prefix)) };
  char ip[INET_ADDRSTRLEN];

  inet_ntop (AF_INET, &net, ip, sizeof (ip));
  snprintf (buf, len, "%s/%u", ip, c->prefix);
}

/* ---- names ------------------------------------------------------------------ */

/* An interface name (it is the bridge's, for the default state dir):
 * 1-15 characters, letters, digits, `-`, `_`, `.`, not starting with `.`
 * or `-`, and none of the names the kernel or LXD reserve.  */
int
mc_network_name_validate (const char *name, mc_error_t *err)
{
  size_t i, len = strlen (name);

  if (len == 0 || len > 15)
    return mc_make_error (err, 0, "invalid network name `%s`: 1 to 15 characters (it names an interface)", name);
  if (name[0] == '-' || name[0] == '.' || strcmp (name, "lo") == 0 || strcmp (name, "all") == 0
      || strcmp (name, "default") == 0)
    return mc_make_error (err, 0, "invalid network name `%s`", name);
  for (i = 0; i < len; i++)
    if (!isalnum ((unsigned char) name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
      return mc_make_error (err, 0, "invalid network name `%s`: letters, digits, `-`, `_` and `.` only", name);
  return 0;
}

bool
mc_ifname_valid (const char *s)
{
  size_t len = strlen (s), i;

  if (len == 0 || len > 15 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0 || strcmp (s, "lo") == 0)
    return false;
  for (i = 0; i < len; i++)
    if (s[i] == '/' || s[i] == ':' || isspace ((unsigned char) s[i]) || !isprint ((unsigned char) s[i]))
      return false;
  return true;
}

void
mc_mac_text (const uint8_t mac[6], char buf[18])
{
  snprintf (buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int
mc_mac_parse (const char *s, uint8_t mac[6])
{
  unsigned v[6];
  char tail;
  int i;

  if (strlen (s) != 17
      || sscanf (s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
    return -1;
  for (i = 0; i < 6; i++)
    mac[i] = (uint8_t) v[i];
  return (mac[0] & 1) ? -1 : 0; /* multicast addresses cannot be an interface's */
}

/* ---- picking ------------------------------------------------------------------ */

void
mc_taken_add (struct mc_taken *t, uint32_t addr, unsigned prefix)
{
  t->addr = xrealloc (t->addr, sizeof (*t->addr) * (t->n + 1));
  t->prefix = xrealloc (t->prefix, sizeof (*t->prefix) * (t->n + 1));
  t->addr[t->n] = addr;
  t->prefix[t->n++] = prefix;
}

void
mc_taken_release (struct mc_taken *t)
{
  free (t->addr);
  free (t->prefix);
  t->addr = NULL;
  t->prefix = NULL;
  t->n = 0;
}

bool
mc_taken_overlaps24 (const struct mc_taken *t, uint32_t net24)
{
  size_t i;

  for (i = 0; i < t->n; i++)
    {
      uint32_t m = mc_ipv4_mask (t->prefix[i] < 24 ? t->prefix[i] : 24);

      if ((t->addr[i] & m) == (net24 & m))
        return true;
    }
  return false;
}

static bool
try_range (const struct mc_taken *t, uint32_t base, unsigned prefix, struct mc_cidr4 *out)
{
  uint32_t count = 1U << (24 - prefix), i;

  for (i = 0; i < count; i++)
    {
      uint32_t net = base + (i << 8);

      if (!mc_taken_overlaps24 (t, net))
        {
          out->addr.s_addr = htonl (net | 1);
          out->prefix = 24;
          return true;
        }
    }
  return false;
}

bool
mc_subnet_pick (const struct mc_taken *t, const uint16_t *randoms, size_t n, struct mc_cidr4 *out)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      uint32_t net = (10U << 24) | ((uint32_t) randoms[i] << 8);

      if (!mc_taken_overlaps24 (t, net))
        {
          out->addr.s_addr = htonl (net | 1);
          out->prefix = 24;
          return true;
        }
    }
  return try_range (t, 10U << 24, 8, out) || try_range (t, (172U << 24) | (16U << 16), 12, out)
         || try_range (t, (192U << 24) | (168U << 16), 16, out);
}

bool
mc_ipv4_usable_host (const struct mc_cidr4 *subnet, struct in_addr a)
{
  uint32_t m = mc_ipv4_mask (subnet->prefix), h = ntohl (a.s_addr);

  return mc_cidr4_contains (subnet, a) && (h & ~m) != 0 && (h & ~m) != ~m && a.s_addr != subnet->addr.s_addr;
}

bool
mc_ipv4_lowest_free (const struct mc_cidr4 *subnet, bool (*held) (struct in_addr a, void *data), void *data,
                     struct in_addr *out)
{
  uint32_t base = ntohl (subnet->addr.s_addr) & mc_ipv4_mask (subnet->prefix);
  uint32_t count = 1U << (32 - subnet->prefix), i;

  for (i = 1; i + 1 < count; i++)
    {
      out->s_addr = htonl (base + i);
      if (mc_ipv4_usable_host (subnet, *out) && !held (*out, data))
        return true;
    }
  return false;
}

/* ---- IPv6 ------------------------------------------------------------------ */

int
mc_cidr6_parse (const char *s, struct mc_cidr6 *out, mc_error_t *err)
{
  const char *slash = strchr (s, '/');
  cleanup_free char *ip = NULL;
  size_t i;
  bool host = false;

  if (slash == NULL || strcmp (slash + 1, "64") != 0)
    return mc_make_error (err, 0, "`%s`: expected an IPv6 address with prefix length 64 (SLAAC's), e.g. "
                          "fd42:1:2:3::1/64", s);
  ip = xstrndup (s, (size_t) (slash - s));
  if (inet_pton (AF_INET6, ip, &out->addr) != 1)
    return mc_make_error (err, 0, "`%s`: invalid IPv6 address `%s`", s, ip);
  out->prefix = 64;
  for (i = 8; i < 16; i++)
    host |= out->addr.s6_addr[i] != 0;
  if (!host || out->addr.s6_addr[0] == 0xff || (out->addr.s6_addr[0] == 0xfe && (out->addr.s6_addr[1] & 0xc0) == 0x80))
    return mc_make_error (err, 0, "`%s`: the bridge's address must be a unicast host address of its /64, not "
                          "the subnet itself, multicast or link-local (e.g. fd42:1:2:3::1/64)", s);
  return 0;
}

void
mc_cidr6_subnet (const struct mc_cidr6 *c, char *buf, size_t len)
{
  struct in6_addr net = c->addr;
  char ip[INET6_ADDRSTRLEN];

  memset (net.s6_addr + 8, 0, 8);
  inet_ntop (AF_INET6, &net, ip, sizeof (ip));
  snprintf (buf, len, "%s/%u", ip, c->prefix);
}

void
mc_ipv6_eui64 (const struct mc_cidr6 *c, const uint8_t mac[6], struct in6_addr *out)
{
  *out = c->addr;
  out->s6_addr[8] = mac[0] ^ 0x02;
  out->s6_addr[9] = mac[1];
  out->s6_addr[10] = mac[2];
  out->s6_addr[11] = 0xff;
  out->s6_addr[12] = 0xfe;
  out->s6_addr[13] = mac[3];
  out->s6_addr[14] = mac[4];
  out->s6_addr[15] = mac[5];
}

void
mc_ipv6_ula (const uint8_t random[7], struct mc_cidr6 *out)
{
  memset (out, 0, sizeof (*out));
  out->addr.s6_addr[0] = 0xfd;
  memcpy (out->addr.s6_addr + 1, random, 7);
  out->addr.s6_addr[15] = 1;
  out->prefix = 64;
}

