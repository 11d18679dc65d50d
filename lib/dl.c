#include "lib/dl.h"
#include "build-gen/sonames.h"

#include <dlfcn.h>
#include <stddef.h>

#define MC_DL_DEFINE(name) __typeof__ (name) *sym_##name;
MC_DL_CRYPTO_SYMS (MC_DL_DEFINE)
MC_DL_ARCHIVE_SYMS (MC_DL_DEFINE)
MC_DL_SQUASHFS_SYMS (MC_DL_DEFINE)
MC_DL_NFTABLES_SYMS (MC_DL_DEFINE)
MC_DL_SYSTEMD_SYMS (MC_DL_DEFINE)
MC_DL_LWS_SYMS (MC_DL_DEFINE)
MC_DL_X509_SYMS (MC_DL_DEFINE)
MC_DL_SSL_SYMS (MC_DL_DEFINE)
#undef MC_DL_DEFINE

struct dl_sym
{
  const char *name;
  void **ptr;
};

#define MC_DL_ENTRY(name) { #name, (void **) &sym_##name },
static const struct dl_sym crypto_syms[] = { MC_DL_CRYPTO_SYMS (MC_DL_ENTRY) };
static const struct dl_sym archive_syms[] = { MC_DL_ARCHIVE_SYMS (MC_DL_ENTRY) };
static const struct dl_sym squashfs_syms[] = { MC_DL_SQUASHFS_SYMS (MC_DL_ENTRY) };
static const struct dl_sym nftables_syms[] = { MC_DL_NFTABLES_SYMS (MC_DL_ENTRY) };
static const struct dl_sym systemd_syms[] = { MC_DL_SYSTEMD_SYMS (MC_DL_ENTRY) };
static const struct dl_sym lws_syms[] = { MC_DL_LWS_SYMS (MC_DL_ENTRY) };
static const struct dl_sym x509_syms[] = { MC_DL_X509_SYMS (MC_DL_ENTRY) };
static const struct dl_sym ssl_syms[] = { MC_DL_SSL_SYMS (MC_DL_ENTRY) };
#undef MC_DL_ENTRY

#define DL_MAX_SYMS 64

/* Resolve everything into a scratch array first so that a library missing
   one symbol leaves no pointer set.  The handle is never closed: the code
   stays mapped for the life of the process, as a linked library would.  */
static int
dl_load (const char *soname, void **handle, const struct dl_sym *syms,
         size_t n, mc_error_t *err)
{
  void *vals[DL_MAX_SYMS];
  void *h;
  size_t i;

  if (*handle != NULL)
    return 0;
  if (n > DL_MAX_SYMS)
    return mc_make_error (err, 0, "internal: %zu symbols for %s", n, soname);

  h = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return mc_make_error (err, 0, "cannot load %s: %s", soname, dlerror ());

  for (i = 0; i < n; i++)
    {
      vals[i] = dlsym (h, syms[i].name);
      if (vals[i] == NULL)
        {
          mc_make_error (err, 0, "cannot load %s: symbol `%s` not found",
                         soname, syms[i].name);
          dlclose (h);
          return -1;
        }
    }
  for (i = 0; i < n; i++)
    *syms[i].ptr = vals[i];
  *handle = h;
  return 0;
}

#define DL_LOADER(fn, soname, table)                                          \
  int fn (mc_error_t *err)                                                    \
  {                                                                           \
    static void *handle;                                                      \
    return dl_load (soname, &handle, table,                                   \
                    sizeof (table) / sizeof (table[0]), err);                 \
  }

DL_LOADER (mc_dl_crypto, MC_SONAME_CRYPTO, crypto_syms)
DL_LOADER (mc_dl_archive, MC_SONAME_ARCHIVE, archive_syms)
DL_LOADER (mc_dl_squashfs, MC_SONAME_SQUASHFS, squashfs_syms)
DL_LOADER (mc_dl_nftables, MC_SONAME_NFTABLES, nftables_syms)
DL_LOADER (mc_dl_systemd, MC_SONAME_SYSTEMD, systemd_syms)
DL_LOADER (mc_dl_lws, MC_SONAME_LWS, lws_syms)
DL_LOADER (mc_dl_x509, MC_SONAME_CRYPTO, x509_syms)
DL_LOADER (mc_dl_ssl, MC_SONAME_SSL, ssl_syms)
