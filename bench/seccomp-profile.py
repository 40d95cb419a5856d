#!/usr/bin/python3
"""Add a Docker-default-sized seccomp profile to a config.json (stdin to stdout), for bench/run.

The profile is generated from the kernel's syscall table (asm/unistd_64.h from linux-libc-dev),
not copied from anywhere: the default action is EPERM, every syscall is allowed except those a
container has no business making (module loading, mount API, reboot, kexec, ...), and a few
syscalls carry argument conditions, as Docker's profile does, so the filter has the same shape
and size: about 350 names, some argument comparisons.

--salt N adds one more argument rule whose value depends on N, so that every salt gives a
different profile: that defeats any cache keyed on the profile's content, which is how the
benchmark measures a cold (uncached) filter.

It must never weaken anything in the config it is given beyond replacing linux.seccomp.
"""
import argparse
import json
import platform
import re
import sys

TABLES = {"x86_64": "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"}
ARCHITECTURES = {"x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}

# What stays denied: the host's kernel, clock, modules, mounts, namespaces, keyrings, tracing,
# and obsolete or dangerous calls. personality and clone are allowed with conditions below.
DENIED = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "clone", "clone3",
    "create_module", "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
    "get_kernel_syms", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
    "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages",
    "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
    "personality", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
    "query_module", "quotactl", "quotactl_fd", "reboot", "request_key", "set_mempolicy",
    "setdomainname", "sethostname", "setns", "settimeofday", "swapoff", "swapon", "syslog",
    "_sysctl", "sysfs", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vhangup",
    "afs_syscall", "tuxcall", "security", "vserver", "putpmsg", "getpmsg",
}

# Personalities a container may switch to: Linux, Linux32, and their UNAME26 forms, and a query.
PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF]
# clone without any CLONE_NEW* flag (CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID
# | NEWNET, 0x7E020000): threads and plain forks, no new namespaces.
CLONE_NAMESPACE_FLAGS = 0x7E020000


def syscall_names(table):
    names = []
    with open(table) as f:
        for line in f:
            m = re.match(r"#define __NR_(\w+)\s+\d+", line)
            if m:
                names.append(m.group(1))
    if len(names) < 300:
        raise SystemExit(f"seccomp-profile: {table}: expected at least 300 syscalls, found {len(names)}")
    return names


def profile(names, arch, salt):
    allowed = sorted(n for n in names if n not in DENIED)
    rules = [{"names": allowed, "action": "SCMP_ACT_ALLOW"}]
    values = PERSONALITIES + ([0x10000000 + salt] if salt is not None else [])
    for value in values:
        rules.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": value, "op": "SCMP_CMP_EQ"}]})
    rules.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                  "args": [{"index": 0, "value": CLONE_NAMESPACE_FLAGS, "valueTwo": 0,
                            "op": "SCMP_CMP_MASKED_EQ"}]})
    # clone3 hides its flags in memory a filter cannot read: make libc fall back to clone.
    rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ARCHITECTURES[arch], "syscalls": rules}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--salt", type=int, help="make the profile unique to this number")
    args = parser.parse_args()
    arch = platform.machine()
    if arch not in TABLES:
        raise SystemExit(f"seccomp-profile: architecture {arch}: only {', '.join(TABLES)} is known")
    config = json.load(sys.stdin)
    config.setdefault("linux", {})["seccomp"] = profile(syscall_names(TABLES[arch]), arch, args.salt)
    json.dump(config, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
