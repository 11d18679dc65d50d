#include "lib/yamltree.h"
#include "lib/utils.h"

#include <errno.h>
#include <inttypes.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct yaml_loader
{
  yaml_parser_t parser;
  const char *name;
};

static json_t *load_node (struct yaml_loader *l, yaml_event_t *ev, int depth,
                          mc_error_t *err);

static int
next_event (struct yaml_loader *l, yaml_event_t *ev, mc_error_t *err)
{
  if (yaml_parser_parse (&l->parser, ev))
    return 0;
  return mc_make_error (err, 0, "%s: invalid YAML at line %zu: %s", l->name,
                        l->parser.problem_mark.line + 1,
                        l->parser.problem ? l->parser.problem : "parse error");
}

static json_t *
load_scalar (yaml_event_t *ev)
{
  const char *v = (const char *) ev->data.scalar.value;
  size_t len = ev->data.scalar.length;

  if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
      && (len == 0 || strcmp (v, "~") == 0 || strcmp (v, "null") == 0))
    return json_null ();
  return json_stringn (v, len);
}

static json_t *
load_mapping (struct yaml_loader *l, int depth, mc_error_t *err)
{
  json_t *obj = json_object ();

  for (;;)
    {
      yaml_event_t key, val;
      json_t *child;

      if (next_event (l, &key, err) < 0)
        goto fail;
      if (key.type == YAML_MAPPING_END_EVENT)
        {
          yaml_event_delete (&key);
          return obj;
        }
      if (key.type != YAML_SCALAR_EVENT
          || memchr (key.data.scalar.value, 0, key.data.scalar.length))
        {
          mc_make_error (err, 0, "%s: line %zu: mapping keys must be plain strings",
                         l->name, key.start_mark.line + 1);
          yaml_event_delete (&key);
          goto fail;
        }
      if (next_event (l, &val, err) < 0)
        {
          yaml_event_delete (&key);
          goto fail;
        }
      child = load_node (l, &val, depth + 1, err);
      yaml_event_delete (&val);
      if (child == NULL)
        {
          yaml_event_delete (&key);
          goto fail;
        }
      json_object_set_new (obj, (const char *) key.data.scalar.value, child);
      yaml_event_delete (&key);
    }
fail:
  json_decref (obj);
  return NULL;
}

static json_t *
load_sequence (struct yaml_loader *l, int depth, mc_error_t *err)
{
  json_t *arr = json_array ();

  for (;;)
    {
      yaml_event_t ev;
      json_t *child;

      if (next_event (l, &ev, err) < 0)
        goto fail;
      if (ev.type == YAML_SEQUENCE_END_EVENT)
        {
          yaml_event_delete (&ev);
          return arr;
        }
      child = load_node (l, &ev, depth + 1, err);
      yaml_event_delete (&ev);
      if (child == NULL)
        goto fail;
      json_array_append_new (arr, child);
    }
fail:
  json_decref (arr);
  return NULL;
}

static json_t *
load_node (struct yaml_loader *l, yaml_event_t *ev, int depth, mc_error_t *err)
{
  if (depth > MC_YAML_MAX_DEPTH)
    {
      mc_make_error (err, 0, "%s: line %zu: nested deeper than %d levels",
                     l->name, ev->start_mark.line + 1, MC_YAML_MAX_DEPTH);
      return NULL;
    }
  switch (ev->type)
    {
    case YAML_SCALAR_EVENT:
      /* An escaped "\0" would make a string no C API can carry whole. */
      if (memchr (ev->data.scalar.value, 0, ev->data.scalar.length))
        {
          mc_make_error (err, 0, "%s: line %zu: NUL byte in a value", l->name,
                         ev->start_mark.line + 1);
          return NULL;
        }
      return load_scalar (ev);
    case YAML_MAPPING_START_EVENT:
      return load_mapping (l, depth, err);
    case YAML_SEQUENCE_START_EVENT:
      return load_sequence (l, depth, err);
    case YAML_ALIAS_EVENT:
      mc_make_error (err, 0, "%s: line %zu: YAML aliases are not allowed",
                     l->name, ev->start_mark.line + 1);
      return NULL;
    default:
      mc_make_error (err, 0, "%s: line %zu: unexpected YAML event",
                     l->name, ev->start_mark.line + 1);
      return NULL;
    }
}

/* Skip STREAM-START and DOCUMENT-START, load the root node, and insist
 * that nothing but the end of the stream follows.  */
static json_t *
load_document (struct yaml_loader *l, mc_error_t *err)
{
  yaml_event_t ev;
  json_t *root = NULL;

  for (;;)
    {
      if (next_event (l, &ev, err) < 0)
        goto fail;
      if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT)
        {
          yaml_event_delete (&ev);
          continue;
        }
      if (ev.type == YAML_STREAM_END_EVENT)
        {
          yaml_event_delete (&ev);
          return json_object ();
        }
      break;
    }
  root = load_node (l, &ev, 0, err);
  yaml_event_delete (&ev);
  if (root == NULL)
    return NULL;
  for (;;)
    {
      if (next_event (l, &ev, err) < 0)
        goto fail;
      if (ev.type == YAML_STREAM_END_EVENT)
        {
          yaml_event_delete (&ev);
          break;
        }
      if (ev.type != YAML_DOCUMENT_END_EVENT)
        {
          mc_make_error (err, 0, "%s: line %zu: more than one YAML document",
                         l->name, ev.start_mark.line + 1);
          yaml_event_delete (&ev);
          goto fail;
        }
      yaml_event_delete (&ev);
    }
  if (json_is_null (root))
    {
      json_decref (root);
      return json_object ();
    }
  return root;
