#!/usr/bin/env bats
# The OCI runtime CLI (issue #16): `minictr oci` / `minictr-runc` driven as
# conmon or containerd's shim drive runc, on a bundle made here from the
# built-in busybox image: create under a subreaper, start, state, kill,
# delete; the process as its config.json says; refusals that leave nothing.

# shellcheck disable=SC2030,SC2031
load helpers

# helpers' teardown, kept under another name: ours deletes the bundle's
# containers first.
eval "$(declare -f teardown | sed '1s/^teardown/mc_teardown/')"

setup() {
    setup_state
    RUNC_ROOT=$WORK/runc
    mkdir -p "$WORK/b" "$WORK/bb"
    tar -C "$WORK/bb" -xf "$(busybox_image)"
    mv "$WORK/bb/rootfs" "$WORK/b/rootfs"
    (cd "$WORK/b" && "$MINICTR_BIN" oci spec)
    # A process that waits, without a terminal.
    set_config '.process.terminal = false | .process.args = ["sleep", "1000"]'
}

teardown() {
    local d
    for d in "$RUNC_ROOT"/*/; do
        [ -d "$d" ] || continue
        d=${d%/}
        "$MINICTR_BIN" oci --root "$RUNC_ROOT" delete --force "${d##*/}" || true
    done
    mc_teardown
}

# (RUNC_FLAGS: more global flags)
runc() {
    # shellcheck disable=SC2086
    "$MINICTR_BIN" oci --root "$RUNC_ROOT" ${RUNC_FLAGS:-} "$@"
}

# set_config JQ: the bundle's config.json through the jq program JQ.
set_config() {
    jq "$1" "$WORK/b/config.json" >"$WORK/b/config.json.new"
    mv "$WORK/b/config.json.new" "$WORK/b/config.json"
}

# refused JQ MESSAGE: with its config through JQ, the bundle is refused
# by `create` with "minictr: MESSAGE", and nothing of the container is
# left; the config is restored.
refused() {
    local rc=0
    cp "$WORK/b/config.json" "$WORK/config.saved"
    set_config "$1"
    # Its output to a file, not a pipe: should it be made after all, its
    # process (waiting for `start`) would hold the pipe open for ever.
    runc create --bundle "$WORK/b" refused >"$WORK/refused.out" 2>&1 </dev/null || rc=$?
    mv "$WORK/config.saved" "$WORK/b/config.json"
    if [ "$rc" = 0 ]; then
        runc delete --force refused
        fail "not refused: $1"
    fi
    assert_equal "$rc" 1
    assert_equal "$(cat "$WORK/refused.out")" "minictr: $2"
    [ ! -e "$RUNC_ROOT/refused" ]
    [ -z "$(find /sys/fs/cgroup -maxdepth 7 -type d -name refused)" ]
}

