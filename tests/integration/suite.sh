# run_node_suite CMD...: runs a `node --test` suite and returns its status. Sourced by every
# integration runner (run-sdk.sh, run-voice.sh, web/, reliability/, security/).
#
#   run_node_suite node --test --test-reporter=spec tests/integration/voice/*.test.mjs
#   status=$?
#
# On a terminal the output streams as it comes. Under ctest (not a terminal) it is held until
# the suite ends and, when the suite failed, the failing tests and their errors come first:
# CI shows an excerpt of a long log (the head of a failed test's output), and a suite of a
# hundred tests otherwise buries the one that failed in the middle of it.
run_node_suite() {
  local out rc
  out="$(mktemp "${TMPDIR:-/tmp}/voxa-suite.XXXXXX")"
  if [[ -t 1 ]]; then
    "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
  else
    "$@" >"$out" 2>&1
    rc=$?
  fi
  if [[ $rc -ne 0 ]]; then
    echo "[suite] ==== failing tests (exit status $rc; the whole output follows) ===="
    if grep -q '^✖ failing tests:' "$out"; then
      sed -n '/^✖ failing tests:/,$p' "$out" | head -n 200
    else
      grep -n '✖' "$out" | head -n 50
    fi
    echo "[suite] ==== end of failing tests ===="
  fi
  [[ -t 1 ]] || cat "$out"
  rm -f "$out"
  return "$rc"
}
