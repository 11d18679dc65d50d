#!/usr/bin/env bats
# The command line: help, errors and exit statuses, progress on a tty.

load helpers

@test "the --help of all 123 commands is cli-help.expected (recorded before flags moved into the command table; changed since only where issues #14, #15 and #16 added to it)" {
    run "$BATS_TEST_DIRNAME/../cli-help.sh" "$MINICTR_BIN"
    assert_success
    assert_equal "$(grep -c '^== ' <<<"$output")" 123
    diff -u "$BATS_TEST_DIRNAME/cli-help.expected" - <<<"$output" || fail "--help changed (diff above)"
}

@test "minictr --help and help for every image command" {
    run mc --help
    assert_success
    assert_line --index 0 "Usage: minictr <command> [flags]"
    assert_line --regexp '^  image +Manage images$'
    run mc
    assert_success
    run mc image --help
    assert_success
    assert_line --regexp '^  import +Import an LXD or OCI image$'
    local sub
    for sub in import list info show delete export verify; do
        run mc image "$sub" --help
        assert_success
        assert_line --index 0 --regexp "^Usage: minictr image $sub "
    done
    for sub in create delete list rename; do
        run mc image alias "$sub" -h
        assert_success
        assert_line --index 0 --regexp "^Usage: minictr image alias $sub"
    done
    run mc help image
    assert_success
    assert_line --index 0 "Usage: minictr image <command> [flags]"
}

@test "unknown commands and flags exit 2 with a one-line error" {
    run mc frobnicate
    assert_failure 2
    assert_output "minictr: unknown command \`frobnicate\` (see \`minictr --help\`)"
    run mc --frob
    assert_failure 2
    assert_output "minictr: unknown flag \`--frob\` (see \`minictr --help\`)"
    run mc image frob
    assert_failure 2
    assert_output "minictr: unknown command \`image frob\` (see \`minictr image --help\`)"
    run mc image list --frob
    assert_failure 2
    assert_output "minictr: image list: unknown flag \`--frob\` (see \`minictr image list --help\`)"
    run mc image list -z
    assert_failure 2
    assert_output "minictr: image list: unknown flag \`-z\` (see \`minictr image list --help\`)"
    run mc image import
    assert_failure 2
    assert_output "minictr: image import: wrong number of arguments (usage: minictr image import FILE [ROOTFS] [--alias ALIAS]...)"
    run mc image import a b c
    assert_failure 2
    run mc image import x --alias
    assert_failure 2
    assert_output "minictr: image import: flag \`--alias\` needs a value"
    run mc image list --format xml
    assert_failure 2
    assert_output "minictr: invalid format \`xml\` (use table, csv, json, yaml or compact)"
}

@test "every list takes --format compact (LXD's: the table without its box); profile list takes --format" {
    local out
    import_busybox
    mc init busybox cp1
    out=$(mc list --format compact)
    assert_equal "$(sed -n 1p <<<"$out" | tr -s ' ')" "NAME STATE IPV4 IPV6 TYPE SNAPSHOTS"
    assert_equal "$(sed -n 2p <<<"$out" | tr -s ' ')" "cp1 STOPPED CONTAINER 0"
    [[ $out != *"|"* && $out != *"+--"* ]] || fail "a box in compact output: $out"
    run mc image list -f compact
    assert_success
    assert_line --index 0 --regexp '^ *ALIAS +FINGERPRINT +PUBLIC +DESCRIPTION +ARCHITECTURE +TYPE +SIZE +UPLOAD DATE$'
    run mc image alias list -f compact
    assert_line --index 1 --regexp '^busybox +[0-9a-f]{12} +CONTAINER$'
    run mc network list --format compact
    assert_success
    assert_line --index 0 --regexp '^ *NAME +TYPE +MANAGED +IPV4 +IPV6 +DESCRIPTION +USED BY +STATE$'
    run mc profile list --format csv
    assert_line --index 0 "default,Default minictr profile,1"
    assert_line --index 1 'small,"Small limits (256MiB memory, half a CPU, 200 processes)",0'
    run mc profile list --format json
    assert_equal "$(jq -r '.[0].name' <<<"$output")" default
    run mc profile list --format compact
    assert_line --index 1 --regexp '^default +Default minictr profile +1$'
}