# create ID [BUNDLE [FLAGS...]]: `create` (of BUNDLE, $WORK/b by default,
# with FLAGS) under a subreaper (tests/integration/subreaper.py), as
# conmon runs it; its exit code checked.  The container's PID in PID.
create() {
    local _ id=$1 bundle=${2:-$WORK/b}
    shift
    [ $# -eq 0 ] || shift
    python3 "$BATS_TEST_DIRNAME/subreaper.py" "$WORK/$id.exits" "$MINICTR_BIN" oci --root "$RUNC_ROOT" \
        create --bundle "$bundle" --pid-file "$WORK/$id.pid" "$@" "$id" 3>&- &
    STARTED_PIDS="${STARTED_PIDS:-} $!"
    for _ in $(seq 200); do
        [ -s "$WORK/$id.exits" ] && break
        sleep 0.05
    done
    [ "$(head -1 "$WORK/$id.exits" | cut -d' ' -f2)" = 0 ] || fail "create $id failed"
    PID=$(cat "$WORK/$id.pid")
}

# status_is ID STATUS: `state` says so within 5 s.
status_is() {
    local _
    for _ in $(seq 100); do
        [ "$(runc state "$1" | jq -r .status)" = "$2" ] && return 0
        sleep 0.05
    done
    fail "container $1 is $(runc state "$1" | jq -r .status), not $2"
}

# The path of PID's cgroup in the hierarchy of CONTROLLER (cgroup2 when
# the host has no v1 hierarchy for it).
cgroup_dir() {
    local line
    line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup" || true)
    if [ -n "$line" ]; then
        echo "/sys/fs/cgroup/$2${line##*:}"
    else
        line=$(grep '^0::' "/proc/$1/cgroup")
        echo "/sys/fs/cgroup${line#0::}"
    fi
}

@test "oci create, start, state, kill, delete: the bundle's process, user, capabilities, hostname, limits and masks" {
    local cg_mem cg_pids mem_file
    set_config '.hostname = "oci1" | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10]} | .process.oomScoreAdj = 500
        | .process.capabilities.inheritable = ["CAP_NET_BIND_SERVICE"]
        | .process.capabilities.ambient = ["CAP_NET_BIND_SERVICE"]
        | .linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}
        | .process.args = ["sh", "-c", "trap \"exit 3\" TERM; while :; do sleep 0.1; done"]'
    create c1
    # Created: the process exists and waits for `start`, still minictr's.
    assert_equal "$(runc state c1 | jq -c '{ociVersion, id, status, pid, bundle, annotations}')" \
        "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"created\",\"pid\":$PID,\"bundle\":\"$WORK/b\",\"annotations\":{}}"
    [[ "$(tr '\0' ' ' <"/proc/$PID/cmdline")" != "sh -c "* ]]
    runc start c1
    status_is c1 running
    assert_equal "$(cat "/proc/$PID/oom_score_adj")" 500
    assert_equal "$(runc exec c1 cat /proc/self/oom_score_adj)" 500
    for _ in $(seq 100); do
        [[ "$(tr '\0' ' ' <"/proc/$PID/cmdline")" == "sh -c "* ]] && break
        sleep 0.05
    done
    [[ "$(tr '\0' ' ' <"/proc/$PID/cmdline")" == "sh -c trap "* ]]
    # As the config says: ids, groups, no_new_privs; the bounding set of
    # three (CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_AUDIT_WRITE 29).  A
    # user that is not root keeps through its exec only its ambient
    # capabilities (CAP_NET_BIND_SERVICE, also inheritable): as with runc.
    assert_equal "$(awk '/^(Uid|Gid|Groups):/ { $1 = ""; print }' "/proc/$PID/status" | xargs)" \
        "1000 1000 1000 1000 1000 1000 1000 1000 10"
    assert_equal "$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ { print $2 }' "/proc/$PID/status" | xargs)" \
        "0000000000000400 0000000000000400 0000000000000400 0000000020000420 0000000000000400"
    assert_equal "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$PID/status")" 1
    assert_equal "$(nsenter --target "$PID" --uts hostname)" oci1
    # Its limits, in its cgroup.
    cg_mem=$(cgroup_dir "$PID" memory)
    cg_pids=$(cgroup_dir "$PID" pids)
    if [ -e "$cg_mem/memory.max" ]; then mem_file=memory.max; else mem_file=memory.limit_in_bytes; fi
    assert_equal "$(cat "$cg_mem/$mem_file")" 67108864
    assert_equal "$(cat "$cg_pids/pids.max")" 50
    # The masks of the config (runc's list, which has /proc/interrupts, not
    # in minictr's own): it reads as /dev/null.
    [ "$(wc -c </proc/interrupts)" -gt 0 ]
    assert_equal "$(nsenter --target "$PID" --all --root --wd=/ sh -c 'wc -c </proc/interrupts')" 0
    # Running: not deleted without --force, not started twice.
    run runc delete c1
    assert_failure 1
    assert_output "minictr: container \`c1\` is running: stop it first, or delete --force"
    run runc start c1
    assert_failure 1
    assert_output "minictr: container \`c1\` is running, not created: it can be started once"
    # SIGTERM (the default), once its shell catches it (SigCgt bit 14),
    # ends it; its subreaper reaps it.
    for _ in $(seq 100); do
        (( 0x$(awk '/^SigCgt:/ { print $2 }' "/proc/$PID/status") & 0x4000 )) && break
        sleep 0.05
    done
    runc kill c1
    status_is c1 stopped
    assert_equal "$(runc state c1 | jq -r .pid)" 0
    for _ in $(seq 100); do
        grep -q "^$PID " "$WORK/c1.exits" && break
        sleep 0.05
    done
    assert_equal "$(grep "^$PID " "$WORK/c1.exits")" "$PID 3"
    run runc kill c1 KILL
    assert_failure 1
    assert_output "minictr: container \`c1\` is not running"
    runc delete c1
    [ ! -e "$RUNC_ROOT/c1" ]
    [ ! -e "$cg_mem" ]
    [ ! -e "$cg_pids" ]
    run runc state c1
    assert_failure 1
    assert_output "minictr: container \`c1\` does not exist"
    # In a user namespace too: oomScoreAdj is written from the host's side
    # (its own /proc files are not the container root's to open).
    set_config '.process.user = {"uid": 0, "gid": 0} | .process.args = ["sleep", "1000"]
        | .linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
    create c2
    runc start c2
    assert_equal "$(cat "/proc/$PID/oom_score_adj")" 500
    assert_equal "$(runc exec c2 cat /proc/self/oom_score_adj)" 500
    runc delete --force c2
}

