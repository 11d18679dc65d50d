/* `minictr oci ...` (or minictr called as `minictr-runc`): runc's command
 * line over minictr's start path, for the OCI tools that drive a runtime
 * (podman, containerd): runc's global flags, then `spec`, `create`,
 * `start`, `exec`, `state`, `kill`, `pause`, `resume`, `ps`, `update`,
 * `features`, `delete`
 * (runtime/oci/).  */
#include "cli/cli.h"
#include "runtime/oci/bundle.h"
#include "runtime/oci/runc.h"
#include "runtime/oci/seccomp.h"
#include "lib/selfexe.h"
#include "lib/utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* runc's global flags.  */
static struct
{
  const char *root;
  const char *log;
  bool log_json;
  bool systemd_cgroup;
} g = { MC_OCI_DEFAULT_ROOT, NULL, false, false };

static const struct cli_flag spec_flags[] = {
  { "bundle", 'b', true },
  { "rootless", 0, false },
  { NULL, 0, false },
};

static int
oci_spec (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *spec = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int dirfd = -1;
  const char *dir;

  CLI_PARSE (cmd, argc, argv, &a, err);
  dir = cli_value (&a, "bundle") ? cli_value (&a, "bundle") : ".";
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return mc_make_error (err, errno, "bundle `%s`", dir);
  if (faccessat (dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return mc_make_error (err, 0, "`%s/config.json` exists: remove it first", dir);
  spec = mc_oci_spec_default (cli_has (&a, "rootless"), getuid (), getgid ());
  text = json_dumps (spec, JSON_INDENT (2));
  if (text == NULL)
    return mc_make_error (err, ENOMEM, "config.json");
  return mc_write_file_atomic_at (dirfd, "config.json", text, strlen (text), 0644, err);
}

static const struct cli_flag create_flags[] = {
  { "bundle", 'b', true },
  { "pid-file", 0, true },
  { "console-socket", 0, true },
  { "no-pivot", 0, false },
  { "no-new-keyring", 0, false },
  { "preserve-fds", 0, true },
  { NULL, 0, false },
};

static int
oci_create (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_value (&a, "preserve-fds") && strcmp (cli_value (&a, "preserve-fds"), "0") != 0)
    return mc_make_usage_error (err, "--preserve-fds is not supported by minictr yet");
  /* Its process runs a program of the container's, whose root may well
   * be the host's: from a sealed copy of the binary (lib/selfexe.h).  */
  if (mc_selfexe_ensure_sealed (err) < 0)
    return -1;
  return mc_oci_create (g.root, argv[a.first], cli_value (&a, "bundle") ? cli_value (&a, "bundle") : ".",
                        cli_value (&a, "pid-file"), cli_value (&a, "console-socket"), g.systemd_cgroup, err);
}

static const struct cli_flag update_flags[] = {
  { "resources", 'r', true }, { "memory", 'm', true }, { "memory-swap", 0, true }, { "pids-limit", 0, true },
  { NULL, 0, false },
};

/* A size of runc's flags: bytes, or with a unit (minictr's, or docker's
 * k, m, g); -1 for none.  */
static int
flag_size (const char *flag, const char *s, json_int_t *out, mc_error_t *err)
{
  static const char *const docker[] = { "k", "m", "g", "K", "M", "G" };
  uint64_t v;
  size_t i;
  char *end;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  errno = 0;
  v = strtoull (s, &end, 10);
  for (i = 0; end != s && *end && i < sizeof (docker) / sizeof (docker[0]); i++)
    if (strcmp (end, docker[i]) == 0 && v < (UINT64_C (1) << 33))
      {
        *out = (json_int_t) (v << (10 * (i % 3 + 1)));
        return 0;
      }
  if (mc_parse_size (s, &v, err) < 0)
    return mc_error_prefix (err, "--%s", flag);
  if (v > INT64_MAX)
    return mc_make_error (err, 0, "--%s `%s`: too large", flag, s);
  *out = (json_int_t) v;
  return 0;
}

/* runc's `update`: --resources FILE (or - for stdin), a LinuxResources
 * object, or the flags.  */
static int
oci_update (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *res = NULL;
  const char *file;
  json_error_t jerr;
  json_int_t n;

  CLI_PARSE (cmd, argc, argv, &a, err);
  file = cli_value (&a, "resources");
  if (file && (cli_has (&a, "memory") || cli_has (&a, "memory-swap") || cli_has (&a, "pids-limit")))
    return mc_make_usage_error (err, "--resources gives the resources whole: not with --memory, --memory-swap or --pids-limit");
  if (file)
    {
      res = strcmp (file, "-") == 0 ? json_loadf (stdin, JSON_REJECT_DUPLICATES, &jerr)
                                    : json_load_file (file, JSON_REJECT_DUPLICATES, &jerr);
      if (res == NULL)
        return mc_make_error (err, 0, "--resources `%s`: line %d: %s", file, jerr.line, jerr.text);
    }
  else
    {
      res = json_object ();
      if (cli_value (&a, "memory") || cli_value (&a, "memory-swap"))
        json_object_set_new (res, "memory", json_object ());
      if (cli_value (&a, "memory"))
        {
          if (flag_size ("memory", cli_value (&a, "memory"), &n, err) < 0)
            return -1;
          json_object_set_new (json_object_get (res, "memory"), "limit", json_integer (n));
        }
      if (cli_value (&a, "memory-swap"))
        {
          if (flag_size ("memory-swap", cli_value (&a, "memory-swap"), &n, err) < 0)
            return -1;
          json_object_set_new (json_object_get (res, "memory"), "swap", json_integer (n));
        }
      if (cli_value (&a, "pids-limit"))
        {
          char *end;

          errno = 0;
          n = strtoll (cli_value (&a, "pids-limit"), &end, 10);
          if (errno || *end || end == cli_value (&a, "pids-limit"))
            return mc_make_usage_error (err, "--pids-limit `%s`: not a number", cli_value (&a, "pids-limit"));
          json_object_set_new (res, "pids", json_pack ("{s:I}", "limit", n));
        }
      if (json_object_size (res) == 0)
        return mc_make_usage_error (err, "update: nothing to change (--resources, --memory, --memory-swap, --pids-limit)");
    }
  return mc_oci_update (g.root, argv[a.first], res, err);
}

/* runc's `features`: what this runtime carries out, for its callers to
 * choose with (runtime-spec's features document).  */
static int
oci_features (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *doc = NULL;
  cleanup_free char *text = NULL;
  json_t *caps;
  int i;

  CLI_PARSE (cmd, argc, argv, &a, err);
  caps = json_array ();
  /* The running kernel's, as libcap knows them.  */
  for (i = 0; i < (int) cap_max_bits (); i++)
    {
      char *name = cap_to_name ((cap_value_t) i), *p;

      if (name)
        {
          for (p = name; *p; p++)
            *p = (char) toupper ((unsigned char) *p);
          json_array_append_new (caps, json_string (name));
          cap_free (name);
        }
    }
  doc = json_pack ("{s:s, s:s, s:[s,s,s,s,s,s], s:[s,s,s,s,s,s,s,s,s,s,s,s], s:{s:[s,s,s,s,s,s,s], s:o, s:{s:b, s:b, s:b, s:b}, "
                   "s:o, s:{s:b}, s:{s:b}}}",
                   "ociVersionMin", "1.0.0", "ociVersionMax", "1.0.2", "hooks", "prestart", "createRuntime",
                   "createContainer", "startContainer", "poststart", "poststop", "mountOptions", "bind", "rbind", "ro",
                   "rw", "nosuid", "nodev", "noexec", "exec", "private", "rprivate", "slave", "rslave", "linux",
                   "namespaces", "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "capabilities", caps,
                   "cgroup", "v1", 1, "v2", 1, "systemd", 1, "systemdUser", 0, "seccomp", mc_oci_seccomp_features (), "apparmor",
                   "enabled", 0, "selinux", "enabled", 0);
  text = json_dumps (doc, JSON_INDENT (2));
  if (text == NULL)
    return mc_make_error (err, ENOMEM, "features");
  printf ("%s\n", text);
  return 0;
}

static const struct cli_flag exec_flags[] = {
  { "process", 'p', true },  { "detach", 'd', false }, { "tty", 't', false },       { "console-socket", 0, true },
  { "pid-file", 0, true },   { "cwd", 0, true },       { "env", 'e', true },        { "user", 'u', true },
  { "preserve-fds", 0, true }, { NULL, 0, false },
};

static int
oci_exec (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_oci_exec_opts o = { 0 };
  int status = 0;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_value (&a, "preserve-fds") && strcmp (cli_value (&a, "preserve-fds"), "0") != 0)
    return mc_make_usage_error (err, "--preserve-fds is not supported by minictr yet");
  /* Its process runs a program of the container's, whose root may well
   * be the host's: from a sealed copy of the binary (lib/selfexe.h).  */
  if (mc_selfexe_ensure_sealed (err) < 0)
    return -1;
  o.process = cli_value (&a, "process");
  if (o.process && (a.n > 1 || cli_has (&a, "cwd") || cli_has (&a, "env") || cli_has (&a, "user")))
    return mc_make_usage_error (err, "--process gives the whole process: no command, --cwd, --env or --user with it");
  o.args = argv + a.first + 1;
  o.cwd = cli_value (&a, "cwd");
  o.user = cli_value (&a, "user");
  o.env = (char **) cli_values (&a, "env", &o.n_env);
  o.tty = cli_has (&a, "tty");
  o.detach = cli_has (&a, "detach");
  o.pid_file = cli_value (&a, "pid-file");
  o.console_socket = cli_value (&a, "console-socket");
  if (mc_oci_exec (g.root, argv[a.first], &o, &status, err) < 0)
    return -1;
  fflush (stdout);
  /* Attached, the process's end is ours, as with runc.  */
  exit (status);
}

