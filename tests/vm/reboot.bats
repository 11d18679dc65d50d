#!/usr/bin/env bats
# Before the systemd VM reboots (tests/vm/guest-systemd.sh reboots it
# after this suite; reboot.after-reboot.bats checks the outcome): a state
# dir that survives the reboot, the boot unit installed and enabled as
# `make install` would, containers running with and without
# boot.autostart, one stopped.

load ../integration/helpers

# The state dir must outlive this suite: no per-test dir, no teardown.
setup() { host_idmap; }
teardown() { :; }

@test "before a host reboot: autostart and plain containers running under the boot unit" {
    if [ "${MINICTR_VM_FLAVOUR:-}" != systemd ]; then
        skip "systemd VM only"
    fi
    export MINICTR_DIR=$MINICTR_TEST_STATE_ROOT/reboot-test
    export MINICTR_LXCFS_DIR=$MINICTR_TEST_STATE_ROOT/no-lxcfs
    mkdir -p "$MINICTR_DIR"
    import_busybox
    mc init busybox r1
    mc config set r1 boot.autostart=true limits.memory=72MiB boot.host_shutdown_timeout=20
    mc init busybox r2
    mc init busybox r3
    install_boot_unit /etc/systemd/system
    systemctl enable --now minictr-boot.service
    assert_equal "$(status_of r1)" Running
    mc start r2
    assert_equal "$(status_of r2)" Running
    assert_equal "$(status_of r3)" Stopped
}
