#!/usr/bin/env bats
# Ansible drives a container through its LXD connection plugin
# (community.general.lxd, from Debian's ansible package) with `lxc` on PATH
# being minictr: the plugin sends `lxc --project P exec local:NAME -- sh -c
# ...`, `lxc file push SRC local:NAME//abs/path` and `file pull`.  The image
# is the Debian systemd test image with python3 (Ansible's modules are
# Python).  Hermetic: a private ANSIBLE_HOME, an empty config, no network.
# On the host and in the systemd VM (whose root disk has ansible).

load helpers

setup() {
    setup_state
    require "ansible-playbook (apt-get install ansible)" command -v ansible-playbook
    mc image import "$(systemd_image python3)" --alias debian-python >/dev/null
    mkdir -p "$WORK/bin" "$WORK/ansible"
    : > "$WORK/ansible.cfg"
    ln -s "$MINICTR_BIN" "$WORK/bin/lxc"
    export ANSIBLE_HOME=$WORK/ansible ANSIBLE_LOCAL_TEMP=$WORK/ansible/tmp ANSIBLE_CONFIG=$WORK/ansible.cfg
    export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_RETRY_FILES_ENABLED=0
}

@test "Ansible's LXD connection plugin drives a container (ping, copy, command, fetch) with lxc being minictr" {
    local inv=$WORK/inventory play=$WORK/play.yml
    mc launch debian-python ans1
    run wait_systemd ans1
    assert_output running
    cat > "$inv" <<EOF
[ctr]
ans1 ansible_connection=community.general.lxd ansible_lxd_project=default ansible_python_interpreter=/usr/bin/python3
EOF
    echo "from the host" > "$WORK/src.txt"
    cat > "$play" <<EOF
- hosts: ctr
  gather_facts: false
  tasks:
    - ping:
    - copy:
        src: $WORK/src.txt
        dest: /root/copied.txt
        mode: "0640"
    - command: cat /root/copied.txt
      register: cat
    - assert:
        that: cat.stdout == "from the host"
    - command: hostname
      register: hn
    - fetch:
        src: /etc/hostname
        dest: $WORK/fetched/
EOF
    run env PATH="$WORK/bin:$PATH" ansible-playbook -i "$inv" "$play"
    assert_success
    assert_line --regexp '^ans1 +: ok=6 +changed=4 +unreachable=0 +failed=0 '
    # What Ansible did, seen with minictr itself.
    run mc exec ans1 -- stat -c '%a %U %s' /root/copied.txt
    assert_output "640 root 14"
    assert_equal "$(cat "$WORK/fetched/ans1/etc/hostname")" ans1
    # The ad-hoc command line, as people first try it.
    run env PATH="$WORK/bin:$PATH" ansible -i "$inv" ctr -m command -a 'id -u'
    assert_success
    assert_line --index 0 --regexp '^ans1 \| CHANGED \| rc=0 >>$'
    assert_line --index 1 0
    # A container that does not exist: Ansible says unreachable, nothing made.
    echo "ans9 ansible_connection=community.general.lxd" >> "$inv"
    run env PATH="$WORK/bin:$PATH" ansible -i "$inv" ans9 -m ping
    assert_failure
    run mc list --format csv
    assert_equal "$(cut -d, -f1 <<<"$output")" ans1
}
