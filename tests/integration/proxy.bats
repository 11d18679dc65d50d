#!/usr/bin/env bats
# Proxy devices (LXD's): tcp, udp and unix, listening on the host
# (bind=host) or in the container (bind=container); one process per
# container serves them and ends with it.  Traffic stays on loopback and
# inside the container's own network namespace.  The two ends are
# tests/probe/sock-probe.c (static), pushed into the container; one
# running on the host is in STARTED_PIDS, which teardown ends (set in the
# test's own shell, where teardown runs).
# shellcheck disable=SC2030,SC2031

load helpers

setup() {
    setup_state
    import_busybox
    PROBE=$(dirname "$MINICTR_BIN")/tests/sock-probe
    [ -x "$PROBE" ] || fail "precondition failed: $PROBE missing (make unit-bins)"
}

# A TCP/UDP port no socket of the host's network namespace uses (its
# local ports, in hex, from /proc/net/{tcp,udp}{,6}).
free_port() {
    local p hex
    while :; do
        p=$((20000 + RANDOM % 20000))
        hex=$(printf ':%04X ' "$p")
        awk '{ print $2 }' /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6 2>/dev/null \
            | grep -q -- "${hex% }\$" || { echo "$p"; return; }
    done
}

# The proxy process of running container NAME: the monitor's child named
# minictr-proxy (the monitor is init's parent).
proxy_pid() {
    local monitor
    monitor=$(ps -o ppid= -p "$(init_pid "$1")" | tr -d ' ')
    ps -o pid=,comm= --ppid "$monitor" | awk '$2 == "minictr-proxy" { print $1 }'
}

# Start sock-probe ARGS... in container NAME, in the background.
serve_in() {
    local name=$1
    shift
    mc exec "$name" -- sh -c "/sock-probe $* >/dev/null 2>&1 &"
    sleep 0.3
}

@test "bind=host: tcp and udp on the host's loopback reach the container's; a large transfer arrives whole" {
    local tp up hp np pid sum
    tp=$(free_port); up=$(free_port); hp=$(free_port); np=$(free_port)
    mc init busybox p1 </dev/null
    mc file push --mode 0755 "$PROBE" p1/sock-probe
    mc config device add p1 echo proxy listen=tcp:127.0.0.1:"$tp" connect=tcp:127.0.0.1:7000
    mc config device add p1 dgram proxy listen=udp:127.0.0.1:"$up" connect=udp:127.0.0.1:7001
    mc config device add p1 web proxy listen=tcp:127.0.0.1:"$hp" connect=tcp:127.0.0.1:80
    mc config device add p1 none proxy listen=tcp:127.0.0.1:"$np" connect=tcp:127.0.0.1:7002
    mc start p1
    serve_in p1 tcp-echo 127.0.0.1 7000
    serve_in p1 udp-echo 127.0.0.1 7001
    run "$PROBE" tcp-send 127.0.0.1 "$tp" hello-tcp
    assert_success
    assert_output hello-tcp
    run "$PROBE" udp-send 127.0.0.1 "$up" hello-udp
    assert_success
    assert_output hello-udp
    sum=$(mc exec p1 -- sh -c 'mkdir -p /www && head -c 4000000 /dev/urandom > /www/big && sha256sum /www/big && httpd -p 127.0.0.1:80 -h /www' | cut -d' ' -f1)
    assert_equal "$(busybox wget -qO- "http://127.0.0.1:$hp/big" | sha256sum | cut -d' ' -f1)" "$sum"
    # Nothing listens inside on 7002: the client's connection is closed
    # (before or after it sent: either way nothing comes back).
    run "$PROBE" tcp-send 127.0.0.1 "$np" nobody-there
    refute_output --partial nobody-there
    pid=$(proxy_pid p1)
    [ -n "$pid" ] || fail "no proxy process"
    # One process for all four, and it ends with the container.
    assert_equal "$(wc -w <<<"$pid")" 1
    mc stop --force p1
    run kill -0 "$pid"
    assert_failure
    run "$PROBE" tcp-send 127.0.0.1 "$tp" after-stop
    assert_failure
}

@test "unix sockets: a host socket reaches one in the container, and bind=container listens inside with its owner and mode" {
    local hp
    hp=$(free_port)
    "$PROBE" tcp-echo 127.0.0.1 "$hp" >/dev/null 2>&1 &
    export STARTED_PIDS="$!"   # teardown ends it
    mc init busybox p2 </dev/null
    mc file push --mode 0755 "$PROBE" p2/sock-probe
    mc config device add p2 app proxy listen=unix:"$WORK/app.sock" connect=unix:/run/app.sock
    mc config device add p2 up proxy bind=container listen=unix:/run/up.sock connect=tcp:127.0.0.1:"$hp" uid=1000 gid=1000 mode=0600
    # Container uid 1000 is host uid 3000 (raw.idmap): the socket's owner
    # goes through the whole map.
    mc config set p2 raw.idmap "uid 3000 1000"
    mc start p2
    assert_equal "$(stat -c %u:%g "/proc/$(init_pid p2)/root/run/up.sock")" "3000:$((IDMAP_BASE + 1000))"
    serve_in p2 unix-echo /run/app.sock
    run "$PROBE" unix-send "$WORK/app.sock" hello-unix
    assert_success
    assert_output hello-unix
    run mc exec p2 -- stat -c '%F %u:%g %a' /run/up.sock
    assert_output "socket 1000:1000 600"
    run mc exec p2 -- /sock-probe unix-send /run/up.sock from-inside
    assert_success
    assert_output from-inside
}

