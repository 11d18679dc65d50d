/* `minictr file` internals: the protocol between the CLI and the agent
 * that works inside the container, and the tree stream both of them
 * speak.
 *
 *   CLI (host context)  <== SOCK_SEQPACKET, fds by SCM_RIGHTS ==>  agent
 *                                                      (container's root)
 *
 * Strict ping-pong: every message gets exactly one answer before the next
 * one is sent, so neither side can block the other and an error always
 * arrives where it is expected.
 *
 * A tree travels as entries: FILE (with the open file), SYMLINK, DIR ...
 * END, depth first.  The sender walks its side with O_NOFOLLOW fds; the
 * receiver creates each entry relative to the directory fd of its parent,
 * never by path, so an entry name can never lead it out of the tree it is
 * writing (names are single components, checked).  push: the CLI sends,
 * the agent receives; pull: the agent sends, the CLI receives.  */
#ifndef MINICTR_FILE_INTERNAL_H
#define MINICTR_FILE_INTERNAL_H

#include "lib/error.h"
#include "lib/idmapset.h"
#include "runtime/files/file.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum fop
{
  /* requests, CLI -> agent */
  FOP_STAT = 1,   /* path, following symlinks inside the root */
  FOP_TARGET,     /* path, text = the source's name: where the next tree goes */
  FOP_PULL,       /* path: the agent answers with a tree, then DONE */
  FOP_DELETE,     /* path */
  FOP_CREATE,     /* path, mode (with S_IFMT), uid, gid, text = link target */
  FOP_OPEN,       /* path, not following its last component: OK with its
                     stat and, for a file or a directory, the open fd; for
                     a symlink, the target in text */
  /* tree entries, either way */
  FOP_FILE,       /* + the open file */
  FOP_DIR,
  FOP_SYMLINK,    /* text = target */
  FOP_END,        /* the current directory is complete */
  FOP_SKIP,       /* agent -> CLI: path was skipped (not a file, dir or link) */
  FOP_DONE,       /* agent -> CLI: the tree is complete */
  /* answers */
  FOP_OK,
  FOP_ERROR,      /* status = errno, text = the message */
};

#define FF_RECURSIVE 0x01
#define FF_PARENTS 0x02
#define FF_FORCE 0x04
#define FF_MULTI 0x08   /* several sources: the target must be a directory */
#define FF_DIR 0x10     /* trailing slash: the target names a directory */
#define FF_EXACT 0x40   /* TARGET: the path itself, even if it is a directory */
#define FF_NOFOLLOW 0x80 /* STAT: a symlink itself (its target in text) */

struct fmsg
{
  uint32_t op;
  uint32_t flags;
  int32_t status;
  uint32_t mode;
  uint32_t uid, gid;
  uint64_t size;
  char path[PATH_MAX];
  char text[PATH_MAX];
};

int fmsg_send (int sock, const struct fmsg *m, int fd);
/* 1 with *M (and *FD, or -1), 0 at EOF.  */
int fmsg_recv (int sock, struct fmsg *m, int *fd, mc_error_t *err);
/* Send an entry or request and wait for OK (copied to *REPLY when
 * given); an ERROR answer becomes *ERR and sets *PEER when given.  */
int fmsg_call (int sock, const struct fmsg *m, int fd, struct fmsg *reply, bool *peer,
               mc_error_t *err);
int fmsg_reply_error (int sock, mc_error_t *err);
int fmsg_reply_ok (int sock);
/* Copy S into a fixed field; too long is ENAMETOOLONG.  */
int fmsg_set (char dst[PATH_MAX], const char *s, mc_error_t *err);

/* ---- copying ------------------------------------------------------------- */

/* Checked between chunks; true aborts the copy with "interrupted".  */
typedef bool (*cancel_fn) (void *data);

/* copy_file_range, else sendfile, else read/write; WHAT names the
 * destination in errors.  */
int file_copy_fd (int in, int out, cancel_fn cancelled, void *cdata, const char *what,
                  mc_error_t *err);

/* Create DIRFD/<random>.minictr-tmp (O_EXCL, O_NOFOLLOW) for writing; the
 * name goes to NAME (NAME_MAX + 1 bytes).  */
