/* images/squashfs.c: unpack images that mksquashfs and tar2sqfs build from
 * a fixture tree and compare every attribute with the source; hostile and
 * broken images must fail with a clear error and write nothing outside
 * the destination.
 *
 * Needs root (mknod, chown, setcap, trusted.* xattrs); skips visibly
 * otherwise.  Prints TAP unless CMOCKA_MESSAGE_OUTPUT says otherwise.  */
#include "images/squashfs.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

/* compare_tree() flags, for formats that cannot carry everything */
enum
{
  SKIP_SOCKETS = 1, /* tar has no sockets */
  NO_XATTRS = 2,    /* image built without xattrs: expect none */
};

static char base[] = "/tmp/mc-test-squashfs-XXXXXX";
static char *src;
static bool have_fixture;

/* ---- helpers --------------------------------------------------------- */

static char *
in_base (const char *name)
{
  return xasprintf ("%s/%s", base, name);
}

static void run (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
run (const char *fmt, ...)
{
  cleanup_free char *cmd = NULL;
  va_list ap;
  int status;

  va_start (ap, fmt);
  if (vasprintf (&cmd, fmt, ap) < 0)
    abort ();
  va_end (ap);
  status = system (cmd);
  if (status != 0)
    fail_msg ("`%s` exited with status %d", cmd, status);
}

static void
require_root (void)
{
  if (geteuid () != 0 || !have_fixture)
    {
      print_message ("# needs root (mknod, chown, setcap): skipped\n");
      skip ();
    }
}

static void
write_file (const char *path, const void *buf, size_t len, mode_t mode)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                               mode);

  assert_true (fd >= 0);
  assert_int_equal (mc_write_all (fd, buf, len), 0);
}

static void
random_file (const char *path, size_t len)
{
  cleanup_free unsigned char *buf = xmalloc (len);
  size_t got = 0;

  while (got < len)
    {
      ssize_t n = getrandom (buf + got, len - got, 0);
      assert_true (n > 0);
      got += (size_t) n;
    }
  write_file (path, buf, len, 0644);
}

static char *
slurp (const char *path, size_t *len)
{
  mc_error_t err = NULL;
  char *buf = NULL;

  if (mc_read_file_at (AT_FDCWD, path, 64 << 20, &buf, len, &err) < 0)
    fail_msg ("%s", err->msg);
  return buf;
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st, (void) flag, (void) ftw;
  return remove (path);
}

static void
rm_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) == 0)
    assert_int_equal (nftw (path, rm_entry, 64, FTW_DEPTH | FTW_PHYS), 0);
}

/* Distinct whole-second mtimes (squashfs keeps seconds), set children
 * first so a directory's own time is not bumped afterwards.  */
static int
stamp_entry (const char *path, const struct stat *st, int flag,
             struct FTW *ftw)
{
  static time_t next = 1000000000;
  struct timespec ts[2];

