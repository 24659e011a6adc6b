#!/usr/bin/env bash
# Installs every system dependency Glia needs on Debian 12. Idempotent and non-interactive:
# used by both README commands and by .ci/run.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format python3 python3-venv
  libdnnl-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libsqlite3-dev libcairo2-dev
  libyaml-cpp-dev libssl-dev libsimdjson-dev libcurl4-openssl-dev procps
  libhdf5-dev libzip-dev
  libcpp-httplib-dev libpqxx-dev libpq-dev libsodium-dev libkeyutils-dev postgresql-15 wrk openssl curl
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev libomp-dev llvm
  dataset-fashion-mnist
  libjs-dygraphs chromium chromium-driver
  libopenmpi-dev openmpi-bin
  slurm-wlm munge
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
