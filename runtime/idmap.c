#include "runtime/idmap.h"
#include "runtime/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int
parse_entry (const char *file, char *line, uint32_t *base, uint32_t *count,
             mc_error_t *err)
{
  char *start = strchr (line, ':'), *cnt, *end;
  unsigned long long b, c;

  if (start == NULL || (cnt = strchr (start + 1, ':')) == NULL)
    return mc_make_error (err, 0, "%s: malformed entry for root", file);
  errno = 0;
  b = strtoull (start + 1, &end, 10);
  if (errno || end != cnt)
    return mc_make_error (err, 0, "%s: malformed start for root", file);
  c = strtoull (cnt + 1, &end, 10);
  if (errno || (*end != '\0' && *end != '\n'))
    return mc_make_error (err, 0, "%s: malformed count for root", file);
  if (c < MC_IDMAP_MIN_COUNT || b + c > UINT32_MAX || b == 0)
    return mc_make_error (err, 0, "%s: the root range %llu:%llu must hold at least %u ids above 0",
                          file, b, c, MC_IDMAP_MIN_COUNT);
  *base = (uint32_t) b;
  *count = (uint32_t) c;
  return 0;
}

int
mc_idmap_from_file (const char *file, uint32_t *base, uint32_t *count, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  mc_error_t read_err = NULL;
  char *line, *save = NULL;

  *base = MC_IDMAP_DEFAULT_BASE;
  *count = MC_IDMAP_DEFAULT_COUNT;
  if (mc_read_file_at (AT_FDCWD, file, 1 << 20, &buf, NULL, &read_err) < 0)
    {
      mc_error_release (&read_err);
      return 0;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "root:", 5) == 0)
      return parse_entry (file, line, base, count, err);
  return 0;
}

int
mc_idmap_host_default (struct mc_idmap *map, mc_error_t *err)
{
  if (mc_idmap_from_file ("/etc/subuid", &map->uid_base, &map->uid_count, err) < 0)
    return -1;
  return mc_idmap_from_file ("/etc/subgid", &map->gid_base, &map->gid_count, err);
}
