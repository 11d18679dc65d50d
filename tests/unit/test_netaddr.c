/* Addresses and names (runtime/net/netaddr.c): parsing, and the pure part of
 * picking a network's subnet and a nic's address.  */
#include "tests/unit/unit.h"
#include "runtime/net/netaddr.h"

#include <arpa/inet.h>
#include <string.h>

static struct in_addr
ip (const char *s)
{
  struct in_addr a;

  assert_int_equal (inet_pton (AF_INET, s, &a), 1);
  return a;
}

static const char *
text (struct in_addr a)
{
  static char buf[INET_ADDRSTRLEN];

  return inet_ntop (AF_INET, &a, buf, sizeof (buf));
}

static void
test_cidr_parse (void **state)
{
  struct mc_cidr4 c;
  mc_error_t err = NULL;
  char sub[32];

  (void) state;
  assert_int_equal (mc_cidr4_parse ("10.42.7.1/24", &c, &err), 0);
  assert_int_equal (c.prefix, 24);
  assert_string_equal (text (c.addr), "10.42.7.1");
  mc_cidr4_subnet (&c, sub, sizeof (sub));
  assert_string_equal (sub, "10.42.7.0/24");
  assert_true (mc_cidr4_contains (&c, ip ("10.42.7.254")));
  assert_false (mc_cidr4_contains (&c, ip ("10.42.8.1")));
  assert_int_equal (mc_cidr4_parse ("10.42.7.0/24", &c, &err), -1);
  assert_error_contains (err, "not its network or broadcast address");
  assert_int_equal (mc_cidr4_parse ("10.42.7.255/24", &c, &err), -1);
  assert_error_contains (err, "not its network or broadcast address");
  assert_int_equal (mc_cidr4_parse ("10.42.7.1/31", &c, &err), -1);
  assert_error_contains (err, "from 8 to 30");
  assert_int_equal (mc_cidr4_parse ("10.42.7.1", &c, &err), -1);
  assert_error_contains (err, "with a prefix length");
  assert_int_equal (mc_ipv4_parse ("1.2.3.4x", &c.addr, &err), -1);
  assert_error_contains (err, "not an IPv4 address");
  assert_int_equal (mc_ipv4_parse (" 1.2.3.4", &c.addr, &err), -1);
  assert_error_contains (err, "not an IPv4 address");
  assert_int_equal (mc_ipv4_mask (24), 0xffffff00U);
  assert_int_equal (mc_ipv4_mask (0), 0);
}

static void
test_names (void **state)
{
  mc_error_t err = NULL;
  uint8_t mac[6];

  (void) state;
  assert_true (mc_ifname_valid ("eth0"));
  assert_true (mc_ifname_valid ("123456789012345"));
  assert_false (mc_ifname_valid ("1234567890123456"));
  assert_false (mc_ifname_valid ("lo"));
  assert_false (mc_ifname_valid ("a/b"));
  assert_false (mc_ifname_valid ("a:b"));
  assert_false (mc_ifname_valid ("a b"));
  assert_false (mc_ifname_valid (""));
  assert_int_equal (mc_mac_parse ("00:16:3e:12:34:56", mac), 0);
  assert_int_equal (mac[5], 0x56);
  assert_int_equal (mc_mac_parse ("01:16:3e:12:34:56", mac), -1); /* multicast */
  assert_int_equal (mc_mac_parse ("00:16:3e:12:34", mac), -1);
  assert_int_equal (mc_mac_parse ("00:16:3e:12:34:567", mac), -1);
  assert_int_equal (mc_network_name_validate ("minictrbr0", &err), 0);
  assert_int_equal (mc_network_name_validate ("default", &err), -1);
  assert_error_contains (err, "invalid network name `default`");
  assert_int_equal (mc_network_name_validate ("-x", &err), -1);
  assert_error_contains (err, "invalid network name");
  assert_int_equal (mc_network_name_validate ("a+b", &err), -1);
  assert_error_contains (err, "letters, digits");
  assert_int_equal (mc_network_name_validate ("1234567890123456", &err), -1);
  assert_error_contains (err, "1 to 15 characters");
}

