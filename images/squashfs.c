/* Unpack a squashfs image with libsquashfs (squashfs-tools-ng 1.2).
 *
 * The flow follows squashfs-tools-ng's rdsquashfs: read the super block,
 * create the decompressor it names, load the id, fragment and xattr
 * tables, get the whole tree with sym_sqfs_dir_reader_get_full_hierarchy(),
 * then recreate it.  What differs is that the image is untrusted and the
 * destination is reached only through directory fds:
 *
 *  - the image is read through our own sqfs_file_t doing pread() on the
 *    caller's fd, so it is never reopened by path;
 *  - before the library builds the tree, check_tree() walks the directory
 *    graph once itself, bounded, because the library's walk recurses with
 *    no depth limit and expands a directory once per entry naming it: a
 *    crafted image could exhaust the stack or memory before we see a node;
 *  - every entry is created relative to its parent's O_NOFOLLOW directory
 *    fd, files with O_CREAT|O_EXCL|O_NOFOLLOW, and every later step
 *    (chown, chmod, xattrs, times) acts on an fd or with
 *    AT_SYMLINK_NOFOLLOW, so no symlink from the image is ever followed.
 */
#include "images/squashfs.h"
#include "images/archive.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <search.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/dir.h>
#include <sqfs/error.h>

/* Deepest directory nesting accepted.  Extraction holds one directory fd
 * per level, so this stays well under the usual RLIMIT_NOFILE soft limit
 * of 1024; real root filesystems are a few dozen levels deep at most.  */
#define MAX_DEPTH 512

/* Most entries accepted in one image.  The library holds the whole tree
 * in memory (~150 bytes per entry), and distinct directories may share one
 * on-disk listing, so a small image can describe N*M entries: bound it.
 * Large distribution root filesystems have well under a million.  */
#define MAX_ENTRIES (1u << 22)

/* Xattr index of an inode without xattrs (squashfs on-disk sentinel).  */
#define NO_XATTR_INDEX 0xFFFFFFFFu

static void
cleanup_sqfs_freep (void *p)
{
  void **pp = p;

  sym_sqfs_free (*pp);
}
#define cleanup_sqfs_free __attribute__ ((cleanup (cleanup_sqfs_freep)))

/* ---- library error codes -------------------------------------------- */

static const char *
sqfs_error_str (int code)
{
  switch (code)
    {
    case SQFS_ERROR_ALLOC: return "out of memory";
    case SQFS_ERROR_IO: return "read error";
    case SQFS_ERROR_COMPRESSOR: return "decompression failed (corrupted data)";
    case SQFS_ERROR_INTERNAL: return "internal libsquashfs error";
    case SQFS_ERROR_CORRUPTED: return "corrupted filesystem";
    case SQFS_ERROR_UNSUPPORTED: return "unsupported feature";
    case SQFS_ERROR_OVERFLOW: return "size overflow (corrupted filesystem)";
    case SQFS_ERROR_OUT_OF_BOUNDS:
      return "reference out of bounds (truncated or corrupted image)";
    case SFQS_ERROR_SUPER_MAGIC: return "not a squashfs image (bad magic)";
    case SFQS_ERROR_SUPER_VERSION: return "unsupported squashfs version";
    case SQFS_ERROR_SUPER_BLOCK_SIZE: return "invalid block size";
    case SQFS_ERROR_NOT_DIR: return "not a directory";
    case SQFS_ERROR_NO_ENTRY: return "no such entry";
    case SQFS_ERROR_LINK_LOOP: return "directory loop";
    case SQFS_ERROR_NOT_FILE: return "not a regular file";
    case SQFS_ERROR_ARG_INVALID: return "invalid argument";
    case SQFS_ERROR_SEQUENCE: return "calls out of sequence";
    default: return "unknown libsquashfs error";
    }
}

/* ---- sqfs_file_t over a borrowed fd ---------------------------------- */

struct fd_file
{
  sqfs_file_t base;
  int fd;         /* borrowed from the caller: never closed here */
  sqfs_u64 size;
  int read_errno; /* errno of the last failed pread, for messages */
};

static int
fd_file_read_at (sqfs_file_t *base, sqfs_u64 offset, void *buffer, size_t size)
{
  struct fd_file *f = (struct fd_file *) base;
  char *p = buffer;

  if (offset > f->size || size > f->size - offset)
    return SQFS_ERROR_OUT_OF_BOUNDS;
  while (size > 0)
    {
      ssize_t n = pread (f->fd, p, size, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          f->read_errno = errno;
          return SQFS_ERROR_IO;
        }
      if (n == 0) /* shrank since we measured it */
        return SQFS_ERROR_OUT_OF_BOUNDS;
      p += n;
      offset += (sqfs_u64) n;
      size -= (size_t) n;
    }
  return 0;
}

static int
fd_file_write_at (sqfs_file_t *base, sqfs_u64 offset, const void *buffer,
                  size_t size)
{
  (void) base, (void) offset, (void) buffer, (void) size;
  return SQFS_ERROR_UNSUPPORTED;
}

