#!/usr/bin/env bats
# file push/pull/edit/delete/create: content, modes, ownership through the
# idmap, scp's rules, running and stopped containers, and the symlink
# attacks that must never make minictr read or write a host file.

# Command lines in single quotes are expanded by the container's shell.
# shellcheck disable=SC2016

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_state
    import_busybox
    unset VISUAL EDITOR
    # A host file standing in for /etc/shadow, in a directory of its own:
    # after every attack it must hold the same bytes, and nothing may have
    # appeared next to it.
    HOST=$BATS_TEST_TMPDIR/host
    mkdir -p "$HOST"
    printf 'root:$6$host-secret$%s:19000:0:99999:7:::\n' "$RANDOM$RANDOM" > "$HOST/shadow"
    chmod 0600 "$HOST/shadow"
    HOST_SUM=$(sha256 "$HOST/shadow")
    HOST_LIST=$(host_list)
    printf 'payload\n' > "$WORK/payload"
}

host_list() {
    find "$HOST" -printf '%P %y %s %m %i\n' | sort
}

assert_host_untouched() {
    assert_equal "$(sha256 "$HOST/shadow")" "$HOST_SUM"
    assert_equal "$(host_list)" "$HOST_LIST"
}

# ASan wants to come first among preloads; the test shims are harmless to it.
asan_allow_preload() {
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
}

upper() {
    echo "$MINICTR_DIR/containers/$1/upper"
}

# No temp file of minictr's anywhere: container layers, host work dir.
assert_no_temp_files() {
    run find "$MINICTR_DIR/containers" "$WORK" -name '.minictr.*'
    assert_output ''
}

@test "push then pull of a 10 MiB file is sha256-identical, running and stopped" {
    local state sum
    head -c $((10 * 1024 * 1024)) /dev/urandom > "$WORK/blob"
    sum=$(sha256 "$WORK/blob")
    mc launch busybox f1 >/dev/null
    for state in running stopped; do
        if [ "$state" = stopped ]; then
            mc stop --force f1
        fi
        mc file push "$WORK/blob" "f1/root/blob-$state"
        mc file pull "f1/root/blob-$state" "$WORK/back-$state"
        assert_equal "$(sha256 "$WORK/back-$state")" "$sum"
        assert_equal "$(sha256 "$(upper f1)/root/blob-$state")" "$sum"
    done
    mc start f1
    run mc exec f1 -- sha256sum /root/blob-running /root/blob-stopped
    assert_output "$sum  /root/blob-running
$sum  /root/blob-stopped"
    assert_no_temp_files
}

@test "pushed files are root inside and the mapped root on the host; --uid, --gid and --mode map too" {
    local ub gb
    ub=$IDMAP_BASE gb=$IDMAP_BASE
    printf 'data\n' > "$WORK/f"
    chmod 0640 "$WORK/f"
    chown 1234:5678 "$WORK/f"
    mc launch busybox o1 >/dev/null
    mc file push "$WORK/f" o1/root/plain
    mc file push --uid 1000 --gid 1001 --mode 4750 "$WORK/f" o1/root/owned
    run mc exec o1 -- stat -c '%u:%g %a' /root/plain /root/owned
    assert_output "0:0 640
1000:1001 4750"
    assert_equal "$(stat -c '%u:%g %a' "$(upper o1)/root/plain")" "$ub:$gb 640"
    assert_equal "$(stat -c '%u:%g %a' "$(upper o1)/root/owned")" "$((ub + 1000)):$((gb + 1001)) 4750"
    # The same on a stopped container.
    mc stop --force o1
    mc file push "$WORK/f" o1/root/plain-stopped
    mc file push --uid 1000 --gid 1001 --mode 0604 "$WORK/f" o1/root/owned-stopped
    assert_equal "$(stat -c '%u:%g %a' "$(upper o1)/root/plain-stopped")" "$ub:$gb 640"
    assert_equal "$(stat -c '%u:%g %a' "$(upper o1)/root/owned-stopped")" "$((ub + 1000)):$((gb + 1001)) 604"
    mc start o1
    run mc exec o1 -- stat -c '%u:%g %a' /root/plain-stopped /root/owned-stopped
    assert_output "0:0 640
1000:1001 604"
    # Pulled files are the caller's; setuid and setgid do not come along.
    mc file pull o1/root/owned "$WORK/owned-back"
    assert_equal "$(stat -c '%u:%g %a' "$WORK/owned-back")" "0:0 750"
}

