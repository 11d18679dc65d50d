#include "runtime/template.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- expressions ------------------------------------------------------------ */

struct expr
{
  const char *p;       /* cursor in the tag's text */
  const char *tname;   /* template, for errors */
  int line;
  json_t *ctx;
  mc_error_t *err;
  bool failed;
};

static json_t *parse_or (struct expr *e);

static void
skip_space (struct expr *e)
{
  while (isspace ((unsigned char) *e->p))
    e->p++;
}

static json_t *
fail (struct expr *e, const char *fmt, const char *what)
{
  if (!e->failed)
    mc_make_error (e->err, 0, "template `%s`, line %d: %s%s", e->tname, e->line, fmt, what ? what : "");
  e->failed = true;
  return NULL;
}

static bool
truthy (json_t *v)
{
  if (json_is_boolean (v))
    return json_is_true (v);
  if (json_is_string (v))
    return json_string_length (v) > 0;
  if (json_is_integer (v))
    return json_integer_value (v) != 0;
  return json_is_object (v) || json_is_array (v) ? json_array_size (v) || json_object_size (v) : false;
}

/* The text of a value, as pongo2 prints it.  */
static char *
to_text (json_t *v)
{
  if (json_is_string (v))
    return xstrdup (json_string_value (v));
  if (json_is_boolean (v))
    return xstrdup (json_is_true (v) ? "True" : "False");
  if (json_is_integer (v))
    return xasprintf ("%lld", (long long) json_integer_value (v));
  return xstrdup ("");
}

static bool
word_is (struct expr *e, const char *w)
{
  size_t n = strlen (w);

  return strncmp (e->p, w, n) == 0 && !isalnum ((unsigned char) e->p[n]) && e->p[n] != '_';
}

static json_t *
parse_string (struct expr *e)
{
  char quote = *e->p++;
  const char *start = e->p;
  char *s, *w;

  while (*e->p && *e->p != quote)
    e->p += (*e->p == '\\' && e->p[1]) ? 2 : 1;
  if (*e->p != quote)
    return fail (e, "unterminated string", NULL);
  s = xstrndup (start, (size_t) (e->p - start));
  e->p++;
  /* \" \' \\ \n */
  for (w = s, start = s; *start; start++)
    {
      if (*start == '\\' && start[1])
        {
          start++;
          *w++ = *start == 'n' ? '\n' : *start;
        }
      else
        *w++ = *start;
    }
  *w = '\0';
  json_t *v = json_string (s);
  free (s);
  return v;
}

static json_t *
lookup (struct expr *e, const char *path)
{
  static const char *const roots[] = { "container", "instance", "properties", "config", "trigger", "path" };
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL, *part = strtok_r (copy, ".", &save);
  json_t *v = e->ctx;
  size_t i;

  for (i = 0; part && i < sizeof (roots) / sizeof (roots[0]); i++)
    if (strcmp (part, roots[i]) == 0)
      break;
  if (part == NULL)
    return fail (e, "unknown variable ", path);
  if (i == sizeof (roots) / sizeof (roots[0]))
    return fail (e, "unknown variable ", path);
  for (; part && v; part = strtok_r (NULL, ".", &save))
    v = json_object_get (v, part);
  /* Undefined renders as nothing, as in pongo2.  */
  return v ? json_incref (v) : json_string ("");
}

static json_t *
call (struct expr *e, const char *fn)
{
  json_t *args[2] = { NULL, NULL }, *out;
  size_t n = 0;

  if (strcmp (fn, "config_get") != 0)
    return fail (e, "unsupported function ", fn);
  e->p++; /* ( */
  skip_space (e);
  while (!e->failed && *e->p != ')')
    {
      if (n == 2)
        {
          fail (e, "config_get takes a key and a default", NULL);
          break;
        }
      args[n++] = parse_or (e);
      skip_space (e);
      if (*e->p == ',')
        {
          e->p++;
          skip_space (e);
        }
      else if (*e->p != ')')
        fail (e, "expected `,` or `)` in config_get", NULL);
    }
  if (!e->failed && n < 1)
    fail (e, "config_get needs a key", NULL);
  out = NULL;
  if (!e->failed)
    {
      json_t *v = json_object_get (json_object_get (e->ctx, "config"), json_string_value (args[0]) ?: "");

      e->p++; /* ) */
      out = v ? json_incref (v) : n == 2 ? json_incref (args[1]) : json_string ("");
    }
  json_decref (args[0]);
  json_decref (args[1]);
  return out;
}