static void
test_subnet_pick (void **state)
{
  struct mc_taken t = { NULL, NULL, 0 };
  struct mc_cidr4 out;
  uint16_t r[3] = { 0x2a07, 0x2a08, 0x0102 };

  (void) state;
  /* The first random candidate that is free: 10.42.7.0/24 is taken by a
   * route, 10.42.8.0/24 is not.  */
  mc_taken_add (&t, ntohl (ip ("10.42.7.0").s_addr), 24);
  assert_true (mc_subnet_pick (&t, r, 3, &out));
  assert_string_equal (text (out.addr), "10.42.8.1");
  assert_int_equal (out.prefix, 24);
  /* A wider range covers every /24 inside it: 10.42.8.5/16 takes
   * 10.42.8.0/24 too, and 10.1.2.0/24 is next.  */
  mc_taken_add (&t, ntohl (ip ("10.42.8.5").s_addr), 16);
  assert_true (mc_subnet_pick (&t, r, 3, &out));
  assert_string_equal (text (out.addr), "10.1.2.1");
  /* No randoms: the first free /24 of 10/8.  */
  assert_true (mc_subnet_pick (&t, NULL, 0, &out));
  assert_string_equal (text (out.addr), "10.0.0.1");
  /* A narrower range takes its whole /24: 10.0.0.9/30 takes
   * 10.0.0.0/24.  */
  mc_taken_add (&t, ntohl (ip ("10.0.0.9").s_addr), 30);
  assert_true (mc_subnet_pick (&t, NULL, 0, &out));
  assert_string_equal (text (out.addr), "10.0.1.1");
  /* 10/8 all taken: 172.16.0.0/24; with 172.16/12 too, 192.168.0.0/24. */
  mc_taken_add (&t, ntohl (ip ("10.0.0.0").s_addr), 8);
  assert_true (mc_subnet_pick (&t, r, 3, &out));
  assert_string_equal (text (out.addr), "172.16.0.1");
  mc_taken_add (&t, ntohl (ip ("172.16.0.0").s_addr), 12);
  assert_true (mc_subnet_pick (&t, NULL, 0, &out));
  assert_string_equal (text (out.addr), "192.168.0.1");
  mc_taken_add (&t, ntohl (ip ("192.168.0.0").s_addr), 16);
  assert_false (mc_subnet_pick (&t, r, 3, &out));
  mc_taken_release (&t);
  assert_int_equal (t.n, 0);
}

static bool
held_10_20 (struct in_addr a, void *data)
{
  const char *s = text (a);

  (void) data;
  return strcmp (s, "10.9.9.2") == 0 || strcmp (s, "10.9.9.3") == 0;
}

static bool
held_all (struct in_addr a, void *data)
{
  (void) a;
  (void) data;
  return true;
}

static void
test_address_pick (void **state)
{
  struct mc_cidr4 net;
  struct in_addr a;
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_cidr4_parse ("10.9.9.1/24", &net, &err), 0);
  /* Not the network, the broadcast or the bridge's own address.  */
  assert_false (mc_ipv4_usable_host (&net, ip ("10.9.9.0")));
  assert_false (mc_ipv4_usable_host (&net, ip ("10.9.9.255")));
  assert_false (mc_ipv4_usable_host (&net, ip ("10.9.9.1")));
  assert_false (mc_ipv4_usable_host (&net, ip ("10.9.10.2")));
  assert_true (mc_ipv4_usable_host (&net, ip ("10.9.9.254")));
  /* The lowest free: .1 is the bridge, .2 and .3 are held.  */
  assert_true (mc_ipv4_lowest_free (&net, held_10_20, NULL, &a));
  assert_string_equal (text (a), "10.9.9.4");
  assert_false (mc_ipv4_lowest_free (&net, held_all, NULL, &a));
  /* A bridge at the top of a /29 leaves .1 free.  */
  assert_int_equal (mc_cidr4_parse ("10.9.9.6/29", &net, &err), 0);
  assert_true (mc_ipv4_lowest_free (&net, held_10_20, NULL, &a));
  assert_string_equal (text (a), "10.9.9.1");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cidr_parse),
    cmocka_unit_test (test_names),
    cmocka_unit_test (test_subnet_pick),
    cmocka_unit_test (test_address_pick),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
