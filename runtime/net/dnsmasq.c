/* dnsmasq for a managed network (dnsmasq.h).  */
#include "runtime/net/dnsmasq.h"
#include "runtime/cgroup/systemd.h"
#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DNSMASQ "/usr/sbin/dnsmasq"

/* /run/minictr[-<id>]/.networks/NAME: dnsmasq reads these files again
 * on SIGHUP, as nobody, so every directory on the way must let it
 * through, which a state dir's ancestors need not (a private temp dir's
 * do not); the run dir is minictr's own.  NULL when it cannot be
 * named.  */
static char *
dir_of (struct mc_store *s, const char *name)
{
  mc_error_t e = NULL;
  const char *run = mc_run_dir (&e);

  (void) s;
  if (run == NULL)
    {
      mc_error_release (&e);
      return xasprintf ("/run/minictr/.networks/%s", name);
    }
  return xasprintf ("%s/.networks/%s", run, name);
}

/* The PID of NAME's dnsmasq, or 0: the pid file's process, if its
 * command line names that pid file (a recycled PID is not ours).  */
static pid_t
running_pid (struct mc_store *s, const char *name)
{
  cleanup_free char *dir = dir_of (s, name), *pidfile = xasprintf ("%s/dnsmasq.pid", dir), *buf = NULL;
  cleanup_free char *cmdline = NULL, *proc = NULL, *want = xasprintf ("--pid-file=%s", pidfile);
  mc_error_t e = NULL;
  size_t len, off;
  long pid;

  if (mc_read_file_at (AT_FDCWD, pidfile, 64, &buf, &len, &e) < 0)
    {
      mc_error_release (&e);
      return 0;
    }
  pid = strtol (buf, NULL, 10);
  if (pid <= 0)
    return 0;
  proc = xasprintf ("/proc/%ld/cmdline", pid);
  if (mc_read_file_at (AT_FDCWD, proc, 1 << 16, &cmdline, &len, &e) < 0)
    {
      mc_error_release (&e);
      return 0;
    }
  for (off = 0; off < len; off += strlen (cmdline + off) + 1)
    if (strcmp (cmdline + off, want) == 0)
      return (pid_t) pid;
  return 0;
}

bool
mc_dnsmasq_running (struct mc_store *s, const char *name)
{
  return running_pid (s, name) > 0;
}

static int
write_file (const char *dir, const char *name, const char *content, mc_error_t *err)
{
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  return mc_write_file_atomic_at (dfd, name, content, strlen (content), 0644, err);
}