@test "oci: bind mounts as the config says: rbind or bind, ro, noexec (always nosuid, nodev); tmpfs; the host's cgroup namespace; cpu" {
    local line cg
    mkdir -p "$WORK/data/sub"
    echo hi >"$WORK/data/f"
    mount -t tmpfs tmpfs "$WORK/data/sub"
    MOUNTED="${MOUNTED:-} $WORK/data/sub"
    set_config '.mounts += [{"destination": "/data", "type": "bind", "source": "'"$WORK"'/data",
            "options": ["rbind", "ro", "noexec"]},
        {"destination": "/flat", "type": "bind", "source": "'"$WORK"'/data", "options": ["bind", "rprivate"]},
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=700", "size=1m"]},
        {"destination": "/flat/t", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "noexec"]}]
        | .linux.namespaces |= map(select(.type != "cgroup"))
        | .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
    create c1
    runc start c1
    status_is c1 running
    line=$(awk '$5 == "/data" { print $6 }' "/proc/$PID/mountinfo")
    [[ ",$line," == *,ro,* && ",$line," == *,noexec,* && ",$line," == *,nosuid,* && ",$line," == *,nodev,* ]] \
        || fail "/data mounted $line"
    line=$(awk '$5 == "/flat" { print $6 }' "/proc/$PID/mountinfo")
    [[ ",$line," == *,rw,* && ",$line," != *,noexec,* && ",$line," == *,nosuid,* ]] || fail "/flat mounted $line"
    # rbind brings the tmpfs below; bind does not.
    assert_equal "$(awk '$5 == "/data/sub" { print $9 }' "/proc/$PID/mountinfo")" tmpfs
    assert_equal "$(awk '$5 == "/flat/sub" { print $9 }' "/proc/$PID/mountinfo")" ""
    assert_equal "$(nsenter --target "$PID" --all --root --wd=/ cat /data/f)" hi
    # tmpfs mounts, in the config's order (the second on a bind mount),
    # owned by the container's root.
    line=$(awk '$5 == "/run" { for (i = 7; $i != "-"; i++); print $(i + 1), $6, $NF }' "/proc/$PID/mountinfo")
    [[ "$line" == "tmpfs rw,nosuid,nodev "*size=1024k* && "$line" == *mode=700* ]] || fail "/run mounted $line"
    line=$(awk '$5 == "/flat/t" { for (i = 7; $i != "-"; i++); print $(i + 1), $6 }' "/proc/$PID/mountinfo")
    [[ "$line" == "tmpfs ro,nosuid,nodev,noexec,"* ]] || fail "/flat/t mounted $line"
    # No cgroup namespace in the config: the host's, with the container's
    # own cgroup at /sys/fs/cgroup (when the host has cgroup2).
    assert_equal "$(readlink "/proc/$PID/ns/cgroup")" "$(readlink /proc/self/ns/cgroup)"
    if grep -q '^0::' /proc/self/cgroup; then
        line=$(awk '$5 == "/sys/fs/cgroup" { print $4 }' "/proc/$PID/mountinfo")
        assert_equal "$line" "$(grep '^0::' "/proc/$PID/cgroup" | cut -d: -f3)"
    fi
    # cpu: shares, quota and period.
    cg=$(cgroup_dir "$PID" cpu)
    if [ -e "$cg/cpu.max" ]; then
        assert_equal "$(cat "$cg/cpu.max") $(cat "$cg/cpu.weight")" "50000 100000 20"
    else
        assert_equal "$(cat "$cg/cpu.cfs_quota_us") $(cat "$cg/cpu.cfs_period_us") $(cat "$cg/cpu.shares")" "50000 100000 512"
    fi
    # The root is read-only (root.readonly), the rw bind on it is not.
    run nsenter --target "$PID" --all --root --wd=/ touch /newfile
    assert_failure
    assert_output --partial "Read-only file system"
    nsenter --target "$PID" --all --root --wd=/ touch /flat/w
    [ -e "$WORK/data/w" ]
    runc delete --force c1
}

