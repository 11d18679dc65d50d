#include "runtime/config/device-config.h"
#include "runtime/net/netaddr.h"
#include "runtime/net/proxy.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool
is_bool_true (json_t *v)
{
  return json_is_string (v) && strcmp (json_string_value (v), "true") == 0;
}

static int
nic_validate (const char *name, json_t *dev, mc_error_t *err)
{
  static const char *const keys[] = { "type", "nictype", "network", "parent", "name", "hwaddr", "ipv4.address", "mtu",
                                      "security.mac_filtering", "security.ipv4_filtering" };
  const char *network = json_string_value (json_object_get (dev, "network"));
  const char *parent = json_string_value (json_object_get (dev, "parent"));
  const char *nictype = json_string_value (json_object_get (dev, "nictype"));
  const char *v, *key;
  struct in_addr a;
  uint8_t mac[6];
  size_t i;

  if ((key = mc_json_unknown_key (dev, keys, sizeof (keys) / sizeof (keys[0]))) != NULL)
    return mc_make_error (err, 0, "device `%s`: unknown key `%s` for a nic (nictype, network, parent, name, "
                          "hwaddr, ipv4.address, mtu, security.mac_filtering, security.ipv4_filtering)",
                          name, key);
  for (i = 0; i < 2; i++)
    {
      const char *k = i == 0 ? "security.mac_filtering" : "security.ipv4_filtering";

      if ((v = json_string_value (json_object_get (dev, k))) && strcmp (v, "true") && strcmp (v, "false"))
        return mc_make_error (err, 0, "device `%s`: %s must be true or false, not `%s`", name, k, v);
    }
  if (nictype && strcmp (nictype, "bridged") != 0 && strcmp (nictype, "macvlan") != 0)
    return mc_make_error (err, 0, "device `%s`: unsupported nictype `%s` (minictr supports bridged and macvlan)",
                          name, nictype);
  if (nictype && strcmp (nictype, "macvlan") == 0)
    {
      if (parent == NULL || network)
        return mc_make_error (err, 0, "device `%s`: a macvlan nic needs `parent: HOST_INTERFACE` (and no network)",
                              name);
      if (json_object_get (dev, "ipv4.address") || is_bool_true (json_object_get (dev, "security.mac_filtering"))
          || is_bool_true (json_object_get (dev, "security.ipv4_filtering")))
        return mc_make_error (err, 0, "device `%s`: a macvlan nic takes no ipv4.address or filtering (the "
                              "container configures itself on the parent's network)", name);
    }
  if (network && parent)
    return mc_make_error (err, 0, "device `%s`: `network` and `parent` exclude each other", name);
  if (network == NULL && (nictype == NULL || parent == NULL))
    return mc_make_error (err, 0, "device `%s`: a nic needs `network: NETWORK`, or `nictype: bridged` with "
                          "`parent: NETWORK` (or a host bridge), or `nictype: macvlan` with `parent: INTERFACE`", name);
  if (network && mc_network_name_validate (network, err) < 0)
    return mc_error_prefix (err, "device `%s`", name);
  if (parent && !mc_ifname_valid (parent))
    return mc_make_error (err, 0, "device `%s`: invalid parent `%s`", name, parent);
  v = json_string_value (json_object_get (dev, "name"));
  if (!mc_ifname_valid (v ? v : name))
    return mc_make_error (err, 0, "device `%s`: `%s` cannot name an interface (1 to 15 characters, no `/`, `:` "
                          "or blanks, not lo): set `name`", name, v ? v : name);
  if ((v = json_string_value (json_object_get (dev, "hwaddr"))) && mc_mac_parse (v, mac) < 0)
    return mc_make_error (err, 0, "device `%s`: invalid hwaddr `%s` (expected a unicast MAC such as "
                          "00:16:3e:12:34:56)", name, v);
  if ((v = json_string_value (json_object_get (dev, "ipv4.address"))) && mc_ipv4_parse (v, &a, err) < 0)
    return mc_error_prefix (err, "device `%s`: ipv4.address", name);
  if ((v = json_string_value (json_object_get (dev, "mtu"))))
    {
      char *end;
      long m = strtol (v, &end, 10);

      if (!isdigit ((unsigned char) *v) || *end || m < 68 || m > 65535)
        return mc_make_error (err, 0, "device `%s`: invalid mtu `%s` (68 to 65535)", name, v);
    }
  return 0;
}


