#include "images/metadata.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <string.h>

#define MD_NAME "metadata.yaml"

static int
parse_required_string (json_t *root, const char *key, char **out, mc_error_t *err)
{
  json_t *v = json_object_get (root, key);

  if (v == NULL || json_is_null (v))
    return mc_make_error (err, 0, MD_NAME ": missing required key `%s`", key);
  if (!json_is_string (v) || json_string_length (v) == 0)
    return mc_make_error (err, 0, MD_NAME ": `%s` must be a non-empty string", key);
  *out = xstrdup (json_string_value (v));
  return 0;
}

static int
parse_time (json_t *root, const char *key, int required, int64_t *out, mc_error_t *err)
{
  json_t *v = json_object_get (root, key);

  *out = 0;
  if (v == NULL || json_is_null (v))
    return required ? mc_make_error (err, 0, MD_NAME ": missing required key `%s`", key) : 0;
  if (mc_json_get_int64 (v, out) < 0 || *out < 0)
    return mc_make_error (err, 0, MD_NAME ": `%s` must be a Unix timestamp (whole seconds)", key);
  return 0;
}

/* properties: a flat map of strings (LXD's map[string]string).  */
static int
parse_properties (json_t *root, struct mc_image_metadata *md, mc_error_t *err)
{
  json_t *v = json_object_get (root, "properties");
  const char *key;
  json_t *val;

  md->properties = json_object ();
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_object (v))
    return mc_make_error (err, 0, MD_NAME ": `properties` must be a mapping");
  json_object_foreach (v, key, val)
    {
      if (json_is_null (val))
        val = json_string ("");
      else if (json_is_string (val))
        json_incref (val);
      else
        return mc_make_error (err, 0, MD_NAME ": property `%s` must be a string", key);
      json_object_set_new (md->properties, key, val);
    }
  return 0;
}

/* A template file name is looked up in the image's templates/ directory:
 * it must be a plain file name.  */
static int
check_template_entry (const char *path, json_t *t, mc_error_t *err)
{
  json_t *name = json_object_get (t, "template");
  json_t *when = json_object_get (t, "when");
  const char *s;

  if (path[0] != '/')
    return mc_make_error (err, 0, MD_NAME ": template target `%s` must be an absolute path", path);
  if (!json_is_string (name))
    return mc_make_error (err, 0, MD_NAME ": template for `%s` has no `template` file name", path);
  s = json_string_value (name);
  if (*s == '\0' || strchr (s, '/') || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return mc_make_error (err, 0, MD_NAME ": template for `%s`: invalid file name `%s`", path, s);
  if (when != NULL && !json_is_array (when))
    return mc_make_error (err, 0, MD_NAME ": template for `%s`: `when` must be a list", path);
  return 0;
}

static int
parse_templates (json_t *root, struct mc_image_metadata *md, mc_error_t *err)
{
  json_t *v = json_object_get (root, "templates");
  const char *path;
  json_t *t;

  if (v == NULL || json_is_null (v))
    {
      md->templates = json_object ();
      return 0;
    }
  if (!json_is_object (v))
    return mc_make_error (err, 0, MD_NAME ": `templates` must be a mapping");
  json_object_foreach (v, path, t)
    {
      if (!json_is_object (t))
        return mc_make_error (err, 0, MD_NAME ": template for `%s` must be a mapping", path);
      if (check_template_entry (path, t, err) < 0)
        return -1;
    }
  md->templates = json_incref (v);
  return 0;
}

int
mc_metadata_parse (const char *buf, size_t len, struct mc_image_metadata *md,
                   mc_error_t *err)
{
  json_t *root;
  int ret = -1;

  memset (md, 0, sizeof (*md));
  root = mc_yaml_load (buf, len, MD_NAME, err);
  if (root == NULL)
    return -1;
  if (!json_is_object (root))
    {
      mc_make_error (err, 0, MD_NAME ": top level must be a mapping");
      goto out;
    }
  if (parse_required_string (root, "architecture", &md->architecture, err) < 0
      || parse_time (root, "creation_date", 1, &md->creation_date, err) < 0
      || parse_time (root, "expiry_date", 0, &md->expiry_date, err) < 0
      || parse_properties (root, md, err) < 0
      || parse_templates (root, md, err) < 0)
    goto out;
  ret = 0;
out:
  json_decref (root);
  if (ret < 0)
    mc_metadata_release (md);
  return ret;
}

void
mc_metadata_release (struct mc_image_metadata *md)
{
  free (md->architecture);
  json_decref (md->properties);
  json_decref (md->templates);
  memset (md, 0, sizeof (*md));
}