static int
oci_start (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  return mc_oci_start (g.root, argv[a.first], err);
}

static int
oci_state (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *state = NULL;
  cleanup_free char *text = NULL;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if ((state = mc_oci_state (g.root, argv[a.first], err)) == NULL)
    return -1;
  text = json_dumps (state, JSON_INDENT (2));
  printf ("%s\n", text);
  return 0;
}

/* A signal by name (KILL, SIGKILL) or number.  */
static int
parse_signal (const char *s, mc_error_t *err)
{
  char *end;
  long n;
  int i;

  n = strtol (s, &end, 10);
  if (*s && *end == '\0' && n > 0 && n < NSIG)
    return (int) n;
  if (strncmp (s, "SIG", 3) == 0)
    s += 3;
  for (i = 1; i < NSIG; i++)
    if (sigabbrev_np (i) && strcmp (sigabbrev_np (i), s) == 0)
      return i;
  return mc_make_usage_error (err, "unknown signal `%s`", s);
}

static const struct cli_flag kill_flags[] = { { "all", 'a', false }, { NULL, 0, false } };

static int
oci_kill (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  int sig = SIGTERM;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.n == 2 && (sig = parse_signal (argv[a.first + 1], err)) < 0)
    return -1;
  return mc_oci_kill (g.root, argv[a.first], sig, cli_has (&a, "all"), err);
}

