#!/usr/bin/env bats
# exec: exit statuses, binary-safe pipes, terminals, and what the entering
# process carries into the container.

# The command lines in single quotes are expanded by the container's shell.
# shellcheck disable=SC2016

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_state
    import_busybox
    mc launch busybox ex >/dev/null
}

@test "exit statuses: 0, 1, 42, SIGKILL (137), missing command (127), not executable (126)" {
    run mc exec ex -- true
    assert_success
    run mc exec ex -- false
    assert_failure 1
    run mc exec ex -- sh -c 'exit 42'
    assert_failure 42
    run mc exec ex -- sh -c 'kill -9 $$'
    assert_failure 137
    run -127 mc exec ex -- /no/such/command
    assert_output "minictr: exec \`/no/such/command\`: No such file or directory"
    run mc exec ex -- /etc/passwd
    assert_failure 126
    assert_output "minictr: exec \`/etc/passwd\`: Permission denied"
}

@test "a 10 MiB random file piped through cat comes back sha256-identical" {
    head -c $((10 * 1024 * 1024)) /dev/urandom > "$WORK/blob"
    mc exec ex -- cat < "$WORK/blob" > "$WORK/back"
    assert_equal "$(sha256 "$WORK/back")" "$(sha256 "$WORK/blob")"
    # stdin EOF reaches the command.
    run mc exec ex -- wc -c < "$WORK/blob"
    assert_output 10485760
}

@test "exec ... | head: the reader gone, the command gets SIGPIPE and exec returns (nothing left running)" {
    run bash -c "timeout 20 '$MINICTR_BIN' exec ex -- cat /dev/zero | head -c 100000 | wc -c; echo \"\${PIPESTATUS[0]}\""
    # The command's status (141: SIGPIPE), not timeout's 124.
    assert_output "$(printf '100000\n141')"
    run mc exec ex -- ps
    refute_output --partial "cat /dev/zero"
}

@test "a SIGTERM (SIGINT, SIGHUP, ...) for exec is passed on to the command, as LXD's client passes it" {
    run timeout -s TERM 2 "$MINICTR_BIN" exec ex -- sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 1; done'
    assert_equal "$status" 124
    assert_output got-term
    run timeout -s INT 2 "$MINICTR_BIN" exec ex -- sh -c 'trap "echo got-int; exit 8" INT; while :; do sleep 1; done'
    assert_output got-int
    run mc exec ex -- ps
    refute_output --partial "while :"
}

@test "exec -n (--disable-stdin): the command reads nothing of ours, and ends" {
    echo "from the host" > "$WORK/in"
    run mc exec ex -n -- cat < "$WORK/in"
    assert_success
    assert_output ""
    run mc exec ex --disable-stdin -- wc -c < "$WORK/in"
    assert_output 0
    run mc exec ex -- cat < "$WORK/in"
    assert_output "from the host"
}

@test "the command runs in the container's PID namespace and cgroup, with only fds 0 1 2" {
    local pid
    pid=$(init_pid ex)
    assert_equal "$(mc exec ex -- readlink /proc/self/ns/pid)" "$(readlink "/proc/$pid/ns/pid")"
    assert_equal "$(mc exec ex -- readlink /proc/self/ns/mnt)" "$(readlink "/proc/$pid/ns/mnt")"
    # In its cgroup namespace the container's cgroup is the root.
    run mc exec ex -- sh -c 'grep -c ":/$" /proc/self/cgroup'
    assert_output "$(wc -l < /proc/self/cgroup)"
    # `; true` keeps sh from exec'ing ls in its own place.
    run mc exec ex -- sh -c 'ls /proc/$$/fd; true'
    assert_output "0
1
2"
    run mc exec ex -- cat /proc/self/status
    assert_line --regexp '^Seccomp:[[:space:]]+2$'
    assert_line --regexp '^Uid:[[:space:]]+0[[:space:]]+0[[:space:]]+0[[:space:]]+0$'
}

