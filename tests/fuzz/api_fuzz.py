#!/usr/bin/env python3
"""Fuzzes the HTTP API from its own document: schemathesis against /openapi.yaml on a live server.

Starts `earshot serve` on a free loopback port (a fresh data directory, one built-in worker with the
real engine, so the generated uploads are transcribed or fail as they would, rate limits off, an
OpenAI wait of 1 s), runs schemathesis's
examples, coverage, fuzzing and stateful phases with the checks that matter here — no 5xx, every
status code, content type, header and body as documented (tests/fuzz/earshot_fuzz_hooks.py holds
the one documented 5xx, and caps long-poll waits at 1 s) — and fails unless it ran at least
`--min-requests` generated requests and every check passed. The event stream, the event WebSocket
and live sessions are left out: their answers never end. After the run the server must still be
healthy, and a job it accepted before the run must still be there or have been deleted through the
API (its job.deleted event logged) — the fuzzer is allowed to delete what it finds. Two passes: an open
server (the local user), then a server with accounts and an admin's API key on every request.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from earshot_server import EarshotServer  # noqa: E402

CHECKS = "no_undocumented_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"


def call(base, method, path, body=None, headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response) if response.status != 204 else None, response.headers


def submit_job(base, headers):
    """A job accepted before the fuzzing, which must survive it."""
    body = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80>\x00\x00\x00}\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
    answer, _ = call(base, "POST", "/api/v1/jobs?filename=before.wav", body + b"\x00" * 3200, {**headers, "Content-Type": "audio/wav"})
    return answer["id"]


def admin_key(base, password):
    """Signs the admin in and makes an API key with the admin scope, as a script would."""
    session, headers = call(base, "POST", "/api/v1/session", {"username": "admin", "password": password},
                            {"Content-Type": "application/json"})
    cookie = headers["Set-Cookie"].split(";")[0]
    created, _ = call(base, "POST", "/api/v1/keys", {"name": "fuzzer", "scopes": ["admin"]},
                      {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": session["csrf_token"]})
    return created["api_key"]


def fuzz(name, server, headers, arguments, out, min_requests, excluded):
    """One schemathesis run against `server` with `headers` on every request, leaving out the operations
    `excluded` (operation ids); returns the request count."""
    survivor = submit_job(server.base, headers)
    command = [
        arguments.schemathesis, "run", f"{server.base}/openapi.yaml", "--url", server.base,
        "--checks", CHECKS, "-n", str(arguments.examples), "--generation-deterministic",
        "--request-timeout", "70", "--exclude-path-regex", "^/api/v1/(events|ws|live)$",
        "--report", "junit", "--report-dir", os.path.join(out, name),
    ]
    for header, value in headers.items():
        command += ["-H", f"{header}: {value}"]
    for operation in excluded:
        command += ["--exclude-operation-id", operation]
    print(f"[{name}] running:", " ".join(c if "esu_" not in c else "Authorization: Bearer esu_…" for c in command), flush=True)
    here = os.path.dirname(os.path.abspath(__file__))
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": "earshot_fuzz_hooks", "PYTHONPATH": here}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    with open(os.path.join(out, f"schemathesis-{name}.txt"), "w", encoding="utf-8") as handle:
        handle.write(result.stdout + result.stderr)
    summary = result.stdout[result.stdout.rfind("SUMMARY"):] if "SUMMARY" in result.stdout else result.stdout[-3000:]
    print(summary)
    generated = re.search(r"(\d+) generated", result.stdout)
    count = int(generated.group(1)) if generated else 0
    assert result.returncode == 0, f"[{name}] schemathesis found failures (exit {result.returncode}); see {out}/schemathesis-{name}.txt"
    assert count >= min_requests, f"[{name}] only {count} generated requests; wanted at least {min_requests}"

    with urllib.request.urlopen(f"{server.base}/healthz", timeout=10) as response:
        assert response.status == 200, f"[{name}] the server is not healthy after fuzzing"
    # The fuzzer may delete jobs it finds (it is allowed to): the job accepted before must still be
    # there, or its deletion must be in the event log, i.e. it went through DELETE, not lost.
    try:
        answer, _ = call(server.base, "GET", f"/api/v1/jobs/{survivor}", headers=headers)
        fate = "still there (" + answer["state"] + ")"
    except urllib.error.HTTPError as error:
        assert error.code == 404, f"[{name}] GET of the job accepted before answered {error.code}"
        deleted, _ = call(server.base, "GET", f"/api/v1/events/log?types=job.deleted&correlation_id={survivor}", headers=headers)
        assert deleted["events"], f"[{name}] job {survivor}, accepted before the run, is gone without a job.deleted event"
        fate = "deleted through the API by the fuzzer (job.deleted logged)"
    assert server.process.poll() is None, f"[{name}] the server exited during fuzzing"
    print(f"[{name}] API fuzzing passed: {count} generated requests, no failures; job {survivor} accepted before: {fate}")
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earshot", required=True)
    parser.add_argument("--schemathesis", default=".venv-fuzz/bin/schemathesis")
    parser.add_argument("--examples", type=int, default=10, help="examples per operation and phase (schemathesis -n)")
    parser.add_argument("--min-requests", type=int, default=1000, help="per pass")
    parser.add_argument("--out", default="test-output/fuzz")
    arguments = parser.parse_args()

    out = os.path.abspath(arguments.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    work = tempfile.mkdtemp(prefix="earshot-fuzz-")
    quick = {"EARSHOT_RATE_LIMIT_PER_SECOND": "0", "EARSHOT_OPENAI_WAIT_SECONDS": "1", "EARSHOT_PASSWORD_HASH_COST": "4"}
    try:
        # First as the local user of an open server, then with an admin's key on a server with accounts,
        # where every route checks who is calling.
        server = EarshotServer(arguments.earshot, os.path.join(work, "open"), os.path.join(out, "server-open.log"), ["--workers", "1"], env=quick)
        try:
            server.wait_until_ready()
            # A first user would turn accounts on and end the open server's pass.
            fuzz("open", server, {}, arguments, out, arguments.min_requests, excluded=["createUser"])
        finally:
            server.stop()
        password = "fuzzing admin passphrase"
        server = EarshotServer(arguments.earshot, os.path.join(work, "accounts"), os.path.join(out, "server-accounts.log"),
                               ["--workers", "1"], env={**quick, "EARSHOT_ADMIN_PASSWORD": password})
        try:
            server.wait_until_ready()
            # The fuzzer must not revoke its own key or take its user's role away (the open pass covers these).
            fuzz("accounts", server, {"Authorization": f"Bearer {admin_key(server.base, password)}"}, arguments, out,
                 arguments.min_requests, excluded=["revokeKey", "deleteUser", "updateUser"])
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        sys.stderr.write(f"API fuzzing FAILED: {failure}\n")
        sys.exit(1)
