#include "runtime/config/device-config.h"
#include "runtime/net/netaddr.h"
#include "lib/utils.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
  json_t *val;
  size_t i;

  json_object_foreach (dev, key, val)
    {
      bool known = false;

      for (i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
        known |= strcmp (key, keys[i]) == 0;
      if (!known)
        return mc_make_error (err, 0, "device `%s`: unknown key `%s` for a nic (nictype, network, parent, name, "
                              "hwaddr, ipv4.address, mtu, security.mac_filtering, security.ipv4_filtering)",
                              name, key);
    }
  for (i = 0; i < 2; i++)
    {
      const char *k = i == 0 ? "security.mac_filtering" : "security.ipv4_filtering";

      if ((v = json_string_value (json_object_get (dev, k))) && strcmp (v, "true") && strcmp (v, "false"))
        return mc_make_error (err, 0, "device `%s`: %s must be true or false, not `%s`", name, k, v);
    }
  if (nictype && strcmp (nictype, "bridged") != 0)
    return mc_make_error (err, 0, "device `%s`: unsupported nictype `%s` (minictr supports bridged)", name, nictype);
  if (network && parent)
    return mc_make_error (err, 0, "device `%s`: `network` and `parent` exclude each other", name);
  if (network == NULL && (nictype == NULL || parent == NULL))
    return mc_make_error (err, 0, "device `%s`: a nic needs `network: NETWORK`, or `nictype: bridged` with "
                          "`parent: NETWORK`", name);
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
  if (strcmp (type, "disk") != 0)
    return mc_make_error (err, 0, "device `%s`: unsupported type `%s` (minictr supports disk and nic)", name, type);
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