  (void) st, (void) flag, (void) ftw;
  next += 1234;
  ts[0].tv_sec = ts[1].tv_sec = next;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  return utimensat (AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* ---- fixture --------------------------------------------------------- */

static char *
in_src (const char *name)
{
  return xasprintf ("%s/%s", src, name);
}

static void
fixture_files (void)
{
  cleanup_free char *small = in_src ("small.txt");
  cleanup_free char *empty = in_src ("empty.txt");
  cleanup_free char *big = in_src ("big.bin");
  cleanup_free char *block = in_src ("block.bin");
  cleanup_free char *sparse = in_src ("sparse.img");
  cleanup_close int fd = -1;
  char xs[4096];

  write_file (small, "hello, squashfs\n", 16, 0644);
  write_file (empty, "", 0, 0600);
  random_file (big, 3 << 20);
  random_file (block, 128 << 10); /* exactly one block: no fragment */

  /* 5 MiB + 1000 with 4 KiB of data at 1 MiB + 123: mostly holes.  */
  memset (xs, 'x', sizeof (xs));
  fd = open (sparse, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  assert_int_equal (pwrite (fd, xs, sizeof (xs), (1 << 20) + 123),
                    sizeof (xs));
  assert_int_equal (ftruncate (fd, (5 << 20) + 1000), 0);
}

/* A socket inode, as a daemon leaves behind: bind, then close.  */
static void
fixture_socket (void)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  assert_true (fd >= 0);
  assert_true ((size_t) snprintf (sa.sun_path, sizeof (sa.sun_path),
                                  "%s/sock", src) < sizeof (sa.sun_path));
  assert_int_equal (bind (fd, (struct sockaddr *) &sa, sizeof (sa)), 0);
  assert_int_equal (chmod (sa.sun_path, 0755), 0);
}

static void
fixture_tree (void)
{
  run ("set -e; cd '%s'; mkdir -p a/b/c tmp ro empty;"
       "printf 'deep\\n' > a/b/c/deep.txt; printf 'ro\\n' > ro/file.txt;"
       "ln -s /etc/passwd abs_link; ln -s b/c/deep.txt a/rel_link;"
       "printf 'linked\\n' > hl1; chmod 0640 hl1; ln hl1 a/hl2;"
       "mknod null c 1 3; chmod 0666 null; mknod blk b 259 70000;"
       "mkfifo fifo; chmod 0644 fifo;"
       "printf '#!/bin/sh\\n' > cap_bin; chmod 0755 cap_bin;"
       "setcap cap_net_raw+ep cap_bin;"
       "printf x > owned_suid; chown 1234:5678 owned_suid;"
       "chmod 06755 owned_suid; printf y > suid; chmod 04755 suid;"
       "chmod 1777 tmp; chmod 0555 ro; chmod 0700 empty; chmod 0755 .",
       src);
}

static void
fixture_xattrs (void)
{
  cleanup_free char *x = xasprintf ("%s/xattr.txt", src);
  cleanup_free char *a = xasprintf ("%s/a", src);
  cleanup_free char *l = xasprintf ("%s/a/rel_link", src);
  cleanup_free char *f = xasprintf ("%s/fifo", src);

  write_file (x, "xattrs\n", 7, 0644);
  assert_int_equal (setxattr (x, "user.test", "hello", 5, 0), 0);
  assert_int_equal (setxattr (x, "trusted.test", "\0\1\2", 3, 0), 0);
  assert_int_equal (setxattr (a, "user.dir", "d", 1, 0), 0);
  /* Symlinks and FIFOs take no user.*; trusted.* exercises the /proc
   * path the unpacker uses for entries it must not open.  */
  assert_int_equal (lsetxattr (l, "trusted.sym", "s", 1, 0), 0);
  assert_int_equal (lsetxattr (f, "trusted.fifo", "f", 1, 0), 0);
}

static int
group_setup (void **state)
{
  (void) state;
  umask (022);
  if (mkdtemp (base) == NULL)
    return -1;
  src = in_base ("src");
  if (geteuid () != 0)
    return 0;
  assert_int_equal (mkdir (src, 0755), 0);
  fixture_files ();
  fixture_tree ();
  fixture_socket ();
  fixture_xattrs ();
  assert_int_equal (nftw (src, stamp_entry, 64, FTW_DEPTH | FTW_PHYS), 0);
  have_fixture = true;
  return 0;
}

static int
group_teardown (void **state)
{
  (void) state;
  rm_tree (base);
  free (src);
  return 0;
}

/* ---- comparison ------------------------------------------------------ */

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted entry names of DIR, without sockets when FLAGS say so.  */
static size_t
list_dir (const char *dir, unsigned flags, char ***out)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  char **v = NULL;
  size_t n = 0;

  assert_non_null (d);
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if ((flags & SKIP_SOCKETS) && de->d_type == DT_SOCK)
        continue;
      v = xrealloc (v, (n + 1) * sizeof (*v));
      v[n++] = xstrdup (de->d_name);
    }
  if (n > 0) /* qsort (NULL, 0) is undefined */
    qsort (v, n, sizeof (*v), cmp_str);
  *out = v;
  return n;
}

static void
free_list (char **v, size_t n)
{
  while (n > 0)
    free (v[--n]);
  free (v);
}

/* Sorted xattr names of PATH (not following symlinks).  */
static size_t
list_xattrs (const char *path, char ***out)
{
  char buf[4096];
  ssize_t len = llistxattr (path, buf, sizeof (buf));
  char **v = NULL;
  size_t n = 0;
  ssize_t i = 0;

  assert_true (len >= 0);
  while (i < len)
    {
      v = xrealloc (v, (n + 1) * sizeof (*v));
      v[n++] = xstrdup (buf + i);
      i += (ssize_t) strlen (buf + i) + 1;
    }
  if (n > 0) /* qsort (NULL, 0) is undefined */
    qsort (v, n, sizeof (*v), cmp_str);
  *out = v;
  return n;
}

