/* The security setup of a container: mask /proc and /sys paths (while
 * its tree is built), then, in its init just before execve, drop
 * capabilities and load the seccomp filter.
 *
 *   mc_mask_paths ()            chrooted in the container's tree with /proc,
 *                               /sys and /dev mounted; needs CAP_SYS_ADMIN;
 *   mc_caps_drop_default ()  needs CAP_SETPCAP, keeps CAP_SYS_ADMIN;
 *   mc_seccomp_apply_default () needs CAP_SYS_ADMIN because it does not set
 *                               no_new_privs, so it comes after the other
 *                               two and right before execve.
 *
 * Every container gets the masks (the read-only paths too when
 * privileged: in a user namespace the kernel already guards them, and
 * the container's own network sysctls stay writable), the capability
 * drop and the seccomp filter.  */
#ifndef MINICTR_SECURITY_H
#define MINICTR_SECURITY_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The errno a refused forced unmount gets.  LXC's `reject_force_umount`
 * (behind LXD's default policy) answers EACCES; minictr answers EPERM,
 * the errno umount2(2) documents for "not allowed".  */
#define MC_SECCOMP_FORCE_UMOUNT_ERRNO EACCES

/* Load LXD's default seccomp policy into the calling process: kexec_load,
 * kexec_file_load, open_by_handle_at, init_module, finit_module and
 * delete_module fail with ENOSYS; umount2 with MNT_FORCE in its flags fails
 * with MC_SECCOMP_FORCE_UMOUNT_ERRNO; everything else is allowed.  The
 * filter covers the native ABI and, on x86_64, the i386 and x32 ABIs (on
 * aarch64 also 32-bit arm), so a compat syscall cannot go around it.
 * no_new_privs is left off so setuid programs keep working in the
 * container, which means the caller needs CAP_SYS_ADMIN in its user
 * namespace.  The filter is synchronised to every thread (TSYNC).  */
int mc_seccomp_apply_default (mc_error_t *err);

/* The filter as the container's config asks (LXD's keys):
 *   security.syscalls.deny_default  false: without the default rules above
 *   security.syscalls.deny_compat   true: no 32-bit ABI at all (ENOSYS)
 *   security.syscalls.deny          these syscalls fail with EPERM too
 *   security.syscalls.allow         only these are allowed (EPERM for the
 *                                   rest); excludes the three above
 * Names are separated by commas, spaces or newlines.  CONFIG is the
 * expanded `config`; checked (unknown names, the exclusion) before
 * anything is loaded.  */
int mc_seccomp_check (json_t *config, mc_error_t *err);
/* One key's list of syscall names (security.syscalls.deny or .allow).  */
int mc_syscalls_validate (const char *key, const char *list, mc_error_t *err);
int mc_seccomp_apply (json_t *config, mc_error_t *err);

/* For every container, as LXD does: remove CAP_SYS_TIME, CAP_SYS_MODULE,
 * CAP_SYS_RAWIO, CAP_MAC_ADMIN and CAP_MAC_OVERRIDE from the bounding,
 * ambient, inheritable, permitted and effective sets of the calling
 * thread.  Capabilities the running kernel does not know are skipped.
 * (In a user namespace they grant little; without them systemd also
 * skips the units that need them, such as debugfs' mount.)  */
int mc_caps_drop_default (mc_error_t *err);

/* An OCI process's capability sets (bounding, effective, inheritable,
 * permitted, ambient; bit N is capability N): the bounding set, done as
 * root before the process takes its ids; the others after.  */
int mc_caps_oci_bound (const uint64_t sets[5], mc_error_t *err);
int mc_caps_oci_set (const uint64_t sets[5], mc_error_t *err);

/* Chrooted in the container's tree with /proc, /sys and /dev mounted:
 * hide the OCI default masked paths (/dev/null bound over files, an
 * empty read-only tmpfs over directories) and, with READONLY_TOO, make
 * the OCI default read-only paths read-only (recursively, keeping their
 * nosuid/nodev/noexec/atime flags).  Paths that do not exist are
 * skipped; a path reached through a symlink is an error.  */
int mc_mask_paths (bool readonly_too, mc_error_t *err);
/* The same with the lists given (an OCI bundle's; NULL-terminated).  */
int mc_mask_paths_given (char *const *masked, char *const *readonly, mc_error_t *err);

#endif