make_tree() {
    local t=$1
    mkdir -p "$t/sub/deeper" "$t/sticky"
    printf 'f\n' > "$t/f"
    chmod 0600 "$t/f"
    printf '#!/bin/sh\n' > "$t/run"
    chmod 4755 "$t/run"
    printf 'g\n' > "$t/sub/deeper/g"
    chmod 0444 "$t/sub/deeper/g"
    chmod 0500 "$t/sub/deeper"
    chmod 0700 "$t/sub"
    chmod 1777 "$t/sticky"
    chmod 0750 "$t"
    ln -s f "$t/rel-link"
    ln -s /etc/passwd "$t/abs-link"
    ln -s ../f "$t/sub/up-link"
    ln -s nowhere "$t/dangling"
    mkfifo "$t/fifo"
    chown -R -h 1234:5678 "$t"
}

# Name, type, mode and link target of everything under $1 but FIFOs.
tree_modes() {
    (cd "$1" && find . -mindepth 1 ! -type p -printf '%P %y %m %l\n' | sort)
}

@test "a recursive push keeps modes and symlinks; a recursive pull brings them back" {
    make_tree "$WORK/tree"
    mc launch busybox t1 >/dev/null
    mc file create t1/srv/
    run mc file push -r "$WORK/tree" t1/srv
    assert_success
    assert_output "minictr: warning: skipped \`$WORK/tree/fifo\`: not a regular file, directory or symlink"
    # Inside, as busybox sees it, and all of it root's.
    (cd "$WORK" && find tree ! -type p -exec stat -c '%n %a %F' {} \; | sort) > "$WORK/want"
    mc exec t1 -- sh -c 'cd /srv && find tree -exec stat -c "%n %a %F" {} \; | sort' > "$WORK/got"
    run diff "$WORK/want" "$WORK/got"
    assert_success
    run mc exec t1 -- sh -c 'cd /srv/tree && for l in rel-link abs-link sub/up-link dangling; do readlink $l; done; find . ! -user 0 -o ! -group 0'
    assert_output "f
/etc/passwd
../f
nowhere"
    # Back on the host: the same tree, but no setuid bit.  A FIFO made
    # inside is skipped on the way out too.
    mc exec t1 -- mkfifo /srv/tree/fifo
    run mc file pull -r t1/srv/tree "$WORK/back"
    assert_success
    assert_output "minictr: warning: skipped \`t1/srv/tree/fifo\`: not a regular file, directory or symlink"
    tree_modes "$WORK/tree" | sed 's/^run f 4755 $/run f 755 /' > "$WORK/want"
    tree_modes "$WORK/back" > "$WORK/got"
    run diff "$WORK/want" "$WORK/got"
    assert_success
    assert_equal "$(cat "$WORK/back/sub/deeper/g")" g
    # Stopped: the same tree, once more.
    mc stop --force t1
    run mc file push -r "$WORK/tree" t1/srv/again
    assert_success
    mc file pull -r t1/srv/again "$WORK/back-stopped"
    tree_modes "$WORK/back-stopped" > "$WORK/got"
    run diff "$WORK/want" "$WORK/got"
    assert_success
    assert_no_temp_files
}

