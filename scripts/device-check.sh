#!/usr/bin/env bash
# The CUDA backend's check on a lent GPU machine, in two halves:
#
#   scripts/device-check.sh prepare   # here (no GPU needed): build with CUDA into build-device/,
#                                     # strip, bundle the shared libraries a bare machine lacks,
#                                     # print the size and the carry list
#   scripts/device-check.sh run       # there: GPU and library report, unit tests (the op harness
#                                     # then covers "cuda"), seed MLP timings on cuda and cpu;
#                                     # summary in $OUT/device-report.txt (OUT defaults to
#                                     # /tmp/glia-device-out)
#
# The machine there is bare (no Debian oneDNN), has the NVIDIA driver, and has CUDA 13 libraries
# somewhere (toolkit or Python wheels): libcublas/libcublasLt (~570 MB) are too large to carry
# and are looked up there; libcudart (0.7 MB) is carried. Budget: run expects ~1 minute; the
# timeouts below (120 + 40 + 2 x 60 s, + 90 s for the 2-GPU step) keep it under 5.
#
# NCCL: `GLIA_DEVICE_NCCL=1 scripts/device-check.sh prepare` builds the NCCL gradient allreduce
# too (off by default: libnccl is ~210 MB, never carried, and must then exist there, like cuBLAS).
# run's data-parallel step (mpirun -np 2 --backend cuda) needs 2 GPUs and mpirun there; where
# either is missing it says so and is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=build-device
# What travels: the three programs and the bundled libraries (not the object files), packed
# into one xz archive (oneDNN alone is 40 MB unpacked; the archive is about a quarter of it all).
PACKED=("$BUILD/tests/glia_unit_tests" "$BUILD/tests/make_synthetic_mnist"
        "$BUILD/bin/glia-keras-mnist" "$BUILD/lib")
CARRY=("$BUILD/bundle.tar.xz")
# Libraries every Linux has (or, for libcuda, the driver provides): never bundled.
SYSTEM_LIBS='^(linux-vdso|ld-linux|libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s'
SYSTEM_LIBS+='|libcuda|libcublas|libcublasLt|libnccl)\.so'
CARRY_LIMIT=$((64 * 1024 * 1024))

prepare() {
  set -e
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGLIA_CUDA=ON -DGLIA_NATIVE=OFF \
    -DGLIA_BUILD_BENCH=OFF -DGLIA_WITH_NCCL="$([[ ${GLIA_DEVICE_NCCL:-0} == 1 ]] && echo ON || echo OFF)"
  cmake --build "$BUILD" --target glia_unit_tests make_synthetic_mnist glia-keras-mnist
  strip --strip-unneeded "$BUILD/tests/glia_unit_tests" "$BUILD/tests/make_synthetic_mnist" \
    "$BUILD/bin/glia-keras-mnist"
  rm -rf "$BUILD/lib"
  mkdir -p "$BUILD/lib"
  local lib name
  for lib in $(ldd "$BUILD/tests/glia_unit_tests" "$BUILD/bin/glia-keras-mnist" \
                 "$BUILD/tests/make_synthetic_mnist" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
               sort -u); do
    name=$(basename "$lib")
    if [[ $name =~ $SYSTEM_LIBS ]]; then continue; fi
    cp -L "$lib" "$BUILD/lib/$name"
  done
  echo
  echo "bundled libraries:"
  ls -l "$BUILD/lib"
  tar -cf - "${PACKED[@]}" | xz -T0 -6 >"$BUILD/bundle.tar.xz"
  local tree carried total
  if git rev-parse --git-dir >/dev/null 2>&1; then  # tracked and untracked-not-ignored files
    tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 |
           cut -f1)
  else
    tree=$(du -sb --exclude=./build --exclude='./build-*' . | cut -f1)
  fi
  carried=$(du -cb "${CARRY[@]}" | tail -1 | cut -f1)
  total=$((tree + carried))
  printf '\nworking tree %d bytes + carried %d bytes = %d bytes (%s MiB of 64 MiB)\n' \
    "$tree" "$carried" "$total" "$(awk -v b="$total" 'BEGIN {printf "%.1f", b / 1048576}')"
  if ((total > CARRY_LIMIT)); then
    echo "error: over the 64 MiB that may travel" >&2
    exit 1
  fi
  local json
  json=$(printf '"%s", ' "${CARRY[@]}")
  echo "carry: [${json%, }]"
  echo "command: bash scripts/device-check.sh run"
}

# A directory holding CUDA 13's libcublas there: the toolkit's, else any (a Python wheel's).
find_cublas_dir() {
  local d
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
           /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/targets/x86_64-linux/lib \
           /usr/lib/x86_64-linux-gnu; do
    if [[ -e $d/libcublas.so.13 && -e $d/libcublasLt.so.13 ]]; then
      echo "$d"
      return
    fi
  done
  d=$(find /opt /usr/local /usr/lib /root -name 'libcublas.so.13' -not -path '*/stubs/*' \
        2>/dev/null | head -1)
  [[ -n $d ]] && dirname "$d"
}

