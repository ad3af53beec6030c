"""wrk, the HTTP load generator, with its figures read from a Lua `done` hook as JSON.

`wrk -t2 -c16 -dNs` against one URL; the hook prints requests, bytes, errors and the latency
percentiles (p50, p90, p99, max) of wrk's own histogram, so nothing is parsed from its
human-readable report.
"""

import json
import shutil
import subprocess
from pathlib import Path

MARK = "BENCH-JSON "
SCRIPT = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, '
    .. '"p99_us": %d, "max_us": %d}\\n',
    "MARK", summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
""".replace("MARK", MARK)


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def run(
    url: str,
    *,
    seconds: int,
    headers: dict[str, str],
    folder: Path,
    threads: int = 2,
    connections: int = 16,
) -> dict:
    """One wrk run; requests per second, latencies in ms, errors (non-2xx/3xx included)."""
    script = folder / "done.lua"
    if not script.exists():
        script.write_text(SCRIPT, encoding="utf-8")
    command = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        command + [url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARK)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {url}:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len(MARK) :])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "requests": raw["requests"],
        "bytes_per_response": raw["bytes"] / raw["requests"] if raw["requests"] else 0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "non_2xx_3xx": raw["status"],
    }