static const struct cli_flag delete_flags[] = { { "force", 'f', false }, { NULL, 0, false } };

static int
oci_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  return mc_oci_delete (g.root, argv[a.first], cli_has (&a, "force"), err);
}

static int
oci_pause (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  return mc_oci_pause (g.root, argv[a.first], strcmp (cmd->name, "pause") == 0, err);
}

static const struct cli_flag ps_flags[] = { { "format", 'f', true }, { NULL, 0, false } };

/* runc's `ps`: --format json, the PIDs; table (the default), a PID and
 * command line each.  */
static int
oci_ps (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *pids = NULL;
  const char *format;
  json_t *v;
  size_t i;

  CLI_PARSE (cmd, argc, argv, &a, err);
  format = cli_value (&a, "format") ? cli_value (&a, "format") : "table";
  if (strcmp (format, "json") != 0 && strcmp (format, "table") != 0)
    return mc_make_usage_error (err, "--format: `table` or `json`, not `%s`", format);
  if ((pids = mc_oci_pids (g.root, argv[a.first], err)) == NULL)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      cleanup_free char *text = json_dumps (pids, JSON_COMPACT);

      printf ("%s\n", text);
      return 0;
    }
  printf ("PID CMD\n");
  json_array_foreach (pids, i, v)
    {
      cleanup_free char *path = xasprintf ("/proc/%lld/cmdline", (long long) json_integer_value (v));
      cleanup_free char *line = NULL;
      mc_error_t e = NULL;
      size_t len = 0, j;

      if (mc_read_file_at (AT_FDCWD, path, 4096, &line, &len, &e) < 0)
        {
          mc_error_release (&e);
          continue;
        }
      for (j = 0; j + 1 < len; j++)
        if (line[j] == '\0')
          line[j] = ' ';
      printf ("%lld %s\n", (long long) json_integer_value (v), line);
    }
  return 0;
}