@test "scp's rules: into a directory, or as a new name; several sources need a directory; -p" {
    printf 'a\n' > "$WORK/a"
    printf 'b\n' > "$WORK/b"
    mc launch busybox s1 >/dev/null
    mc file push "$WORK/a" s1/tmp
    mc file push "$WORK/a" s1/tmp/renamed
    mc file push "$WORK/a" "$WORK/b" s1/root/
    run mc file push "$WORK/a" "$WORK/b" s1/nonexistent
    assert_failure 1
    assert_output "minictr: \`s1/nonexistent\`: No such file or directory"
    run mc file push "$WORK/a" "$WORK/b" s1/tmp/renamed
    assert_failure 1
    assert_output "minictr: \`s1/tmp/renamed\` is not a directory"
    run mc file push "$WORK/a" s1/new/dir/
    assert_failure 1
    assert_output "minictr: \`s1/new/dir/\`: No such file or directory"
    mc file push -p "$WORK/a" s1/new/dir/
    mc file push -p --uid 7 "$WORK/b" s1/other/deep/b2
    run mc exec s1 -- sh -c 'cat /tmp/a /tmp/renamed /root/a /root/b /new/dir/a /other/deep/b2; stat -c "%n %a %u" /new /new/dir /other /other/deep'
    assert_output "a
a
a
b
a
b
/new 755 0
/new/dir 755 0
/other 755 7
/other/deep 755 7"
    # The same rules on the host side.
    mkdir "$WORK/in"
    mc file pull s1/tmp/a s1/root/b "$WORK/in"
    mc file pull s1/tmp/renamed "$WORK/in/new-name"
    run mc file pull s1/tmp/a s1/root/b "$WORK/in/new-name"
    assert_failure 1
    assert_output "minictr: \`$WORK/in/new-name\` is not a directory"
    run mc file pull s1/tmp/a "$WORK/made/by/p/"
    assert_failure 1
    mc file pull -p s1/tmp/a "$WORK/made/by/p/"
    run cat "$WORK/in/a" "$WORK/in/b" "$WORK/in/new-name" "$WORK/made/by/p/a"
    assert_output "a
b
a
a"
}

@test "standard input and standard output" {
    mc launch busybox io1 >/dev/null
    printf 'from stdin\n' | mc file push - io1/tmp/in
    printf 'second\n' | mc file push --mode 0600 - io1/tmp/in2
    run mc exec io1 -- stat -c '%u:%g %a' /tmp/in /tmp/in2
    assert_output "0:0 644
0:0 600"
    run mc file pull io1/tmp/in io1/tmp/in2 -
    assert_output "from stdin
second"
    run mc file pull -r io1/tmp -
    assert_failure 1
    assert_output "minictr: \`io1/tmp\` is a directory: it cannot go to standard output"
    run mc file push - io1/tmp < "$WORK/payload"
    assert_failure 1
    assert_output "minictr: \`io1/tmp\` is a directory: name the file to create in it"
    run mc file push - - io1/tmp/x < "$WORK/payload"
    assert_failure 2
    assert_output "minictr: file push: \`-\` (standard input) can be given only once"
}

