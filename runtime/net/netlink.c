#include "runtime/net/netlink.h"
#include "runtime/net/netaddr.h"
#include "lib/utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Big enough for a dump batch of links with their statistics.  The
 * kernel sizes dump messages to the largest buffer we have read with.  */
#define NL_BUF 32768

int
mc_nl_open (struct mc_nl *nl, mc_error_t *err)
{
  nl->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->sock == NULL)
    return mc_make_error (err, errno, "open a netlink socket");
  if (mnl_socket_bind (nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int e = errno;

      mnl_socket_close (nl->sock);
      nl->sock = NULL;
      return mc_make_error (err, e, "bind a netlink socket");
    }
  nl->portid = mnl_socket_get_portid (nl->sock);
  nl->seq = (uint32_t) time (NULL);
  return 0;
}

/* setns() there, create the socket, setns() back.  Coming back cannot
 * fail for a process that was just there with the same privileges; if it
 * ever did, carrying on in the container's namespace would configure the
 * wrong network, so that is fatal.  The socket is not bound: the kernel
 * gives it a port id at its first message, and the answers come to it
 * alone.  A pidfd enters the namespace without a walk of /proc (5.8).  */
int
mc_nl_open_netns (struct mc_nl *nl, pid_t pid, int self_fd, mc_error_t *err)
{
  cleanup_close int own = -1;
  cleanup_close int target = -1;
  int self = self_fd, e;
  char path[64];

  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) pid);
  if (self < 0 && (self = own = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `/proc/self/ns/net`");
  target = (int) syscall (SYS_pidfd_open, pid, 0);
  if (target < 0 || setns (target, CLONE_NEWNET) < 0)
    {
      /* Before 5.8 setns takes no pidfd (EINVAL).  */
      if (target >= 0 && errno != EINVAL)
        return mc_make_error (err, errno, "enter the network namespace of %d", (int) pid);
      if (target >= 0)
        close (target);
      if ((target = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        return mc_make_error (err, errno, "open `%s`", path);
      if (setns (target, CLONE_NEWNET) < 0)
        return mc_make_error (err, errno, "enter the network namespace of %d", (int) pid);
    }
  memset (nl, 0, sizeof (*nl));
  nl->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  e = errno;
  nl->seq = (uint32_t) time (NULL);
  if (setns (self, CLONE_NEWNET) < 0)
    {
      fprintf (stderr, "minictr: cannot return to the host's network namespace: %s\n", strerror (errno));
      abort ();
    }
  if (nl->sock == NULL)
    return mc_make_error (err, e, "open a netlink socket in the network namespace of %d", (int) pid);
  return 0;
}

void
mc_nl_close (struct mc_nl *nl)
{
  if (nl->sock)
    mnl_socket_close (nl->sock);
  nl->sock = NULL;
}

/* Send NLH and read the answers until the ack, the end of the dump or an
 * error (the kernel's errno).  */
static int
talk (struct mc_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, mc_error_t *err,
      const char *what)
{
  cleanup_free char *buf = xmalloc (NL_BUF);
  uint32_t seq = ++nl->seq;
  ssize_t n;
  int r;

  nlh->nlmsg_seq = seq;
  /* Not a dump (RTM_GET* with both NLM_F_DUMP bits: NLM_F_EXCL of a
   * NEWLINK is one of them), so ask for the ack that ends the exchange. */
  if ((nlh->nlmsg_type & 3) != 2 || (nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
    nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto (nl->sock, nlh, nlh->nlmsg_len) < 0)
    return mc_make_error (err, errno, "%s", what);
  do
    {
      n = mnl_socket_recvfrom (nl->sock, buf, NL_BUF);
      if (n < 0 && errno == EINTR)
        {
          r = MNL_CB_OK;
          continue;
        }
      if (n < 0)
        return mc_make_error (err, errno, "%s", what);
      r = mnl_cb_run (buf, (size_t) n, seq, nl->portid, cb, data);
    }
  while (r == MNL_CB_OK);
  if (r == MNL_CB_ERROR)
    return mc_make_error (err, errno, "%s", what);
  return 0;
}

static struct nlmsghdr *
new_msg (char *buf, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);

  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  return nlh;
}

static struct ifinfomsg *
put_ifinfo (struct nlmsghdr *nlh, int index)
{
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifm));

  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = index;
  return ifm;
}

/* ---- links --------------------------------------------------------------- */

struct index_query
{
  int index;
};

static int
index_cb (const struct nlmsghdr *nlh, void *data)
{
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);

  ((struct index_query *) data)->index = ifm->ifi_index;
  return MNL_CB_OK;
}

