"""A seccomp filter for bubblewrap's ``--seccomp FD``, assembled here as classic BPF.

No libseccomp binding is needed: the program is a short deny-list that answers EPERM
for syscalls a pure-Python pipeline never needs and that widen the kernel's attack
surface or reach another process (ptrace, process_vm_*, pidfd_getfd, io_uring, bpf,
perf, keyrings, mounts, namespaces). Foreign ABIs (x32) are refused outright, since
their numbers would slip past a list written for x86_64.

Only x86_64 is described; on another architecture ``seccomp_program`` returns None
and the sandbox records that no filter ran rather than guessing syscall numbers.
"""

from __future__ import annotations

import errno
import platform
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000

_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06

_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000

_OFFSET_NR = 0
_OFFSET_ARCH = 4

# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl).
DENIED_X86_64: dict[str, int] = {
    "ptrace": 101,
    "syslog": 103,
    "uselib": 134,
    "personality": 135,
    "vhangup": 153,
    "pivot_root": 155,
    "adjtimex": 159,
    "chroot": 161,
    "acct": 163,
    "settimeofday": 164,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "sethostname": 170,
    "setdomainname": 171,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "clock_settime": 227,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "fanotify_init": 300,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "clock_adjtime": 305,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "process_madvise": 440,
    "mount_setattr": 442,
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def build_x86_64(denied: dict[str, int] = DENIED_X86_64, err: int = errno.EPERM) -> bytes:
    """The raw ``struct sock_filter`` array bubblewrap reads from its seccomp fd."""
    numbers = sorted(set(denied.values()))
    # Layout: [arch check][load nr][x32 check][one jeq per number][allow][errno][kill].
    # Jump offsets count instructions to skip, so each is measured from the next one.
    n = len(numbers)
    allow_at = 4 + n
    errno_at = allow_at + 1
    kill_at = errno_at + 1
    prog = [
        _insn(_BPF_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        _insn(_BPF_JEQ_K, 0, kill_at - 2, _AUDIT_ARCH_X86_64),
        _insn(_BPF_LD_W_ABS, 0, 0, _OFFSET_NR),
        _insn(_BPF_JGE_K, errno_at - 4, 0, _X32_SYSCALL_BIT),
    ]
    for i, nr in enumerate(numbers):
        here = 4 + i
        prog.append(_insn(_BPF_JEQ_K, errno_at - here - 1, 0, nr))
    prog.append(_insn(_BPF_RET_K, 0, 0, _RET_ALLOW))
    prog.append(_insn(_BPF_RET_K, 0, 0, _RET_ERRNO | (err & 0xFFFF)))
    prog.append(_insn(_BPF_RET_K, 0, 0, _RET_KILL_PROCESS))
    if max(errno_at - 4, kill_at - 2) > 255:
        raise ValueError("deny-list too long for 8-bit BPF jumps")
    return b"".join(prog)


def seccomp_program() -> bytes | None:
    if platform.machine() in ("x86_64", "AMD64"):
        return build_x86_64()
    return None