static sqfs_u64
fd_file_get_size (const sqfs_file_t *base)
{
  return ((const struct fd_file *) base)->size;
}

static int
fd_file_truncate (sqfs_file_t *base, sqfs_u64 size)
{
  (void) base, (void) size;
  return SQFS_ERROR_UNSUPPORTED;
}

static void
fd_file_destroy (sqfs_object_t *obj)
{
  free (obj);
}

/* The size comes from fstat, or BLKGETSIZE64 for a block device, so the
 * fd's offset is never touched.  */
static int
fd_size (int fd, const char *name, sqfs_u64 *size, mc_error_t *err)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", name);
  if (S_ISREG (st.st_mode))
    {
      *size = (sqfs_u64) st.st_size;
      return 0;
    }
  if (!S_ISBLK (st.st_mode))
    return mc_make_error (err, 0, "`%s`: not a regular file or block device",
                          name);
  if (ioctl (fd, BLKGETSIZE64, size) < 0)
    return mc_make_error (err, errno, "get size of block device `%s`", name);
  return 0;
}

/* ---- unpack state ---------------------------------------------------- */

/* One record per inode number met so far: directories from check_tree(),
 * other inodes when first extracted, to turn later entries into links. */
struct inode_seen
{
  sqfs_u32 ino;
  bool is_dir;
  const sqfs_tree_node_t *first; /* NULL for directories */
};

struct unpack
{
  const char *name; /* of the image, for messages */
  sqfs_super_t super;
  struct fd_file *file;
  sqfs_compressor_t *cmp;
  sqfs_id_table_t *idtbl;
  sqfs_dir_reader_t *dirrd;
  sqfs_data_reader_t *data;
  sqfs_xattr_reader_t *xattr; /* NULL when the image has no xattrs */
  sqfs_tree_node_t *root;
  void *inodes; /* tsearch(3) tree of struct inode_seen */
  size_t entries; /* counted by check_tree(), up to MAX_ENTRIES */
  int root_fd;  /* our own fd on DEST */
};

static void
unpack_release (struct unpack *u)
{
  /* The readers keep pointers to the compressor and the file: those go
   * last.  */
  if (u->root != NULL)
    sym_sqfs_dir_tree_destroy (u->root);
  tdestroy (u->inodes, free);
  sqfs_destroy (u->xattr);
  sqfs_destroy (u->data);
  sqfs_destroy (u->dirrd);
  sqfs_destroy (u->idtbl);
  sqfs_destroy (u->cmp);
  sqfs_destroy (u->file);
  if (u->root_fd >= 0)
    close (u->root_fd);
}

static int
inode_cmp (const void *a, const void *b)
{
  sqfs_u32 x = ((const struct inode_seen *) a)->ino;
  sqfs_u32 y = ((const struct inode_seen *) b)->ino;

  return x < y ? -1 : x > y;
}

/* Record INO.  Returns the earlier record if INO was already known, else
 * NULL.  */
static const struct inode_seen *
inode_seen_add (struct unpack *u, sqfs_u32 ino, bool is_dir,
                const sqfs_tree_node_t *first)
{
  struct inode_seen *rec = xmalloc0 (sizeof (*rec));
  struct inode_seen **slot;

  rec->ino = ino;
  rec->is_dir = is_dir;
  rec->first = first;
  slot = tsearch (rec, &u->inodes, inode_cmp);
  if (slot == NULL)
    abort (); /* out of memory, as xmalloc */
  if (*slot == rec)
    return NULL;
  free (rec);
  return *slot;
}

static bool
inode_is_dir (const sqfs_inode_generic_t *inode)
{
  return inode->base.type == SQFS_INODE_DIR
         || inode->base.type == SQFS_INODE_EXT_DIR;
}

/* ---- errors ---------------------------------------------------------- */

/* Only I/O errors carry an errno, saved by fd_file_read_at().  */
static int
lib_status (const struct unpack *u, int code)
{
  return code == SQFS_ERROR_IO && u->file != NULL ? u->file->read_errno : 0;
}

static int
image_error (mc_error_t *err, const struct unpack *u, int code,
             const char *what)
{
  return mc_make_error (err, lib_status (u, code), "`%s`: %s: %s", u->name,
                        what, sqfs_error_str (code));
}

/* Names come from the image: escape control and non-ASCII bytes so an
 * error message cannot carry terminal escape sequences.  */
static char *
escape_name (const char *s)
{
  char *out = xmalloc (strlen (s) * 4 + 1);
  char *p = out;

  for (; *s != '\0'; s++)
    {
      unsigned char c = (unsigned char) *s;

      if (c < 0x20 || c >= 0x7f || c == '\\' || c == '`')
        p += sprintf (p, "\\x%02x", c);
      else
        *p++ = (char) c;
    }
  *p = '\0';
  return out;
}