int
mc_nl_link_index (struct mc_nl *nl, const char *name, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_GETLINK, 0);
  struct index_query q = { 0 };
  mc_error_t e = NULL;

  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (talk (nl, nlh, index_cb, &q, &e, "look up a link") < 0)
    {
      if (e->status == ENODEV)
        {
          mc_error_release (&e);
          return 0;
        }
      mc_error_propagate (err, &e);
      return mc_error_prefix (err, "link `%s`", name);
    }
  return q.index;
}

int
mc_nl_bridge_add (struct mc_nl *nl, const char *name, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifm = put_ifinfo (nlh, 0);
  struct nlattr *info;

  ifm->ifi_flags = ifm->ifi_change = IFF_UP;
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end (nlh, info);
  if (talk (nl, nlh, NULL, NULL, err, "create the bridge") < 0)
    return mc_error_prefix (err, "bridge `%s`", name);
  return 0;
}

int
mc_nl_link_del (struct mc_nl *nl, const char *name, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_DELLINK, 0);
  mc_error_t e = NULL;

  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (talk (nl, nlh, NULL, NULL, &e, "delete the link") == 0)
    return 0;
  if (e->status == ENODEV)
    {
      mc_error_release (&e);
      return 0;
    }
  mc_error_propagate (err, &e);
  return mc_error_prefix (err, "link `%s`", name);
}

int
mc_nl_link_up (struct mc_nl *nl, int ifindex, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_NEWLINK, 0);
  struct ifinfomsg *ifm = put_ifinfo (nlh, ifindex);

  ifm->ifi_flags = ifm->ifi_change = IFF_UP;
  return talk (nl, nlh, NULL, NULL, err, "bring a link up");
}

int
mc_nl_veth_add (struct mc_nl *nl, const struct mc_veth *v, mc_error_t *err)
{
  char buf[1024];
  struct nlmsghdr *nlh = new_msg (buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifm = put_ifinfo (nlh, 0);
  struct nlattr *info, *data, *peer;

  ifm->ifi_flags = ifm->ifi_change = IFF_UP;
  mnl_attr_put_strz (nlh, IFLA_IFNAME, v->host_name);
  if (v->mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, v->mtu);
  if (v->master > 0)
    mnl_attr_put_u32 (nlh, IFLA_MASTER, (uint32_t) v->master);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "veth");
  data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  peer = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
  /* The peer's attributes follow an ifinfomsg of their own.  */
  memset (mnl_nlmsg_get_payload_tail (nlh), 0, sizeof (struct ifinfomsg));
  nlh->nlmsg_len += MNL_ALIGN (sizeof (struct ifinfomsg));
  mnl_attr_put_strz (nlh, IFLA_IFNAME, v->peer_name);
  mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) v->peer_netns_fd);
  if (v->peer_mac)
    mnl_attr_put (nlh, IFLA_ADDRESS, 6, v->peer_mac);
  if (v->mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, v->mtu);
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, info);
  if (talk (nl, nlh, NULL, NULL, err, "create the veth pair") < 0)
    return mc_error_prefix (err, "veth `%s`", v->host_name);
  return 0;
}