@test "LXD's remote prefix local: and --project default are accepted wherever a name is; other remotes and projects are refused" {
    local f=$WORK/hello
    import_busybox
    mc --project default launch local:busybox local:rp1
    run mc list local: --format csv
    assert_success
    assert_line --index 0 --regexp '^rp1,RUNNING,'
    run mc list local:rp --format csv
    assert_line --index 0 --regexp '^rp1,'
    # The Ansible LXD connection plugin's spellings, doubled slash included.
    run mc --project default exec local:rp1 -- /bin/sh -c 'echo hi'
    assert_success
    assert_output hi
    echo pushed > "$f"
    mc --project default file push "$f" local:rp1//root/hello
    run mc exec rp1 -- cat /root/hello
    assert_output pushed
    mc --project default file pull local:rp1//root/hello "$WORK/back"
    assert_equal "$(cat "$WORK/back")" pushed
    mc snapshot local:rp1 s0
    run mc info local:rp1
    assert_line --regexp '^  snapshot s0: '
    # A colon after the name is part of the path, not a remote.
    mc file push "$f" local:rp1/root/a:b
    mc file push "$f" rp1/root/c:d
    run mc exec local:rp1 -- ls /root
    assert_output "$(printf 'a:b\nc:d\nhello')"
    mc config set --project default local:rp1 user.x 1
    assert_equal "$(mc config get local:rp1 user.x)" 1
    mc copy local:rp1/s0 local:rp2
    assert_equal "$(mc profile show local:default | sed -n 1p)" "$(mc profile show default | sed -n 1p)"
    run mc image info local:busybox
    assert_success
    mc delete --force local:rp1 local:rp2
    run mc list --format csv
    assert_output ''
    # Any other remote or project: one line naming it, exit 2, nothing made.
    run mc launch images:debian/12 rp3
    assert_failure 2
    assert_output "minictr: unknown remote \`images\` in \`images:debian/12\` (see \`minictr remote list\`)"
    run mc exec ubuntu:rp3 -- true
    assert_failure 2
    assert_output "minictr: unknown remote \`ubuntu\` in \`ubuntu:rp3\` (see \`minictr remote list\`)"
    run mc --project web list
    assert_failure 2
    assert_output "minictr: project \`web\` does not exist (minictr has only the \`default\` project)"
    run mc list --project=web
    assert_failure 2
    run mc start local:
    assert_failure 2
    assert_output "minictr: start: wrong number of arguments (usage: minictr start NAME... | --all [--console])"
}

@test "list -c takes LXD's column letters and KEY[:NAME[:MAXWIDTH]] config columns; --fast is nsacPt; bad columns are one line" {
    local pid fp created
    import_busybox
    mc profile create p2
    mc launch busybox lc1 -p default -p p2 -c user.role=webserver -c limits.memory=64MiB </dev/null
    mc init busybox lc2 -e </dev/null
    pid=$(init_pid lc1)
    fp=$(mc config get lc1 volatile.base_image)
    created=$(date -u -d "$(mc list --format json | jq -r '.[] | select(.name == "lc1") | .created_at')" '+%Y/%m/%d %H:%M UTC')
    run mc list -c nsPtpaLebfF -f csv
    assert_success
    assert_line --index 0 "lc1,RUNNING,\"default, p2\",CONTAINER,$pid,x86_64,none,default,default,${fp:0:12},$fp"
    assert_line --index 1 "lc2,STOPPED,default,CONTAINER (EPHEMERAL),0,x86_64,none,default,default,${fp:0:12},$fp"
    run mc list --fast -f csv lc1
    assert_output "lc1,RUNNING,x86_64,$created,\"default, p2\",CONTAINER"
    run mc list -c n,user.role:ROLE,user.role:R:3,user.role::0 -f compact lc1
    assert_line --index 0 --regexp '^ *NAME +ROLE +R *$'
    assert_line --index 1 --regexp '^lc1 +webserver +web +webserver *$'
    run mc list -c nN,limits.memory lc1 -f csv
    assert_output "lc1,2,64MiB"
    run mc list -c n,m,M,u,D lc1 -f csv
    assert_output --regexp '^lc1,[0-9.]+(B|KiB|MiB),[0-9]+\.[0-9]{2}%,[0-9]+s,[0-9.]+(B|KiB|MiB)$'
    # The table's headers are LXD's.
    run mc list -c 46Sdlc -f compact lc1
    assert_line --index 0 --regexp '^ *IPV4 +IPV6 +SNAPSHOTS +DESCRIPTION +LAST USED AT +CREATED AT *$'
    run mc list -c nZ
    assert_failure 2
    assert_output "minictr: -c \`nZ\`: unknown column \`Z\` (minictr list --help lists them)"
    run mc list -c n,,s
    assert_failure 2
    assert_output "minictr: -c \`n,,s\`: an empty column entry (a stray comma)"
    run mc list -c user.a:A:x
    assert_failure 2
    assert_output "minictr: -c \`user.a:A:x\`: invalid max width \`x\` (-1, 0 or a positive number)"
    run mc list --fast -c n
    assert_failure 2
    assert_output "minictr: list: --fast and -c exclude each other (--fast is -c nsacPt)"
}

