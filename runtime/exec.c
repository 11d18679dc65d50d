/* exec: the CLI forks a helper that joins, through init's pidfd, all the
 * container's namespaces at once (setns with a pidfd, Linux 5.8+).
 * Joining a PID namespace only places future children in it, so the
 * helper forks the command itself, which joins the container's cgroup
 * (the one init is in, in a tree the container organises).  The helper is made
 * non-dumpable before it enters: it still holds host file descriptors and
 * is the host's minictr binary, which a process of the container must
 * never reach through /proc (the CVE-2019-5736 class).  */
#include "runtime/exec.h"
#include "images/fingerprint.h"
#include "images/manage.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "lib/paths.h"
#include "runtime/security.h"
#include "runtime/config/stacking.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct exec_ctx
{
  const struct mc_exec_request *req;
  char **envp;
  json_t *config;     /* the expanded `config`: its seccomp keys */
  int init_pidfd;
  int ns_flags;
  struct mc_cgroup *cg;
  int *cg_fds;
  size_t n_cg_fds;
  int sock;           /* helper -> CLI: pty master, then the status */
};

/* ---- environment ---------------------------------------------------------- */

static void
env_set (char ***envp, size_t *n, const char *kv)
{
  size_t klen = strcspn (kv, "="), i;

  for (i = 0; i < *n; i++)
    if (strncmp ((*envp)[i], kv, klen) == 0 && (*envp)[i][klen] == '=')
      {
        free ((*envp)[i]);
        (*envp)[i] = xstrdup (kv);
        return;
      }
  *envp = xrealloc (*envp, sizeof (char *) * (*n + 2));
  (*envp)[(*n)++] = xstrdup (kv);
  (*envp)[*n] = NULL;
}

/* LXD's defaults, then an OCI image's Env (IMAGE_ENV, may be NULL), then
 * environment.* from the config, then --env.  */
static char **
build_env (json_t *cfg, json_t *image_env, const struct mc_exec_request *req)
{
  char **envp = NULL;
  size_t n = 0, i;
  const char *key, *term = getenv ("TERM");
  json_t *v;

  env_set (&envp, &n, "PATH=" DEFAULT_PATH);
  env_set (&envp, &n, req->uid == 0 ? "HOME=/root" : "HOME=/");
  env_set (&envp, &n, "USER=root");
  env_set (&envp, &n, "LANG=C.UTF-8");
  if (req->pty && term)
    {
      cleanup_free char *t = xasprintf ("TERM=%s", term);
      env_set (&envp, &n, t);
    }
  json_array_foreach (image_env, i, v)
    if (json_string_value (v) && strchr (json_string_value (v), '=') != NULL)
      env_set (&envp, &n, json_string_value (v));
  json_object_foreach (json_object_get (cfg, "config"), key, v)
    if (mc_str_has_prefix (key, "environment.") && json_is_string (v))
      {
        cleanup_free char *kv = xasprintf ("%s=%s", key + 12, json_string_value (v));
        env_set (&envp, &n, kv);
      }
  for (i = 0; i < req->n_env; i++)
    env_set (&envp, &n, req->env[i]);
  return envp;
}

/* ---- inside the container ------------------------------------------------ */

static int
send_status (int sock, int status)
{
  char text[32];

  snprintf (text, sizeof (text), "%d", status);
  return mc_sync_send (sock, MC_SYNC_GO, 0, text, -1);
}

/* Open a pty on the container's own devpts (so `tty` inside names
 * /dev/pts/N) and hand the master to the CLI.  Returns the master.  */
static int
container_pty (int sock, mc_error_t *err)
{
  int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

  if (master < 0 || unlockpt (master) < 0)
    return mc_make_error (err, errno, "open the container's /dev/ptmx");
  if (mc_sync_send (sock, MC_SYNC_ROOTFS, 0, NULL, master) < 0)
    return mc_make_error (err, errno, "pass the pty");
  return master;
}

