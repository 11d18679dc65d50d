/* The image libraries (libcrypto, libarchive, libsquashfs) are loaded with
 * dlopen() on first use instead of being linked, and so is libnftables
 * (with libnftnl, libxtables and libgmp behind it), which only `network`
 * commands and the start that re-creates a missing network need.  Only image import, verify
 * and export need them, and together with what they pull in (ICU, libxml2,
 * libstdc++, five compressors) they cost every minictr process ~2 ms of
 * start-up and every container monitor ~700 kB of relocated library data
 * it would never use.  The pattern is systemd's: each function is reached
 * through a pointer `sym_NAME` whose type is taken from the library's own
 * header, so the compiler checks every call as if it were direct; the
 * linker catches a direct call because the libraries are not linked.  */
#ifndef MINICTR_IMAGES_DL_H
#define MINICTR_IMAGES_DL_H

#include "lib/error.h"

#include <archive.h>
#include <libwebsockets.h>
#include <archive_entry.h>
#include <nftables/libnftables.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqfs/compressor.h>
#include <systemd/sd-bus.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>

#define MC_DL_CRYPTO_SYMS(X)                                                  \
  X (EVP_DigestFinal_ex)                                                      \
  X (EVP_DigestInit_ex)                                                       \
  X (EVP_DigestUpdate)                                                        \
  X (EVP_MD_CTX_free)                                                         \
  X (EVP_MD_CTX_new)                                                          \
  X (EVP_sha256)

#define MC_DL_ARCHIVE_SYMS(X)                                                 \
  X (archive_entry_copy_stat)                                                 \
  X (archive_entry_free)                                                      \
  X (archive_entry_hardlink)                                                  \
  X (archive_entry_new)                                                       \
  X (archive_entry_set_filetype)                                              \
  X (archive_entry_set_gid)                                                   \
  X (archive_entry_set_mtime)                                                 \
  X (archive_entry_set_perm)                                                  \
  X (archive_entry_set_size)                                                  \
  X (archive_entry_set_symlink)                                               \
  X (archive_entry_set_uid)                                                   \
  X (archive_entry_pathname)                                                  \
  X (archive_entry_set_hardlink)                                              \
  X (archive_entry_set_pathname)                                              \
  X (archive_entry_size)                                                      \
  X (archive_entry_xattr_add_entry)                                           \
  X (archive_entry_xattr_clear)                                               \
  X (archive_entry_xattr_next)                                                \
  X (archive_entry_xattr_reset)                                               \
  X (archive_errno)                                                           \
  X (archive_error_string)                                                    \
  X (archive_filter_code)                                                     \
  X (archive_read_data_block)                                                 \
  X (archive_read_free)                                                       \
  X (archive_read_new)                                                        \
  X (archive_read_next_header)                                                \
  X (archive_read_open2)                                                      \
  X (archive_read_support_filter_all)                                         \
  X (archive_read_support_format_tar)                                         \
  X (archive_set_error)                                                       \
  X (archive_write_add_filter_gzip)                                           \
  X (archive_write_close)                                                     \
  X (archive_write_data)                                                      \
  X (archive_write_data_block)                                                \
  X (archive_write_disk_new)                                                  \
  X (archive_write_disk_set_options)                                          \
  X (archive_write_finish_entry)                                              \
  X (archive_write_free)                                                      \
  X (archive_write_header)                                                    \
  X (archive_write_new)                                                       \
  X (archive_write_open_fd)                                                   \
  X (archive_write_set_format_pax_restricted)

#define MC_DL_SQUASHFS_SYMS(X)                                                \
  X (sqfs_compressor_config_init)                                             \
  X (sqfs_compressor_create)                                                  \
  X (sqfs_compressor_name_from_id)                                            \
  X (sqfs_data_reader_create)                                                 \
  X (sqfs_data_reader_get_block)                                              \
  X (sqfs_data_reader_get_fragment)                                           \
  X (sqfs_data_reader_load_fragment_table)                                    \
  X (sqfs_dir_reader_create)                                                  \
  X (sqfs_dir_reader_get_full_hierarchy)                                      \
  X (sqfs_dir_reader_get_inode)                                               \
  X (sqfs_dir_reader_get_root_inode)                                          \
  X (sqfs_dir_reader_open_dir)                                                \
  X (sqfs_dir_reader_read)                                                    \
  X (sqfs_dir_tree_destroy)                                                   \
  X (sqfs_free)                                                               \
  X (sqfs_get_xattr_prefix)                                                   \
  X (sqfs_id_table_create)                                                    \
  X (sqfs_id_table_index_to_id)                                               \
  X (sqfs_id_table_read)                                                      \
  X (sqfs_inode_get_file_size)                                                \
  X (sqfs_inode_get_xattr_index)                                              \
  X (sqfs_super_read)                                                         \
  X (sqfs_xattr_reader_create)                                                \
  X (sqfs_xattr_reader_get_desc)                                              \
  X (sqfs_xattr_reader_load)                                                  \
  X (sqfs_xattr_reader_read_key)                                              \
  X (sqfs_xattr_reader_read_value)                                            \
  X (sqfs_xattr_reader_seek_kv)

/* libsystemd's sd-bus, for a container's own systemd scope (runtime/cgroup/systemd.c);
   loaded only in the short-lived child that asks systemd for it.  */