# Links planted in container $1 (running or stopped) toward the host's
# files, $2 being the prefix that leads from the link's directory to the
# host's / (empty: absolute; "../../..": relative, more than deep enough).
check_links_stay_inside() {
    local c=$1 up=$2 l pulled=$WORK/pulled-$1-${#2}
    mc file create --type symlink "$c/tmp/file-link" "$up$HOST/shadow"
    mc file create --type symlink "$c/tmp/dir-link" "$up$HOST"
    # The host's path does not exist in the container: nothing to read,
    # nowhere to write.
    run mc file pull "$c/tmp/file-link" "$WORK/out"
    assert_failure 1
    assert_output "minictr: \`$c/tmp/file-link\`: No such file or directory"
    [ ! -e "$WORK/out" ]
    run mc file pull "$c/tmp/dir-link/shadow" -
    assert_failure 1
    assert_output "minictr: \`$c/tmp/dir-link/shadow\`: No such file or directory"
    run mc file push "$WORK/payload" "$c/tmp/dir-link/shadow"
    assert_failure 1
    assert_output "minictr: \`$c/tmp/dir-link/shadow\`: No such file or directory"
    run mc file pull -r "$c/tmp/dir-link" "$WORK/out"
    assert_failure 1
    [ ! -e "$WORK/out" ]
    assert_host_untouched
    # The same path inside the container, with other content: that is
    # what the links lead to.
    printf 'decoy\n' | mc file push -p - "$c$HOST/shadow"
    assert_equal "$(mc file pull "$c/tmp/file-link" -)" decoy
    assert_equal "$(mc file pull "$c/tmp/dir-link/shadow" -)" decoy
    mc file push "$WORK/payload" "$c/tmp/dir-link/"
    assert_equal "$(mc file pull "$c$HOST/payload" -)" payload
    # Pushing onto a link replaces the link; it is never written through.
    mc file push "$WORK/payload" "$c/tmp/file-link"
    assert_equal "$(mc file pull "$c/tmp/file-link" -)" payload
    assert_equal "$(mc file pull "$c$HOST/shadow" -)" decoy
    # Pulled recursively, links stay links.
    mc file pull -r "$c/tmp" "$pulled"
    assert_equal "$(readlink "$pulled/dir-link")" "$up$HOST"
    assert_equal "$(cat "$pulled/file-link")" payload
    run find "$pulled" -type f -exec sha256sum {} +
    refute_output --partial "$HOST_SUM"
    for l in file-link dir-link; do
        mc file delete "$c/tmp/$l"
    done
    mc file delete -f "$c$HOST"
    assert_host_untouched
    assert_no_temp_files
}

@test "an absolute symlink to a host file (/etc/shadow-like) never reads or writes it, running and stopped" {
    mc launch busybox a1 >/dev/null
    check_links_stay_inside a1 ""
    mc stop --force a1
    mc init busybox a2 < /dev/null >/dev/null
    check_links_stay_inside a2 ""
}

@test "a relative ../../.. symlink stays inside the container, running and stopped" {
    mc launch busybox r1 >/dev/null
    check_links_stay_inside r1 "../../../../../../../../../../../.."
    mc init busybox r2 < /dev/null >/dev/null
    check_links_stay_inside r2 "../../../../../../../../../../../.."
}

@test "without openat2 (forced ENOSYS) the agent's own root still keeps links inside" {
    local shim
    shim=$(dirname "$MINICTR_BIN")/tests/no_openat2.so
    [ -f "$shim" ] || fail "no $shim (make unit-bins)"
    asan_allow_preload
    mc launch busybox n1 >/dev/null
    mc init busybox n2 < /dev/null >/dev/null
    export LD_PRELOAD=$shim
    check_links_stay_inside n1 ""
    check_links_stay_inside n1 "../../../../../../../../../../../.."
    check_links_stay_inside n2 ""
    check_links_stay_inside n2 "../../../../../../../../../../../.."
    unset LD_PRELOAD
}

@test "a process swapping symlinks inside during 100 MiB copies never makes push or pull touch the host" {
    local i sum_big sum_decoy got before after
    head -c $((100 * 1024 * 1024)) /dev/urandom > "$WORK/big"
    sum_big=$(sha256 "$WORK/big")
    sum_decoy=$(printf 'decoy\n' | sha256sum | cut -d' ' -f1)
    mc launch busybox w1 >/dev/null
    mc file push -p "$WORK/big" w1/race/real/shadow
    printf 'decoy\n' | mc file push -p - "w1$HOST/shadow"
    mc file create w1/race/flip/
    # /race/d flips between a directory inside, the host's directory by an
    # absolute path and by a ../ path; /race/flip/f between a file and a
    # link to the host's file.  It counts its rounds in /race/count
    # (replaced by rename, so a reader never sees it empty).
    mc exec w1 -- sh -c "cd /race && (n=0; while [ ! -e stop ]; do
        ln -sfn '$HOST' d; ln -sfn real d; ln -sfn '../../../../../../../../../..$HOST' d
        rm -f flip/f; ln -s '$HOST/shadow' flip/f; rm -f flip/f; echo inside > flip/f
        n=\$((n + 1)); echo \$n > count.new; mv count.new count; done) > /dev/null 2>&1 &"
    for i in $(seq 50); do
        before=$(mc exec w1 -- cat /race/count 2>/dev/null) && break
        sleep 0.1
    done
    for i in 1 2 3; do
        run mc file push "$WORK/big" w1/race/d/shadow
        run mc file pull w1/race/d/shadow "$WORK/out-$i"
        if [ -e "$WORK/out-$i" ]; then
            got=$(sha256 "$WORK/out-$i")
            [ "$got" = "$sum_big" ] || [ "$got" = "$sum_decoy" ] || fail "pull $i brought $got"
        fi
        run mc file pull -r w1/race/flip "$WORK/flip-$i"
        if [ -f "$WORK/flip-$i/f" ] && [ ! -L "$WORK/flip-$i/f" ]; then
            assert_equal "$(cat "$WORK/flip-$i/f")" inside
        fi
        assert_host_untouched
    done
    after=$(mc exec w1 -- cat /race/count)
    mc exec w1 -- touch /race/stop
    # The swapping really ran while the copies did.
    [ "$((after - before))" -ge 10 ] || fail "only $((after - before)) swaps during the copies"
    echo "# $((after - before)) rounds of swaps during the copies" >&3
    # Whatever landed inside is one of the two files, never the host's.
    run mc exec w1 -- sha256sum /race/real/shadow "$HOST/shadow"
    refute_output --partial "$HOST_SUM"
    assert_host_untouched
    assert_no_temp_files
}

