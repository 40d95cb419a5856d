"""Seccomp profiles for the tests and the cache benchmark.

docker_sized_profile() builds a profile shaped like Docker's default one (a default of
SCMP_ACT_ERRNO, three x86 architectures, one large allow list, argument rules on clone,
personality and socket) from the kernel headers' syscall tables, so nothing is copied from
Docker and the list follows the headers installed on the machine.
"""
import re

UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_{}.h"

# Syscalls a container must not get by default: they change the host, escape namespaces or
# load code into the kernel. They fall to the default action (EPERM).
PRIVILEGED = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
    "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
    "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount",
    "mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
    "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
    "process_vm_writev", "query_module", "quotactl", "quotactl_fd", "reboot", "request_key",
    "set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "syslog",
    "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vm86",
    "vm86old", "adjtimex", "sysfs", "_sysctl",
}
# Allowed only with argument rules below.
WITH_ARGS = {"clone", "clone3", "personality", "socket"}

CLONE_NEW_MASK = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
AF_VSOCK = 40


def syscall_names():
    names = set()
    for table in ("64", "32"):
        with open(UNISTD.format(table)) as f:
            for m in re.finditer(r"^#define __NR_(\w+)\s+\d+", f.read(), re.M):
                names.add(m.group(1))
    return sorted(names)


def docker_sized_profile():
    allowed = [n for n in syscall_names() if n not in PRIVILEGED and n not in WITH_ARGS]
    syscalls = [{"names": allowed, "action": "SCMP_ACT_ALLOW"}]
    for persona in (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF):
        syscalls.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                         "args": [{"index": 0, "value": persona, "op": "SCMP_CMP_EQ"}]})
    syscalls.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 0, "value": CLONE_NEW_MASK, "valueTwo": 0,
                               "op": "SCMP_CMP_MASKED_EQ"}]})
    # glibc falls back to clone when clone3 says ENOSYS; its flags cannot be filtered.
    syscalls.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
    syscalls.append({"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 0, "value": AF_VSOCK, "op": "SCMP_CMP_NE"}]})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": syscalls,
    }