static bool
is_bool_string (json_t *v)
{
  const char *s = json_string_value (v);

  return s && (strcmp (s, "true") == 0 || strcmp (s, "false") == 0);
}

static bool
decimal (const char *v, unsigned long max)
{
  char *end;
  unsigned long n;

  if (v == NULL || !isdigit ((unsigned char) *v))
    return false;
  errno = 0;
  n = strtoul (v, &end, 10);
  return *end == '\0' && errno == 0 && n <= max;
}

/* unix-char and unix-block (LXD's): a device node at `path` inside, the
 * host's `source` (its numbers) or `major`/`minor`, owned by `uid`/`gid`
 * of the container with `mode`; `required: false` when the host node may
 * be missing.  */
static int
unix_validate (const char *name, json_t *dev, mc_error_t *err)
{
  static const char *const keys[] = { "type", "source", "path", "major", "minor", "uid", "gid", "mode", "required" };
  const char *source = json_string_value (json_object_get (dev, "source"));
  const char *path = json_string_value (json_object_get (dev, "path"));
  const char *v, *key;
  json_t *val;
  size_t i;

  if ((key = mc_json_unknown_key (dev, keys, sizeof (keys) / sizeof (keys[0]))) != NULL)
    return mc_make_error (err, 0, "device `%s`: unknown key `%s` for a %s (source, path, major, minor, uid, "
                          "gid, mode, required)", name, key, json_string_value (json_object_get (dev, "type")));
  if (source == NULL && path == NULL)
    return mc_make_error (err, 0, "device `%s`: needs `source` (a host device node) or `path`", name);
  for (i = 0; i < 2; i++)
    {
      const char *p = i == 0 ? source : path;

      if (p && (p[0] != '/' || strcmp (p, "/") == 0))
        return mc_make_error (err, 0, "device `%s`: `%s` must be an absolute path to a node", name,
                              i == 0 ? "source" : "path");
      if (p && (strstr (p, "/../") || (strlen (p) >= 3 && strcmp (p + strlen (p) - 3, "/..") == 0)))
        return mc_make_error (err, 0, "device `%s`: `%s` must not contain `..`", name, i == 0 ? "source" : "path");
    }
  for (i = 0; i < 4; i++)
    {
      static const char *const nums[] = { "major", "minor", "uid", "gid" };

      if ((v = json_string_value (json_object_get (dev, nums[i]))) && !decimal (v, i < 2 ? 0xfffff : 0xfffffffe))
        return mc_make_error (err, 0, "device `%s`: invalid %s `%s`", name, nums[i], v);
    }
  if ((v = json_string_value (json_object_get (dev, "mode"))))
    {
      char *end;
      unsigned long m = strtoul (v, &end, 8);

      if (*v == '\0' || *end || m > 07777 || !isdigit ((unsigned char) *v))
        return mc_make_error (err, 0, "device `%s`: invalid mode `%s` (octal, such as 0660)", name, v);
    }
  if ((val = json_object_get (dev, "required")) && !is_bool_string (val))
    return mc_make_error (err, 0, "device `%s`: `required` must be true or false", name);
  return 0;
}

bool
mc_device_is_root (json_t *dev)
{
  const char *type = json_string_value (json_object_get (dev, "type"));
  const char *path = json_string_value (json_object_get (dev, "path"));

  return type && path && strcmp (type, "disk") == 0 && strcmp (path, "/") == 0
         && json_object_get (dev, "source") == NULL;
}

/* LXD's root disk: the container's own tree (minictr's overlay) from
 * storage pool `pool`, at most `size` bytes where the state directory's
 * filesystem has project quotas (checked by runtime/files/quota.c).  */
