/* The security setup a container's init applies to itself just before
 * execve.  See security.h for the order the three steps run in.  */
#include "runtime/security.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* ==== seccomp ========================================================= */

static void
cleanup_seccompp (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_seccompp)))

/* LXD's default policy, the "[all]" section: these fail with ENOSYS, as if
 * the kernel had been built without them, so programs that probe for them
 * (modprobe, kexec-tools, systemd) take their "not supported" path.  */
static const struct
{
  int nr;
  const char *name;
} enosys_syscalls[] = {
  { SCMP_SYS (kexec_load), "kexec_load" },
  { SCMP_SYS (kexec_file_load), "kexec_file_load" },
  { SCMP_SYS (open_by_handle_at), "open_by_handle_at" },
  { SCMP_SYS (init_module), "init_module" },
  { SCMP_SYS (finit_module), "finit_module" },
  { SCMP_SYS (delete_module), "delete_module" },
};

/* The ABIs besides the native one a process on this machine can use.  A
 * filter without them would kill any compat syscall (libseccomp's default
 * bad-arch action), and a filter that let them through unfiltered would be
 * bypassed by `int $0x80`.  LXC's "[all]" covers the same ones.  The native
 * ABI is in the list too (x32 builds run on x86_64 kernels); EEXIST for it
 * is ignored.  */
static const uint32_t compat_arches[] = {
#if defined __x86_64__
  SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32,
#elif defined __aarch64__
  SCMP_ARCH_ARM,
#endif
  0 /* end; never an arch token */
};

static int
seccomp_add_arches (scmp_filter_ctx ctx, mc_error_t *err)
{
  size_t i;

  for (i = 0; compat_arches[i] != 0; i++)
    {
      int ret = seccomp_arch_add (ctx, compat_arches[i]);
      if (ret < 0 && ret != -EEXIST)
        return mc_make_error (err, -ret, "seccomp: add arch 0x%x",
                              compat_arches[i]);
    }
  return 0;
}

/* seccomp_rule_add() (not _exact) resolves the syscall for every arch in
 * the filter and skips an arch that lacks it (kexec_file_load on i386).  */
static int
seccomp_add_rules (scmp_filter_ctx ctx, mc_error_t *err)
{
  size_t i;
  int ret;

  for (i = 0; i < N_ELEMENTS (enosys_syscalls); i++)
    {
      ret = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS),
                              enosys_syscalls[i].nr, 0);
      if (ret < 0)
        return mc_make_error (err, -ret, "seccomp: rule for %s",
                              enosys_syscalls[i].name);
    }

  /* LXC's reject_force_umount: any umount2 whose flags include MNT_FORCE.
   * A forced unmount of a network filesystem aborts requests the host (or
   * other containers) share.  The mask keeps other flag bits irrelevant. */
  ret = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (MC_SECCOMP_FORCE_UMOUNT_ERRNO),
                          SCMP_SYS (umount2), 1,
                          SCMP_A1 (SCMP_CMP_MASKED_EQ, MNT_FORCE, MNT_FORCE));
  if (ret < 0)
    return mc_make_error (err, -ret, "seccomp: rule for umount2");
  return 0;
}

/* Filter attributes.  NNP off: libseccomp sets no_new_privs by default,
 * which would stop setuid programs (su, sudo, ping) inside a system
 * container; without it the kernel requires CAP_SYS_ADMIN in the current
 * user namespace instead (seccomp(2)).  TSYNC: a process that already has
 * threads gets the filter on all of them (3.17).  SYSRAWRC: report the
 * kernel's errno rather than libseccomp's catch-all ECANCELED.  */
