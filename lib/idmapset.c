#include "lib/idmapset.h"
#include "lib/utils.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
mc_idmap_set_init (struct mc_idmap_set *set, uint32_t base, uint32_t size)
{
  memset (set, 0, sizeof (*set));
  set->uid.n = set->gid.n = 1;
  set->uid.e[0] = set->gid.e[0] = (struct mc_idmap_extent){ .ns = 0, .host = base, .count = size };
}

/* [A, A + N) and [B, B + M) meet.  */
static bool
overlap (uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
  return a < b + m && b < a + n;
}

/* "N" or "N-M" (M >= N) into *START and *COUNT.  */
static int
parse_range (const char *s, uint32_t *start, uint32_t *count)
{
  unsigned long long a, b;
  char *end;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  a = strtoull (s, &end, 10);
  if (errno || a > UINT32_MAX)
    return -1;
  b = a;
  if (*end == '-')
    {
      if (end[1] < '0' || end[1] > '9')
        return -1;
      b = strtoull (end + 1, &end, 10);
      if (errno || b > UINT32_MAX || b < a)
        return -1;
    }
  if (*end != '\0' || b - a + 1 > UINT32_MAX)
    return -1;
  *start = (uint32_t) a;
  *count = (uint32_t) (b - a + 1);
  return 0;
}

/* Carve container ids [NS, NS + COUNT) out of L's extents.  */
static int
carve (struct mc_idmap_list *l, uint32_t ns, uint32_t count)
{
  struct mc_idmap_list out = { 0 };
  unsigned i;

  for (i = 0; i < l->n; i++)
    {
      struct mc_idmap_extent e = l->e[i];
      uint64_t e_end = (uint64_t) e.ns + e.count, c_end = (uint64_t) ns + count;

      if (!overlap (e.ns, e.count, ns, count))
        {
          if (out.n == MC_IDMAP_MAX_EXTENTS)
            return -1;
          out.e[out.n++] = e;
          continue;
        }
      if (e.ns < ns)
        {
          if (out.n == MC_IDMAP_MAX_EXTENTS)
            return -1;
          out.e[out.n++] = (struct mc_idmap_extent){ e.ns, e.host, ns - e.ns };
        }
      if (e_end > c_end)
        {
          if (out.n == MC_IDMAP_MAX_EXTENTS)
            return -1;
          out.e[out.n++] = (struct mc_idmap_extent){ (uint32_t) c_end, e.host + (uint32_t) (c_end - e.ns),
                                                     (uint32_t) (e_end - c_end) };
        }
    }
  *l = out;
  return 0;
}