@test "no host terminal enters the container: without -t, stdio are pipes and the command has no controlling terminal (CVE-2017-5226 class)" {
    # Run from a terminal (script), stdout to a file: stdin and stderr
    # would be the admin's terminal.
    cat > "$WORK/t.sh" <<'SH'
for f in 0 1 2; do readlink /proc/self/fd/$f | sed 's/:.*//'; done
set -- $(cat /proc/$$/stat)
echo "tty_nr=$7"
[ "$6" = "$$" ] && echo "session leader"
tty || true
SH
    mc exec ex -- sh -c 'cat > /t.sh' < "$WORK/t.sh"
    script -qec "$MINICTR_BIN exec ex -- sh /t.sh > $WORK/out" /dev/null
    assert_equal "$(cat "$WORK/out")" "pipe
pipe
pipe
tty_nr=0
session leader
not a tty"
    # Input still flows, and the command sees its end.
    run mc exec ex -- sh -c 'wc -c; echo end' <<< "hello"
    assert_output "6
end"
}

@test "exec returns when the command exits, even with a background child holding stdout" {
    # To a file: a pipe would keep bats itself waiting for the sleep.
    timeout 10 "$MINICTR_BIN" exec ex -- sh -c 'sleep 1000 & echo done' > "$WORK/out"
    assert_equal "$(cat "$WORK/out")" "done"
}

@test "--env, environment defaults, --cwd, --user and --group" {
    run mc exec ex --env FOO=bar --cwd /tmp -- sh -c 'echo "$FOO $(pwd) $HOME $PATH"'
    assert_output "bar /tmp /root /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    run mc exec --user 1000 --group 1001 ex -- id
    assert_output "uid=1000 gid=1001"
    run mc exec ex --env NOEQUALS -- true
    assert_failure 2
    assert_output "minictr: invalid --env \`NOEQUALS\`: expected KEY=VALUE"
}

@test "exec -t gives a terminal from the container's devpts, and follows its size" {
    run script -qec "stty rows 33 cols 111; $MINICTR_BIN exec ex -t -- sh -c 'tty; stty size'" /dev/null
    assert_success
    assert_output --regexp '/dev/pts/[0-9]+'
    assert_output --partial "33 111"
    run mc exec ex -T -- tty
    assert_failure 1
    assert_output "not a tty"
}

@test "exec into stopped, paused or missing containers is a clear error" {
    mc pause ex
    run mc exec ex -- true
    assert_failure 1
    assert_output "minictr: container \`ex\` is paused"
    mc start ex
    mc stop --force ex
    run mc exec ex -- true
    assert_failure 1
    assert_output "minictr: container \`ex\` is not running"
    run mc exec nosuch -- true
    assert_failure 1
    assert_output "minictr: container \`nosuch\` not found"
}

@test "privileged: start and exec run from a sealed copy of minictr, so a container root's #!/proc/self/exe never gets the host's binary (CVE-2019-5736)" {
    local victim=$WORK/minictr-victim sum f pid _
    # A copy of minictr, so that a failure damages only the copy.
    cp "$MINICTR_BIN" "$victim"
    sum=$(sha256sum <"$victim")
    mkdir "$WORK/h"
    hostile_rootfs "$WORK/h" "$victim"
    printf 'config:\n  security.privileged: "true"\n' | mc init busybox pv
    (cd "$WORK/h" && find . -type f) >"$WORK/h.list"
    while read -r f; do
        mc file push -p --mode 0755 "$WORK/h/$f" "pv/${f#./}"
    done <"$WORK/h.list"
    "$victim" start pv
    # The monitor (init's parent) is the sealed copy.
    pid=$(init_pid pv)
    assert_equal "$(readlink "/proc/$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")/exe")" "/memfd:minictr (deleted)"
    # (the preloaded library next to ASan's: it need not come first)
    "$victim" exec pv --env ASAN_OPTIONS=verify_asan_link_order=0 -- /victim
    for _ in $(seq 200); do
        mc exec pv -- test -e /result && break
        sleep 0.05
    done
    # What the container got is the copy, which refuses the write.
    assert_equal "$(mc exec pv -- cat /result)" "exe /memfd:minictr (deleted)
write EPERM"
    assert_equal "$(sha256sum <"$victim")" "$sum"
    # launch, from a privileged profile, too; the config it read from
    # its stdin is read again by the copy.
    mc profile create priv
    mc profile set priv security.privileged true
    printf 'config:\n  user.k: v\n' | "$victim" launch busybox pv2 -p default -p priv >/dev/null
    pid=$(init_pid pv2)
    assert_equal "$(readlink "/proc/$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")/exe")" "/memfd:minictr (deleted)"
    assert_equal "$(mc config get pv2 user.k)" v
}
