#include "runtime/config/configure.h"
#include "runtime/quota.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/config/device-config.h"
#include "runtime/cgroup/limits.h"
#include "runtime/net/nic.h"
#include "lib/paths.h"
#include "lib/testhook.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/state.h"
#include "lib/utils.h"

#include <errno.h>
#include <string.h>

static void
note_deferred (json_t *deferred, const char *what)
{
  if (deferred)
    json_array_append_new (deferred, json_string (what));
}

static int
check_profiles (struct mc_store *s, json_t *profiles, mc_error_t *err)
{
  json_t *p, *prof;
  size_t i, j;

  if (!json_is_array (profiles))
    return mc_make_error (err, 0, "`profiles` must be a list of profile names");
  json_array_foreach (profiles, i, p)
    {
      if (!json_is_string (p))
        return mc_make_error (err, 0, "`profiles` must be a list of profile names");
      for (j = 0; j < i; j++)
        if (json_equal (json_array_get (profiles, j), p))
          return mc_make_error (err, 0, "profile `%s` is listed twice", json_string_value (p));
      if ((prof = mc_profile_load (s, json_string_value (p), err)) == NULL)
        return -1;
      json_decref (prof);
    }
  return 0;
}

/* `config device set|unset|override` and `profile device set|unset`: C's
 * keys on device C->device of DOC.  A container's device that comes from
 * a profile is changed only by overriding it (LXD's rule): the copy is
 * then the container's own.  */
static int
change_device_keys (struct mc_store *s, json_t *exp_devices, json_t *doc, const struct mc_config_change *c,
                    bool container, json_t *deferred, mc_error_t *err)
{
  json_t *devices = json_object_get (doc, "devices"), *dev = json_object_get (devices, c->device);
  cleanup_json json_t *copy = NULL, *exp = NULL;
  size_t i;

  if (c->device_op == MC_DEVICE_OVERRIDE)
    {
      if (dev)
        return mc_make_error (err, 0, "device `%s` is already the container's own (set its keys with `config device "
                              "set`)", c->device);
      if (exp_devices == NULL)
        {
          if ((exp = mc_config_expand (s, doc, err)) == NULL)
            return -1;
          exp_devices = json_object_get (exp, "devices");
        }
      if ((dev = json_object_get (exp_devices, c->device)) == NULL)
        return mc_make_error (err, 0, "device `%s` is in none of the container's profiles", c->device);
    }
  else if (dev == NULL)
    {
      if (container && exp_devices == NULL && (exp = mc_config_expand (s, doc, err)) != NULL)
        exp_devices = json_object_get (exp, "devices");
      if (container && json_object_get (exp_devices, c->device))
        return mc_make_error (err, 0, "device `%s` comes from a profile: override it first (`config device "
                              "override`) or change the profile", c->device);
      return mc_make_error (err, 0, "device `%s` does not exist", c->device);
    }
  copy = json_deep_copy (dev);
  for (i = 0; i < c->n; i++)
    {
      if (strcmp (c->keys[i], "type") == 0)
        return mc_make_error (err, 0, "device `%s`: its type cannot change (remove it and add another)", c->device);
      if (c->values)
        json_object_set_new (copy, c->keys[i], json_string (c->values[i]));
      else if (json_object_del (copy, c->keys[i]) < 0)
        return mc_make_error (err, 0, "device `%s` has no key `%s`", c->device, c->keys[i]);
    }
  if (mc_device_validate (c->device, copy, err) < 0)
    return -1;
  json_object_set (devices, c->device, copy);
  /* The root disk's size applies at once (runtime/quota.h).  */
  if (!mc_device_is_root (copy))
    note_deferred (deferred, c->device);
  return 0;
}

/* `device add` (C->device_conf) or `device remove` on DEVICES.  */
static int
add_remove_device (json_t *devices, const struct mc_config_change *c, json_t *deferred, mc_error_t *err)
{
  bool exists = json_object_get (devices, c->device) != NULL;

  if (c->device_conf && exists)
    return mc_make_error (err, 0, "device `%s` already exists", c->device);
  if (!c->device_conf && !exists)
    return mc_make_error (err, 0, "device `%s` does not exist", c->device);
  if (c->device_conf)
    {
      if (mc_device_validate (c->device, c->device_conf, err) < 0)
        return -1;
      json_object_set (devices, c->device, c->device_conf);
    }
  else
    json_object_del (devices, c->device);
  note_deferred (deferred, c->device);
  return 0;
}

int
mc_config_change_device (json_t *doc, json_t *exp_devices, const struct mc_config_change *c, bool container,
                         mc_error_t *err)
{
  if (!json_is_object (json_object_get (doc, "devices")))
    json_object_set_new (doc, "devices", json_object ());
  if (c->device_op != MC_DEVICE_ADD_REMOVE)
    return change_device_keys (NULL, exp_devices ? exp_devices : json_object_get (doc, "devices"), doc, c,
                               container, NULL, err);
  return add_remove_device (json_object_get (doc, "devices"), c, NULL, err);
}

