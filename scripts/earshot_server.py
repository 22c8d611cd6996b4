"""Runs `earshot serve` for the Python tests: started on a free loopback port, ready once /readyz
says so (its engine warm), stopped with SIGTERM as a service manager would."""
import signal
import os
import subprocess
import urllib.request

from librivox import free_port


class EarshotServer:
    def __init__(self, earshot, data_dir, log_path, extra=(), env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            [earshot, "serve", "--port", str(self.port), "--data-dir", data_dir, *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )

    def wait_until_ready(self):
        """Blocks on /readyz's answer rather than sleeping: readiness includes the warm engine."""
        for _ in range(600):
            if self.process.poll() is not None:
                raise AssertionError(f"earshot serve exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            try:
                self.process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        raise AssertionError("the server never became ready")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def log_tail(self, characters=3000):
        self.log.flush()
        with open(self.log.name, encoding="utf-8") as handle:
            return handle.read()[-characters:]


