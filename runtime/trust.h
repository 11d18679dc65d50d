/* The API server's identity and whom it trusts (LXD's `config trust`), and
 * the server's own configuration (LXD's `core.*` keys), as plain files
 * under the state dir:
 *
 *   server.yaml                 config: {core.https_address: ...}
 *   server.crt, server.key      the TLS identity, made on first use (EC
 *                               P-384, self-signed for ten years, as LXD's)
 *   certificates/FP.crt, .yaml  a trusted client's certificate and
 *                               {name, type} (FP: the SHA-256 of its DER)
 *   certificates/tokens/SECRET  a join token not used yet ({name})
 *
 * Changes happen under certificates/.lock; files are written atomically.  */
#ifndef MINICTR_TRUST_H
#define MINICTR_TRUST_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MC_CERT_FP_LEN 64

/* The server's config (keys core.*), {} when none.  */
json_t *mc_server_config_load (struct mc_store *s, mc_error_t *err);
/* Set (VALUE) or unset (NULL) a server key; the known ones only
 * (core.https_address: HOST:PORT, [V6]:PORT or :PORT).  */
int mc_server_config_set (struct mc_store *s, const char *key, const char *value, mc_error_t *err);
/* Whether KEY is a known one and VALUE (NULL or "": unset) valid for it.  */
int mc_server_config_check (const char *key, const char *value, mc_error_t *err);

/* The server's certificate and key files (allocated paths), made if
 * missing, and the certificate's fingerprint.  */
int mc_server_cert (struct mc_store *s, char **crt, char **key, char fp[MC_CERT_FP_LEN + 1], mc_error_t *err);

/* The fingerprint of a DER certificate.  */
/* A certificate's DER, given in base64, as PEM text (malloc'ed).  */
char *mc_cert_base64_pem (const char *b64);

/* A client's certificate and key in DIR (client.crt, client.key, made on
 * first use as the server's are, for TLS clients): their paths.  */
int mc_client_cert (const char *dir, char **crt, char **key, mc_error_t *err);

int mc_cert_fingerprint_der (const unsigned char *der, size_t len, char fp[MC_CERT_FP_LEN + 1], mc_error_t *err);

/* Trust the PEM certificate PEM[0..LEN) as NAME.  */
int mc_trust_add (struct mc_store *s, const char *pem, size_t len, const char *name, char fp[MC_CERT_FP_LEN + 1],
                  mc_error_t *err);
/* [{name, type, fingerprint, certificate}], by name.  */
json_t *mc_trust_list (struct mc_store *s, mc_error_t *err);
/* Forget the certificate whose fingerprint starts with PREFIX (unique).  */
int mc_trust_remove (struct mc_store *s, const char *prefix, mc_error_t *err);
/* Whether FP is trusted.  */
bool mc_trust_has (struct mc_store *s, const char *fp);

/* A join token for NAME (LXD 5.0's: base64 of {client_name, fingerprint,
 * addresses, secret, expires_at}); ADDRESSES: the HTTPS address.  */
char *mc_trust_token_new (struct mc_store *s, const char *name, const char *address, mc_error_t *err);
/* A token's JSON document as the text `lxc remote add` takes (base64).  */
char *mc_trust_token_encode (json_t *doc, mc_error_t *err);
/* PEM[0..LEN), a certificate (LABEL names it in errors), as its DER in
 * base64 (*B64, malloc'ed: what LXD's API carries) and its fingerprint.  */
int mc_cert_pem_der64 (const char *label, const char *pem, size_t len, char **b64, char fp[MC_CERT_FP_LEN + 1],
                       mc_error_t *err);
/* The same token, recorded, as its JSON document (the API's operation
 * metadata is made from it).  */
json_t *mc_trust_token_doc (struct mc_store *s, const char *name, const char *address, mc_error_t *err);
/* Use TOKEN (or its bare secret) once: *NAME gets the name it was made
 * for.  An unknown or used token is an error.  */
int mc_trust_token_take (struct mc_store *s, const char *token, char **name, mc_error_t *err);

#endif
