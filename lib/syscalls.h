/* Raw system call wrappers (after crun's src/libcrun/syscalls.h).
 *
 * glibc 2.36 has no openat2() or clone3() wrapper, and its own
 * open_tree()/mount_setattr()/pidfd_open()/close_range() wrappers need a
 * newer glibc than some distributions ship, so every caller goes through
 * these mc_sys_* functions instead.  Each returns what the kernel returns
 * (-1 with errno set on failure).  When the build headers do not know the
 * syscall number the wrapper fails with ENOSYS, exactly as an old kernel
 * would, so callers need only one fallback path: "on ENOSYS, do it the old
 * way".
 *
 * Kernel versions: open_tree, move_mount, fsopen, fsconfig, fsmount 5.2;
 * pidfd_send_signal 5.1; pidfd_open 5.3; clone3 5.3; close_range 5.9;
 * openat2 5.6; mount_setattr 5.12; quotactl_fd 5.14.
 *
 * Headers: glibc 2.36 as released defines MOUNT_ATTR_*, struct mount_attr
 * and enum fsconfig_command in <sys/mount.h> and conflicts with
 * <linux/mount.h> when both are included; Debian's 2.36 and glibc >= 2.37
 * make <sys/mount.h> include <linux/mount.h> itself.  We include only
 * <sys/mount.h> (every caller needs it for mount(2) anyway) and define
 * below whatever an older C library leaves out.  Do not include
 * <linux/mount.h> next to this header.  */
#ifndef MINICTR_SYSCALLS_H
#define MINICTR_SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __has_include
# if __has_include(<linux/openat2.h>)
#  include <linux/openat2.h>
# endif
# if __has_include(<linux/sched.h>)
#  include <linux/sched.h>
# endif
#endif

/* ---- constants an old C library or kernel header may lack ----------- */

