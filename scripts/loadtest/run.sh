#!/usr/bin/env bash
# Bounded load test of rolecall over loopback with wrk.
#
# Builds rolecall, starts it on 127.0.0.1 with a temporary data directory and
# fixed root credentials, creates an IAM role and a user allowed by an inline
# policy to read it, signs one request per case (scripts/loadtest/sign) and
# replays each with wrk for a fixed time. Prints requests per second, p50, p90,
# p99 and max latency, non-2xx responses, server CPU per request, and checks
# the server log and the trail (events stored vs requests answered). The server
# is always stopped on exit.
#
# Knobs (environment): LOADTEST_PORT (18566), LOADTEST_DURATION (10s),
# LOADTEST_THREADS (2), LOADTEST_CONNECTIONS (16), LOADTEST_KEEP=1 keeps the
# temporary directory. LOADTEST_BARE=1 also replays the GetCallerIdentity
# request, with the same wrk settings, against scripts/loadtest/bare (a plain
# net/http server answering the same bytes) and prints the gateway's ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."

port=${LOADTEST_PORT:-18566}
duration=${LOADTEST_DURATION:-10s}
threads=${LOADTEST_THREADS:-2}
conns=${LOADTEST_CONNECTIONS:-16}
addr=127.0.0.1:$port
endpoint=http://$addr

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || echo "note: sqlite3 not installed, the trail check is skipped" >&2

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ "${LOADTEST_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ROLECALL_ROOT_ACCESS_KEY_ID=AKIALOADTESTROOT0001
export ROLECALL_ROOT_SECRET_ACCESS_KEY=loadtestRootSecretKey0000000000000000000
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

echo "building..."
go build -o "$tmp/rolecall" ./cmd/rolecall
go build -o "$tmp/sign" ./scripts/loadtest/sign

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is already in use (set LOADTEST_PORT)" >&2; exit 1
fi
"$tmp/rolecall" --addr "$addr" --data-dir "$tmp/data" >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.1
done

echo "setting up IAM and signing..."
"$tmp/sign" -endpoint "$endpoint" -out "$tmp" >/dev/null

clk=$(getconf CLK_TCK)
# cpu_ticks prints the server's user+system CPU time in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$server_pid/stat"; }

cases=(sts-get-caller-identity-root iam-get-role-user)
declare -A result cpu_ms
declare -A trail_event=([sts-get-caller-identity-root]=GetCallerIdentity [iam-get-role-user]=GetRole)
# Calls of each operation made by sign outside wrk (setup and the check).
declare -A trail_extra=([sts-get-caller-identity-root]=2 [iam-get-role-user]=1)
for c in "${cases[@]}"; do
  echo "wrk $c: -t$threads -c$conns -d$duration"
  before=$(cpu_ticks)
  wrk -t"$threads" -c"$conns" -d"$duration" --timeout 5s --latency \
    -s "$tmp/$c.lua" "$endpoint/" >"$tmp/$c.wrk" 2>&1 || { cat "$tmp/$c.wrk" >&2; exit 1; }
  after=$(cpu_ticks)
  result[$c]=$(grep '^RESULT ' "$tmp/$c.wrk" | cut -d' ' -f2-)
  cpu_ms[$c]=$(( (after - before) * 1000 / clk ))
done

# Stop the server cleanly so that the trail is flushed, then read it.
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=

echo
fmt='%-30s %9s %7s %8s %8s %8s %8s %7s %7s %11s %8s %13s\n'
printf "$fmt" case requests req/s p50_ms p90_ms p99_ms max_ms non2xx sockerr cpu_us/req trail trail_missing
for c in "${cases[@]}"; do
  read -r _ n secs rps p50 p90 p99 max non2xx sockerr <<<"${result[$c]}"
  cpu_us=$(awk -v ms="${cpu_ms[$c]}" -v n="$n" 'BEGIN { printf "%.1f", n ? ms * 1000 / n : 0 }')
  trail=- missing=-
  if command -v sqlite3 >/dev/null; then
    trail=$(sqlite3 "$tmp/data/rolecall.db" "SELECT count(*) FROM events WHERE name = '${trail_event[$c]}'")
    missing=$(( n + ${trail_extra[$c]} - trail ))
    if [ "$missing" -lt 0 ]; then missing=0; fi
    missing=">=$missing"
  fi
  printf "$fmt" "$c" "$n" "$rps" "$p50" "$p90" "$p99" "$max" "$non2xx" "$sockerr" "$cpu_us" "$trail" "$missing"
done
echo "(trail: events stored for the operation. trail_missing is a lower bound on lost events:"
echo " requests still in flight when wrk stopped are answered and stored but not counted by wrk)"
echo
echo "server log: $(grep -c . "$tmp/server.log" || true) lines;" \
  "errors/warnings: $(grep -Ec 'level=(ERROR|WARN)' "$tmp/server.log" || true);" \
  "trail drops: $(grep -c 'DROPPED' "$tmp/server.log" || true)"
grep -E 'level=(ERROR|WARN)' "$tmp/server.log" | head -20 || true

if [ "${LOADTEST_BARE:-0}" = 1 ]; then
  bare_addr=127.0.0.1:$((port + 1))
  go build -o "$tmp/bare" ./scripts/loadtest/bare
  "$tmp/bare" -addr "$bare_addr" & bare_pid=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/${bare_addr%:*}/${bare_addr#*:}") 2>/dev/null && break; sleep 0.1; done
  wrk -t"$threads" -c"$conns" -d"$duration" --timeout 5s \
    -s "$tmp/sts-get-caller-identity-root.lua" "http://$bare_addr/" >"$tmp/bare.wrk" 2>&1 || true
  kill "$bare_pid" 2>/dev/null; wait "$bare_pid" 2>/dev/null || true
  bare_rps=$(grep '^RESULT ' "$tmp/bare.wrk" | cut -d' ' -f5)
  read -r _ _ _ gw_rps _ <<<"${result[sts-get-caller-identity-root]}"
  echo
  awk -v g="$gw_rps" -v b="$bare_rps" 'BEGIN { printf "bare net/http: %s req/s; the gateway answers GetCallerIdentity at %.2fx of it\n", b, b ? g / b : 0 }'
fi
