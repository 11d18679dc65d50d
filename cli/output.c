#include "cli/output.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cli_table_init (struct cli_table *t, const char *const *headers, size_t ncols)
{
  memset (t, 0, sizeof (*t));
  t->headers = headers;
  t->ncols = ncols;
}

/* Cells carry what containers and images supply (interface names,
 * descriptions, properties): their control characters, C0, DEL and C1
 * (U+0080-U+009F in UTF-8), are shown as \xNN escapes, never sent to the
 * terminal, where they could recolour, move the cursor or retitle.  */
static char *
escape_controls (const char *s)
{
  const unsigned char *p;
  size_t n = 0;
  char *out, *o;

  for (p = (const unsigned char *) s; *p; p++)
    n += (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) ? 8 : 1;
  o = out = xmalloc (n + 1);
  for (p = (const unsigned char *) s; *p; p++)
    {
      if (*p < 0x20 || *p == 0x7f)
        o += sprintf (o, "\\x%02x", *p);
      else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        {
          o += sprintf (o, "\\x%02x", p[1]);
          p++;
        }
      else
        *o++ = (char) *p;
    }
  *o = '\0';
  return out;
}

void
cli_table_add (struct cli_table *t, const char *const *row)
{
  size_t i;

  t->cells = xrealloc (t->cells, sizeof (char *) * t->ncols * (t->nrows + 1));
  for (i = 0; i < t->ncols; i++)
    t->cells[t->nrows * t->ncols + i] = escape_controls (row[i] ? row[i] : "");
  t->nrows++;
}

void
cli_table_release (struct cli_table *t)
{
  size_t i;

  for (i = 0; i < t->nrows * t->ncols; i++)
    free (t->cells[i]);
  free (t->cells);
  t->cells = NULL;
  t->nrows = 0;
}

static void
print_rule (const size_t *w, size_t ncols)
{
  size_t i, j;

  for (i = 0; i < ncols; i++)
    {
      putchar ('+');
      for (j = 0; j < w[i] + 2; j++)
        putchar ('-');
    }
  puts ("+");
}

/* One line of cells padded to the widths W: "| a | b |" boxed, or with
 * the bars left out (compact; trailing blanks dropped).  */
static void
print_row (const char *const *cells, const size_t *w, size_t ncols, bool centre, bool box)
{
  cleanup_free char *line = NULL;
  size_t len = 0, c;
  FILE *f = open_memstream (&line, &len);

  if (f == NULL)
    abort ();
  for (c = 0; c < ncols; c++)
    {
      size_t pad = w[c] - strlen (cells[c]);

      fputs (box ? "| " : c ? "  " : "", f);
      if (centre)
        fprintf (f, "%*s%s%*s", (int) (pad / 2), "", cells[c], (int) (pad - pad / 2), "");
      else
        fprintf (f, "%s%*s", cells[c], (int) pad, "");
      fputs (box ? " " : "", f);
    }
  fputs (box ? "|" : "", f);
  fclose (f);
  while (!box && len > 0 && line[len - 1] == ' ')
    line[--len] = '\0';
  puts (line);
}

/* LXD's tables: centred headers, left-aligned cells, ASCII box (or, for
 * compact, neither box nor rules).  */
static void
print_table (struct cli_table *t, bool box)
{
  cleanup_free size_t *w = xmalloc0 (sizeof (size_t) * t->ncols);
  size_t r, c;

  for (c = 0; c < t->ncols; c++)
    w[c] = strlen (t->headers[c]);
  for (r = 0; r < t->nrows; r++)
    for (c = 0; c < t->ncols; c++)
      if (strlen (t->cells[r * t->ncols + c]) > w[c])
        w[c] = strlen (t->cells[r * t->ncols + c]);
  if (box)
    print_rule (w, t->ncols);
  print_row (t->headers, w, t->ncols, true, box);
  if (box)
    print_rule (w, t->ncols);
  for (r = 0; r < t->nrows; r++)
    print_row ((const char *const *) t->cells + r * t->ncols, w, t->ncols, false, box);
  if (t->nrows && box)
    print_rule (w, t->ncols);
}

static void
print_csv_cell (const char *s)
{
  const char *p;

  if (strpbrk (s, ",\"\n\r") == NULL)
    {
      fputs (s, stdout);
      return;
    }
  putchar ('"');
  for (p = s; *p; p++)
    {
      if (*p == '"')
        putchar ('"');
      putchar (*p);
    }
  putchar ('"');
}

static void
print_csv (struct cli_table *t)
{
  size_t r, c;

  for (r = 0; r < t->nrows; r++)
    {
      for (c = 0; c < t->ncols; c++)
        {
          if (c)
            putchar (',');
          print_csv_cell (t->cells[r * t->ncols + c]);
        }
      putchar ('\n');
    }
}

int
cli_parse_format (const char *s, enum cli_format *out, mc_error_t *err)
{
  if (strcmp (s, "table") == 0)
    *out = CLI_FORMAT_TABLE;
  else if (strcmp (s, "csv") == 0)
    *out = CLI_FORMAT_CSV;
  else if (strcmp (s, "json") == 0)
    *out = CLI_FORMAT_JSON;
  else if (strcmp (s, "yaml") == 0)
    *out = CLI_FORMAT_YAML;
  else if (strcmp (s, "compact") == 0)
    *out = CLI_FORMAT_COMPACT;
  else
    return mc_make_usage_error (err, "invalid format `%s` (use table, csv, json, yaml or compact)", s);
  return 0;
}

int
cli_print_yaml (json_t *data, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_yaml_dump (data, &buf, &len, err) < 0)
    return -1;
  fwrite (buf, 1, len, stdout);
  return 0;
}

int
cli_print (enum cli_format fmt, struct cli_table *t, json_t *data, mc_error_t *err)
{
  switch (fmt)
    {
    case CLI_FORMAT_TABLE:
    case CLI_FORMAT_COMPACT:
      print_table (t, fmt == CLI_FORMAT_TABLE);
      return 0;
    case CLI_FORMAT_CSV:
      print_csv (t);
      return 0;
    case CLI_FORMAT_JSON:
      json_dumpf (data, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
      putchar ('\n');
      return 0;
    case CLI_FORMAT_YAML:
    default:
      return cli_print_yaml (data, err);
    }
}