static void
compare_xattrs (const char *a, const char *b, unsigned flags)
{
  char **xa = NULL, **xb = NULL;
  size_t na = list_xattrs (a, &xa), nb = list_xattrs (b, &xb), i;
  size_t want = (flags & NO_XATTRS) ? 0 : na;

  if (want != nb)
    fail_msg ("%s: %zu xattrs, expected %zu", b, nb, want);
  for (i = 0; i < want; i++)
    {
      char va[4096], vb[4096];
      ssize_t la, lb;

      if (strcmp (xa[i], xb[i]) != 0)
        fail_msg ("%s: xattr `%s`, expected `%s`", b, xb[i], xa[i]);
      la = lgetxattr (a, xa[i], va, sizeof (va));
      lb = lgetxattr (b, xb[i], vb, sizeof (vb));
      if (la < 0 || la != lb || memcmp (va, vb, (size_t) la) != 0)
        fail_msg ("%s: xattr `%s` differs", b, xa[i]);
    }
  free_list (xa, na);
  free_list (xb, nb);
}

static void
compare_content (const char *a, const char *b)
{
  size_t la = 0, lb = 0;
  cleanup_free char *ca = slurp (a, &la);
  cleanup_free char *cb = slurp (b, &lb);

  if (la != lb || memcmp (ca, cb, la) != 0)
    fail_msg ("%s: content differs from %s", b, a);
}

static void
compare_link (const char *a, const char *b)
{
  char ta[PATH_MAX] = "", tb[PATH_MAX] = "";

  assert_true (readlink (a, ta, sizeof (ta) - 1) > 0);
  assert_true (readlink (b, tb, sizeof (tb) - 1) > 0);
  if (strcmp (ta, tb) != 0)
    fail_msg ("%s: symlink to `%s`, expected `%s`", b, tb, ta);
}

static void compare_dir (const char *a, const char *b, unsigned flags);

#define EXPECT_EQ(path, what, got, want)                                      \
  do                                                                          \
    if ((got) != (want))                                                      \
      fail_msg ("%s: %s is %llo, expected %llo", path, what,                  \
                (unsigned long long) (got), (unsigned long long) (want));     \
  while (0)

static void
compare_entry (const char *a, const char *b, unsigned flags)
{
  struct stat sa, sb;

  assert_int_equal (lstat (a, &sa), 0);
  if (lstat (b, &sb) < 0)
    fail_msg ("%s: missing (%s)", b, strerror (errno));
  EXPECT_EQ (b, "mode (octal)", sb.st_mode, sa.st_mode);
  EXPECT_EQ (b, "uid (octal)", sb.st_uid, sa.st_uid);
  EXPECT_EQ (b, "gid (octal)", sb.st_gid, sa.st_gid);
  EXPECT_EQ (b, "mtime (octal)", sb.st_mtim.tv_sec, sa.st_mtim.tv_sec);
  EXPECT_EQ (b, "link count", sb.st_nlink, sa.st_nlink);
  if (S_ISREG (sa.st_mode))
    compare_content (a, b);
  else if (S_ISLNK (sa.st_mode))
    compare_link (a, b);
  else if (S_ISCHR (sa.st_mode) || S_ISBLK (sa.st_mode))
    EXPECT_EQ (b, "rdev (octal)", sb.st_rdev, sa.st_rdev);
  else if (S_ISDIR (sa.st_mode))
    compare_dir (a, b, flags);
  compare_xattrs (a, b, flags);
}

static void
compare_dir (const char *a, const char *b, unsigned flags)
{
  char **na = NULL, **nb = NULL;
  size_t ca = list_dir (a, flags, &na), cb = list_dir (b, flags, &nb), i;

  if (ca != cb)
    fail_msg ("%s: %zu entries, expected %zu", b, cb, ca);
  for (i = 0; i < ca; i++)
    {
      cleanup_free char *pa = xasprintf ("%s/%s", a, na[i]);
      cleanup_free char *pb = xasprintf ("%s/%s", b, nb[i]);

      if (strcmp (na[i], nb[i]) != 0)
        fail_msg ("%s: entry `%s`, expected `%s`", b, nb[i], na[i]);
      compare_entry (pa, pb, flags);
    }
  free_list (na, ca);
  free_list (nb, cb);
}

/* ---- unpacking ------------------------------------------------------- */