/* "etc/passwd" for an entry, "/" for the root; raw, escape before use.  */
static char *
node_path (const sqfs_tree_node_t *n)
{
  cleanup_free char *dir = NULL;

  if (n->parent == NULL)
    return xstrdup ("/");
  if (n->parent->parent == NULL)
    return xstrdup ((const char *) n->name);
  dir = node_path (n->parent);
  return xasprintf ("%s/%s", dir, (const char *) n->name);
}

static int path_error_v (mc_error_t *err, const struct unpack *u,
                         const char *path, int status, const char *fmt,
                         va_list ap) __attribute__ ((format (printf, 5, 0)));

static int
path_error_v (mc_error_t *err, const struct unpack *u, const char *path,
              int status, const char *fmt, va_list ap)
{
  cleanup_free char *safe = escape_name (path);
  cleanup_free char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  return mc_make_error (err, status, "`%s`: entry `%s`: %s", u->name, safe,
                        msg);
}

static int path_error (mc_error_t *err, const struct unpack *u,
                       const char *path, int status, const char *fmt, ...)
  __attribute__ ((format (printf, 5, 6)));

static int
path_error (mc_error_t *err, const struct unpack *u, const char *path,
            int status, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  path_error_v (err, u, path, status, fmt, ap);
  va_end (ap);
  return -1;
}

static int entry_error (mc_error_t *err, const struct unpack *u,
                        const sqfs_tree_node_t *n, int status,
                        const char *fmt, ...)
  __attribute__ ((format (printf, 5, 6)));

/* "`IMAGE`: entry `PATH`: MESSAGE[: strerror(STATUS)]".  */
static int
entry_error (mc_error_t *err, const struct unpack *u,
             const sqfs_tree_node_t *n, int status, const char *fmt, ...)
{
  cleanup_free char *path = node_path (n);
  va_list ap;

  va_start (ap, fmt);
  path_error_v (err, u, path, status, fmt, ap);
  va_end (ap);
  return -1;
}

/* ---- opening the image ----------------------------------------------- */

static int
open_file (struct unpack *u, int src_fd, mc_error_t *err)
{
  struct fd_file *f;
  sqfs_u64 size;

  if (fd_size (src_fd, u->name, &size, err) < 0)
    return -1;
  f = xmalloc0 (sizeof (*f));
  f->base.base.destroy = fd_file_destroy;
  f->base.base.copy = NULL; /* nothing here needs a copy */
  f->base.read_at = fd_file_read_at;
  f->base.write_at = fd_file_write_at;
  f->base.get_size = fd_file_get_size;
  f->base.truncate = fd_file_truncate;
  f->fd = src_fd;
  f->size = size;
  u->file = f;
  return 0;
}

/* Decompression needs no stored compressor options, as in rdsquashfs.  */
static int
create_compressor (struct unpack *u, mc_error_t *err)
{
  SQFS_COMPRESSOR id = (SQFS_COMPRESSOR) u->super.compression_id;
  const char *cname = sym_sqfs_compressor_name_from_id (id);
  sqfs_compressor_config_t cfg;
  int ret;

  ret = sym_sqfs_compressor_config_init (&cfg, id, u->super.block_size,
                                     SQFS_COMP_FLAG_UNCOMPRESS);
  if (ret == 0)
    ret = sym_sqfs_compressor_create (&cfg, &u->cmp);
  if (ret != 0)
    return mc_make_error (err, 0, "`%s`: %s decompressor (id %u): %s",
                          u->name, cname != NULL ? cname : "unknown",
                          (unsigned) id, sqfs_error_str (ret));
  return 0;
}

static int
load_tables (struct unpack *u, mc_error_t *err)
{
  sqfs_file_t *file = &u->file->base;
  int ret;

  u->idtbl = sym_sqfs_id_table_create (0);
  u->dirrd = sym_sqfs_dir_reader_create (&u->super, u->cmp, file, 0);
  u->data = sym_sqfs_data_reader_create (file, u->super.block_size, u->cmp, 0);
  if (u->idtbl == NULL || u->dirrd == NULL || u->data == NULL)
    return image_error (err, u, SQFS_ERROR_ALLOC, "creating readers");
  ret = sym_sqfs_id_table_read (u->idtbl, file, &u->super, u->cmp);
  if (ret != 0)
    return image_error (err, u, ret, "reading id table");
  ret = sym_sqfs_data_reader_load_fragment_table (u->data, &u->super);
  if (ret != 0)
    return image_error (err, u, ret, "reading fragment table");
  if (u->super.flags & SQFS_FLAG_NO_XATTRS)
    return 0;
  u->xattr = sym_sqfs_xattr_reader_create (0);
  if (u->xattr == NULL)
    return image_error (err, u, SQFS_ERROR_ALLOC, "creating xattr reader");
  ret = sym_sqfs_xattr_reader_load (u->xattr, &u->super, file, u->cmp);
  if (ret != 0)
    return image_error (err, u, ret, "reading xattr table");
  return 0;
}