int
mc_nl_macvlan_add (struct mc_nl *nl, int parent_index, const char *name, int netns_fd, const uint8_t *mac,
                   unsigned mtu, mc_error_t *err)
{
  char buf[1024];
  struct nlmsghdr *nlh = new_msg (buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct nlattr *info, *data;

  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  mnl_attr_put_u32 (nlh, IFLA_LINK, (uint32_t) parent_index);
  mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) netns_fd);
  if (mac)
    mnl_attr_put (nlh, IFLA_ADDRESS, 6, mac);
  if (mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "macvlan");
  data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  mnl_attr_put_u32 (nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, info);
  if (talk (nl, nlh, NULL, NULL, err, "create the macvlan") < 0)
    return mc_error_prefix (err, "macvlan `%s`", name);
  return 0;
}

bool
mc_nl_is_bridge (struct mc_nl *nl, const char *name)
{
  struct mc_nl_link *links = NULL;
  mc_error_t e = NULL;
  size_t n = 0, i;
  bool yes = false;

  if (mc_nl_links (nl, &links, &n, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  for (i = 0; i < n; i++)
    if (strcmp (links[i].name, name) == 0)
      yes = strcmp (links[i].kind, "bridge") == 0;
  free (links);
  return yes;
}

/* ---- addresses and routes -------------------------------------------------- */

static int
addr4 (struct mc_nl *nl, uint16_t type, uint16_t flags, int ifindex, struct in_addr addr,
       unsigned prefix, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, type, flags);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  uint32_t mask = prefix ? htonl (~0U << (32 - prefix)) : 0;
  struct in_addr brd = { addr.s_addr | ~mask };

  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (uint8_t) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (uint32_t) ifindex;
  mnl_attr_put (nlh, IFA_LOCAL, sizeof (addr), &addr);
  mnl_attr_put (nlh, IFA_ADDRESS, sizeof (addr), &addr);
  if (prefix < 31)
    mnl_attr_put (nlh, IFA_BROADCAST, sizeof (brd), &brd);
  return talk (nl, nlh, NULL, NULL, err, type == RTM_NEWADDR ? "add an address" : "remove an address");
}

int
mc_nl_addr4_add (struct mc_nl *nl, int ifindex, struct in_addr addr, unsigned prefix, mc_error_t *err)
{
  return addr4 (nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr, prefix, err);
}

int
mc_nl_addr4_del (struct mc_nl *nl, int ifindex, struct in_addr addr, unsigned prefix, mc_error_t *err)
{
  return addr4 (nl, RTM_DELADDR, 0, ifindex, addr, prefix, err);
}

int
mc_nl_route4_default (struct mc_nl *nl, int ifindex, struct in_addr gw, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));

  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 0;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put (nlh, RTA_GATEWAY, sizeof (gw), &gw);
  mnl_attr_put_u32 (nlh, RTA_OIF, (uint32_t) ifindex);
  return talk (nl, nlh, NULL, NULL, err, "add the default route");
}

static int
addr6 (struct mc_nl *nl, uint16_t type, uint16_t flags, int ifindex, const struct in6_addr *addr, unsigned prefix,
       mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, type, flags);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));

  ifa->ifa_family = AF_INET6;
  ifa->ifa_prefixlen = (uint8_t) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (uint32_t) ifindex;
  ifa->ifa_flags = IFA_F_NODAD;
  mnl_attr_put (nlh, IFA_LOCAL, sizeof (*addr), addr);
  mnl_attr_put (nlh, IFA_ADDRESS, sizeof (*addr), addr);
  mnl_attr_put_u32 (nlh, IFA_FLAGS, IFA_F_NODAD);
  return talk (nl, nlh, NULL, NULL, err, type == RTM_NEWADDR ? "add an IPv6 address" : "remove an IPv6 address");
}

int
mc_nl_addr6_add (struct mc_nl *nl, int ifindex, const struct in6_addr *addr, unsigned prefix, mc_error_t *err)
{
  return addr6 (nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr, prefix, err);
}

int
mc_nl_addr6_del (struct mc_nl *nl, int ifindex, const struct in6_addr *addr, unsigned prefix, mc_error_t *err)
{
  return addr6 (nl, RTM_DELADDR, 0, ifindex, addr, prefix, err);
}

