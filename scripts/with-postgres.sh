#!/usr/bin/env bash
# Runs CMD... with a private PostgreSQL 15 server of its own (docs/postgresql.md, "Running the
# tests"): initdb + pg_ctl in a temporary folder, listening on 127.0.0.1 at a free port, trust
# authentication for the user `glia`, an empty database `glia_test`. CMD sees
#   GLIA_TEST_PG_URL=postgresql://glia@127.0.0.1:PORT/glia_test
# and GLIA_TEST_PG_RESTART, GLIA_TEST_PG_STOP, GLIA_TEST_PG_START (commands for the server), and
# its exit status is the script's. The server is stopped and the folder removed when CMD ends,
# also when it fails or the script is interrupted. As root the server runs as the `postgres` user
# (PostgreSQL refuses to run as root); otherwise as the current user.
#   GLIA_PG_BIN  the server's programs (default /usr/lib/postgresql/15/bin)
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: with-postgres.sh CMD [ARG...]" >&2
  exit 2
fi
bin=${GLIA_PG_BIN:-/usr/lib/postgresql/15/bin}
for p in initdb pg_ctl; do
  if [[ ! -x $bin/$p ]]; then
    echo "with-postgres.sh: $bin/$p not found (install Debian's postgresql-15: scripts/install-deps.sh, or set GLIA_PG_BIN)" >&2
    exit 2
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/glia-pg.XXXXXX")
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id -u postgres >/dev/null 2>&1; then
    echo "with-postgres.sh: running as root needs the 'postgres' user (Debian's postgresql package makes it)" >&2
    rm -rf "$tmp"
    exit 2
  fi
  chown postgres: "$tmp"
  as_server=(runuser -u postgres --)
fi

started=0
cleanup() {
  local rc=$?
  if [[ $started -eq 1 ]]; then
    "${as_server[@]}" "$bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_server[@]}" "$bin/initdb" -D "$tmp/data" -A trust -U glia -E UTF8 --locale=C.UTF-8 -N \
  >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Another program may take the port between the check and the start: try a few.
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  if "${as_server[@]}" "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [[ $started -ne 1 ]]; then
  echo "with-postgres.sh: the server did not start; its log:" >&2
  cat "$tmp/server.log" >&2 || true
  exit 1
fi
"$bin/createdb" -h 127.0.0.1 -p "$port" -U glia glia_test

export GLIA_TEST_PG_URL="postgresql://glia@127.0.0.1:$port/glia_test"
# Commands that restart, stop and start the server (same port and data), for tests of
# reconnection.
ctl="${as_server[*]} $bin/pg_ctl -D $tmp/data -l $tmp/server.log -w"
export GLIA_TEST_PG_RESTART="$ctl -m fast restart"
export GLIA_TEST_PG_STOP="$ctl -m fast stop"
export GLIA_TEST_PG_START="$ctl -o '-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' start"
set +e
"$@"
rc=$?
set -e
exit "$rc"