static json_t *
parse_primary (struct expr *e)
{
  const char *start;
  cleanup_free char *name = NULL;

  skip_space (e);
  if (*e->p == '"' || *e->p == '\'')
    return parse_string (e);
  if (*e->p == '(')
    {
      json_t *v;

      e->p++;
      v = parse_or (e);
      if (v == NULL)
        return NULL;
      skip_space (e);
      if (*e->p != ')')
        {
          json_decref (v);
          return fail (e, "expected `)`", NULL);
        }
      e->p++;
      return v;
    }
  if (word_is (e, "true") || word_is (e, "True"))
    return e->p += 4, json_true ();
  if (word_is (e, "false") || word_is (e, "False"))
    return e->p += 5, json_false ();
  start = e->p;
  while (isalnum ((unsigned char) *e->p) || *e->p == '_' || *e->p == '.' || *e->p == '-')
    e->p++;
  if (e->p == start)
    return fail (e, "unsupported expression near ", *start ? start : "the end");
  name = xstrndup (start, (size_t) (e->p - start));
  skip_space (e);
  if (*e->p == '(')
    return call (e, name);
  return lookup (e, name);
}

static json_t *
parse_cmp (struct expr *e)
{
  cleanup_json json_t *a = parse_primary (e);
  cleanup_json json_t *b = NULL;
  bool ne;

  skip_space (e);
  if (a == NULL || !((e->p[0] == '=' || e->p[0] == '!') && e->p[1] == '='))
    {
      if (a && *e->p == '|')
        return fail (e, "filters (`|`) are not supported", NULL);
      return steal_pointer (&a);
    }
  ne = e->p[0] == '!';
  e->p += 2;
  b = parse_primary (e);
  if (b == NULL)
    return NULL;
  {
    cleanup_free char *x = to_text (a), *y = to_text (b);
    bool eq = json_equal (a, b) || strcmp (x, y) == 0;

    return json_boolean (ne ? !eq : eq);
  }
}

static json_t *
parse_not (struct expr *e)
{
  json_t *v;

  skip_space (e);
  if (!word_is (e, "not"))
    return parse_cmp (e);
  e->p += 3;
  v = parse_not (e);
  if (v == NULL)
    return NULL;
  {
    bool t = truthy (v);

    json_decref (v);
    return json_boolean (!t);
  }
}

static json_t *
parse_and (struct expr *e)
{
  cleanup_json json_t *a = parse_not (e);

  for (;;)
    {
      cleanup_json json_t *b = NULL;
      bool t;

      skip_space (e);
      if (a == NULL || !word_is (e, "and"))
        return steal_pointer (&a);
      e->p += 3;
      if ((b = parse_not (e)) == NULL)
        return NULL;
      t = truthy (a) && truthy (b);
      json_decref (a);
      a = json_boolean (t);
    }
}

static json_t *
parse_or (struct expr *e)
{
  cleanup_json json_t *a = parse_and (e);

  for (;;)
    {
      cleanup_json json_t *b = NULL;
      bool t;

      skip_space (e);
      if (a == NULL || !word_is (e, "or"))
        return steal_pointer (&a);
      e->p += 2;
      if ((b = parse_and (e)) == NULL)
        return NULL;
      t = truthy (a) || truthy (b);
      json_decref (a);
      a = json_boolean (t);
    }
}

/* Evaluate the whole of SRC (a tag's inside).  */
static json_t *
eval (const char *tname, int line, const char *src, json_t *ctx, mc_error_t *err)
{
  struct expr e = { .p = src, .tname = tname, .line = line, .ctx = ctx, .err = err };
  json_t *v = parse_or (&e);

  skip_space (&e);
  if (v && *e.p != '\0')
    {
      json_decref (v);
      return fail (&e, "unexpected ", e.p);
    }
  return v;
}

/* ---- the template ---------------------------------------------------------------- */

#define MAX_NESTING 32

struct branch
{
  bool parent_active, active, taken, seen_else;
  int line;
};

struct out
{
  char *buf;
  size_t len, cap;
};