/* Unpack IMAGE into a new directory DEST, passed as an O_PATH fd (the
 * unpacker must reopen it to chown/chmod the root).  */
static int
unpack (const char *image, const char *dest, mc_error_t *err)
{
  cleanup_close int src_fd = open (image, O_RDONLY | O_CLOEXEC);
  cleanup_close int dest_fd = -1;

  assert_true (src_fd >= 0);
  assert_int_equal (mkdir (dest, 0700), 0);
  dest_fd = open (dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (dest_fd >= 0);
  return mc_squashfs_unpack (src_fd, strrchr (image, '/') + 1, dest_fd, err);
}

static void
unpack_ok (const char *image, const char *dest)
{
  mc_error_t err = NULL;

  if (unpack (image, dest, &err) < 0)
    fail_msg ("unpack failed: %s", err->msg);
  assert_null (err);
}

static void unpack_fails (const char *image, const char *dest, ...)
  __attribute__ ((sentinel));

/* Unpack must fail with a message holding each of the NULL-terminated
 * strings, and leave nothing but DEST in DEST's parent.  */
static void
unpack_fails (const char *image, const char *dest, ...)
{
  cleanup_free char *parent = xstrndup (dest, strrchr (dest, '/') - dest);
  mc_error_t err = NULL;
  char **names = NULL;
  const char *want;
  va_list ap;
  size_t n;

  assert_true (unpack (image, dest, &err) < 0);
  assert_non_null (err);
  print_message ("# expected error: %.300s\n", err->msg);
  va_start (ap, dest);
  while ((want = va_arg (ap, const char *)) != NULL)
    if (strstr (err->msg, want) == NULL)
      fail_msg ("error `%s` lacks `%s`", err->msg, want);
  va_end (ap);
  mc_error_release (&err);
  n = list_dir (parent, 0, &names);
  assert_int_equal (n, 1);
  assert_string_equal (names[0], strrchr (dest, '/') + 1);
  free_list (names, n);
}

static void
check_unpacked (const char *dest, unsigned flags)
{
  cleanup_free char *hl1 = xasprintf ("%s/hl1", dest);
  cleanup_free char *hl2 = xasprintf ("%s/a/hl2", dest);
  cleanup_free char *sp = xasprintf ("%s/sparse.img", dest);
  cleanup_free char *abs = xasprintf ("%s/abs_link", dest);
  struct stat s1, s2;

  compare_entry (src, dest, flags); /* the root, then everything below */
  assert_int_equal (lstat (hl1, &s1), 0);
  assert_int_equal (lstat (hl2, &s2), 0);
  assert_int_equal (s1.st_ino, s2.st_ino);
  assert_int_equal (s1.st_nlink, 2);
  assert_int_equal (lstat (abs, &s1), 0);
  assert_true (S_ISLNK (s1.st_mode));
  /* Holes stay holes: 4 KiB of data in a 5 MiB file.  */
  assert_int_equal (stat (sp, &s1), 0);
  assert_true (s1.st_blocks * 512 < 1 << 20);
}

static void
mksquashfs_and_check (const char *tag, const char *opts, unsigned flags)
{
  cleanup_free char *img = xasprintf ("%s/%s.squashfs", base, tag);
  cleanup_free char *dest = xasprintf ("%s/dest-%s", base, tag);

  require_root ();
  run ("mksquashfs '%s' '%s' -noappend -quiet -no-progress %s >/dev/null",
       src, img, opts);
  unpack_ok (img, dest);
  check_unpacked (dest, flags);
  rm_tree (dest);
  unlink (img);
}

/* ---- tests ----------------------------------------------------------- */

static void
test_unpack_gzip (void **state)
{
  (void) state;
  mksquashfs_and_check ("gzip", "", 0);
}

static void
test_unpack_xz (void **state)
{
  (void) state;
  mksquashfs_and_check ("xz", "-comp xz", 0);
}

/* Uncompressed everything, tiny blocks: many blocks and fragments.  */
static void
test_unpack_uncompressed_4k (void **state)
{
  (void) state;
  mksquashfs_and_check ("raw4k", "-noI -noD -noF -noX -b 4096", 0);
}

static void
test_unpack_no_xattrs (void **state)
{
  (void) state;
  mksquashfs_and_check ("noxattr", "-no-xattrs", NO_XATTRS);
}

/* tar2sqfs (squashfs-tools-ng's own writer) from a tar stream.  tar has
 * no sockets; everything else must come through.  */
static void
test_unpack_tar2sqfs (void **state)
{
  cleanup_free char *tar = in_base ("fixture.tar");
  cleanup_free char *img = in_base ("tar2sqfs.squashfs");
  cleanup_free char *dest = in_base ("dest-tar2sqfs");

  (void) state;
  require_root ();
  run ("tar -C '%s' --xattrs --xattrs-include='*' --sparse --numeric-owner"
       " -cf '%s' . 2>/dev/null",
       src, tar);
  run ("tar2sqfs -q -c zstd '%s' < '%s'", img, tar);
  unpack_ok (img, dest);
  check_unpacked (dest, SKIP_SOCKETS);
  rm_tree (dest);
  unlink (img);
  unlink (tar);
}

static void
test_detect (void **state)
{
  cleanup_free char *img = in_base ("detect.squashfs");
  cleanup_free char *junk = in_base ("detect.junk");
  cleanup_close int fd = -1, jfd = -1;

  (void) state;
  require_root ();
  run ("mksquashfs '%s/a' '%s' -noappend -quiet -no-progress >/dev/null",
       src, img);
  write_file (junk, "hsq", 3, 0644);
  fd = open (img, O_RDONLY | O_CLOEXEC);
  jfd = open (junk, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0 && jfd >= 0);
  assert_int_equal (lseek (fd, 5, SEEK_SET), 5);
  assert_true (mc_squashfs_detect (fd));
  assert_int_equal (lseek (fd, 0, SEEK_CUR), 5); /* offset untouched */
  assert_false (mc_squashfs_detect (jfd));
  unlink (img);
  unlink (junk);
}

/* Build a tiny image with uncompressed metadata from a tree holding a
 * directory named FROM (with a file "evil" inside), then rename it to TO
 * in place: a naive extractor would write DEST/../evil or DEST/x/evil.  */
static void
hostile_name (const char *tag, const char *from, const char *to,
              const char *want_path)
{
  cleanup_free char *tree = xasprintf ("%s/tree-%s", base, tag);
  cleanup_free char *img = xasprintf ("%s/%s.squashfs", base, tag);
  cleanup_free char *jail = xasprintf ("%s/jail-%s", base, tag);
  cleanup_free char *dest = xasprintf ("%s/dest", jail);
  cleanup_free char *want_img = xasprintf ("`%s.squashfs`", tag);
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  size_t len = 0, n = strlen (from);
  char *hit;

  run ("set -e; mkdir -p '%s/%s'; echo pwned > '%s/%s/evil';"
       "mksquashfs '%s' '%s' -noappend -quiet -no-progress"
       " -noI -noD -noF -noX >/dev/null",
       tree, from, tree, from, tree, img);
  buf = slurp (img, &len);
  hit = memmem (buf, len, from, n);
  assert_non_null (hit);
  assert_null (memmem (hit + 1, len - (size_t) (hit + 1 - buf), from, n));
  memcpy (hit, to, n);
  fd = open (img, O_WRONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (pwrite (fd, buf, len, 0), (ssize_t) len);
  assert_int_equal (mkdir (jail, 0700), 0);
  unpack_fails (img, dest, want_img, want_path, "invalid name", (const char *) NULL);
  rm_tree (jail);
  rm_tree (tree);
  unlink (img);
}

static void
test_hostile_dotdot (void **state)
{
  (void) state;
  require_root ();
  hostile_name ("dotdot", "QQ", "..", "entry `..`");
}

static void
test_hostile_slash (void **state)
{
  (void) state;
  require_root ();
  hostile_name ("slash", "QxQ", "Q/Q", "entry `Q/Q`");
}

static void
test_hostile_dot (void **state)
{
  (void) state;
  require_root ();
  hostile_name ("dot", "Q", ".", "entry `.`");
}

/* 600 nested directories: over the 512 limit.  */
static void
test_too_deep (void **state)
{
  cleanup_free char *tree = in_base ("tree-deep");
  cleanup_free char *img = in_base ("deep.squashfs");
  cleanup_free char *jail = in_base ("jail-deep");
  cleanup_free char *dest = in_base ("jail-deep/dest");
  cleanup_close int fd = -1;
  int i;

  (void) state;
  require_root ();
  assert_int_equal (mkdir (tree, 0755), 0);
  fd = open (tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (i = 0; i < 600; i++)
    {
      int next;

      assert_int_equal (mkdirat (fd, "d", 0755), 0);
      next = openat (fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      assert_true (next >= 0);
      close (fd);
      fd = next;
    }
  run ("mksquashfs '%s' '%s' -noappend -quiet -no-progress >/dev/null",
       tree, img);
  assert_int_equal (mkdir (jail, 0700), 0);
  unpack_fails (img, dest, "`deep.squashfs`", "nested deeper than 512",
                (const char *) NULL);
  rm_tree (jail);
  rm_tree (tree);
  unlink (img);
}

static void
test_truncated (void **state)
{
  cleanup_free char *img = in_base ("trunc.squashfs");
  cleanup_free char *jail = in_base ("jail-trunc");
  cleanup_free char *dest = in_base ("jail-trunc/dest");
  struct stat st;

  (void) state;
  require_root ();
  run ("mksquashfs '%s' '%s' -noappend -quiet -no-progress >/dev/null", src,
       img);
  assert_int_equal (stat (img, &st), 0);
  assert_int_equal (truncate (img, st.st_size / 2), 0);
  assert_int_equal (mkdir (jail, 0700), 0);
  unpack_fails (img, dest, "`trunc.squashfs`", "out of bounds", (const char *) NULL);
  rm_tree (jail);
  unlink (img);
}

static void
test_garbage (void **state)
{
  cleanup_free char *img = in_base ("garbage.squashfs");
  cleanup_free char *magic = in_base ("magic.squashfs");
  cleanup_free char *jail = in_base ("jail-garbage");
  cleanup_free char *dest = in_base ("jail-garbage/dest");
  cleanup_close int fd = -1;

  (void) state;
  require_root ();
  random_file (img, 65536);
  random_file (magic, 65536);
  fd = open (magic, O_WRONLY | O_CLOEXEC);
  assert_int_equal (pwrite (fd, "hsqs", 4, 0), 4);
  assert_int_equal (mkdir (jail, 0700), 0);
  unpack_fails (img, dest, "`garbage.squashfs`", "bad magic", (const char *) NULL);
  rm_tree (dest);
  unpack_fails (magic, dest, "`magic.squashfs`", (const char *) NULL);
  rm_tree (jail);
  unlink (img);
  unlink (magic);
}

static void
test_empty_file (void **state)
{
  cleanup_free char *img = in_base ("empty.squashfs");
  cleanup_free char *jail = in_base ("jail-empty");
  cleanup_free char *dest = in_base ("jail-empty/dest");

  (void) state;
  require_root ();
  write_file (img, "", 0, 0644);
  assert_int_equal (mkdir (jail, 0700), 0);
  unpack_fails (img, dest, "`empty.squashfs`", "reading super block", (const char *) NULL);
  rm_tree (jail);
  unlink (img);
}

/* Debian's libsquashfs is built without LZO: say so, don't crash.  */
static void
test_lzo_unsupported (void **state)
{
  cleanup_free char *img = in_base ("lzo.squashfs");
  cleanup_free char *jail = in_base ("jail-lzo");
  cleanup_free char *dest = in_base ("jail-lzo/dest");

  (void) state;
  require_root ();
  run ("mksquashfs '%s/a' '%s' -noappend -quiet -no-progress -comp lzo"
       " >/dev/null",
       src, img);
  assert_int_equal (mkdir (jail, 0700), 0);
  unpack_fails (img, dest, "`lzo.squashfs`", "lzo decompressor", (const char *) NULL);
  rm_tree (jail);
  unlink (img);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_detect),
    cmocka_unit_test (test_unpack_gzip),
    cmocka_unit_test (test_unpack_xz),
    cmocka_unit_test (test_unpack_uncompressed_4k),
    cmocka_unit_test (test_unpack_no_xattrs),
    cmocka_unit_test (test_unpack_tar2sqfs),
    cmocka_unit_test (test_hostile_dotdot),
    cmocka_unit_test (test_hostile_slash),
    cmocka_unit_test (test_hostile_dot),
    cmocka_unit_test (test_too_deep),
    cmocka_unit_test (test_truncated),
    cmocka_unit_test (test_garbage),
    cmocka_unit_test (test_empty_file),
    cmocka_unit_test (test_lzo_unsupported),
  };

  if (getenv ("CMOCKA_MESSAGE_OUTPUT") == NULL)
    cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests_name ("squashfs", tests, group_setup,
                                      group_teardown);
}
