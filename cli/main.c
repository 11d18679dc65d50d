/* minictr: LXD's container workflow as one daemonless binary.  */
#include "cli/cli.h"
#include "runtime/container.h"
#include "runtime/history/snapshot.h"
#include "lib/selfexe.h"
#include "lib/utils.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The command groups, after the container commands, in --help order.  */
static const struct
{
  const char *name, *alias, *summary;
  int (*run) (int argc, char **argv, mc_error_t *err);
} groups[] = {
  { "file", NULL, "Manage files in containers (push, pull, edit, delete, create)", cli_file },
  { "config", NULL, "Manage container configuration and devices", cli_config },
  { "profile", NULL, "Manage profiles", cli_profile },
  { "network", NULL, "Manage networks (bridges for nic devices)", cli_network },
  { "image", "images", "Manage images", cli_image },
  { "admin", NULL, "Set up the host (admin init --auto)", cli_admin },
  { "remote", NULL, "Manage the servers the CLI can drive (LXD's REST API)", cli_remote },
  { "oci", NULL, "Run containers from OCI bundles, as runc does (spec)", cli_oci },
};

#define N_GROUPS (sizeof (groups) / sizeof (groups[0]))

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
  for (i = 0; i < N_GROUPS; i++)
    printf ("  %-10s %s\n", groups[i].name, groups[i].summary);
  printf ("  help       Print help\n"
          "  version    Print the version\n\n"
          "Flags:\n"
          "  -h, --help      Print help\n"
          "      --version   Print the version\n"
          "      --project P LXD's project: only `default` (minictr has no other)\n"
          "      --force-local  Accepted (the local store is used directly, never through a server)\n\n"
          "Names may carry LXD's remote prefix: `local:` (local:c1, local:c1/etc/hosts), or\n"
          "a remote added with `minictr remote add` (r1:c1).\n\n"
          "Use \"minictr <command> --help\" for more about a command.\n");
}

/* Run the container command or group NAME; *FOUND false when NAME is
 * neither.  */
static int
run_top (const char *name, int argc, char **argv, bool *found, mc_error_t *err)
{
  size_t i;

  *found = true;
  for (i = 0; i < cli_container_commands_n; i++)
    if (strcmp (name, cli_container_commands[i].name) == 0
        || (cli_container_commands[i].alias && strcmp (name, cli_container_commands[i].alias) == 0))
      return cli_container_commands[i].run (&cli_container_commands[i], argc, argv, err);
  for (i = 0; i < N_GROUPS; i++)
    if (strcmp (name, groups[i].name) == 0 || (groups[i].alias && strcmp (name, groups[i].alias) == 0))
      return groups[i].run (argc, argv, err);
  *found = false;
  return 0;
}

int
main (int argc, char **argv)
{
  mc_error_t err = NULL;
  const char *cmd;

  bool found;
  int r;

  /* Kept whole, before the shifts below, for mc_selfexe_ensure_sealed.  */
  mc_selfexe_set_argv (argv);
  /* Whoever takes a container's lock first finishes or undoes what a
   * command killed on its way left (docs/RELIABILITY.md).  */
  mc_container_set_recover (mc_snapshot_recover);
  /* As `minictr-runc`, runc's command line: `minictr oci ...`.  */
  if (strcmp (strrchr (argv[0], '/') ? strrchr (argv[0], '/') + 1 : argv[0], "minictr-runc") == 0)
    {
      argv[0] = (char *) "oci";
      return cli_oci (argc, argv, &err) < 0 ? mc_error_report (&err) : (fflush (stdout) == 0 ? 0 : 1);
    }

  /* LXD's global flags before the command: `lxc --project default exec ...`. */
  while (argc > 1 && (strncmp (argv[1], "--project", 9) == 0 || strcmp (argv[1], "--force-local") == 0))
    {
      const char *value = NULL;
      int used = 1;

      if (strncmp (argv[1], "--project=", 10) == 0)
        value = argv[1] + 10;
      else if (strcmp (argv[1], "--project") == 0)
        {
          if (argc < 3)
            {
              mc_make_usage_error (&err, "flag `--project` needs a value");
              return mc_error_report (&err);
            }
          value = argv[2];
          used = 2;
        }
      else if (strcmp (argv[1], "--force-local") != 0)
        break;
      if (cli_global_flag (value ? "--project" : argv[1], value, &err) < 0)
        return mc_error_report (&err);
      argv[used] = argv[0];
      argv += used;
      argc -= used;
    }
  cmd = argc > 1 ? argv[1] : "help";
  if (strcmp (cmd, "help") == 0 || strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0)
    {
      /* `help COMMAND` is `COMMAND --help`.  */
      if (argc > 2 && strcmp (cmd, "help") == 0)
        {
          char *args[] = { argv[2], (char *) "--help", NULL };

          r = run_top (argv[2], 2, args, &found, &err);
          if (found)
            return r < 0 ? mc_error_report (&err) : 0;
        }
      print_help ();
      return 0;
    }
  if (strcmp (cmd, "version") == 0 || strcmp (cmd, "--version") == 0)
    {
      printf ("%s\n", MINICTR_VERSION);
      return 0;
    }
  r = run_top (cmd, argc - 1, argv + 1, &found, &err);
  if (found)
    {
      if (r < 0)
        return mc_error_report (&err);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  if (cmd[0] == '-')
    mc_make_usage_error (&err, "unknown flag `%s` (see `minictr --help`)", cmd);
  else
    mc_make_usage_error (&err, "unknown command `%s` (see `minictr --help`)", cmd);
  return mc_error_report (&err);
}