@test "a symlink in the destination tree is never written through (pull -r and push -r)" {
    mc launch busybox d1 >/dev/null
    printf 'inside\n' | mc file push -p - d1/srv/tree/sub/shadow
    mkdir -p "$WORK/dest/tree"
    ln -s "$HOST" "$WORK/dest/tree/sub"
    run mc file pull -r d1/srv/tree "$WORK/dest"
    assert_failure 1
    assert_output "minictr: \`$WORK/dest/tree/sub\` exists and is not a directory"
    assert_host_untouched
    # And inside: a link where the pushed tree has a directory.
    mkdir -p "$WORK/src/tree/sub"
    printf 'pushed\n' > "$WORK/src/tree/sub/shadow"
    mc file create -p --type symlink d1/srv2/tree/sub /srv/tree/sub
    run mc file push -r "$WORK/src/tree" d1/srv2
    assert_failure 1
    assert_output "minictr: \`d1/srv2/tree/sub\` exists and is not a directory"
    assert_equal "$(mc file pull d1/srv/tree/sub/shadow -)" inside
    assert_no_temp_files
}

@test "errors: unknown container, missing source, directory without -r, bad --mode, no NAME/: one line, nothing left" {
    local state
    printf 'x\n' > "$WORK/x"
    mkdir "$WORK/dir" "$WORK/dest"
    mc launch busybox e1 >/dev/null
    for state in running stopped; do
        if [ "$state" = stopped ]; then
            mc stop --force e1
        fi
        run mc file push "$WORK/x" nosuch/tmp/x
        assert_failure 1
        assert_output "minictr: container \`nosuch\` not found"
        run mc file pull nosuch/etc/hostname "$WORK/dest"
        assert_failure 1
        assert_output "minictr: container \`nosuch\` not found"
        run mc file push "$WORK/x" "$WORK/missing" e1/tmp/
        assert_failure 1
        assert_output "minictr: open \`$WORK/missing\`: No such file or directory"
        run mc file pull e1/etc/hostname e1/missing "$WORK/dest"
        assert_failure 1
        assert_output "minictr: \`e1/missing\`: No such file or directory"
        run mc file push "$WORK/x" "$WORK/dir" e1/tmp/
        assert_failure 1
        assert_output "minictr: \`$WORK/dir\` is a directory (use -r)"
        run mc file pull e1/etc/hostname e1/etc "$WORK/dest"
        assert_failure 1
        assert_output "minictr: \`e1/etc\` is a directory (use -r)"
        run mc file push --mode 0999 "$WORK/x" e1/tmp/x
        assert_failure 2
        assert_output "minictr: invalid --mode \`0999\`: expected an octal mode (0000 to 7777)"
        run mc file push --mode 17777 "$WORK/x" e1/tmp/x
        assert_failure 2
        assert_output "minictr: invalid --mode \`17777\`: expected an octal mode (0000 to 7777)"
        run mc file push "$WORK/x" /tmp/x
        assert_failure 2
        assert_output "minictr: \`/tmp/x\`: expected NAME/PATH (a container and a path in it)"
        run mc file pull e1 "$WORK/dest"
        assert_failure 2
        assert_output "minictr: \`e1\`: expected NAME/PATH (a container and a path in it)"
        run mc file push --uid -1 "$WORK/x" e1/tmp/x
        assert_failure 2
        assert_output "minictr: invalid --uid \`-1\`: expected a number"
        # Nothing was written, inside or on the host (the image's hostname
        # template did write /etc/hostname at the first start).
        run find "$(upper e1)" "$WORK/dest" -name x -o -name missing -o -path "$WORK/dest/hostname"
        assert_output ''
        run ls -A "$WORK/dest"
        assert_output ''
        assert_no_temp_files
    done
}

