# Runs a command as if on a Linux kernel older than 6.2, which has no UDP segmentation offload on TAP
# devices: a seccomp filter (libseccomp, Debian's python3-seccomp) makes ioctl(TUNSETOFFLOAD) fail with
# EINVAL whenever the flags ask for TUN_F_USO4 or TUN_F_USO6, as such a kernel answers flags it does
# not know (drivers/net/tun.c set_offload). Everything else passes. The filter is inherited by the
# command and all its threads. Usage: /usr/bin/python3 as-kernel-without-uso.py COMMAND [ARGS...]
import errno
import os
import sys

import seccomp

# include/uapi/linux/if_tun.h: _IOW('T', 208, unsigned int), and the USO flags since Linux 6.2
TUNSETOFFLOAD = 0x400454D0
TUN_F_USO4 = 0x20
TUN_F_USO6 = 0x40

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for flag in (TUN_F_USO4, TUN_F_USO6):
    f.add_rule(seccomp.ERRNO(errno.EINVAL), 'ioctl',
               seccomp.Arg(1, seccomp.EQ, TUNSETOFFLOAD), seccomp.Arg(2, seccomp.MASKED_EQ, flag, flag))
f.load()
os.execvp(sys.argv[1], sys.argv[1:])