@test "info --resources: the host's CPU, memory, storage and network cards, as the kernel reports them" {
    local nics n
    run mc info --resources
    assert_success
    assert_line --index 0 "resources:"
    assert_line "    threads: $(nproc)"
    assert_line "    architecture: $(uname -m)"
    assert_line "    total: $(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024 ))"
    assert_line "    path: $(realpath "$MINICTR_DIR")"
    assert_line "    total: $(( $(stat -f -c '%b' "$MINICTR_DIR") * $(stat -f -c '%S' "$MINICTR_DIR") ))"
    # Network cards: the interfaces a device backs, and only those.
    nics=$(for n in /sys/class/net/*; do [ -e "$n/device" ] && basename "$n"; done | sort)
    assert_equal "$(grep -E '^  - name: ' <<<"$output" | sed 's/^  - name: //' | sort)" "$nics"
    run mc info c1 --resources
    assert_failure 2
    assert_output "minictr: info --resources: the host's resources (give no NAME)"
}

@test "every flag of LXD's documentation for minictr's verbs is accepted, or refused in one line saying why (lxd-doc-flags.txt)" {
    local path words verdict args out rc n=0 words_a args_a
    while IFS=$'\t' read -r path words verdict args; do
        [[ -z $path || $path == \#* ]] && continue
        read -r -a words_a <<<"$words"
        read -r -a args_a <<<"$args"
        n=$((n + 1))
        if [ "$verdict" = accepted ]; then
            # shellcheck disable=SC2086  # the verb's words
            out=$(mc $path "${words_a[@]}" --help 2>&1) || fail "minictr $path $words: refused: $out"
            [[ $(head -n 1 <<<"$out") == "Usage: minictr $path"* ]] || fail "minictr $path $words --help printed: $out"
        else
            rc=0
            # shellcheck disable=SC2086
            out=$(mc $path "${words_a[@]}" "${args_a[@]}" 2>&1 </dev/null) || rc=$?
            [ "$rc" -eq 2 ] || fail "minictr $path $words: exit $rc, not 2 ($out)"
            [ "$out" = "$verdict" ] || fail "minictr $path $words: printed \`$out\`, not \`$verdict\`"
        fi
        [[ $out != *"unknown flag"* ]] || fail "minictr $path $words: $out"
    done < "$BATS_TEST_DIRNAME/lxd-doc-flags.txt"
    assert_equal "$n" 55
    # Nothing was made on the way.
    run mc list --format csv
    assert_output ""
}

@test "minictr --version" {
    run mc --version
    assert_success
    assert_output --regexp '^[0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a large import shows progress on a terminal, not on a pipe" {
    local d=$WORK/big
    mkdir -p "$d/rootfs"
    make_metadata "$d"
    head -c $((40 * 1024 * 1024)) /dev/urandom > "$d/rootfs/blob"
    tar -C "$d" -cf "$WORK/big.tar" metadata.yaml rootfs templates
    run mc image import "$WORK/big.tar" --alias pipe
    assert_success
    refute_output --partial "Importing"
    mc image delete pipe
    # script(1) gives the command a pseudo-terminal.
    run script -qec "$MINICTR_BIN image import $WORK/big.tar --alias tty" /dev/null
    assert_success
    assert_output --regexp 'Importing [^ ]*/big\.tar: [0-9.]+[KMG]iB/40\.[0-9]+MiB \([0-9]+%\) [0-9.]+[KMG]?i?B/s'
    assert_output --partial "Image imported with fingerprint: $(sha256 "$WORK/big.tar")"
}