static int
take_pty (int master, mc_error_t *err)
{
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  int i;

  if (slave < 0)
    return mc_make_error (err, errno, "open the pty slave");
  if (setsid () < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
    return mc_make_error (err, errno, "make the pty the controlling terminal");
  for (i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return mc_make_error (err, errno, "dup2 the pty");
  close (slave);
  return 0;
}

static int
drop_to (const struct mc_exec_request *req, mc_error_t *err)
{
  if (setgroups (0, NULL) < 0 || setresgid (req->gid, req->gid, req->gid) < 0
      || setresuid (req->uid, req->uid, req->uid) < 0)
    return mc_make_error (err, errno, "switch to uid %u gid %u", (unsigned) req->uid,
                          (unsigned) req->gid);
  return 0;
}

/* Shell conventions: 127 not found, 126 found but not executable.  */
__attribute__ ((noreturn)) static void
run_command (struct exec_ctx *x, int master)
{
  const struct mc_exec_request *req = x->req;
  const char *cwd = req->cwd ? req->cwd : (req->uid == 0 ? "/root" : "/");
  mc_error_t err = NULL;
  int code;

  /* Only the command joins the container's cgroup: the helper stays out
   * of the container's PID namespace, and a process the container cannot
   * see (PID 0 in its cgroup.procs) would trip systemd up.  The fds were
   * opened by the CLI, whose credentials the kernel checks.  */
  if (mc_cgroup_enter_self (x->cg_fds, x->n_cg_fds, &err) < 0
      || (master >= 0 && take_pty (master, &err) < 0)
      /* No pty: a session of its own, with no controlling terminal.  */
      || (master < 0 && setsid () < 0 && mc_make_error (&err, errno, "setsid") < 0)
      || (chdir (cwd) < 0 && (req->cwd || chdir ("/") < 0)
          && mc_make_error (&err, errno, "chdir `%s`", cwd) < 0)
      || mc_caps_drop_default (&err) < 0
      /* The filter first: loading it needs CAP_SYS_ADMIN (no NNP), which
       * a non-root --user no longer has.  */
      || mc_seccomp_apply (x->config, &err) < 0 || drop_to (req, &err) < 0
      /* A credential change resets "dumpable" to fs.suid_dumpable, which
       * a host may set to 1: until execve, we are the host's binary.  */
      || (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 && mc_make_error (&err, errno, "prctl PR_SET_DUMPABLE") < 0))
    {
      fprintf (stderr, "minictr: %s\n", err->msg);
      _exit (126);
    }
  mc_sys_close_range (3, ~0U, CLOSE_RANGE_CLOEXEC);
  execvpe (req->argv[0], req->argv, x->envp);
  code = (errno == ENOENT || errno == ENOTDIR) ? 127 : 126;
  fprintf (stderr, "minictr: exec `%s`: %s\n", req->argv[0], strerror (errno));
  _exit (code);
}

static int
enter (struct exec_ctx *x, mc_error_t *err)
{
  /* Until exec, nothing of the container may ptrace us or open our
   * /proc entries: we hold host fds and are the host's binary.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return mc_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  if (setns (x->init_pidfd, x->ns_flags) < 0)
    return mc_make_error (err, errno, "join the namespaces of `%s`", x->req->name);
  /* Container root, so new ptys and files get mapped owners.  */
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return mc_make_error (err, errno, "become the container's root");
  /* ... which reset "dumpable" (to fs.suid_dumpable): again.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return mc_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  return 0;
}

/* Signals passed on (mc_forward_signals), as LXD's client passes them: a
 * SIGTERM for the CLI (or, through the API's control socket, for the
 * operation) is one for the command, which ends as it chooses to.  The
 * CLI's goes to the helper, the helper's to the command.  */

__attribute__ ((noreturn)) static void
helper_main (struct exec_ctx *x)
{
  mc_error_t err = NULL;
  int master = -1, status;
  pid_t pid;

  if (enter (x, &err) < 0 || (x->req->pty && (master = container_pty (x->sock, &err)) < 0))
    mc_sync_die (x->sock, &err);
  pid = fork ();
  if (pid < 0)
    {
      mc_make_error (&err, errno, "fork");
      mc_sync_die (x->sock, &err);
    }
  if (pid == 0)
    run_command (x, master);
  mc_forward_signals (pid, false);
  if (master >= 0)
    close (master);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  send_status (x->sock, status);
  _exit (0);
}

/* ---- the CLI's side -------------------------------------------------------- */

static volatile sig_atomic_t winch;

static void
on_winch (int sig)
{
  (void) sig;
  winch = 1;
}

static void
copy_winsize (int master)
{
  struct winsize ws;

  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

/* Copy what is readable on FD to OUT; false at EOF or error, ours
 * included (OUT's reader gone: `exec ... | head`).  */
static bool
pass_on (int fd, int out)
{
  char buf[8192];
  ssize_t n = read (fd, buf, sizeof (buf));

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  return mc_write_all (out, buf, (size_t) n) == 0;
}

/* A stream of the command's that ended, or whose reader went: closed, so
 * the command gets SIGPIPE (as it would writing to a closed pipe of its
 * own) rather than a full pipe that blocks it for ever.  */
static void
close_stream (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* What is left in the pipes once the command has ended (a background
 * process it left may hold them open: do not wait for their EOF).  */
static void
drain (int fd, int out)
{
  if (fd < 0)
    return;
  fcntl (fd, F_SETFL, O_NONBLOCK);
  while (pass_on (fd, out))
    {
      struct pollfd p = { fd, POLLIN, 0 };

      if (poll (&p, 1, 0) <= 0 || !(p.revents & POLLIN))
        break;
    }
}

/* Relay until the helper reports, then return its message.  With a pty
 * (MASTER >= 0) the terminal goes both ways through it; without, our
 * stdin goes to IN, and OUT and ERR come back: no fd of ours, a terminal
 * least of all, ever enters the container (a command holding the
 * admin's terminal could push input into it with TIOCSTI, and any
 * process in the container could take it with pidfd_getfd).  ERR also
 * carries, in both modes, what the command's side says before it runs.  */
static int
relay (int master, int *in, bool in_open, int *out, int *errfd, int sock, struct mc_sync_msg *msg, mc_error_t *err)
{
  bool out_open = *out >= 0, err_open = *errfd >= 0;
  char pending[65536];
  int to;
  size_t plen = 0, poff = 0;

  if (master >= 0)
    copy_winsize (master);
  /* Nothing to send (exec -n): the command sees the end of its input.  */
  if (!in_open && master < 0 && *in >= 0)
    {
      close (*in);
      *in = -1;
    }
  to = master >= 0 ? master : *in;
  /* Our stdin goes in as fast as the command takes it, never blocking
   * us: a command that writes while we would wait to write to it (cat)
   * would deadlock with us.  */
  if (to >= 0)
    fcntl (to, F_SETFL, fcntl (to, F_GETFL) | O_NONBLOCK);
  for (;;)
    {
      struct pollfd p[6] = { { sock, POLLIN, 0 }, { master, POLLIN, 0 },
                             { out_open ? *out : -1, POLLIN, 0 }, { err_open ? *errfd : -1, POLLIN, 0 },
                             { in_open && plen == 0 ? STDIN_FILENO : -1, POLLIN, 0 },
                             { in_open && plen > 0 ? to : -1, POLLOUT, 0 } };
      ssize_t n;

      if (master >= 0 && winch && !(winch = 0))
        copy_winsize (master);
      if (poll (p, 6, -1) < 0 && errno != EINTR)
        return mc_make_error (err, errno, "poll");
      if (p[1].revents & POLLIN)
        (void) pass_on (master, STDOUT_FILENO);
      if (p[2].revents && !(out_open = pass_on (*out, STDOUT_FILENO)))
        close_stream (out);
      if (p[3].revents && !(err_open = pass_on (*errfd, STDERR_FILENO)))
        close_stream (errfd);
      if (p[0].revents && !(p[1].revents & POLLIN))
        break;
      if (p[4].revents)
        {
          n = read (STDIN_FILENO, pending, sizeof (pending));
          if (n > 0)
            plen = (size_t) n, poff = 0;
          else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            in_open = false;
        }
      if (plen > 0 && (p[5].revents || p[4].revents))
        {
          n = write (to, pending + poff, plen);
          if (n > 0)
            poff += (size_t) n, plen -= (size_t) n;
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            in_open = false;
        }
      /* EOF for the command (with a pty, the line discipline's job).  */
      if (!in_open && master < 0 && *in >= 0)
        {
          close (*in);
          *in = -1;
        }
    }
  drain (out_open ? *out : -1, STDOUT_FILENO);
  drain (err_open ? *errfd : -1, STDERR_FILENO);
  return mc_sync_recv (sock, msg, NULL, err) > 0 ? 0 : mc_make_error (err, 0, "the exec helper died");
}

static int
wait_result (struct exec_ctx *x, int *in, int *out, int *errfd, int *status, mc_error_t *err)
{
  struct mc_sync_msg msg;
  struct termios saved, raw;
  bool tty = false;
  int master = -1, r;

  /* A closed reader (our stdout, the command's stdin) is an EPIPE, not
   * the end of the CLI.  */
  signal (SIGPIPE, SIG_IGN);
  if (x->req->pty)
    {
      r = mc_sync_recv (x->sock, &msg, &master, err);
      if (r > 0 && msg.type == MC_SYNC_ROOTFS && master >= 0)
        {
          tty = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;
          if (tty)
            {
              raw = saved;
              cfmakeraw (&raw);
              tcsetattr (STDIN_FILENO, TCSANOW, &raw);
            }
          signal (SIGWINCH, on_winch);
          int no_out = -1;

          r = relay (master, in, !x->req->no_stdin, &no_out, errfd, x->sock, &msg, err) == 0 ? 1 : -1;
          if (tty)
            tcsetattr (STDIN_FILENO, TCSANOW, &saved);
          close (master);
        }
      else if (r > 0)
        drain (*errfd, STDERR_FILENO);
    }
  else
    r = relay (-1, in, !x->req->no_stdin, out, errfd, x->sock, &msg, err) == 0 ? 1 : -1;
  if (r <= 0)
    return r < 0 ? -1 : mc_make_error (err, 0, "the exec helper died");
  if (msg.type == MC_SYNC_ERROR)
    return mc_make_error (err, 0, "%s", msg.text);
  r = atoi (msg.text);
  *status = WIFSIGNALED (r) ? 128 + WTERMSIG (r) : WEXITSTATUS (r);
  return 0;
}

static int
prepare (struct mc_store *s, struct exec_ctx *x, mc_error_t *err)
{
  struct mc_run_state st;
  cleanup_free char *sub = NULL;
  bool frozen = false;
  mc_error_t e = NULL;
  json_t *cfg;
  int r, dfd = mc_container_open_dir (s, x->req->name, err);

  if (dfd < 0)
    return -1;
  close (dfd);
  /* mc_container_status, with the cgroup opened once.  */
  if ((r = mc_state_read (x->req->name, &st, err)) < 0)
    return -1;
  if (r > 0)
    x->init_pidfd = mc_sys_pidfd_open (st.pid, 0);
  /* Alive after the pidfd was taken: the pidfd is that process's.  */
  if (x->init_pidfd < 0 || !mc_proc_alive (st.pid, st.pid_start))
    return mc_make_error (err, 0, "container `%s` is not running", x->req->name);
  if (mc_container_cgroup_open (x->req->name, &x->cg, err) < 0)
    return -1;
  /* As mc_container_status: a freezer state that cannot be read is
   * not frozen.  */
  if (mc_cgroup_frozen (x->cg, &frozen, &e) < 0)
    mc_error_release (&e);
  if (frozen)
    return mc_make_error (err, 0, "container `%s` is paused", x->req->name);
  x->ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
                | CLONE_NEWCGROUP | (mc_proc_own_userns (st.pid) ? CLONE_NEWUSER : 0);
  if ((cfg = x->req->config ? json_incref (x->req->config) : mc_container_config_expanded (s, x->req->name, err))
      == NULL)
    return -1;
  {
    /* An OCI image's Env (only those images have a config.json: nothing
       more is read for the others).  */
    const char *fp = mc_config_get (cfg, "volatile.base_image", "");
    cleanup_free char *oci = xasprintf ("%s/config.json", fp);
    cleanup_json json_t *img = NULL;
    mc_error_t e2 = NULL;

    if (mc_fingerprint_valid (fp) && faccessat (s->imagesfd, oci, F_OK, AT_SYMLINK_NOFOLLOW) == 0
        && (img = mc_image_oci_config (s, fp, &e2)) == NULL)
      mc_error_release (&e2);
    x->envp = build_env (cfg, json_object_get (img, "Env"), x->req);
  }
  x->config = json_incref (json_object_get (cfg, "config"));
  json_decref (cfg);
  /* Where init is in the cgroup2 tree the container organises (systemd:
   * init.scope): its root may distribute controllers, and then holds no
   * process.  */
  sub = mc_cgroup_unified_sub_of (x->cg, st.pid);
  return mc_cgroup_open_self_move_to (x->cg, false, sub, &x->cg_fds, &x->n_cg_fds, err);
}

/* The helper's fds 0-2, before it joins the container: pipes to the CLI
 * (IN, OUT; /dev/null with a pty) and ERR.  Never the CLI's own.  */
static void
helper_stdio (int in, int out, int errfd)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  if (dup2 (in >= 0 ? in : null, 0) < 0 || dup2 (out >= 0 ? out : null, 1) < 0
      || dup2 (errfd >= 0 ? errfd : null, 2) < 0)
    _exit (126);
  /* The originals are close-on-exec, but the helper does not exec.  */
  if (in > 2)
    close (in);
  if (out > 2)
    close (out);
  if (errfd > 2)
    close (errfd);
}

int
mc_container_exec (struct mc_store *s, const struct mc_exec_request *req, int *status,
                   mc_error_t *err)
{
  struct exec_ctx x = { .req = req, .init_pidfd = -1, .sock = -1 };
  int sv[2] = { -1, -1 }, pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
  int ret = -1, st;
  pid_t pid;
  size_t i;

  if (prepare (s, &x, err) < 0)
    goto out;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2 (perr, O_CLOEXEC) < 0
      || (!req->pty && (pipe2 (pin, O_CLOEXEC) < 0 || pipe2 (pout, O_CLOEXEC) < 0)))
    {
      mc_make_error (err, errno, "socketpair or pipe");
      goto out;
    }
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      /* The CLI's ends: while we held one, the command would never see
       * the end of its stdin.  */
      if (pin[1] >= 0)
        close (pin[1]);
      if (pout[0] >= 0)
        close (pout[0]);
      close (perr[0]);
      helper_stdio (pin[0], pout[1], perr[1]);
      x.sock = sv[1];
      helper_main (&x);
    }
  close (sv[1]);
  sv[1] = -1;
  x.sock = sv[0];
  close (perr[1]);
  perr[1] = -1;
  if (!req->pty)
    {
      close (pin[0]);
      close (pout[1]);
      pin[0] = pout[1] = -1;
    }
  if (pid > 0)
    mc_forward_signals (pid, false);
  ret = pid < 0 ? mc_make_error (err, errno, "fork") : wait_result (&x, &pin[1], &pout[0], &perr[0], status, err);
  if (pid > 0)
    waitpid (pid, &st, 0);
out:
  for (i = 0; i < 2; i++)
    {
      if (sv[i] >= 0 && sv[i] != x.sock)
        close (sv[i]);
      if (pin[i] >= 0)
        close (pin[i]);
      if (pout[i] >= 0)
        close (pout[i]);
      if (perr[i] >= 0)
        close (perr[i]);
    }
  if (x.sock >= 0)
    close (x.sock);
  if (x.init_pidfd >= 0)
    close (x.init_pidfd);
  for (i = 0; x.envp && x.envp[i]; i++)
    free (x.envp[i]);
  free (x.envp);
  json_decref (x.config);
  mc_cgroup_close_self_move (x.cg_fds, x.n_cg_fds);
  mc_cgroup_free (x.cg);
  return ret;
}