static int
root_validate (const char *name, json_t *dev, mc_error_t *err)
{
  const char *pool = json_string_value (json_object_get (dev, "pool"));
  const char *size = json_string_value (json_object_get (dev, "size"));
  const char *key;
  uint64_t bytes;
  json_t *v;

  json_object_foreach (dev, key, v)
    if (strcmp (key, "type") && strcmp (key, "path") && strcmp (key, "pool") && strcmp (key, "size"))
      return mc_make_error (err, 0, "device `%s`: unknown key `%s` for the root disk (pool, size; "
                            "minictr's root is an overlay in its state directory)", name, key);
  if (pool && mc_plain_name_validate ("storage pool", pool, err) < 0)
    return mc_error_prefix (err, "device `%s`", name);
  if (size && *size && mc_parse_size (size, &bytes, err) < 0)
    return mc_error_prefix (err, "device `%s`: size", name);
  if (size && *size && bytes < 1024 * 1024)
    return mc_make_error (err, 0, "device `%s`: size `%s` is below 1MiB", name, size);
  return 0;
}

int
mc_device_validate (const char *name, json_t *dev, mc_error_t *err)
{
  const char *type = json_string_value (json_object_get (dev, "type"));
  const char *source, *path, *key;
  struct stat st;
  json_t *v;

  if (*name == '\0' || strlen (name) > 64 || strchr (name, '/'))
    return mc_make_error (err, 0, "invalid device name `%s`", name);
  if (!json_is_object (dev))
    return mc_make_error (err, 0, "device `%s`: expected a mapping of keys", name);
  if (type == NULL)
    return mc_make_error (err, 0, "device `%s`: missing `type`", name);
  json_object_foreach (dev, key, v)
    if (!json_is_string (v))
      return mc_make_error (err, 0, "device `%s`: `%s` must be a string", name, key);
  if (strcmp (type, "nic") == 0)
    return nic_validate (name, dev, err);
  if (mc_device_is_root (dev))
    return root_validate (name, dev, err);
  if (strcmp (type, "unix-char") == 0 || strcmp (type, "unix-block") == 0)
    return unix_validate (name, dev, err);
  if (strcmp (type, "proxy") == 0)
    return mc_proxy_validate (name, dev, err);
  if (strcmp (type, "disk") != 0)
    return mc_make_error (err, 0, "device `%s`: unsupported type `%s` (minictr supports disk, nic, proxy, "
                          "unix-char and unix-block)", name, type);
  json_object_foreach (dev, key, v)
    {
      if (!json_is_string (v))
        return mc_make_error (err, 0, "device `%s`: `%s` must be a string", name, key);
      if (strcmp (key, "type") && strcmp (key, "source") && strcmp (key, "path")
          && strcmp (key, "readonly") && strcmp (key, "shift"))
        return mc_make_error (err, 0, "device `%s`: unknown key `%s` for a disk (source, path, readonly, shift)",
                              name, key);
    }
  source = json_string_value (json_object_get (dev, "source"));
  path = json_string_value (json_object_get (dev, "path"));
  if (source == NULL || source[0] != '/')
    return mc_make_error (err, 0, "device `%s`: `source` must be an absolute host path", name);
  if (path == NULL || path[0] != '/')
    return mc_make_error (err, 0, "device `%s`: `path` must be an absolute path in the container", name);
  if (strcmp (path, "/") == 0)
    return mc_make_error (err, 0, "device `%s`: `path` cannot be the container's root", name);
  if (strstr (path, "/../") || (strlen (path) >= 3 && strcmp (path + strlen (path) - 3, "/..") == 0))
    return mc_make_error (err, 0, "device `%s`: `path` must not contain `..`", name);
  if ((v = json_object_get (dev, "readonly")) && !is_bool_string (v))
    return mc_make_error (err, 0, "device `%s`: `readonly` must be true or false", name);
  if ((v = json_object_get (dev, "shift")) && !is_bool_string (v))
    return mc_make_error (err, 0, "device `%s`: `shift` must be true or false", name);
  if (stat (source, &st) < 0)
    return mc_make_error (err, errno, "device `%s`: source `%s`", name, source);
  return 0;
}

int
mc_devices_root (json_t *devices, json_t **root, const char **name, mc_error_t *err)
{
  const char *dname, *found = NULL;
  json_t *dev;

  *root = NULL;
  json_object_foreach (devices, dname, dev)
    if (mc_device_is_root (dev))
      {
        if (found)
          return mc_make_error (err, 0, "devices `%s` and `%s` are both a root disk (path /)", found, dname);
        found = dname;
        *root = dev;
      }
  if (name)
    *name = found;
  return 0;
}
