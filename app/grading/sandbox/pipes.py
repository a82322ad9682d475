"""The run's pipes, served by the event loop: capped collectors for what the run
writes, a feeder for its stdin, and memfds for what bubblewrap reads."""

from __future__ import annotations

import asyncio
import os


class PipeCollector:
    """Reads a pipe without blocking the loop, keeping ``keep`` bytes and closing the
    pipe once ``limit`` bytes went by, so a writer flooding it gets EPIPE instead of
    costing the grader CPU until the wall clock."""

    def __init__(self, fd: int, keep: int, limit: int) -> None:
        self.fd = fd
        self.keep = keep
        self.limit = limit
        self.data = bytearray()
        self.total = 0
        self.overflow = False
        self._loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self._loop.create_future()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return
        self.total += len(chunk)
        room = self.keep - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if self.total > self.limit:
            self.overflow = True
            self.close()

    def close(self) -> None:
        if self.done.done():
            return
        self._loop.remove_reader(self.fd)
        os.close(self.fd)
        self.done.set_result(None)


class PipeFeeder:
    """Writes ``data`` to a pipe as the reader takes it; a reader that never reads
    (or closes its end) just leaves the rest unsent."""

    def __init__(self, fd: int, data: bytes) -> None:
        self.fd = fd
        self.view = memoryview(data)
        self._loop = asyncio.get_running_loop()
        self.closed = False
        os.set_blocking(fd, False)
        if self.view:
            self._loop.add_writer(fd, self._on_writable)
        else:
            self.close()

    def _on_writable(self) -> None:
        try:
            n = os.write(self.fd, self.view[:65536])
        except BlockingIOError:
            return
        except OSError:
            self.close()
            return
        self.view = self.view[n:]
        if not self.view:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._loop.remove_writer(self.fd)
        os.close(self.fd)


# The first process: a shell that waits for one line on stdin before it execs the real
# command, so the grader can put it into the slot's cgroup while it is one process that


def memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
