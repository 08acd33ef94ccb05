#!/usr/bin/env bash
# Install what mote needs to build and test on Debian 12. Idempotent: installs
# only missing packages, so repeated runs are quick and need no network.
set -euo pipefail
pkgs=(build-essential cmake clang libclang-rt-14-dev libcmocka-dev libjansson-dev
      gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm valgrind python3 python3-yaml
      libcurl4-openssl-dev libsodium-dev libmicrohttpd-dev libsqlite3-dev curl libopenblas-dev
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libcmocka-dev:arm64)
# Datasets (train/data): WAV through libsndfile, PNG through libpng, gzip'd CSV through zlib.
pkgs+=(libsndfile1-dev libpng-dev zlib1g-dev)
# moted's AutoML jobs: dataset tars (service/automl/dataset.c, cli/cmd_dataset.c).
pkgs+=(libarchive-dev)
# ONNX import (compiler/import/onnx): protobuf-c runtime and the protoc-c generator.
pkgs+=(libprotobuf-c-dev protobuf-c-compiler)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  # libcmocka-dev:arm64 (the NEON kernel tests under qemu-aarch64) needs the arm64 architecture
  dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
