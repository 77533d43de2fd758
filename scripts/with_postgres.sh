#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster:
#   scripts/with_postgres.sh COMMAND [ARGS...]
# The cluster lives in a temp folder, listens on loopback only (a free port),
# and is stopped and removed when the command ends, however it ends (short of
# SIGKILL). The command gets PGHOST, PGPORT, PGUSER and PGDATABASE (user and
# database "sinkkit", trust authentication). PostgreSQL refuses to run as
# root: as root, the server runs as the "postgres" user (or "nobody").
# Exit: the command's status; 2 when the cluster cannot be started.
set -euo pipefail

(($# > 0)) || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
  echo "with_postgres: PostgreSQL is not installed (bash scripts/setup.sh --tests installs it)" >&2
  exit 2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/sinkkit-pg.XXXXXX")
as=()
if [[ $(id -u) -eq 0 ]]; then
  user=postgres
  id -u "$user" >/dev/null 2>&1 || user=nobody
  chown "$user" "$dir"
  as=(runuser -u "$user" --)
fi
cleanup() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# No fsync anywhere: the cluster is thrown away, and the sinks' durability
# is judged by what they commit, not by the server's disk.
if ! "${as[@]}" "$bindir/initdb" -D "$dir/data" -U sinkkit -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  echo "with_postgres: initdb failed" >&2
  exit 2
fi

# A free port: a random one, tried again when taken.
started=""
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 40000))
  if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
    started=$port
    break
  fi
done
if [[ -z $started ]]; then
  cat "$dir/server.log" >&2 2>/dev/null || true
  echo "with_postgres: the server did not start (log above)" >&2
  exit 2
fi

export PGHOST=127.0.0.1 PGPORT=$started PGUSER=sinkkit PGDATABASE=sinkkit
"$bindir/createdb" sinkkit
echo "with_postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT ($dir)"

set +e
"$@"
status=$?
set -e
exit "$status"
