#!/usr/bin/env bash
# libFuzzer over the parsers Earshot owns (tests/fuzz/native/FuzzTargets.swift): event JSON, subtitle and
# transcript import, query text, text diffs, node messages, the live hello and PCM frames, podcast feeds, the
# configuration file. EarshotCore's sources and the targets are compiled straight with `swiftc -sanitize=fuzzer`
# (SwiftPM would rename `main`, which libFuzzer provides); its one dependency, Yams, is linked from the debug
# build SwiftPM already made (uninstrumented: the YAML parser is not ours, what we make of its output is).
# Usage: scripts/fuzz-native.sh SECONDS_PER_TARGET [TARGET...]
# A crash or a broken property fails the run; the input is kept under test-output/fuzz-native/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?seconds per target}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(event-json transcript-import query-text text-diff node-messages live-hello live-audio feed-xml config-file torch-checkpoint)

binary=.build/fuzz/earshot-fuzz
sources=$(find Sources/EarshotCore -name '*.swift' | sort)
yams_objects=$(ls .build/debug/Yams.build/*.swift.o .build/debug/CYaml.build/src/*.o 2>/dev/null || true)
if [ -z "$yams_objects" ] || [ ! -d .build/debug/Modules ]; then
  echo "fuzz-native: Yams is not built yet; run 'swift build' first" >&2
  exit 2
fi
stamp=.build/fuzz/sources.sha256
# shellcheck disable=SC2086
digest=$( (cat $sources tests/fuzz/native/FuzzTargets.swift; ls -l $yams_objects) | sha256sum | cut -d' ' -f1)
mkdir -p .build/fuzz
if [ ! -x "$binary" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "fuzz-native: building $binary"
  # shellcheck disable=SC2086
  swiftc -O -sanitize=fuzzer -parse-as-library -module-name EarshotFuzz -I .build/debug/Modules \
    -Xcc -fmodule-map-file=.build/checkouts/Yams/Sources/CYaml/include/module.modulemap \
    $sources tests/fuzz/native/FuzzTargets.swift $yams_objects -o "$binary"
  echo "$digest" > "$stamp"
fi

out=test-output/fuzz-native
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for target in "${targets[@]}"; do
  # The committed seeds stay as they are; what the run learns goes to a scratch corpus.
  mkdir -p "$work/$target"
  cp tests/fuzz/native/corpus/"$target"/* "$work/$target/"
  log="$out/$target.log"
  # Swift's own crash reporter would catch the signal before libFuzzer could save the input.
  if SWIFT_BACKTRACE=enable=no EARSHOT_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -dict=tests/fuzz/native/json.dict -artifact_prefix="$out/$target-" "$work/$target" > "$log" 2>&1; then
    echo "fuzz-native: $target: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1), $(grep -oE 'cov: [0-9]+' "$log" | tail -1)"
  else
    echo "fuzz-native: $target FAILED; input and log in $out/" >&2
    tail -20 "$log" >&2
    failed=1
  fi
done
exit $failed