static int
seccomp_set_attrs (scmp_filter_ctx ctx, mc_error_t *err)
{
  int ret;

  ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    return mc_make_error (err, -ret,
                          "seccomp: clear the no_new_privs attribute");
  ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  if (ret < 0)
    return mc_make_error (err, -ret, "seccomp: set the TSYNC attribute");
  ret = seccomp_attr_set (ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  if (ret < 0)
    return mc_make_error (err, -ret, "seccomp: set the SYSRAWRC attribute");
  return 0;
}

/* The syscalls named in LIST (commas, spaces, newlines) into OUT (each
 * resolved for the native ABI); the error names an unknown one.  */
static int
syscall_list (const char *key, const char *list, int **out, size_t *n, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (list);
  char *name, *save = NULL;

  *out = NULL;
  *n = 0;
  for (name = strtok_r (copy, ", \t\n", &save); name; name = strtok_r (NULL, ", \t\n", &save))
    {
      int nr = seccomp_syscall_resolve_name (name);

      if (nr == __NR_SCMP_ERROR)
        {
          free (*out);
          *out = NULL;
          return mc_make_error (err, 0, "%s: unknown system call `%s`", key, name);
        }
      *out = xrealloc (*out, sizeof (int) * (*n + 1));
      (*out)[(*n)++] = nr;
    }
  return 0;
}

static const char *
cfg_str (json_t *config, const char *key)
{
  return json_string_value (json_object_get (config, key));
}

static bool
cfg_true (json_t *config, const char *key, bool dflt)
{
  const char *v = cfg_str (config, key);

  return v ? strcmp (v, "true") == 0 : dflt;
}

int
mc_syscalls_validate (const char *key, const char *list, mc_error_t *err)
{
  cleanup_free int *nrs = NULL;
  size_t n;

  return syscall_list (key, list, &nrs, &n, err);
}

int
mc_seccomp_check (json_t *config, mc_error_t *err)
{
  const char *deny = cfg_str (config, "security.syscalls.deny");
  const char *allow = cfg_str (config, "security.syscalls.allow");
  cleanup_free int *nrs = NULL;
  size_t n;

  if (allow && *allow && ((deny && *deny) || cfg_str (config, "security.syscalls.deny_default")
                          || cfg_str (config, "security.syscalls.deny_compat")))
    return mc_make_error (err, 0, "security.syscalls.allow excludes security.syscalls.deny, .deny_default and "
                          ".deny_compat (an allowlist or a denylist, as in LXD)");
  if (deny && syscall_list ("security.syscalls.deny", deny, &nrs, &n, err) < 0)
    return -1;
  free (steal_pointer (&nrs));
  if (allow && syscall_list ("security.syscalls.allow", allow, &nrs, &n, err) < 0)
    return -1;
  return 0;
}

int
mc_seccomp_apply (json_t *config, mc_error_t *err)
{
  const char *deny = cfg_str (config, "security.syscalls.deny");
  const char *allow = cfg_str (config, "security.syscalls.allow");
  bool allowlist = allow && *allow;
  cleanup_free int *nrs = NULL;
  cleanup_seccomp scmp_filter_ctx ctx = NULL;
  size_t n = 0, i;
  int ret;

  if (!allowlist && !(deny && *deny) && cfg_true (config, "security.syscalls.deny_default", true)
      && !cfg_true (config, "security.syscalls.deny_compat", false))
    return mc_seccomp_apply_default (err);
  if (mc_seccomp_check (config, err) < 0)
    return -1;
  ctx = seccomp_init (allowlist ? SCMP_ACT_ERRNO (EPERM) : SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return mc_make_error (err, ENOMEM, "seccomp: create the filter");
  if (seccomp_set_attrs (ctx, err) < 0)
    return -1;
  /* deny_compat: the 32-bit ABIs are left out, and their calls fail with
     ENOSYS (the bad-arch action) instead of being filtered too.  */
  if (cfg_true (config, "security.syscalls.deny_compat", false))
    {
      if ((ret = seccomp_attr_set (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO (ENOSYS))) < 0)
        return mc_make_error (err, -ret, "seccomp: set the bad-arch action");
    }
  else if (seccomp_add_arches (ctx, err) < 0)
    return -1;
  if (!allowlist && cfg_true (config, "security.syscalls.deny_default", true) && seccomp_add_rules (ctx, err) < 0)
    return -1;
  if (syscall_list (allowlist ? "security.syscalls.allow" : "security.syscalls.deny", allowlist ? allow : deny ? deny : "",
                    &nrs, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if ((ret = seccomp_rule_add (ctx, allowlist ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO (EPERM), nrs[i], 0)) < 0
        && ret != -EEXIST)
      return mc_make_error (err, -ret, "seccomp: rule for system call %d", nrs[i]);
  ret = seccomp_load (ctx);
  if (ret < 0)
    return mc_make_error (err, -ret, "seccomp: load the filter (needs CAP_SYS_ADMIN without no_new_privs)");
  return 0;
}

int
mc_seccomp_apply_default (mc_error_t *err)
{
  cleanup_seccomp scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  int ret;

  if (ctx == NULL)
    return mc_make_error (err, ENOMEM, "seccomp: create the filter");
  if (seccomp_set_attrs (ctx, err) < 0 || seccomp_add_arches (ctx, err) < 0
      || seccomp_add_rules (ctx, err) < 0)
    return -1;

  ret = seccomp_load (ctx);
  if (ret < 0)
    return mc_make_error (err, -ret, "seccomp: load the default filter "
                          "(needs CAP_SYS_ADMIN without no_new_privs)");
  return 0;
}

/* ==== capabilities ==================================================== */

static void
cleanup_capp (cap_t *caps)
{
  if (*caps)
    cap_free (*caps);
}
#define cleanup_cap __attribute__ ((cleanup (cleanup_capp)))

/* What a container's root may not do (LXD's list; in a privileged
 * container it would reach the host): set the host clock, load kernel
 * modules, poke at I/O ports and /dev/mem, and change or bypass the
 * host's LSM policy.  */
static const struct
{
  cap_value_t cap;
  const char *name;
} default_drop[] = {
  { CAP_SYS_TIME, "CAP_SYS_TIME" },
  { CAP_SYS_MODULE, "CAP_SYS_MODULE" },
  { CAP_SYS_RAWIO, "CAP_SYS_RAWIO" },
  { CAP_MAC_ADMIN, "CAP_MAC_ADMIN" },
  { CAP_MAC_OVERRIDE, "CAP_MAC_OVERRIDE" },
};

/* PR_CAPBSET_READ fails with EINVAL for a capability the running kernel
 * does not have (CAP_MAC_* arrived in 2.6.25); nothing to drop then.  */
static bool
cap_known_to_kernel (cap_value_t cap)
{
  return cap_get_bound (cap) >= 0;
}

/* The bounding set limits what any later execve can gain, including from
 * setuid-root and file-capability binaries.  Dropping from it needs
 * CAP_SETPCAP, which we keep, so it comes first anyway.  */
static int
drop_from_bounding (cap_value_t cap, const char *name, mc_error_t *err)
{
  if (cap_drop_bound (cap) < 0)
    return mc_make_error (err, errno, "drop %s from the bounding set", name);
  return 0;
}

/* Ambient capabilities (4.3) survive execve of non-setuid programs.  The
 * kernel lowers them anyway when we clear the permitted or inheritable
 * bit below; lowering explicitly first keeps this correct on its own.
 * cap_get_ambient fails where ambient sets do not exist: nothing to do. */
static int
drop_from_ambient (cap_value_t cap, const char *name, mc_error_t *err)
{
  if (cap_get_ambient (cap) <= 0)
    return 0;
  if (cap_set_ambient (cap, CAP_CLEAR) < 0)
    return mc_make_error (err, errno, "drop %s from the ambient set", name);
  return 0;
}

static int
drop_from_process (const cap_value_t *caps, int n, mc_error_t *err)
{
  static const cap_flag_t sets[] = { CAP_EFFECTIVE, CAP_PERMITTED,
                                     CAP_INHERITABLE };
  cleanup_cap cap_t cur = cap_get_proc ();
  size_t i;

  if (cur == NULL)
    return mc_make_error (err, errno, "read the process capabilities");
  for (i = 0; i < N_ELEMENTS (sets); i++)
    if (cap_set_flag (cur, sets[i], n, caps, CAP_CLEAR) < 0)
      return mc_make_error (err, errno, "clear capability flags");
  if (cap_set_proc (cur) < 0)
    return mc_make_error (err, errno, "set the process capabilities");
  return 0;
}

int
mc_caps_drop_default (mc_error_t *err)
{
  cap_value_t known[N_ELEMENTS (default_drop)];
  int n = 0;
  size_t i;

  for (i = 0; i < N_ELEMENTS (default_drop); i++)
    {
      cap_value_t cap = default_drop[i].cap;
      const char *name = default_drop[i].name;

      if (!cap_known_to_kernel (cap))
        continue;
      if (drop_from_bounding (cap, name, err) < 0
          || drop_from_ambient (cap, name, err) < 0)
        return -1;
      known[n++] = cap;
    }
  if (n == 0)
    return 0;
  return drop_from_process (known, n, err);
}

/* An OCI process's capabilities (runtime/oci/bundle.h's five sets; bit
 * N is capability N).  First, as root with CAP_SETPCAP: the bounding set
 * cut down to its set.  */
int
mc_caps_oci_bound (const uint64_t sets[5], mc_error_t *err)
{
  cap_value_t cap;

  for (cap = 0; cap <= 63 && cap_known_to_kernel (cap); cap++)
    if (!(sets[0] & (UINT64_C (1) << cap)) && cap_drop_bound (cap) < 0)
      return mc_make_error (err, errno, "drop capability %d from the bounding set", (int) cap);
  return 0;
}

/* Then, once the process has its ids (PR_SET_KEEPCAPS kept the
 * permitted set through setuid): effective, permitted and inheritable as
 * given, and the ambient ones raised.  */
int
mc_caps_oci_set (const uint64_t sets[5], mc_error_t *err)
{
  static const cap_flag_t flags[3] = { CAP_EFFECTIVE, CAP_INHERITABLE, CAP_PERMITTED };
  cleanup_cap cap_t caps = cap_init ();
  cap_value_t cap;
  int i;

  if (caps == NULL)
    return mc_make_error (err, errno, "cap_init");
  for (cap = 0; cap <= 63 && cap_known_to_kernel (cap); cap++)
    for (i = 0; i < 3; i++)
      if ((sets[i + 1] & (UINT64_C (1) << cap)) && cap_set_flag (caps, flags[i], 1, &cap, CAP_SET) < 0)
        return mc_make_error (err, errno, "capability %d", (int) cap);
  if (cap_set_proc (caps) < 0)
    return mc_make_error (err, errno, "set the process's capabilities");
  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return mc_make_error (err, errno, "clear the ambient capabilities");
  for (cap = 0; cap <= 63 && cap_known_to_kernel (cap); cap++)
    if ((sets[4] & (UINT64_C (1) << cap)) && cap_set_ambient (cap, CAP_SET) < 0)
      return mc_make_error (err, errno, "raise ambient capability %d (it must be permitted and inheritable)",
                            (int) cap);
  return 0;
}

/* ==== masked and read-only paths ====================================== */

/* The OCI runtime-spec defaults (runc's and crun's), which LXD's
 * privileged containers get from LXC's proc/sys mount options.  */
static const char *const masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap", /* CVE-2020-8694 (PLATYPUS) */
};

static const char *const readonly_paths[] = {
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
};

/* "/proc/self/fd/N": how the old mount(2) API names an fd.  Needs /proc,
 * which the caller has mounted.  */
#define FD_PATH_SIZE 32
static const char *
fd_path (int fd, char buf[FD_PATH_SIZE])
{
  snprintf (buf, FD_PATH_SIZE, "/proc/self/fd/%d", fd);
  return buf;
}

/* Fallback for resolve_nofollow: one O_PATH|O_NOFOLLOW openat() per
 * component from "/", refusing any symlink with ELOOP as openat2 does.
 * ".." is refused too (our paths never have it).  Returns an fd or
 * -errno.  */
static int
walk_nofollow (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_close int cur = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *save = NULL, *comp;

  if (cur < 0)
    return -errno;
  for (comp = strtok_r (copy, "/", &save); comp != NULL;
       comp = strtok_r (NULL, "/", &save))
    {
      struct stat st;
      int next;

      if (strcmp (comp, "..") == 0)
        return -EXDEV;
      /* openat() below a non-directory fails with ENOTDIR by itself.  */
      next = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return -errno;
      close (cur);
      cur = next;
      if (fstat (cur, &st) < 0)
        return -errno;
      if (S_ISLNK (st.st_mode))
        return -ELOOP;
    }
  return steal_fd (&cur);
}

/* An O_PATH fd for the absolute PATH, refusing any symlink on the way
 * (ELOOP), so nothing resolves outside the paths we name.  openat2 with
 * RESOLVE_NO_SYMLINKS (5.6) does it in one call; older kernels take the
 * component walk.  Returns an fd or -errno (-ENOENT: PATH is missing). */
static int
resolve_nofollow (const char *path)
{
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC,
    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd = mc_sys_openat2 (AT_FDCWD, path, &how, sizeof (how));

  if (fd >= 0)
    return fd;
  if (errno == ENOSYS)
    return walk_nofollow (path);
  return -errno;
}

/* What a *_new_api helper returns, besides 0 and -1, when the kernel
 * lacks the syscalls (ENOSYS) and nothing has been changed yet.  */
#define NEW_API_MISSING 1

/* Attach the detached mount TREE on TARGET (5.2).  */
static int
attach_mount (int tree, int target, const char *path, mc_error_t *err)
{
  if (mc_sys_move_mount (tree, "", target, "",
                         MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
      < 0)
    return mc_make_error (err, errno, "move_mount onto `%s`", path);
  return 0;
}

/* A file to hide: bind the (checked) null device over it.  Reads give
 * 0 bytes, writes vanish.  Returns NEW_API_MISSING when the new mount
 * API is missing and the caller should take the mount(2) path.  */
static int
bind_null_new_api (int nullfd, int target, const char *path, mc_error_t *err)
{
  cleanup_close int tree = mc_sys_open_tree (nullfd, "", OPEN_TREE_CLONE
                                             | OPEN_TREE_CLOEXEC
                                             | AT_EMPTY_PATH);
  if (tree < 0 && errno == ENOSYS)
    return NEW_API_MISSING;
  if (tree < 0)
    return mc_make_error (err, errno, "open_tree `/dev/null`");
  return attach_mount (tree, target, path, err);
}

static int
bind_null (int nullfd, int target, const char *path, mc_error_t *err)
{
  char src[FD_PATH_SIZE], dst[FD_PATH_SIZE];
  int ret = bind_null_new_api (nullfd, target, path, err);

  if (ret != NEW_API_MISSING)
    return ret;
  if (mount (fd_path (nullfd, src), fd_path (target, dst), NULL, MS_BIND,
             NULL) < 0)
    return mc_make_error (err, errno, "bind `/dev/null` over `%s`", path);
  return 0;
}

/* A directory to hide: an empty read-only tmpfs over it.  Returns
 * NEW_API_MISSING when the new mount API is missing.  */
#define EMPTY_TMPFS_ATTRS \
  (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
static int
empty_tmpfs_new_api (int target, const char *path, mc_error_t *err)
{
  cleanup_close int fs = mc_sys_fsopen ("tmpfs", FSOPEN_CLOEXEC);
  cleanup_close int mnt = -1;

  if (fs < 0 && errno == ENOSYS)
    return NEW_API_MISSING;
  if (fs < 0)
    return mc_make_error (err, errno, "fsopen `tmpfs`");
  if (mc_sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return mc_make_error (err, errno, "create a tmpfs for `%s`", path);
  mnt = mc_sys_fsmount (fs, FSMOUNT_CLOEXEC, EMPTY_TMPFS_ATTRS);
  if (mnt < 0)
    return mc_make_error (err, errno, "fsmount a tmpfs for `%s`", path);
  return attach_mount (mnt, target, path, err);
}

static int
mount_empty_tmpfs (int target, const char *path, mc_error_t *err)
{
  char dst[FD_PATH_SIZE];
  int ret = empty_tmpfs_new_api (target, path, err);

  if (ret != NEW_API_MISSING)
    return ret;
  if (mount ("tmpfs", fd_path (target, dst), "tmpfs",
             MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return mc_make_error (err, errno, "mount an empty tmpfs on `%s`", path);
  return 0;
}

/* /dev/null as the container sees it, checked to be the real 1:3 device:
 * binding a regular file that happens to sit there would hide nothing.  */
static int
open_null_device (mc_error_t *err)
{
  cleanup_close int fd = resolve_nofollow ("/dev/null");
  struct stat st;

  if (fd < 0)
    return mc_make_error (err, -fd, "open `/dev/null`");
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `/dev/null`");
  if (!S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    return mc_make_error (err, 0, "`/dev/null` is not the null device");
  return steal_fd (&fd);
}

static int
mask_path (const char *path, int nullfd, mc_error_t *err)
{
  cleanup_close int fd = resolve_nofollow (path);
  struct stat st;

  if (fd == -ENOENT)
    return 0;
  if (fd < 0)
    return mc_make_error (err, -fd, "open `%s`", path);
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  if (S_ISDIR (st.st_mode))
    return mount_empty_tmpfs (fd, path, err);
  return bind_null (nullfd, fd, path, err);
}

/* New API (mount_setattr, 5.12): clone the tree at TARGET, set RDONLY on
 * every mount in the clone, attach it over TARGET.  Only RDONLY is
 * touched, so nosuid/nodev/noexec and atime flags stay as they were.
 * Returns NEW_API_MISSING when open_tree or mount_setattr is missing.  */
static int
readonly_new_api (int target, const char *path, mc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  cleanup_close int tree = mc_sys_open_tree (target, "", OPEN_TREE_CLONE
                                             | OPEN_TREE_CLOEXEC
                                             | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0 && errno == ENOSYS)
    return NEW_API_MISSING;
  if (tree < 0)
    return mc_make_error (err, errno, "open_tree `%s`", path);
  if (mc_sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                            sizeof (attr))
      < 0)
    {
      /* 5.2 to 5.11: closing TREE drops the never-attached clone.  */
      if (errno == ENOSYS)
        return NEW_API_MISSING;
      return mc_make_error (err, errno, "mount_setattr `%s` read-only", path);
    }
  return attach_mount (tree, target, path, err);
}

/* The per-mount flags a bind remount must repeat.  MS_REMOUNT|MS_BIND
 * replaces all of them, and in a user namespace the kernel refuses
 * (EPERM) to clear nosuid/nodev/noexec or change atime flags that a more
 * privileged namespace set ("locked" flags, see mount_namespaces(7)).  */
static unsigned long
kept_mount_flags (const struct statvfs *st)
{
  static const struct
  {
    unsigned long st_flag, ms_flag;
  } map[] = {
    { ST_NOSUID, MS_NOSUID },     { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },     { ST_NOATIME, MS_NOATIME },
    { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
  };
  unsigned long flags = 0;
  size_t i;

  for (i = 0; i < N_ELEMENTS (map); i++)
    if (st->f_flag & map[i].st_flag)
      flags |= map[i].ms_flag;
  return flags;
}

/* Old API: bind PATH onto itself, then remount the new top mount
 * read-only.  The remount must go through a fresh fd: TARGET still names
 * the mount underneath (the whole /proc), which must stay writable.  Only
 * the top mount of the recursive bind becomes read-only (runc's limit
 * too); mounts below /proc/sys are rare.  */
static int
readonly_old_api (int target, const char *path, mc_error_t *err)
{
  char buf[FD_PATH_SIZE];
  cleanup_close int top = -1;
  struct statvfs st;

  fd_path (target, buf);
  if (mount (buf, buf, NULL, MS_BIND | MS_REC, NULL) < 0)
    return mc_make_error (err, errno, "bind `%s` onto itself", path);
  top = resolve_nofollow (path);
  if (top < 0)
    return mc_make_error (err, -top, "open `%s`", path);
  if (fstatvfs (top, &st) < 0)
    return mc_make_error (err, errno, "statvfs `%s`", path);
  if (mount (NULL, fd_path (top, buf), NULL,
             MS_BIND | MS_REMOUNT | MS_RDONLY | kept_mount_flags (&st), NULL)
      < 0)
    return mc_make_error (err, errno, "remount `%s` read-only", path);
  return 0;
}

static int
readonly_path (const char *path, mc_error_t *err)
{
  cleanup_close int fd = resolve_nofollow (path);
  int ret;

  if (fd == -ENOENT)
    return 0;
  if (fd < 0)
    return mc_make_error (err, -fd, "open `%s`", path);
  ret = readonly_new_api (fd, path, err);
  if (ret != NEW_API_MISSING)
    return ret;
  return readonly_old_api (fd, path, err);
}

/* Read-only paths first, then masks, as runc does; the two lists do not
 * overlap, so the order only matters for which error is seen first.  */
int
mc_mask_paths (bool readonly_too, mc_error_t *err)
{
  cleanup_close int nullfd = open_null_device (err);
  size_t i;

  if (nullfd < 0)
    return -1;
  for (i = 0; readonly_too && i < N_ELEMENTS (readonly_paths); i++)
    if (readonly_path (readonly_paths[i], err) < 0)
      return -1;
  for (i = 0; i < N_ELEMENTS (masked_paths); i++)
    if (mask_path (masked_paths[i], nullfd, err) < 0)
      return -1;
  return 0;
}

int
mc_mask_paths_given (char *const *masked, char *const *readonly, mc_error_t *err)
{
  cleanup_close int nullfd = open_null_device (err);
  size_t i;

  if (nullfd < 0)
    return -1;
  for (i = 0; readonly && readonly[i]; i++)
    if (readonly_path (readonly[i], err) < 0)
      return -1;
  for (i = 0; masked && masked[i]; i++)
    if (mask_path (masked[i], nullfd, err) < 0)
      return -1;
  return 0;
}
