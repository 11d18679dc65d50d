/* The command table and argument helpers shared by every cli/ file.
 * Each command only parses its arguments, calls the library and prints. */
#ifndef MINICTR_CLI_H
#define MINICTR_CLI_H

#include "lib/error.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MINICTR_VERSION "0.1.0"

/* A flag of a command, declared in its entry of the command table.  */
struct cli_flag
{
  const char *name;    /* the long name, without "--" */
  int letter;          /* the short form, or 0 */
  bool value;          /* it takes a value: --name V, --name=V, -x V */
};

#define CLI_MAX_FLAGS 16

/* An LXD flag a command does not take, and why: given, it is a usage
 * error saying so (never silently ignored).  */
struct cli_refused
{
  const char *name;    /* the long name, without "--" */
  int letter;          /* the short form, or 0 */
  bool value;          /* it takes a value */
  const char *why;
};

#define CLI_MAX_REFUSED 8
/* max_args: any number.  */
#define CLI_ANY (-1)

struct cli_command
{
  const char *name;
  const char *path;    /* "image import": the words that select it */
  const char *alias;   /* LXD's short spelling ("ls", "rm"), or NULL */
  const char *usage;   /* after "minictr " */
  const char *summary;
  const char *details; /* flags and notes; may be NULL */
  int (*run) (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
  const struct cli_flag *flags; /* ended by { NULL }; NULL: -h only */
  int min_args, max_args;       /* positional arguments (max CLI_ANY) */
  bool stop_at_arg;    /* flags only before the first positional argument */
  unsigned names;      /* which positional arguments may carry LXD's remote
                          prefix ("local:NAME"): CLI_NAME (i), CLI_NAMES_* */
  const struct cli_refused *refused; /* ended by { NULL }; may be NULL */
};

/* Positional argument I is a container, image, profile or network name
 * (with /SNAP or /PATH after it, say), which LXD's client prefixes with its
 * remote.  cli_parse takes the prefix off and records the remote (a
 * command that cannot act on one refuses it there).  */
#define CLI_NAME(i) (1u << (i))
#define CLI_NAMES_ALL 0x07ffffffu      /* every positional argument */
/* Of those, only "REMOTE:" alone names a remote: another word with a
 * colon is not a name (image import's FILE, an OCI layout's PATH:NAME).  */
#define CLI_NAMES_REMOTE_ALONE 0x08000000u
#define CLI_NAMES_LAST 0x10000000u     /* the last one (file push's target) */
#define CLI_NAMES_BUT_LAST 0x20000000u /* all but the last (file pull's sources) */
/* The first is an image (launch, init): it is on the remote the container
 * is made on (its own prefix, if any, must say that one; alone, it names
 * it).  */
#define CLI_NAME0_IMAGE 0x40000000u
/* Bare names are on the remote a prefixed one names (`snapshot r:c1 s0`,
 * where the words and the snapshot's name are not a remote's), not on
 * the default one.  */
#define CLI_NAMES_FOLLOW 0x80000000u

/* LXD's global flags, accepted before the command and among its flags:
 * --project (only "default": minictr has no projects), --force-local
 * (minictr is always local), --all-projects (there is one); --target
 * (a cluster member) is refused: minictr runs on one host.  0, or -1
 * with a usage error.  */
int cli_global_flag (const char *flag, const char *value, mc_error_t *err);
/* ARG without its remote prefix ("local:c1/snap0" -> "c1/snap0"; "local:"
 * -> ""), *REMOTE the remote it names (NULL: local, or no prefix); ARG
 * itself when it has none; NULL with an error naming an unknown remote.  */
const char *cli_strip_remote (const char *arg, char **remote, mc_error_t *err);

/* What cli_parse found: each flag's values in the order given (a flag
 * without a value records "" each time), and where the positional
 * arguments start (getopt moves them to the end of argv).  */
struct cli_args
{
  const struct cli_command *cmd;
  const char **values[CLI_MAX_FLAGS];
  size_t count[CLI_MAX_FLAGS];
  int first;           /* argv[first..argc) are the positional arguments */
  int n;               /* how many */
  char *remote;        /* the remote the names are on (REMOTE:), NULL: local */
};

void cli_args_release (struct cli_args *a);
#define cleanup_args __attribute__ ((cleanup (cli_args_release)))

/* Parse CMD's flags (its table entry) and check its argument count: 0;
 * 1 when -h/--help printed the help (the command returns 0 then); -1
 * with a usage error naming an unknown flag, a missing value or a wrong
 * number of arguments.  STOP_AT_ARG (or CMD's): flags only before the
 * first positional argument.  */
int cli_parse (const struct cli_command *cmd, int argc, char **argv, struct cli_args *a, mc_error_t *err);
int cli_parse_how (const struct cli_command *cmd, int argc, char **argv, bool stop_at_arg,
                   struct cli_args *a, mc_error_t *err);
/* The usual head of a command: its flags parsed into A, or return (0
 * after printing the help, -1 after a usage error).  */
#define CLI_PARSE(cmd, argc, argv, a, err)                                                           \
  do                                                                                                 \
    {                                                                                                \
      int r_ = cli_parse ((cmd), (argc), (argv), (a), (err));                                       \
      if (r_ != 0)                                                                                   \
        return r_ < 0 ? -1 : 0;                                                                      \
    }                                                                                                \
  while (0)

/* The last value of flag NAME, or NULL when it was not given.  */
const char *cli_value (const struct cli_args *a, const char *name);
/* Whether flag NAME was given.  */
bool cli_has (const struct cli_args *a, const char *name);
/* Every value of flag NAME, NULL-terminated (never NULL); *N their number. */
const char *const *cli_values (const struct cli_args *a, const char *name, size_t *n);

void cli_print_help (const struct cli_command *cmd);

/* Run the subcommand of GROUP named by argv[1].  */
int cli_dispatch (const char *group, const char *group_summary,
                  const struct cli_command *cmds, size_t n, int argc,
                  char **argv, mc_error_t *err);

/* Check the positional argument count: MIN..MAX (MAX < 0: unbounded).  */
int cli_want_args (const struct cli_command *cmd, int have, int min, int max,
                   mc_error_t *err);

/* Run FN on NAME with the store open and the container locked (and,
 * with that, what a command killed on its way left put right:
 * mc_container_lock).  */
struct mc_store;
typedef int (*cli_locked_fn) (struct mc_store *s, const char *name, void *data, mc_error_t *err);
int cli_with_lock (const char *name, cli_locked_fn fn, void *data, mc_error_t *err);

/* A privileged container's root is the host's: a command about to run a
 * program in one of the containers NAMES (a JSON array; unknown names
 * are left to the command's own error), or in a new container of config
 * NEW (its profiles and keys; may be NULL), goes on from a sealed copy
 * of the binary (lib/selfexe.h), which runs the command again from its
 * start: call it before anything with effects.  */
int cli_seal_if_privileged (json_t *names, json_t *new_cfg, mc_error_t *err);
/* The same for `init`/`launch`, which read STDIN_DATA (LEN bytes, or
 * NULL) from their standard input already: it is theirs again then.  */
int cli_seal_if_privileged_stdin (json_t *names, json_t *new_cfg, const char *stdin_data, size_t len,
                                  mc_error_t *err);

/* A YAML mapping from FD (standard input of `edit`, say).  */
json_t *cli_read_yaml (int fd, const char *name, mc_error_t *err);
/* DOC in the user's editor on a private temp file (/tmp/minictr-WHAT-*),
 * read back and parsed; NULL with the error otherwise.  The temp file
 * always goes.  */
json_t *cli_edit_yaml (json_t *doc, const char *what, mc_error_t *err);

int cli_image (int argc, char **argv, mc_error_t *err);
int cli_admin (int argc, char **argv, mc_error_t *err);
int cli_oci (int argc, char **argv, mc_error_t *err);
int cli_remote (int argc, char **argv, mc_error_t *err);

/* REMOTE: names (cli/remote.c).  *REMOTE: the remote PREFIX (LEN bytes,
 * of argument ARG) names, or with PREFIX NULL the default one; NULL for
 * `local`.  */
int cli_remote_of (const char *prefix, size_t len, const char *arg, char **remote, mc_error_t *err);
/* Whether command PATH works on a remote; the list of those that do
 * (malloc'ed, for an error message).  */
bool cli_remote_capable (const char *path);
char *cli_remote_capable_list (void);
/* GET PATH on REMOTE: the answer's metadata (an operation's, waited for);
 * cli_remote_list wants it a list (LXD's recursion=1 or 2 answers).  */
json_t *cli_remote_get (const char *remote, const char *path, mc_error_t *err);
json_t *cli_remote_list (const char *remote, const char *path, mc_error_t *err);
struct mc_client;
/* The client for REMOTE (its certificates when over HTTPS).  */
int cli_remote_client_open (const char *remote, struct mc_client *cl, mc_error_t *err);
/* METHOD PATH with BODY on REMOTE, LXD's way (mc_client_call); *OUT (may
 * be NULL) the answer's metadata.  */
int cli_remote_call (const char *remote, const char *method, const char *path, json_t *body, json_t **out,
                     mc_error_t *err);
/* METHOD /1.0/KIND/NAME[TAIL] (KIND: instances, profiles, ...) with BODY
 * on REMOTE, LXD's way (mc_client_call); *OUT (may be NULL) the answer's
 * metadata.  */
int cli_remote_object_call (const char *remote, const char *method, const char *kind, const char *name,
                            const char *tail, json_t *body, json_t **out, mc_error_t *err);
int cli_remote_instance_call (const char *remote, const char *method, const char *name, const char *tail,
                              json_t *body, json_t **out, mc_error_t *err);
/* The document `config show` (KIND instances; EXPANDED: profiles
 * stacked) prints, or the object /1.0/KIND/NAME (profiles, networks).  */
json_t *cli_remote_config_doc (const char *remote, const char *kind, const char *name, bool expanded,
                               mc_error_t *err);
int cli_remote_config_set (const char *remote, const char *kind, const char *name, const char *const *keys,
                           const char *const *values, size_t n, mc_error_t *err);
int cli_remote_config_unset (const char *remote, const char *kind, const char *name, const char *const *keys,
                             size_t n, mc_error_t *err);
/* A device change (add, remove, set, override) to /1.0/KIND/NAME on
 * REMOTE, LXD's client's way: the document read, changed here as the
 * local store would change it, put back (the server checks it again).  */
struct mc_config_change;
int cli_remote_change_device (const char *remote, const char *kind, const char *name,
                              const struct mc_config_change *change, mc_error_t *err);
/* PUT DOC's writable fields (config, devices, description; an instance's
 * profiles and ephemeral) as /1.0/KIND/NAME.  */
int cli_remote_replace (const char *remote, const char *kind, const char *name, json_t *doc, mc_error_t *err);
/* S percent-encoded for a URL's query (malloc'ed); cli_url_segment
 * for one segment of its path (a name: `/` encoded too).  */
char *cli_url_escape (const char *s);
char *cli_url_segment (const char *s);
int cli_remote_state (const char *remote, const char *name, const char *action, bool force, int timeout,
                      mc_error_t *err);
int cli_remote_delete (const char *remote, const char *name, bool force, mc_error_t *err);
int cli_remote_create (const char *remote, const char *image, const char *name, json_t *overrides,
                       const char *const *profiles, size_t n_profiles, bool ephemeral, bool start, mc_error_t *err);
struct mc_exec_request;
int cli_remote_exec (const char *remote, const struct mc_exec_request *req, int *status, mc_error_t *err);
int cli_file (int argc, char **argv, mc_error_t *err);
int cli_config (int argc, char **argv, mc_error_t *err);
int cli_profile (int argc, char **argv, mc_error_t *err);
int cli_network (int argc, char **argv, mc_error_t *err);

/* LXD's `-c KEY=VALUE` (repeatable) and `--no-profiles` of A, on top of
 * what standard input gave in *OVER (made when NULL): its `config` and
 * `profiles`.  */
int cli_create_overrides (const struct cli_args *a, json_t **over, mc_error_t *err);

int cli_cmd_snapshot (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_restore (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_copy (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_export (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_import (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_serve (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_config_trust (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
/* `config get|set|unset core.KEY`: the server's own keys (REMOTE's,
 * through the API, or the local store's with REMOTE NULL).  */
int cli_server_config (const char *remote, const char *verb, const char *key, const char *value, mc_error_t *err);
int cli_cmd_publish (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_move (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);

extern const struct cli_command cli_container_commands[];
extern const size_t cli_container_commands_n;

#endif
