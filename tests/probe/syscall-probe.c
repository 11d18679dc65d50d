/* syscall-probe: run one system call and exit with the errno it got.
 *
 *   syscall-probe NAME [ARG]
 *
 * prints "NAME: errno N (strerror)" on stdout and exits with N (0 when the
 * call succeeded), like bubblewrap's tests/try-syscall.c.  Statically
 * linked so it runs in a busybox rootfs:
 *
 *   gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
 *       -o build/tests/syscall-probe tests/probe/syscall-probe.c
 *
 * Every call uses arguments the kernel rejects before doing anything, so
 * running the probe unfiltered as root on a host is harmless:
 *
 *   kexec_load        nr_segments above KEXEC_SEGMENT_MAX   -> EINVAL
 *                     (nr_segments 0 would unload a loaded kexec kernel)
 *   kexec_file_load   an undefined flag bit                 -> EINVAL
 *   open_by_handle_at mount fd -1, NULL handle              -> EBADF/EFAULT
 *   init_module       empty image                           -> ENOEXEC
 *   finit_module      fd -1                                 -> EBADF
 *   delete_module     a module that does not exist [ARG]    -> ENOENT
 *   umount2-force     umount2 (ARG or /nonexistent, MNT_FORCE) -> ENOENT
 *   umount2           umount2 (ARG or /nonexistent, 0)      -> ENOENT
 *   getpid            control                               -> 0
 *
 * Without CAP_SYS_BOOT/CAP_SYS_MODULE/CAP_DAC_READ_SEARCH the privileged
 * ones give EPERM instead, and a kernel built without kexec or modules
 * gives ENOSYS.  Exit status 125 means a usage error.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#define USAGE_EXIT 125

/* KEXEC_SEGMENT_MAX is 16 in every kernel so far.  */
static long
do_kexec_load (const char *arg)
{
  (void) arg;
  return syscall (SYS_kexec_load, 0UL, ~0UL, NULL, 0UL);
}

static long
do_kexec_file_load (const char *arg)
{
  (void) arg;
#ifdef SYS_kexec_file_load
  return syscall (SYS_kexec_file_load, -1, -1, 0UL, NULL, 1UL << 30);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static long
do_open_by_handle_at (const char *arg)
{
  (void) arg;
  return syscall (SYS_open_by_handle_at, -1, NULL, O_RDONLY);
}

static long
do_init_module (const char *arg)
{
  (void) arg;
  return syscall (SYS_init_module, NULL, 0UL, "");
}

static long
do_finit_module (const char *arg)
{
  (void) arg;
  return syscall (SYS_finit_module, -1, "", 0);
}

static long
do_delete_module (const char *arg)
{
  return syscall (SYS_delete_module, arg ? arg : "minictr_no_such_module",
                  O_NONBLOCK);
}

static long
do_umount2_force (const char *arg)
{
  return syscall (SYS_umount2, arg ? arg : "/nonexistent", MNT_FORCE);
}

static long
do_umount2 (const char *arg)
{
  return syscall (SYS_umount2, arg ? arg : "/nonexistent", 0);
}

static long
do_getpid (const char *arg)
{
  (void) arg;
  return syscall (SYS_getpid);
}

static const struct
{
  const char *name;
  long (*run) (const char *arg);
} probes[] = {
  { "kexec_load", do_kexec_load },
  { "kexec_file_load", do_kexec_file_load },
  { "open_by_handle_at", do_open_by_handle_at },
  { "init_module", do_init_module },
  { "finit_module", do_finit_module },
  { "delete_module", do_delete_module },
  { "umount2-force", do_umount2_force },
  { "umount2", do_umount2 },
  { "getpid", do_getpid },
};

static int
usage (void)
{
  size_t i;

  fputs ("usage: syscall-probe NAME [ARG]\nNAME is one of:", stderr);
  for (i = 0; i < sizeof (probes) / sizeof (probes[0]); i++)
    fprintf (stderr, " %s", probes[i].name);
  fputc ('\n', stderr);
  return USAGE_EXIT;
}

int
main (int argc, char **argv)
{
  size_t i;

  if (argc < 2 || argc > 3)
    return usage ();
  for (i = 0; i < sizeof (probes) / sizeof (probes[0]); i++)
    {
      int e;

      if (strcmp (argv[1], probes[i].name) != 0)
        continue;
      errno = 0;
      e = probes[i].run (argc == 3 ? argv[2] : NULL) < 0 ? errno : 0;
      printf ("%s: errno %d (%s)\n", argv[1], e, strerror (e));
      fflush (stdout);
      return e;
    }
  return usage ();
}