int file_temp_at (int dirfd, char *name, mc_error_t *err);
/* PATH without its last component ("." or "/" when there is none) and
 * that component, trailing slashes ignored; both allocated.  */
void file_path_split (const char *path, char **dir, char **base);
/* The same for a symlink.  */
int file_temp_symlink_at (const char *target, int dirfd, char *name, mc_error_t *err);

bool file_name_valid (const char *name);

/* ---- the tree stream ------------------------------------------------------- */

#define FILE_TREE_MAX_DEPTH 256

struct tree_tx
{
  int sock;
  bool recursive;
  int mode_override;      /* regular files; -1: the source's */
  uint32_t uid, gid;      /* stamped on entries; MC_FILE_ID_UNSET: the source's */
  bool forward_skips;     /* agent: send SKIP to the CLI rather than warn */
  mc_file_warn_fn warn;
  void *warn_data;
  bool peer_failed;       /* the error came back from the receiver */
  char label[PATH_MAX];   /* the entry being sent, for messages */
};

/* Devices, FIFOs and sockets inside a tree are skipped, with a note.  */
void file_warn_skipped (mc_file_warn_fn warn, void *data, const char *label);

/* Send the tree rooted at FD (open for reading, described by ST).  */
int tree_send (struct tree_tx *tx, int fd, const struct stat *st, mc_error_t *err);

struct tree_rx_dir
{
  int fd;
  uint32_t mode;
  bool created;
};

struct tree_rx
{
  int parent;           /* where the top entry goes (borrowed) */
  char top[NAME_MAX + 1];
  int out_fd;           /* >= 0: write regular files here, no tree */
  bool chown;           /* agent: apply the entries' uid/gid */
  bool host;            /* host side: no setuid/setgid files from a container */
  cancel_fn cancelled;
  void *cdata;
  char label[PATH_MAX]; /* the top as the user named it, for messages */
  struct tree_rx_dir dirs[FILE_TREE_MAX_DEPTH];
  size_t depth;
};

void tree_rx_init (struct tree_rx *rx, int parent, const char *top, const char *label);
/* Create one entry; FD is the open source of a FILE (borrowed).  */
int tree_rx_entry (struct tree_rx *rx, const struct fmsg *m, int fd, mc_error_t *err);
void tree_rx_release (struct tree_rx *rx);

/* ---- paths ----------------------------------------------------------------- */

/* Open PATH: inside the root ROOTFD (openat2 RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), or on the host when ROOTFD is AT_FDCWD.  */
int file_open_in (int rootfd, const char *path, int flags, mode_t mode);

/* mkdir -p PATH (inside ROOTFD as above); new directories get MODE and,
 * when CHOWN, UID:GID.  */
int file_mkdir_p (int rootfd, const char *path, mode_t mode, bool chown, uid_t uid,
                  gid_t gid, mc_error_t *err);

/* Where an entry named SRC_NAME goes for the target PATH (scp's rule: into
 * PATH when it is a directory, else PATH itself): an O_PATH fd of the
 * directory and the final name.  FLAGS: FF_MULTI, FF_DIR, FF_PARENTS.  */
int file_resolve_target (int rootfd, const char *path, const char *src_name,
                         uint32_t flags, bool chown, uid_t uid, gid_t gid,
                         const char *label, int *dirfd, char name[NAME_MAX + 1],
                         bool *into_dir, mc_error_t *err);

/* ---- the agent -------------------------------------------------------------- */

struct file_agent_spec
{
  const char *name;          /* container name, for messages */
  bool running;
  int init_pidfd;            /* running: init's pidfd */
  int ns_flags;              /* running: CLONE_NEWNS [| CLONE_NEWUSER] */
  bool privileged;
  /* stopped */
  const char *cdir;          /* containers/NAME, absolute */
  const char *image_rootfs;  /* images/<fp>/rootfs */
  uint32_t idmap_base, idmap_size;
  struct mc_idmap_set idmap;
};

/* In the forked child: enter the container and serve requests on SOCK
 * until it closes.  Never returns.  */
__attribute__ ((noreturn)) void file_agent_main (const struct file_agent_spec *spec, int sock);

#endif