@test "oci: refusals name the problem and leave nothing; pause, resume, ps; delete --force; kill by name; minictr-runc; --log json" {
    create c1
    # The same id twice.
    run runc create --bundle "$WORK/b" c1
    assert_failure 1
    assert_output "minictr: container \`c1\` already exists"
    # What minictr does not carry out is refused before anything is made;
    # a program that is not there, at create (as runc).
    refused '.process.terminal = true' \
        "config.json's \`process.terminal\` asks for a terminal: it needs --console-socket"
    refused '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["uid=5"]}]' \
        "config.json: \`mounts[7]\` (tmpfs on /x): option \`uid=5\` is not supported by minictr yet"
    refused '.mounts += [{"destination": "/x", "type": "ext4", "source": "/dev/sda1"}]' \
        "config.json: \`mounts[7]\` (ext4 on /x) is not supported by minictr yet"
    refused '.linux.resources.cpu = {"realtimeRuntime": 5}' \
        "config.json: \`linux.resources.cpu.realtimeRuntime\` is not supported by minictr"
    refused '.mounts += [{"destination": "/x", "type": "bind", "source": "/tmp", "options": ["rbind", "suid"]}]' \
        "config.json: \`mounts[7]\` (bind on /x): option \`suid\` is not supported by minictr yet"
    refused '.process.args = ["nonexistent"]' \
        "\`nonexistent\` (process.args[0]): no such program in the container: No such file or directory"
    # systemd's form of cgroupsPath: only with --systemd-cgroup, and then
    # only on a host run by systemd with cgroup2 alone (tests/vm/systemd-host.bats).
    refused '.linux.cgroupsPath = "machine.slice:mct:c9"' \
        "config.json: \`linux.cgroupsPath\` \`machine.slice:mct:c9\`: want /PARENT/NAME or PARENT/NAME (SLICE:PREFIX:NAME is systemd's form: --systemd-cgroup)"
    RUNC_FLAGS=--systemd-cgroup refused '.linux.cgroupsPath = "/a/c9"' \
        "config.json: \`linux.cgroupsPath\` \`/a/c9\`: with --systemd-cgroup, want SLICE:PREFIX:NAME"
    RUNC_FLAGS=--systemd-cgroup refused '.linux.cgroupsPath = "a/b.slice:mct:c9"' \
        "config.json: \`linux.cgroupsPath\` \`a/b.slice:mct:c9\`: \`a/b.slice\` is not a slice's name"
    if [ ! -d /run/systemd/system ] || [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
        RUNC_FLAGS=--systemd-cgroup refused '.linux.cgroupsPath = "machine.slice:mct:c9"' \
            "--systemd-cgroup: this host is not run by systemd with cgroup2 alone (a cgroupsPath /PARENT/NAME places the container without it)"
    fi
    run runc create --bundle "$WORK/b" ../x
    assert_failure 2
    assert_output "minictr: invalid container id \`../x\`: letters, digits, \`_\`, \`+\`, \`-\` and \`.\` only"
    # minictr-runc is `minictr oci`.
    ln -s "$MINICTR_BIN" "$WORK/minictr-runc"
    assert_equal "$("$WORK/minictr-runc" --root "$RUNC_ROOT" state c1 | jq -r .status)" created
    # runc's --log: the error as a JSON line too.
    run "$WORK/minictr-runc" --root "$RUNC_ROOT" --log "$WORK/log.json" --log-format json start nosuch
    assert_failure 1
    assert_equal "$(jq -r '.level + " " + .msg' "$WORK/log.json")" "error container \`nosuch\` does not exist"
    # Signalled by name; a created one deleted without --force.
    runc start c1
    status_is c1 running
    # The config's /sys/fs/cgroup is read-only (`ro`): root in the
    # container cannot change its own limits.
    run nsenter --target "$PID" --all --root --wd=/ mkdir /sys/fs/cgroup/x
    assert_failure
    assert_output --partial "Read-only file system"
    # pause and resume freeze and thaw its cgroup; ps lists its processes.
    runc pause c1
    status_is c1 paused
    assert_equal "$(runc ps --format json c1)" "[$PID]"
    run runc pause c1
    assert_failure 1
    assert_output "minictr: container \`c1\` is paused, not running"
    runc resume c1
    status_is c1 running
    assert_equal "$(runc ps c1)" "$(printf 'PID CMD\n%s sleep 1000' "$PID")"
    runc kill c1 SIGKILL
    status_is c1 stopped
    runc delete c1
    create c3
    runc delete c3
    [ ! -e "$RUNC_ROOT/c3" ]
    # A running one, paused even, with --force.
    create c4
    runc start c4
    status_is c4 running
    runc pause c4
    status_is c4 paused
    runc delete --force c4
    [ ! -e "$RUNC_ROOT/c4" ]
    [ ! -e "/proc/$PID" ] || [ "$(awk '{ print $3 }' "/proc/$PID/stat")" = Z ]
    # Gone, with --force: nothing to do.
    runc delete --force c4
}

# console ID OUT INPUT: a console socket at $WORK/ID.sock, its terminal's
# output (after the message's text) in OUT once closed, INPUT typed.
console() {
    python3 "$BATS_TEST_DIRNAME/console-socket.py" "$WORK/$1.sock" "$2" "$3" 3>&- &
    STARTED_PIDS="${STARTED_PIDS:-} $!"
    for _ in $(seq 100); do
        [ -S "$WORK/$1.sock" ] && return 0
        sleep 0.05
    done
    fail "no console socket $WORK/$1.sock"
}

# wait_file FILE: FILE exists within 10 s.
wait_file() {
    for _ in $(seq 200); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    fail "no $1"
}

@test "oci exec (attached, detached, --process with user and capabilities, a terminal), create with a terminal" {
    local pid2
    create c1
    # Waiting for `start`, the process holds no fd of ours but the fifo's
    # (0-2 and one), and a process exec'd beside it (root, with the same
    # capabilities) cannot reach its fds or exe: it is not dumpable until
    # it execs (the CVE-2019-5736 class).
    assert_equal "$(find "/proc/$PID/fd" -mindepth 1 | wc -l)" 4
    run runc exec c1 cat /proc/1/fd/0
    assert_failure
    assert_output "cat: can't open '/proc/1/fd/0': Permission denied"
    run runc exec c1 readlink /proc/1/exe
    assert_failure
    assert_output ""
    runc start c1
    status_is c1 running
    # Attached: its output, its exit code; in the container's PID namespace.
    # shellcheck disable=SC2016 # expanded inside the container
    run runc exec -e FOO=bar --cwd /tmp c1 sh -c 'echo "$FOO $(pwd) $(cat /proc/1/cmdline | tr "\0" " ")"; exit 3'
    assert_failure 3
    assert_output "bar /tmp sleep 1000 "
    # Detached (as conmon runs it): back once it runs, its PID in the pid
    # file, in the container's cgroup; reaped by the subreaper.
    python3 "$BATS_TEST_DIRNAME/subreaper.py" "$WORK/x.exits" "$MINICTR_BIN" oci --root "$RUNC_ROOT" \
        exec --detach --pid-file "$WORK/x.pid" c1 sh -c 'sleep 1; exit 4' 3>&- &
    STARTED_PIDS="${STARTED_PIDS:-} $!"
    wait_file "$WORK/x.exits"
    pid2=$(cat "$WORK/x.pid")
    assert_equal "$(cat "/proc/$pid2/cgroup")" "$(cat "/proc/$PID/cgroup")"
    assert_equal "$(runc ps --format json c1 | jq -c "map(select(. == $PID or . == $pid2))")" "[$PID,$pid2]"
    assert_equal "$(head -1 "$WORK/x.exits" | cut -d' ' -f2)" 0
    for _ in $(seq 100); do
        [ -n "$(sed -n 2p "$WORK/x.exits")" ] && break
        sleep 0.05
    done
    assert_equal "$(sed -n 2p "$WORK/x.exits")" "$pid2 4"
    # --process: the process whole (user, groups, capabilities, rlimits,
    # no_new_privs), on a terminal of the container's devpts of the size
    # asked, through the console socket.
    cat >"$WORK/p.json" <<'J'
{"terminal": true, "consoleSize": {"height": 20, "width": 70}, "args": ["sh", "-c", "read x; echo \"got $x $(tty) $(stty size) $(id -u):$(id -g):$(id -G) $(ulimit -n)\"; grep -E '^Cap(Bnd|Amb)|^NoNewPrivs' /proc/self/status"],
 "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 1000, "gid": 1000, "additionalGids": [5]},
 "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_KILL"], "permitted": ["CAP_KILL"],
                  "effective": ["CAP_KILL"], "ambient": ["CAP_KILL"]},
 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 99, "hard": 99}], "noNewPrivileges": true}
