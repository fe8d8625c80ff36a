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
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "system packages ready"