#define MC_DL_SYSTEMD_SYMS(X)                                                 \
  X (sd_bus_call)                                                             \
  X (sd_bus_error_free)                                                       \
  X (sd_bus_error_has_name)                                                   \
  X (sd_bus_flush_close_unref)                                                \
  X (sd_bus_match_signal)                                                     \
  X (sd_bus_message_append)                                                   \
  X (sd_bus_message_close_container)                                          \
  X (sd_bus_message_new_method_call)                                          \
  X (sd_bus_message_open_container)                                           \
  X (sd_bus_message_read)                                                     \
  X (sd_bus_message_unref)                                                    \
  X (sd_bus_new)                                                              \
  X (sd_bus_open_system)                                                      \
  X (sd_bus_process)                                                          \
  X (sd_bus_set_address)                                                      \
  X (sd_bus_slot_unref)                                                       \
  X (sd_bus_start)                                                            \
  X (sd_bus_wait)

#define MC_DL_NFTABLES_SYMS(X)                                                \
  X (nft_ctx_buffer_error)                                                    \
  X (nft_ctx_buffer_output)                                                   \
  X (nft_ctx_free)                                                            \
  X (nft_ctx_get_error_buffer)                                                \
  X (nft_ctx_get_output_buffer)                                               \
  X (nft_ctx_new)                                                             \
  X (nft_ctx_output_get_flags)                                                \
  X (nft_ctx_output_set_flags)                                                \
  X (nft_run_cmd_from_buffer)

/* libcrypto's X.509 and base64, for the API server's TLS identity and
   its trust store (runtime/trust.c).  */
#define MC_DL_X509_SYMS(X)                                                    \
  X (ASN1_INTEGER_set_uint64)                                                 \
  X (EVP_DecodeBlock)                                                         \
  X (EVP_EncodeBlock)                                                         \
  X (EVP_PKEY_Q_keygen)                                                       \
  X (EVP_PKEY_free)                                                           \
  X (EVP_sha384)                                                              \
  X (PEM_read_bio_X509)                                                       \
  X (PEM_write_PrivateKey)                                                    \
  X (PEM_write_X509)                                                          \
  X (BIO_new_mem_buf)                                                         \
  X (BIO_free)                                                                \
  X (X509_NAME_add_entry_by_txt)                                              \
  X (X509V3_EXT_conf_nid)                                                     \
  X (X509_add_ext)                                                            \
  X (X509_EXTENSION_free)                                                     \
  X (X509_free)                                                               \
  X (X509_get_serialNumber)                                                   \
  X (X509_get_subject_name)                                                   \
  X (X509_getm_notAfter)                                                      \
  X (X509_getm_notBefore)                                                     \
  X (X509_gmtime_adj)                                                         \
  X (X509_new)                                                                \
  X (X509_set_issuer_name)                                                    \
  X (X509_set_pubkey)                                                         \
  X (X509_set_version)                                                        \
  X (X509_sign)                                                               \
  X (i2d_X509)

/* libssl: the peer certificate of an HTTPS request (api/server.c).  */
#define MC_DL_SSL_SYMS(X)                                                     \
  X (SSL_get1_peer_certificate)

/* libwebsockets, for `minictr serve` (api/server.c) only.  */
#define MC_DL_LWS_SYMS(X)                                                     \
  X (lws_add_http_common_headers)                                             \
  X (lws_add_http_header_by_name)                                             \
  X (lws_adopt_descriptor_vhost)                                              \
  X (lws_callback_http_dummy)                                                 \
  X (lws_callback_on_writable)                                                \
  X (lws_client_connect_via_info)                                             \
  X (lws_client_http_body_pending)                                            \
  X (lws_cancel_service)                                                      \
  X (lws_context_destroy)                                                     \
  X (lws_create_context)                                                      \
  X (lws_finalize_write_http_header)                                          \
  X (lws_frame_is_binary)                                                     \
  X (lws_get_socket_fd)                                                       \
  X (lws_get_ssl)                                                             \
  X (lws_get_vhost)                                                           \
  X (lws_create_vhost)                                                        \
  X (lws_get_vhost_by_name)                                                   \
  X (lws_hdr_copy)                                                            \
  X (lws_hdr_copy_fragment)                                                   \
  X (lws_hdr_custom_copy)                                                     \
  X (lws_hdr_custom_length)                                                   \
  X (lws_hdr_total_length)                                                    \
  X (lws_http_client_http_response)                                           \
  X (lws_http_client_read)                                                    \
  X (lws_http_transaction_completed)                                          \
  X (lws_is_final_fragment)                                                   \
  X (lws_partial_buffered)                                                    \
  X (lws_rx_flow_control)                                                     \
  X (lws_service)                                                             \
  X (lws_set_log_level)                                                       \
  X (lws_set_timeout)                                                         \
  X (lws_set_timer_usecs)                                                     \
  X (lws_write)                                                               \
  X (lws_wsi_user)

#define MC_DL_DECLARE(name) extern __typeof__ (name) *sym_##name;
MC_DL_CRYPTO_SYMS (MC_DL_DECLARE)
MC_DL_ARCHIVE_SYMS (MC_DL_DECLARE)
MC_DL_SQUASHFS_SYMS (MC_DL_DECLARE)
MC_DL_NFTABLES_SYMS (MC_DL_DECLARE)
MC_DL_SYSTEMD_SYMS (MC_DL_DECLARE)
MC_DL_LWS_SYMS (MC_DL_DECLARE)
MC_DL_X509_SYMS (MC_DL_DECLARE)
MC_DL_SSL_SYMS (MC_DL_DECLARE)
#undef MC_DL_DECLARE

/* Load the library and resolve all of its symbols, once per process.  On
   failure nothing is half-resolved: the error names the library (and the
   missing symbol), and later calls retry.  */
int mc_dl_crypto (mc_error_t *err);
int mc_dl_archive (mc_error_t *err);
int mc_dl_squashfs (mc_error_t *err);
int mc_dl_nftables (mc_error_t *err);
int mc_dl_systemd (mc_error_t *err);
int mc_dl_lws (mc_error_t *err);
int mc_dl_x509 (mc_error_t *err);
int mc_dl_ssl (mc_error_t *err);

#endif
