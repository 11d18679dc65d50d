/* A sealed memfd copy of the running binary, run in its place: see
 * selfexe.h for why.  The copy is anonymous memory (no path a container
 * could reach), and its seals forbid any write or resize, so even a
 * process that gets hold of it through /proc/PID/exe cannot change it.  */

#include "lib/selfexe.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux 6.3: a memfd may be executed only when made with MFD_EXEC where
 * vm.memfd_noexec asks for it; older kernels refuse the flag (EINVAL).  */
#ifndef MFD_EXEC
# define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static char **self_argv;

void
mc_selfexe_set_argv (char **argv)
{
  size_t n = 0, i;

  while (argv[n])
    n++;
  self_argv = xmalloc ((n + 1) * sizeof (char *));
  for (i = 0; i <= n; i++)
    self_argv[i] = argv[i];
}

/* How much of the binary an exec reads: up to the end of what its
 * program headers name (the loaded segments, the interpreter's name,
 * the notes), never the section headers and debug information after
 * them, often three quarters of the file.  The whole file when it is not
 * an ELF file of ours that says so plainly.  */
static off_t
exec_size (int fd, off_t size)
{
  ElfW (Ehdr) eh;
  ElfW (Phdr) ph;
  off_t end;
  size_t i;

  if (pread (fd, &eh, sizeof (eh), 0) != (ssize_t) sizeof (eh) || memcmp (eh.e_ident, ELFMAG, SELFMAG) != 0
      || eh.e_ident[EI_CLASS] != (sizeof (void *) == 8 ? ELFCLASS64 : ELFCLASS32)
      || eh.e_phentsize != sizeof (ph) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
    return size;
  end = (off_t) (eh.e_phoff + (ElfW (Off)) eh.e_phnum * sizeof (ph));
  for (i = 0; i < eh.e_phnum; i++)
    {
      if (pread (fd, &ph, sizeof (ph), (off_t) (eh.e_phoff + i * sizeof (ph))) != (ssize_t) sizeof (ph))
        return size;
      if ((off_t) (ph.p_offset + ph.p_filesz) > end)
        end = (off_t) (ph.p_offset + ph.p_filesz);
    }
  return end > 0 && end <= size ? end : size;
}

static int
sealed_fd (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);

  /* (EINVAL: a file of a filesystem without seals, the usual binary)  */
  return seals >= 0 && (seals & SEALS) == SEALS;
}

int
mc_selfexe_is_sealed (mc_error_t *err)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return mc_make_error (err, errno, "open /proc/self/exe");
  return sealed_fd (fd);
}

int
mc_selfexe_ensure_sealed (mc_error_t *err)
{
  cleanup_close int exe = -1, copy = -1;
  struct stat st;
  off_t done = 0;

  if (self_argv == NULL)
    return mc_make_error (err, 0, "internal: no command line to run again from a sealed copy");
  exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return mc_make_error (err, errno, "open /proc/self/exe");
  if (sealed_fd (exe))
    return 0;
  if (fstat (exe, &st) < 0)
    return mc_make_error (err, errno, "stat /proc/self/exe");
  st.st_size = exec_size (exe, st.st_size);
  copy = memfd_create ("minictr", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (copy < 0 && errno == EINVAL)
    copy = memfd_create ("minictr", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (copy < 0)
    return mc_make_error (err, errno, "memfd_create for a sealed copy of the binary%s",
                          errno == EACCES ? " (refused by vm.memfd_noexec)" : "");
  while (done < st.st_size)
    {
      ssize_t n = sendfile (copy, exe, NULL, (size_t) (st.st_size - done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return mc_make_error (err, n < 0 ? errno : EIO, "copy the binary into a memfd");
      done += n;
    }
  if (fcntl (copy, F_ADD_SEALS, SEALS) < 0)
    return mc_make_error (err, errno, "seal the memfd copy of the binary");
  /* Ours were flushed by the caller; the copy starts the command again.  */
  fflush (NULL);
  syscall (SYS_execveat, copy, "", self_argv, environ, AT_EMPTY_PATH);
  return mc_make_error (err, errno, "exec the sealed copy of the binary");
}

int
mc_selfexe_ensure_sealed_stdin (const char *data, size_t len, mc_error_t *err)
{
  cleanup_close int fd = -1;
  int r;

  if (data == NULL || (r = mc_selfexe_is_sealed (err)) != 0)
    return data == NULL ? mc_selfexe_ensure_sealed (err) : (r < 0 ? -1 : 0);
  fd = memfd_create ("stdin", MFD_CLOEXEC);
  if (fd < 0 || mc_write_all (fd, data, len) < 0 || lseek (fd, 0, SEEK_SET) < 0 || dup2 (fd, STDIN_FILENO) < 0)
    return mc_make_error (err, errno, "keep standard input for the sealed copy");
  return mc_selfexe_ensure_sealed (err);
}
