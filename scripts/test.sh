#!/usr/bin/env bash
# Runs every test: the release build's ctest (unit + SDK integration on SQLite and
# PostgreSQL), the same under ASan/UBSan, and the fuzz targets for a bounded time.
# Prints one closing line "N passed, N failed" over all stages.
#
# Env: JOBS (default nproc), VOXA_SKIP_ASAN=1, VOXA_FUZZ_SECONDS (default 30 per target; 0 skips).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${VOXA_FUZZ_SECONDS:-30}
LOGDIR=$ROOT/build/test-logs
mkdir -p "$LOGDIR"

passed=0
failed=0
failures=()

# ctest_stage NAME BUILD_DIR [ctest args]: runs ctest and adds its counts.
ctest_stage() {
  local name=$1 dir=$2
  shift 2
  echo "=== $name: ctest in $dir"
  local out=$LOGDIR/$name.ctest.log
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" "$@") 2>&1 | tee "$out"
  local line total nfail
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$out" | tail -1)
  if [[ -z $line ]]; then
    echo "$name: ctest produced no summary" >&2
    failed=$((failed + 1))
    failures+=("$name: no summary")
    return
  fi
  nfail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  ((nfail == 0)) || failures+=("$name: $nfail failed (see $out)")
}

# step NAME command...: a build or other step that counts as one test.
step() {
  local name=$1
  shift
  echo "=== $name"
  if "$@" >"$LOGDIR/$name.log" 2>&1; then
    passed=$((passed + 1))
  else
    tail -n 60 "$LOGDIR/$name.log"
    failed=$((failed + 1))
    failures+=("$name (see $LOGDIR/$name.log)")
    return 1
  fi
}

# configure DIR extra-cmake-args...: (re)configures DIR; every test-only dependency is
# required here (a missing one fails the build step instead of leaving its tests out).
configure() {
  local dir=$1
  shift
  if [[ -f $dir/build.ninja ]]; then
    cmake -S "$ROOT" -B "$dir" -DVOXA_REQUIRE_TEST_DEPS=ON "$@"
  else
    cmake -S "$ROOT" -B "$dir" -G Ninja -DVOXA_REQUIRE_TEST_DEPS=ON "$@"
  fi
}

start=$(date +%s)

# A throwaway PostgreSQL for the store's unit tests (the SDK suite starts its own).
PG_DIR=$(mktemp -d /tmp/voxa-test-pg.XXXXXX)
chmod 0711 "$PG_DIR"
PG_PORT=$((20000 + RANDOM % 20000))
if url=$(scripts/pg-test-server.sh start "$PG_DIR/pg" "$PG_PORT" 2>"$LOGDIR/pg.log"); then
  export VOXA_TEST_DATABASE_URL=$url
else
  echo "test.sh: could not start PostgreSQL (see $LOGDIR/pg.log)" >&2
  failed=$((failed + 1))
  failures+=("postgres start")
fi
trap 'scripts/pg-test-server.sh stop "$PG_DIR/pg" >/dev/null 2>&1; rm -rf "$PG_DIR"' EXIT

# 0. Every package the configure needs is in scripts/deps.sh's build set (test-only ones in
#    its test set), so `make run` works on a machine that has only the build set.
step check-deps scripts/check-deps.sh

# The dashboard's static build (the browser suite in ctest serves it).
step web scripts/web-build.sh

# 1. Release build + every ctest test.
if step build bash -c "$(declare -f configure); ROOT=$ROOT; configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j $JOBS"; then
  # Each integration suite runs once (tests/integration/CMakeLists.txt): "sanitized" ones
  # under ASan below, unless that stage is skipped.
  if [[ ${VOXA_SKIP_ASAN:-0} == 1 ]]; then
    ctest_stage release build
  else
    ctest_stage release build -LE sanitized
  fi
fi

# 2. ASan + UBSan build of the same tree, same tests.
if [[ ${VOXA_SKIP_ASAN:-0} != 1 ]]; then
  if step build-asan bash -c "$(declare -f configure); ROOT=$ROOT; configure build-asan -DCMAKE_BUILD_TYPE=Debug -DVOXA_SANITIZE=ON -DVOXA_BENCH=OFF && cmake --build build-asan -j $JOBS"; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp   # third-party leaks, each explained there
    ctest_stage asan build-asan -LE plain
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
  fi
fi

# 3. Fuzz targets, bounded.
if ((FUZZ_SECONDS > 0)) && [[ -x scripts/fuzz.sh ]]; then
  step fuzz scripts/fuzz.sh "$FUZZ_SECONDS"
fi

echo
echo "=== test.sh finished in $(($(date +%s) - start)) s"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
((failed == 0))