J
    console e1 "$WORK/e1.out" $'hello\n'
    runc exec --process "$WORK/p.json" --console-socket "$WORK/e1.sock" c1
    wait_file "$WORK/e1.out"
    assert_equal "$(tr -d '\r' <"$WORK/e1.out")" "$(printf '%s\n' /dev/ptmx hello 'got hello /dev/pts/0 20 70 1000:1000:1000 5 99' \
        $'CapBnd:\t0000000000000021' $'CapAmb:\t0000000000000020' $'NoNewPrivs:\t1')"
    # A terminal with no console socket, attached: exec's own stdin and
    # stdout through it (runc's exec -t at a user's terminal), the exit
    # status the command's.
    assert_regex "$(runc exec -t c1 tty </dev/null | tr -d '\r')" '^/dev/pts/[0-9]+$'
    # shellcheck disable=SC2016 # expanded inside the container
    run bash -c "printf 'typed\n' | $MINICTR_BIN oci --root $RUNC_ROOT exec -t c1 sh -c 'read x; echo got:\$x; exit 3'"
    assert_failure 3
    assert_equal "$(tr -d '\r' <<<"$output")" "$(printf '%s\n' typed got:typed)"
    # (a command that reads nothing of a large input still gets its output
    # through)
    # (the terminal echoes what it took of the input: only the end is
    # the command's)
    run timeout 30 bash -c "head -c 100000 /dev/zero | $MINICTR_BIN oci --root $RUNC_ROOT exec -t c1 sh -c 'sleep 0.5; echo done' | tr -d '\\r\\0'"
    assert_success
    [ "${output: -4}" = "done" ] || fail "not done: ${output: -40}"
    # (a command that fails first: its own message, not the relay's)
    run runc exec -t c1 nonexistent </dev/null
    assert_failure 1
    assert_output "minictr: \`nonexistent\` (process.args[0]): no such program in the container: No such file or directory"
    # Refusals: a terminal with no console socket, detached; a bad process
    # file, a paused container, a stopped one.
    run runc exec -d --process "$WORK/p.json" c1
    assert_failure 1
    assert_output "minictr: the process asks for a terminal: it needs --console-socket"
    echo '{"args": [], "cwd": "/"}' >"$WORK/bad.json"
    run runc exec --process "$WORK/bad.json" c1
    assert_failure 1
    assert_output "minictr: $WORK/bad.json: \`process.args\` is empty: there is nothing to run"
    runc pause c1
    status_is c1 paused
    run runc exec c1 true
    assert_failure 1
    assert_output "minictr: container \`c1\` is paused: exec needs it created or running"
    runc resume c1
    runc kill c1 KILL
    status_is c1 stopped
    run runc exec c1 true
    assert_failure 1
    assert_output "minictr: container \`c1\` is stopped: exec needs it created or running"
    runc delete c1
    # create with process.terminal: the container's process on a terminal.
    # shellcheck disable=SC2016 # expanded inside the container
    set_config '.process.terminal = true | .process.args = ["sh", "-c", "read x; echo got $x; tty"]'
    console c2 "$WORK/c2.out" $'typed\n'
    create c2 "$WORK/b" --console-socket "$WORK/c2.sock"
    runc start c2
    wait_file "$WORK/c2.out"
    assert_equal "$(tr -d '\r' <"$WORK/c2.out")" "$(printf '%s\n' /dev/ptmx typed 'got typed' /dev/pts/0)"
    status_is c2 stopped
    runc delete c2
}

@test "oci update changes the limits given and keeps the others; features says what minictr carries out" {
    local cg_mem cg_pids cg_cpu mem_file
    set_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}
        | .linux.resources.cpu = {"shares": 512, "quota": 50000}'
    create c1
    runc start c1
    status_is c1 running
    cg_mem=$(cgroup_dir "$PID" memory)
    cg_pids=$(cgroup_dir "$PID" pids)
    cg_cpu=$(cgroup_dir "$PID" cpu)
    if [ -e "$cg_mem/memory.max" ]; then mem_file=memory.max; else mem_file=memory.limit_in_bytes; fi
    runc update --memory 32m c1
    assert_equal "$(cat "$cg_mem/$mem_file") $(cat "$cg_pids/pids.max")" "33554432 50"
    # The cpu resources of create stay (the whole limits set is applied).
    if [ -e "$cg_cpu/cpu.max" ]; then
        assert_equal "$(cat "$cg_cpu/cpu.max") $(cat "$cg_cpu/cpu.weight")" "50000 100000 20"
    else
        assert_equal "$(cat "$cg_cpu/cpu.cfs_quota_us") $(cat "$cg_cpu/cpu.shares")" "50000 512"
    fi
    echo '{"cpu": {"quota": 20000}}' | runc update --resources - c1
    if [ -e "$cg_cpu/cpu.max" ]; then
        assert_equal "$(cat "$cg_cpu/cpu.max") $(cat "$cg_cpu/cpu.weight")" "20000 100000 20"
    else
        assert_equal "$(cat "$cg_cpu/cpu.cfs_quota_us") $(cat "$cg_cpu/cpu.shares")" "20000 512"
    fi
    echo '{"pids": {"limit": 70}}' | runc update --resources - c1
    assert_equal "$(cat "$cg_mem/$mem_file") $(cat "$cg_pids/pids.max")" "33554432 70"
    # -1: no limit.
    echo '{"memory": {"limit": -1}, "pids": {"limit": -1}}' >"$WORK/r.json"
    runc update --resources "$WORK/r.json" c1
    assert_equal "$(cat "$cg_pids/pids.max")" max
    if [ "$mem_file" = memory.max ]; then
        assert_equal "$(cat "$cg_mem/memory.max")" max
    else
        # cgroup1's "none": the largest page-aligned value.
        assert_equal "$(cat "$cg_mem/memory.limit_in_bytes")" 9223372036854771712
    fi
    # What it does not carry out is refused by name, nothing changed.
    echo '{"blockIO": {"weight": 10}, "pids": {"limit": 5}}' >"$WORK/r.json"
    run runc update --resources "$WORK/r.json" c1
    assert_failure 1
    assert_output "minictr: --resources: \`linux.resources.blockIO\` is not supported by minictr"
    assert_equal "$(cat "$cg_pids/pids.max")" max
    run runc update --memory lots c1
    assert_failure 1
    assert_output --partial "minictr: --memory: invalid size \`lots\`"
    runc kill c1 KILL
    status_is c1 stopped
    run runc update --pids-limit 5 c1
    assert_failure 1
    assert_output "minictr: container \`c1\` is not running"
    runc delete c1
    # features: the namespaces, the running kernel's capabilities (as
    # libcap names them), cgroups, seccomp's actions, the hooks it runs.
    run runc features
    assert_success
    assert_equal "$(jq -c '[.ociVersionMin, .hooks, .linux.namespaces, .linux.cgroup, .linux.seccomp.enabled, (.linux.seccomp.actions | length)]' <<<"$output")" \
        '["1.0.0",["prestart","createRuntime","createContainer","startContainer","poststart","poststop"],["cgroup","ipc","mount","network","pid","user","uts"],{"v1":true,"v2":true,"systemd":true,"systemdUser":false},true,8]'
    assert_equal "$(jq '.linux.capabilities | length' <<<"$output")" "$(($(cat /proc/sys/kernel/cap_last_cap) + 1))"
    assert_equal "$(jq -r '.linux.capabilities[0]' <<<"$output")" CAP_CHOWN
}

