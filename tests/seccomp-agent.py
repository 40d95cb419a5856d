#!/usr/bin/python3
"""A seccomp agent for the tests: the other end of linux.seccomp.listenerPath.

    seccomp-agent.py SOCKET LOG ERRNO [CONNECTIONS]

Listens on the unix socket SOCKET, takes CONNECTIONS connections (default 1: the init; one
more per `exec`), reads from each the container process state (JSON) with the notify fd
(SCM_RIGHTS), then answers every notified syscall with -ERRNO (or 0 when ERRNO is 0, i.e. a
success that does nothing). LOG receives one JSON line per connection with its state, and one
line per notification: {"nr": ..., "pid": ..., "args": [...]}. It exits when every process
using any of the filters is gone. Prints "ready" once listening.
"""
import array
import errno
import fcntl
import json
import os
import socket
import struct
import sys
import threading

# linux/seccomp.h: struct seccomp_notif is 80 bytes, struct seccomp_notif_resp 24;
# SECCOMP_IOCTL_NOTIF_RECV/SEND are _IOWR('!', 0/1, <that struct>).
NOTIF = struct.Struct("=QII iIQ6Q")
RESP = struct.Struct("=QqiI")


def iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


NOTIF_RECV = iowr(0, NOTIF.size)
NOTIF_SEND = iowr(1, RESP.size)


def receive_state(conn):
    fds = array.array("i")
    data = b""
    while True:
        msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not msg:
            break
        data += msg
    return json.loads(data), list(fds)


def serve(fd, answer, log, lock):
    while True:
        buf = bytearray(NOTIF.size)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, buf, True)
        except OSError as e:
            if e.errno == errno.EINTR:
                continue
            return  # ENOENT: nobody uses the filter any more
        fields = NOTIF.unpack(buf)
        notif_id, pid, nr, args = fields[0], fields[1], fields[3], list(fields[6:12])
        with lock:
            log.write(json.dumps({"nr": nr, "pid": pid, "args": args}) + "\n")
            log.flush()
        resp = RESP.pack(notif_id, 0, -answer if answer else 0, 0)
        try:
            fcntl.ioctl(fd, NOTIF_SEND, bytearray(resp), True)
        except OSError as e:
            if e.errno != errno.ENOENT:  # the task died meanwhile
                raise


def main():
    path, log_path, answer = sys.argv[1], sys.argv[2], int(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(connections)
    print("ready", flush=True)
    lock = threading.Lock()
    threads = []
    with open(log_path, "w") as log:
        for _ in range(connections):
            conn, _ = srv.accept()
            state, fds = receive_state(conn)
            conn.close()
            with lock:
                log.write(json.dumps({"state": state, "nfds": len(fds)}) + "\n")
                log.flush()
            if fds:
                t = threading.Thread(target=serve, args=(fds[0], answer, log, lock))
                t.start()
                threads.append(t)
        srv.close()
        for t in threads:
            t.join()


if __name__ == "__main__":
    main()