static int
open_image (struct unpack *u, int src_fd, mc_error_t *err)
{
  int ret;

  if (open_file (u, src_fd, err) < 0)
    return -1;
  ret = sym_sqfs_super_read (&u->super, &u->file->base);
  if (ret != 0)
    return image_error (err, u, ret, "reading super block");
  if (create_compressor (u, err) < 0)
    return -1;
  return load_tables (u, err);
}

/* ---- bounded pre-walk of the directory graph -------------------------- */

struct subdir
{
  sqfs_inode_generic_t *inode;
  char *path;
};

struct subdirs
{
  struct subdir *v;
  size_t len, cap;
};

static void
subdirs_release (struct subdirs *s)
{
  size_t i;

  for (i = 0; i < s->len; i++)
    {
      sym_sqfs_free (s->v[i].inode);
      free (s->v[i].path);
    }
  free (s->v);
}

static void
subdirs_push (struct subdirs *s, sqfs_inode_generic_t *inode,
              const char *dir, const char *name)
{
  if (s->len == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 8;
      s->v = xrealloc (s->v, s->cap * sizeof (*s->v));
    }
  s->v[s->len].inode = inode;
  s->v[s->len].path = strcmp (dir, "/") == 0
                          ? xstrdup (name)
                          : xasprintf ("%s/%s", dir, name);
  s->len++;
}

/* Collect DIR's subdirectories.  The inode's type decides, not the entry's
 * type field: the inode is what the library's walk recurses on.  The
 * reader has one cursor, so the list is complete before anyone recurses. */
static int
list_subdirs (struct unpack *u, const sqfs_inode_generic_t *dir,
              const char *path, struct subdirs *out, mc_error_t *err)
{
  int ret;

  ret = sym_sqfs_dir_reader_open_dir (u->dirrd, dir, SQFS_DIR_OPEN_NO_DOT_ENTRIES);
  while (ret == 0)
    {
      cleanup_sqfs_free sqfs_dir_entry_t *ent = NULL;
      sqfs_inode_generic_t *inode = NULL;

      ret = sym_sqfs_dir_reader_read (u->dirrd, &ent);
      if (ret != 0)
        break;
      if (++u->entries > MAX_ENTRIES)
        return path_error (err, u, path, 0, "image has more than %u entries",
                           MAX_ENTRIES);
      ret = sym_sqfs_dir_reader_get_inode (u->dirrd, &inode);
      if (ret == 0 && inode_is_dir (inode))
        subdirs_push (out, inode, path, (const char *) ent->name);
      else if (ret == 0)
        sym_sqfs_free (inode);
    }
  if (ret < 0)
    return path_error (err, u, path, lib_status (u, ret),
                       "reading directory: %s", sqfs_error_str (ret));
  return 0;
}

/* Reject nesting deeper than MAX_DEPTH, more than MAX_ENTRIES entries, and
 * directories named by more than one entry (a loop, or a fan-out that the
 * library would expand once per name).  Recursion is bounded by MAX_DEPTH.
 */
static int
check_tree (struct unpack *u, const sqfs_inode_generic_t *dir,
            const char *path, size_t depth, mc_error_t *err)
{
  __attribute__ ((cleanup (subdirs_release))) struct subdirs subs = { 0 };
  sqfs_u32 ino = dir->base.inode_number;
  size_t i;

  if (depth > MAX_DEPTH)
    return path_error (err, u, path, 0,
                       "directories nested deeper than %d levels", MAX_DEPTH);
  if (inode_seen_add (u, ino, true, NULL) != NULL)
    return path_error (err, u, path, 0,
                       "directory inode %" PRIu32 " is linked more than once",
                       ino);
  if (list_subdirs (u, dir, path, &subs, err) < 0)
    return -1;
  for (i = 0; i < subs.len; i++)
    if (check_tree (u, subs.v[i].inode, subs.v[i].path, depth + 1, err) < 0)
      return -1;
  return 0;
}

static int
check_image_tree (struct unpack *u, mc_error_t *err)
{
  cleanup_sqfs_free sqfs_inode_generic_t *root = NULL;
  int ret;

  ret = sym_sqfs_dir_reader_get_root_inode (u->dirrd, &root);
  if (ret != 0)
    return image_error (err, u, ret, "reading root inode");
  if (!inode_is_dir (root))
    return mc_make_error (err, 0, "`%s`: root inode is not a directory",
                          u->name);
  return check_tree (u, root, "/", 0, err);
}

/* ---- metadata -------------------------------------------------------- */

/* Where an entry's metadata goes: an open fd for files and directories, or
 * DIRFD + NAME for symlinks and special files, which we must not open
 * (open() follows a symlink, blocks on a FIFO, has side effects on a
 * device).  */
struct target
{
  int fd;
  int dirfd;
  const char *name;
};