@test "oci: linux.seccomp as given (actions, errnos, argument comparisons), for exec too; refusals" {
    # mkdir fails with EACCES (13); kill with signal 10 (SIGUSR1) with
    # EPERM; a syscall libseccomp does not know is skipped, as runc.
    set_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                     {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]},
                     {"names": ["no_such_syscall_at_all"], "action": "SCMP_ACT_KILL"}]}'
    create c1
    runc start c1
    status_is c1 running
    assert_equal "$(awk '/^Seccomp:/ { print $2 }' "/proc/$PID/status")" 2
    # (its PID in the container's namespace: as it comes)
    run runc exec c1 sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/x; kill -USR1 $$ 2>&1 | sed "s/pid $$:/pid:/"
        kill -0 $$ && echo zero-ok'
    assert_success
    assert_output "$(printf '%s\n' $'Seccomp:\t2' "mkdir: can't create directory '/tmp/x': Permission denied" \
        "sh: can't kill pid: Operation not permitted" zero-ok)"
    runc delete --force c1
    # With noNewPrivileges the filter comes last, just before the exec (as
    # runc): a profile that denies what taking the user calls still runs.
    set_config '.process.noNewPrivileges = true | .process.user = {"uid": 1000, "gid": 1000}
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["setresuid", "setresgid", "setgroups", "capset", "setuid", "setgid"],
                          "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
    create c2
    runc start c2
    status_is c2 running
    assert_equal "$(awk '/^Seccomp:/ { print $2 }' "/proc/$PID/status")" 2
    assert_equal "$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status")" 1000
    assert_equal "$(runc exec c2 id -u)" 1000
    runc delete --force c2
    # What a filter cannot be, or minictr does not carry out, is refused by
    # name, and nothing is made.
    refused '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOTIFY"}' \
        "config.json: \`linux.seccomp.defaultAction\` SCMP_ACT_NOTIFY (a seccomp agent) is not supported by minictr"
    refused '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]}' \
        "config.json: \`linux.seccomp.syscalls[0].action\`: unknown action \`SCMP_ACT_FOO\`"
    refused '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}' \
        "config.json: \`linux.seccomp.architectures[0]\`: unknown architecture \`SCMP_ARCH_VAX\`"
    refused '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
        "config.json: \`linux.seccomp.syscalls[0].args[0].index\` is not 0 to 5"
    refused '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}' \
        "config.json: \`linux.seccomp.listenerPath\` (a seccomp agent) is not supported by minictr"
}

