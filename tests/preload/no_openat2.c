/* LD_PRELOAD shim for tests: openat2(2) fails with ENOSYS, as on a kernel
 * before 5.6, so `minictr file` runs its fallback (lookups confined by the
 * agent's own root only) on any host; crun's tests/no_openat2.c does the
 * same.  minictr makes raw system calls through syscall(3), which is what
 * this wraps.  */
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
  if (number == SYS_openat2)
    {
      errno = ENOSYS;
      return -1;
    }
  if (real == 0)
    real = (long (*) (long, ...)) dlsym (RTLD_NEXT, "syscall");
  return real (number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
