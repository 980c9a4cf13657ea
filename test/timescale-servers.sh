#!/usr/bin/env bash
# Runs a command (the test suite) with native TimescaleDB servers for it:
#   bash test/timescale-servers.sh mocha
# Without a command it only starts the servers (CI does so before `npm test`).
# With PRISM_TEST_TIMESCALE_URLS or PRISM_TEST_TIMESCALE_URL already set, those servers
# are used as they are. Otherwise, where ../shared/timescaledb/server.sh sits beside the
# checkout (or PRISM_TIMESCALE_SERVER_SH names it), it starts TimescaleDB 2.28.3 with the
# Timescale License, 2.28.3 Apache-only and 2.12.2 (the first start builds each from the
# release sources: 1-2 minutes apiece; later starts take a second), hands their URLs to
# the command and requires them: a native suite that cannot run then fails instead of
# skipping. A fourth 2.28.3 server on port 5438 runs without timescaledb in
# shared_preload_libraries (PRISM_TEST_TIMESCALE_NOPRELOAD_URL), as a server where the
# package is installed but not loaded. A streaming replica of the 2.28.3 Timescale License
# server runs on port 5534 (PRISM_TEST_TIMESCALE_REPLICA_URL), and the path of server.sh
# is exported (PRISM_TIMESCALE_SERVER_SH) for suites that stop and start a replica of their
# own. Without either, the native suites skip and say so.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER_SH=${PRISM_TIMESCALE_SERVER_SH:-$ROOT/../shared/timescaledb/server.sh}

if [ -z "${PRISM_TEST_TIMESCALE_URLS:-}${PRISM_TEST_TIMESCALE_URL:-}" ]; then
  if [ -f "$SERVER_SH" ]; then
    urls=()
    for server in "2.28.3 tsl" "2.28.3 apache" "2.12.2 tsl"; do
      echo "native TimescaleDB $server: starting (the first start builds it, 1-2 minutes)" >&2
      # shellcheck disable=SC2086 # version and flavour are two arguments
      url=$(bash "$SERVER_SH" start $server)
      # Every database with TimescaleDB runs a job scheduler in a background worker, and
      # the suites hold several databases at once: PostgreSQL's default of 8 worker
      # processes would leave policy jobs no worker to run in (as timescaledb-tune would,
      # raise it for TimescaleDB's 16 background workers).
      if [ "$(psql "$url" -XAtc 'SHOW max_worker_processes')" -lt 32 ]; then
        psql "$url" -XAtqc "ALTER SYSTEM SET max_worker_processes = 32"
        bash "$SERVER_SH" stop $server >/dev/null
        url=$(bash "$SERVER_SH" start $server)
      fi
      urls+=("$url")
    done
    export PRISM_TEST_TIMESCALE_URLS="${urls[*]}"
    # The same build, with the library taken out of shared_preload_libraries
    # (postgresql.auto.conf overrides postgresql.conf; plpgsql is in every
    # installation); a restart applies it.
    noload=$(bash "$SERVER_SH" start 2.28.3 tsl 5438)
    if [ "$(psql "$noload" -XAtc 'SHOW shared_preload_libraries')" != plpgsql ]; then
      psql "$noload" -XAtqc "ALTER SYSTEM SET shared_preload_libraries = 'plpgsql'"
      bash "$SERVER_SH" stop 2.28.3 tsl 5438 >/dev/null
      noload=$(bash "$SERVER_SH" start 2.28.3 tsl 5438)
    fi
    export PRISM_TEST_TIMESCALE_NOPRELOAD_URL=$noload
    # A replica stopped by a test must find the WAL it missed when it starts again, and a
    # base backup must not lose its WAL to the suites' checkpoints meanwhile (reloaded,
    # no restart).
    primary=${urls[0]}
    if [ "$(psql "$primary" -XAtc 'SHOW wal_keep_size')" = 0 ]; then
      psql "$primary" -XAtqc "ALTER SYSTEM SET wal_keep_size = '1GB'" -c 'SELECT pg_reload_conf()' >/dev/null
    fi
    # A replica that starts but never streams has a data directory older than the WAL
    # the primary keeps (the primary was rebuilt, or recycled that WAL): it is stopped,
    # its data directory removed, and a new base backup taken. A base backup also fails,
    # to be taken again, when a DROP DATABASE's checkpoint ends its temporary slot.
    replica_data=${PRISM_TSDB_CACHE:-/var/cache/prism-timescaledb}/2.28.3-tsl/data-5534
    streams() {
      for _ in $(seq 60); do
        [ "$(psql "$1" -XAtc "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'" 2>/dev/null)" = 1 ] && return 0
        sleep 1
      done
      return 1
    }
    # server.sh's base backup waits for a spread checkpoint, which paces its writes at
    # 100 ms a buffer; an immediate one first leaves it next to nothing to write.
    replica=
    for attempt in 1 2 3; do
      psql "$primary" -XAtqc CHECKPOINT
      if url=$(bash "$SERVER_SH" replica 2.28.3 tsl 5434 5534); then
        if streams "$url"; then replica=$url; break; fi
        echo "the replica on port 5534 does not stream: taking a new base backup" >&2
        bash "$SERVER_SH" stop 2.28.3 tsl 5534 >/dev/null
        rm -rf "$replica_data"
      fi
      sleep 2
    done
    [ -n "$replica" ] || { echo "the replica on port 5534 never streamed" >&2; exit 1; }
    export PRISM_TEST_TIMESCALE_REPLICA_URL=$replica
    export PRISM_TIMESCALE_SERVER_SH=$SERVER_SH
    export PRISM_TEST_REQUIRE_TIMESCALE=1
    echo "native TimescaleDB servers: ${urls[*]}" >&2
  else
    echo "" >&2
    echo "  WARNING: no native TimescaleDB servers: $SERVER_SH is not there and" >&2
    echo "  PRISM_TEST_TIMESCALE_URLS is not set. The suites that need a native server skip." >&2
    echo "" >&2
  fi
fi
[ $# -eq 0 ] || exec "$@"