@test "oci: namespaces joined by path (a pod's network, ipc, uts), the host's (network, ipc, uts, pid); refusals" {
    local pid1 n
    create c1
    runc start c1
    pid1=$PID
    # c2 joins c1's network, ipc and uts namespaces (as a pod's containers
    # join its sandbox's); its pid and mount ones are its own.
    mkdir -p "$WORK/b2"
    ln -s "$WORK/b/rootfs" "$WORK/b2/rootfs"
    jq --arg p "/proc/$pid1/ns" 'del(.hostname) | .linux.namespaces = [{"type": "pid"}, {"type": "mount"},
        {"type": "network", "path": ($p + "/net")}, {"type": "ipc", "path": ($p + "/ipc")},
        {"type": "uts", "path": ($p + "/uts")}, {"type": "cgroup"}]' "$WORK/b/config.json" >"$WORK/b2/config.json"
    create c2 "$WORK/b2"
    runc start c2
    for n in net ipc uts; do
        assert_equal "$(readlink "/proc/$PID/ns/$n")" "$(readlink "/proc/$pid1/ns/$n")"
    done
    [ "$(readlink "/proc/$PID/ns/pid")" != "$(readlink "/proc/$pid1/ns/pid")" ]
    # c4 joins c1's pid namespace too (podman's --pid container:, a pod's
    # shared pid namespace): it sees c1's process as PID 1.
    mkdir -p "$WORK/b4"
    ln -s "$WORK/b/rootfs" "$WORK/b4/rootfs"
    jq --arg p "/proc/$pid1/ns" 'del(.hostname) | .linux.namespaces = [{"type": "pid", "path": ($p + "/pid")},
        {"type": "mount"}, {"type": "network", "path": ($p + "/net")}, {"type": "ipc", "path": ($p + "/ipc")},
        {"type": "uts", "path": ($p + "/uts")}, {"type": "cgroup"}]' "$WORK/b/config.json" >"$WORK/b4/config.json"
    create c4 "$WORK/b4"
    runc start c4
    assert_equal "$(readlink "/proc/$PID/ns/pid")" "$(readlink "/proc/$pid1/ns/pid")"
    assert_equal "$(runc exec c4 cat /proc/1/cmdline | tr '\0' ' ')" "sleep 1000 "
    # (its own PID there: not 1)
    [ "$(awk '/^NSpid:/ {print $3}' "/proc/$PID/status")" -gt 1 ]
    # minictr's own processes went back to the host's.
    assert_equal "$(runc state c4 | jq -r .status)" running
    runc delete --force c4
    # c3 keeps the host's network, ipc, uts, pid (and cgroup) namespaces.
    mkdir -p "$WORK/b3"
    ln -s "$WORK/b/rootfs" "$WORK/b3/rootfs"
    jq 'del(.hostname) | .linux.namespaces = [{"type": "mount"}]' "$WORK/b/config.json" >"$WORK/b3/config.json"
    create c3 "$WORK/b3"
    runc start c3
    for n in net ipc uts pid cgroup; do
        assert_equal "$(readlink "/proc/$PID/ns/$n")" "$(readlink "/proc/self/ns/$n")"
    done
    # ... and exec into it joins only those it has of its own.
    assert_equal "$(runc exec c3 hostname)" "$(hostname)"
    assert_equal "$(runc exec c3 readlink /proc/self/ns/net)" "$(readlink /proc/self/ns/net)"
    runc delete --force c3
    runc delete --force c2
    # Refusals, naming the problem, nothing left.
    refused ".linux.namespaces |= map(if .type == \"mount\" then . + {\"path\": \"/proc/$pid1/ns/mnt\"} else . end)" \
        "config.json: \`linux.namespaces[4]\`: joining a mount namespace by path is not supported by minictr"
    refused '.linux.namespaces |= map(if .type == "pid" then . + {"path": "/proc/self/ns/net"} else . end)' \
        "config.json: \`/proc/self/ns/net\` is not a pid namespace"
    refused '.linux.namespaces |= map(if .type == "network" then . + {"path": "/etc/passwd"} else . end)' \
        "config.json: \`/etc/passwd\` is not a network namespace"
    refused '.linux.namespaces |= map(if .type == "network" then . + {"path": "/nonexistent"} else . end)' \
        "config.json: the network namespace \`/nonexistent\`: No such file or directory"
    refused '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' \
        "config.json: \`linux.sysctl.net.ipv4.ip_forward\` would change the host's network namespace"
    # (the host's, given by path, is the host's too)
    refused '.linux.namespaces |= map(if .type == "network" then . + {"path": "/proc/self/ns/net"} else . end)
        | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' \
        "config.json: \`linux.sysctl.net.ipv4.ip_forward\` would change the host's network namespace"
    refused '.linux.namespaces |= map(select(.type != "network")) + [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
        "config.json: a user namespace with the network namespace of the host is not supported by minictr"
    runc delete --force c1
}