static int
set_owner (struct unpack *u, const sqfs_tree_node_t *n,
           const struct target *t, mc_error_t *err)
{
  sqfs_u32 uid = 0, gid = 0;
  int ret;

  /* Resolve the ids ourselves: the library's tree walk ignores lookup
   * errors below the root, which would leave a bad index as uid 0.  */
  ret = sym_sqfs_id_table_index_to_id (u->idtbl, n->inode->base.uid_idx, &uid);
  if (ret == 0)
    ret = sym_sqfs_id_table_index_to_id (u->idtbl, n->inode->base.gid_idx, &gid);
  if (ret != 0)
    return entry_error (err, u, n, 0, "owner: %s", sqfs_error_str (ret));
  /* (uid_t) -1 means "leave unchanged" to chown: the entry would keep our
   * own (root) ownership instead of the image's.  */
  if (uid == UINT32_MAX || gid == UINT32_MAX)
    return entry_error (err, u, n, 0, "invalid owner %" PRIu32 ":%" PRIu32,
                        uid, gid);
  if (t->fd >= 0)
    ret = fchown (t->fd, uid, gid);
  else
    ret = fchownat (t->dirfd, t->name, uid, gid, AT_SYMLINK_NOFOLLOW);
  if (ret < 0)
    return entry_error (err, u, n, errno, "chown %" PRIu32 ":%" PRIu32, uid,
                        gid);
  return 0;
}

static int
set_mode (struct unpack *u, const sqfs_tree_node_t *n,
          const struct target *t, mc_error_t *err)
{
  mode_t mode = n->inode->base.mode & 07777;
  int ret;

  if (S_ISLNK (n->inode->base.mode))
    return 0; /* Linux ignores symlink modes; fchmodat() refuses them */
  if (t->fd >= 0)
    ret = fchmod (t->fd, mode);
  else
    ret = fchmodat (t->dirfd, t->name, mode, AT_SYMLINK_NOFOLLOW);
  if (ret < 0)
    return entry_error (err, u, n, errno, "chmod %04o", (unsigned) mode);
  return 0;
}

static int
target_setxattr (const struct target *t, const char *key, const void *value,
                 size_t size)
{
  cleanup_free char *path = NULL;

  if (t->fd >= 0)
    return fsetxattr (t->fd, key, value, size, 0);
  /* No fd to use: reach the entry through the /proc magic link of its
   * directory fd, and lsetxattr() acts on the last component itself,
   * never following it.  */
  path = xasprintf ("/proc/self/fd/%d/%s", t->dirfd, t->name);
  return lsetxattr (path, key, value, size, 0);
}

static int
set_one_xattr (struct unpack *u, const sqfs_tree_node_t *n,
               const struct target *t, mc_error_t *err)
{
  cleanup_sqfs_free sqfs_xattr_entry_t *key = NULL;
  cleanup_sqfs_free sqfs_xattr_value_t *value = NULL;
  cleanup_free char *safe = NULL;
  const char *prefix, *name;
  int ret;

  ret = sym_sqfs_xattr_reader_read_key (u->xattr, &key);
  if (ret == 0)
    ret = sym_sqfs_xattr_reader_read_value (u->xattr, key, &value);
  if (ret != 0)
    return entry_error (err, u, n, lib_status (u, ret), "reading xattr: %s",
                        sqfs_error_str (ret));
  /* The library hands back PREFIX + KEY->size bytes, NUL-terminated: an
   * embedded NUL would make us set a shorter name than the image says. */
  prefix = sym_sqfs_get_xattr_prefix (key->type & SQFS_XATTR_PREFIX_MASK);
  name = (const char *) key->key;
  if (prefix == NULL || strlen (name) != strlen (prefix) + key->size)
    return entry_error (err, u, n, 0, "invalid xattr name");
  if (mc_xattr_is_overlay_private (name))
    return 0;
  if (target_setxattr (t, name, value->value, value->size) < 0)
    {
      safe = escape_name (name);
      return entry_error (err, u, n, errno, "setxattr `%s`", safe);
    }
  return 0;
}

static int
set_xattrs (struct unpack *u, const sqfs_tree_node_t *n,
            const struct target *t, mc_error_t *err)
{
  sqfs_xattr_id_t desc;
  sqfs_u32 idx = NO_XATTR_INDEX, i;
  int ret;

  ret = sym_sqfs_inode_get_xattr_index (n->inode, &idx);
  if (ret == 0 && idx == NO_XATTR_INDEX)
    return 0;
  if (ret == 0 && u->xattr == NULL)
    ret = SQFS_ERROR_CORRUPTED; /* an index, but no xattr table */
  if (ret == 0)
    ret = sym_sqfs_xattr_reader_get_desc (u->xattr, idx, &desc);
  if (ret == 0)
    ret = sym_sqfs_xattr_reader_seek_kv (u->xattr, &desc);
  if (ret != 0)
    return entry_error (err, u, n, lib_status (u, ret), "reading xattrs: %s",
                        sqfs_error_str (ret));
  for (i = 0; i < desc.count; i++)
    if (set_one_xattr (u, n, t, err) < 0)
      return -1;
  return 0;
}