@test "a proxy that cannot listen fails the start in one line and leaves nothing; bad addresses are refused at config time" {
    local port pid
    port=$(free_port)
    "$PROBE" tcp-echo 127.0.0.1 "$port" >/dev/null 2>&1 &
    pid=$!
    export STARTED_PIDS="$pid"   # teardown ends it
    sleep 0.2
    mc init busybox p3 </dev/null
    mc config device add p3 web proxy listen=tcp:127.0.0.1:"$port" connect=tcp:127.0.0.1:80
    run mc start p3
    assert_failure 1
    assert_output "minictr: proxy \`web\`: listen on \`tcp:127.0.0.1:$port\`: Address already in use"
    assert_equal "$(status_of p3)" Stopped
    run mc config device add p3 x proxy listen=tcp:1.2.3:80 connect=tcp:127.0.0.1:80
    assert_failure 1
    assert_output "minictr: device \`x\`: listen: \`tcp:1.2.3:80\`: invalid IPv4 address \`1.2.3\`"
    run mc config device add p3 x proxy listen=tcp:127.0.0.1:80-90 connect=tcp:127.0.0.1:80
    assert_output "minictr: device \`x\`: listen: \`tcp:127.0.0.1:80-90\`: port ranges and lists are not supported (one proxy device per port)"
    run mc config device add p3 x proxy listen=udp:127.0.0.1:53 connect=tcp:127.0.0.1:53
    assert_output "minictr: device \`x\`: udp forwards only to udp"
    run mc config device add p3 x proxy listen=tcp:127.0.0.1:80 connect=tcp:127.0.0.1:80 bind=guest
    assert_output "minictr: device \`x\`: bind must be host or container, not \`guest\`"
    run mc config device add p3 x proxy listen=tcp:127.0.0.1:80
    assert_output "minictr: device \`x\`: a proxy needs \`listen\` and \`connect\`"
    run mc config device add p3 x proxy listen='tcp:[::1]:99999' connect=tcp:127.0.0.1:80
    assert_output "minictr: device \`x\`: listen: \`tcp:[::1]:99999\`: invalid port \`99999\` (1 to 65535)"
    run mc config device add p3 x proxy listen=tcp:127.0.0.1:80 connect=tcp:10.0.0.2:80 nat=true
    assert_output "minictr: device \`x\`: nat=true cannot listen on loopback (use a host address, or 0.0.0.0, or leave nat unset)"
    run mc config device add p3 x proxy listen=tcp:0.0.0.0:80 connect=unix:/run/x.sock nat=true
    assert_output "minictr: device \`x\`: nat=true needs tcp or udp IPv4 addresses at both ends, of one protocol"
    run mc config device add p3 x proxy listen=tcp:0.0.0.0:80 connect=udp:10.0.0.2:80 nat=true
    assert_output "minictr: device \`x\`: udp forwards only to udp"
}

@test "nat=true: a DNAT rule in a table of the container's own, to its nic's address, gone when it stops" {
    local port gw a t
    port=$(free_port)
    mc network create pn ipv4.nat=false
    gw=$(mc network get pn ipv4.address | cut -d/ -f1)
    a=${gw%.*}.50
    mc init busybox p4 </dev/null
    mc config device add p4 eth0 nic network=pn ipv4.address="$a"
    mc file push --mode 0755 "$PROBE" p4/sock-probe
    mc config device add p4 web proxy listen=tcp:"$gw":"$port" connect=tcp:"$a":7000 nat=true
    mc start p4
    serve_in p4 tcp-echo 0.0.0.0 7000
    t=minictr-$(state_id)-nat-p4
    run nft list table inet "$t"
    assert_output --partial "ip daddr $gw tcp dport $port dnat ip to $a:7000"
    # No proxy process: the kernel forwards.
    [ -z "$(proxy_pid p4)" ] || fail "a proxy process for nat=true"
    run "$PROBE" tcp-send "$gw" "$port" hello-nat
    assert_success
    assert_output hello-nat
    mc stop --force p4
    run nft list table inet "$t"
    assert_failure
    # Its connect address must be one of the container's.
    mc config device set p4 web connect=tcp:"${gw%.*}.51":7000
    run mc start p4
    assert_failure 1
    assert_output "minictr: proxy \`web\`: nat=true connects to ${gw%.*}.51, which is not an address of the container's nics (give its nic that ipv4.address)"
}
