#include "cli/cli.h"
#include <unistd.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <fcntl.h>
#include <errno.h>
#include "lib/yamltree.h"
#include "lib/utils.h"

#include <stdio.h>
#include <string.h>

void
cli_print_help (const struct cli_command *cmd)
{
  printf ("Usage: minictr %s\n\n%s\n", cmd->usage, cmd->summary);
  if (cmd->alias)
    printf ("\nAlias: %s\n", cmd->alias);
  if (cmd->details)
    printf ("\n%s", cmd->details);
  printf ("\nGlobal flags:\n  -h, --help   Print help\n");
}

static void
print_group_help (const char *group, const char *summary,
                  const struct cli_command *cmds, size_t n)
{
  size_t i;

  printf ("Usage: minictr %s <command> [flags]\n\n%s\n\nCommands:\n", group, summary);
  for (i = 0; i < n; i++)
    printf ("  %-10s %.*s\n", cmds[i].name, (int) strcspn (cmds[i].summary, "\n"),
            cmds[i].summary);
  printf ("\nUse \"minictr %s <command> --help\" for more about a command.\n", group);
}

int
cli_dispatch (const char *group, const char *group_summary,
              const struct cli_command *cmds, size_t n, int argc, char **argv,
              mc_error_t *err)
{
  size_t i;

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_group_help (group, group_summary, cmds, n);
      return 0;
    }
  for (i = 0; i < n; i++)
    if (strcmp (argv[1], cmds[i].name) == 0
        || (cmds[i].alias && strcmp (argv[1], cmds[i].alias) == 0))
      return cmds[i].run (&cmds[i], argc - 1, argv + 1, err);
  return mc_make_usage_error (err, "unknown command `%s %s` (see `minictr %s --help`)",
                              group, argv[1], group);
}

int
cli_getopt (const struct cli_command *cmd, int argc, char **argv,
            const char *shortopts, const struct option *longopts, mc_error_t *err)
{
  /* A leading "+" (stop at the first non-option) must stay first.  */
  cleanup_free char *opts = shortopts[0] == '+' ? xasprintf ("+:%s", shortopts + 1)
                                                 : xasprintf (":%s", shortopts);
  int c;

  opterr = 0;
  c = getopt_long (argc, argv, opts, longopts, NULL);
  if (c == '?')
    {
      if (optopt)
        return mc_make_usage_error (err, "%s: unknown flag `-%c` (see `minictr %s --help`)",
                                    cmd->path, optopt, cmd->path), -2;
      return mc_make_usage_error (err, "%s: unknown flag `%s` (see `minictr %s --help`)",
                                  cmd->path, argv[optind - 1], cmd->path), -2;
    }
  if (c == ':')
    return mc_make_usage_error (err, "%s: flag `%s` needs a value", cmd->path,
                                argv[optind - 1]), -2;
  return c;
}

int
cli_want_args (const struct cli_command *cmd, int have, int min, int max,
               mc_error_t *err)
{
  if (have < min || (max >= 0 && have > max))
    return mc_make_usage_error (err, "%s: wrong number of arguments (usage: minictr %s)", cmd->path, cmd->usage);
  return 0;
}

json_t *
cli_read_yaml (int fd, const char *name, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (mc_read_fd (fd, name, 4 << 20, &buf, &len, err) < 0)
    return NULL;
  return mc_yaml_load_mapping (buf, len, name, err);
}

json_t *
cli_edit_yaml (json_t *doc, const char *what, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/tmp/minictr-%s-XXXXXX.yaml", what);
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  json_t *out = NULL;
  const char *ed;
  size_t len;
  int status;

  if (mc_yaml_dump (doc, &text, &len, err) < 0)
    return NULL;
  if ((fd = mkstemps (path, 5)) < 0)
    return mc_make_error (err, errno, "create a temp file in /tmp"), NULL;
  if (mc_write_all (fd, text, len) < 0)
    mc_make_error (err, errno, "write `%s`", path);
  else if (mc_editor_run (path, &ed, &status, err) < 0)
    ;
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    mc_make_error (err, 0, "editor `%s` failed; nothing changed", ed);
  else
    {
      /* By path: editors may replace the file rather than write into it
       * (sed -i, vim's backupcopy=no).  */
      cleanup_close int in = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

      out = in < 0 ? (mc_make_error (err, errno, "open `%s`", path), NULL) : cli_read_yaml (in, path, err);
    }
  unlink (path);
  return out;
}
