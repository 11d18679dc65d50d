/* Image aliases: images/aliases.yaml, a mapping
 *     NAME: {target: FINGERPRINT, description: TEXT}
 * rewritten atomically under the store lock.  */
#include "images/alias.h"
#include "images/store.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* LXD refuses empty names, slashes and colons (remote separator); we also
 * refuse whitespace and control characters, which break tables and
 * scripts.  */
int
mc_alias_validate (const char *name, mc_error_t *err)
{
  const unsigned char *p;

  if (*name == '\0')
    return mc_make_usage_error (err, "alias name must not be empty");
  if (strlen (name) > 255)
    return mc_make_usage_error (err, "alias `%.32s...` is longer than 255 characters", name);
  for (p = (const unsigned char *) name; *p; p++)
    if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
      return mc_make_usage_error (err, "invalid alias `%s`: it must not contain `/`, `:`, spaces or control characters", name);
  return 0;
}

static int
save_locked_change (struct mc_store *s, json_t *aliases, int lockfd, mc_error_t *err)
{
  int ret = mc_aliases_save (s, aliases, err);

  json_decref (aliases);
  close (lockfd);
  return ret;
}

int
mc_alias_create (struct mc_store *s, const char *name, const char *fp,
                 const char *description, mc_error_t *err)
{
  json_t *aliases, *old;
  int lockfd;

  if (mc_alias_validate (name, err) < 0)
    return -1;
  lockfd = mc_store_lock (s, err);
  if (lockfd < 0)
    return -1;
  aliases = mc_aliases_load (s, err);
  if (aliases == NULL)
    {
      close (lockfd);
      return -1;
    }
  old = json_object_get (aliases, name);
  if (old != NULL)
    {
      mc_make_error (err, 0, "alias `%s` already exists (it names image %.12s)", name,
                     json_string_value (json_object_get (old, "target")));
      json_decref (aliases);
      close (lockfd);
      return -1;
    }
  json_object_set_new (aliases, name, json_pack ("{s:s, s:s}", "target", fp,
                                                 "description", description ? description : ""));
  return save_locked_change (s, aliases, lockfd, err);
}

int
mc_alias_delete (struct mc_store *s, const char *name, mc_error_t *err)
{
  json_t *aliases;
  int lockfd = mc_store_lock (s, err);

  if (lockfd < 0)
    return -1;
  aliases = mc_aliases_load (s, err);
  if (aliases == NULL)
    {
      close (lockfd);
      return -1;
    }
  if (json_object_del (aliases, name) < 0)
    {
      json_decref (aliases);
      close (lockfd);
      return mc_make_error (err, 0, "alias `%s` not found", name);
    }
  return save_locked_change (s, aliases, lockfd, err);
}

int
mc_alias_rename (struct mc_store *s, const char *from, const char *to, mc_error_t *err)
{
  json_t *aliases, *a;
  int lockfd;

  if (mc_alias_validate (to, err) < 0)
    return -1;
  lockfd = mc_store_lock (s, err);
  if (lockfd < 0)
    return -1;
  aliases = mc_aliases_load (s, err);
  if (aliases == NULL)
    {
      close (lockfd);
      return -1;
    }
  a = json_object_get (aliases, from);
  if (a == NULL || json_object_get (aliases, to) != NULL)
    {
      json_decref (aliases);
      close (lockfd);
      if (a == NULL)
        return mc_make_error (err, 0, "alias `%s` not found", from);
      return mc_make_error (err, 0, "alias `%s` already exists", to);
    }
  json_object_set (aliases, to, a);
  json_object_del (aliases, from);
  return save_locked_change (s, aliases, lockfd, err);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (json_string_value (json_object_get (*(json_t *const *) a, "name")),
                 json_string_value (json_object_get (*(json_t *const *) b, "name")));
}

json_t *
mc_alias_list (struct mc_store *s, mc_error_t *err)
{
  json_t *aliases = mc_aliases_load (s, err);
  json_t **items, *out, *a;
  const char *name;
  size_t n = 0, i;

  if (aliases == NULL)
    return NULL;
  items = xmalloc0 (sizeof (*items) * (json_object_size (aliases) + 1));
  json_object_foreach (aliases, name, a)
    items[n++] = json_pack ("{s:s, s:O, s:O}", "name", name, "target",
                            json_object_get (a, "target"), "description",
                            json_object_get (a, "description"));
  qsort (items, n, sizeof (*items), compare_names);
  out = json_array ();
  for (i = 0; i < n; i++)
    json_array_append_new (out, items[i]);
  free (items);
  json_decref (aliases);
  return out;
}