@test "an interrupted push leaves neither the file nor a temp file" {
    local pid status=0
    mc launch busybox i1 >/dev/null
    # Standard input is a FIFO we hold open: the copy is mid-stream when
    # SIGTERM arrives, and the stream ends only afterwards.
    mkfifo "$WORK/stream"
    "$MINICTR_BIN" file push - i1/tmp/cut < "$WORK/stream" 2> "$WORK/err" 3>&- &
    pid=$!
    exec 4> "$WORK/stream"
    head -c 1048576 /dev/zero >&4
    sleep 1
    kill -TERM "$pid"
    sleep 1
    exec 4>&-
    wait "$pid" || status=$?
    assert_equal "$status" 1
    assert_equal "$(cat "$WORK/err")" "minictr: interrupted"
    run mc exec i1 -- ls -A /tmp
    assert_output ''
    assert_no_temp_files
}

@test "edit: VISUAL, then EDITOR; pushed back only when changed, same mode and owner; temp file removed" {
    local ino
    mkdir "$WORK/tmp"
    export TMPDIR=$WORK/tmp
    printf '#!/bin/sh\necho "$1" > "%s/seen"\necho "edited by ${0##*/}" >> "$1"\n' "$WORK" > "$WORK/ed-visual"
    cp "$WORK/ed-visual" "$WORK/ed-editor"
    chmod +x "$WORK/ed-visual" "$WORK/ed-editor"
    mc launch busybox ed1 >/dev/null
    printf 'line\n' | mc file push --uid 1000 --gid 1001 --mode 0640 - ed1/etc/conf
    ino=$(mc exec ed1 -- stat -c %i /etc/conf)
    # Unchanged: not pushed back (the same inode).
    EDITOR=true mc file edit ed1/etc/conf
    assert_equal "$(mc exec ed1 -- stat -c %i /etc/conf)" "$ino"
    VISUAL=$WORK/ed-visual EDITOR=$WORK/ed-editor mc file edit ed1/etc/conf
    [[ "$(cat "$WORK/seen")" =~ ^$WORK/tmp/minictr-edit-......-conf$ ]] || fail "temp file was $(cat "$WORK/seen")"
    EDITOR=$WORK/ed-editor mc file edit ed1/etc/conf
    run mc exec ed1 -- sh -c 'cat /etc/conf; stat -c "%u:%g %a" /etc/conf'
    assert_output "line
edited by ed-visual
edited by ed-editor
1000:1001 640"
    run env EDITOR=false "$MINICTR_BIN" file edit ed1/etc/conf
    assert_failure 1
    assert_output "minictr: the editor \`false\` failed (exit status 1); \`ed1/etc/conf\` is unchanged"
    run mc file edit ed1/etc
    assert_failure 1
    assert_output "minictr: \`ed1/etc\` is not a regular file"
    mc file create --type symlink ed1/etc/link conf
    run mc file edit ed1/etc/link
    assert_failure 1
    assert_output "minictr: \`ed1/etc/link\` is a symlink to \`conf\`: edit its target"
    # Stopped as well.
    mc stop --force ed1
    EDITOR=$WORK/ed-editor mc file edit ed1/etc/conf
    assert_equal "$(mc file pull ed1/etc/conf - | tail -1)" "edited by ed-editor"
    run ls -A "$WORK/tmp"
    assert_output ''
}

