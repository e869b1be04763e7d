#!/usr/bin/env bash
# Installs what is missing, from Debian's archive (apt) only. Idempotent: apt-get runs
# only if a package is absent. Usage: scripts/deps.sh [build|test|bench]...
set -euo pipefail

BUILD_PKGS=(
  g++ cmake ninja-build ccache pkg-config make
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev ca-certificates
  libspdlog-dev libfmt-dev prometheus-cpp-dev libcli11-dev libtomlplusplus-dev
  libpq-dev libsqlite3-dev libhiredis-dev libsodium-dev libc-ares-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libspeexdsp-dev libwebrtc-audio-processing-dev libsndfile1-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us libespeak-ng-dev flite1-dev
  nodejs npm
)
TEST_PKGS=(postgresql-15 sqlite3 curl clang libclang-rt-14-dev libspandsp-dev pocketsphinx pocketsphinx-testdata flite sox chromium)
BENCH_PKGS=(wrk nginx-light)

# --list SET: prints that set's packages, one per line, and installs nothing (check-deps.sh).
if [[ ${1:-} == --list ]]; then
  case "${2:-}" in
    build) printf '%s\n' "${BUILD_PKGS[@]}" ;;
    test) printf '%s\n' "${TEST_PKGS[@]}" ;;
    bench) printf '%s\n' "${BENCH_PKGS[@]}" ;;
    *) echo "usage: $0 --list build|test|bench" >&2; exit 2 ;;
  esac
  exit 0
fi

want=("${BUILD_PKGS[@]}")
for extra in "$@"; do
  case "$extra" in
    build) ;;
    test) want+=("${TEST_PKGS[@]}") ;;
    bench) want+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
    *) echo "deps.sh: unknown set '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  # nodejs/npm may come from elsewhere on a developer's machine; the commands are enough.
  if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "deps.sh: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
fi
