#include "runtime/net/nic.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/files/file.h"
#include "runtime/net/firewall.h"
#include "runtime/net/netlink.h"
#include "runtime/net/network.h"
#include "lib/paths.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/state.h"
#include "lib/utils.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- validation ------------------------------------------------------------ */

static bool
is_str (json_t *dev, const char *key, const char *want)
{
  const char *v = json_string_value (json_object_get (dev, key));

  return v && strcmp (v, want) == 0;
}


int
mc_nic_host_name (const char *name, const char *dev, char out[16], mc_error_t *err)
{
  const char *id = mc_state_id (err);
  cleanup_free char *key = NULL;

  if (id == NULL)
    return -1;
  key = xasprintf ("%s/%s/%s", id, name, dev);
  snprintf (out, 16, "mc%013" PRIx64, mc_hash64 (key) >> 12);
  return 0;
}

/* ---- which network --------------------------------------------------------- */

static bool
is_nic (json_t *dev)
{
  return is_str (dev, "type", "nic");
}

/* The network of nic DEV: `network`, else `parent` naming a network or
 * its bridge.  */
static int
network_of (struct mc_store *s, const char *devname, json_t *dev, struct mc_network *net, mc_error_t *err)
{
  const char *ref = json_string_value (json_object_get (dev, "network"));
  json_t *names, *n;
  size_t i;

  if (ref == NULL)
    ref = json_string_value (json_object_get (dev, "parent"));
  if (ref && mc_network_exists (s, ref))
    return mc_network_get (s, ref, net, err);
  if (ref && json_object_get (dev, "parent") && (names = mc_network_names (s, err)) != NULL)
    {
      json_array_foreach (names, i, n)
        {
          mc_error_t e = NULL;

          if (mc_network_get (s, json_string_value (n), net, &e) == 0 && strcmp (net->bridge, ref) == 0)
            {
              json_decref (names);
              return 0;
            }
          mc_error_release (&e);
        }
      json_decref (names);
    }
  /* nictype bridged on a host bridge of someone else's, or macvlan on a
   * host interface: used as it is, nothing of it managed.  */
  if (ref && json_object_get (dev, "parent"))
    {
      bool macvlan = is_str (dev, "nictype", "macvlan");
      struct mc_nl nl = { 0 };
      int idx;
      bool bridge;

      if (mc_nl_open (&nl, err) < 0)
        return -1;
      idx = mc_nl_link_index (&nl, ref, err);
      bridge = idx > 0 && mc_nl_is_bridge (&nl, ref);
      mc_nl_close (&nl);
      if (idx < 0)
        return -1;
      if (idx > 0 && (macvlan || bridge))
        {
          memset (net, 0, sizeof (*net));
          snprintf (net->name, sizeof (net->name), "%s", ref);
          snprintf (net->bridge, sizeof (net->bridge), "%s", ref);
          snprintf (net->domain, sizeof (net->domain), "%s", MC_NETWORK_DOMAIN);
          net->macvlan = macvlan;
          return 0;
        }
      if (idx > 0)
        return mc_make_error (err, 0, "device `%s`: `%s` is no bridge and no minictr network (nictype: macvlan "
                              "puts a nic on a host interface)", devname, ref);
    }
  return mc_make_error (err, 0, "device `%s`: network `%s` not found (see `minictr network list`)", devname,
                        ref ? ref : "?");
}

/* Sorted names of the nic devices in DEVICES.  */
static json_t *
nic_names (json_t *devices)
{
  json_t *out = json_array (), *dev;
  const char *key;
  size_t i;

  json_object_foreach (devices, key, dev)
    {
      if (!is_nic (dev))
        continue;
      for (i = 0; i < json_array_size (out); i++)
        if (strcmp (key, json_string_value (json_array_get (out, i))) < 0)
          break;
      json_array_insert_new (out, i, json_string (key));
    }
  return out;
}

/* ---- who has which address -------------------------------------------------- */

struct holder
{
  struct in_addr addr;
  char *container;
  char *dev;
  char mac[18];     /* its hwaddr, or "" before its first start */
  bool fixed;       /* the address is the device's ipv4.address */
};

struct holders
{
  struct holder *v;
  size_t n;
};

static void
holders_release (struct holders *h)
{
  size_t i;

  for (i = 0; i < h->n; i++)
    {
      free (h->v[i].container);
      free (h->v[i].dev);
    }
  free (h->v);
  h->v = NULL;
  h->n = 0;
}

static const struct holder *
holder_of (const struct holders *h, struct in_addr a)
{
  size_t i;

  for (i = 0; i < h->n; i++)
    if (h->v[i].addr.s_addr == a.s_addr)
      return &h->v[i];
  return NULL;
}

/* ---- the nic index -------------------------------------------------------------------- */

/* What collect() needs of every container is the nics of its expanded
 * config: their network, recorded address and MAC.  Reading every
 * config.yaml and its profiles at every start made a launch slower as
 * containers accumulated, so $MINICTR_DIR/.nic-index.json keeps what was
 * found, per container, with the identity (device, inode, size, mtime,
 * ctime) of the files it came from: its config.yaml, its profiles, and
 * the networks directory (a network made, changed or removed renames a
 * file there).  An entry whose files changed is read again, one of a
 * container gone is dropped.  It is a cache only: missing or unreadable,
 * it is rebuilt, and it is written without fsync.  */
#define NIC_INDEX ".nic-index.json"

static json_t *nic_index;   /* this process's copy, loaded once */
static pid_t nic_index_pid;
static bool nic_index_dirty;
/* Within one start (mc_nic_prepare), the index is brought up to date once
 * and then only the starting container's entry is read again.  */
static bool nic_index_batch;
static bool nic_index_fresh;