fail:
  json_decref (root);
  return NULL;
}

json_t *
mc_yaml_load (const char *buf, size_t len, const char *name, mc_error_t *err)
{
  struct yaml_loader l = { .name = name };
  json_t *root;

  if (!yaml_parser_initialize (&l.parser))
    {
      mc_make_error (err, ENOMEM, "%s: YAML parser", name);
      return NULL;
    }
  yaml_parser_set_input_string (&l.parser, (const unsigned char *) buf, len);
  root = load_document (&l, err);
  yaml_parser_delete (&l.parser);
  return root;
}

/* ---- emitting ----------------------------------------------------------- */

struct yaml_dumper
{
  yaml_emitter_t emitter;
  char *buf;
  size_t len, alloc;
};

static int
dump_write (void *data, unsigned char *buffer, size_t size)
{
  struct yaml_dumper *d = data;

  if (d->len + size + 1 > d->alloc)
    {
      d->alloc = (d->len + size + 1) * 2;
      d->buf = xrealloc (d->buf, d->alloc);
    }
  memcpy (d->buf + d->len, buffer, size);
  d->len += size;
  d->buf[d->len] = '\0';
  return 1;
}

/* YAML 1.1/1.2 number syntax: [-+] digits [. digits] [e [-+] digits], or
 * a leading-dot fraction; also 0x/0o integers.  */
static int
looks_numeric (const char *s)
{
  const char *p = s;
  size_t digits = 0;

  if (*p == '-' || *p == '+')
    p++;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o'))
    return p[2] != '\0';
  for (; *p >= '0' && *p <= '9'; p++)
    digits++;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      digits++;
  if (digits == 0)
    return 0;
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '-' || *p == '+')
        p++;
      if (*p < '0' || *p > '9')
        return 0;
      while (*p >= '0' && *p <= '9')
        p++;
    }
  return *p == '\0';
}

/* True when a YAML 1.1/1.2 reader would resolve the plain scalar S to
 * something other than a string (bool, null, number).  */
static int
needs_quotes (const char *s)
{
  static const char *const words[] = {
    "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
    "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off",
    "Off", "OFF", "y", "Y", "n", "N", ".inf", ".Inf", ".INF", "-.inf", "+.inf",
    ".nan", ".NaN", ".NAN",
  };
  size_t i;

  for (i = 0; i < sizeof (words) / sizeof (words[0]); i++)
    if (strcmp (s, words[i]) == 0)
      return 1;
  return looks_numeric (s);
}

static int emit_node (struct yaml_dumper *d, json_t *v);

static int
emit_scalar (struct yaml_dumper *d, const char *s, yaml_scalar_style_t style)
{
  yaml_event_t ev;

  yaml_scalar_event_initialize (&ev, NULL, NULL, (yaml_char_t *) s,
                                (int) strlen (s), 1, 1, style);
  return yaml_emitter_emit (&d->emitter, &ev) ? 0 : -1;
}

static int
emit_object (struct yaml_dumper *d, json_t *v)
{
  yaml_event_t ev;
  const char *key;
  json_t *child;

  yaml_mapping_start_event_initialize (&ev, NULL, NULL, 1,
                                       json_object_size (v) ? YAML_BLOCK_MAPPING_STYLE
                                                            : YAML_FLOW_MAPPING_STYLE);
  if (!yaml_emitter_emit (&d->emitter, &ev))
    return -1;
  json_object_foreach (v, key, child)
    {
      if (emit_scalar (d, key, YAML_ANY_SCALAR_STYLE) < 0 || emit_node (d, child) < 0)
        return -1;
    }
  yaml_mapping_end_event_initialize (&ev);
  return yaml_emitter_emit (&d->emitter, &ev) ? 0 : -1;
}

static int
emit_array (struct yaml_dumper *d, json_t *v)
{
  yaml_event_t ev;
  size_t i;
  json_t *child;

  yaml_sequence_start_event_initialize (&ev, NULL, NULL, 1,
                                        json_array_size (v) ? YAML_BLOCK_SEQUENCE_STYLE
                                                            : YAML_FLOW_SEQUENCE_STYLE);
  if (!yaml_emitter_emit (&d->emitter, &ev))
    return -1;
  json_array_foreach (v, i, child)
    if (emit_node (d, child) < 0)
      return -1;
  yaml_sequence_end_event_initialize (&ev);
  return yaml_emitter_emit (&d->emitter, &ev) ? 0 : -1;
}

