#!/usr/bin/env bash
# Installs the system packages Traductor builds and tests with (Debian 12). Needs root.
set -euo pipefail
packages=(
  cmake g++ make pkg-config
  libdnnl-dev ocl-icd-opencl-dev          # oneDNN 2.6: fp32 and u8s8s32 GEMM (its CMake config needs OpenCL)
  libsentencepiece-dev sentencepiece      # tokenizer library and spm_encode/spm_train for parity tests
  nlohmann-json3-dev                      # config.json / vocabulary parsing
  libgtest-dev libbenchmark-dev           # native tests and micro-benchmarks
  python3                                 # scripts/run-tests.sh parses test reports
)
# Deployment checks (tests/Traductor.Deploy.Tests, scripts/check-deploy.sh): nginx -t and the rolling
# update test, promtool (in prometheus), openssl for a test certificate; systemd-analyze is in systemd.
# TRD_DEPS=build (the Dockerfile's build stage) skips them.
if [[ ${TRD_DEPS:-all} != build ]]; then
  packages+=(nginx prometheus openssl systemd)
  command -v npm >/dev/null || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [[ ${TRD_DEPS:-all} != build ]]; then
  # Dockerfile linter and Kubernetes schema validator, versions locked in deploy/tools/package-lock.json.
  npm ci --prefix "$(dirname "$0")/../deploy/tools" --no-audit --no-fund --loglevel=error
fi
echo "system packages ready"
