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
  if (cmd->refused && cmd->refused[0].name)
    {
      size_t i;

      printf ("\nRefused (LXD's, not minictr's):\n");
      for (i = 0; cmd->refused[i].name; i++)
        printf ("      --%-16s %s\n", cmd->refused[i].name, cmd->refused[i].why);
    }
  printf ("\nGlobal flags:\n  -h, --help          Print help\n"
          "      --project P     LXD's project: only `default`\n"
          "      --all-projects  Accepted (there is one project)\n"
          "      --force-local   Accepted (the local store is used directly, never through a server)\n"
          "      --target M      Refused: minictr runs on one host, not a cluster\n");
  if (cmd->names && cli_remote_capable (cmd->path))
    printf ("\nNames may carry LXD's remote prefix: `local:`, or a remote's (`minictr remote add`).\n");
  else if (cmd->names)
    printf ("\nNames may carry LXD's remote prefix `local:` (this command works on the local store only).\n");
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

/* ---- flags from the command table ------------------------------------------ */

void
cli_args_release (struct cli_args *a)
{
  size_t i;

  for (i = 0; i < CLI_MAX_FLAGS; i++)
    {
      free (a->values[i]);
      a->values[i] = NULL;
      a->count[i] = 0;
    }
  free (a->remote);
  a->remote = NULL;
}

static int
flag_index (const struct cli_command *cmd, const char *name)
{
  int i;

  for (i = 0; cmd->flags && cmd->flags[i].name; i++)
    if (strcmp (cmd->flags[i].name, name) == 0)
      return i;
  /* A name the command does not declare is a bug in minictr.  */
  fprintf (stderr, "minictr: internal error: `%s` has no flag `%s`\n", cmd->path, name);
  abort ();
}

static void
record (struct cli_args *a, int i, const char *value)
{
  a->values[i] = xrealloc (a->values[i], sizeof (char *) * (a->count[i] + 2));
  a->values[i][a->count[i]++] = value ? value : "";
  a->values[i][a->count[i]] = NULL;
}

int
cli_parse_how (const struct cli_command *cmd, int argc, char **argv, bool stop_at_arg,
               struct cli_args *a, mc_error_t *err)
{
  struct option longopts[CLI_MAX_FLAGS + CLI_MAX_REFUSED + 6];
  char shortopts[3 * (CLI_MAX_FLAGS + CLI_MAX_REFUSED) + 8];
  bool seen = false, image_prefixed = false, have_default = false;
  cleanup_free char *image_remote = NULL, *default_remote = NULL;
  const char *image_arg = NULL;
  size_t s = 0;
  int i, n = 0, c, gone = 0;

