#include "runtime/config/idmap.h"
#include "runtime/config/config.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  mc_error_t read_err = NULL, first = NULL;
  char *line, *save = NULL;

  *base = MC_IDMAP_DEFAULT_BASE;
  *count = MC_IDMAP_DEFAULT_COUNT;
  if (mc_read_file_at (AT_FDCWD, file, 1 << 20, &buf, NULL, &read_err) < 0)
    {
      mc_error_release (&read_err);
      return 0;
    }
  /* As LXD: the first root entry big enough for a container; smaller
     ones are there to let raw.idmap map single host ids (LXD's docs have
     users add `root:1000:1`).  None big enough: the first one's error.  */
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      mc_error_t e = NULL;

      if (strncmp (line, "root:", 5) != 0)
        continue;
      if (parse_entry (file, line, base, count, &e) == 0)
        {
          mc_error_release (&first);
          return 0;
        }
      if (first == NULL)
        first = e;
      else
        mc_error_release (&e);
    }
  *base = MC_IDMAP_DEFAULT_BASE;
  *count = MC_IDMAP_DEFAULT_COUNT;
  if (first)
    {
      *err = first;
      return -1;
    }
  return 0;
}

int
mc_idmap_host_default (struct mc_idmap *map, mc_error_t *err)
{
  if (mc_idmap_from_file ("/etc/subuid", &map->uid_base, &map->uid_count, err) < 0
      || mc_idmap_from_file ("/etc/subgid", &map->gid_base, &map->gid_count, err) < 0)
    return -1;
  /* Containers map uids and gids through one range (volatile.idmap.*):
   * a host whose two root entries differ would get gids nobody allotted. */
  if (map->uid_base != map->gid_base || map->uid_count != map->gid_count)
    return mc_make_error (err, 0,
                          "the root ranges of /etc/subuid (%u:%u) and /etc/subgid (%u:%u) differ: "
                          "minictr maps uids and gids through one range",
                          map->uid_base, map->uid_count, map->gid_base, map->gid_count);
  return 0;
}

void
mc_idmap_of_config (json_t *cfg, uint32_t *base, uint32_t *size)
{
  *base = (uint32_t) strtoul (mc_config_get (cfg, "volatile.idmap.base", "1000000"), NULL, 10);
  *size = (uint32_t) strtoul (mc_config_get (cfg, "volatile.idmap.size", "1000000000"), NULL, 10);
}

int
mc_idmap_set_of_config (json_t *cfg, struct mc_idmap_set *set, mc_error_t *err)
{
  uint32_t base, size;

  mc_idmap_of_config (cfg, &base, &size);
  if (mc_idmap_set_build (set, base, size, mc_config_get (cfg, "volatile.idmap.raw", NULL), NULL, err) < 0)
    return mc_error_prefix (err, "volatile.idmap.raw");
  return 0;
}

int
mc_idmap_write (pid_t pid, const struct mc_idmap_set *set, mc_error_t *err)
{
  static const char *const files[] = { "uid_map", "gid_map" };
  size_t i;

  for (i = 0; i < 2; i++)
    {
      char path[64], text[MC_IDMAP_MAX_EXTENTS * 36];
      cleanup_close int fd = -1;
      size_t n = mc_idmap_list_format (i == 0 ? &set->uid : &set->gid, text, sizeof (text));

      snprintf (path, sizeof (path), "/proc/%d/%s", (int) pid, files[i]);
      /* One write: the kernel takes a map whole or not at all.  */
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || n == 0 || write (fd, text, n) != (ssize_t) n)
        return mc_make_error (err, n == 0 ? 0 : errno, "write `%s`", path);
    }
  return 0;
}
