#!/usr/bin/env bats
# Issue #12, items 7 and 8: on minictr's bridges a container sends only
# with its own MAC and IPv4 (security.mac_filtering and
# security.ipv4_filtering, on by default), and nobody's router
# advertisement reaches the host or a neighbour.  Traffic stays between
# the test bridge's host end and the containers.

load helpers

setup() {
    setup_state
    import_busybox
}

teardown() {
    stop_all_containers
    delete_networks
    rm -rf "$MINICTR_DIR"
}

mac_of() {
    mc exec "$1" -- cat /sys/class/net/eth0/address
}

# The MAC the host's bridge has for IP, after asking for it afresh.
host_neigh_mac() {
    ip neigh flush to "$1" dev "$2" 2>/dev/null || true
    host_ping "$1" >/dev/null 2>&1 || true
    ip neigh show to "$1" dev "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'
}

# The victim's and attacker's facts, once both run: VICTIM (its IPv4),
# VMAC, AMAC; the host's neighbour entry for the victim is checked first.
spoof_setup() {
    victim=$(addr_of victim)
    vmac=$(mac_of victim)
    amac=$(mac_of attacker)
    assert_equal "$(host_neigh_mac "$victim" "$br")" "$vmac"
}

# The attack: the victim's address on the attacker, announced by
# gratuitous ARP.
take_victims_address() {
    mc exec attacker -- ip addr add "$victim/32" dev eth0
    run mc exec attacker -- arping -U -c 3 -w 3 -I eth0 -s "$victim" "$victim"
}

@test "ARP spoofing: a container that takes its neighbour's IPv4 and announces it changes nothing on the host" {
    local br victim vmac amac gw table
    require_open_firewall
    mc admin init --auto
    br=$(bridge_of minictrbr0)
    gw=$(mc network get minictrbr0 ipv4.address | cut -d/ -f1)
    mc launch busybox victim
    mc launch busybox attacker
    spoof_setup
    # The attack, then traffic from the stolen address.
    take_victims_address
    run mc exec attacker -- ping -c 1 -W 2 -I "$victim" "$gw"
    assert_failure
    run ip neigh show to "$victim" dev "$br"
    refute_output --partial "$amac"
    assert_equal "$(host_neigh_mac "$victim" "$br")" "$vmac"
    # Another MAC on the attacker's port: nothing it sends gets through.
    mc exec attacker -- ip addr del "$victim/32" dev eth0
    mc exec attacker -- ip link set eth0 address 00:16:3e:66:66:66
    run mc exec attacker -- ping -c 1 -W 2 "$gw"
    assert_failure
    mc exec attacker -- ip link set eth0 address "$amac"
    run mc exec attacker -- ping -c 1 -W 3 "$gw"
    assert_success
    # The rules, in this state dir's bridge table: each port in sets, with
    # its own MAC and address (no chain per port).
    local port
    table=minictr-$(state_id)
    port=$(host_end attacker)
    run nft list chain bridge "$table" prerouting
    assert_output --partial 'iifname @mac_ports iifname . ether saddr != @port_mac drop'
    assert_output --partial 'iifname @ip_ports iifname . arp saddr ip != @port_ip drop'
    assert_output --partial 'iifname @ra_ports icmpv6 type nd-router-advert drop'
    run nft -j list set bridge "$table" port_mac
    assert_equal "$(jq -c --arg p "$port" '[.nftables[].set.elem? // empty | .[].concat | select(.[0] == $p)]' <<< "$output")" \
        "[[\"$port\",\"$amac\"]]"
    run nft -j list set bridge "$table" port_ip
    assert_equal "$(jq -c --arg p "$port" '[.nftables[].set.elem? // empty | .[].concat | select(.[0] == $p)]' <<< "$output")" \
        "[[\"$port\",\"$(addr_of attacker)\"]]"
    # Stopping removes the port from every set.
    mc stop --force attacker
    for set in ra_ports mac_ports ip_ports port_mac port_ip; do
        run nft list set bridge "$table" "$set"
        assert_success
        refute_output --partial "\"$port\""
    done
}

@test "security.mac_filtering=false and security.ipv4_filtering=false on a nic let the same attack through (LXD's keys)" {
    local br victim vmac amac
    require_open_firewall
    mc admin init --auto
    br=$(bridge_of minictrbr0)
    mc launch busybox victim
    mc init busybox attacker
    mc config device add attacker eth0 nic network=minictrbr0 security.mac_filtering=false \
        security.ipv4_filtering=false
    mc start attacker
    spoof_setup
    take_victims_address
    run ip neigh show to "$victim" dev "$br"
    assert_output --partial "$amac"
    run mc config device add attacker eth1 nic network=minictrbr0 security.mac_filtering=maybe
    assert_failure 1
    assert_output --partial "security.mac_filtering must be true or false, not \`maybe\`"
}

link_local_ready() {
    local out
    out=$(mc exec "$1" -- ip -6 addr show dev eth0 scope link)
    [[ $out == *inet6* && $out != *tentative* ]]
}

@test "router advertisements from a container reach neither the host nor a neighbour" {
    local br
    [ -d /proc/sys/net/ipv6 ] || skip "this host has no IPv6"
    require_open_firewall
    mc admin init --auto
    br=$(bridge_of minictrbr0)
    mc launch busybox neighbour
    mc launch busybox rogue
    push_probe rogue
    # Link-local addresses past DAD first, so that the RA can be sent and
    # is listened to.
    local tries c
    for c in rogue neighbour; do
        tries=50
        until link_local_ready "$c" || [ "$tries" -eq 0 ]; do
            tries=$((tries - 1))
            sleep 0.2
        done
    done
    run mc exec rogue -- /escape-probe ra eth0
    assert_success
    sleep 1
    run mc exec neighbour -- ip -6 addr show dev eth0
    refute_output --partial 2001:db8:66:
    run mc exec neighbour -- ip -6 route
    refute_output --partial default
    run ip -6 addr show dev "$br"
    refute_output --partial 2001:db8:66:
}
