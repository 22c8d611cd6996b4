#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb on a temporary directory, pg_ctl on
# a free loopback port, EARSHOT_TEST_DATABASE_URL pointing at it; the cluster is stopped and
# deleted when the command ends, whatever its outcome. initdb refuses to run as root, so as root
# the cluster belongs to the `postgres` user that Debian's package creates.
#
# --durable keeps fsync on (benchmarks compare it with SQLite's synchronous=FULL); tests turn it
# off, since the cluster is thrown away and they are about behaviour, not durability.
set -euo pipefail
fsync=off
if [ "${1:-}" = "--durable" ]; then fsync=on; shift; fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-test-postgres: PostgreSQL is not installed (make setup-tests installs it)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/earshot-pg.XXXXXX)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi }
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
# TLS on, with a self-signed certificate for 127.0.0.1, so the sslmode options are tested for real.
openssl req -new -x509 -days 2 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1
chmod 600 "$dir/server.key"
if [ "$(id -u)" = 0 ]; then chown postgres "$dir/server.key" "$dir/server.crt"; fi
as_owner "$bindir/initdb" -D "$dir/data" -U earshot --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=400 -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
export EARSHOT_TEST_DATABASE_URL="postgres://earshot@127.0.0.1:$port/postgres?sslmode=disable"
export EARSHOT_TEST_DATABASE_CA="$dir/server.crt"
echo "with-test-postgres: PostgreSQL on 127.0.0.1:$port" >&2
"$@"
