#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: `start DIR` prints its DATABASE_URL, `stop DIR` ends it.
#
# The cluster lives in DIR, listens only on a Unix socket in DIR (no TCP port to collide with another
# run) and trusts local connections. initdb refuses to run as root, so as root the cluster runs as the
# `postgres` user the OS package creates. fsync is off: a test cluster never outlives a power cut, and
# the tests assert behaviour, not durability (bench/ measures with fsync on: PG_FSYNC=on).
# With CI=true a missing server is installed from the OS packages; elsewhere `start` fails with a
# message and the tests that need PostgreSQL skip.
set -euo pipefail

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
    [[ -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 bin
  if ! bin=$(pg_bin); then
    if [[ "${CI:-}" == true && $(id -u) -eq 0 ]]; then
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      bin=$(pg_bin)
    else
      echo "postgres.sh: no PostgreSQL server here (apt-get install postgresql)" >&2
      return 1
    fi
  fi
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=${PG_FSYNC:-off} \
     -c full_page_writes=${PG_FSYNC:-off} -c max_connections=200 -c shared_buffers=64MB" start >/dev/null
  echo "postgresql://postgres@/postgres?host=$dir"
}

stop() {
  local dir=$1 bin
  bin=$(pg_bin) || return 0
  [[ -d "$dir/data" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?usage: postgres.sh start DIR}" ;;
  stop) stop "${2:?usage: postgres.sh stop DIR}" ;;
  *) echo "usage: postgres.sh start|stop DIR" >&2; exit 2 ;;
esac