run() {
  [[ -f $BUILD/bundle.tar.xz ]] && tar -xJf "$BUILD/bundle.tar.xz"
  local out=${OUT:-/tmp/glia-device-out}
  mkdir -p "$out"
  local report=$out/device-report.txt env_log=$out/env.txt
  : >"$report"
  say() { echo "$*" | tee -a "$report"; }

  elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
  say "== device-check $(date -u +%FT%TZ) on $(uname -n)"
  {
    echo "== nvidia-smi"
    if command -v nvidia-smi >/dev/null; then nvidia-smi; else ls -l /usr/local/nvidia/bin 2>&1; fi
    echo "== CUDA libraries present"
    ls /usr/local/cuda*/lib64 2>/dev/null | grep -E 'cublas|cudart' ||
      echo "(none under /usr/local/cuda*/lib64)"
    ldconfig -p | grep -E 'libcuda\.so|cublas|cudart' || true
    echo "== glibc: $(ldd --version | head -1); CPUs: $(nproc)"
  } >"$env_log" 2>&1
  say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
    2>/dev/null | head -1 || true)"

  # Bundled libraries first, then the driver's folder, then wherever cuBLAS is.
  local ld="$PWD/$BUILD/lib" d
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [[ -d $d ]] && ld+=":$d"; done
  local cublas
  cublas=$(find_cublas_dir)
  if [[ -n $cublas ]]; then
    ld+=":$cublas"
    say "cuBLAS from: $cublas"
  else
    say "cuBLAS: libcublas.so.13 not found on this machine"
  fi
  local nccl
  nccl=$(find /usr/local/cuda* /usr/lib /opt /root -name 'libnccl.so.2' 2>/dev/null | head -1)
  [[ -n $nccl ]] && ld+=":$(dirname "$nccl")"
  export LD_LIBRARY_PATH="$ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  {
    echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    echo "== ldd glia_unit_tests"
    ldd "$BUILD/tests/glia_unit_tests"
  } >>"$env_log" 2>&1
  if ldd "$BUILD/tests/glia_unit_tests" "$BUILD/bin/glia-keras-mnist" | grep -q 'not found'; then
    say "missing libraries:"
    ldd "$BUILD/tests/glia_unit_tests" "$BUILD/bin/glia-keras-mnist" | grep 'not found' |
      sort -u | tee -a "$report"
    say "== result: cannot run (see env.txt)"
    return 1
  fi

  local status=0 t0 t1
  say ""
  say "== unit tests (glia_unit_tests --gtest_brief=1; full log unit-tests.log)"
  t0=$(date +%s.%N)
  timeout 120 "$BUILD/tests/glia_unit_tests" --gtest_brief=1 >"$out/unit-tests.log" 2>&1
  local rc=$?
  t1=$(date +%s.%N)
  ((rc == 0)) || status=1
  say "exit $rc after $(elapsed "$t0" "$t1") s$( ((rc == 124)) && echo ' (timed out)')"
  say "cuda op cases: $(timeout 20 "$BUILD/tests/glia_unit_tests" --gtest_list_tests \
    --gtest_filter='BackendOps_cuda.*:CudaBackendTest.*' 2>/dev/null | grep -c '^  ')"
  grep -E '^\[ +(PASSED|FAILED|SKIPPED) +\]|^\[==========\]|DISABLED|Failure|FAILED TEST' \
    "$out/unit-tests.log" | head -60 | tee -a "$report"

  say ""
  say "== synthetic MNIST (60000 + 10000)"
  timeout 40 "$BUILD/tests/make_synthetic_mnist" /tmp/syn 60000 10000 >>"$env_log" 2>&1 ||
    { say "make_synthetic_mnist failed"; return 1; }

  local backend log
  for backend in cuda cpu; do
    log=$out/mnist-$backend.log
    local args=(--data-folder /tmp/syn --backend "$backend" --epochs 3 --batch-size 50
                --first-layer-neurons 300 --second-layer-neurons 100 --verbose 2)
    [[ $backend == cpu ]] && args+=(--threads 16)
    say ""
    say "== glia-keras-mnist ${args[*]}"
    t0=$(date +%s.%N)
    timeout 60 "$BUILD/bin/glia-keras-mnist" "${args[@]}" >"$log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    ((rc == 0)) || status=1
    say "exit $rc, wall $(elapsed "$t0" "$t1") s$( ((rc == 124)) && echo ' (timed out)')"
    grep -E '^Epoch|step|Test loss|Test accuracy|error' "$log" | tail -12 | tee -a "$report"
  done
  mpi_step || status=1
  say ""
  say "== result: $( ((status == 0)) && echo PASS || echo FAIL)"
  return "$status"
}

# Data-parallel on the CUDA backend (NCCL when built with it): needs one GPU per rank.
mpi_step() {
  say ""
  say "== mpirun -np 2 glia-keras-mnist --backend cuda --epochs 1"
  local gpus
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
  if ((gpus < 2)); then
    say "skipped: nvidia-smi -L lists $gpus GPU(s); NCCL needs one GPU per rank (2)"
    return 0
  fi
  if ! command -v mpirun >/dev/null; then
    say "skipped: no mpirun on this machine (Open MPI's launcher is not carried)"
    return 0
  fi
  say "gradient transport: $(ldd "$BUILD/bin/glia-keras-mnist" | grep -q libnccl && echo NCCL ||
    echo 'MPI (built without NCCL: GLIA_DEVICE_NCCL=1 prepare)')"
  local root=() rc
  ((EUID == 0)) && root=(--allow-run-as-root)
  timeout 90 mpirun -np 2 "${root[@]}" --oversubscribe --bind-to none -x LD_LIBRARY_PATH \
    "$BUILD/bin/glia-keras-mnist" --data-folder /tmp/syn --backend cuda --epochs 1 \
    --batch-size 100 --verbose 2 >"$out/mnist-mpi2.log" 2>&1
  rc=$?
  say "exit $rc$( ((rc == 124)) && echo ' (timed out)')"
  grep -E '^Epoch|Test loss|Test accuracy|error|NCCL' "$out/mnist-mpi2.log" | tail -8 |
    tee -a "$report"
  return "$rc"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *)
    echo "usage: $0 prepare|run" >&2
    exit 2
    ;;
esac
