#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for okr's tests and benchmarks.
#
#   eval "$(bash .ci/postgres.sh start)"   # new cluster; prints the exports below
#   bash .ci/postgres.sh halt  [DIR]        # stop the server, keep its data
#   bash .ci/postgres.sh resume [DIR]       # start it again on the same port
#   bash .ci/postgres.sh stop  [DIR]        # stop the server and delete the cluster
#
# `start` installs Debian's `postgresql` package when no server binaries are found (as root),
# runs initdb in a fresh temporary directory as a non-root user (the existing `postgres` user,
# or `okrpg`, created when needed), starts the server on a free port on 127.0.0.1 with
# password-less (trust) login for local connections only, creates the database `okr` owned
# by the role `okr`, and prints
#
#   export OKR_PG_DIR=<the cluster's directory>
#   export OKR_TEST_POSTGRES_URL=postgres://okr@127.0.0.1:<port>/okr
#
# Without DIR the other commands use $OKR_PG_DIR. Messages go to stderr, so that `eval`
# reads only the exports.
set -euo pipefail

say() { printf 'postgres.sh: %s\n' "$*" >&2; }

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

ensure_server() {
  if bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    say "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin; install Debian's postgresql package (apt-get install postgresql)"
    exit 1
  fi
  say "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # The package's own cluster is not needed; policy-rc.d keeps it from being started.
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bindir >/dev/null || { say "postgresql installed, but no server binaries found"; exit 1; }
}

# The user the server runs as: PostgreSQL refuses to run as root.
run_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  if ! id okrpg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin okrpg
  fi
  echo okrpg
}

as_user() {
  local user=$1; shift
  if [ "$(id -u)" -eq 0 ]; then
    # runuser needs no password and no tty; the cluster directory is the user's.
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

dir_arg() {
  local d=${1:-${OKR_PG_DIR:-}}
  if [ -z "$d" ] || [ ! -f "$d/port" ]; then
    say "no cluster directory: give it as an argument or set OKR_PG_DIR"
    exit 1
  fi
  echo "$d"
}

server_start() {
  local dir=$1 bin user port
  bin=$(bindir); user=$(cat "$dir/user"); port=$(cat "$dir/port")
  as_user "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1" start >&2 || {
    say "the server did not start; its log:"; cat "$dir/server.log" >&2 || true; exit 1; }
}

server_stop() {
  local dir=$1 bin user
  bin=$(bindir); user=$(cat "$dir/user")
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_user "$user" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || true
  fi
}

case "${1:-}" in
  start)
    ensure_server
    bin=$(bindir); user=$(run_user); port=$(free_port)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/okr-pg.XXXXXX")
    mkdir -p "$dir/socket"
    echo "$port" >"$dir/port"; echo "$user" >"$dir/user"
    chown -R "$user" "$dir"; chmod 700 "$dir"
    as_user "$user" "$bin/initdb" -D "$dir/data" -U okr --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || as_user "$user" "$bin/initdb" -D "$dir/data" -U okr --auth=trust -E UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1 || { say "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }
    server_start "$dir"
    as_user "$user" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U okr -d postgres \
      -c "CREATE DATABASE okr OWNER okr" >&2
    say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, cluster in $dir"
    echo "export OKR_PG_DIR=$dir"
    echo "export OKR_TEST_POSTGRES_URL=postgres://okr@127.0.0.1:$port/okr"
    ;;
  halt)
    server_stop "$(dir_arg "${2:-}")"
    ;;
  resume)
    server_start "$(dir_arg "${2:-}")"
    ;;
  stop)
    dir=$(dir_arg "${2:-}")
    server_stop "$dir"
    rm -rf "$dir"
    ;;
  *)
    say "usage: postgres.sh start | halt [DIR] | resume [DIR] | stop [DIR]"
    exit 1
    ;;
esac
