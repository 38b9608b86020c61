"""Load generators for run.py: wrk when installed, else a bounded asyncio loop."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    timeouts: int

    @property
    def failed(self) -> bool:
        return bool(self.non_2xx or self.socket_errors or self.timeouts)

    def errors_text(self) -> str:
        parts = []
        if self.non_2xx:
            parts.append(f"{self.non_2xx} non-2xx")
        if self.timeouts:
            parts.append(f"{self.timeouts} timeouts")
        if self.socket_errors:
            parts.append(f"{self.socket_errors} socket errors")
        return ", ".join(parts)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _latency(text: str, percent: str) -> float:
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def parse_wrk(text: str) -> LoadResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if rps is None or total is None:
        raise RuntimeError(f"could not parse wrk output:\n{text}")
    connect, read, write, timeout = (int(g) for g in sock.groups()) if sock else (0, 0, 0, 0)
    return LoadResult(
        rps=float(rps.group(1)),
        p50_ms=_latency(text, "50"),
        p99_ms=_latency(text, "99"),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=connect + read + write,
        timeouts=timeout,
    )


def run_wrk(url: str, *, connections: int, duration: float, timeout: float,
            prefix: list[str]) -> LoadResult:
    # One wrk thread: the load generator gets one core, as the server does.
    command = prefix + [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
        f"--timeout={max(1, round(timeout))}s", url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def run_asyncio(url: str, *, connections: int, duration: float, timeout: float,
                max_requests: int) -> LoadResult:
    """``connections`` keep-alive clients send requests until ``duration`` passes or
    ``max_requests`` are sent; a minimal HTTP/1.1 client, so the load generator stays cheap."""
    return asyncio.run(_asyncio_load(url, connections, duration, timeout, max_requests))


async def _asyncio_load(url: str, connections: int, duration: float, timeout: float,
                        max_requests: int) -> LoadResult:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n").encode()
    latencies: list[float] = []
    counts = {"sent": 0, "non_2xx": 0, "socket": 0, "timeouts": 0}
    start = time.perf_counter()
    deadline = start + duration

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if length is None:
            raise ConnectionError("response without Content-Length")
        await reader.readexactly(int(length.group(1)))
        return status

    async def client() -> None:
        streams = None
        while time.perf_counter() < deadline and counts["sent"] < max_requests:
            counts["sent"] += 1
            began = time.perf_counter()
            try:
                if streams is None:
                    streams = await asyncio.wait_for(
                        asyncio.open_connection(parts.hostname, parts.port), timeout)
                status = await asyncio.wait_for(one(*streams), timeout)
            except TimeoutError:
                counts["timeouts"] += 1
                streams = _close(streams)
                continue
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                counts["socket"] += 1
                streams = _close(streams)
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            if not 200 <= status < 300:
                counts["non_2xx"] += 1
        _close(streams)

    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return LoadResult(
        rps=len(latencies) / elapsed,
        p50_ms=percentile(0.50),
        p99_ms=percentile(0.99),
        requests=len(latencies),
        non_2xx=counts["non_2xx"],
        socket_errors=counts["socket"],
        timeouts=counts["timeouts"],
    )


def _close(streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if streams is not None:
        streams[1].close()
    return None