static const struct cli_command oci_commands[] = {
  { "spec", "oci spec", NULL, "oci spec [--rootless] [--bundle DIR]",
    "Write a new config.json for an OCI bundle, as runc's `spec`\n\n"
    "`sh` on a terminal, in DIR/rootfs (read-only), with new namespaces, the usual\n"
    "mounts and masks, and three capabilities.  An existing config.json is kept.",
    "Flags:\n"
    "  -b, --bundle DIR   The bundle directory (default: the current one)\n"
    "      --rootless     For a user without root: a user namespace mapping root to\n"
    "                     you, /sys bound from the host, no cgroup settings\n",
    oci_spec, spec_flags, 0, 0, false, 0, NULL },
  { "create", "oci create", NULL, "oci create [--bundle DIR] [--pid-file FILE] ID",
    "Create a container from an OCI bundle: its process waits for `start`\n\n"
    "The bundle's config.json is read whole first: what minictr does not carry out\n"
    "is refused by name.  The container's process is this command's child, and\n"
    "its subreaper's once it exits.",
    "Flags:\n"
    "  -b, --bundle DIR         The bundle directory (default: the current one)\n"
    "      --pid-file FILE      Write the process's PID there\n"
    "      --console-socket S   Where to send the terminal's master (a unix socket),\n"
    "                           with `process.terminal`\n"
    "      --no-pivot, --no-new-keyring\n"
    "                           Accepted (minictr always pivots, and never makes a\n"
    "                           session keyring)\n"
    "      --preserve-fds N     Only 0\n",
    oci_create, create_flags, 1, 1, false, 0, NULL },
  { "start", "oci start", NULL, "oci start ID", "Let a created container's process run", NULL, oci_start, NULL,
    1, 1, false, 0, NULL },
  { "exec", "oci exec", NULL, "oci exec [flags] ID [COMMAND [ARG...]]",
    "Run another process in a created or running container\n\n"
    "In all its namespaces and its cgroup, as --process FILE (a runtime-spec Process)\n"
    "says, or as the bundle's process with COMMAND and the flags' changes.  Attached,\n"
    "its exit status is this command's.",
    "Flags:\n"
    "  -p, --process FILE       The process (JSON), whole\n"
    "  -d, --detach             Return once it runs (its PID becomes the subreaper's)\n"
    "  -t, --tty                On a terminal: its master sent to --console-socket, or\n"
    "                           (attached, without it) through this command's stdio\n"
    "      --console-socket S   Where to send the terminal's master (a unix socket)\n"
    "      --pid-file FILE      Write its PID there\n"
    "      --cwd DIR            Its working directory (without --process)\n"
    "  -e, --env K=V            Add to its environment (without --process)\n"
    "  -u, --user UID[:GID]     Its user (without --process)\n"
    "      --preserve-fds N     Only 0\n",
    oci_exec, exec_flags, 1, CLI_ANY, true, 0, NULL },
  { "state", "oci state", NULL, "oci state ID",
    "Print a container's OCI state (JSON): status created, running, paused or stopped", NULL, oci_state, NULL, 1,
    1, false, 0, NULL },
  { "kill", "oci kill", NULL, "oci kill [--all] ID [SIGNAL]",
    "Send a signal (default SIGTERM) to a container's process", "Flags:\n  -a, --all   To every process of its cgroup\n",
    oci_kill, kill_flags, 1, 2, false, 0, NULL },
  { "pause", "oci pause", NULL, "oci pause ID", "Freeze every process of a running container (its cgroup)", NULL,
    oci_pause, NULL, 1, 1, false, 0, NULL },
  { "resume", "oci resume", NULL, "oci resume ID", "Thaw a paused container", NULL, oci_pause, NULL, 1, 1, false, 0,
    NULL },
  { "ps", "oci ps", NULL, "oci ps [--format table|json] ID",
    "List a container's processes (host PIDs)",
    "Flags:\n  -f, --format F   table (PID and command line; the default) or json (the PIDs)\n", oci_ps, ps_flags,
    1, 1, false, 0, NULL },
  { "update", "oci update", NULL, "oci update [--resources FILE|-] [--memory N] [--memory-swap N] [--pids-limit N] ID",
    "Change a running container's limits",
    "Those given change, the others stay.\n\n"
    "Flags:\n"
    "  -r, --resources FILE   A runtime-spec LinuxResources object (JSON; - for stdin):\n"
    "                         memory.limit, memory.swap, pids.limit (-1: none), cpu\n"
    "                         shares, quota, period, cpus, mems\n"
    "  -m, --memory N         Its memory limit, in bytes or with a unit (64m, 64MiB)\n"
    "      --memory-swap N    Memory and swap together\n"
    "      --pids-limit N     Its processes at most\n",
    oci_update, update_flags, 1, 1, false, 0, NULL },
  { "features", "oci features", NULL, "oci features",
    "Print what this runtime carries out (the runtime-spec features JSON)", NULL, oci_features, NULL, 0, 0, false,
    0, NULL },
  { "delete", "oci delete", NULL, "oci delete [--force] ID",
    "Delete a stopped (or created) container: its cgroup and state", "Flags:\n  -f, --force   A running one too (killed)\n",
    oci_delete, delete_flags, 1, 1, false, 0, NULL },
};

