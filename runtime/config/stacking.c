#include "runtime/config/stacking.h"
#include "runtime/container.h"
#include "runtime/config/profiles.h"
#include "lib/utils.h"

#include <stdio.h>
#include <string.h>

json_t *
mc_container_config_expanded (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *cfg = mc_container_config_load (s, name, err), *out;

  if (cfg == NULL)
    return NULL;
  out = mc_config_expand (s, cfg, err);
  json_decref (cfg);
  return out;
}

/* ---- which containers use a profile ----------------------------------------- */

json_t *
mc_profile_used_by (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *names = mc_container_names (s, err), *users, *n;
  size_t i;

  if (names == NULL)
    return NULL;
  users = json_array ();
  json_array_foreach (names, i, n)
    {
      mc_error_t e = NULL;
      json_t *cfg = mc_container_config_load (s, json_string_value (n), &e), *p;
      size_t j;

      if (cfg == NULL)
        {
          mc_error_release (&e); /* deleted meanwhile */
          continue;
        }
      json_array_foreach (json_object_get (cfg, "profiles"), j, p)
        if (json_is_string (p) && strcmp (json_string_value (p), name) == 0)
          {
            json_array_append (users, n);
            break;
          }
      json_decref (cfg);
    }
  json_decref (names);
  return users;
}

static int
refuse_in_use (struct mc_store *s, const char *name, const char *what, mc_error_t *err)
{
  cleanup_json json_t *users = mc_profile_used_by (s, name, err);
  char list[512] = "";
  size_t i, used = 0;
  json_t *u;

  if (users == NULL)
    return -1;
  if (json_array_size (users) == 0)
    return 0;
  json_array_foreach (users, i, u)
    if (used < sizeof (list) - 1)
      used += (size_t) snprintf (list + used, sizeof (list) - used, "%s%s", i ? ", " : "",
                                 json_string_value (u));
  return mc_make_error (err, 0, "profile `%s` cannot be %s: used by %s", name, what, list);
}

int
mc_profile_delete (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *p;

  if (strcmp (name, "default") == 0)
    return mc_make_error (err, 0, "the `default` profile cannot be deleted");
  if ((p = mc_profile_load (s, name, err)) == NULL)
    return -1;
  json_decref (p);
  if (refuse_in_use (s, name, "deleted", err) < 0)
    return -1;
  return mc_profile_unlink (s, name, err);
}

/* LXD renames the profile in the containers that use it, too.  */
int
mc_profile_rename (struct mc_store *s, const char *from, const char *to, mc_error_t *err)
{
  json_t *p, *users, *u;
  size_t i;

  if (strcmp (from, "default") == 0)
    return mc_make_error (err, 0, "the `default` profile cannot be renamed");
  if (mc_profile_name_validate (to, err) < 0 || (p = mc_profile_load (s, from, err)) == NULL)
    return -1;
  json_decref (p);
  if (mc_profile_move (s, from, to, err) < 0)
    return -1;
  if ((users = mc_profile_used_by (s, from, err)) == NULL)
    return -1;
  json_array_foreach (users, i, u)
    {
      const char *cname = json_string_value (u);
      cleanup_close int lock = mc_container_lock (s, cname, err);
      json_t *cfg, *prof;
      size_t j;

      if (lock < 0 || (cfg = mc_container_config_load (s, cname, err)) == NULL)
        {
          json_decref (users);
          return -1;
        }
      json_array_foreach (json_object_get (cfg, "profiles"), j, prof)
        if (json_is_string (prof) && strcmp (json_string_value (prof), from) == 0)
          json_array_set_new (json_object_get (cfg, "profiles"), j, json_string (to));
      if (mc_container_config_save (s, cname, cfg, err) < 0)
        {
          json_decref (cfg);
          json_decref (users);
          return -1;
        }
      json_decref (cfg);
    }
  json_decref (users);
  return 0;
}
