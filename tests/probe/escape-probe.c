/* escape-probe: what a hostile container root tries, one step per run,
 * exiting with the errno the kernel answered (0: it worked).
 *
 *   escape-probe remount PATH FLAGS   mount(MS_REMOUNT|MS_BIND|FLAGS) on PATH;
 *                                     FLAGS: comma list of ro nodev nosuid
 *                                     noexec, or "-" for none (rw, dev, suid)
 *   escape-probe setattr PATH ATTRS   mount_setattr clearing ATTRS (rdonly,
 *                                     nodev, nosuid, noexec) on PATH
 *   escape-probe umount PATH          umount2 (PATH, 0)
 *   escape-probe detach PATH          umount2 (PATH, MNT_DETACH)
 *   escape-probe mknod PATH b|c MAJ MIN   mknod a device node
 *   escape-probe read PATH            open PATH read-only and read a byte
 *   escape-probe tiocsti FD           push a character into FD's terminal
 *   escape-probe getfd PID FD         pidfd_getfd of PID's fd FD
 *   escape-probe devprogs CGROUP      print how many device programs are
 *                                     attached to the cgroup2 dir CGROUP
 *   escape-probe int80 NR             system call NR of the i386 ABI through
 *                                     int 0x80 (x86-64 only), no arguments
 *   escape-probe ra IFACE             send an IPv6 router advertisement on
 *                                     IFACE: default router, prefix
 *                                     2001:db8:66::/64 for autoconfiguration
 *
 * Prints "OP: errno N (text)" and exits with N; 125 is a usage error.
 * Statically linked, so it runs in a busybox rootfs (Makefile).  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/mount.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define USAGE_EXIT 125

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static unsigned long
parse_flags (const char *s, int setattr)
{
  static const struct
  {
    const char *name;
    unsigned long ms, attr;
  } map[] = {
    { "ro", MS_RDONLY, MOUNT_ATTR_RDONLY },   { "rdonly", MS_RDONLY, MOUNT_ATTR_RDONLY },
    { "nodev", MS_NODEV, MOUNT_ATTR_NODEV },  { "nosuid", MS_NOSUID, MOUNT_ATTR_NOSUID },
    { "noexec", MS_NOEXEC, MOUNT_ATTR_NOEXEC },
  };
  char *copy = strdup (s), *save = NULL, *tok;
  unsigned long flags = 0;
  size_t i;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      if (strcmp (tok, "-") == 0)
        continue;
      for (i = 0; i < sizeof (map) / sizeof (map[0]); i++)
        if (strcmp (tok, map[i].name) == 0)
          break;
      if (i == sizeof (map) / sizeof (map[0]))
        {
          fprintf (stderr, "escape-probe: unknown flag `%s`\n", tok);
          exit (USAGE_EXIT);
        }
      flags |= setattr ? map[i].attr : map[i].ms;
    }
  free (copy);
  return flags;
}

/* An RA as a rogue router sends it: router lifetime 1800 s, and a prefix
 * with the on-link and autonomous flags.  */
static long
send_ra (const char *iface)
{
  struct
  {
    struct nd_router_advert ra;
    struct nd_opt_prefix_info pi;
  } pkt;
  struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
  int hops = 255, s = socket (AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6), i;

  if (s < 0)
    return -1;
  memset (&pkt, 0, sizeof (pkt));
  pkt.ra.nd_ra_type = ND_ROUTER_ADVERT;
  pkt.ra.nd_ra_curhoplimit = 64;
  pkt.ra.nd_ra_router_lifetime = htons (1800);
  pkt.pi.nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
  pkt.pi.nd_opt_pi_len = 4;
  pkt.pi.nd_opt_pi_prefix_len = 64;
  pkt.pi.nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
  pkt.pi.nd_opt_pi_valid_time = htonl (86400);
  pkt.pi.nd_opt_pi_preferred_time = htonl (14400);
  inet_pton (AF_INET6, "2001:db8:66::", &pkt.pi.nd_opt_pi_prefix);
  inet_pton (AF_INET6, "ff02::1", &to.sin6_addr);
  to.sin6_scope_id = if_nametoindex (iface);
  if (to.sin6_scope_id == 0
      || setsockopt (s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof (hops)) < 0
      || setsockopt (s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &to.sin6_scope_id, sizeof (int)) < 0)
    return -1;
  for (i = 0; i < 3; i++)
    if (sendto (s, &pkt, sizeof (pkt), 0, (struct sockaddr *) &to, sizeof (to)) < 0)
      return -1;
  return 0;
}

