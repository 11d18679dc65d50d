/* minictr image ...: LXD's `lxc image` verbs over the image store.  */
#include "cli/cli.h"
#include "images/alias.h"
#include "images/import.h"
#include "images/manage.h"
#include "cli/output.h"
#include "images/store.h"
#include "lib/utils.h"
#include "api/client.h"
#include "api/multipart.h"
#include "images/fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- progress on a terminal ------------------------------------------- */

#define PROGRESS_MIN_SIZE (16ULL << 20)

struct progress
{
  struct timespec start, last;
  int shown;
};

static double
seconds_between (const struct timespec *a, const struct timespec *b)
{
  return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
show_progress (void *data, const char *name, uint64_t done, uint64_t total)
{
  struct progress *p = data;
  struct timespec now;
  char d[32], t[32], r[32];
  double secs;

  if (total < PROGRESS_MIN_SIZE)
    return;
  clock_gettime (CLOCK_MONOTONIC, &now);
  if (p->shown && seconds_between (&p->last, &now) < 0.2 && done < total)
    return;
  p->last = now;
  p->shown = 1;
  secs = seconds_between (&p->start, &now);
  mc_format_size (done, d, sizeof (d));
  mc_format_size (total, t, sizeof (t));
  mc_format_size (secs > 0 ? (uint64_t) ((double) done / secs) : 0, r, sizeof (r));
  fprintf (stderr, "\r\033[KImporting %s: %s/%s (%d%%) %s/s", name, d, t,
           (int) (done * 100 / total), r);
}

/* ---- import ------------------------------------------------------------- */

/* Append the file PATH to OUT.  */
static int
append_file (int out, const char *path, mc_error_t *err)
{
  cleanup_close int in = open (path, O_RDONLY | O_CLOEXEC);
  char buf[65536];
  ssize_t n;

  if (in < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  while ((n = read (in, buf, sizeof (buf))) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && mc_write_all (out, buf, (size_t) n) < 0)
      return mc_make_error (err, errno, "write the upload of `%s`", path);
  return n < 0 ? mc_make_error (err, errno, "read `%s`", path) : 0;
}

static const char *
last_component (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash ? slash + 1 : path;
}

/* PATH's file name as a form's filename="..." can carry it (no quote,
 * backslash or line break; malloc'ed).  */
static char *
form_filename (const char *path)
{
  char *f = xstrdup (last_component (path)), *p;

  for (p = f; *p; p++)
    if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n')
      *p = '_';
  return f;
}

/* A split image as LXD's client uploads one: a multipart form of its
 * `metadata` and `rootfs` parts, in an unnamed file under $TMPDIR (or
 * /var/tmp); *BOUNDARY gets the form's boundary.  */
static int
multipart_body (const char *meta, const char *rootfs, char boundary[33], mc_error_t *err)
{
  const char *dir = getenv ("TMPDIR") && *getenv ("TMPDIR") ? getenv ("TMPDIR") : "/var/tmp";
  unsigned char rnd[16] = { 0 };
  cleanup_free char *head1 = NULL, *head2 = NULL, *tail = NULL;
  cleanup_free char *meta_name = form_filename (meta), *rootfs_name = form_filename (rootfs);
  int fd;
  size_t i;

  if (getrandom (rnd, sizeof (rnd), 0) != (ssize_t) sizeof (rnd))
    return mc_make_error (err, errno, "getrandom");
  for (i = 0; i < sizeof (rnd); i++)
    sprintf (boundary + 2 * i, "%02x", rnd[i]);
  if ((fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
    return mc_make_error (err, errno, "a temporary file in `%s` for the upload", dir);
  head1 = xasprintf ("--%s\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"%s\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n", boundary, meta_name);
  head2 = xasprintf ("\r\n--%s\r\nContent-Disposition: form-data; name=\"rootfs\"; filename=\"%s\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n", boundary, rootfs_name);
  tail = xasprintf ("\r\n--%s--\r\n", boundary);
  if (mc_write_all (fd, head1, strlen (head1)) < 0 || append_file (fd, meta, err) < 0
      || mc_write_all (fd, head2, strlen (head2)) < 0 || append_file (fd, rootfs, err) < 0
      || mc_write_all (fd, tail, strlen (tail)) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    {
      if (*err == NULL)
        mc_make_error (err, errno, "write the upload");
      close (fd);
      return -1;
    }
  return fd;
}

/* image import on a remote: the file (or the split image as a form)
 * uploaded, then the aliases made there.  */
static int
remote_import (const char *remote, const char *meta, const char *rootfs, const char *const *aliases, size_t n,
               mc_error_t *err)
{
  struct mc_client_xfer x = { .in_fd = -1, .out_fd = -1 };
  cleanup_json json_t *md = NULL;
  cleanup_close int fd = -1;
  char boundary[33];
  const char *fp;
  struct stat st;
  struct mc_client cl;
  size_t i;
  int r;

  if (rootfs)
    fd = multipart_body (meta, rootfs, boundary, err);
  else if ((fd = open (meta, O_RDONLY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s`", meta);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", meta);
  if (!S_ISREG (st.st_mode))
    return mc_make_error (err, 0, "`%s` is not a regular file", meta);
  x.in_fd = fd;
  x.in_len = st.st_size;
  x.headers = rootfs ? json_pack ("{s:o}", "Content-Type", json_sprintf ("multipart/form-data; boundary=%s", boundary))
                     : json_pack ("{s:s}", "X-LXD-filename", last_component (meta));
  if (cli_remote_client_open (remote, &cl, err) < 0)
    {
      json_decref (x.headers);
      return -1;
    }
  r = mc_client_upload (&cl, "/1.0/images", &x, &md, err);
  json_decref (x.headers);
  free (x.data);
  fp = json_string_value (json_object_get (md, "fingerprint"));
  if (r == 0 && fp == NULL)
    r = mc_make_error (err, 0, "remote `%s` did not say the image's fingerprint", remote);
  for (i = 0; r == 0 && i < n; i++)
    {
      cleanup_json json_t *body = json_pack ("{s:s, s:s, s:s}", "name", aliases[i], "target", fp, "description", "");

      r = mc_client_call (&cl, "POST", "/1.0/images/aliases", body, NULL, err);
    }
  mc_client_release (&cl);
  if (r == 0)
    printf ("Image imported with fingerprint: %s\n", fp);
  return r;
}

static int
image_import (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_import_request req = { 0 };
  struct mc_import_result res;
  struct progress prog = { .shown = 0 };
  struct mc_store store;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  req.aliases = cli_values (&a, "alias", &req.n_aliases);
  req.meta_path = argv[optind];
  req.rootfs_path = argc - optind == 2 ? argv[optind + 1] : NULL;
  if (a.remote)
    return remote_import (a.remote, req.meta_path, req.rootfs_path, req.aliases, req.n_aliases, err);
  if (isatty (STDERR_FILENO))
    {
      clock_gettime (CLOCK_MONOTONIC, &prog.start);
      req.progress = show_progress;
      req.progress_data = &prog;
    }
  if (mc_store_open (&store, err) < 0)
    return -1;
  ret = mc_image_import (&store, &req, &res, err);
  mc_store_close (&store);
  if (prog.shown)
    fprintf (stderr, "\r\033[K");
  if (ret < 0)
    return -1;
  if (res.existed)
    printf ("Image with fingerprint %s already present; aliases updated\n", res.fingerprint);
  else
    printf ("Image imported with fingerprint: %s\n", res.fingerprint);
  return 0;
}

/* ---- list, info, show ---------------------------------------------------- */

static const char *
prop (json_t *img, const char *key)
{
  const char *v = json_string_value (json_object_get (json_object_get (img, "properties"), key));
  return v ? v : "";
}

/* LXD's list layout: "Jan 2, 2006 at 3:04pm (MST)".  */
static void
format_upload_date (const char *iso, char *buf, size_t len)
{
  time_t t = (time_t) mc_parse_time (iso);
  struct tm tm;
  char ampm[8];

  gmtime_r (&t, &tm);
  strftime (ampm, sizeof (ampm), "%p", &tm);
  ampm[0] = (char) (ampm[0] | 0x20);
  ampm[1] = (char) (ampm[1] | 0x20);
  snprintf (buf, len, "%.3s %d, %d at %d:%02d%s (UTC)", "JanFebMarAprMayJunJulAugSepOctNovDec" + tm.tm_mon * 3,
            tm.tm_mday, tm.tm_year + 1900, tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, tm.tm_min, ampm);
}

static void
alias_cell (json_t *img, char *buf, size_t len)
{
  json_t *aliases = json_object_get (img, "aliases");
  size_t n = json_array_size (aliases);
  const char *first = json_string_value (json_object_get (json_array_get (aliases, 0), "name"));

  if (n == 0)
    snprintf (buf, len, "%s", "");
  else if (n == 1)
    snprintf (buf, len, "%s", first);
  else
    snprintf (buf, len, "%s (%zu more)", first, n - 1);
}

static void
add_image_row (struct cli_table *t, json_t *img)
{
  char alias[512], fp[MC_FP_SHORT_LEN + 1], size[32], date[64];
  const char *row[8];

  alias_cell (img, alias, sizeof (alias));
  snprintf (fp, sizeof (fp), "%s", json_string_value (json_object_get (img, "fingerprint")));
  mc_format_size ((uint64_t) json_integer_value (json_object_get (img, "size")), size, sizeof (size));
  format_upload_date (json_string_value (json_object_get (img, "uploaded_at")), date, sizeof (date));
  row[0] = alias;
  row[1] = fp;
  row[2] = "no";
  row[3] = prop (img, "description");
  row[4] = json_string_value (json_object_get (img, "architecture"));
  row[5] = "CONTAINER";
  row[6] = size;
  row[7] = date;
  cli_table_add (t, row);
}

/* LXD's filters: a bare word matches an alias or fingerprint prefix;
 * KEY=VALUE matches a property.  */
static int
image_matches (json_t *img, char **filters, int n)
{
  int i;

  for (i = 0; i < n; i++)
    {
      const char *eq = strchr (filters[i], '=');
      json_t *a;
      size_t k;
      int hit = 0;

      if (eq)
        {
          cleanup_free char *key = xstrndup (filters[i], (size_t) (eq - filters[i]));
          hit = strcmp (prop (img, key), eq + 1) == 0;
        }
      else
        {
          hit = mc_str_has_prefix (json_string_value (json_object_get (img, "fingerprint")), filters[i]);
          json_array_foreach (json_object_get (img, "aliases"), k, a)
            hit |= mc_str_has_prefix (json_string_value (json_object_get (a, "name")), filters[i]);
        }
      if (!hit)
        return 0;
    }
  return 1;
}

static int
image_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const char *const headers[] = { "ALIAS", "FINGERPRINT", "PUBLIC", "DESCRIPTION",
                                         "ARCHITECTURE", "TYPE", "SIZE", "UPLOAD DATE" };
  cleanup_args struct cli_args a = { 0 };
  enum cli_format fmt = CLI_FORMAT_TABLE;
  struct cli_table t;
  struct mc_store store;
  json_t *images, *shown, *img;
  size_t i;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  if (a.remote)
    images = cli_remote_list (a.remote, "/1.0/images?recursion=1", err);
  else if (mc_store_open (&store, err) < 0)
    return -1;
  else
    {
      images = mc_image_list (&store, err);
      mc_store_close (&store);
    }
  if (images == NULL)
    return -1;
  cli_table_init (&t, headers, 8);
  shown = json_array ();
  json_array_foreach (images, i, img)
    if (image_matches (img, argv + optind, argc - optind))
      {
        json_array_append (shown, img);
        add_image_row (&t, img);
      }
  ret = cli_print (fmt, &t, shown, err);
  cli_table_release (&t);
  json_decref (shown);
  json_decref (images);
  return ret;
}

/* Open the store and resolve REF; the caller closes the store.  */
static int
open_and_resolve (struct mc_store *store, const char *ref, char fp[MC_FP_HEX_LEN + 1],
                  mc_error_t *err)
{
  if (mc_store_open (store, err) < 0)
    return -1;
  if (mc_image_resolve (store, ref, fp, err) < 0)
    {
      mc_store_close (store);
      return -1;
    }
  return 0;
}

static json_t *
get_image (const char *ref, mc_error_t *err)
{
  char fp[MC_FP_HEX_LEN + 1];
  struct mc_store store;
  json_t *img;

  if (open_and_resolve (&store, ref, fp, err) < 0)
    return NULL;
  img = mc_image_get (&store, fp, err);
  mc_store_close (&store);
  return img;
}

/* -h and the argument count (the table's) only: 1 when the help was
 * printed.  */
static int
simple_opts (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };

  return cli_parse (cmd, argc, argv, &a, err);
}

/* The same, with the remote the names are on (*REMOTE, malloc'ed, NULL
 * for the local store).  */
static int
remote_opts (const struct cli_command *cmd, int argc, char **argv, char **remote, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  int r = cli_parse (cmd, argc, argv, &a, err);

  *remote = r == 0 && a.remote ? xstrdup (a.remote) : NULL;
  return r;
}

/* REF (an alias, or a fingerprint or its prefix) on REMOTE: the image as
 * the API has it.  */
static json_t *
remote_image (const char *remote, const char *ref, mc_error_t *err)
{
  cleanup_free char *enc = cli_url_segment (ref), *path = xasprintf ("/1.0/images/aliases/%s", enc);
  cleanup_json json_t *alias = NULL;
  mc_error_t not_alias = NULL;
  const char *target;

  alias = cli_remote_get (remote, path, &not_alias);
  mc_error_release (&not_alias);
  target = json_string_value (json_object_get (alias, "target"));
  free (enc);
  free (path);
  enc = cli_url_segment (target ? target : ref);
  path = xasprintf ("/1.0/images/%s", enc);
  return cli_remote_get (remote, path, err);
}

/* LXD's info layout: "2006/01/02 15:04 UTC", "never" for zero times.  */
static void
print_time_line (const char *label, const char *iso)
{
  time_t t = (time_t) mc_parse_time (iso);
  char buf[64];
  struct tm tm;

  if (t <= 0)
    {
      printf ("    %s: never\n", label);
      return;
    }
  gmtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y/%m/%d %H:%M UTC", &tm);
  printf ("    %s: %s\n", label, buf);
}

static void
print_info (json_t *img)
{
  char size[32];
  const char *key;
  json_t *v;
  size_t i;

  mc_format_size ((uint64_t) json_integer_value (json_object_get (img, "size")), size, sizeof (size));
  printf ("Fingerprint: %s\nSize: %s\nArchitecture: %s\nType: container\nPublic: no\nTimestamps:\n",
          json_string_value (json_object_get (img, "fingerprint")), size,
          json_string_value (json_object_get (img, "architecture")));
  print_time_line ("Created", json_string_value (json_object_get (img, "created_at")));
  print_time_line ("Uploaded", json_string_value (json_object_get (img, "uploaded_at")));
  print_time_line ("Expires", json_string_value (json_object_get (img, "expires_at")));
  print_time_line ("Last used", json_string_value (json_object_get (img, "last_used_at")));
  printf ("Properties:\n");
  json_object_foreach (json_object_get (img, "properties"), key, v)
    printf ("    %s: %s\n", key, json_string_value (v));
  printf ("Aliases:\n");
  json_array_foreach (json_object_get (img, "aliases"), i, v)
    printf ("    - %s\n", json_string_value (json_object_get (v, "name")));
  /* An OCI image's layers, base first, shared with the images that list
     them too.  */
  if (json_array_size (json_object_get (img, "layers")) > 0)
    printf ("Layers:\n");
  json_array_foreach (json_object_get (img, "layers"), i, v)
    {
      mc_format_size ((uint64_t) json_integer_value (json_object_get (v, "size")), size, sizeof (size));
      printf ("    - %s (%s)\n", json_string_value (json_object_get (v, "digest")), size);
    }
  printf ("Cached: no\nAuto update: disabled\nProfiles:\n    - default\n");
}

static int
image_info (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_free char *remote = NULL;
  int r = remote_opts (cmd, argc, argv, &remote, err);
  json_t *img;

  if (r != 0)
    return r < 0 ? -1 : 0;
  img = remote ? remote_image (remote, argv[optind], err) : get_image (argv[optind], err);
  if (img == NULL)
    return -1;
  print_info (img);
  json_decref (img);
  return 0;
}

static int
image_show (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_free char *remote = NULL;
  int r = remote_opts (cmd, argc, argv, &remote, err);
  json_t *img;

  if (r != 0)
    return r < 0 ? -1 : 0;
  img = remote ? remote_image (remote, argv[optind], err) : get_image (argv[optind], err);
  if (img == NULL)
    return -1;
  r = cli_print_yaml (img, err);
  json_decref (img);
  return r;
}

/* ---- delete, export, verify ---------------------------------------------- */

static int
image_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  char fp[MC_FP_HEX_LEN + 1];
  struct mc_store store;
  cleanup_free char *remote = NULL;
  int r = remote_opts (cmd, argc, argv, &remote, err);
  int i;

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    {
      for (i = optind; i < argc && r == 0; i++)
        {
          cleanup_json json_t *img = remote_image (remote, argv[i], err);
          const char *full = json_string_value (json_object_get (img, "fingerprint"));

          if (img && full == NULL)
            r = mc_make_error (err, 0, "remote `%s`: image `%s` has no fingerprint", remote, argv[i]);
          else
            r = img == NULL ? -1 : cli_remote_object_call (remote, "DELETE", "images", full, "", NULL, NULL, err);
        }
      return r;
    }
  if (mc_store_open (&store, err) < 0)
    return -1;
  for (i = optind; i < argc && r == 0; i++)
    {
      r = mc_image_resolve (&store, argv[i], fp, err);
      if (r == 0)
        r = mc_image_delete (&store, fp, err);
    }
  mc_store_close (&store);
  return r;
}

/* DATA[0..LEN) as the file DEST, through a temp name; *WRITTEN: it was.  */
static int
write_export (const char *dest, const char *data, size_t len, bool *written, mc_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp-%d", dest, (int) getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);

  if (fd < 0)
    return mc_make_error (err, errno, "create `%s`", tmp);
  if (mc_write_all (fd, data, len) < 0 || fsync (fd) < 0 || close (fd) < 0 || rename (tmp, dest) < 0)
    {
      int saved = errno;

      close (fd);
      unlink (tmp);
      return mc_make_error (err, saved, "write `%s`", dest);
    }
  *written = true;
  return 0;
}

/* NAME, a file name the server gave, as a name in the target directory:
 * taken only when it is FALLBACK (the fingerprint, or meta- and the
 * fingerprint) and an extension, as LXD names them, so a server cannot
 * pick which file of the user's it replaces (`.bashrc`); else FALLBACK.  */
static const char *
export_file_name (const char *name, const char *fallback)
{
  size_t n = strlen (fallback);
  const char *ext = name + n;

  if (strncmp (name, fallback, n) != 0 || (*ext != '\0' && *ext != '.') || strchr (ext, '/') != NULL
      || strlen (ext) > 32)
    return fallback;
  return name;
}

/* FP's files from REMOTE (LXD's GET /1.0/images/FP/export: the unified
 * file, or a form of `metadata` and `rootfs`), checked against the
 * fingerprint before any is written, then written as the local export
 * writes them: into the directory TARGET under the names the server
 * gives, or as the file TARGET (and TARGET.root).  */
static int
remote_export (const char *remote, const char *fp, const char *target, mc_error_t *err)
{
  const char *dir = getenv ("TMPDIR") && *getenv ("TMPDIR") ? getenv ("TMPDIR") : "/var/tmp";
  cleanup_free char *enc = cli_url_segment (fp), *path = xasprintf ("/1.0/images/%s/export", enc);
  cleanup_free char *boundary = NULL, *meta_fallback = xasprintf ("meta-%s", fp);
  cleanup_close int fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  struct mc_client_xfer x = { .in_fd = -1, .raw = true };
  struct mc_form_part parts[2] = { { NULL, 0, NULL }, { NULL, 0, NULL } };
  const char *names[2] = { NULL, NULL };
  char got[MC_FP_HEX_LEN + 1];
  bool is_dir, written[2] = { false, false };
  struct mc_client cl;
  struct mc_sha256 h;
  struct stat st;
  void *map = MAP_FAILED;
  size_t n = 1, i, map_len = 0;
  int ret;

  if (fd < 0)
    return mc_make_error (err, errno, "a temporary file in `%s` for the download", dir);
  x.out_fd = fd;
  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  ret = mc_client_xfer (&cl, "GET", path, &x, err);
  mc_client_release (&cl);
  free (x.data);
  if (ret < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "the downloaded image");
  map_len = (size_t) st.st_size;
  if (map_len > 0 && (map = mmap (NULL, map_len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
    return mc_make_error (err, errno, "read the downloaded image");
  parts[0].data = map == MAP_FAILED ? "" : map;
  parts[0].len = (size_t) st.st_size;
  ret = 0;
  if (strncmp (x.content_type, "multipart/", 10) == 0)
    {
      n = 2;
      if ((boundary = mc_form_boundary (x.content_type, err)) == NULL
          || mc_form_part (parts[0].data, map_len, boundary, "metadata", &parts[0], err) < 0
          || mc_form_part (map, map_len, boundary, "rootfs", &parts[1], err) < 0)
        ret = mc_error_prefix (err, "remote `%s`: the export of image %.12s", remote, fp);
    }
  else
    parts[0].filename = x.filename[0] ? xstrdup (x.filename) : NULL;
  if (ret == 0 && (ret = mc_sha256_init (&h, err)) == 0)
    {
      for (i = 0; i < n; i++)
        mc_sha256_update (&h, parts[i].data, parts[i].len);
      mc_sha256_final (&h, got);
      if (strcmp (got, fp) != 0)
        ret = mc_make_error (err, 0, "remote `%s`: the export of image %.12s does not match its fingerprint "
                                     "(got %.12s); nothing was written", remote, fp, got);
    }
  is_dir = stat (target, &st) == 0 && S_ISDIR (st.st_mode);
  for (i = 0; ret == 0 && i < n; i++)
    {
      cleanup_free char *dest = NULL;

      names[i] = export_file_name (parts[i].filename ? parts[i].filename : "", n == 2 && i == 0 ? meta_fallback : fp);
      dest = is_dir ? xasprintf ("%s/%s", target, names[i]) : i == 1 ? xasprintf ("%s.root", target) : xstrdup (target);
      ret = write_export (dest, parts[i].data, parts[i].len, &written[i], err);
      /* The first of two is taken back when the second fails.  */
      if (ret < 0 && i == 1 && written[0])
        {
          cleanup_free char *first = is_dir ? xasprintf ("%s/%s", target, names[0]) : xstrdup (target);

          unlink (first);
        }
    }
  for (i = 0; i < 2; i++)
    free (parts[i].filename);
  if (map != MAP_FAILED)
    munmap (map, map_len);
  return ret;
}

static int
image_export (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  char fp[MC_FP_HEX_LEN + 1];
  struct mc_store store;
  json_t *written = NULL;
  cleanup_free char *remote = NULL;
  int r = remote_opts (cmd, argc, argv, &remote, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    {
      cleanup_json json_t *img = remote_image (remote, argv[optind], err);
      const char *full = json_string_value (json_object_get (img, "fingerprint"));

      if (img == NULL)
        return -1;
      if (full == NULL || strlen (full) != MC_FP_HEX_LEN)
        return mc_make_error (err, 0, "remote `%s`: image `%s` has no fingerprint", remote, argv[optind]);
      if (remote_export (remote, full, argc - optind == 2 ? argv[optind + 1] : ".", err) < 0)
        return -1;
      printf ("Image exported successfully!\n");
      return 0;
    }
  if (open_and_resolve (&store, argv[optind], fp, err) < 0)
    return -1;
  r = mc_image_export (&store, fp, argc - optind == 2 ? argv[optind + 1] : ".", &written, err);
  mc_store_close (&store);
  if (r < 0)
    return -1;
  json_decref (written);
  printf ("Image exported successfully!\n");
  return 0;
}

static int
verify_one (struct mc_store *store, const char *fp, mc_error_t *err)
{
  mc_error_t e = NULL;

  if (mc_image_verify (store, fp, &e) == 0)
    {
      printf ("%.12s: OK\n", fp);
      return 0;
    }
  printf ("%.12s: FAILED\n", fp);
  /* The first failure is the command's error; the others are printed.  */
  if (err != NULL && *err != NULL)
    fprintf (stderr, "minictr: %s\n", e->msg);
  return mc_error_propagate (err, &e);
}

static int
image_verify (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  char fp[MC_FP_HEX_LEN + 1];
  struct mc_store store;
  json_t *all = NULL, *img;
  int r = simple_opts (cmd, argc, argv, err), ret = 0;
  size_t i;

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (mc_store_open (&store, err) < 0)
    return -1;
  if (optind == argc && (all = mc_image_list (&store, err)) == NULL)
    ret = -1;
  json_array_foreach (all, i, img)
    ret |= verify_one (&store, json_string_value (json_object_get (img, "fingerprint")), err);
  for (r = optind; r < argc && ret == 0; r++)
    if ((ret = mc_image_resolve (&store, argv[r], fp, err)) == 0)
      ret = verify_one (&store, fp, err);
  json_decref (all);
  mc_store_close (&store);
  return ret < 0 ? -1 : 0;
}

/* ---- aliases ------------------------------------------------------------- */

static int
alias_create (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  const char *desc;
  char fp[MC_FP_HEX_LEN + 1];
  struct mc_store store;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  desc = cli_has (&a, "description") ? cli_value (&a, "description") : "";
  if (a.remote)
    {
      cleanup_json json_t *img = remote_image (a.remote, argv[optind + 1], err), *body = NULL;
      const char *full = json_string_value (json_object_get (img, "fingerprint"));

      if (img == NULL)
        return -1;
      if (full == NULL)
        return mc_make_error (err, 0, "remote `%s`: image `%s` has no fingerprint", a.remote, argv[optind + 1]);
      body = json_pack ("{s:s, s:s, s:s}", "name", argv[optind], "target", full, "description", desc);
      return cli_remote_call (a.remote, "POST", "/1.0/images/aliases", body, NULL, err);
    }
  if (open_and_resolve (&store, argv[optind + 1], fp, err) < 0)
    return -1;
  r = mc_alias_create (&store, argv[optind], fp, desc, err);
  mc_store_close (&store);
  return r;
}

static int
alias_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_store store;
  cleanup_free char *remote = NULL;
  int r = remote_opts (cmd, argc, argv, &remote, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    return cli_remote_object_call (remote, "DELETE", "images/aliases", argv[optind], "", NULL, NULL, err);
  if (mc_store_open (&store, err) < 0)
    return -1;
  r = mc_alias_delete (&store, argv[optind], err);
  mc_store_close (&store);
  return r;
}

static int
alias_rename (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_store store;
  cleanup_free char *remote = NULL;
  int r = remote_opts (cmd, argc, argv, &remote, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    {
      cleanup_json json_t *body = json_pack ("{s:s}", "name", argv[optind + 1]);

      return cli_remote_object_call (remote, "POST", "images/aliases", argv[optind], "", body, NULL, err);
    }
  if (mc_store_open (&store, err) < 0)
    return -1;
  r = mc_alias_rename (&store, argv[optind], argv[optind + 1], err);
  mc_store_close (&store);
  return r;
}

static int
alias_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const char *const headers[] = { "ALIAS", "FINGERPRINT", "TYPE", "DESCRIPTION" };
  cleanup_args struct cli_args a = { 0 };
  enum cli_format fmt = CLI_FORMAT_TABLE;
  struct mc_store store;
  struct cli_table t;
  json_t *list, *al;
  size_t i;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  if (a.remote)
    list = cli_remote_list (a.remote, "/1.0/images/aliases?recursion=1", err);
  else if (mc_store_open (&store, err) < 0)
    return -1;
  else
    {
      list = mc_alias_list (&store, err);
      mc_store_close (&store);
    }
  if (list == NULL)
    return -1;
  cli_table_init (&t, headers, 4);
  json_array_foreach (list, i, al)
    {
      char fp[MC_FP_SHORT_LEN + 1];
      const char *row[4];

      snprintf (fp, sizeof (fp), "%s", json_string_value (json_object_get (al, "target")));
      row[0] = json_string_value (json_object_get (al, "name"));
      row[1] = fp;
      row[2] = "CONTAINER";
      row[3] = json_string_value (json_object_get (al, "description"));
      cli_table_add (&t, row);
    }
  r = cli_print (fmt, &t, list, err);
  cli_table_release (&t);
  json_decref (list);
  return r;
}

static const struct cli_flag format_flags[] = { { "format", 'f', true }, { NULL, 0, false } };
static const struct cli_flag import_flags[] = { { "alias", 0, true }, { NULL, 0, false } };
static const struct cli_flag alias_create_flags[] = { { "description", 0, true }, { NULL, 0, false } };

static const struct cli_command alias_commands[] = {
  { "create", "image alias create", NULL, "image alias create ALIAS IMAGE [--description TEXT]",
    "Create an alias for an image (IMAGE: an alias or fingerprint prefix).",
    "Flags:\n      --description TEXT   Alias description\n", alias_create, alias_create_flags, 2, 2, false, CLI_NAME (0), NULL },
  { "delete", "image alias delete", "rm", "image alias delete ALIAS", "Delete an alias.", NULL, alias_delete, NULL, 1, 1, false, CLI_NAME (0), NULL },
  { "list", "image alias list", "ls", "image alias list [--format table|csv|json|yaml|compact]", "List aliases.",
    "Flags:\n  -f, --format FORMAT   table (default), csv, json, yaml or compact\n", alias_list, format_flags, 0, 0, false, CLI_NAME (0), NULL },
  { "rename", "image alias rename", "mv", "image alias rename OLD NEW", "Rename an alias.", NULL, alias_rename, NULL, 2, 2, false, CLI_NAME (0), NULL },
};

static int
image_alias (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  (void) cmd;
  return cli_dispatch ("image alias", "Manage image aliases.", alias_commands,
                       sizeof (alias_commands) / sizeof (alias_commands[0]), argc, argv, err);
}

static const struct cli_refused image_export_refused[] = {
  { "vm", 0, false, "minictr images are container images" }, { NULL, 0, false, NULL }
};

static const struct cli_command image_commands[] = {
  { "import", "image import", NULL, "image import FILE [ROOTFS] [--alias ALIAS]...",
    "Import an LXD or OCI image\n\n"
    "FILE is a unified tarball, or a metadata tarball followed by ROOTFS (a\n"
    "tarball or squashfs).  Formats and compression are detected by content.\n"
    "The fingerprint is LXD's: sha256 of the file, or of METADATA then ROOTFS.\n\n"
    "FILE may also be an OCI image: a layout directory, an oci-archive or a\n"
    "docker-archive tarball (docker save, podman save); PATH:NAME for the image\n"
    "of that ref name or tag when it holds several.  Every blob is checked\n"
    "against its digest; the layers are stored once and shared between images;\n"
    "the fingerprint is the manifest's digest.",
    "Flags:\n      --alias ALIAS   Add an alias (repeatable)\n", image_import, import_flags, 1, 2, false,
    CLI_NAMES_LAST | CLI_NAMES_REMOTE_ALONE, NULL },
  { "list", "image list", "ls", "image list [FILTER...] [--format table|csv|json|yaml|compact]",
    "List images\n\nA FILTER is an alias or fingerprint prefix, or KEY=VALUE on the image\nproperties.",
    "Flags:\n  -f, --format FORMAT   table (default), csv, json, yaml or compact\n", image_list, format_flags, 0, CLI_ANY, false, CLI_NAME (0), NULL },
  { "info", "image info", NULL, "image info IMAGE", "Show an image's details.", NULL, image_info, NULL, 1, 1, false, CLI_NAME (0), NULL },
  { "show", "image show", NULL, "image show IMAGE", "Show an image's record as YAML.", NULL, image_show, NULL, 1, 1, false, CLI_NAME (0), NULL },
  { "delete", "image delete", "rm", "image delete IMAGE...",
    "Delete images (refused while a container uses one).", NULL, image_delete, NULL, 1, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "export", "image export", NULL, "image export IMAGE [TARGET]",
    "Export an image's original files\n\n"
    "Write the image's original file(s), byte for byte, into the directory TARGET\n"
    "(default: the current one), or to the file TARGET (a split image's rootfs\n"
    "goes to TARGET.root).", NULL, image_export, NULL, 1, 2, false, CLI_NAME (0), image_export_refused },
  { "verify", "image verify", NULL, "image verify [IMAGE...]",
    "Check images against their fingerprints\n\n"
    "Re-hash the stored files of the images (default: all).  A corrupt image is\n"
    "reported, marked, and never used again.", NULL, image_verify, NULL, 0, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "alias", "image alias", NULL, "image alias create|delete|list|rename ...",
    "Manage image aliases.", NULL, image_alias, NULL, 0, CLI_ANY, false, 0, NULL },
};

int
cli_image (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("image", "Manage images: import, list, inspect, export and delete them.",
                       image_commands, sizeof (image_commands) / sizeof (image_commands[0]),
                       argc, argv, err);
}
