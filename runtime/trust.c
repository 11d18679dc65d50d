#include "runtime/trust.h"
#include "images/fingerprint.h"
#include "lib/dl.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- server config ------------------------------------------------------------ */

json_t *
mc_server_config_load (struct mc_store *s, mc_error_t *err)
{
  json_t *doc, *config;

  if (faccessat (s->rootfd, "server.yaml", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return json_object ();
  if ((doc = mc_yaml_load_mapping_at (s->rootfd, "server.yaml", err)) == NULL)
    return NULL;
  config = json_incref (json_object_get (doc, "config"));
  json_decref (doc);
  return json_is_object (config) ? config : (json_decref (config), json_object ());
}

/* HOST:PORT, [V6]:PORT or :PORT, port 1-65535.  */
static bool
address_valid (const char *a)
{
  const char *colon = strrchr (a, ':');
  char *end;
  long port;

  if (colon == NULL || colon[1] == '\0')
    return false;
  port = strtol (colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535)
    return false;
  if (a[0] == '[')
    return colon > a + 1 && colon[-1] == ']';
  return memchr (a, ':', (size_t) (colon - a)) == NULL;
}

int
mc_server_config_check (const char *key, const char *value, mc_error_t *err)
{
  if (strcmp (key, "core.https_address") != 0)
    return mc_make_error (err, 0, "unknown server config key `%s` (minictr's: core.https_address)", key);
  if (value && *value && !address_valid (value))
    return mc_make_error (err, 0, "invalid value `%s` for `%s`: expected HOST:PORT, [IPV6]:PORT or :PORT", value,
                          key);
  return 0;
}

int
mc_server_config_set (struct mc_store *s, const char *key, const char *value, mc_error_t *err)
{
  cleanup_json json_t *config = NULL, *doc = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int lock = -1;
  size_t len;

  if (mc_server_config_check (key, value, err) < 0)
    return -1;
  if ((lock = mc_lock_at (s->rootfd, ".server.lock", true, false, err)) < 0
      || (config = mc_server_config_load (s, err)) == NULL)
    return -1;
  if (value && *value)
    json_object_set_new (config, key, json_string (value));
  else
    json_object_del (config, key);
  doc = json_pack ("{s:O}", "config", config);
  if (mc_yaml_dump (doc, &text, &len, err) < 0)
    return -1;
  return mc_write_file_atomic_at (s->rootfd, "server.yaml", text, len, 0644, err);
}

/* ---- certificates ---------------------------------------------------------------- */

char *
mc_cert_base64_pem (const char *b64)
{
  size_t n = strlen (b64), i;
  char *out = xmalloc (n + n / 64 + 64), *o = out;

  o += sprintf (o, "-----BEGIN CERTIFICATE-----\n");
  for (i = 0; i < n; i += 64)
    o += sprintf (o, "%.64s\n", b64 + i);
  sprintf (o, "-----END CERTIFICATE-----\n");
  return out;
}

int
mc_cert_fingerprint_der (const unsigned char *der, size_t len, char fp[MC_CERT_FP_LEN + 1], mc_error_t *err)
{
  return mc_sha256_bytes (der, len, fp, err);
}

static int
x509_fingerprint (X509 *x, char fp[MC_CERT_FP_LEN + 1], mc_error_t *err)
{
  unsigned char *der = NULL;
  int n = sym_i2d_X509 (x, &der);
  int ret;

  if (n <= 0)
    return mc_make_error (err, 0, "cannot encode the certificate");
  ret = mc_cert_fingerprint_der (der, (size_t) n, fp, err);
  free (der);
  return ret;
}

/* PEM text to a certificate (NULL: not one).  */
static X509 *
pem_x509 (const char *pem, size_t len)
{
  BIO *b = sym_BIO_new_mem_buf (pem, (int) len);
  X509 *x = b ? sym_PEM_read_bio_X509 (b, NULL, NULL, NULL) : NULL;

  if (b)
    sym_BIO_free (b);
  return x;
}

/* Add extension NID (its text form VALUE) to X.  */
static bool
add_ext (X509 *x, int nid, const char *value)
{
  X509_EXTENSION *e = sym_X509V3_EXT_conf_nid (NULL, NULL, nid, value);
  bool ok = e != NULL && sym_X509_add_ext (x, e, -1);

  if (e)
    sym_X509_EXTENSION_free (e);
  return ok;
}

/* A new EC P-384 key and a self-signed certificate for it, ten years,
 * written to BASE.crt and BASE.key (0600) in DIRFD (WHERE, for messages)
 * through temp names.  A server's: the host name is its first DNS name
 * (LXD's clients verify a pinned server certificate against that name),
 * loopback its IP names, and it serves TLS servers; a client's
 * authenticates TLS clients.  */
static int
make_cert (int dirfd, const char *where, const char *base, bool server, mc_error_t *err)
{
  cleanup_free char *crt = xasprintf ("%s.crt", base), *keyname = xasprintf ("%s.key", base);
  cleanup_free char *crt_tmp = xasprintf ("%s.crt.tmp", base), *key_tmp = xasprintf ("%s.key.tmp", base);
  EVP_PKEY *key = sym_EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");
  X509 *x = sym_X509_new ();
  char host[256] = "minictr";
  uint64_t serial = 0;
  FILE *fc = NULL, *fk = NULL;
  int fd, ret = -1;

  (void) gethostname (host, sizeof (host) - 1);
  (void) !getrandom (&serial, sizeof (serial), 0);
  if (key == NULL || x == NULL || !sym_X509_set_version (x, 2)
      || !sym_ASN1_INTEGER_set_uint64 (sym_X509_get_serialNumber (x), serial >> 1)
      || !sym_X509_gmtime_adj (sym_X509_getm_notBefore (x), 0)
      || !sym_X509_gmtime_adj (sym_X509_getm_notAfter (x), 10L * 365 * 24 * 3600) || !sym_X509_set_pubkey (x, key)
      || !sym_X509_NAME_add_entry_by_txt (sym_X509_get_subject_name (x), "O", MBSTRING_ASC,
                                          (const unsigned char *) "minictr", -1, -1, 0)
      || !sym_X509_NAME_add_entry_by_txt (sym_X509_get_subject_name (x), "CN", MBSTRING_ASC,
                                          (const unsigned char *) host, -1, -1, 0)
      || !sym_X509_set_issuer_name (x, sym_X509_get_subject_name (x)))
    {
      mc_make_error (err, 0, "cannot make the %s's certificate", base);
      goto out;
    }
  {
    cleanup_free char *san = xasprintf ("DNS:%s, DNS:localhost, IP:127.0.0.1, IP:::1", host);

    if ((server && !add_ext (x, NID_subject_alt_name, san))
        || !add_ext (x, NID_ext_key_usage, server ? "serverAuth" : "clientAuth")
        || !add_ext (x, NID_basic_constraints, "critical, CA:FALSE"))
      {
        mc_make_error (err, 0, "cannot make the %s's certificate (extensions)", base);
        goto out;
      }
  }
  if (!sym_X509_sign (x, key, sym_EVP_sha384 ()))
    {
      mc_make_error (err, 0, "cannot make the %s's certificate", base);
      goto out;
    }
  if ((fd = openat (dirfd, key_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0
      || (fk = fdopen (fd, "w")) == NULL)
    {
      mc_make_error (err, errno, "write `%s/%s`", where, keyname);
      goto out;
    }
  if ((fd = openat (dirfd, crt_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0
      || (fc = fdopen (fd, "w")) == NULL)
    {
      mc_make_error (err, errno, "write `%s/%s`", where, crt);
      goto out;
    }
  if (!sym_PEM_write_PrivateKey (fk, key, NULL, NULL, 0, NULL, NULL) || !sym_PEM_write_X509 (fc, x)
      || fflush (fk) || fflush (fc) || fsync (fileno (fk)) || fsync (fileno (fc)))
    {
      mc_make_error (err, errno, "write the %s's certificate", base);
      goto out;
    }
  /* The key first: a certificate is never there without its key.  */
  if (renameat (dirfd, key_tmp, dirfd, keyname) < 0 || renameat (dirfd, crt_tmp, dirfd, crt) < 0)
    {
      mc_make_error (err, errno, "install the %s's certificate", base);
      goto out;
    }
  ret = 0;
out:
  if (fk)
    fclose (fk);
  if (fc)
    fclose (fc);
  if (ret < 0)
    {
      unlinkat (dirfd, key_tmp, 0);
      unlinkat (dirfd, crt_tmp, 0);
    }
  if (x)
    sym_X509_free (x);
  if (key)
    sym_EVP_PKEY_free (key);
  return ret;
}

int
mc_server_cert (struct mc_store *s, char **crt, char **key, char fp[MC_CERT_FP_LEN + 1], mc_error_t *err)
{
  cleanup_free char *pem = NULL;
  cleanup_close int lock = -1;
  size_t len;
  X509 *x;
  int ret;

  if (mc_dl_crypto (err) < 0 || mc_dl_x509 (err) < 0)
    return -1;
  if ((lock = mc_lock_at (s->rootfd, ".server.lock", true, false, err)) < 0)
    return -1;
  if (faccessat (s->rootfd, "server.crt", F_OK, AT_SYMLINK_NOFOLLOW) < 0
      && make_cert (s->rootfd, s->root, "server", true, err) < 0)
    return -1;
  if (mc_read_file_at (s->rootfd, "server.crt", 1 << 20, &pem, &len, err) < 0)
    return -1;
  if ((x = pem_x509 (pem, len)) == NULL)
    return mc_make_error (err, 0, "`%s/server.crt` is not a certificate", s->root);
  ret = x509_fingerprint (x, fp, err);
  sym_X509_free (x);
  if (ret == 0)
    {
      *crt = xasprintf ("%s/server.crt", s->root);
      *key = xasprintf ("%s/server.key", s->root);
    }
  return ret;
}

int
mc_client_cert (const char *dir, char **crt, char **key, mc_error_t *err)
{
  cleanup_close int dfd = -1, lock = -1;

  if (mc_dl_crypto (err) < 0 || mc_dl_x509 (err) < 0 || mc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  if ((dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  if ((lock = mc_lock_at (dfd, ".client.lock", true, false, err)) < 0)
    return -1;
  if (faccessat (dfd, "client.crt", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && make_cert (dfd, dir, "client", false, err) < 0)
    return -1;
  *crt = xasprintf ("%s/client.crt", dir);
  *key = xasprintf ("%s/client.key", dir);
  return 0;
}

/* ---- the trust store ---------------------------------------------------------------- */

static int
certs_dir (struct mc_store *s, mc_error_t *err)
{
  return mc_store_subdir (s, "certificates", 0700, err);
}

int
mc_trust_add (struct mc_store *s, const char *pem, size_t len, const char *name, char fp[MC_CERT_FP_LEN + 1],
              mc_error_t *err)
{
  cleanup_close int dfd = -1, lock = -1;
  cleanup_free char *crt = NULL, *meta = NULL, *text = NULL;
  cleanup_json json_t *doc = NULL;
  size_t tlen;
  X509 *x;
  int ret;

  if (mc_dl_crypto (err) < 0 || mc_dl_x509 (err) < 0)
    return -1;
  if ((x = pem_x509 (pem, len)) == NULL)
    return mc_make_error (err, 0, "not a PEM certificate");
  ret = x509_fingerprint (x, fp, err);
  sym_X509_free (x);
  if (ret < 0 || (dfd = certs_dir (s, err)) < 0 || (lock = mc_lock_at (dfd, ".lock", true, false, err)) < 0)
    return -1;
  crt = xasprintf ("%s.crt", fp);
  meta = xasprintf ("%s.yaml", fp);
  doc = json_pack ("{s:s, s:s}", "name", name && *name ? name : "client", "type", "client");
  if (mc_yaml_dump (doc, &text, &tlen, err) < 0 || mc_write_file_atomic_at (dfd, meta, text, tlen, 0600, err) < 0
      || mc_write_file_atomic_at (dfd, crt, pem, len, 0600, err) < 0)
    return -1;
  return 0;
}

static bool
is_fp (const char *n, size_t len)
{
  size_t i;

  if (len != MC_CERT_FP_LEN)
    return false;
  for (i = 0; i < len; i++)
    if (!isxdigit ((unsigned char) n[i]) || isupper ((unsigned char) n[i]))
      return false;
  return true;
}

json_t *
mc_trust_list (struct mc_store *s, mc_error_t *err)
{
  cleanup_close int dfd = certs_dir (s, err);
  json_t *out;
  DIR *d;
  struct dirent *de;

  if (dfd < 0 || (d = mc_opendir_at (dfd, ".")) == NULL)
    return dfd < 0 ? NULL : (mc_make_error (err, errno, "list `%s/certificates`", s->root), NULL);
  out = json_array ();
  while ((de = readdir (d)) != NULL)
    {
      size_t n = strlen (de->d_name);
      cleanup_free char *fp = NULL, *meta = NULL, *pem = NULL;
      json_t *doc;
      mc_error_t e = NULL;

      if (n != MC_CERT_FP_LEN + 4 || strcmp (de->d_name + MC_CERT_FP_LEN, ".crt") != 0
          || !is_fp (de->d_name, MC_CERT_FP_LEN))
        continue;
      fp = xstrndup (de->d_name, MC_CERT_FP_LEN);
      meta = xasprintf ("%s.yaml", fp);
      if ((doc = mc_yaml_load_mapping_at (dfd, meta, &e)) == NULL
          || mc_read_file_at (dfd, de->d_name, 1 << 20, &pem, NULL, &e) < 0)
        {
          json_decref (doc);
          mc_error_release (&e);
          continue;
        }
      json_object_set_new (doc, "fingerprint", json_string (fp));
      json_object_set_new (doc, "certificate", json_string (pem));
      json_array_append_new (out, doc);
    }
  closedir (d);
  return out;
}

bool
mc_trust_has (struct mc_store *s, const char *fp)
{
  cleanup_free char *path = NULL;

  if (!is_fp (fp, strlen (fp)))
    return false;
  path = xasprintf ("certificates/%s.crt", fp);
  return faccessat (s->rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int
mc_trust_remove (struct mc_store *s, const char *prefix, mc_error_t *err)
{
  cleanup_json json_t *all = mc_trust_list (s, err);
  cleanup_close int dfd = -1, lock = -1;
  cleanup_free char *crt = NULL, *meta = NULL;
  const char *hit = NULL;
  json_t *c;
  size_t i, n = strlen (prefix);

  if (all == NULL)
    return -1;
  json_array_foreach (all, i, c)
    {
      const char *fp = json_string_value (json_object_get (c, "fingerprint"));

      if (n > 0 && strncmp (fp, prefix, n) == 0)
        {
          if (hit)
            return mc_make_error (err, 0, "`%s` names more than one trusted certificate", prefix);
          hit = fp;
        }
    }
  if (hit == NULL)
    return mc_make_error (err, 0, "no trusted certificate `%s`", prefix);
  if ((dfd = certs_dir (s, err)) < 0 || (lock = mc_lock_at (dfd, ".lock", true, false, err)) < 0)
    return -1;
  crt = xasprintf ("%s.crt", hit);
  meta = xasprintf ("%s.yaml", hit);
  if (unlinkat (dfd, crt, 0) < 0 || (unlinkat (dfd, meta, 0) < 0 && errno != ENOENT))
    return mc_make_error (err, errno, "forget certificate `%s`", hit);
  return 0;
}

/* ---- join tokens ------------------------------------------------------------------ */

static int
tokens_dir (struct mc_store *s, mc_error_t *err)
{
  cleanup_close int dfd = certs_dir (s, err);
  int fd;

  if (dfd < 0)
    return -1;
  if (mkdirat (dfd, "tokens", 0700) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s/certificates/tokens`", s->root);
  if ((fd = openat (dfd, "tokens", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s/certificates/tokens`", s->root);
  return fd;
}

json_t *
mc_trust_token_doc (struct mc_store *s, const char *name, const char *address, mc_error_t *err)
{
  cleanup_free char *crt = NULL, *key = NULL, *text = NULL;
  cleanup_json json_t *doc = NULL;
  cleanup_close int tfd = -1;
  unsigned char raw[32];
  char fp[MC_CERT_FP_LEN + 1], secret[65];
  size_t i, tlen;

  if (mc_server_cert (s, &crt, &key, fp, err) < 0 || (tfd = tokens_dir (s, err)) < 0)
    return NULL;
  if (getrandom (raw, sizeof (raw), 0) != (ssize_t) sizeof (raw))
    return mc_make_error (err, errno, "getrandom"), NULL;
  for (i = 0; i < sizeof (raw); i++)
    snprintf (secret + 2 * i, 3, "%02x", raw[i]);
  doc = json_pack ("{s:s}", "name", name);
  if (mc_yaml_dump (doc, &text, &tlen, err) < 0 || mc_write_file_atomic_at (tfd, secret, text, tlen, 0600, err) < 0)
    return NULL;
  return json_pack ("{s:s, s:s, s:[s], s:s, s:s}", "client_name", name, "fingerprint", fp, "addresses", address,
                    "secret", secret, "expires_at", "0001-01-01T00:00:00Z");
}

char *
mc_trust_token_encode (json_t *doc, mc_error_t *err)
{
  cleanup_free char *json = json_dumps (doc, JSON_COMPACT);
  unsigned char *b64;
  size_t jlen;

  if (json == NULL)
    return mc_make_error (err, 0, "cannot encode the join token"), NULL;
  if (mc_dl_crypto (err) < 0 || mc_dl_x509 (err) < 0)
    return NULL;
  jlen = strlen (json);
  b64 = xmalloc (4 * ((jlen + 2) / 3) + 1);
  sym_EVP_EncodeBlock (b64, (const unsigned char *) json, (int) jlen);
  return (char *) b64;
}

char *
mc_trust_token_new (struct mc_store *s, const char *name, const char *address, mc_error_t *err)
{
  cleanup_json json_t *tok = mc_trust_token_doc (s, name, address, err);

  return tok ? mc_trust_token_encode (tok, err) : NULL;
}

int
mc_cert_pem_der64 (const char *label, const char *pem, size_t len, char **b64, char fp[MC_CERT_FP_LEN + 1],
                   mc_error_t *err)
{
  unsigned char *der = NULL;
  X509 *x;
  int n;

  if (mc_dl_crypto (err) < 0 || mc_dl_x509 (err) < 0)
    return -1;
  if ((x = pem_x509 (pem, len)) == NULL)
    return mc_make_error (err, 0, "`%s` is not a PEM certificate", label);
  n = sym_i2d_X509 (x, &der);
  sym_X509_free (x);
  if (n <= 0)
    return mc_make_error (err, 0, "`%s`: cannot encode the certificate", label);
  *b64 = xmalloc (4 * (((size_t) n + 2) / 3) + 1);
  sym_EVP_EncodeBlock ((unsigned char *) *b64, der, n);
  n = mc_cert_fingerprint_der (der, (size_t) n, fp, err);
  free (der);
  if (n < 0)
    {
      free (*b64);
      *b64 = NULL;
    }
  return n;
}

int
mc_trust_token_take (struct mc_store *s, const char *token, char **name, mc_error_t *err)
{
  cleanup_free unsigned char *raw = NULL;
  cleanup_json json_t *tok = NULL, *doc = NULL;
  cleanup_close int tfd = -1, lock = -1;
  const char *secret = token;
  size_t len = strlen (token);

  if (mc_dl_crypto (err) < 0 || mc_dl_x509 (err) < 0)
    return -1;
  /* The whole token (LXD's client sends it as the password), or the
     secret alone.  */
  if (!is_fp (token, len))
    {
      int n;

      raw = xmalloc (len + 1);
      n = sym_EVP_DecodeBlock (raw, (const unsigned char *) token, (int) len);
      if (n <= 0 || (tok = json_loadb ((const char *) raw, strnlen ((const char *) raw, (size_t) n), 0, NULL)) == NULL
          || (secret = json_string_value (json_object_get (tok, "secret"))) == NULL || !is_fp (secret, strlen (secret)))
        return mc_make_error (err, 0, "not a valid join token");
    }
  if ((tfd = tokens_dir (s, err)) < 0 || (lock = mc_lock_at (tfd, ".lock", true, false, err)) < 0)
    return -1;
  if ((doc = mc_yaml_load_mapping_at (tfd, secret, err)) == NULL)
    {
      mc_error_release (err);
      return mc_make_error (err, 0, "unknown or already used join token");
    }
  if (unlinkat (tfd, secret, 0) < 0)
    return mc_make_error (err, errno, "use the join token");
  *name = xstrdup (json_string_value (json_object_get (doc, "name")) ? json_string_value (json_object_get (doc, "name"))
                                                                      : "client");
  return 0;
}
