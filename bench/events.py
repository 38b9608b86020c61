"""Events to many SSE subscribers on one worker: delivery latency and memory per idle stream and socket.

A fresh ``runfastapi`` process (one uvicorn worker, memory backend, SQLite) per round, pinned to
core 0 when ``taskset`` exists; the clients (raw asyncio sockets) run here. Each round opens N
streams to ``/api/benchmark/live`` (each answers its headers once subscribed), reads the server's
RSS before and after, then publishes ``--events`` events through ``POST /api/benchmark/publish``
0.5 s apart and times, for every stream, from just before the POST to the event's arrival.

With ``--websockets N``, each round also opens N idle websockets twice, each time to a fresh server,
and reads its RSS before and after: to ``/api/benchmark/idle`` (accepted, waits for its close) and to
the sample site's room (``/api/room/<name>``, one room per socket: authenticated with the demo
user's API token as subprotocol ``["bearer", token]`` and subscribed to the room's events channel),
each waiting once its ``joined`` message came. ``FASTAPI_MAX_WEBSOCKETS`` is raised for it, as
``FASTAPI_MAX_STREAMS`` is for the streams: both default to 2,000.

    python bench/events.py                              # 1,000 subscribers, 2 rounds
    python bench/events.py --subscribers 1000,5000 --rounds 2
    python bench/events.py --subscribers 1000 --websockets 1000 --rounds 1

Printed per round: streams opened and how many received every event, p50/p99/max delivery latency,
the server's RSS growth per idle stream and its OS thread count; then for each websocket endpoint the
sockets open, the RSS growth per idle websocket and the OS threads. Numbers from a shared, noisy machine: read them beside their counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SITE = REPO / "sample_site"
WEBSOCKET_ENDPOINTS = {"idle": "/api/benchmark/idle", "room": "/api/room/<name> (token, subscribed)"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_pids(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            queue += [int(child) for child in children]
    return pids


def status_field(pids: list[int], field: str) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                total += int(line.split()[1])
    return total


class Server:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "events_settings", "PYTHONPATH": str(REPO / "bench"),
               "SAMPLE_SITE_SQLITE": str(workdir / "db.sqlite3"), "SAMPLE_SITE_ACCESS_LOG": "0", "DJANGO_DEBUG": "1"}
        command = [sys.executable, "manage.py", "runfastapi", f"127.0.0.1:{self.port}", "--noreload"]
        if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
            command = ["taskset", "-c", "0", *command]
        self.process = subprocess.Popen(command, cwd=SAMPLE_SITE, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/openapi.json", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def rss_kib(self) -> int:
        return status_field(tree_pids(self.process.pid), "VmRSS")

    def threads(self) -> int:
        return status_field(tree_pids(self.process.pid), "Threads")

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


class Stream:
    def __init__(self) -> None:
        self.arrivals: list[float] = []

    async def open(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write(b"GET /api/benchmark/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = await self.reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.decode(errors="replace"))

    async def read(self) -> None:
        while True:
            line = await self.reader.readline()
            if not line:
                return
            if b"data: " in line:
                self.arrivals.append(time.perf_counter())

    def close(self) -> None:
        self.writer.close()


async def round_(port: int, server: Server, subscribers: int, events: int) -> dict:
    rss_before = server.rss_kib()
    streams = [Stream() for _ in range(subscribers)]
    opened = 0
    for start in range(0, subscribers, 200):  # in batches: the listen backlog is finite
        results = await asyncio.gather(*(stream.open(port) for stream in streams[start:start + 200]),
                                       return_exceptions=True)
        opened += sum(1 for result in results if result is None)
    await asyncio.sleep(2)
    rss_after, threads = server.rss_kib(), server.threads()
    readers = [asyncio.create_task(stream.read()) for stream in streams if hasattr(stream, "writer")]
    sent_at = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for _ in range(events):
            sent_at.append(time.perf_counter())
            response = await client.post("/api/benchmark/publish", json={"sent": time.time()})
            response.raise_for_status()
            await asyncio.sleep(0.5)
    await asyncio.sleep(2)
    latencies = [
        (arrival - sent) * 1000
        for stream in streams for arrival, sent in zip(stream.arrivals, sent_at)
    ]
    complete = sum(1 for stream in streams if len(stream.arrivals) == events)
    for task in readers:
        task.cancel()
    for stream in streams:
        if hasattr(stream, "writer"):
            stream.close()
    latencies.sort()
    return {
        "subscribers": subscribers, "opened": opened, "complete": complete, "deliveries": len(latencies),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "kib_per_stream": (rss_after - rss_before) / max(opened, 1), "threads": threads,
    }


async def open_websocket(port: int, number: int, token: str) -> ClientConnection:
    if not token:
        return await connect(f"ws://127.0.0.1:{port}/api/benchmark/idle", open_timeout=60, ping_interval=None)
    socket = await connect(f"ws://127.0.0.1:{port}/api/room/bench-{number}", subprotocols=["bearer", token],
                           open_timeout=60, ping_interval=None)
    joined = json.loads(await asyncio.wait_for(socket.recv(), 60))
    if joined.get("type") != "joined":
        raise RuntimeError(joined)
    return socket


async def websocket_round(server: Server, websockets: int, token: str) -> dict:
    """Open ``websockets`` idle sockets: to the room with ``token``, else to the plain idle endpoint."""
    rss_before = server.rss_kib()
    sockets: list[ClientConnection] = []
    for start in range(0, websockets, 200):  # in batches: the listen backlog is finite
        results = await asyncio.gather(
            *(open_websocket(server.port, number, token) for number in range(start, min(start + 200, websockets))),
            return_exceptions=True)
        sockets += [result for result in results if isinstance(result, ClientConnection)]
    await asyncio.sleep(2)
    rss_after, threads = server.rss_kib(), server.threads()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {"endpoint": "room" if token else "idle", "opened": len(sockets),
            "kib_per_websocket": (rss_after - rss_before) / max(len(sockets), 1), "threads": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1000", help="comma-separated counts (default 1000)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--websockets", type=int, default=0,
                        help="idle websockets to open per round, on a server of their own (default 0: none)")
    args = parser.parse_args()
    counts = [int(count) for count in args.subscribers.split(",")]
    rows, websocket_rows = [], []
    with tempfile.TemporaryDirectory() as scratch:
        site_env = {**os.environ, "SAMPLE_SITE_SQLITE": str(Path(scratch) / "db.sqlite3")}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=SAMPLE_SITE, check=True, env=site_env)
        token = ""
        if args.websockets:
            demo = subprocess.run([sys.executable, "manage.py", "load_demo_data"], cwd=SAMPLE_SITE, check=True,
                                  env=site_env, capture_output=True, text=True)
            token = next(word for word in demo.stdout.split() if word.startswith("dfb_"))
        for round_number in range(1, args.rounds + 1):
            for count in counts:
                server = Server(Path(scratch))
                try:
                    row = asyncio.run(round_(server.port, server, count, args.events))
                finally:
                    server.stop()
                rows.append(row)
                print(f"round {round_number}: {row['opened']}/{count} streams open, {row['complete']} received all "
                      f"{args.events} events ({row['deliveries']} deliveries); latency p50 {row['p50']:.1f} ms, "
                      f"p99 {row['p99']:.1f} ms, max {row['max']:.1f} ms; RSS +{row['kib_per_stream']:.1f} KiB "
                      f"per idle stream; {row['threads']} OS threads", flush=True)
            for credential in ("", token) if args.websockets else ():
                server = Server(Path(scratch))
                try:
                    row = asyncio.run(websocket_round(server, args.websockets, credential))
                finally:
                    server.stop()
                websocket_rows.append(row)
                print(f"round {round_number}: {row['opened']}/{args.websockets} websockets open to "
                      f"{WEBSOCKET_ENDPOINTS[row['endpoint']]}; RSS +{row['kib_per_websocket']:.1f} KiB per idle "
                      f"websocket; {row['threads']} OS threads", flush=True)
    for count in counts:
        mine = [row for row in rows if row["subscribers"] == count]
        print(json.dumps({
            "subscribers": count, "rounds": len(mine),
            "median_p50_ms": round(statistics.median(row["p50"] for row in mine), 1),
            "median_p99_ms": round(statistics.median(row["p99"] for row in mine), 1),
            "median_kib_per_idle_stream": round(statistics.median(row["kib_per_stream"] for row in mine), 1),
        }))
    for endpoint in WEBSOCKET_ENDPOINTS if args.websockets else ():
        mine = [row for row in websocket_rows if row["endpoint"] == endpoint]
        print(json.dumps({
            "websockets": args.websockets, "endpoint": WEBSOCKET_ENDPOINTS[endpoint], "rounds": len(mine),
            "median_kib_per_idle_websocket": round(statistics.median(row["kib_per_websocket"] for row in mine), 1),
        }))


if __name__ == "__main__":
    main()