static int
by_ns (const void *a, const void *b)
{
  const struct mc_idmap_extent *x = a, *y = b;

  return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* One entry of one kind into L.  The range's pieces have their host ids
 * in [BASE, BASE + SIZE), which no entry may have: what is outside is an
 * earlier entry.  */
static int
add_entry (struct mc_idmap_list *l, uint32_t base, uint32_t size, uint32_t host, uint32_t ns, uint32_t count,
           const char *kind, const char *line, mc_error_t *err)
{
  unsigned i;

  if (overlap (host, count, base, size))
    return mc_make_error (err, 0,
                          "raw.idmap line `%s`: host %ss %u-%u are in the container's own range %u-%u", line,
                          kind, host, host + (count - 1), base, base + (size - 1));
  if (ns == 0)
    return mc_make_error (err, 0, "raw.idmap line `%s`: container root (%s 0) cannot be remapped", line, kind);
  for (i = 0; i < l->n; i++)
    if (!overlap (l->e[i].host, l->e[i].count, base, size)
        && (overlap (l->e[i].ns, l->e[i].count, ns, count) || overlap (l->e[i].host, l->e[i].count, host, count)))
      return mc_make_error (err, 0, "raw.idmap line `%s`: its %ss overlap an earlier entry's", line, kind);
  if (carve (l, ns, count) < 0 || l->n == MC_IDMAP_MAX_EXTENTS)
    return mc_make_error (err, 0, "raw.idmap: more than %d %s map extents", MC_IDMAP_MAX_EXTENTS, kind);
  l->e[l->n++] = (struct mc_idmap_extent){ ns, host, count };
  return 0;
}

static void
canon_add (char **canon, const char *kind, uint32_t host, uint32_t ns, uint32_t count)
{
  char *prev = *canon, *next;

  if (count == 1)
    next = xasprintf ("%s%s%s %u %u", prev, *prev ? "\n" : "", kind, host, ns);
  else
    next = xasprintf ("%s%s%s %u-%u %u-%u", prev, *prev ? "\n" : "", kind, host, host + (count - 1), ns,
                      ns + (count - 1));
  free (prev);
  *canon = next;
}

int
mc_idmap_set_build (struct mc_idmap_set *set, uint32_t base, uint32_t size, const char *raw, char **canon,
                    mc_error_t *err)
{
  cleanup_free char *buf = xstrdup (raw ? raw : "");
  cleanup_free char *text = xstrdup ("");
  char *line, *save = NULL;

  mc_idmap_set_init (set, base, size);
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4], *s2 = NULL, *copy;
      uint32_t host, ns, hn, nn;
      int nf = 0;
      bool uid, gid;

      line += strspn (line, " \t\r");
      line[strcspn (line, "\r")] = '\0';
      if (*line == '\0')
        continue;
      copy = xstrdup (line);
      for (char *t = strtok_r (copy, " \t", &s2); t; t = strtok_r (NULL, " \t", &s2))
        {
          if (nf < 4)
            f[nf] = t;
          nf++;
        }
      uid = nf == 3 && (strcmp (f[0], "uid") == 0 || strcmp (f[0], "both") == 0);
      gid = nf == 3 && (strcmp (f[0], "gid") == 0 || strcmp (f[0], "both") == 0);
      if (!uid && !gid)
        {
          free (copy);
          return mc_make_error (err, 0, "invalid raw.idmap line `%s`: want `uid|gid|both HOST CONTAINER`", line);
        }
      if (parse_range (f[1], &host, &hn) < 0 || parse_range (f[2], &ns, &nn) < 0)
        {
          free (copy);
          return mc_make_error (err, 0, "invalid raw.idmap line `%s`: ids are N or N-M (M >= N)", line);
        }
      free (copy);
      if (hn != nn)
        return mc_make_error (err, 0, "invalid raw.idmap line `%s`: the host range has %u ids, the container's %u",
                              line, hn, nn);
      if ((uint64_t) ns + nn > UINT32_MAX)
        return mc_make_error (err, 0, "invalid raw.idmap line `%s`: container ids end past %u", line,
                              UINT32_MAX - 1);
      if (uid && add_entry (&set->uid, base, size, host, ns, nn, "uid", line, err) < 0)
        return -1;
      if (gid && add_entry (&set->gid, base, size, host, ns, nn, "gid", line, err) < 0)
        return -1;
      if (uid)
        canon_add (&text, "uid", host, ns, nn);
      if (gid)
        canon_add (&text, "gid", host, ns, nn);
    }
  qsort (set->uid.e, set->uid.n, sizeof (set->uid.e[0]), by_ns);
  qsort (set->gid.e, set->gid.n, sizeof (set->gid.e[0]), by_ns);
  if (canon)
    *canon = steal_pointer (&text);
  return 0;
}

bool
mc_idmap_to_host (const struct mc_idmap_list *l, uint32_t id, uint32_t *host)
{
  unsigned i;

  for (i = 0; i < l->n; i++)
    if (id >= l->e[i].ns && id - l->e[i].ns < l->e[i].count)
      {
        *host = l->e[i].host + (id - l->e[i].ns);
        return true;
      }
  return false;
}

bool
mc_idmap_to_ns (const struct mc_idmap_list *l, uint32_t host, uint32_t *id)
{
  unsigned i;

  for (i = 0; i < l->n; i++)
    if (host >= l->e[i].host && host - l->e[i].host < l->e[i].count)
      {
        *id = l->e[i].ns + (host - l->e[i].host);
        return true;
      }
  return false;
}

size_t
mc_idmap_list_format (const struct mc_idmap_list *l, char *buf, size_t len)
{
  size_t off = 0;
  unsigned i;

  for (i = 0; i < l->n; i++)
    {
      int n = snprintf (buf + off, len - off, "%u %u %u\n", l->e[i].ns, l->e[i].host, l->e[i].count);
      if (n < 0 || (size_t) n >= len - off)
        return 0;
      off += (size_t) n;
    }
  return off;
}

int
mc_idmap_host_id (const struct mc_idmap_set *set, bool privileged, const char *what, bool is_gid,
                  unsigned long id, uint32_t *out, mc_error_t *err)
{
  if (privileged)
    {
      *out = (uint32_t) id;
      return 0;
    }
  if (id > UINT32_MAX || !mc_idmap_to_host (is_gid ? &set->gid : &set->uid, (uint32_t) id, out))
    return mc_make_error (err, 0, "%s %lu is outside the container's id map", what, id);
  return 0;
}