int
mc_nl_route6_default (struct mc_nl *nl, int ifindex, const struct in6_addr *gw, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));

  rtm->rtm_family = AF_INET6;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put (nlh, RTA_GATEWAY, sizeof (*gw), gw);
  mnl_attr_put_u32 (nlh, RTA_OIF, (uint32_t) ifindex);
  return talk (nl, nlh, NULL, NULL, err, "add the IPv6 default route");
}

/* ---- dumps ------------------------------------------------------------------ */

struct vec
{
  void *items;
  size_t n, cap, size;
};

static void *
vec_push (struct vec *v)
{
  if (v->n == v->cap)
    {
      v->cap = v->cap ? v->cap * 2 : 8;
      v->items = xrealloc (v->items, v->cap * v->size);
    }
  memset ((char *) v->items + v->n * v->size, 0, v->size);
  return (char *) v->items + v->n++ * v->size;
}

struct attrs
{
  const struct nlattr *tb[64];
};

static int
attr_cb (const struct nlattr *attr, void *data)
{
  struct attrs *a = data;
  uint16_t type = mnl_attr_get_type (attr);

  if (type < 64)
    a->tb[type] = attr;
  return MNL_CB_OK;
}

static void
copy_name (char dst[16], const struct nlattr *a)
{
  size_t len = a ? mnl_attr_get_payload_len (a) : 0;

  if (len > 15)
    len = 15;
  if (len)
    memcpy (dst, mnl_attr_get_str (a), len);
  dst[len] = '\0';
}

static int
link_cb (const struct nlmsghdr *nlh, void *data)
{
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);
  struct attrs a = { { 0 } }, info = { { 0 } };
  struct mc_nl_link *l;

  if (mnl_attr_parse (nlh, sizeof (*ifm), attr_cb, &a) < 0)
    return MNL_CB_ERROR;
  l = vec_push (data);
  l->index = ifm->ifi_index;
  l->flags = ifm->ifi_flags;
  l->loopback = ifm->ifi_type == 772; /* ARPHRD_LOOPBACK */
  copy_name (l->name, a.tb[IFLA_IFNAME]);
  if (a.tb[IFLA_MTU])
    l->mtu = mnl_attr_get_u32 (a.tb[IFLA_MTU]);
  if (a.tb[IFLA_MASTER])
    l->master = (int) mnl_attr_get_u32 (a.tb[IFLA_MASTER]);
  if (a.tb[IFLA_ADDRESS] && mnl_attr_get_payload_len (a.tb[IFLA_ADDRESS]) == 6)
    {
      l->has_mac = true;
      memcpy (l->mac, mnl_attr_get_payload (a.tb[IFLA_ADDRESS]), 6);
    }
  if (a.tb[IFLA_STATS64] && mnl_attr_get_payload_len (a.tb[IFLA_STATS64]) >= sizeof (struct rtnl_link_stats64))
    {
      struct rtnl_link_stats64 st;

      memcpy (&st, mnl_attr_get_payload (a.tb[IFLA_STATS64]), sizeof (st));
      l->rx_bytes = st.rx_bytes;
      l->tx_bytes = st.tx_bytes;
      l->rx_packets = st.rx_packets;
      l->tx_packets = st.tx_packets;
    }
  if (a.tb[IFLA_LINKINFO] && mnl_attr_parse_nested (a.tb[IFLA_LINKINFO], attr_cb, &info) >= 0)
    copy_name (l->kind, info.tb[IFLA_INFO_KIND]);
  return MNL_CB_OK;
}

int
mc_nl_links (struct mc_nl *nl, struct mc_nl_link **out, size_t *n, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_GETLINK, NLM_F_DUMP);
  struct vec v = { NULL, 0, 0, sizeof (struct mc_nl_link) };

  put_ifinfo (nlh, 0);
  if (talk (nl, nlh, link_cb, &v, err, "list the links") < 0)
    {
      free (v.items);
      return -1;
    }
  *out = v.items;
  *n = v.n;
  return 0;
}

