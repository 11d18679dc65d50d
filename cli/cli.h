/* The command table and argument helpers shared by every cli/ file.
 * Each command only parses its arguments, calls the library and prints. */
#ifndef MINICTR_CLI_H
#define MINICTR_CLI_H

#include "lib/error.h"

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>

struct cli_command
{
  const char *name;
  const char *path;    /* "image import": the words that select it */
  const char *alias;   /* LXD's short spelling ("ls", "rm"), or NULL */
  const char *usage;   /* after "minictr " */
  const char *summary;
  const char *details; /* flags and notes; may be NULL */
  int (*run) (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
};

#define CLI_HELP_OPTION { "help", no_argument, NULL, 'h' }

void cli_print_help (const struct cli_command *cmd);

/* Run the subcommand of GROUP named by argv[1].  */
int cli_dispatch (const char *group, const char *group_summary,
                  const struct cli_command *cmds, size_t n, int argc,
                  char **argv, mc_error_t *err);

/* getopt_long for a command: returns the option, -1 when done, or -2 with
 * a usage error in *ERR naming the bad flag.  Call with *state = 0 first. */
int cli_getopt (const struct cli_command *cmd, int argc, char **argv,
                const char *shortopts, const struct option *longopts,
                mc_error_t *err);

/* Check the positional argument count: MIN..MAX (MAX < 0: unbounded).  */
int cli_want_args (const struct cli_command *cmd, int have, int min, int max,
                   mc_error_t *err);

/* Run FN on NAME with the store open and the container locked.  */
struct mc_store;
typedef int (*cli_locked_fn) (struct mc_store *s, const char *name, void *data, mc_error_t *err);
int cli_with_lock (const char *name, cli_locked_fn fn, void *data, mc_error_t *err);

/* A YAML mapping from FD (standard input of `edit`, say).  */
json_t *cli_read_yaml (int fd, const char *name, mc_error_t *err);
/* DOC in the user's editor on a private temp file (/tmp/minictr-WHAT-*),
 * read back and parsed; NULL with the error otherwise.  The temp file
 * always goes.  */
json_t *cli_edit_yaml (json_t *doc, const char *what, mc_error_t *err);

int cli_image (int argc, char **argv, mc_error_t *err);
int cli_admin (int argc, char **argv, mc_error_t *err);
int cli_file (int argc, char **argv, mc_error_t *err);
int cli_config (int argc, char **argv, mc_error_t *err);
int cli_profile (int argc, char **argv, mc_error_t *err);
int cli_network (int argc, char **argv, mc_error_t *err);

int cli_cmd_snapshot (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_restore (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_copy (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_export (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_import (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_publish (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);
int cli_cmd_move (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err);

extern const struct cli_command cli_container_commands[];
extern const size_t cli_container_commands_n;

#endif
