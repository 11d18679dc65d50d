/* Small helpers shared by every part of minictr: atomic state writes,
 * locks, fd-relative filesystem walks, messages with fds, sizes and
 * times (ownership and allocation: lib/cleanup.h, included here).  */
#ifndef MINICTR_UTILS_H
#define MINICTR_UTILS_H

#include "lib/cleanup.h"
#include "lib/error.h"

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- I/O ------------------------------------------------------------- */

/* write(2) all of BUF, retrying on EINTR and short writes.  */
int mc_write_all (int fd, const void *buf, size_t len);

/* Run $VISUAL, $EDITOR or vi on FILE as git does (`sh -c '$EDITOR "$@"'`,
 * so it may carry arguments); ^C belongs to the editor meanwhile.
 * *EDITOR gets its name, *STATUS its wait status; -1 only when it could
 * not be started.  */
int mc_editor_run (const char *file, const char **editor, int *status, mc_error_t *err);

/* One datagram-like message of LEN bytes over a SEQPACKET socket, with FD
 * (when >= 0) attached by SCM_RIGHTS.  0, or -1 with errno.  */
int mc_send_with_fd (int sock, const void *buf, size_t len, int fd);
/* The other end: exactly LEN bytes or an error (EBADMSG for a message of
 * another size); *FD (may be NULL: closed) gets the attached descriptor
 * or -1.  Returns LEN, 0 at EOF, -1 with errno (EINTR unless
 * RETRY_EINTR).  */
ssize_t mc_recv_with_fd (int sock, void *buf, size_t len, int *fd, bool retry_eintr);

/* Read a whole file relative to DIRFD (AT_FDCWD allowed) into a
 * NUL-terminated buffer; refuses files larger than MAX_SIZE.  */
int mc_read_file_at (int dirfd, const char *path, size_t max_size,
                     char **out, size_t *out_len, mc_error_t *err);
/* The same for a file that came from an image, a backup or a container:
 * PATH (relative) is resolved beneath DIRFD without following any
 * symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; on kernels without
 * openat2, component by component with O_NOFOLLOW), and must be a
 * regular file (EINVAL otherwise).  */
int mc_read_untrusted_at (int dirfd, const char *path, size_t max_size, char **out,
                          size_t *out_len, mc_error_t *err);
/* Just the open of the same: an fd of a regular file (O_NONBLOCK), or -1
 * with *ERR set.  */
int mc_open_untrusted_at (int dirfd, const char *path, mc_error_t *err);

/* The same from an open fd; PATH names it in errors.  */
int mc_read_fd (int fd, const char *path, size_t max_size, char **out,
                size_t *out_len, mc_error_t *err);

/* Replace DIRFD/NAME atomically: write "NAME.tmp-PID", O_TRUNC, fsync,
 * rename over NAME, fsync the directory.  A reader sees the old or the new
 * content, never a mix; a crash leaves at worst a stray temp file.  */
int mc_write_file_atomic_at (int dirfd, const char *name, const void *buf,
                             size_t len, mode_t mode, mc_error_t *err);

/* opendir(3) of DIRFD/NAME through a fresh fd (never a dup: a dup shares
 * the directory offset with the original).  NULL with errno set.  */
DIR *mc_opendir_at (int dirfd, const char *name);

/* mkdir -p; existing directories are fine.  */
int mc_mkdir_p (const char *path, mode_t mode, mc_error_t *err);

/* Remove DIRFD/NAME recursively without following any symlink: every step
 * is relative to an O_NOFOLLOW directory fd.  A missing NAME is success. */
int mc_rm_rf_at (int dirfd, const char *name, mc_error_t *err);
/* mc_rm_rf_at() of every entry of DIRFD but the N_KEEP names in KEEP.  */
int mc_rm_rf_all_but_at (int dirfd, const char *const *keep, size_t n_keep, mc_error_t *err);

/* flock(2) DIRFD/NAME (created if needed).  Returns the fd holding the lock,
 * or -1.  With NONBLOCK and the lock held elsewhere, fails with EWOULDBLOCK. */
int mc_lock_at (int dirfd, const char *name, bool exclusive, bool nonblock,
                mc_error_t *err);

/* ---- sizes ----------------------------------------------------------- */

/* Parse LXD's size syntax: "1024", "256MiB", "1GB", "512kB", "2GiB", with
 * decimal (kB MB GB TB PB EB) and binary (KiB MiB GiB TiB PiB EiB) units;
 * "B" alone is bytes.  Rejects negative, fractional-byte and overflowing
 * values.  */
int mc_parse_size (const char *s, uint64_t *out, mc_error_t *err);

/* Format like LXD's list: "2.50MiB", "812B".  BUF should hold 32 bytes.  */
void mc_format_size (uint64_t bytes, char *buf, size_t len);

/* ---- misc ------------------------------------------------------------ */

/* The state directory: $MINICTR_DIR, else /var/lib/minictr.  */
const char *mc_state_dir (void);

bool mc_str_has_prefix (const char *s, const char *prefix);

/* RFC 3339 UTC timestamp, "2026-11-28T22:55:53Z".  */
void mc_format_time (int64_t t, char *buf, size_t len);
/* An RFC 3339 time (Go's rendering too: fractions, `Z` or an offset) as
 * seconds since the epoch; 0 for one before 1970 (LXD's zero time) or
 * one not understood.  */
int64_t mc_parse_time (const char *s);
/* Now, RFC 3339 with nanoseconds (LXD's timestamps: two in one second
 * still sort in the order they were taken).  */
void mc_format_now_ns (char *buf, size_t len);

/* Run FN (ARG) in a short-lived child and wait for it: for work that
 * loads big libraries (libsystemd, libnftables) which a long-lived
 * process, such as a monitor, should never map.  The child's error comes
 * back as the error.  */
int mc_run_in_child (int (*fn) (void *arg, mc_error_t *err), void *arg, mc_error_t *err);

/* A name that is also a file name: 1 to 63 characters, letters, digits,
 * `-`, `_` and `.`, not starting with `.` or `-` (profiles, snapshots);
 * the error says "invalid WHAT name".  */
int mc_plain_name_validate (const char *what, const char *name, mc_error_t *err);

/* Pass on to TO the signals a caller sends to the calling process (HUP,
 * INT, QUIT, TERM, USR1, USR2, and WINCH when asked): a SIGTERM for an
 * exec's CLI is one for its command.  Called again, to another.  */
void mc_forward_signals (pid_t to, bool winch);

/* Every fd from FROM up but KEEP (-1: none) closed, or with CLOEXEC
 * marked close-on-exec: close_range, or one by one when it is refused
 * (an old kernel; a container's seccomp profile that denies it), so that
 * no fd of ours ever reaches a container's program.  */
void mc_close_fds_from (int from, int keep, bool cloexec);

#endif