  memset (a, 0, sizeof (*a));
  a->cmd = cmd;
  shortopts[s++] = stop_at_arg ? '+' : ':';
  if (stop_at_arg)
    shortopts[s++] = ':';
  shortopts[s++] = 'h';
  for (i = 0; cmd->flags && cmd->flags[i].name; i++, n++)
    {
      if (i >= CLI_MAX_FLAGS)
        abort ();
      longopts[n] = (struct option) { cmd->flags[i].name, cmd->flags[i].value ? required_argument : no_argument,
                                      NULL, 256 + i };
      if (cmd->flags[i].letter)
        {
          shortopts[s++] = (char) cmd->flags[i].letter;
          if (cmd->flags[i].value)
            shortopts[s++] = ':';
        }
    }
  shortopts[s] = '\0';
  longopts[n++] = (struct option) { "help", no_argument, NULL, 'h' };
  longopts[n++] = (struct option) { "project", required_argument, NULL, 512 };
  longopts[n++] = (struct option) { "force-local", no_argument, NULL, 513 };
  longopts[n++] = (struct option) { "all-projects", no_argument, NULL, 514 };
  longopts[n++] = (struct option) { "target", required_argument, NULL, 515 };
  for (i = 0; cmd->refused && cmd->refused[i].name; i++)
    {
      if (i >= CLI_MAX_REFUSED)
        abort ();
      longopts[n++] = (struct option) { cmd->refused[i].name,
                                        cmd->refused[i].value ? required_argument : no_argument, NULL, 600 + i };
      if (cmd->refused[i].letter)
        {
          shortopts[s++] = (char) cmd->refused[i].letter;
          if (cmd->refused[i].value)
            shortopts[s++] = ':';
          shortopts[s] = '\0';
        }
    }
  longopts[n] = (struct option) { NULL, 0, NULL, 0 };
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1)
    {
      if (c == 'h')
        {
          cli_print_help (cmd);
          return 1;
        }
      if (c == '?')
        {
          if (optopt)
            return mc_make_usage_error (err, "%s: unknown flag `-%c` (see `minictr %s --help`)", cmd->path,
                                        optopt, cmd->path);
          return mc_make_usage_error (err, "%s: unknown flag `%s` (see `minictr %s --help`)", cmd->path,
                                      argv[optind - 1], cmd->path);
        }
      if (c == ':')
        return mc_make_usage_error (err, "%s: flag `%s` needs a value", cmd->path, argv[optind - 1]);
      if (c >= 600)
        return mc_make_usage_error (err, "%s --%s: %s", cmd->path, cmd->refused[c - 600].name,
                                    cmd->refused[c - 600].why);
      if (c < 256 && cmd->refused)
        for (i = 0; cmd->refused[i].name; i++)
          if (cmd->refused[i].letter == c)
            return mc_make_usage_error (err, "%s -%c (--%s): %s", cmd->path, c, cmd->refused[i].name,
                                        cmd->refused[i].why);
      if (c >= 512 && c <= 515)
        {
          static const char *const globals[] = { "--project", "--force-local", "--all-projects", "--target" };

          if (cli_global_flag (globals[c - 512], optarg, err) < 0)
            return -1;
          continue;
        }
      if (c < 256)
        for (i = 0; cmd->flags[i].name; i++)
          if (cmd->flags[i].letter == c)
            break;
      record (a, c < 256 ? i : c - 256, optarg);
    }
  a->first = optind;
  a->n = argc - optind;
  for (i = 0; i < a->n; i++)
    {
      bool last = i == a->n - 1;
      /* Its place as given: a "REMOTE:" alone before it was taken out
         (`image list r: FILTER`: FILTER is not a name).  */
      int at = i + gone;

      if ((cmd->names & CLI_NAMES_REMOTE_ALONE) && strchr (argv[optind + i], ':') != NULL
          && argv[optind + i][strlen (argv[optind + i]) - 1] != ':')
        continue;
      if ((at < 27 && (cmd->names & CLI_NAME (at))) || (last && (cmd->names & CLI_NAMES_LAST))
          || (!last && (cmd->names & CLI_NAMES_BUT_LAST)) || (at == 0 && (cmd->names & CLI_NAME0_IMAGE)))
        {
          char *remote = NULL;
          const char *bare = cli_strip_remote (argv[optind + i], &remote, err);

          if (bare == NULL)
            return -1;
          if (at == 0 && (cmd->names & CLI_NAME0_IMAGE))
            {
              /* Compared with the container's remote below.  */
              image_prefixed = bare != argv[optind + i];
              image_remote = remote;
              image_arg = argv[optind + i];
              argv[optind + i] = (char *) bare;
              continue;
            }
          /* A bare name is on the default remote, `local:` on none: every
             name must be on the same one (each command talks to one).  */
          if (bare == argv[optind + i] && (cmd->names & CLI_NAMES_FOLLOW))
            continue;
          if (bare == argv[optind + i])
            {
              /* (The remotes' config read once, whatever the names.)  */
              if (!have_default && cli_remote_of (NULL, 0, NULL, &default_remote, err) < 0)
                return -1;
              have_default = true;
              remote = default_remote ? xstrdup (default_remote) : NULL;
            }
          if (seen && (remote == NULL) != (a->remote == NULL))
            {
              free (remote);
              return mc_make_usage_error (err, "%s: names on two remotes (`%s`, `%s`)", cmd->path,
                                          a->remote ? a->remote : "local", argv[optind + i]);
            }
          if (seen && remote && strcmp (remote, a->remote) != 0)
            {
              free (remote);
              return mc_make_usage_error (err, "%s: names on two remotes (`%s`, `%s`)", cmd->path, a->remote,
                                          argv[optind + i]);
            }
          if (!seen)
            a->remote = remote;
          else
            free (remote);
          seen = true;
          if (*bare == '\0' && bare != argv[optind + i])
            {
              /* "REMOTE:" alone names the remote only (`list local:`): the
                 argument goes; the ones before it move up a slot.  */
              memmove (&argv[optind + 1], &argv[optind], sizeof (char *) * (size_t) i);
              optind++;
              a->first = optind;
              a->n--;
              i--;
              gone++;
              continue;
            }
          argv[optind + i] = (char *) bare;
        }
    }
  if (image_prefixed && !seen)
    {
      /* `launch REMOTE:IMAGE`: there.  */
      a->remote = steal_pointer (&image_remote);
      seen = true;
    }
  else if (image_prefixed
           && ((image_remote == NULL) != (a->remote == NULL) || (image_remote && strcmp (image_remote, a->remote))))
    return mc_make_usage_error (err, "%s: the image `%s` is not on the container's remote (`%s`): images are "
                                     "not copied between servers", cmd->path, image_arg,
                                a->remote ? a->remote : "local");
  /* No prefix: the default remote (`remote switch`).  */
  if (cmd->names && !seen && cli_remote_of (NULL, 0, NULL, &a->remote, err) < 0)
    return -1;
  if (a->remote && !cli_remote_capable (cmd->path))
    {
      cleanup_free char *which = cli_remote_capable_list ();

      return mc_make_usage_error (err, "`minictr %s` does not work on remote `%s` (on a remote: %s)", cmd->path,
                                  a->remote, which);
    }
  return cli_want_args (cmd, a->n, cmd->min_args, cmd->max_args, err);
}