static void
emit (struct out *o, const char *s, size_t n)
{
  if (o->len + n + 1 > o->cap)
    {
      o->cap = (o->len + n + 1) * 2;
      o->buf = xrealloc (o->buf, o->cap);
    }
  memcpy (o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static int
count_lines (const char *from, const char *to)
{
  int n = 0;

  for (; from < to; from++)
    n += *from == '\n';
  return n;
}

/* "if x" -> keyword "if", rest "x".  */
static char *
tag_keyword (char *inner, char **rest)
{
  char *k = inner, *end;

  while (isspace ((unsigned char) *k))
    k++;
  end = k;
  while (isalpha ((unsigned char) *end))
    end++;
  *rest = end;
  if (*end)
    {
      *end = '\0';
      *rest = end + 1;
    }
  return k;
}

static int
statement (const char *name, int line, char *inner, json_t *ctx, struct branch *st, int *depth,
           mc_error_t *err)
{
  char *rest, *kw = tag_keyword (inner, &rest);
  struct branch *b = *depth ? &st[*depth - 1] : NULL;
  bool active = b ? b->active : true;
  cleanup_json json_t *v = NULL;

  if (strcmp (kw, "if") == 0 || strcmp (kw, "elif") == 0)
    {
      if ((v = eval (name, line, rest, ctx, err)) == NULL)
        return -1;
    }
  if (strcmp (kw, "if") == 0)
    {
      if (*depth == MAX_NESTING)
        return mc_make_error (err, 0, "template `%s`, line %d: `if` nested too deep", name, line);
      st[*depth] = (struct branch) { .parent_active = active, .line = line };
      st[*depth].active = active && truthy (v);
      st[*depth].taken = st[*depth].active;
      (*depth)++;
    }
  else if (strcmp (kw, "elif") == 0 || strcmp (kw, "else") == 0)
    {
      if (b == NULL || b->seen_else)
        return mc_make_error (err, 0, "template `%s`, line %d: `%s` without `if`", name, line, kw);
      if (kw[1] == 'l' && kw[2] == 's')
        {
          if (*rest && strspn (rest, " \t\n") != strlen (rest))
            return mc_make_error (err, 0, "template `%s`, line %d: `else` takes no condition", name, line);
          b->seen_else = true;
          b->active = b->parent_active && !b->taken;
        }
      else
        b->active = b->parent_active && !b->taken && truthy (v);
      b->taken |= b->active;
    }
  else if (strcmp (kw, "endif") == 0)
    {
      if (b == NULL)
        return mc_make_error (err, 0, "template `%s`, line %d: `endif` without `if`", name, line);
      (*depth)--;
    }
  else
    return mc_make_error (err, 0, "template `%s`, line %d: unsupported tag `{%% %s %%}`", name, line, kw);
  return 0;
}

char *
mc_template_render (const char *name, const char *text, json_t *ctx, mc_error_t *err)
{
  struct branch st[MAX_NESTING];
  struct out o = { xstrdup (""), 0, 1 };
  const char *p = text;
  int depth = 0, line = 1;

  while (*p)
    {
      const char *open = strstr (p, "{");
      const char *close;
      cleanup_free char *inner = NULL;
      bool active = depth ? st[depth - 1].active : true;
      char kind;

      while (open && open[1] != '{' && open[1] != '%' && open[1] != '#')
        open = strchr (open + 1, '{');
      if (open == NULL)
        {
          if (active)
            emit (&o, p, strlen (p));
          break;
        }
      if (active)
        emit (&o, p, (size_t) (open - p));
      line += count_lines (p, open);
      kind = open[1];
      close = strstr (open + 2, kind == '{' ? "}}" : kind == '%' ? "%}" : "#}");
      if (close == NULL)
        {
          mc_make_error (err, 0, "template `%s`, line %d: `%c%c` is never closed", name, line, '{', kind);
          goto fail;
        }
      inner = xstrndup (open + 2, (size_t) (close - open - 2));
      if (kind == '{')
        {
          json_t *v = eval (name, line, inner, ctx, err);
          cleanup_free char *s = NULL;

          if (v == NULL)
            goto fail;
          s = to_text (v);
          json_decref (v);
          if (active)
            emit (&o, s, strlen (s));
        }
      else if (kind == '%' && statement (name, line, inner, ctx, st, &depth, err) < 0)
        goto fail;
      line += count_lines (open, close);
      p = close + 2;
    }
  if (depth)
    {
      mc_make_error (err, 0, "template `%s`, line %d: `if` is never closed", name, st[depth - 1].line);
      goto fail;
    }
  return o.buf;
fail:
  free (o.buf);
  return NULL;
}

/* ---- an image's templates -------------------------------------------------------- */

void
mc_rendered_free (struct mc_rendered *r, size_t n)
{
  size_t i;

  for (i = 0; r && i < n; i++)
    {
      free (r[i].path);
      free (r[i].content);
    }
  free (r);
}

static bool
fires_on (json_t *when, const char *trigger)
{
  json_t *w;
  size_t i;

  json_array_foreach (when, i, w)
    if (json_is_string (w) && strcmp (json_string_value (w), trigger) == 0)
      return true;
  return false;
}

static json_t *
context (const char *name, json_t *cfg, json_t *properties, const char *trigger, const char *path)
{
  json_t *config = json_object_get (cfg, "config");
  const char *priv = json_string_value (json_object_get (config, "security.privileged"));
  const char *arch = json_string_value (json_object_get (cfg, "architecture"));
  struct utsname u;
  json_t *inst;

  if (arch == NULL)
    arch = uname (&u) == 0 ? u.machine : "";
  inst = json_pack ("{s:s, s:s, s:b, s:b, s:s}", "name", name, "architecture", arch, "privileged",
                    priv && strcmp (priv, "true") == 0, "ephemeral",
                    json_is_true (json_object_get (cfg, "ephemeral")), "type", "container");
  /* "o" steals a reference: one for each place INST, PROPERTIES and
   * CONFIG are put.  */
  return json_pack ("{s:O, s:o, s:o, s:o, s:s, s:s}", "container", inst, "instance", inst, "properties",
                    json_is_object (properties) ? json_incref (properties) : json_object (), "config",
                    json_is_object (config) ? json_incref (config) : json_object (), "trigger", trigger,
                    "path", path);
}

int
mc_templates_for (const char *image_dir, const char *name, json_t *cfg, const char *trigger,
                  struct mc_rendered **out, size_t *n, mc_error_t *err)
{
  cleanup_close int idir = open (image_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *mbuf = NULL;
  json_t *meta, *tpls, *t;
  const char *path;
  size_t len;
  int ret = 0;

  *out = NULL;
  *n = 0;
  if (idir < 0)
    return mc_make_error (err, errno, "open `%s`", image_dir);
  if (mc_read_file_at (idir, "metadata.yaml", 1 << 20, &mbuf, &len, err) < 0
      || (meta = mc_yaml_load (mbuf, len, "metadata.yaml", err)) == NULL)
    return -1;
  tpls = json_object_get (meta, "templates");
  json_object_foreach (tpls, path, t)
    {
      const char *file = json_string_value (json_object_get (t, "template"));
      cleanup_free char *rel = NULL, *text = NULL;
      json_t *ctx;
      char *res;

      if (!fires_on (json_object_get (t, "when"), trigger))
        continue;
      if (file == NULL || path[0] != '/' || strchr (file, '/'))
        {
          ret = mc_make_error (err, 0, "image template for `%s`: bad entry", path);
          break;
        }
      rel = xasprintf ("templates/%s", file);
      /* The image's own file, never what a symlink in it names.  */
      if (mc_read_untrusted_at (idir, rel, 1 << 20, &text, &len, err) < 0)
        {
          ret = mc_error_prefix (err, "image template for `%s`", path);
          break;
        }
      ctx = context (name, cfg, json_object_get (t, "properties"), trigger, path);
      res = mc_template_render (file, text, ctx, err);
      json_decref (ctx);
      if (res == NULL)
        {
          ret = -1;
          break;
        }
      *out = xrealloc (*out, sizeof (**out) * (*n + 1));
      (*out)[*n].path = xstrdup (path);
      (*out)[*n].content = res;
      (*out)[(*n)++].create_only = json_is_true (json_object_get (t, "create_only"))
                                   || (json_is_string (json_object_get (t, "create_only"))
                                       && strcmp (json_string_value (json_object_get (t, "create_only")), "true") == 0);
    }
  json_decref (meta);
  if (ret < 0)
    {
      mc_rendered_free (*out, *n);
      *out = NULL;
      *n = 0;
    }
  return ret;
}