static int
addr_cb (const struct nlmsghdr *nlh, void *data)
{
  struct ifaddrmsg *ifa = mnl_nlmsg_get_payload (nlh);
  struct attrs a = { { 0 } };
  const struct nlattr *at;
  struct mc_nl_addr *ad;
  size_t len = ifa->ifa_family == AF_INET ? 4 : 16;

  if (mnl_attr_parse (nlh, sizeof (*ifa), attr_cb, &a) < 0)
    return MNL_CB_ERROR;
  at = a.tb[IFA_LOCAL] ? a.tb[IFA_LOCAL] : a.tb[IFA_ADDRESS];
  if (at == NULL || mnl_attr_get_payload_len (at) != len)
    return MNL_CB_OK;
  ad = vec_push (data);
  ad->index = (int) ifa->ifa_index;
  ad->family = ifa->ifa_family;
  ad->prefix = ifa->ifa_prefixlen;
  ad->scope = ifa->ifa_scope;
  memcpy (ad->addr, mnl_attr_get_payload (at), len);
  return MNL_CB_OK;
}

int
mc_nl_addrs (struct mc_nl *nl, int family, struct mc_nl_addr **out, size_t *n, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_GETADDR, NLM_F_DUMP);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  struct vec v = { NULL, 0, 0, sizeof (struct mc_nl_addr) };

  ifa->ifa_family = (uint8_t) family;
  if (talk (nl, nlh, addr_cb, &v, err, "list the addresses") < 0)
    {
      free (v.items);
      return -1;
    }
  *out = v.items;
  *n = v.n;
  return 0;
}

static int
route_cb (const struct nlmsghdr *nlh, void *data)
{
  struct rtmsg *rtm = mnl_nlmsg_get_payload (nlh);
  struct attrs a = { { 0 } };
  struct mc_nl_route *r;

  if (rtm->rtm_family != AF_INET || mnl_attr_parse (nlh, sizeof (*rtm), attr_cb, &a) < 0)
    return MNL_CB_OK;
  r = vec_push (data);
  r->prefix = rtm->rtm_dst_len;
  if (a.tb[RTA_DST] && mnl_attr_get_payload_len (a.tb[RTA_DST]) == 4)
    memcpy (&r->dst, mnl_attr_get_payload (a.tb[RTA_DST]), 4);
  return MNL_CB_OK;
}

int
mc_nl_routes4 (struct mc_nl *nl, struct mc_nl_route **out, size_t *n, mc_error_t *err)
{
  char buf[512];
  struct nlmsghdr *nlh = new_msg (buf, RTM_GETROUTE, NLM_F_DUMP);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));
  struct vec v = { NULL, 0, 0, sizeof (struct mc_nl_route) };

  rtm->rtm_family = AF_INET;
  if (talk (nl, nlh, route_cb, &v, err, "list the routes") < 0)
    {
      free (v.items);
      return -1;
    }
  *out = v.items;
  *n = v.n;
  return 0;
}

json_t *
mc_nl_addrs_json (const struct mc_nl_addr *addrs, size_t n, int index)
{
  json_t *list = json_array ();
  size_t i;

  for (i = 0; i < n; i++)
    {
      char ip[INET6_ADDRSTRLEN];

      if (addrs[i].index != index)
        continue;
      inet_ntop (addrs[i].family, addrs[i].addr, ip, sizeof (ip));
      json_array_append_new (list, json_pack ("{s:s, s:s, s:o, s:s}", "family",
                                              addrs[i].family == AF_INET ? "inet" : "inet6", "address", ip, "netmask",
                                              json_sprintf ("%u", addrs[i].prefix), "scope",
                                              addrs[i].scope == RT_SCOPE_HOST   ? "local"
                                              : addrs[i].scope == RT_SCOPE_LINK ? "link"
                                                                                : "global"));
    }
  return list;
}

void
mc_nl_mac_text (const struct mc_nl_link *l, char buf[18])
{
  buf[0] = '\0';
  if (l->has_mac)
    mc_mac_text (l->mac, buf);
}