/* squashfs keeps only the mtime; atime gets the same value.  */
static int
set_mtime (struct unpack *u, const sqfs_tree_node_t *n,
           const struct target *t, mc_error_t *err)
{
  struct timespec ts[2] = { { .tv_sec = n->inode->base.mod_time },
                            { .tv_sec = n->inode->base.mod_time } };
  int ret;

  if (t->fd >= 0)
    ret = futimens (t->fd, ts);
  else
    ret = utimensat (t->dirfd, t->name, ts, AT_SYMLINK_NOFOLLOW);
  if (ret < 0)
    return entry_error (err, u, n, errno, "set times");
  return 0;
}

/* Owner, then mode, then xattrs, then times.  chown() clears the setuid
 * and setgid bits and security.capability, and so does writing content,
 * so mode and xattrs come after both; times come last because setting
 * the rest would not bump mtime but children would, for directories.  */
static int
apply_metadata (struct unpack *u, const sqfs_tree_node_t *n,
                const struct target *t, mc_error_t *err)
{
  if (set_owner (u, n, t, err) < 0)
    return -1;
  if (set_mode (u, n, t, err) < 0)
    return -1;
  if (set_xattrs (u, n, t, err) < 0)
    return -1;
  return set_mtime (u, n, t, err);
}

/* ---- regular file content -------------------------------------------- */

static int
pwrite_all (int fd, const sqfs_u8 *buf, size_t len, sqfs_u64 off)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, (off_t) off);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      buf += n;
      len -= (size_t) n;
      off += (sqfs_u64) n;
    }
  return 0;
}

/* Write one decompressed chunk at OFF.  It must fill exactly its slot of a
 * SIZE-byte file; the library trusts the decompressed length, we check.  */
static int
write_chunk (struct unpack *u, const sqfs_tree_node_t *n, int fd,
             const sqfs_u8 *buf, size_t len, sqfs_u64 off, sqfs_u64 size,
             mc_error_t *err)
{
  sqfs_u64 want = 0;

  if (off < size)
    want = size - off < u->super.block_size ? size - off
                                            : u->super.block_size;
  if (len != want)
    return entry_error (err, u, n, 0,
                        "data at offset %" PRIu64 " has %zu bytes, "
                        "expected %" PRIu64 " (corrupted image)",
                        off, len, want);
  if (pwrite_all (fd, buf, len, off) < 0)
    return entry_error (err, u, n, errno, "write");
  return 0;
}

static int
write_block (struct unpack *u, const sqfs_tree_node_t *n, int fd,
             size_t index, sqfs_u64 off, sqfs_u64 size, mc_error_t *err)
{
  cleanup_sqfs_free sqfs_u8 *buf = NULL;
  size_t len = 0;
  int ret;

  ret = sym_sqfs_data_reader_get_block (u->data, n->inode, index, &len, &buf);
  if (ret != 0)
    return entry_error (err, u, n, lib_status (u, ret),
                        "reading data block %zu: %s", index,
                        sqfs_error_str (ret));
  return write_chunk (u, n, fd, buf, len, off, size, err);
}

/* The tail of a file smaller than a block may sit in a shared fragment
 * block; the library returns nothing when there is no tail.  */
static int
write_fragment (struct unpack *u, const sqfs_tree_node_t *n, int fd,
                sqfs_u64 off, sqfs_u64 size, mc_error_t *err)
{
  cleanup_sqfs_free sqfs_u8 *buf = NULL;
  size_t len = 0;
  int ret;

  ret = sym_sqfs_data_reader_get_fragment (u->data, n->inode, &len, &buf);
  if (ret != 0)
    return entry_error (err, u, n, lib_status (u, ret),
                        "reading fragment: %s", sqfs_error_str (ret));
  if (len == 0)
    return 0;
  return write_chunk (u, n, fd, buf, len, off, size, err);
}

/* Blocks stored with size 0 are sparse: leave them as holes rather than
 * writing zeros; the final ftruncate() also creates a trailing hole.  */
static int
write_content (struct unpack *u, const sqfs_tree_node_t *n, int fd,
               mc_error_t *err)
{
  const sqfs_inode_generic_t *inode = n->inode;
  size_t count = sqfs_inode_get_file_block_count (inode);
  sqfs_u64 size = 0, off = 0;
  size_t i;

  if (sym_sqfs_inode_get_file_size (inode, &size) != 0 || size > INT64_MAX)
    return entry_error (err, u, n, 0, "invalid file size");
  for (i = 0; i < count; i++, off += u->super.block_size)
    {
      if (SQFS_IS_SPARSE_BLOCK (inode->extra[i]))
        continue;
      if (write_block (u, n, fd, i, off, size, err) < 0)
        return -1;
    }
  if (write_fragment (u, n, fd, off, size, err) < 0)
    return -1;
  if (ftruncate (fd, (off_t) size) < 0)
    return entry_error (err, u, n, errno, "truncate to %" PRIu64 " bytes",
                        size);
  return 0;
}