static int
emit_node (struct yaml_dumper *d, json_t *v)
{
  char num[64];

  switch (json_typeof (v))
    {
    case JSON_OBJECT:
      return emit_object (d, v);
    case JSON_ARRAY:
      return emit_array (d, v);
    case JSON_STRING:
      return emit_scalar (d, json_string_value (v),
                          needs_quotes (json_string_value (v)) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                                               : YAML_ANY_SCALAR_STYLE);
    case JSON_INTEGER:
      snprintf (num, sizeof (num), "%" JSON_INTEGER_FORMAT, json_integer_value (v));
      return emit_scalar (d, num, YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
      snprintf (num, sizeof (num), "%g", json_real_value (v));
      return emit_scalar (d, num, YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE:
      return emit_scalar (d, "true", YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
      return emit_scalar (d, "false", YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
    default:
      return emit_scalar (d, "null", YAML_PLAIN_SCALAR_STYLE);
    }
}

static int
emit_document (struct yaml_dumper *d, json_t *tree)
{
  yaml_event_t ev;

  yaml_stream_start_event_initialize (&ev, YAML_UTF8_ENCODING);
  if (!yaml_emitter_emit (&d->emitter, &ev))
    return -1;
  yaml_document_start_event_initialize (&ev, NULL, NULL, NULL, 1);
  if (!yaml_emitter_emit (&d->emitter, &ev))
    return -1;
  if (emit_node (d, tree) < 0)
    return -1;
  yaml_document_end_event_initialize (&ev, 1);
  if (!yaml_emitter_emit (&d->emitter, &ev))
    return -1;
  yaml_stream_end_event_initialize (&ev);
  return yaml_emitter_emit (&d->emitter, &ev) ? 0 : -1;
}

int
mc_yaml_dump (json_t *tree, char **out, size_t *out_len, mc_error_t *err)
{
  struct yaml_dumper d = { .buf = NULL };
  int ret;

  if (!yaml_emitter_initialize (&d.emitter))
    return mc_make_error (err, ENOMEM, "YAML emitter");
  yaml_emitter_set_output (&d.emitter, dump_write, &d);
  yaml_emitter_set_unicode (&d.emitter, 1);
  yaml_emitter_set_width (&d.emitter, -1);
  ret = emit_document (&d, tree);
  if (ret < 0)
    mc_make_error (err, 0, "emit YAML: %s",
                   d.emitter.problem ? d.emitter.problem : "error");
  yaml_emitter_delete (&d.emitter);
  if (ret < 0)
    {
      free (d.buf);
      return -1;
    }
  *out = d.buf ? d.buf : xstrdup ("");
  if (out_len)
    *out_len = d.len;
  return 0;
}

int
mc_json_get_int64 (json_t *v, int64_t *out)
{
  const char *s;
  char *end;
  long long n;

  if (json_is_integer (v))
    {
      *out = json_integer_value (v);
      return 0;
    }
  if (!json_is_string (v))
    return -1;
  s = json_string_value (v);
  if (*s == '\0')
    return -1;
  errno = 0;
  n = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = n;
  return 0;
}

json_t *
mc_yaml_load_mapping (const char *buf, size_t len, const char *name, mc_error_t *err)
{
  cleanup_json json_t *doc = mc_yaml_load (buf, len, name, err);

  if (doc && !json_is_object (doc))
    {
      mc_make_error (err, 0, "%s: expected a YAML mapping", name);
      return NULL;
    }
  return steal_pointer (&doc);
}

json_t *
mc_yaml_load_mapping_at (int dirfd, const char *name, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_read_file_at (dirfd, name, 4 << 20, &buf, &len, err) < 0)
    return NULL;
  return mc_yaml_load_mapping (buf, len, name, err);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

json_t *
mc_json_sorted_strings (char **names, size_t n)
{
  json_t *out = json_array ();
  size_t i;

  if (n > 1)
    qsort (names, n, sizeof (char *), compare_strings);
  for (i = 0; i < n; i++)
    {
      json_array_append_new (out, json_string (names[i]));
      free (names[i]);
    }
  free (names);
  return out;
}

json_t *
mc_yaml_names_at (int dirfd, const char *what, mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (dirfd, ".");
  char **names = NULL;
  struct dirent *de;
  size_t n = 0;

  if (d == NULL)
    return mc_make_error (err, errno, "open `%s`", what), NULL;
  while ((de = readdir (d)) != NULL)
    {
      size_t len = strlen (de->d_name);

      if (de->d_name[0] == '.' || len <= 5 || strcmp (de->d_name + len - 5, ".yaml") != 0)
        continue;
      names = xrealloc (names, sizeof (char *) * (n + 1));
      names[n++] = xstrndup (de->d_name, len - 5);
    }
  return mc_json_sorted_strings (names, n);
}

const char *
mc_json_unknown_key (json_t *obj, const char *const *keys, size_t n)
{
  const char *key;
  json_t *v;
  size_t i;

  json_object_foreach (obj, key, v)
    {
      for (i = 0; i < n && strcmp (key, keys[i]) != 0; i++)
        ;
      if (i == n)
        return key;
    }
  return NULL;
}