static int
make_dir (const char *dir, mc_error_t *err)
{
  cleanup_free char *nets = xstrndup (dir, (size_t) (strrchr (dir, '/') - dir));
  cleanup_free char *run = xstrndup (nets, (size_t) (strrchr (nets, '/') - nets));

  /* dnsmasq, as nobody, must reach its files: the run dir and .networks
     let anyone through (not list them), its own directory is readable.  */
  if (mc_mkdir_p (nets, 0711, err) < 0)
    return -1;
  if (chmod (run, 0711) < 0 || chmod (nets, 0711) < 0)
    return mc_make_error (err, errno, "chmod `%s`", nets);
  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s`", dir);
  if (chmod (dir, 0755) < 0)
    return mc_make_error (err, errno, "chmod `%s`", dir);
  return 0;
}

/* The host's nameservers but loopback ones (a container cannot reach
 * those), comma-separated, for a NAT network's DHCP answer.  */
static char *
host_nameservers (void)
{
  cleanup_free char *conf = NULL;
  char *out = xstrdup (""), *line, *save = NULL;
  mc_error_t e = NULL;
  size_t len;

  if (mc_read_file_at (AT_FDCWD, "/etc/resolv.conf", 1 << 16, &conf, &len, &e) < 0)
    {
      mc_error_release (&e);
      return out;
    }
  for (line = strtok_r (conf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char ip[64], *more;
      struct in_addr a;

      if (sscanf (line, " nameserver %63s", ip) != 1 || inet_pton (AF_INET, ip, &a) != 1
          || (ntohl (a.s_addr) >> 24) == 127)
        continue;
      more = xasprintf ("%s,%s", out, ip);
      free (out);
      out = more;
    }
  return out;
}

static void
child_exec (const struct mc_dnsmasq_net *net, char **argv, int errfd)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  if (null < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (errfd, 2) < 0)
    _exit (126);
  setsid ();
  if (mc_systemd_wanted ())
    {
      mc_error_t e = NULL;
      const char *parent = mc_cgroup_parent (&e);
      cleanup_free char *unit = parent ? xasprintf ("%s_net-%s.scope", parent, net->name) : NULL;
      cleanup_free char *what = xasprintf ("minictr network %s (dnsmasq)", net->name);

      if (unit == NULL || mc_systemd_scope_enter (unit, what, &e) < 0)
        {
          fprintf (stderr, "%s\n", e ? e->msg : "no scope");
          _exit (125);
        }
    }
  mc_sys_close_range (3, ~0U, 0);
  execv (DNSMASQ, argv);
  fprintf (stderr, "cannot run %s (%s): apt-get install dnsmasq-base, or set ipv4.dhcp=false\n", DNSMASQ,
           strerror (errno));
  _exit (127);
}

int
mc_dnsmasq_ensure (struct mc_store *s, const struct mc_dnsmasq_net *net, mc_error_t *err)
{
  cleanup_free char *dir = dir_of (s, net->name), *hosts = NULL, *names = NULL, *ns = NULL;
  char gw[INET_ADDRSTRLEN], base[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
  struct in_addr net_addr, netmask;
  char *argv[40];
  char buf[1024];
  size_t n = 0, i;
  int pfd[2], status;
  ssize_t got;
  pid_t pid;

  if (running_pid (s, net->name) > 0)
    return 0;
  if (make_dir (dir, err) < 0)
    return -1;
  /* Empty host lists until the first start fills them.  */
  hosts = xasprintf ("%s/dhcp-hosts", dir);
  names = xasprintf ("%s/dns-hosts", dir);
  if ((access (hosts, F_OK) < 0 && write_file (dir, "dhcp-hosts", "", err) < 0)
      || (access (names, F_OK) < 0 && write_file (dir, "dns-hosts", "", err) < 0))
    return -1;
  netmask.s_addr = htonl (net->ipv4.prefix ? 0xffffffffu << (32 - net->ipv4.prefix) : 0);
  net_addr.s_addr = net->ipv4.addr.s_addr & netmask.s_addr;
  inet_ntop (AF_INET, &net->ipv4.addr, gw, sizeof (gw));
  inet_ntop (AF_INET, &net_addr, base, sizeof (base));
  inet_ntop (AF_INET, &netmask, mask, sizeof (mask));
  ns = net->nat ? host_nameservers () : xstrdup ("");
  argv[n++] = xstrdup ("dnsmasq");
  argv[n++] = xstrdup ("--conf-file=/dev/null");
  argv[n++] = xasprintf ("--pid-file=%s/dnsmasq.pid", dir);
  argv[n++] = xasprintf ("--dhcp-leasefile=%s/leases", dir);
  argv[n++] = xasprintf ("--dhcp-hostsfile=%s/dhcp-hosts", dir);
  argv[n++] = xasprintf ("--addn-hosts=%s/dns-hosts", dir);
  argv[n++] = xasprintf ("--interface=%s", net->bridge);
  argv[n++] = xstrdup ("--bind-interfaces");
  argv[n++] = xstrdup ("--except-interface=lo");
  argv[n++] = xasprintf ("--listen-address=%s", gw);
  argv[n++] = xstrdup ("--no-resolv");
  argv[n++] = xstrdup ("--no-hosts");
  argv[n++] = xstrdup ("--no-poll");
  argv[n++] = xstrdup ("--strict-order");
  argv[n++] = xstrdup ("--no-ping");
  argv[n++] = xstrdup ("--dhcp-authoritative");
  argv[n++] = xstrdup ("--dhcp-no-override");
  argv[n++] = xstrdup ("--dhcp-rapid-commit");
  argv[n++] = xstrdup ("--quiet-dhcp");
  argv[n++] = xstrdup ("--user=nobody");
  argv[n++] = xasprintf ("--dhcp-range=%s,static,%s,1h", base, mask);
  argv[n++] = xasprintf ("--dhcp-option=option:dns-server,%s%s", gw, ns);
  argv[n++] = xasprintf ("--domain=%s", net->domain);
  argv[n++] = xasprintf ("--local=/%s/", net->domain);
  if (net->has_ipv6)
    {
      char gw6[INET6_ADDRSTRLEN];

      inet_ntop (AF_INET6, &net->ipv6.addr, gw6, sizeof (gw6));
      argv[n++] = xasprintf ("--listen-address=%s", gw6);
      /* Router advertisements for SLAAC on the /64 (the address each nic
         gets is the one minictr already configured), with the bridge as
         DNS server (RDNSS).  */
      argv[n++] = xstrdup ("--enable-ra");
      argv[n++] = xasprintf ("--dhcp-range=::,constructor:%s,ra-stateless,64,1h", net->bridge);
    }
  argv[n] = NULL;
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    pid = -1;
  else if ((pid = fork ()) == 0)
    {
      close (pfd[0]);
      child_exec (net, argv, pfd[1]);
    }
  for (i = 0; i < n; i++)
    free (argv[i]);
  if (pid < 0)
    return mc_make_error (err, errno, "network `%s`: start dnsmasq", net->name);
  close (pfd[1]);
  /* dnsmasq reports what stops it on stderr and exits before it becomes a
     daemon; a started daemon leaves our pipe alone.  */
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  (void) fcntl (pfd[0], F_SETFL, O_NONBLOCK);
  got = read (pfd[0], buf, sizeof (buf) - 1);
  close (pfd[0]);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0 && running_pid (s, net->name) > 0)
    return 0;
  buf[got > 0 ? got : 0] = '\0';
  while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
    buf[--got] = '\0';
  return mc_make_error (err, 0, "network `%s`: dnsmasq did not start%s%s", net->name, got > 0 ? ": " : "",
                        got > 0 ? buf : "");
}

void
mc_dnsmasq_stop (struct mc_store *s, const char *name, bool forget)
{
  cleanup_free char *dir = dir_of (s, name);
  pid_t pid = running_pid (s, name);
  mc_error_t e = NULL;

  if (pid > 0)
    {
      int pidfd = mc_sys_pidfd_open (pid, 0);

      if (kill (pid, SIGTERM) == 0 && pidfd >= 0)
        {
          struct pollfd p = { pidfd, POLLIN, 0 };

          /* Not our child: its end shows on the pidfd.  */
          if (poll (&p, 1, 5000) <= 0)
            kill (pid, SIGKILL);
        }
      if (pidfd >= 0)
        close (pidfd);
    }
  if (forget)
    {
      cleanup_free char *nets = xstrndup (dir, (size_t) (strrchr (dir, '/') - dir));
      cleanup_free char *run = xstrndup (nets, (size_t) (strrchr (nets, '/') - nets));

      if (mc_rm_rf_at (AT_FDCWD, dir, &e) < 0)
        mc_error_release (&e);
      /* The last network's files gone, the run dir may go as well (as
         the last container's monitor leaves it).  */
      if (rmdir (nets) == 0)
        (void) rmdir (run);
    }
}

int
mc_dnsmasq_set_hosts (struct mc_store *s, const struct mc_dnsmasq_net *net, const struct mc_dhcp_host *hosts, size_t n,
                      mc_error_t *err)
{
  cleanup_free char *dir = dir_of (s, net->name), *dhcp = NULL, *dns = NULL;
  size_t i, dhcp_len = 0, dns_len = 0;
  FILE *fdhcp = open_memstream (&dhcp, &dhcp_len), *fdns = open_memstream (&dns, &dns_len);
  pid_t pid;

  if (fdhcp == NULL || fdns == NULL)
    abort ();
  for (i = 0; i < n; i++)
    {
      char ip[INET_ADDRSTRLEN];

      inet_ntop (AF_INET, &hosts[i].addr, ip, sizeof (ip));
      fprintf (fdhcp, "%s,%s,%s\n", hosts[i].mac, ip, hosts[i].name);
      fprintf (fdns, "%s %s.%s %s\n", ip, hosts[i].name, net->domain, hosts[i].name);
      if (hosts[i].has_addr6)
        {
          char ip6[INET6_ADDRSTRLEN];

          inet_ntop (AF_INET6, &hosts[i].addr6, ip6, sizeof (ip6));
          fprintf (fdns, "%s %s.%s %s\n", ip6, hosts[i].name, net->domain, hosts[i].name);
        }
    }
  if (fclose (fdhcp) != 0 || fclose (fdns) != 0)
    abort ();
  if (make_dir (dir, err) < 0 || write_file (dir, "dhcp-hosts", dhcp, err) < 0
      || write_file (dir, "dns-hosts", dns, err) < 0)
    return mc_error_prefix (err, "network `%s`", net->name);
  if ((pid = running_pid (s, net->name)) > 0 && kill (pid, SIGHUP) < 0)
    return mc_make_error (err, errno, "network `%s`: signal dnsmasq", net->name);
  return 0;
}