/* ---- entries --------------------------------------------------------- */

/* Entry names come from an untrusted image.  One that is empty, "." or
 * "..", or holds a '/', would make an *at() call leave or skip the
 * directory it is meant for.  */
static int
check_name (struct unpack *u, const sqfs_tree_node_t *n, mc_error_t *err)
{
  const char *name = (const char *) n->name;

  if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0
      || strchr (name, '/') != NULL)
    return entry_error (err, u, n, 0, "invalid name");
  return 0;
}

static int
extract_file (struct unpack *u, const sqfs_tree_node_t *n, int dirfd,
              mc_error_t *err)
{
  cleanup_close int fd = -1;

  /* O_EXCL|O_NOFOLLOW: never write through anything already there.  0600
   * until content, owner and mode are final.  */
  fd = openat (dirfd, (const char *) n->name,
               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return entry_error (err, u, n, errno, "create");
  if (write_content (u, n, fd, err) < 0)
    return -1;
  return apply_metadata (u, n, &(struct target){ .fd = fd, .dirfd = -1 },
                         err);
}

static int
extract_symlink (struct unpack *u, const sqfs_tree_node_t *n, int dirfd,
                 mc_error_t *err)
{
  const sqfs_inode_generic_t *inode = n->inode;
  const char *raw = (const char *) inode->extra;
  const char *name = (const char *) n->name;
  cleanup_free char *target = NULL;
  sqfs_u32 len;

  len = inode->base.type == SQFS_INODE_EXT_SLINK
            ? inode->data.slink_ext.target_size
            : inode->data.slink.target_size;
  if (len == 0 || len > inode->payload_bytes_used
      || memchr (raw, '\0', len) != NULL)
    return entry_error (err, u, n, 0, "invalid symlink target");
  target = xstrndup (raw, len);
  if (symlinkat (target, dirfd, name) < 0)
    return entry_error (err, u, n, errno, "symlink");
  return apply_metadata (
      u, n, &(struct target){ .fd = -1, .dirfd = dirfd, .name = name }, err);
}

/* squashfs stores device numbers in the kernel's 32-bit encoding
 * (new_encode_dev): minor bits 0-7, major bits 8-19, minor bits 20-31.  */
static dev_t
inode_rdev (const sqfs_inode_generic_t *inode)
{
  sqfs_u32 d = inode->base.type == SQFS_INODE_EXT_BDEV
                       || inode->base.type == SQFS_INODE_EXT_CDEV
                   ? inode->data.dev_ext.devno
                   : inode->data.dev.devno;

  return makedev ((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

/* Devices, FIFOs and sockets (mknod makes a socket inode without binding
 * anything).  0600 until owner and mode are set.  */
static int
extract_special (struct unpack *u, const sqfs_tree_node_t *n, int dirfd,
                 mc_error_t *err)
{
  mode_t type = n->inode->base.mode & S_IFMT;
  const char *name = (const char *) n->name;
  dev_t dev = 0;

  if (S_ISBLK (type) || S_ISCHR (type))
    dev = inode_rdev (n->inode);
  if (mknodat (dirfd, name, type | 0600, dev) < 0)
    return entry_error (err, u, n, errno, "mknod");
  return apply_metadata (
      u, n, &(struct target){ .fd = -1, .dirfd = dirfd, .name = name }, err);
}

/* Open the directory holding N by walking down from DEST one name at a
 * time with O_NOFOLLOW, so no recorded path can be redirected through a
 * symlink.  check_tree() bounded the depth, hence this recursion.  */
static int
open_parent (struct unpack *u, const sqfs_tree_node_t *n, mc_error_t *err)
{
  const sqfs_tree_node_t *dir = n->parent;
  int fd;

  if (dir->parent == NULL)
    fd = openat (u->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  else
    {
      cleanup_close int up = open_parent (u, dir, err);

      if (up < 0)
        return -1;
      fd = openat (up, (const char *) dir->name,
                   O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
  if (fd < 0)
    return entry_error (err, u, dir, errno, "open directory");
  return fd;
}

/* Entries sharing an inode number are hard links: the first is created,
 * the others linked to it.  The first must have the same type and never
 * be a directory (directory links would let the tree loop).  Returns 1
 * when N was linked, 0 when N is the first and must be created.  */
static int
link_if_seen (struct unpack *u, const sqfs_tree_node_t *n, int dirfd,
              mc_error_t *err)
{
  sqfs_u32 ino = n->inode->base.inode_number;
  const struct inode_seen *seen = inode_seen_add (u, ino, false, n);
  cleanup_free char *src = NULL, *safe = NULL;
  cleanup_close int srcdir = -1;

  if (seen == NULL)
    return 0;
  if (seen->is_dir || seen->first == NULL)
    return entry_error (err, u, n, 0,
                        "hard link to directory inode %" PRIu32, ino);
  if ((seen->first->inode->base.mode & S_IFMT)
      != (n->inode->base.mode & S_IFMT))
    return entry_error (err, u, n, 0,
                        "inode %" PRIu32 " shared by entries of different "
                        "types", ino);
  srcdir = open_parent (u, seen->first, err);
  if (srcdir < 0)
    return -1;
  if (linkat (srcdir, (const char *) seen->first->name, dirfd,
              (const char *) n->name, 0) < 0)
    {
      src = node_path (seen->first);
      safe = escape_name (src);
      return entry_error (err, u, n, errno, "hard link to `%s`", safe);
    }
  return 1;
}

static int extract_children (struct unpack *u, const sqfs_tree_node_t *dir,
                             int dirfd, size_t depth, mc_error_t *err);

/* Created 0700 so we can fill it whatever its final mode; owner, mode,
 * xattrs and mtime are applied after the children, whose creation would
 * otherwise bump the mtime (and a read-only mode would stop us).  */
static int
extract_dir (struct unpack *u, const sqfs_tree_node_t *n, int dirfd,
             size_t depth, mc_error_t *err)
{
  const char *name = (const char *) n->name;
  cleanup_close int fd = -1;

  if (mkdirat (dirfd, name, 0700) < 0)
    return entry_error (err, u, n, errno, "mkdir");
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return entry_error (err, u, n, errno, "open directory");
  if (extract_children (u, n, fd, depth, err) < 0)
    return -1;
  return apply_metadata (u, n, &(struct target){ .fd = fd, .dirfd = -1 },
                         err);
}

/* N lives in DIRFD; DEPTH is N's depth below the root (which is 0).  */
static int
extract_entry (struct unpack *u, const sqfs_tree_node_t *n, int dirfd,
               size_t depth, mc_error_t *err)
{
  int ret;

  if (check_name (u, n, err) < 0)
    return -1;
  if (inode_is_dir (n->inode))
    return extract_dir (u, n, dirfd, depth, err);
  ret = link_if_seen (u, n, dirfd, err);
  if (ret != 0)
    return ret < 0 ? -1 : 0;
  switch (n->inode->base.mode & S_IFMT)
    {
    case S_IFREG:
      return extract_file (u, n, dirfd, err);
    case S_IFLNK:
      return extract_symlink (u, n, dirfd, err);
    case S_IFBLK:
    case S_IFCHR:
    case S_IFIFO:
    case S_IFSOCK:
      return extract_special (u, n, dirfd, err);
    default:
      return entry_error (err, u, n, 0, "unknown inode type %u",
                          (unsigned) n->inode->base.type);
    }
}

/* DIR is at DEPTH; check_tree() already bounded it, checked again so this
 * walk is safe on its own.  */
static int
extract_children (struct unpack *u, const sqfs_tree_node_t *dir, int dirfd,
                  size_t depth, mc_error_t *err)
{
  const sqfs_tree_node_t *child;

  if (depth > MAX_DEPTH)
    return entry_error (err, u, dir, 0,
                        "directories nested deeper than %d levels", MAX_DEPTH);
  for (child = dir->children; child != NULL; child = child->next)
    if (extract_entry (u, child, dirfd, depth + 1, err) < 0)
      return -1;
  return 0;
}

/* ---- API ------------------------------------------------------------- */

bool
mc_squashfs_detect (int fd)
{
  char magic[4];
  ssize_t n;

  do
    n = pread (fd, magic, sizeof (magic), 0);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t) sizeof (magic) && memcmp (magic, "hsqs", 4) == 0;
}

int
mc_squashfs_unpack (int src_fd, const char *name, int dest_dirfd,
                    mc_error_t *err)
{
  __attribute__ ((cleanup (unpack_release))) struct unpack u
      = { .name = name, .root_fd = -1 };
  int ret;

  if (mc_dl_squashfs (err) < 0)
    return -1;
  if (open_image (&u, src_fd, err) < 0)
    return -1;
  if (check_image_tree (&u, err) < 0)
    return -1;
  ret = sym_sqfs_dir_reader_get_full_hierarchy (u.dirrd, u.idtbl, NULL, 0,
                                            &u.root);
  if (ret != 0)
    return image_error (err, &u, ret, "reading directory tree");

  /* Our own fd: DEST_DIRFD may be O_PATH, which fchown/fchmod refuse.  */
  u.root_fd = openat (dest_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u.root_fd < 0)
    return mc_make_error (err, errno, "open destination directory for `%s`",
                          name);
  if (extract_children (&u, u.root, u.root_fd, 0, err) < 0)
    return -1;
  return apply_metadata (&u, u.root,
                         &(struct target){ .fd = u.root_fd, .dirfd = -1 },
                         err);
}
