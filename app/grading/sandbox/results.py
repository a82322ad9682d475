"""What a run is given and what it gives back: ``Limits`` and ``SandboxResult``."""

from __future__ import annotations

from dataclasses import dataclass

_MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Memory figures are bytes; ``processes`` counts the whole slot."""

    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    address_space_bytes: int = 768 * _MiB
    memory_bytes: int = 256 * _MiB
    file_size_bytes: int = 8 * _MiB
    open_files: int = 64
    processes: int = 16
    tmpfs_bytes: int = 32 * _MiB
    # Files, directories and links the run's storage may hold at once (see storage.py).
    tmpfs_inodes: int = 4096
    output_keep_bytes: int = 64 * 1024
    output_drain_bytes: int = 8 * _MiB
    channel_bytes: int = 4 * _MiB

    def __post_init__(self) -> None:
        # A tmpfs takes 0 for "no limit": never let a zero through.
        if self.tmpfs_bytes < 1 or self.tmpfs_inodes < 1:
            raise ValueError("tmpfs_bytes and tmpfs_inodes must be positive")


@dataclass(frozen=True)
class SandboxResult:
    layer: str
    exit_code: int | None
    timed_out: bool
    channel: bytes
    channel_overflow: bool
    stdout: bytes
    stderr: bytes
    output_truncated: bool
    duration_seconds: float
    stragglers_killed: int

    @property
    def killed_by_signal(self) -> int | None:
        if self.exit_code is not None and self.exit_code < 0:
            return -self.exit_code
        return None
