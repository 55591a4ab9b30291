"""Load from a separate process: wrk (Debian's package) with a Lua script that sends every
request with a fresh address and a fresh client IP, so no cache, cooldown or per-IP limit makes
one request cheaper than another."""

import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

# {body} is a Lua expression for the form body; `email` and `ip` are fresh per request.
LUA = """
local counter, id = 0, 0
local run = "{run}"
local thread_ids = 0
setup = function(thread)
  thread:set("id", thread_ids)
  thread_ids = thread_ids + 1
end
request = function()
  counter = counter + 1
  local email = string.format("%s-%d-%d@example.com", run, id, counter)
  local ip = string.format("10.%d.%d.%d", id, math.floor(counter / 256) % 256, counter % 256)
  local headers = {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Origin"] = "{origin}",
    ["X-Forwarded-For"] = ip,
  }}
  return wrk.format("{method}", "{path}", headers, {body})
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{{"requests": %d, "seconds": %f, "p50": %f, "p99": %f, "non2xx": %d, "socket": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, errors.status, errors.connect + errors.read + errors.write
    + errors.timeout))
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors

    def row(self, label: str) -> str:
        return (
            f"| {label} | {self.rps:,.0f} | {self.p50_ms:.1f} ms | {self.p99_ms:.1f} ms "
            f"| {self.errors} |"
        )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is required: apt-get install wrk")
    return found


def post_load(
    url: str, path: str, body_lua: str, *, connections: int, seconds: float, method: str = "POST"
) -> Result:
    """Send `method` requests to `path` from `connections` connections for `seconds`, each
    with a fresh address and client IP."""
    script = LUA.format(
        run=uuid.uuid4().hex[:8], origin=url, path=path, body=body_lua, method=method
    )
    with tempfile.TemporaryDirectory() as folder:
        lua = Path(folder) / "post.lua"
        lua.write_text(script)
        done = subprocess.run(
            [
                wrk_binary(),
                "--threads",
                "2",
                "--connections",
                str(connections),
                "--duration",
                f"{max(seconds, 1):.0f}s",
                "--timeout",
                "10s",
                "--script",
                str(lua),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(
        requests=figures["requests"],
        rps=figures["requests"] / figures["seconds"],
        p50_ms=figures["p50"],
        p99_ms=figures["p99"],
        errors=figures["non2xx"] + figures["socket"],
    )


def form_body(token: str) -> str:
    """Our sign-up form, as the footer form posts it (two lists)."""
    fixed = (
        f"&newsletter=daily&newsletter=weekly-review&form_id=footer&page=%2F&form_token={token}"
    )
    return f'"email=" .. email .. "{fixed}"'


MINIMAL_BODY = '"email=" .. email .. "&newsletter=daily"'
NO_BODY = "nil"
