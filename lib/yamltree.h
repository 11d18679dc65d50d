/* YAML <-> jansson tree.
 *
 * minictr keeps every state file as YAML for people to read, and uses
 * jansson's json_t as the one in-memory tree for state, metadata and the
 * --format json|yaml output.  Loading is strict because metadata.yaml comes
 * from untrusted images: one document, no anchors or aliases (no "billion
 * laughs"), bounded depth, string keys only.  Every scalar loads as a
 * string except an unquoted `~`, `null` or empty value, which loads as
 * null: callers convert with the helpers below and report bad types.
 */
#ifndef MINICTR_YAMLTREE_H
#define MINICTR_YAMLTREE_H

#include "lib/error.h"

#include <jansson.h>
#include <stdint.h>

#define MC_YAML_MAX_DEPTH 64

/* Parse BUF (LEN bytes).  NAME appears in error messages.  An empty
 * document loads as an empty object.  */
json_t *mc_yaml_load (const char *buf, size_t len, const char *name,
                      mc_error_t *err);

/* mc_yaml_load, and the document must be a mapping.  */
json_t *mc_yaml_load_mapping (const char *buf, size_t len, const char *name, mc_error_t *err);
/* Read DIRFD/NAME (at most 4 MiB) and load it; it must be a mapping.  */
json_t *mc_yaml_load_mapping_at (int dirfd, const char *name, mc_error_t *err);

/* The NAMEs of the NAME.yaml files in DIRFD, sorted (WHAT names the
 * directory in errors).  */
json_t *mc_yaml_names_at (int dirfd, const char *what, mc_error_t *err);

/* NAMES (N strings, and the array) as a sorted JSON array; frees them.  */
json_t *mc_json_sorted_strings (char **names, size_t n);

/* Emit TREE as block-style YAML.  Strings that another YAML reader would
 * take for a number, boolean or null are double-quoted, as LXD does.  */
int mc_yaml_dump (json_t *tree, char **out, size_t *out_len, mc_error_t *err);

/* Read STR, a decimal integer as a string (or a json integer), into OUT.  */
int mc_json_get_int64 (json_t *v, int64_t *out);

/* The first key of object OBJ that is none of KEYS (N of them), or NULL.  */
const char *mc_json_unknown_key (json_t *obj, const char *const *keys, size_t n);

#endif