static void
file_id (int dfd, const char *path, char out[96])
{
  struct stat st;

  if (fstatat (dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      snprintf (out, 96, "-");
      return;
    }
  snprintf (out, 96, "%llx:%llx:%lld:%lld.%ld:%lld.%ld", (unsigned long long) st.st_dev,
            (unsigned long long) st.st_ino, (long long) st.st_size, (long long) st.st_mtim.tv_sec,
            st.st_mtim.tv_nsec, (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* The profiles' identities, PROFILES (a JSON object) filled as met.  */
static const char *
profile_id (struct mc_store *s, json_t *profiles, const char *name)
{
  cleanup_free char *path = xasprintf ("profiles/%s.yaml", name);
  char id[96];

  if (json_object_get (profiles, name) == NULL)
    {
      file_id (s->rootfd, path, id);
      json_object_set_new (profiles, name, json_string (id));
    }
  return json_string_value (json_object_get (profiles, name));
}

/* The index entry of container NAME from its expanded config: {id,
 * profiles: {name: id}, nics: [{dev, net, addr, fixed, mac}]}.  NULL when
 * the config cannot be read (deleted meanwhile: not ours to judge).  */
static json_t *
index_entry (struct mc_store *s, const char *name, const char *id, json_t *profile_ids)
{
  mc_error_t e = NULL;
  cleanup_json json_t *local = mc_container_config_load (s, name, &e);
  cleanup_json json_t *cfg = local ? mc_config_expand (s, local, &e) : NULL;
  json_t *out, *nics, *dev, *p;
  const char *dname;
  size_t i;

  mc_error_release (&e);
  if (cfg == NULL)
    return NULL;
  out = json_pack ("{s:s, s:{}, s:[]}", "id", id, "profiles", "nics");
  json_array_foreach (json_object_get (local, "profiles"), i, p)
    if (json_is_string (p))
      json_object_set_new (json_object_get (out, "profiles"), json_string_value (p),
                           json_string (profile_id (s, profile_ids, json_string_value (p))));
  nics = json_object_get (out, "nics");
  json_object_foreach (json_object_get (cfg, "devices"), dname, dev)
    {
      cleanup_free char *akey = xasprintf ("volatile.%s.ipv4.address", dname);
      cleanup_free char *mkey = xasprintf ("volatile.%s.hwaddr", dname);
      const char *addr = json_string_value (json_object_get (dev, "ipv4.address"));
      const char *mac = json_string_value (json_object_get (dev, "hwaddr"));
      struct mc_network dnet;

      if (!is_nic (dev) || network_of (s, dname, dev, &dnet, &e) < 0)
        {
          mc_error_release (&e);
          continue;
        }
      json_array_append_new (nics, json_pack ("{s:s, s:s, s:s?, s:b, s:s?}", "dev", dname, "net", dnet.name,
                                              "addr", addr ? addr : mc_config_get (cfg, akey, NULL), "fixed",
                                              addr != NULL, "mac", mac ? mac : mc_config_get (cfg, mkey, NULL)));
    }
  return out;
}

static void
index_write (struct mc_store *s)
{
  cleanup_free char *tmpname = xasprintf (NIC_INDEX ".tmp-%d", (int) getpid ());
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;

  if (!nic_index_dirty || nic_index == NULL)
    return;
  nic_index_dirty = false;
  text = json_dumps (nic_index, JSON_COMPACT);
  fd = openat (s->rootfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || text == NULL || mc_write_all (fd, text, strlen (text)) < 0
      || renameat (s->rootfd, tmpname, s->rootfd, NIC_INDEX) < 0)
    (void) unlinkat (s->rootfd, tmpname, 0);
}

/* The index, brought up to date with the containers there are now; in a
 * batch, only on its first use.  */
static json_t *
index_refresh (struct mc_store *s, mc_error_t *err)
{
  cleanup_json json_t *names = NULL, *profile_ids = NULL, *present = NULL;
  json_t *entries, *n, *e, *p;
  const char *key, *pname;
  bool ok;
  char nets[96], id[96];
  void *tmp;
  size_t i;

  if (nic_index_batch && nic_index_pid == getpid () && json_is_object (nic_index) && nic_index_fresh)
    return nic_index;
  if ((names = mc_container_names (s, err)) == NULL)
    return NULL;
  profile_ids = json_object ();
  present = json_object ();
  nic_index_fresh = nic_index_batch;
  if (nic_index_pid != getpid ())
    {
      cleanup_free char *text = NULL;
      mc_error_t le = NULL;
      size_t len;

      json_decref (nic_index);
      nic_index = NULL;
      if (mc_read_file_at (s->rootfd, NIC_INDEX, 64 << 20, &text, &len, &le) == 0)
        nic_index = json_loadb (text, len, 0, NULL);
      mc_error_release (&le);
      nic_index_pid = getpid ();
    }
  file_id (s->rootfd, "networks", nets);
  if (!json_is_object (nic_index) || !json_is_object (json_object_get (nic_index, "containers"))
      || strcmp (json_string_value (json_object_get (nic_index, "networks")) ?: "", nets) != 0)
    {
      json_decref (nic_index);
      nic_index = json_pack ("{s:s, s:{}}", "networks", nets, "containers");
      nic_index_dirty = true;
    }
  entries = json_object_get (nic_index, "containers");
  json_array_foreach (names, i, n)
    json_object_set (present, json_string_value (n), json_true ());
  json_object_foreach_safe (entries, tmp, key, e)
    if (json_object_get (present, key) == NULL)
      {
        json_object_del (entries, key);
        nic_index_dirty = true;
      }
  json_array_foreach (names, i, n)
    {
      const char *name = json_string_value (n);
      cleanup_free char *path = xasprintf ("containers/%s/config.yaml", name);

      file_id (s->rootfd, path, id);
      e = json_object_get (entries, name);
      ok = e && strcmp (json_string_value (json_object_get (e, "id")) ?: "", id) == 0;
      json_object_foreach (json_object_get (e, "profiles"), pname, p)
        ok = ok && strcmp (json_string_value (p) ?: "", profile_id (s, profile_ids, pname)) == 0;
      if (ok)
        continue;
      nic_index_dirty = true;
      if ((e = index_entry (s, name, id, profile_ids)) != NULL)
        json_object_set_new (entries, name, e);
      else
        json_object_del (entries, name);
    }
  if (!nic_index_batch)
    index_write (s);
  return nic_index;
}

/* Container NAME's entry read again (its config was just saved).  */
static void
index_reread (struct mc_store *s, const char *name)
{
  cleanup_free char *path = xasprintf ("containers/%s/config.yaml", name);
  cleanup_json json_t *profile_ids = json_object ();
  json_t *entries = json_object_get (nic_index, "containers"), *e;
  char id[96];

  if (entries == NULL)
    return;
  file_id (s->rootfd, path, id);
  if ((e = index_entry (s, name, id, profile_ids)) != NULL)
    json_object_set_new (entries, name, e);
  else
    json_object_del (entries, name);
  nic_index_dirty = true;
}

/* By container, then device: the order of the files they go into.  */
static int
holder_cmp (const void *a, const void *b)
{
  const struct holder *x = a, *y = b;
  int c = strcmp (x->container, y->container);

  return c ? c : strcmp (x->dev, y->dev);
}

/* Every address on NET recorded by a container other than EXCEPT (NULL:
 * all of them).  */
static int
collect (struct mc_store *s, const struct mc_network *net, const char *except, struct holders *h, mc_error_t *err)
{
  json_t *index = index_refresh (s, err), *e, *nic;
  const char *cname;
  size_t i;

  if (index == NULL)
    return -1;
  json_object_foreach (json_object_get (index, "containers"), cname, e)
    {
      if (except && strcmp (cname, except) == 0)
        continue;
      json_array_foreach (json_object_get (e, "nics"), i, nic)
        {
          const char *addr = json_string_value (json_object_get (nic, "addr"));
          const char *mac = json_string_value (json_object_get (nic, "mac"));
          mc_error_t pe = NULL;
          struct in_addr a;
          uint8_t b[6];

          if (strcmp (json_string_value (json_object_get (nic, "net")) ?: "", net->name) != 0 || addr == NULL
              || !net->has_ipv4 || mc_ipv4_parse (addr, &a, &pe) < 0 || !mc_cidr4_contains (&net->ipv4, a))
            {
              mc_error_release (&pe);
              continue;
            }
          h->v = xrealloc (h->v, sizeof (*h->v) * (h->n + 1));
          memset (&h->v[h->n], 0, sizeof (h->v[h->n]));
          h->v[h->n].addr = a;
          h->v[h->n].container = xstrdup (cname);
          h->v[h->n].dev = xstrdup (json_string_value (json_object_get (nic, "dev")));
          h->v[h->n].fixed = json_is_true (json_object_get (nic, "fixed"));
          if (mac && mc_mac_parse (mac, b) == 0)
            mc_mac_text (b, h->v[h->n].mac);
          h->n++;
        }
    }
  if (h->n > 1)
    qsort (h->v, h->n, sizeof (*h->v), holder_cmp);
  return 0;
}

/* ---- allocation at start ------------------------------------------------------- */

static void
record (json_t *local, const char *dev, const char *what, const char *value, bool *changed)
{
  cleanup_free char *key = xasprintf ("volatile.%s.%s", dev, what);
  json_t *config = json_object_get (local, "config");

  if (value == NULL)
    {
      *changed |= json_object_get (config, key) != NULL;
      json_object_del (config, key);
      return;
    }
  if (strcmp (json_string_value (json_object_get (config, key)) ?: "", value) == 0)
    return;
  json_object_set_new (config, key, json_string (value));
  *changed = true;
}

static int
pick_mac (json_t *local, const char *dev, json_t *d, uint8_t mac[6], bool *changed, mc_error_t *err)
{
  cleanup_free char *key = xasprintf ("volatile.%s.hwaddr", dev);
  const char *v = json_string_value (json_object_get (d, "hwaddr"));
  char text[18];

  if (v && mc_mac_parse (v, mac) == 0)
    return 0;
  v = mc_config_get (local, key, NULL);
  if (v && mc_mac_parse (v, mac) == 0)
    return 0;
  /* LXD's prefix (Xensource's OUI), three random bytes.  */
  mac[0] = 0x00, mac[1] = 0x16, mac[2] = 0x3e;
  if (getrandom (mac + 3, 3, 0) != 3)
    return mc_make_error (err, errno, "getrandom");
  mc_mac_text (mac, text);
  record (local, dev, "hwaddr", text, changed);
  return 0;
}

struct held
{
  const struct holders *others, *mine;
};

static bool
address_held (struct in_addr a, void *data)
{
  const struct held *h = data;

  return holder_of (h->others, a) != NULL || holder_of (h->mine, a) != NULL;
}

static int
pick_address (struct mc_store *s, const char *name, json_t *local, const char *dev, json_t *d,
              const struct mc_network *net, struct holders *mine, struct mc_nic *nic, bool *changed,
              mc_error_t *err)
{
  cleanup_free char *vkey = xasprintf ("volatile.%s.ipv4.address", dev);
  const char *fixed = json_string_value (json_object_get (d, "ipv4.address"));
  const char *cur = mc_config_get (local, vkey, NULL);
  struct holders others = { NULL, 0 };
  const struct holder *h;
  char text[INET_ADDRSTRLEN];
  struct in_addr a;
  int ret = 0;

  if (!net->has_ipv4)
    {
      record (local, dev, "ipv4.address", NULL, changed);
      if (fixed && !net->managed)
        return mc_make_error (err, 0, "device `%s`: `%s` is not a minictr network: the container configures its "
                              "address itself (no ipv4.address)", dev, net->name);
      if (fixed)
        return mc_make_error (err, 0, "device `%s`: network `%s` has no IPv4 subnet (ipv4.address=none)", dev,
                              net->name);
      return 0;
    }
  if (collect (s, net, name, &others, err) < 0)
    return -1;
  if (fixed)
    {
      if ((ret = mc_ipv4_parse (fixed, &a, err)) == 0 && !mc_ipv4_usable_host (&net->ipv4, a))
        {
          inet_ntop (AF_INET, &net->ipv4.addr, text, sizeof (text));
          ret = mc_make_error (err, 0, "device `%s`: ipv4.address %s is not a host address of network `%s` "
                               "(%s/%u, the bridge has %s)", dev, fixed, net->name, text, net->ipv4.prefix, text);
        }
      else if (ret == 0 && ((h = holder_of (&others, a)) || (h = holder_of (mine, a))))
        ret = mc_make_error (err, 0, "device `%s`: ipv4.address %s is already used by container `%s` (device "
                             "`%s`) on network `%s`", dev, fixed, h->container, h->dev, net->name);
      if (ret == 0)
        record (local, dev, "ipv4.address", NULL, changed);
    }
  else
    {
      mc_error_t e = NULL;
      bool keep = cur && mc_ipv4_parse (cur, &a, &e) == 0 && mc_ipv4_usable_host (&net->ipv4, a) && !holder_of (&others, a)
                  && !holder_of (mine, a);

      mc_error_release (&e);
      if (!keep)
        {
          /* The lowest free host address: predictable for a lab.  */
          struct held held = { &others, mine };

          if (!mc_ipv4_lowest_free (&net->ipv4, address_held, &held, &a))
            ret = mc_make_error (err, 0, "device `%s`: network `%s` has no free address left", dev, net->name);
          else
            record (local, dev, "ipv4.address", inet_ntop (AF_INET, &a, text, sizeof (text)), changed);
        }
    }
  holders_release (&others);
  if (ret < 0)
    return -1;
  mine->v = xrealloc (mine->v, sizeof (*mine->v) * (mine->n + 1));
  memset (&mine->v[mine->n], 0, sizeof (mine->v[mine->n]));
  mine->v[mine->n].addr = a;
  mine->v[mine->n].container = xstrdup (name);
  mine->v[mine->n++].dev = xstrdup (dev);
  nic->has_ipv4 = true;
  nic->addr = a;
  nic->gw = net->ipv4.addr;
  nic->prefix = net->ipv4.prefix;
  return 0;
}

static int
fill_nic (const char *name, const char *dev, json_t *d, const struct mc_network *net, struct mc_nic *nic,
          mc_error_t *err)
{
  const char *ifname = json_string_value (json_object_get (d, "name"));
  const char *mtu = json_string_value (json_object_get (d, "mtu"));

  snprintf (nic->dev, sizeof (nic->dev), "%s", dev);
  snprintf (nic->ifname, sizeof (nic->ifname), "%s", ifname ? ifname : dev);
  snprintf (nic->bridge, sizeof (nic->bridge), "%s", net->bridge);
  nic->mtu = mtu ? (unsigned) strtoul (mtu, NULL, 10) : 0;
  nic->macvlan = net->macvlan;
  /* Filtering needs a port on a bridge, and IPv4 filtering an address:
   * on a bridge minictr does not manage both are off unless asked for
   * (LXD's defaults there), and macvlan has no port.  */
  nic->mac_filter = net->managed ? !is_str (d, "security.mac_filtering", "false")
                                 : !net->macvlan && is_str (d, "security.mac_filtering", "true");
  nic->ipv4_filter = net->managed ? !is_str (d, "security.ipv4_filtering", "false")
                                  : is_str (d, "security.ipv4_filtering", "true");
  nic->filtered = !net->macvlan && (net->managed || nic->mac_filter || nic->ipv4_filter);
  return mc_nic_host_name (name, dev, nic->host_name, err);
}

/* ---- /etc/hosts and /etc/resolv.conf ----------------------------------------------- */

struct entry
{
  struct in_addr addr;
  char *line;
};

static int
entry_cmp (const void *a, const void *b)
{
  const struct entry *x = a, *y = b;

  return ntohl (x->addr.s_addr) < ntohl (y->addr.s_addr) ? -1 : ntohl (x->addr.s_addr) > ntohl (y->addr.s_addr);
}

static void
append (char **buf, const char *text)
{
  size_t a = *buf ? strlen (*buf) : 0, b = strlen (text);

  *buf = xrealloc (*buf, a + b + 1);
  memcpy (*buf + a, text, b + 1);
}

/* /etc/hosts of container NAME (expanded config EXP): its own names, and
 * those of every container recorded on its networks that have no DNS
 * server of ours (ipv4.dhcp=false), by address.  */
static char *
render_hosts (struct mc_store *s, const char *name, json_t *exp, mc_error_t *err)
{
  json_t *names = nic_names (json_object_get (exp, "devices")), *n;
  struct entry *e = NULL;
  char *out = NULL;
  size_t ne = 0, i, j, k;

  append (&out, "# Written by minictr at each start: this container, and the others on its networks "
                "without DNS.\n"
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  json_array_foreach (names, i, n)
    {
      json_t *dev = json_object_get (json_object_get (exp, "devices"), json_string_value (n));
      struct holders all = { NULL, 0 };
      struct mc_network net;

      if (network_of (s, json_string_value (n), dev, &net, err) < 0 || collect (s, &net, NULL, &all, err) < 0)
        {
          json_decref (names);
          for (k = 0; k < ne; k++)
            free (e[k].line);
          free (e);
          free (out);
          return NULL;
        }
      for (j = 0; j < all.n; j++)
        {
          char ip[INET_ADDRSTRLEN];

          /* Where the network's dnsmasq answers for the others, a line
             of theirs here would outlive a change of their address.  */
          if (net.dhcp && strcmp (all.v[j].container, name) != 0)
            continue;
          e = xrealloc (e, sizeof (*e) * (ne + 1));
          e[ne].addr = all.v[j].addr;
          inet_ntop (AF_INET, &all.v[j].addr, ip, sizeof (ip));
          e[ne++].line = xasprintf ("%s\t%s.%s %s\n", ip, all.v[j].container, net.domain, all.v[j].container);
        }
      holders_release (&all);
    }
  json_decref (names);
  if (ne > 1)
    qsort (e, ne, sizeof (*e), entry_cmp);
  for (i = 0; i < ne; i++)
    if (i == 0 || strcmp (e[i].line, e[i - 1].line) != 0)
      append (&out, e[i].line);
  for (i = 0; i < ne; i++)
    free (e[i].line);
  free (e);
  return out;
}

/* search: the networks' domains; nameservers: the bridges' dnsmasq
 * (ipv4.dhcp), then the host's (not its loopback ones, which a container
 * cannot reach) for a NAT network: dnsmasq forwards nothing.  */
static char *
render_resolv (const struct mc_network *nets, size_t n)
{
  cleanup_free char *host = NULL;
  char *out = NULL, *line, *save = NULL;
  mc_error_t e = NULL;
  bool nat = false;
  size_t len, i, j;

  bool search = false;

  append (&out, "# Written by minictr at each start.\n");
  for (i = 0; i < n; i++)
    {
      bool dup = !nets[i].managed;

      for (j = 0; j < i; j++)
        dup |= nets[j].managed && strcmp (nets[i].domain, nets[j].domain) == 0;
      if (!dup)
        {
          append (&out, search ? " " : "search ");
          append (&out, nets[i].domain);
          search = true;
        }
      nat |= nets[i].nat;
    }
  if (search)
    append (&out, "\n");
  /* The networks' own DNS (dnsmasq on the bridge) first.  */
  for (i = 0; i < n; i++)
    if (nets[i].dhcp)
      {
        char gw[INET_ADDRSTRLEN];
        cleanup_free char *l = xasprintf ("nameserver %s\n", inet_ntop (AF_INET, &nets[i].ipv4.addr, gw, sizeof (gw)));

        append (&out, l);
      }
  if (!nat || mc_read_file_at (AT_FDCWD, "/etc/resolv.conf", 1 << 16, &host, &len, &e) < 0)
    {
      mc_error_release (&e);
      return out;
    }
  for (line = strtok_r (host, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char ip[64];
      struct in_addr a;

      if (sscanf (line, " nameserver %63s", ip) == 1 && inet_pton (AF_INET, ip, &a) == 1
          && (ntohl (a.s_addr) >> 24) != 127)
        {
          cleanup_free char *l = xasprintf ("nameserver %s\n", ip);

          append (&out, l);
        }
    }
  return out;
}

/* ---- DHCP and DNS (dnsmasq.h) ---------------------------------------------------------- */

static int
update_dnsmasq (struct mc_store *s, const struct mc_network *net, mc_error_t *err)
{
  struct holders all = { NULL, 0 };
  struct mc_dhcp_host *hosts;
  struct mc_dnsmasq_net dm = mc_network_dnsmasq (net);
  size_t i, n = 0;
  int ret;

  if (collect (s, net, NULL, &all, err) < 0)
    return -1;
  hosts = xmalloc0 (sizeof (*hosts) * (all.n + 1));
  for (i = 0; i < all.n; i++)
    if (all.v[i].mac[0])
      {
        uint8_t mac[6];

        memcpy (hosts[n].mac, all.v[i].mac, sizeof (hosts[n].mac));
        hosts[n].addr = all.v[i].addr;
        hosts[n].name = all.v[i].container;
        if (net->has_ipv6 && mc_mac_parse (all.v[i].mac, mac) == 0)
          {
            hosts[n].has_addr6 = true;
            mc_ipv6_eui64 (&net->ipv6, mac, &hosts[n].addr6);
          }
        n++;
      }
  ret = mc_dnsmasq_set_hosts (s, &dm, hosts, n, err);
  free (hosts);
  holders_release (&all);
  return ret;
}

json_t *
mc_nic_leases (struct mc_store *s, const char *name, mc_error_t *err)
{
  struct holders all = { NULL, 0 };
  struct mc_network net;
  json_t *out;
  size_t i;

  if (mc_network_get (s, name, &net, err) < 0 || collect (s, &net, NULL, &all, err) < 0)
    return NULL;
  out = json_array ();
  for (i = 0; i < all.n; i++)
    {
      char ip[INET_ADDRSTRLEN];

      inet_ntop (AF_INET, &all.v[i].addr, ip, sizeof (ip));
      json_array_append_new (out, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "hostname", all.v[i].container, "hwaddr",
                                             all.v[i].mac, "address", ip, "type",
                                             all.v[i].fixed ? "static" : "dynamic", "location", "none"));
    }
  holders_release (&all);
  return out;
}

/* ---- start ------------------------------------------------------------------------- */

int
mc_nic_prepare (struct mc_store *s, const char *name, json_t *local, json_t *expanded, struct mc_nic_plan *plan,
                mc_error_t *err)
{
  json_t *devices = json_object_get (expanded, "devices"), *n;
  cleanup_json json_t *names = nic_names (devices);
  struct holders mine = { NULL, 0 };
  struct mc_network *nets;
  cleanup_close int lock = -1;
  bool changed = false;
  size_t i, j;
  int ret = 0;

  memset (plan, 0, sizeof (*plan));
  if (json_array_size (names) == 0)
    return 0;
  nets = xmalloc0 (sizeof (*nets) * json_array_size (names));
  plan->nics = xmalloc0 (sizeof (*plan->nics) * json_array_size (names));
  /* The bridges first (mc_network_ensure takes the lock itself).  */
  json_array_foreach (names, i, n)
    {
      const char *dev = json_string_value (n);

      if ((ret = network_of (s, dev, json_object_get (devices, dev), &nets[i], err)) < 0
          || (ret = mc_network_ensure (s, &nets[i], err)) < 0)
        break;
    }
  if (ret == 0 && (lock = mc_networks_lock (s, err)) < 0)
    ret = -1;
  /* One look at every container for all of this start's questions.  */
  nic_index_batch = true;
  nic_index_fresh = false;
  json_array_foreach (names, i, n)
    {
      const char *dev = json_string_value (n);
      json_t *d = json_object_get (devices, dev);
      struct mc_nic *nic = &plan->nics[i];

      if (ret < 0)
        break;
      if ((ret = fill_nic (name, dev, d, &nets[i], nic, err)) < 0
          || (ret = pick_mac (local, dev, d, nic->mac, &changed, err)) < 0
          || (ret = pick_address (s, name, local, dev, d, &nets[i], &mine, nic, &changed, err)) < 0)
        break;
      /* IPv6: the address SLAAC gives the MAC, configured before init
         runs as IPv4 is; the network's router advertisements agree.  */
      if (nets[i].has_ipv6)
        {
          nic->has_ipv6 = true;
          mc_ipv6_eui64 (&nets[i].ipv6, nic->mac, &nic->addr6);
          nic->gw6 = nets[i].ipv6.addr;
        }
      for (j = 0; j < i; j++)
        if (strcmp (plan->nics[j].ifname, nic->ifname) == 0)
          ret = mc_make_error (err, 0, "devices `%s` and `%s` both name interface `%s`", plan->nics[j].dev, dev,
                               nic->ifname);
      plan->n = i + 1;
    }
  /* Recorded before the lock goes: the next start sees these as taken. */
  if (ret == 0 && changed)
    ret = mc_container_config_save (s, name, local, err);
  if (ret == 0 && changed && nic_index_fresh)
    index_reread (s, name);
  /* The networks' dnsmasq learn every container's lease and name, under
   * the lock too: two starts cannot write them out of order.  */
  for (i = 0; ret == 0 && i < plan->n; i++)
    {
      bool done = false;

      for (j = 0; j < i; j++)
        done |= strcmp (nets[j].name, nets[i].name) == 0;
      if (!done && nets[i].dhcp)
        ret = update_dnsmasq (s, &nets[i], err);
    }
  if (ret == 0)
    {
      json_t *cfg = mc_config_expand (s, local, err);

      plan->hosts = cfg ? render_hosts (s, name, cfg, err) : NULL;
      json_decref (cfg);
      if (plan->hosts == NULL)
        ret = -1;
      else
        plan->resolv = render_resolv (nets, plan->n);
    }
  nic_index_batch = false;
  index_write (s);
  if (lock >= 0)
    {
      close (lock);
      lock = -1;
    }
  holders_release (&mine);
  free (nets);
  if (ret < 0)
    mc_nic_plan_release (plan);
  return ret;
}

void
mc_nic_plan_release (struct mc_nic_plan *plan)
{
  free (plan->nics);
  free (plan->hosts);
  free (plan->resolv);
  memset (plan, 0, sizeof (*plan));
}

/* ---- the monitor's part -------------------------------------------------------------- */

static int
configure_inside (const struct mc_nic *nics, size_t n, pid_t pid, mc_error_t *err)
{
  struct mc_nl nl = { 0 };
  bool routed = false, routed6 = false;
  size_t i;
  int ret = 0, idx;

  if (mc_nl_open_netns (&nl, pid, -1, err) < 0)
    return -1;
  for (i = 0; ret == 0 && i < n; i++)
    {
      const struct mc_nic *c = &nics[i];

      if ((idx = mc_nl_link_index (&nl, c->ifname, err)) <= 0)
        ret = idx < 0 ? -1 : mc_make_error (err, ENODEV, "interface `%s` is not in the container", c->ifname);
      if (ret == 0)
        ret = mc_nl_link_up (&nl, idx, err);
      if (ret == 0 && c->has_ipv4)
        ret = mc_nl_addr4_add (&nl, idx, c->addr, c->prefix, err);
      /* One default route: through the first network with IPv4.  */
      if (ret == 0 && c->has_ipv4 && !routed)
        {
          ret = mc_nl_route4_default (&nl, idx, c->gw, err);
          routed = true;
        }
      if (ret == 0 && c->has_ipv6)
        ret = mc_nl_addr6_add (&nl, idx, &c->addr6, 64, err);
      if (ret == 0 && c->has_ipv6 && !routed6)
        {
          ret = mc_nl_route6_default (&nl, idx, &c->gw6, err);
          routed6 = true;
        }
      if (ret < 0)
        mc_error_prefix (err, "device `%s` (%s) inside the container", c->dev, c->ifname);
    }
  mc_nl_close (&nl);
  return ret;
}

struct nic_list
{
  const struct mc_nic *nics;
  size_t n;
};

static int
add_port_filters (void *arg, mc_error_t *err)
{
  const struct nic_list *l = arg;
  size_t i;

  for (i = 0; i < l->n; i++)
    {
      const struct mc_nic *c = &l->nics[i];
      char ip[INET_ADDRSTRLEN];
      struct mc_fw_port p = { .host_name = c->host_name, .mac = c->mac, .mac_filter = c->mac_filter,
                              .ipv4_filter = c->ipv4_filter };

      if (!c->filtered)
        continue;
      if (c->has_ipv4)
        p.ipv4 = inet_ntop (AF_INET, &c->addr, ip, sizeof (ip));
      if (mc_firewall_port_add (&p, err) < 0)
        return mc_error_prefix (err, "device `%s`", c->dev);
    }
  return 0;
}

static int
del_port_filters (void *arg, mc_error_t *err)
{
  const struct nic_list *l = arg;
  size_t i;

  for (i = 0; i < l->n; i++)
    {
      const struct mc_nic *c = &l->nics[i];
      char ip[INET_ADDRSTRLEN];
      struct mc_fw_port p = { .host_name = c->host_name, .mac = c->mac };

      if (!c->filtered)
        continue;
      if (c->has_ipv4)
        p.ipv4 = inet_ntop (AF_INET, &c->addr, ip, sizeof (ip));
      if (mc_firewall_port_del (&p, err) < 0)
        return -1;
    }
  return 0;
}

int
mc_nic_attach (const struct mc_nic *nics, size_t n, pid_t pid, mc_error_t *err)
{
  cleanup_close int netns = -1;
  struct mc_nl nl = { 0 };
  char path[64];
  size_t i;
  int ret = 0;

  if (n == 0)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) pid);
  if ((netns = open (path, O_RDONLY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  if (mc_nl_open (&nl, err) < 0)
    return -1;
  for (i = 0; ret == 0 && i < n; i++)
    {
      const struct mc_nic *c = &nics[i];
      struct mc_veth v = { .host_name = c->host_name, .peer_name = c->ifname, .peer_netns_fd = netns,
                           .peer_mac = c->mac, .mtu = c->mtu };

      if (c->macvlan)
        {
          int parent = mc_nl_link_index (&nl, c->bridge, err);

          if (parent <= 0)
            ret = parent < 0 ? -1 : mc_make_error (err, ENODEV, "host interface `%s` is missing", c->bridge);
          else
            ret = mc_nl_macvlan_add (&nl, parent, c->ifname, netns, c->mac, c->mtu, err);
          if (ret < 0)
            mc_error_prefix (err, "device `%s`", c->dev);
          continue;
        }
      if ((v.master = mc_nl_link_index (&nl, c->bridge, err)) <= 0)
        ret = v.master < 0 ? -1 : mc_make_error (err, ENODEV, "bridge `%s` is missing", c->bridge);
      /* A host end left by a monitor that was killed: ours by its name. */
      if (ret == 0)
        ret = mc_nl_link_del (&nl, c->host_name, err);
      if (ret == 0)
        ret = mc_nl_veth_add (&nl, &v, err);
      if (ret < 0)
        mc_error_prefix (err, "device `%s`", c->dev);
    }
  mc_nl_close (&nl);
  /* libnftables is loaded in a child: the monitor never maps it.  */
  if (ret == 0)
    ret = mc_run_in_child (add_port_filters, &(struct nic_list){ nics, n }, err);
  if (ret == 0)
    ret = configure_inside (nics, n, pid, err);
  return ret;
}

void
mc_nic_detach (const struct mc_nic *nics, size_t n)
{
  struct mc_nl nl = { 0 };
  mc_error_t e = NULL;
  size_t i;

  if (n == 0 || mc_nl_open (&nl, &e) < 0)
    {
      mc_error_release (&e);
      return;
    }
  for (i = 0; i < n; i++)
    if (mc_nl_link_del (&nl, nics[i].host_name, &e) < 0)
      mc_error_release (&e);
  mc_nl_close (&nl);
  if (mc_run_in_child (del_port_filters, &(struct nic_list){ nics, n }, &e) < 0)
    mc_error_release (&e);
}

static int
del_dnat (void *arg, mc_error_t *err)
{
  return mc_firewall_dnat (arg, NULL, 0, err);
}

void
mc_nic_cleanup (struct mc_store *s, const char *name)
{
  mc_error_t e = NULL;
  json_t *cfg = mc_container_config_expanded (s, name, &e), *dev;
  struct mc_nl nl = { 0 };
  const char *dname;

  if (cfg == NULL || mc_nl_open (&nl, &e) < 0)
    {
      mc_error_release (&e);
      json_decref (cfg);
      return;
    }
  json_object_foreach (json_object_get (cfg, "devices"), dname, dev)
    {
      char host[16];

      if (is_nic (dev) && mc_nic_host_name (name, dname, host, &e) == 0)
        {
          struct mc_network net;

          (void) mc_nl_link_del (&nl, host, &e);
          mc_error_release (&e);
          /* A port filter exists only where fill_nic said so, with the
             MAC and address recorded.  */
          if (network_of (s, dname, dev, &net, &e) == 0 && !net.macvlan
              && (net.managed || is_str (dev, "security.mac_filtering", "true")
                  || is_str (dev, "security.ipv4_filtering", "true")))
            {
              cleanup_free char *mkey = xasprintf ("volatile.%s.hwaddr", dname);
              cleanup_free char *akey = xasprintf ("volatile.%s.ipv4.address", dname);
              const char *mac = json_string_value (json_object_get (dev, "hwaddr"));
              const char *ip = json_string_value (json_object_get (dev, "ipv4.address"));
              uint8_t b[6] = { 0 };
              struct mc_fw_port p = { .host_name = host, .mac = b };

              if (mac == NULL)
                mac = mc_config_get (cfg, mkey, NULL);
              if (mac)
                (void) mc_mac_parse (mac, b);
              p.ipv4 = ip ? ip : mc_config_get (cfg, akey, NULL);
              (void) mc_firewall_port_del (&p, &e);
            }
        }
      mc_error_release (&e);
    }
  mc_nl_close (&nl);
  /* nat=true proxies' table, if a killed monitor left it.  */
  if (mc_run_in_child (del_dnat, (void *) name, &e) < 0)
    mc_error_release (&e);
  json_decref (cfg);
}

/* ---- the other containers' /etc/hosts ------------------------------------------------- */

static bool
shares_network (struct mc_store *s, json_t *a, json_t *b)
{
  json_t *da = json_object_get (a, "devices"), *db = json_object_get (b, "devices"), *x, *y;
  const char *ka, *kb;

  json_object_foreach (da, ka, x)
    {
      struct mc_network na, nb;
      mc_error_t e = NULL;

      if (!is_nic (x) || network_of (s, ka, x, &na, &e) < 0)
        {
          mc_error_release (&e);
          continue;
        }
      json_object_foreach (db, kb, y)
        {
          if (is_nic (y) && network_of (s, kb, y, &nb, &e) == 0 && strcmp (na.name, nb.name) == 0)
            return true;
          mc_error_release (&e);
        }
    }
  return false;
}

static void
push_hosts (struct mc_store *s, const char *name, const char *content)
{
  struct mc_file_ref ref = { .name = name, .path = (char *) "/etc/hosts", .dir = false };
  struct mc_file_opts o = { .uid = MC_FILE_ID_UNSET, .gid = MC_FILE_ID_UNSET, .mode = 0644, .nowait = true };
  cleanup_close int fd = memfd_create ("hosts", MFD_CLOEXEC);
  char src[64];
  const char *srcs[1] = { src };
  mc_error_t e = NULL;

  if (fd < 0 || mc_write_all (fd, content, strlen (content)) < 0)
    return;
  snprintf (src, sizeof (src), "/proc/self/fd/%d", fd);
  if (mc_file_push (s, srcs, 1, &ref, &o, &e) < 0)
    mc_error_release (&e);
}

/* Whether one of the networks of nic devices DEVICES has no DNS server
 * of ours (ipv4.dhcp=false): there, the others learn a name only from
 * their /etc/hosts.  */
static bool
has_network_without_dns (struct mc_store *s, json_t *devices)
{
  const char *dname;
  json_t *dev;

  json_object_foreach (devices, dname, dev)
    {
      struct mc_network net;
      mc_error_t e = NULL;

      if (is_nic (dev) && network_of (s, dname, dev, &net, &e) == 0 && net.managed && net.has_ipv4 && !net.dhcp)
        return true;
      mc_error_release (&e);
    }
  return false;
}

void
mc_nic_refresh_peers (struct mc_store *s, const char *name)
{
  mc_error_t e = NULL;
  json_t *self = mc_container_config_expanded (s, name, &e), *names = NULL, *nics = NULL, *n;
  size_t i;

  /* On a network with its dnsmasq, the others resolve the new name
   * through it (its dns-hosts, written before this start), as on LXD's:
   * rewriting each one's /etc/hosts would cost every start a file push
   * per container, and a launch would slow down as they accumulate.  */
  if (self == NULL || json_array_size (nics = nic_names (json_object_get (self, "devices"))) == 0
      || !has_network_without_dns (s, json_object_get (self, "devices"))
      || (names = mc_container_names (s, &e)) == NULL)
    goto out;
  json_array_foreach (names, i, n)
    {
      const char *peer = json_string_value (n);
      struct mc_run_state st;
      enum mc_status status = MC_STATUS_STOPPED;
      cleanup_free char *hosts = NULL;
      json_t *cfg;

      if (strcmp (peer, name) == 0 || mc_container_status (peer, &st, &status, &e) < 0
          || status != MC_STATUS_RUNNING || (cfg = mc_container_config_expanded (s, peer, &e)) == NULL)
        {
          mc_error_release (&e);
          continue;
        }
      if (shares_network (s, self, cfg) && (hosts = render_hosts (s, peer, cfg, &e)) != NULL)
        push_hosts (s, peer, hosts);
      mc_error_release (&e);
      json_decref (cfg);
    }
out:
  mc_error_release (&e);
  json_decref (nics);
  json_decref (names);
  json_decref (self);
}

/* ---- state, for list and info -------------------------------------------------------- */

static int self_netns = -1;
static pid_t self_pid;

json_t *
mc_nic_state (const char *name, pid_t pid, json_t *devices, bool full)
{
  struct mc_nl nl = { 0 };
  struct mc_nl_link *links = NULL;
  struct mc_nl_addr *addrs = NULL;
  size_t nlinks = 0, naddrs = 0, i;
  mc_error_t e = NULL;
  json_t *out = NULL;
  bool global = false;

  /* Our own network namespace, kept: `list` asks once per container.  A
   * process forked since opens its own.  */
  if (self_pid != getpid ())
    {
      /* (one inherited from a parent is its, and its number may have
         been reused here since: not ours to close)  */
      self_netns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
      self_pid = getpid ();
    }
  if (mc_nl_open_netns (&nl, pid, self_netns, &e) < 0)
    {
      mc_error_release (&e);
      return NULL;
    }
  if (mc_nl_addrs (&nl, AF_UNSPEC, &addrs, &naddrs, &e) < 0)
    goto done;
  /* As mc_nl_addrs_json names them: all but host and link are "global". */
  for (i = 0; i < naddrs; i++)
    global = global || (addrs[i].scope != RT_SCOPE_HOST && addrs[i].scope != RT_SCOPE_LINK);
  /* The interfaces (their names, counters...) take a second dump, which
   * a caller after the global addresses alone can do without where
   * there are none.  */
  if (!full && !global)
    {
      out = json_object ();
      goto done;
    }
  if (mc_nl_links (&nl, &links, &nlinks, &e) < 0)
    goto done;
  out = json_object ();
  for (i = 0; i < nlinks; i++)
    {
      const struct mc_nl_link *l = &links[i];
      json_t *list = mc_nl_addrs_json (addrs, naddrs, l->index), *iface;
      const char *dname, *host = "";
      char mac[18], hostbuf[16];
      json_t *dev;

      mc_nl_mac_text (l, mac);
      json_object_foreach (devices, dname, dev)
        {
          const char *ifname = json_string_value (json_object_get (dev, "name"));

          if (is_nic (dev) && strcmp (ifname ? ifname : dname, l->name) == 0
              && mc_nic_host_name (name, dname, hostbuf, &e) == 0)
            host = hostbuf;
          mc_error_release (&e);
        }
      iface = json_pack ("{s:o, s:{s:I, s:I, s:I, s:I}, s:s, s:s, s:I, s:s, s:s}", "addresses", list, "counters",
                         "bytes_received", (json_int_t) l->rx_bytes, "bytes_sent", (json_int_t) l->tx_bytes,
                         "packets_received", (json_int_t) l->rx_packets, "packets_sent", (json_int_t) l->tx_packets,
                         "hwaddr", mac, "host_name", host, "mtu", (json_int_t) l->mtu, "state",
                         (l->flags & IFF_UP) ? "up" : "down", "type", l->loopback ? "loopback" : "broadcast");
      json_object_set_new (out, l->name, iface);
    }
done:
  mc_error_release (&e);
  free (links);
  free (addrs);
  mc_nl_close (&nl);
  return out;
}

/* ---- config changes -------------------------------------------------------------------- */

int
mc_nic_check_config (struct mc_store *s, const char *name, json_t *doc, mc_error_t *err)
{
  json_t *devices = json_object_get (doc, "devices"), *dev;
  const char *dname;

  json_object_foreach (devices, dname, dev)
    {
      const char *fixed = json_string_value (json_object_get (dev, "ipv4.address"));
      struct holders others = { NULL, 0 };
      struct mc_network net;
      const struct holder *h;
      struct in_addr a;
      int ret = 0;

      if (!is_nic (dev))
        continue;
      if (network_of (s, dname, dev, &net, err) < 0)
        return -1;
      if (fixed == NULL)
        continue;
      if (!net.has_ipv4)
        return mc_make_error (err, 0, "device `%s`: network `%s` has no IPv4 subnet (ipv4.address=none)", dname,
                              net.name);
      if (mc_ipv4_parse (fixed, &a, err) < 0)
        return -1;
      if (!mc_ipv4_usable_host (&net.ipv4, a))
        {
          char gw[INET_ADDRSTRLEN];

          inet_ntop (AF_INET, &net.ipv4.addr, gw, sizeof (gw));
          return mc_make_error (err, 0, "device `%s`: ipv4.address %s is not a host address of network `%s` "
                                "(%s/%u, the bridge has %s)", dname, fixed, net.name, gw, net.ipv4.prefix, gw);
        }
      if (collect (s, &net, name, &others, err) < 0)
        return -1;
      if ((h = holder_of (&others, a)))
        ret = mc_make_error (err, 0, "device `%s`: ipv4.address %s is already used by container `%s` (device `%s`) "
                             "on network `%s`", dname, fixed, h->container, h->dev, net.name);
      holders_release (&others);
      if (ret < 0)
        return -1;
    }
  return 0;
}
