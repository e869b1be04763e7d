# A throwaway Voxa server for a test suite; sourced by run-sdk.sh, run-voice.sh and
# web/run-web.sh. The caller defines log() and sets bin (the voxa binary), tmp (a temp dir
# this file may delete), server_log and status (the suite's exit status, 1 until it passes).
#
#   trap 'voxa_stop; voxa_report; exit "$status"' EXIT
#   voxa_start --data-dir "$data_dir" --web-dir web/out    # sets server_pid, port, base
#   org="$(voxa_create_org "$data_dir" my-org)"             # {"orgId","privateKey","publicKey"}
#   key="$(json_field "$org" privateKey)"
#
# A server that exits non-zero on SIGTERM fails the suite: a clean shutdown is part of the
# test (under ASan, that is where use-after-free and leaks at exit are reported).

server_pid=""
# Twilio's REST API is never the real one in a suite (see tests/integration/CMakeLists.txt).
export VOXA_TWILIO_API_URL="${VOXA_TWILIO_API_URL:-http://127.0.0.1:9}"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# voxa_start SERVE_ARGS...: starts `voxa serve` on a free loopback port, waits for /health.
# The suites' fakes (webhook receivers, tool and model servers) listen on loopback, which the
# egress policy refuses by default, so loopback is allowed here (the security suite checks
# the default).
voxa_start() {
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  log "starting $bin serve on $base ($*)"
  "$bin" serve --listen "127.0.0.1:$port" --egress-allow "127.0.0.0/8,::1/128" "$@" >"$server_log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do   # 200 x 0.1 s = 20 s
    if ! kill -0 "$server_pid" 2>/dev/null; then
      log "server exited during startup"
      exit 1
    fi
    if curl -fsS -o /dev/null --max-time 1 "$base/health" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "server did not become healthy within 20 s"
  exit 1
}

# voxa_stop: SIGTERM (SIGKILL after 5 s); a non-zero exit fails a passing suite.
voxa_stop() {
  [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null || return 0
  kill -TERM "$server_pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then
    log "server did not stop on SIGTERM; sending SIGKILL"
    kill -KILL "$server_pid" 2>/dev/null
  fi
  wait "$server_pid" 2>/dev/null
  local rc=$?
  if [[ "$rc" -ne 0 && "$status" -eq 0 ]]; then
    log "the server exited with status $rc on SIGTERM"
    status=1
  fi
}

# voxa_report: the server log's tail when the suite failed; removes $tmp (VOXA_KEEP_TMP=1 keeps it).
voxa_report() {
  if [[ "$status" -ne 0 && -s "$server_log" ]]; then
    log "---- voxa server log (last 200 lines) ----"
    tail -n 200 "$server_log" >&2
    log "---- end of server log ----"
  fi
  if [[ "${VOXA_KEEP_TMP:-0}" == "1" ]]; then
    log "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}

# voxa_check_alive: fails the suite if the server died while it ran.
voxa_check_alive() {
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server died during the tests"
    status=1
  fi
}

# voxa_create_org DATA_DIR NAME: prints the new org's JSON line (works while the server runs).
voxa_create_org() {
  local out
  out="$("$bin" admin create-org --data-dir "$1" --name "$2")" || { log "create-org $2 failed"; return 1; }
  out="$(printf '%s\n' "$out" | grep -m1 '^{')"
  [[ -n "$out" ]] || { log "create-org $2 printed no JSON"; return 1; }
  printf '%s' "$out"
}

# json_field JSON KEY: one non-empty field of a JSON object.
json_field() {
  node -e 'const o=JSON.parse(process.argv[1]);const v=o[process.argv[2]];if(!v){process.exit(1)}console.log(v)' "$1" "$2"
}

# voxa_org_limit ORG_JSON N: sets the org's concurrencyLimit (Vapi's default is 10 calls at
# once; the suites start more than that, in parallel files and calls left unjoined).
voxa_org_limit() {
  local key org
  key="$(json_field "$1" privateKey)" && org="$(json_field "$1" orgId)" || { log "voxa_org_limit: not an org"; return 1; }
  curl -fsS -o /dev/null -X PATCH "$base/org/$org" -H "Authorization: Bearer $key" \
    -H "Content-Type: application/json" --data "{\"concurrencyLimit\":$2}" ||
    { log "PATCH /org/$org {concurrencyLimit: $2} failed"; return 1; }
}
