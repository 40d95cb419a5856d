#!/bin/bash
# The pure cgroup-v2 test VM (tests/vm/run) proves itself: one boot runs a script that checks,
# inside the VM, the cgroup2 mount and its controllers, the overlay root over the host's tree,
# the mounts, the environment and the CPUs; the host then checks that the command's stdout and
# stderr came back separately and byte for byte, that its exit status came back, that nothing it
# wrote reached the host, and (without a full boot) the timeout, usage errors and cleanup.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
run=$top/tests/vm/run
passed=0 failed=0

ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
check() { # NAME DETAIL COMMAND...: the check passes when COMMAND succeeds
	local name=$1 detail=$2
	shift 2
	if "$@"; then ok "$name"; else fail "$name" "$detail"; fi
}

# Files the VM must see live outside /tmp (the VM mounts its own /tmp).
scratch=$(mktemp -d /var/tmp/berth-vm-smoke.XXXXXX)
out=$(mktemp) err=$(mktemp)
trap 'rm -rf "$scratch" "$out" "$err"' EXIT
echo "written on the host $$" >"$scratch/from-host"

# Each line the script prints is "ok NAME" or "FAIL NAME: DETAIL"; it exits 42 so the exit
# status has something to carry. It runs under the host's /bin/sh from the shared root.
cat >"$scratch/inside.sh" <<'SCRIPT'
t() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok $1"; else echo "FAIL $1: expected '$2', got '$3'"; fi
}
t cgroup_root_is_cgroup2 cgroup2 "$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts)"
t no_cgroup_v1_hierarchy_is_mounted 0 "$(grep -c ' cgroup ' /proc/mounts)"
controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
for c in cpu memory pids io cpuset; do
	case " $controllers " in
	*" $c "*) echo "ok controller_${c}_is_available" ;;
	*) echo "FAIL controller_${c}_is_available: cgroup.controllers is '$controllers'" ;;
	esac
done
t every_controller_is_enabled_for_children "$controllers" "$(cat /sys/fs/cgroup/cgroup.subtree_control)"
t command_runs_in_the_init_cgroup_root 0::/ "$(cat /proc/self/cgroup)"
t root_is_an_overlay overlay "$(awk '$2 == "/" { print $3 }' /proc/mounts)"
t root_is_writable_through_the_overlay yes "$(echo x >/etc/berth-vm-smoke && echo yes)"
t host_files_are_visible "written on the host $HOST_MARKER" "$(cat "$SCRATCH/from-host")"
echo "written in the VM" >"$SCRATCH/from-vm"
for m in /proc:proc /sys:sysfs /dev:devtmpfs /run:tmpfs /tmp:tmpfs /dev/pts:devpts; do
	t "${m%%:*}_is_${m#*:}" "${m#*:}" "$(awk -v m="${m%%:*}" '$2 == m { print $3 }' /proc/mounts)"
done
t two_cpus 2 "$(nproc)"
t runs_as_root 0 "$(id -u)"
t stdin_is_empty "" "$(cat)"
t home_is_root /root "$HOME"
t path_is_standard /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$PATH"
t unnamed_variables_stay_out unset "${BERTH_VM_SMOKE_SECRET-unset}"
t cwd_is_the_callers "$SCRATCH" "$(pwd -P)"
echo "the script's stderr" >&2
exit 42
SCRIPT

start=$SECONDS
# The marker and scratch path arrive through --env and BERTH_VM_ENV, the secret must not.
HOST_MARKER=$$ SCRATCH=$scratch BERTH_VM_SMOKE_SECRET=1 BERTH_VM_ENV=HOST_MARKER \
	"$run" --timeout 300 --env SCRATCH -- sh -c '
		cd "$SCRATCH" && sh ./inside.sh 3>&1 1>&2 2>&3
		s=$?
		head -c 300000 /dev/zero | tr "\0" x
		printf "\\001\\377 tail\\n"
		exit $s' >"$out" 2>"$err"
rc=$?
boot=$((SECONDS - start))
# The 3>&1 dance swaps inside.sh's streams: its verdicts (stdout) must arrive on our stderr and
# its one stderr line on our stdout, so each arrival also proves the streams are kept apart.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "vm: ${line#ok }" ;;
	"FAIL "*) fail "vm: ${line#FAIL }" "" ;;
	esac
done <"$err"
verdicts=$(grep -cE '^(ok|FAIL) ' "$err")
check vm_script_ran_every_check "got $verdicts verdicts; stderr: $(tail -n 5 "$err")" \
	[ "$verdicts" -eq 25 ]
check exit_status_comes_back "got $rc" [ "$rc" -eq 42 ]
expected=$(mktemp)
{ echo "the script's stderr"; head -c 300000 /dev/zero | tr '\0' x; printf '\001\377 tail\n'; } >"$expected"
check stdout_comes_back_byte_for_byte "$(wc -c <"$out") bytes, expected $(wc -c <"$expected")" \
	cmp -s "$expected" "$out"
rm -f "$expected"
check stderr_holds_only_stderr "$(grep -vE '^(ok|FAIL) ' "$err" | head -n 3)" \
	[ "$(grep -cvE '^(ok|FAIL) ' "$err")" -eq 0 ]
check writes_in_the_vm_stay_in_the_vm "a file written in the VM appeared on the host" \
	[ ! -e "$scratch/from-vm" -a ! -e /etc/berth-vm-smoke ]
echo "one boot and the checks took $boot s"

# A timeout kills the VM (by PID), exits 124 and leaves no QEMU and no temporary directory; its
# TMPDIR is ours, so its QEMU is told apart from any other VM running on this machine.
mkdir "$scratch/tmp"
TMPDIR=$scratch/tmp "$run" --timeout 1 true >/dev/null 2>"$err"
rc=$?
check timeout_exits_124 "got $rc: $(head -n 2 "$err")" [ "$rc" -eq 124 ]
check timeout_leaves_no_temporary_directory "left $(ls -A "$scratch/tmp")" \
	[ -z "$(ls -A "$scratch/tmp")" ]
check timeout_leaves_no_qemu "qemu still running: $(pgrep -af "path=$scratch/tmp/")" \
	[ -z "$(pgrep -f "path=$scratch/tmp/")" ]

"$run" >/dev/null 2>"$err"
rc=$?
check missing_command_is_a_usage_error "got $rc: $(head -n 1 "$err")" \
	[ "$rc" -eq 125 -a -n "$(grep usage "$err")" ]
"$run" --timeout soon true >/dev/null 2>"$err"
rc=$?
check bad_timeout_is_refused "got $rc: $(head -n 1 "$err")" \
	[ "$rc" -eq 125 -a -n "$(grep -- --timeout "$err")" ]
(cd /proc && "$run" true) >/dev/null 2>"$err"
rc=$?
check invisible_cwd_is_refused "got $rc: $(head -n 1 "$err")" \
	[ "$rc" -eq 125 -a -n "$(grep 'not visible' "$err")" ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