/* runc's --log: errors also go there, as text or as runc's JSON lines
 * (conmon and containerd read them).  */
static void
log_error (const char *msg)
{
  char when[64];
  FILE *f;

  if (g.log == NULL || (f = fopen (g.log, "ae")) == NULL)
    return;
  mc_format_time ((int64_t) time (NULL), when, sizeof (when));
  if (g.log_json)
    {
      cleanup_json json_t *line = json_pack ("{s:s, s:s, s:s}", "level", "error", "msg", msg, "time", when);
      cleanup_free char *text = json_dumps (line, JSON_COMPACT);

      fprintf (f, "%s\n", text);
    }
  else
    fprintf (f, "%s error: %s\n", when, msg);
  fclose (f);
}

int
cli_oci (int argc, char **argv, mc_error_t *err)
{
  int r;

  /* The global flags, before the command.  */
  while (argc > 1 && strncmp (argv[1], "--", 2) == 0 && argv[1][2])
    {
      const char *flag = argv[1] + 2, *eq = strchr (flag, '='), *value = eq ? eq + 1 : NULL;
      size_t len = eq ? (size_t) (eq - flag) : strlen (flag);
      bool takes = (len == 4 && strncmp (flag, "root", 4) == 0) || (len == 3 && strncmp (flag, "log", 3) == 0)
                   || (len == 10 && strncmp (flag, "log-format", 10) == 0);
      int used = 1;

      if (strcmp (flag, "help") == 0)
        break;
      if (takes && value == NULL)
        {
          if (argc < 3)
            return mc_make_usage_error (err, "flag `--%s` needs a value", flag);
          value = argv[2];
          used = 2;
        }
      if (len == 4 && strncmp (flag, "root", 4) == 0)
        g.root = value;
      else if (len == 3 && strncmp (flag, "log", 3) == 0)
        g.log = value;
      else if (len == 10 && strncmp (flag, "log-format", 10) == 0)
        {
          if (strcmp (value, "json") != 0 && strcmp (value, "text") != 0)
            return mc_make_usage_error (err, "--log-format: `json` or `text`, not `%s`", value);
          g.log_json = strcmp (value, "json") == 0;
        }
      else if (strcmp (flag, "systemd-cgroup") == 0)
        g.systemd_cgroup = true;
      else if (strcmp (flag, "debug") != 0)
        return mc_make_usage_error (err, "unknown flag `--%.*s` (see `minictr oci --help`)", (int) len, flag);
      argv[used] = argv[0];
      argv += used;
      argc -= used;
    }
  optind = 0;
  r = cli_dispatch ("oci", "Run containers from OCI bundles, as runc does.\n\n"
                    "Global flags (before the command): --root DIR (default " MC_OCI_DEFAULT_ROOT "), --log FILE,\n"
                    "--log-format text|json, --systemd-cgroup (a cgroupsPath SLICE:PREFIX:NAME is systemd's scope\n"
                    "PREFIX-NAME.scope in SLICE, on a systemd host with cgroup2 alone), --debug.",
                    oci_commands, sizeof (oci_commands) / sizeof (oci_commands[0]), argc, argv, err);
  if (r < 0 && *err)
    log_error ((*err)->msg);
  return r;
}