@test "oci hooks: createContainer, prestart and createRuntime at create, startContainer and poststart at start, poststop at delete, with the state on stdin; a failing one" {
    # A hook that records its kind, its environment and the state it reads.
    cat >"$WORK/hook" <<HOOK
#!/bin/sh
printf '%s %s %s\n' "\$1" "\${HOOK_ENV:--}" "\$(cat)" >>"$WORK/hooks.log"
HOOK
    chmod +x "$WORK/hook"
    # createContainer's also records the namespaces it runs in.
    cat >"$WORK/nshook" <<HOOK
#!/bin/sh
readlink /proc/self/ns/net /proc/self/ns/pid /proc/self/ns/mnt >"$WORK/ns.log"
exec "$WORK/hook" "\$@"
HOOK
    chmod +x "$WORK/nshook"
    set_config '.hooks = {
        "prestart": [{"path": "'"$WORK"'/hook", "args": ["hook", "prestart"], "env": ["HOOK_ENV=e1"]}],
        "createRuntime": [{"path": "'"$WORK"'/hook", "args": ["hook", "createRuntime"], "timeout": 5}],
        "createContainer": [{"path": "'"$WORK"'/nshook", "args": ["nshook", "createContainer"]}],
        "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/shm/start.state"]}],
        "poststart": [{"path": "'"$WORK"'/hook", "args": ["hook", "poststart"]}],
        "poststop": [{"path": "'"$WORK"'/hook", "args": ["hook", "poststop"]}]}'
    create c1
    # Each with its args and env, the state (id, status, pid, bundle) on
    # its stdin.  createContainer: in the container's namespaces, before
    # pivot_root (its path the host's), ahead of prestart and
    # createRuntime (which minictr runs once the tree is made).
    assert_equal "$(cut -d' ' -f1-2 "$WORK/hooks.log" | xargs)" "createContainer - prestart e1 createRuntime -"
    assert_equal "$(grep '^prestart ' "$WORK/hooks.log" | cut -d' ' -f3- | jq -c '[.id, .status, .pid, .bundle]')" \
        "[\"c1\",\"creating\",$PID,\"$WORK/b\"]"
    assert_equal "$(grep '^createContainer ' "$WORK/hooks.log" | cut -d' ' -f3- | jq -c '[.id, .status, .pid]')" \
        "[\"c1\",\"creating\",$PID]"
    assert_equal "$(cat "$WORK/ns.log")" "$(readlink "/proc/$PID/ns/net" "/proc/$PID/ns/pid" "/proc/$PID/ns/mnt")"
    runc start c1
    assert_equal "$(sed -n 4p "$WORK/hooks.log" | cut -d' ' -f1)" poststart
    assert_equal "$(sed -n 4p "$WORK/hooks.log" | cut -d' ' -f3- | jq -c '[.status, .pid]')" "[\"running\",$PID]"
    # startContainer: in the container, its path the container's, before
    # the process's exec (its PID there the process's own).
    assert_equal "$(runc exec c1 cat /dev/shm/start.state | jq -c '[.id, .status, .pid]')" '["c1","created",1]'
    runc delete --force c1
    assert_equal "$(sed -n 5p "$WORK/hooks.log" | cut -d' ' -f1)" poststop
    assert_equal "$(sed -n 5p "$WORK/hooks.log" | cut -d' ' -f3- | jq -c '[.id, .status, .pid]')" '["c1","stopped",0]'
    # A prestart hook that fails fails create, and nothing is left; one
    # that outlives its timeout is killed.
    refused '.hooks = {"prestart": [{"path": "/bin/false"}]}' \
        "\`hooks.prestart[0]\` \`/bin/false\` exited with 1"
    refused '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}' \
        "\`hooks.createRuntime[0]\` \`/bin/sleep\` did not end in 1 s: Connection timed out"
    refused '.hooks = {"createContainer": [{"path": "/bin/false"}]}' \
        "\`hooks.createContainer[0]\` \`/bin/false\` exited with 1"
    # ... even when it never reads a state larger than a pipe holds.
    refused '.annotations = {"big": ("x" * 200000)}
        | .hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}' \
        "\`hooks.createRuntime[0]\` \`/bin/sleep\` did not end in 1 s: Connection timed out"
    # A failing poststop hook is told, and the next ones and delete go on.
    set_config '.hooks = {"poststop": [{"path": "/bin/false"}, {"path": "'"$WORK"'/hook", "args": ["hook", "poststop2"]}]}'
    create c2
    run runc delete c2
    assert_success
    assert_output "minictr: warning: \`hooks.poststop[0]\` \`/bin/false\` exited with 1"
    [ ! -e "$RUNC_ROOT/c2" ]
    assert_equal "$(tail -1 "$WORK/hooks.log" | cut -d' ' -f1)" poststop2
}

@test "oci exec and create: a container root's #!/proc/self/exe gets a sealed copy of minictr, never the host's binary (CVE-2019-5736)" {
    local victim=$WORK/minictr-victim sum _
    # A copy of minictr, so that a failure damages only the copy.
    cp "$MINICTR_BIN" "$victim"
    sum=$(sha256sum <"$victim")
    hostile_rootfs "$WORK/b/rootfs" "$victim"
    # The default spec: no user namespace, its root the host's root.
    set_config '.root.readonly = false'
    "$victim" oci --root "$RUNC_ROOT" create --bundle "$WORK/b" c1 3>&- &
    STARTED_PIDS="${STARTED_PIDS:-} $!"
    status_is c1 created
    # The process waiting for `start` is already the sealed copy.
    PID=$(runc state c1 | jq -r .pid)
    assert_equal "$(readlink "/proc/$PID/exe")" "/memfd:minictr (deleted)"
    runc start c1
    status_is c1 running
    # (the preloaded library next to ASan's: it need not come first)
    "$victim" oci --root "$RUNC_ROOT" exec -e ASAN_OPTIONS=verify_asan_link_order=0 c1 /victim
    for _ in $(seq 200); do
        [ -e "$WORK/b/rootfs/result" ] && break
        sleep 0.05
    done
    # What the container got is the copy, which refuses the write.
    assert_equal "$(cat "$WORK/b/rootfs/result")" "exe /memfd:minictr (deleted)
write EPERM"
    assert_equal "$(sha256sum <"$victim")" "$sum"
}

@test "oci: a bundle on a shared mount (every mount of a systemd host is one): created, and nothing of the container's tree shows outside it" {
    local sr _
    # A bind mount, and a tmpfs on it, too.
    mkdir -p "$WORK/data"
    set_config '.mounts += [{"destination": "/flat", "type": "bind", "source": "'"$WORK"'/data", "options": ["bind"]},
        {"destination": "/flat/t", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]}]'
    # The creator in a mount namespace whose mounts are all shared, as
    # conmon runs on a systemd host.
    unshare -m --propagation shared python3 "$BATS_TEST_DIRNAME/subreaper.py" "$WORK/s1.exits" \
        "$MINICTR_BIN" oci --root "$RUNC_ROOT" create --bundle "$WORK/b" s1 3>&- &
    sr=$!
    STARTED_PIDS="${STARTED_PIDS:-} $sr"
    for _ in $(seq 200); do
        [ -s "$WORK/s1.exits" ] && break
        sleep 0.05
    done
    assert_equal "$(head -1 "$WORK/s1.exits" | cut -d' ' -f2)" 0
    runc start s1
    status_is s1 running
    # The container's /proc, /dev, /sys and /flat/t are its own: none
    # propagated back.
    assert_equal "$(grep -c " $WORK/b/rootfs[/ ]" "/proc/$sr/mountinfo")" 0
    assert_equal "$(grep -c " $WORK/data[/ ]" "/proc/$sr/mountinfo")" 0
    runc delete --force s1
}
