#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests, on 127.0.0.1 only.
#
#   url=$(scripts/pg-test-server.sh start /tmp/voxa-pg 55432)   # prints the URL
#   VOXA_TEST_DATABASE_URL=$url ./build/tests/store_tests
#   scripts/pg-test-server.sh stop /tmp/voxa-pg
#
# initdb refuses to run as root, so as root the cluster belongs to the "postgres" user.
# Only the URL goes to stdout; progress and errors go to stderr and DIR/log.
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }

find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
        echo "pg-test-server: no PostgreSQL binaries under /usr/lib/postgresql/*/bin" \
             "(install postgresql-15, e.g. via scripts/deps.sh)" >&2
        exit 1
    fi
    echo "$dir"
}

# Runs a command as the cluster owner: "postgres" when we are root, ourselves otherwise.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local dir=$1 port=$2 bin
    bin=$(find_bin)
    [[ "$port" =~ ^[0-9]+$ ]] || usage
    if [[ -e "$dir/data/PG_VERSION" ]]; then
        echo "pg-test-server: $dir already holds a cluster; stop it first" >&2
        exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || { echo "pg-test-server: no 'postgres' user" >&2; exit 1; }
        chown postgres: "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >&2 \
        || { cat "$dir/log" >&2 || true; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres voxa_test >&2
    echo "postgresql://postgres@127.0.0.1:$port/voxa_test"
}

stop() {
    local dir=$1 bin
    bin=$(find_bin)
    [[ -n "$dir" && "$dir" != "/" ]] || usage
    if [[ -e "$dir/data/PG_VERSION" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
        rm -rf "$dir"
    elif [[ -d "$dir" ]]; then
        echo "pg-test-server: $dir holds no cluster; leaving it alone" >&2
    fi
}

case "${1:-}" in
    start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
    stop) [[ $# -eq 2 || $# -eq 3 ]] || usage; stop "$2" ;;
    *) usage ;;
esac
