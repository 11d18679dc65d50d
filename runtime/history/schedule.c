/* Snapshot schedules and expiries (schedule.h).  */
#include "runtime/history/schedule.h"
#include "lib/cleanup.h"
#include "lib/utils.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- cron ------------------------------------------------------------------ */

struct field
{
  const char *what;
  int lo, hi;
  const char *const *names; /* names[i] is lo + i, or NULL */
};

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const struct field fields[5] = {
  { "minute", 0, 59, NULL },
  { "hour", 0, 23, NULL },
  { "day of month", 1, 31, NULL },
  { "month", 1, 12, months },
  { "day of week", 0, 7, days },
};

static const struct
{
  const char *alias, *cron;
} aliases[] = {
  { "@hourly", "0 * * * *" },   { "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
  { "@weekly", "0 0 * * 0" },   { "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
  { "@annually", "0 0 1 1 *" },
};

/* A number or a name of field F at *P; -1 when there is none.  */
static int
value (const struct field *f, const char **p)
{
  size_t i;

  if (isdigit ((unsigned char) **p))
    {
      long v = 0;

      while (isdigit ((unsigned char) **p) && v < 1000)
        v = v * 10 + (*(*p)++ - '0');
      return (int) v;
    }
  for (i = 0; f->names && f->names[i]; i++)
    if (strncasecmp (*p, f->names[i], 3) == 0)
      {
        *p += 3;
        return f->lo + (int) i;
      }
  return -1;
}

/* Parse field F from TEXT into BITS (bit V: value V); the error names the
 * field.  */
static int
parse_field (const struct field *f, const char *text, uint64_t *bits, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (text);
  char *item, *save = NULL;

  *bits = 0;
  for (item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save))
    {
      const char *p = item;
      int a, b, step = 1, v;

      if (*p == '*')
        {
          a = f->lo;
          b = f->hi;
          p++;
        }
      else
        {
          if ((a = value (f, &p)) < 0)
            return mc_make_error (err, 0, "%s: `%s` is not a number%s", f->what, item, f->names ? " or a name" : "");
          b = a;
          if (*p == '-')
            {
              p++;
              if ((b = value (f, &p)) < 0)
                return mc_make_error (err, 0, "%s: bad range `%s`", f->what, item);
            }
        }
      if (*p == '/')
        {
          p++;
          if ((step = value (&fields[0], &p)) <= 0)
            return mc_make_error (err, 0, "%s: bad step in `%s`", f->what, item);
          if (a == b && item[0] != '*')
            b = f->hi;
        }
      if (*p != '\0')
        return mc_make_error (err, 0, "%s: unexpected `%s` in `%s`", f->what, p, item);
      if (a < f->lo || b > f->hi || a > b)
        return mc_make_error (err, 0, "%s: `%s` is outside %d-%d", f->what, item, f->lo, f->hi);
      for (v = a; v <= b; v += step)
        *bits |= UINT64_C (1) << v;
    }
  if (*bits == 0)
    return mc_make_error (err, 0, "%s: empty", f->what);
  return 0;
}

struct cron
{
  uint64_t bits[5];
  bool dom_any, dow_any;
};

static int
parse_cron (const char *spec, struct cron *c, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *tok[5], *t, *save = NULL;
  int n = 0, i;

  for (t = strtok_r (copy, " \t", &save); t; t = strtok_r (NULL, " \t", &save))
    {
      if (n == 5)
        {
          n++;
          break;
        }
      tok[n++] = t;
    }
  if (n != 5)
    return mc_make_error (err, 0, "expected 5 fields (minute hour day-of-month month day-of-week) or @hourly, "
                          "@daily, @weekly, @monthly, @yearly, not %d", n);
  for (i = 0; i < 5; i++)
    if (parse_field (&fields[i], tok[i], &c->bits[i], err) < 0)
      return -1;
  /* Sunday is 0 and 7.  */
  if (c->bits[4] & (UINT64_C (1) << 7))
    c->bits[4] |= 1;
  c->dom_any = tok[2][0] == '*';
  c->dow_any = tok[4][0] == '*';
  return 0;
}

static const char *
alias_cron (const char *a)
{
  size_t i;

  for (i = 0; i < sizeof (aliases) / sizeof (aliases[0]); i++)
    if (strcmp (a, aliases[i].alias) == 0)
      return aliases[i].cron;
  return NULL;
}

int
mc_schedule_validate (const char *spec, mc_error_t *err)
{
  struct cron c;

  if (spec[0] == '@')
    {
      cleanup_free char *copy = xstrdup (spec);
      char *a, *save = NULL;

      for (a = strtok_r (copy, ", ", &save); a; a = strtok_r (NULL, ", ", &save))
        if (alias_cron (a) == NULL)
          return mc_make_error (err, 0, "unknown schedule `%s` (@hourly, @daily, @midnight, @weekly, @monthly, "
                                "@yearly, @annually, or a cron expression)", a);
      return 0;
    }
  return parse_cron (spec, &c, err);
}

static bool
cron_due (const struct cron *c, const struct tm *t)
{
  bool dom = c->bits[2] >> t->tm_mday & 1, dow = c->bits[4] >> t->tm_wday & 1, day;

  if (c->dom_any || c->dow_any)
    day = dom && dow;
  else
    day = dom || dow;
  return (c->bits[0] >> t->tm_min & 1) && (c->bits[1] >> t->tm_hour & 1) && (c->bits[3] >> (t->tm_mon + 1) & 1)
         && day;
}

bool
mc_schedule_due (const char *spec, const struct tm *t)
{
  mc_error_t e = NULL;
  struct cron c;

  if (spec[0] == '@')
    {
      cleanup_free char *copy = xstrdup (spec);
      char *a, *save = NULL;
      bool due = false;

      for (a = strtok_r (copy, ", ", &save); a && !due; a = strtok_r (NULL, ", ", &save))
        if (alias_cron (a) && parse_cron (alias_cron (a), &c, &e) == 0)
          due = cron_due (&c, t);
      mc_error_release (&e);
      return due;
    }
  if (parse_cron (spec, &c, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  return cron_due (&c, t);
}

/* ---- expiry ------------------------------------------------------------------ */

/* Each "N<unit>" of SPEC in turn: FN (N, UNIT, DATA).  */
static int
each_amount (const char *spec, mc_error_t *err, void (*fn) (long n, char unit, void *data), void *data)
{
  const char *p = spec;
  int count = 0;

  for (;;)
    {
      long n = 0;

      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      if (!isdigit ((unsigned char) *p))
        return mc_make_error (err, 0, "`%s`: expected amounts such as 1M (minutes), 2H, 3d, 4w, 5m (months), 6y", spec);
      while (isdigit ((unsigned char) *p) && n < 100000)
        n = n * 10 + (*p++ - '0');
      if (n >= 100000 || strchr ("MHdwmy", *p) == NULL || *p == '\0')
        return mc_make_error (err, 0, "`%s`: expected amounts such as 1M (minutes), 2H, 3d, 4w, 5m (months), 6y", spec);
      if (fn)
        fn (n, *p, data);
      p++;
      count++;
    }
  if (count == 0)
    return mc_make_error (err, 0, "`%s`: empty expiry", spec);
  return 0;
}

int
mc_expiry_validate (const char *spec, mc_error_t *err)
{
  return each_amount (spec, err, NULL, NULL);
}

static void
add_amount (long n, char unit, void *data)
{
  struct tm *t = data;

  switch (unit)
    {
    case 'M': t->tm_min += (int) n; break;
    case 'H': t->tm_hour += (int) n; break;
    case 'd': t->tm_mday += (int) n; break;
    case 'w': t->tm_mday += 7 * (int) n; break;
    case 'm': t->tm_mon += (int) n; break;
    case 'y': t->tm_year += (int) n; break;
    default: break;
    }
}

time_t
mc_expiry_after (const char *spec, time_t from)
{
  mc_error_t e = NULL;
  struct tm t;

  localtime_r (&from, &t);
  if (each_amount (spec, &e, add_amount, &t) < 0)
    {
      mc_error_release (&e);
      return from;
    }
  t.tm_isdst = -1;
  return mktime (&t);
}