static long
run (int argc, char **argv)
{
  const char *op = argv[1];

  if (strcmp (op, "remount") == 0 && argc == 4)
    return mount (NULL, argv[2], NULL, MS_REMOUNT | MS_BIND | parse_flags (argv[3], 0), NULL);
  if (strcmp (op, "setattr") == 0 && argc == 4)
    {
      struct mount_attr attr = { .attr_clr = parse_flags (argv[3], 1) };
      return syscall (SYS_mount_setattr, AT_FDCWD, argv[2], 0, &attr, sizeof (attr));
    }
  if (strcmp (op, "umount") == 0 && argc == 3)
    return umount2 (argv[2], 0);
  if (strcmp (op, "detach") == 0 && argc == 3)
    return umount2 (argv[2], MNT_DETACH);
  if (strcmp (op, "mknod") == 0 && argc == 6)
    return mknod (argv[2], (argv[3][0] == 'b' ? S_IFBLK : S_IFCHR) | 0600,
                  makedev (atoi (argv[4]), atoi (argv[5])));
  if (strcmp (op, "read") == 0 && argc == 3)
    {
      char c;
      int fd = open (argv[2], O_RDONLY | O_CLOEXEC);

      if (fd < 0)
        return -1;
      return read (fd, &c, 1) < 0 ? -1 : 0;
    }
  if (strcmp (op, "tiocsti") == 0 && argc == 3)
    {
      char c = '\n';
      return ioctl (atoi (argv[2]), TIOCSTI, &c);
    }
  if (strcmp (op, "getfd") == 0 && argc == 4)
    {
      long pidfd = syscall (SYS_pidfd_open, atoi (argv[2]), 0);

      if (pidfd < 0)
        return -1;
      return syscall (SYS_pidfd_getfd, (int) pidfd, atoi (argv[3]), 0) < 0 ? -1 : 0;
    }
  if (strcmp (op, "devprogs") == 0 && argc == 3)
    {
      union bpf_attr attr;
      int fd = open (argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      if (fd < 0)
        return -1;
      memset (&attr, 0, sizeof (attr));
      attr.query.target_fd = (unsigned) fd;
      attr.query.attach_type = BPF_CGROUP_DEVICE;
      if (syscall (SYS_bpf, BPF_PROG_QUERY, &attr, sizeof (attr)) < 0)
        return -1;
      printf ("%u\n", attr.query.prog_cnt);
      return 0;
    }
  if (strcmp (op, "int80") == 0 && argc == 3)
    {
#if defined(__x86_64__)
      long ret, nr = atol (argv[2]);

      __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(nr), "b"(0L), "c"(0L), "d"(0L), "S"(0L), "D"(0L)
                        : "memory");
      if (ret < 0 && ret > -4096)
        {
          errno = (int) -ret;
          return -1;
        }
      return 0;
#else
      errno = ENOSYS;
      return -1;
#endif
    }
  if (strcmp (op, "ra") == 0 && argc == 3)
    return send_ra (argv[2]);
  fputs ("usage: escape-probe remount|setattr|umount|detach|mknod|read|tiocsti|getfd|ra ARGS\n",
         stderr);
  exit (USAGE_EXIT);
}

int
main (int argc, char **argv)
{
  int e;

  if (argc < 2)
    return USAGE_EXIT;
  errno = 0;
  e = run (argc, argv) < 0 ? errno : 0;
  printf ("%s: errno %d (%s)\n", argv[1], e, strerror (e));
  return e;
}
