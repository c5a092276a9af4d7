#!/usr/bin/env python3
"""How long a group commit's sync takes on the disk that will hold the audit trail.

Every audited answer waits for its batch's fdatasync (README, Audit trail), so this time bounds
audited throughput: at most (connections) answers per sync. Run it on the audit volume:

    python3 scripts/audit-disk-sync.py /var/lib/smsp-bridge/audit-probe

It writes batches of 20 records of 687 bytes (a typical audit line) in three ways and prints
the median, p90 and p99 of one write + fdatasync:
  append        what the audit writer does: append, then fdatasync (the file grows)
  zero-filled   overwrite a file already written with zeros (no size change to journal)
  fallocated    overwrite space reserved with posix_fallocate (extents change state)
The directory is created if needed and the probe files are removed afterwards.
docs/PERFORMANCE-LOG.md (session 5) has this machine's figures.
"""
import os
import shutil
import sys
import time

RECORD = b"x" * 686 + b"\n"
BATCH = RECORD * 20
ROUNDS = 2000


def measure(name, path, prepare, step):
    fd = prepare(path)
    try:
        times = []
        for i in range(ROUNDS):
            start = time.perf_counter()
            step(fd, i)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.remove(path)
    times.sort()
    us = lambda q: times[min(int(ROUNDS * q), ROUNDS - 1)] * 1e6
    print(f"{name:12} median {us(0.5):6.0f} us   p90 {us(0.9):6.0f} us   p99 {us(0.99):6.0f} us")


def appended(path):
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def zero_filled(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, b"\0" * (ROUNDS * len(BATCH)))
    os.fsync(fd)
    return fd


def fallocated(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.posix_fallocate(fd, 0, ROUNDS * len(BATCH))
    os.fsync(fd)
    return fd


def append_step(fd, _i):
    os.write(fd, BATCH)
    os.fdatasync(fd)


def overwrite_step(fd, i):
    os.pwrite(fd, BATCH, i * len(BATCH))
    os.fdatasync(fd)


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "target/audit-disk-sync"
    created = not os.path.exists(directory)
    os.makedirs(directory, exist_ok=True)
    try:
        for _ in range(2):
            measure("append", os.path.join(directory, "append.probe"), appended, append_step)
            measure("zero-filled", os.path.join(directory, "zero.probe"), zero_filled, overwrite_step)
            measure("fallocated", os.path.join(directory, "falloc.probe"), fallocated, overwrite_step)
    finally:
        if created:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