#ifndef RESOLVE_NO_XDEV
struct open_how
{
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
# define RESOLVE_NO_XDEV 0x01
# define RESOLVE_NO_MAGICLINKS 0x02
# define RESOLVE_NO_SYMLINKS 0x04
# define RESOLVE_BENEATH 0x08
# define RESOLVE_IN_ROOT 0x10
#endif
#ifndef RESOLVE_CACHED
# define RESOLVE_CACHED 0x20
#endif

#ifndef OPEN_TREE_CLONE
# define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
# define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
# define AT_RECURSIVE 0x8000
#endif

#ifndef MOVE_MOUNT_F_EMPTY_PATH
# define MOVE_MOUNT_F_SYMLINKS 0x00000001
# define MOVE_MOUNT_F_AUTOMOUNTS 0x00000002
# define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
# define MOVE_MOUNT_T_SYMLINKS 0x00000010
# define MOVE_MOUNT_T_AUTOMOUNTS 0x00000020
# define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

#ifndef FSOPEN_CLOEXEC
# define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
# define FSMOUNT_CLOEXEC 0x00000001
#endif
/* glibc and <linux/mount.h> both define the enum as well as macros. */
#ifndef FSCONFIG_SET_FLAG
# define FSCONFIG_SET_FLAG 0
# define FSCONFIG_SET_STRING 1
# define FSCONFIG_SET_BINARY 2
# define FSCONFIG_SET_PATH 3
# define FSCONFIG_SET_PATH_EMPTY 4
# define FSCONFIG_SET_FD 5
# define FSCONFIG_CMD_CREATE 6
# define FSCONFIG_CMD_RECONFIGURE 7
#endif

#ifndef MOUNT_ATTR_RDONLY
# define MOUNT_ATTR_RDONLY 0x00000001
# define MOUNT_ATTR_NOSUID 0x00000002
# define MOUNT_ATTR_NODEV 0x00000004
# define MOUNT_ATTR_NOEXEC 0x00000008
# define MOUNT_ATTR__ATIME 0x00000070
# define MOUNT_ATTR_RELATIME 0x00000000
# define MOUNT_ATTR_NOATIME 0x00000010
# define MOUNT_ATTR_STRICTATIME 0x00000020
# define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_IDMAP
# define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
# define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
/* Both glibc and <linux/mount.h> guard their struct with this name.  */
#ifndef MOUNT_ATTR_SIZE_VER0
struct mount_attr
{
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
# define MOUNT_ATTR_SIZE_VER0 32
#endif

#ifndef CLOSE_RANGE_UNSHARE
# define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
# define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#ifndef CLONE_PIDFD
# define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
# define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_ARGS_SIZE_VER0
/* The layout of <linux/sched.h> (5.3, cgroup field 5.7).  */
struct clone_args
{
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};
# define CLONE_ARGS_SIZE_VER0 64
# define CLONE_ARGS_SIZE_VER1 80
# define CLONE_ARGS_SIZE_VER2 88
#endif

/* ---- wrappers ------------------------------------------------------- */

/* openat2(2), 5.6.  HOW is copied by the kernel; pass sizeof (*how).  */
static inline int
mc_sys_openat2 (int dirfd, const char *path, struct open_how *how, size_t size)
{
#ifdef __NR_openat2
  return (int) syscall (__NR_openat2, dirfd, path, how, size);
#else
  (void) dirfd, (void) path, (void) how, (void) size;
  errno = ENOSYS;
  return -1;
#endif
}

/* open_tree(2), 5.2: an O_PATH fd, or with OPEN_TREE_CLONE a detached
 * copy of the mount (tree, with AT_RECURSIVE) at DIRFD/PATH.  */
static inline int
mc_sys_open_tree (int dirfd, const char *path, unsigned int flags)
{
#ifdef __NR_open_tree
  return (int) syscall (__NR_open_tree, dirfd, path, flags);
#else
  (void) dirfd, (void) path, (void) flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* move_mount(2), 5.2: attach (or move) a mount.  */
static inline int
mc_sys_move_mount (int from_dirfd, const char *from_path, int to_dirfd,
                   const char *to_path, unsigned int flags)
{
#ifdef __NR_move_mount
  return (int) syscall (__NR_move_mount, from_dirfd, from_path, to_dirfd,
                        to_path, flags);
#else
  (void) from_dirfd, (void) from_path, (void) to_dirfd, (void) to_path;
  (void) flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* mount_setattr(2), 5.12: change per-mount flags, idmap, propagation.  */
static inline int
mc_sys_mount_setattr (int dirfd, const char *path, unsigned int flags,
                      struct mount_attr *attr, size_t size)
{
#ifdef __NR_mount_setattr
  return (int) syscall (__NR_mount_setattr, dirfd, path, flags, attr, size);
#else
  (void) dirfd, (void) path, (void) flags, (void) attr, (void) size;
  errno = ENOSYS;
  return -1;
#endif
}

/* fsopen(2), 5.2: a filesystem context for FSNAME.  */
static inline int
mc_sys_fsopen (const char *fsname, unsigned int flags)
{
#ifdef __NR_fsopen
  return (int) syscall (__NR_fsopen, fsname, flags);
#else
  (void) fsname, (void) flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* fsconfig(2), 5.2.  CMD is one of FSCONFIG_*.  */
static inline int
mc_sys_fsconfig (int fsfd, unsigned int cmd, const char *key,
                 const void *value, int aux)
{
#ifdef __NR_fsconfig
  return (int) syscall (__NR_fsconfig, fsfd, cmd, key, value, aux);
#else
  (void) fsfd, (void) cmd, (void) key, (void) value, (void) aux;
  errno = ENOSYS;
  return -1;
#endif
}

/* fsmount(2), 5.2: a detached mount of a created context; ATTR_FLAGS are
 * MOUNT_ATTR_*.  */
static inline int
mc_sys_fsmount (int fsfd, unsigned int flags, unsigned int attr_flags)
{
#ifdef __NR_fsmount
  return (int) syscall (__NR_fsmount, fsfd, flags, attr_flags);
#else
  (void) fsfd, (void) flags, (void) attr_flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* pidfd_open(2), 5.3 (PIDFD_NONBLOCK 5.10).  */
static inline int
mc_sys_pidfd_open (pid_t pid, unsigned int flags)
{
#ifdef __NR_pidfd_open
  return (int) syscall (__NR_pidfd_open, pid, flags);
#else
  (void) pid, (void) flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* pidfd_send_signal(2), 5.1.  INFO may be NULL.  */
static inline int
mc_sys_pidfd_send_signal (int pidfd, int sig, siginfo_t *info,
                          unsigned int flags)
{
#ifdef __NR_pidfd_send_signal
  return (int) syscall (__NR_pidfd_send_signal, pidfd, sig, info, flags);
#else
  (void) pidfd, (void) sig, (void) info, (void) flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* clone3(2), 5.3, used fork-style: ARGS->stack must be 0, so the child
 * returns here on a copy of the parent's stack (0 in the child, the PID in
 * the parent).  Only async-signal-safe calls in the child until execve or
 * _exit, as after fork in a threaded program.  */
static inline pid_t
mc_sys_clone3 (struct clone_args *args, size_t size)
{
#ifdef __NR_clone3
  return (pid_t) syscall (__NR_clone3, args, size);
#else
  (void) args, (void) size;
  errno = ENOSYS;
  return -1;
#endif
}

/* close_range(2), 5.9 (CLOSE_RANGE_CLOEXEC 5.11).  */
static inline int
mc_sys_close_range (unsigned int first, unsigned int last, unsigned int flags)
{
#ifdef __NR_close_range
  return (int) syscall (__NR_close_range, first, last, flags);
#else
  (void) first, (void) last, (void) flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* quotactl_fd(2), 5.14: quotactl on the filesystem holding FD, with no
 * block device path to find.  */
static inline int
mc_sys_quotactl_fd (int fd, unsigned int cmd, int id, void *addr)
{
#ifdef __NR_quotactl_fd
  return (int) syscall (__NR_quotactl_fd, fd, cmd, id, addr);
#else
  (void) fd, (void) cmd, (void) id, (void) addr;
  errno = ENOSYS;
  return -1;
#endif
}

#endif