int
cli_global_flag (const char *flag, const char *value, mc_error_t *err)
{
  if (strcmp (flag, "--force-local") == 0 || strcmp (flag, "--all-projects") == 0)
    return 0;
  if (strcmp (flag, "--target") == 0)
    return mc_make_usage_error (err, "--target %s: minictr runs on one host, not a cluster (leave --target out)",
                                value ? value : "");
  if (strcmp (value, "default") != 0)
    return mc_make_usage_error (err, "project `%s` does not exist (minictr has only the `default` project)", value);
  return 0;
}

const char *
cli_strip_remote (const char *arg, char **remote, mc_error_t *err)
{
  const char *colon = strchr (arg, ':');
  size_t n;

  /* No colon, or one inside a path ("c1/etc/a:b") or after nothing.  */
  if (colon == NULL || colon == arg || memchr (arg, '/', (size_t) (colon - arg)))
    return arg;
  n = (size_t) (colon - arg);
  if (cli_remote_of (arg, n, arg, remote, err) < 0)
    return NULL;
  return colon + 1;
}

int
cli_parse (const struct cli_command *cmd, int argc, char **argv, struct cli_args *a, mc_error_t *err)
{
  return cli_parse_how (cmd, argc, argv, cmd->stop_at_arg, a, err);
}

const char *
cli_value (const struct cli_args *a, const char *name)
{
  int i = flag_index (a->cmd, name);

  return a->count[i] ? a->values[i][a->count[i] - 1] : NULL;
}

bool
cli_has (const struct cli_args *a, const char *name)
{
  return a->count[flag_index (a->cmd, name)] > 0;
}

const char *const *
cli_values (const struct cli_args *a, const char *name, size_t *n)
{
  static const char *const none[] = { NULL };
  int i = flag_index (a->cmd, name);

  if (n)
    *n = a->count[i];
  return a->count[i] ? a->values[i] : none;
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
