#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and runs each model loader's
# target for a bounded time on seed corpora: small models saved by Glia, files written by real
# Keras (fuzz/corpus/keras) and the regression inputs (tests/data/fuzz-regressions). See
# docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#
# Exits non-zero when a target crashes, leaks, hangs, runs out of memory or lets an exception
# other than glia::Error escape; the input that did it is kept under build-fuzz/findings/.
# A crash, hang or huge allocation inside libhdf5 itself (a bug of Debian's libhdf5 1.10 that
# Glia's checks do not catch yet) is reported with its reproducer the same way, and the run goes
# on; GLIA_FUZZ_STRICT=1 makes those fail too.
set -euo pipefail
cd "$(dirname "$0")/.."

per_target="${1:-60}"
build=build-fuzz
jobs="${GLIA_FUZZ_JOBS:-$(nproc)}"
strict="${GLIA_FUZZ_STRICT:-0}"

command -v clang++ >/dev/null || bash scripts/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

started=$(date +%s)
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGLIA_FUZZ=ON -DGLIA_BUILD_TESTS=OFF -DGLIA_BUILD_BENCH=OFF -DGLIA_NATIVE=OFF -DGLIA_CUDA=OFF
fi
cmake --build "$build" --target glia_fuzz --parallel "$jobs"
echo "fuzz: build took $(($(date +%s) - started)) s"

corpus="$build/corpus"
findings="$build/findings"
mkdir -p "$findings"
"$build/fuzz/make_corpus" "$corpus" fuzz/corpus/keras/*

# Impossible allocations fail (return null) as they do outside ASan; libhdf5's own leaks on its
# error paths are suppressed (fuzz/lsan.supp), Glia's are not.
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"

# The crash report's stack frames outside the sanitizers, libFuzzer and libc, shortened.
frames() {
  grep -E '^ +#[0-9]+ 0x' "$1" |
    grep -vE ' in (__interceptor_|__asan|__sanitizer|__lsan|__ubsan|fuzzer::|malloc|calloc|realloc|free|posix_memalign|operator new|__libc_|__mem|__str|raise|abort)|libc\.so|sysdeps/' |
    sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ //; s/ \(BuildId: [0-9a-f]+\)//' | cut -c1-160
}

# True when the first of those frames is in libhdf5: the bug is in the library, not in Glia.
in_libhdf5() { [[ "$(frames "$1" | head -1)" == *libhdf5* ]]; }

failed=0
upstream=0
summary=()
for target in fuzz_model_json fuzz_model_h5 fuzz_model_keras; do
  deadline=$(($(date +%s) + per_target))
  runs=0
  executions=0
  seeds=("$corpus/$target")
  [ -d "tests/data/fuzz-regressions/$target" ] && seeds+=("tests/data/fuzz-regressions/$target")
  while :; do
    left=$((deadline - $(date +%s)))
    [ "$left" -ge 1 ] || break
    runs=$((runs + 1))
    log="$findings/$target.$runs.log"
    status=0
    "$build/fuzz/$target" -max_total_time="$left" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/$target-" "${seeds[@]}" \
      >"$log" 2>&1 || status=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    executions=$((executions + ${n:-0}))
    [ "$status" -eq 0 ] && break
    input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    what=$(grep -m1 -E '^(==[0-9]+== ?ERROR|SUMMARY|.*runtime error)' "$log" || true)
    if [ -n "$input" ] && in_libhdf5 "$log"; then
      upstream=$((upstream + 1))
      echo "fuzz: $target: libhdf5 bug (inside the library, not Glia's code): ${what}"
      echo "fuzz:   reproducer: $input (log: $log)"
      frames "$log" | head -6 | sed 's/^/fuzz:     /' || true
      [ "$strict" = 1 ] && failed=1 && break
      [ "$runs" -ge 20 ] && break # libhdf5 keeps failing: stop restarting
      continue
    fi
    failed=1
    echo "fuzz: $target FAILED (exit $status): ${what:-see the log}"
    echo "fuzz:   the input is in ${input:-(none written)}; log: $log"
    grep -m3 -E 'runtime error|terminate called|what\(\)|^round trip:' "$log" | cut -c1-300 | sed 's/^/fuzz:   /' || true
    # The input itself, so a failure on a CI machine can be reproduced from its log alone.
    if [ -n "$input" ] && [ -f "$input" ] && [ "$(stat -c %s "$input")" -le 16384 ]; then
      echo "fuzz:   input (base64): $(base64 -w0 "$input")"
    fi
    frames "$log" | head -12 | sed 's/^/fuzz:     /' || true
    break
  done
  summary+=("$target: $executions executions")
done

echo "fuzz: ${summary[*]}; total $(($(date +%s) - started)) s"
if [ "$upstream" -gt 0 ]; then
  echo "fuzz: $upstream libhdf5 bug(s) hit (reproducers in $findings); see docs/fuzzing.md"
fi
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED; reproduce with $build/fuzz/<target> <input>, then add the input under" \
    "tests/data/fuzz-regressions/<target>/"
  exit 1
fi
echo "fuzz: OK"