/* LXD's --property: the fields of the document itself.  */
static int
change_properties (json_t *doc, const struct mc_config_change *c, bool container, mc_error_t *err)
{
  size_t i;

  for (i = 0; i < c->n; i++)
    {
      const char *key = c->keys[i], *v = c->values ? c->values[i] : NULL;

      if (strcmp (key, "description") == 0)
        json_object_set_new (doc, "description", json_string (v ? v : ""));
      else if (container && strcmp (key, "ephemeral") == 0)
        {
          if (v && strcmp (v, "true") && strcmp (v, "false"))
            return mc_make_error (err, 0, "invalid value `%s` for property `ephemeral`: expected true or false", v);
          json_object_set_new (doc, "ephemeral", json_boolean (v && strcmp (v, "true") == 0));
        }
      else
        return mc_make_error (err, 0, "unknown property `%s` (%s)", key,
                              container ? "description, ephemeral" : "description");
    }
  return 0;
}

/* Apply C to DOC (a copy: the caller throws it away on failure).  */
static int
change_doc (struct mc_store *s, json_t *doc, const struct mc_config_change *c, bool container,
            json_t *deferred, mc_error_t *err)
{
  json_t *config = json_object_get (doc, "config"), *devices = json_object_get (doc, "devices"), *v;
  const char *key;
  size_t i;

  if (c->replace)
    {
      json_t *newconf = json_object_get (c->replace, "config");

      if (!json_is_object (c->replace))
        return mc_make_error (err, 0, "expected a YAML mapping (config, devices%s)",
                              container ? ", profiles" : ", description");
      /* No config: the user's keys go, as with LXD; volatile.* stay.  */
      if (newconf == NULL)
        {
          newconf = json_object ();
          json_object_set_new (c->replace, "config", newconf);
        }
      json_object_foreach (newconf, key, v)
        if (mc_str_has_prefix (key, "volatile.") && !json_equal (v, json_object_get (config, key)))
          return mc_make_error (err, 0, "config key `%s` is managed by minictr and cannot be changed", key);
      if (mc_config_validate_doc (c->replace, err) < 0)
        return -1;
      /* volatile.* keys stay as they are, whatever the edit did to them. */
      json_object_foreach (config, key, v)
        if (mc_str_has_prefix (key, "volatile."))
          json_object_set (newconf, key, v);
      json_object_set_new (doc, "config", json_deep_copy (newconf));
      json_object_set_new (doc, "devices", json_is_object (json_object_get (c->replace, "devices"))
                                               ? json_deep_copy (json_object_get (c->replace, "devices"))
                                               : json_object ());
      if (json_is_string (json_object_get (c->replace, "description")))
        json_object_set (doc, "description", json_object_get (c->replace, "description"));
      if (container && json_object_get (c->replace, "profiles"))
        {
          if (check_profiles (s, json_object_get (c->replace, "profiles"), err) < 0)
            return -1;
          json_object_set (doc, "profiles", json_object_get (c->replace, "profiles"));
        }
      note_deferred (deferred, "devices");
      return 0;
    }
  if (c->device && c->device_op != MC_DEVICE_ADD_REMOVE)
    return change_device_keys (s, NULL, doc, c, container, deferred, err);
  if (c->property)
    return change_properties (doc, c, container, err);
  for (i = 0; i < c->n; i++)
    {
      const struct mc_config_key *k = mc_config_key_find (c->keys[i], true, err);

      if (k == NULL)
        return -1;
      if (c->values && mc_config_validate (c->keys[i], c->values[i], err) < 0)
        return -1;
      if (c->values)
        json_object_set_new (config, c->keys[i], json_string (c->values[i]));
      else
        json_object_del (config, c->keys[i]);
      if (!k->live)
        note_deferred (deferred, c->keys[i]);
    }
  if (c->device && add_remove_device (devices, c, deferred, err) < 0)
    return -1;
  if (container && c->profiles)
    {
      if (check_profiles (s, c->profiles, err) < 0)
        return -1;
      json_object_set (doc, "profiles", c->profiles);
    }
  return 0;
}

/* nic devices as the container will have them: their networks exist and
 * no static address is another container's.  */
static int
check_nics (struct mc_store *s, const char *name, json_t *doc, mc_error_t *err)
{
  json_t *exp = mc_config_expand (s, doc, err);
  int ret;

  if (exp == NULL)
    return -1;
  ret = mc_nic_check_config (s, name, exp, err);
  json_decref (exp);
  return ret;
}

/* Apply the live part of DOC, container NAME's own config, to its
 * cgroup if it is running.  */