@test "delete and create, as LXD; a link is removed, never followed" {
    local want
    mc launch busybox dc1 >/dev/null
    mc file create dc1/tmp/empty
    mc file create --mode 0600 --uid 5 --gid 6 dc1/tmp/owned
    mc file create dc1/tmp/dir/
    mc file create --type directory --mode 0700 dc1/tmp/dir2
    mc file create -p dc1/tmp/a/b/c
    mc file create --type symlink dc1/tmp/link /etc/hostname
    run mc exec dc1 -- sh -c 'cd /tmp && stat -c "%n %a %u:%g %F" empty owned dir dir2 a a/b a/b/c link; readlink link'
    assert_output "empty 644 0:0 regular empty file
owned 600 5:6 regular empty file
dir 755 0:0 directory
dir2 700 0:0 directory
a 755 0:0 directory
a/b 755 0:0 directory
a/b/c 644 0:0 regular empty file
link 777 0:0 symbolic link
/etc/hostname"
    run mc file create dc1/tmp/empty
    assert_failure 1
    assert_output "minictr: \`dc1/tmp/empty\` already exists (use --force to replace it)"
    mc file push "$WORK/payload" dc1/tmp/empty
    mc file create -f dc1/tmp/empty
    assert_equal "$(mc exec dc1 -- stat -c %s /tmp/empty)" 0
    run mc file create --type chardev dc1/tmp/x
    assert_failure 2
    assert_output "minictr: invalid --type \`chardev\` (use file, directory or symlink)"
    # Deleting a link keeps its target.
    want=$(mc exec dc1 -- cat /etc/hostname)
    [ -n "$want" ]
    mc file delete dc1/tmp/link
    assert_equal "$(mc file pull dc1/etc/hostname -)" "$want"
    run mc file delete dc1/tmp/a
    assert_failure 1
    assert_output "minictr: \`dc1/tmp/a\` is a directory and not empty (use --force)"
    mc file delete -f dc1/tmp/a
    mc file delete dc1/tmp/dir dc1/tmp/dir2 dc1/tmp/empty dc1/tmp/owned
    run mc exec dc1 -- ls -A /tmp
    assert_output ''
    # Through a link to the host's directory: resolved inside.
    mc file create --type symlink dc1/tmp/h "$HOST"
    run mc file delete dc1/tmp/h/shadow
    assert_failure 1
    assert_output "minictr: \`dc1/tmp/h/shadow\`: No such file or directory"
    mc file delete dc1/tmp/h
    run mc file delete dc1/
    assert_failure 1
    assert_output "minictr: refusing to delete the container's root directory"
    run mc file delete dc1/tmp/nothing
    assert_failure 1
    assert_output "minictr: \`dc1/tmp/nothing\`: No such file or directory"
    # Stopped.
    mc stop --force dc1
    mc file create -p --type directory dc1/srv/x/y
    mc file delete -f dc1/srv/x
    [ ! -e "$(upper dc1)/srv/x" ]
    assert_host_untouched
}

@test "a stopped container: nothing stays mounted, and it starts right after" {
    mc init busybox st1 < /dev/null >/dev/null
    mc file push "$WORK/payload" st1/root/payload
    mc file pull st1/root/payload "$WORK/back"
    run host_leftovers
    assert_output ''
    run ls -A "$MINICTR_DIR/containers/st1/lower" "$MINICTR_DIR/containers/st1/rootfs"
    assert_output "$MINICTR_DIR/containers/st1/lower:

$MINICTR_DIR/containers/st1/rootfs:"
    mc start st1
    assert_equal "$(mc exec st1 -- cat /root/payload)" payload
}

