/* minictr: LXD's container workflow as one daemonless binary.  */
#include "cli/cli.h"
#include "runtime/utils.h"

#include <stdio.h>
#include <string.h>

#define MINICTR_VERSION "0.1.0"

static void
print_help (void)
{
  printf ("Usage: minictr <command> [flags]\n\n"
          "minictr runs system containers the way LXD's `lxc` client does, as one\n"
          "binary with no daemon.  State lives under $MINICTR_DIR (default\n"
          "/var/lib/minictr).\n\n"
          "Commands:\n"
          "  image      Manage images\n"
          "  help       Print help\n"
          "  version    Print the version\n\n"
          "Flags:\n"
          "  -h, --help      Print help\n"
          "      --version   Print the version\n\n"
          "Use \"minictr <command> --help\" for more about a command.\n");
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
  if (strcmp (cmd, "image") == 0 || strcmp (cmd, "images") == 0)
    {
      if (cli_image (argc - 1, argv + 1, &err) < 0)
        return mc_error_report (&err);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  if (cmd[0] == '-')
    mc_make_usage_error (&err, "unknown flag `%s` (see `minictr --help`)", cmd);
  else
    mc_make_usage_error (&err, "unknown command `%s` (see `minictr --help`)", cmd);
  return mc_error_report (&err);
}