static int
apply_live_doc (struct mc_store *s, const char *name, json_t *doc, mc_error_t *err)
{
  struct mc_run_state st;
  struct mc_cgroup *cg = NULL;
  enum mc_status status;
  json_t *exp;
  int ret;

  if (mc_container_status (name, &st, &status, err) < 0 || (exp = mc_config_expand (s, doc, err)) == NULL)
    return -1;
  /* The root disk's size holds for a stopped container's layer too
   * (`file push`).  */
  ret = mc_root_quota_apply (s, name, json_object_get (exp, "devices"), err);
  if (ret < 0 || status == MC_STATUS_STOPPED)
    {
      json_decref (exp);
      return ret;
    }
  ret = mc_container_cgroup_open (name, &cg, err);
  if (ret == 0)
    ret = mc_limits_apply (cg, json_object_get (exp, "config"), err);
  mc_cgroup_free (cg);
  json_decref (exp);
  return ret < 0 ? mc_error_prefix (err, "apply to running container `%s`", name) : 0;
}

/* After a failed apply: put back what OLD (the config in force, NULL:
 * the saved one) says.
 * Limits are written one file at a time, so the failed apply may have
 * changed some before it stopped.  */
static void
restore_live (struct mc_store *s, const char *name, json_t *old)
{
  mc_error_t e = NULL;

  /* NULL: the config on disk.  */
  (void) (old ? apply_live_doc (s, name, old, &e) : mc_container_apply_live (s, name, &e));
  mc_error_release (&e);
}

int
mc_container_apply_live (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *cfg = mc_container_config_load (s, name, err);
  int ret;

  if (cfg == NULL)
    return -1;
  ret = apply_live_doc (s, name, cfg, err);
  json_decref (cfg);
  return ret;
}

static bool
is_running (const char *name)
{
  struct mc_run_state st;
  enum mc_status status = MC_STATUS_STOPPED;
  mc_error_t e = NULL;

  if (mc_container_status (name, &st, &status, &e) < 0)
    mc_error_release (&e);
  return status != MC_STATUS_STOPPED;
}

int
mc_container_configure (struct mc_store *s, const char *name, const struct mc_config_change *change,
                        json_t **deferred, mc_error_t *err)
{
  cleanup_close int lock = mc_container_lock (s, name, err);
  json_t *cfg, *doc, *later = json_array ();
  int ret;

  if (lock < 0 || (cfg = mc_container_config_load (s, name, err)) == NULL)
    {
      json_decref (later);
      return -1;
    }
  doc = json_deep_copy (cfg);
  ret = change_doc (s, doc, change, true, later, err);
  if (ret == 0)
    ret = check_nics (s, name, doc, err);
  /* The running container takes the change first: what its cgroup
   * refuses is not saved, so the next start cannot trip on it.  */
  if (ret == 0 && (ret = apply_live_doc (s, name, doc, err)) < 0)
    restore_live (s, name, cfg);
  if (ret == 0)
    mc_test_point ("config-set-applied");
  if (ret == 0 && (ret = mc_container_config_save (s, name, doc, err)) < 0)
    restore_live (s, name, cfg);
  json_decref (doc);
  json_decref (cfg);
  if (ret == 0 && deferred && is_running (name))
    *deferred = json_incref (later);
  json_decref (later);
  return ret;
}

int
mc_profile_configure (struct mc_store *s, const char *name, const struct mc_config_change *change,
                      json_t **deferred, mc_error_t *err)
{
  cleanup_close int lock = mc_profiles_lock (s, err);
  json_t *doc, *old, *users, *later = json_array (), *u;
  bool running = false;
  size_t i;
  int ret;

  if (lock < 0 || (doc = mc_profile_load (s, name, err)) == NULL)
    {
      json_decref (later);
      return -1;
    }
  old = json_deep_copy (doc);
  ret = change_doc (s, doc, change, false, later, err);
  if (ret == 0)
    ret = mc_profile_save (s, name, doc, false, err);
  json_decref (doc);
  if (ret < 0 || (users = mc_profile_used_by (s, name, err)) == NULL)
    {
      json_decref (old);
      json_decref (later);
      return -1;
    }
  json_array_foreach (users, i, u)
    {
      const char *cname = json_string_value (u);
      cleanup_close int clock = mc_container_lock (s, cname, err);

      if (clock < 0 || mc_container_apply_live (s, cname, err) < 0)
        {
          ret = -1;
          break;
        }
      running |= is_running (cname);
    }
  /* A container refused it: the profile goes back to what it was, and so
   * do the containers that had taken it (the refusing one included: its
   * limits are written one file at a time).  */
  if (ret < 0)
    {
      mc_error_t e = NULL;
      size_t j;

      if (mc_profile_save (s, name, old, false, &e) < 0)
        mc_error_release (&e);
      for (j = 0; j <= i && j < json_array_size (users); j++)
        {
          const char *cname = json_string_value (json_array_get (users, j));
          cleanup_close int clock = mc_container_lock (s, cname, &e);

          mc_error_release (&e);
          restore_live (s, cname, NULL);
        }
    }
  json_decref (old);
  json_decref (users);
  if (ret == 0 && deferred && running)
    *deferred = json_incref (later);
  json_decref (later);
  return ret;
}