@test "without idmapped mounts (shifted copy) a stopped container's files still map" {
    local shim ub
    shim=$(dirname "$MINICTR_BIN")/tests/no_idmap.so
    [ -f "$shim" ] || fail "no $shim (make unit-bins)"
    asan_allow_preload
    ub=$IDMAP_BASE
    mc init busybox sh1 < /dev/null >/dev/null
    LD_PRELOAD=$shim mc file push --uid 3 "$WORK/payload" sh1/root/p
    assert_equal "$(stat -c %u "$(upper sh1)/root/p")" "$((ub + 3))"
    assert_equal "$(LD_PRELOAD=$shim mc file pull sh1/bin/busybox - | sha256sum | cut -d' ' -f1)" \
        "$(sha256 "$MINICTR_DIR/images/$(sha256 "$(busybox_image)")/rootfs/bin/busybox")"
}

@test "privileged containers: container root is host root, running and stopped" {
    printf 'config:\n  security.privileged: "true"\n' | mc init busybox pv1 >/dev/null
    mc file push "$WORK/payload" pv1/root/stopped
    mc start pv1
    mc file push --uid 1000 "$WORK/payload" pv1/root/running
    assert_equal "$(stat -c %u:%g "$(upper pv1)/root/stopped")" 0:0
    assert_equal "$(stat -c %u:%g "$(upper pv1)/root/running")" 1000:0
    assert_equal "$(mc file pull pv1/root/running -)" payload
}

@test "file --help, help for every file command, and unknown subcommands" {
    local sub
    run mc file --help
    assert_success
    assert_line --index 0 "Usage: minictr file <command> [flags]"
    for sub in push pull edit delete create; do
        run mc file "$sub" --help
        assert_success
        assert_line --index 0 --regexp "^Usage: minictr file $sub "
    done
    run mc file frob
    assert_failure 2
    assert_output "minictr: unknown command \`file frob\` (see \`minictr file --help\`)"
    run mc file pull --uid 3 c/x "$WORK/x"
    assert_failure 2
    assert_output "minictr: file pull: unknown flag \`--uid\` (see \`minictr file pull --help\`)"
    run mc file push "$WORK/payload"
    assert_failure 2
    assert_output --partial "minictr: file push: wrong number of arguments (usage: minictr file push SRC... NAME/PATH"
}

@test "a start waits for a file operation on the stopped container to finish" {
    local push start status=0
    mc init busybox lk1 < /dev/null >/dev/null
    mkfifo "$WORK/stream"
    "$MINICTR_BIN" file push - lk1/root/streamed < "$WORK/stream" 3>&- &
    push=$!
    exec 4> "$WORK/stream"
    printf 'first half\n' >&4
    sleep 0.5
    "$MINICTR_BIN" start lk1 3>&- 4>&- &
    start=$!
    sleep 1
    # The push holds the lock: the container cannot start under it.
    assert_equal "$(status_of lk1)" Stopped
    printf 'second half\n' >&4
    exec 4>&-
    wait "$push" || status=$?
    assert_equal "$status" 0
    wait "$start" || status=$?
    assert_equal "$status" 0
    assert_equal "$(status_of lk1)" Running
    run mc exec lk1 -- cat /root/streamed
    assert_output "first half
second half"
}

@test "a stopped container whose id map changed (isolated) gets pushed files in its new ids" {
    local base
    need_isolated_blocks 1
    mc init busybox fm1
    mc config set fm1 security.idmap.isolated=true
    echo hi > "$WORK/f"
    mc file push "$WORK/f" fm1/root/f
    base=$(mc config get fm1 volatile.idmap.base)
    assert_equal "$(mc config get fm1 volatile.idmap.size)" 65536
    assert_isolated_block "$base"
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/fm1/upper/root/f")" "$base:$base"
    mc start fm1
    run mc exec fm1 -- stat -c %u:%g /root/f
    assert_output 0:0
}
