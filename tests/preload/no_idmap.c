/* LD_PRELOAD shim for tests: mount_setattr(2) fails with ENOSYS, as on a
 * kernel before 5.12, so the shifted-copy fallback runs on any host (after
 * crun's tests/no_openat2.c).  minictr makes raw system calls through
 * syscall(3), which is what this wraps.  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

long syscall (long number, ...);

long
syscall (long number, ...)
{
  static long (*real) (long, ...);
  long a[6];
  va_list ap;
  int i;

  va_start (ap, number);
  for (i = 0; i < 6; i++)
    a[i] = va_arg (ap, long);
  va_end (ap);
  if (number == SYS_mount_setattr)
    {
      errno = ENOSYS;
      return -1;
    }
  if (real == 0)
    real = (long (*) (long, ...)) dlsym (RTLD_NEXT, "syscall");
  return real (number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
