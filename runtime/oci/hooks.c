/* OCI hooks (runtime-spec's Hook): a program with its args, env and
 * timeout, the container's state on its stdin.  */

#include "runtime/oci/hooks.h"
#include "lib/cleanup.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

json_t *
mc_oci_hook_state (json_t *annotations, const char *id, const char *status, pid_t pid, const char *bundle)
{
  return json_pack ("{s:s, s:s, s:s, s:i, s:s, s:o}", "ociVersion", "1.0.2", "id", id, "status", status, "pid",
                    (int) pid, "bundle", bundle, "annotations", annotations ? json_incref (annotations) : json_object ());
}

static int run_hook (json_t *h, const char *kind, size_t i, const char *text, mc_error_t *err);

static long long
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
mc_oci_run_hooks (json_t *hooks, const char *kind, json_t *state, bool warn_all, mc_error_t *err)
{
  cleanup_free char *text = json_dumps (state, JSON_COMPACT);
  json_t *h;
  size_t i;

  json_array_foreach (json_object_get (hooks, kind), i, h)
    {
      mc_error_t e = NULL;

      if (run_hook (h, kind, i, text, warn_all ? &e : err) == 0)
        continue;
      if (!warn_all)
        return -1;
      fprintf (stderr, "minictr: warning: %s\n", e->msg);
      mc_error_release (&e);
    }
  return 0;
}

static int
run_hook (json_t *h, const char *kind, size_t i, const char *text, mc_error_t *err)
{
  const char *path = json_string_value (json_object_get (h, "path"));
  json_t *args = json_object_get (h, "args"), *env = json_object_get (h, "env"), *v;
  json_int_t timeout = json_integer_value (json_object_get (h, "timeout"));
  cleanup_free char **argv = xmalloc0 ((json_array_size (args) + 2) * sizeof (char *));
  cleanup_free char **envp = xmalloc0 ((json_array_size (env) + 1) * sizeof (char *));
  cleanup_close int pidfd = -1;
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  int fds[2], status;
  size_t j;
  pid_t pid;

  json_array_foreach (args, j, v)
    argv[j] = (char *) json_string_value (v);
  if (argv[0] == NULL)
    argv[0] = (char *) path;
  json_array_foreach (env, j, v)
    envp[j] = (char *) json_string_value (v);
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == 0)
    {
      if (dup2 (fds[0], 0) < 0)
        _exit (126);
      mc_close_fds_from (3, -1, true);
      execve (path, argv, envp);
      fprintf (stderr, "minictr: hook `%s`: %s\n", path, strerror (errno));
      _exit (127);
    }
  close (fds[0]);
  if (pid < 0)
    {
      close (fds[1]);
      return mc_make_error (err, errno, "fork");
    }
  /* The state written as the hook reads it, within its timeout too (a
     hook that reads nothing must not hold us past it); one that closes
     the pipe gets no more, and no SIGPIPE for us.  */
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  sigaction (SIGPIPE, &ign, &old);
  fcntl (fds[1], F_SETFL, O_NONBLOCK);
  {
    size_t len = strlen (text), done = 0;
    long long deadline = timeout > 0 ? now_ms () + (long long) timeout * 1000 : -1;
    bool ended = false, timed_out = false;

    while (!ended && !timed_out)
      {
        struct pollfd p[2] = { { done < len ? fds[1] : -1, POLLOUT, 0 }, { pidfd, POLLIN, 0 } };
        long long left = deadline < 0 ? -1 : deadline - now_ms ();
        int r;

        if (done >= len && fds[1] >= 0)
          {
            close (fds[1]);
            fds[1] = -1;
          }
        if (pidfd < 0 && done >= len)
          break; /* (no pidfd: wait without a timeout)  */
        if (deadline >= 0 && left <= 0)
          {
            timed_out = true;
            break;
          }
        r = poll (p, 2, (int) left);
        if (r < 0 && errno != EINTR)
          break;
        if (r <= 0)
          continue;
        if (p[1].revents)
          ended = true;
        if (p[0].revents)
          {
            ssize_t n = write (fds[1], text + done, len - done);

            if (n > 0)
              done += (size_t) n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
              {
                if (errno != EPIPE)
                  mc_make_error (err, errno, "write the state to hook `%s`", path);
                done = len;
              }
          }
      }
    sigaction (SIGPIPE, &old, NULL);
    if (fds[1] >= 0)
      close (fds[1]);
    if (timed_out)
      {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        mc_error_release (err);
        return mc_make_error (err, ETIMEDOUT, "`hooks.%s[%zu]` `%s` did not end in %lld s", kind, i, path,
                              (long long) timeout);
      }
  }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return mc_make_error (err, errno, "waitpid");
  if (*err)
    return -1;
  if (WIFSIGNALED (status))
    return mc_make_error (err, 0, "`hooks.%s[%zu]` `%s` was killed by signal %d", kind, i, path,
                          WTERMSIG (status));
  if (WEXITSTATUS (status) != 0)
    return mc_make_error (err, 0, "`hooks.%s[%zu]` `%s` exited with %d", kind, i, path, WEXITSTATUS (status));
  return 0;
}
