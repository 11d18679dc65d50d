/* minictr: LXD's container workflow as one daemonless binary.  */
#include "cli/cli.h"
#include "lib/utils.h"

#include <stdio.h>
#include <string.h>

#define MINICTR_VERSION "0.1.0"

static void
print_help (void)
{
  size_t i;

  printf ("Usage: minictr <command> [flags]\n\n"
          "minictr runs system containers the way LXD's `lxc` client does, as one\n"
          "binary with no daemon.  State lives under $MINICTR_DIR (default\n"
          "/var/lib/minictr).\n\n"
          "Commands:\n");
  for (i = 0; i < cli_container_commands_n; i++)
    printf ("  %-10s %.*s\n", cli_container_commands[i].name,
            (int) strcspn (cli_container_commands[i].summary, "\n"), cli_container_commands[i].summary);
  printf ("  file       Manage files in containers (push, pull, edit, delete, create)\n"
          "  config     Manage container configuration and devices\n"
          "  profile    Manage profiles\n"
          "  network    Manage networks (bridges for nic devices)\n"
          "  image      Manage images\n"
          "  admin      Set up the host (admin init --auto)\n"
          "  help       Print help\n"
          "  version    Print the version\n\n"
          "Flags:\n"
          "  -h, --help      Print help\n"
          "      --version   Print the version\n\n"
          "Use \"minictr <command> --help\" for more about a command.\n");
}

static const struct cli_command *
find_container_command (const char *name)
{
  size_t i;

  for (i = 0; i < cli_container_commands_n; i++)
    if (strcmp (name, cli_container_commands[i].name) == 0
        || (cli_container_commands[i].alias && strcmp (name, cli_container_commands[i].alias) == 0))
      return &cli_container_commands[i];
  return NULL;
}

static int
run_top (const char *cmd, int argc, char **argv, mc_error_t *err)
{
  const struct cli_command *c = find_container_command (cmd);

  if (strcmp (cmd, "image") == 0 || strcmp (cmd, "images") == 0)
    return cli_image (argc, argv, err);
  if (strcmp (cmd, "admin") == 0)
    return cli_admin (argc, argv, err);
  if (strcmp (cmd, "config") == 0)
    return cli_config (argc, argv, err);
  if (strcmp (cmd, "profile") == 0)
    return cli_profile (argc, argv, err);
  if (strcmp (cmd, "network") == 0)
    return cli_network (argc, argv, err);
  if (strcmp (cmd, "file") == 0)
    return cli_file (argc, argv, err);
  if (c == NULL)
    return 1;
  optind = 0;
  return c->run (c, argc, argv, err);
}

int
main (int argc, char **argv)
{
  mc_error_t err = NULL;
  const char *cmd = argc > 1 ? argv[1] : "help";

  if (strcmp (cmd, "help") == 0 || strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0)
    {
      if (argc > 2 && strcmp (cmd, "help") == 0 && strcmp (argv[2], "image") == 0)
        {
          char *args[] = { argv[2], (char *) "--help", NULL };
          return cli_image (2, args, &err) < 0 ? mc_error_report (&err) : 0;
        }
      print_help ();
      return 0;
    }
  if (strcmp (cmd, "version") == 0 || strcmp (cmd, "--version") == 0)
    {
      printf ("%s\n", MINICTR_VERSION);
      return 0;
    }
  if (strcmp (cmd, "image") == 0 || strcmp (cmd, "images") == 0 || strcmp (cmd, "admin") == 0
      || strcmp (cmd, "config") == 0 || strcmp (cmd, "profile") == 0 || strcmp (cmd, "file") == 0
      || strcmp (cmd, "network") == 0
      || find_container_command (cmd) != NULL)
    {
      if (run_top (cmd, argc - 1, argv + 1, &err) < 0)
        return mc_error_report (&err);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  if (cmd[0] == '-')
    mc_make_usage_error (&err, "unknown flag `%s` (see `minictr --help`)", cmd);
  else
    mc_make_usage_error (&err, "unknown command `%s` (see `minictr --help`)", cmd);
  return mc_error_report (&err);
}
