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
# Cases: STS GetCallerIdentity as root, IAM GetRole as a user, S3 PutObject
# and GetObject of 1 KiB, KMS Encrypt and Decrypt of 1 KiB (LOADTEST_CASES
# names a subset).
#
# Knobs (environment): LOADTEST_PORT (18566), LOADTEST_DURATION (10s),
# LOADTEST_THREADS (2), LOADTEST_CONNECTIONS (16), LOADTEST_KEEP=1 keeps the
# temporary directory. LOADTEST_DATABASE_URL=postgres://… runs the servers on
# PostgreSQL, in a fresh schema dropped on exit (needs psql); LOADTEST_NODES=N
# (1) starts N servers on that database and replays each case against all of
# them at once, each with the wrk settings above, summing requests and CPU.
# LOADTEST_BARE=1 also replays the GetCallerIdentity
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

nodes=${LOADTEST_NODES:-1}
database=${LOADTEST_DATABASE_URL:-}
if [ "$nodes" -gt 1 ] && [ -z "$database" ]; then
  echo "LOADTEST_NODES=$nodes needs LOADTEST_DATABASE_URL (nodes share a PostgreSQL database)" >&2; exit 1
fi

tmp=$(mktemp -d)
server_pids=()
schema=
# stop_servers stops every server: SIGTERM, then SIGKILL after 5s.
stop_servers() {
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}
cleanup() {
  stop_servers
  if [ -n "$schema" ]; then psql -q "$database" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true; fi
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

db_flags=()
if [ -n "$database" ]; then
  command -v psql >/dev/null || { echo "LOADTEST_DATABASE_URL needs psql" >&2; exit 1; }
  schema=loadtest_$$_$RANDOM
  psql -q "$database" -c "CREATE SCHEMA $schema" >/dev/null
  sep='?'; case $database in *\?*) sep='&';; esac
  db_flags=(--database-url "${database}${sep}search_path=$schema" --key-file "$tmp/server.key")
fi
# Node i listens on port + 2i (port + 1 is the bare server's).
endpoints=()
for i in $(seq 0 $((nodes - 1))); do
  node_addr=127.0.0.1:$((port + 2 * i))
  if (exec 3<>"/dev/tcp/127.0.0.1/${node_addr#*:}") 2>/dev/null; then
    echo "port ${node_addr#*:} is already in use (set LOADTEST_PORT)" >&2; exit 1
  fi
  "$tmp/rolecall" --addr "$node_addr" --data-dir "$tmp/data$i" --log-requests off "${db_flags[@]}" >"$tmp/server$i.out" 2>"$tmp/server$i.log" &
  server_pids+=($!)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/${node_addr#*:}") 2>/dev/null && break
    kill -0 "${server_pids[$i]}" 2>/dev/null || { cat "$tmp/server$i.log" >&2; exit 1; }
    sleep 0.1
  done
  endpoints+=("http://$node_addr")
done

echo "setting up IAM and signing..."
"$tmp/sign" -endpoint "$endpoint" -out "$tmp" >/dev/null

clk=$(getconf CLK_TCK)
# cpu_ticks prints the servers' user+system CPU time in clock ticks.
cpu_ticks() {
  for pid in "${server_pids[@]}"; do cat "/proc/$pid/stat"; done |
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t }'
}

cases=(${LOADTEST_CASES:-sts-get-caller-identity-root iam-get-role-user s3-put-object-1k s3-get-object-1k kms-encrypt-1k kms-decrypt-1k})
declare -A result cpu_ms
declare -A trail_event=([sts-get-caller-identity-root]=GetCallerIdentity [iam-get-role-user]=GetRole
  [s3-put-object-1k]=PutObject [s3-get-object-1k]=GetObject [kms-encrypt-1k]=Encrypt [kms-decrypt-1k]=Decrypt)
# Calls of each operation made by sign outside wrk (setup and the check).
declare -A trail_extra=([sts-get-caller-identity-root]=2 [iam-get-role-user]=1
  [s3-put-object-1k]=2 [s3-get-object-1k]=1 [kms-encrypt-1k]=2 [kms-decrypt-1k]=1)

# ---- DynamoDB items: ddb-put-item, ddb-get-item, ddb-query-100 ----
# As root, with the AWS CLI: a table loadtest-items (pk S, sk N) holding
# 100 items of ~100 bytes under pk "p"; then one request per case, signed
# here with SigV4 (openssl) and sent once with curl (a refusal stops the
# run): PutItem overwriting one item, GetItem of one item, Query of the
# 100 items. The trail holds the cases' events (PutItem, GetItem, Query)
# plus the one check each. LOADTEST_DYNALITE=1 also runs the same three
# cases, with the same wrk settings, against dynalite (the npm package the
# DynamoDB oracle test installs: ROLECALL_DYNALITE_DIR, or
# ~/.cache/rolecall-test/dynalite-*), and prints rolecall's ratio to it.
if [ -z "${LOADTEST_CASES:-}" ]; then cases+=(ddb-put-item ddb-get-item ddb-query-100); fi
trail_event+=([ddb-put-item]=PutItem [ddb-get-item]=GetItem [ddb-query-100]=Query)
trail_extra+=([ddb-put-item]=1 [ddb-get-item]=1 [ddb-query-100]=1)
declare -A ddb_dynalite_rps
ddb_hex_sha256() { openssl dgst -sha256 -hex | sed 's/^.* //'; }
# ddb_hmac KEYOPT DATA: HMAC-SHA256 of DATA, hex; KEYOPT is key:… or hexkey:….
ddb_hmac() { printf '%s' "$2" | openssl dgst -sha256 -mac HMAC -macopt "$1" | sed 's/^.* //'; }
ddb_lua_quote() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
# ddb_aws ADDR ARGS...: the AWS CLI as root against ADDR.
ddb_aws() {
  local at=$1; shift
  AWS_ACCESS_KEY_ID=$ROLECALL_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ROLECALL_ROOT_SECRET_ACCESS_KEY \
    "${AWS_CLI:-/usr/bin/aws}" --endpoint-url "http://$at" --region us-east-1 "$@"
}
# ddb_case ADDR NAME TARGET BODY: signs POST / for DynamoDB_20120810.TARGET
# to ADDR, checks it once and writes $tmp/NAME.lua in sign's format (with
# its RESULT line).
ddb_case() {
  local at=$1 name=$2 target=DynamoDB_20120810.$3 body=$4 region=us-east-1
  local amzdate day hash creq scope sts key sig auth code
  amzdate=$(date -u +%Y%m%dT%H%M%SZ); day=${amzdate:0:8}
  hash=$(printf '%s' "$body" | ddb_hex_sha256)
  creq=$(printf 'POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:%s\nx-amz-date:%s\nx-amz-target:%s\n\ncontent-type;host;x-amz-date;x-amz-target\n%s' \
    "$at" "$amzdate" "$target" "$hash")
  scope=$day/$region/dynamodb/aws4_request
  sts=$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "$amzdate" "$scope" "$(printf '%s' "$creq" | ddb_hex_sha256)")
  key=$(ddb_hmac "key:AWS4$ROLECALL_ROOT_SECRET_ACCESS_KEY" "$day")
  key=$(ddb_hmac "hexkey:$key" "$region"); key=$(ddb_hmac "hexkey:$key" dynamodb); key=$(ddb_hmac "hexkey:$key" aws4_request)
  sig=$(ddb_hmac "hexkey:$key" "$sts")
  auth="AWS4-HMAC-SHA256 Credential=$ROLECALL_ROOT_ACCESS_KEY_ID/$scope, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=$sig"
  code=$(curl -s -o "$tmp/$name.check" -w '%{http_code}' -X POST "http://$at/" -H "Content-Type: application/x-amz-json-1.0" \
    -H "X-Amz-Date: $amzdate" -H "X-Amz-Target: $target" -H "Authorization: $auth" --data-binary "$body")
  [ "$code" = 200 ] || { echo "$name: HTTP $code: $(cat "$tmp/$name.check")" >&2; exit 1; }
  {
    echo "-- $name: one SigV4-signed request, replayed."
    echo "wrk.method = \"POST\""; echo "wrk.path = \"/\""; echo "wrk.body = $(ddb_lua_quote "$body")"
    echo "wrk.headers[\"Host\"] = \"$at\""
    echo "wrk.headers[\"Authorization\"] = $(ddb_lua_quote "$auth")"
    echo "wrk.headers[\"Content-Type\"] = \"application/x-amz-json-1.0\""
    echo "wrk.headers[\"X-Amz-Date\"] = \"$amzdate\""
    echo "wrk.headers[\"X-Amz-Target\"] = \"$target\""
    sed -n '/^function done/,$p' "$tmp/sts-get-caller-identity-root.lua" | sed "s/\"sts-get-caller-identity-root\"/\"$name\"/"
  } >"$tmp/$name.lua"
}
# ddb_setup ADDR PREFIX: the table, its 100 items, and PREFIXddb-*.lua.
ddb_setup() {
  local at=$1 prefix=$2 value reqs b i
  ddb_aws "$at" dynamodb create-table --table-name loadtest-items --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE >/dev/null
  ddb_aws "$at" dynamodb wait table-exists --table-name loadtest-items
  value=$(printf 'v%.0s' $(seq 80))
  for b in 0 1 2 3; do
    reqs=$(for i in $(seq $((b * 25)) $((b * 25 + 24))); do
      printf '{"PutRequest":{"Item":{"pk":{"S":"p"},"sk":{"N":"%d"},"v":{"S":"%s"}}}}\n' "$i" "$value"; done | paste -sd,)
    ddb_aws "$at" dynamodb batch-write-item --request-items "{\"loadtest-items\":[$reqs]}" >/dev/null
  done
  ddb_case "$at" "${prefix}ddb-put-item" PutItem "{\"TableName\":\"loadtest-items\",\"Item\":{\"pk\":{\"S\":\"w\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"$value\"}}}"
  ddb_case "$at" "${prefix}ddb-get-item" GetItem '{"TableName":"loadtest-items","Key":{"pk":{"S":"p"},"sk":{"N":"7"}}}'
  ddb_case "$at" "${prefix}ddb-query-100" Query '{"TableName":"loadtest-items","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}}}'
  grep -q '"Count":100' "$tmp/${prefix}ddb-query-100.check" || { echo "query answered: $(head -c 200 "$tmp/${prefix}ddb-query-100.check")" >&2; exit 1; }
}
if [[ " ${cases[*]} " == *" ddb-"* ]]; then
  echo "setting up DynamoDB..."
  command -v openssl >/dev/null && command -v curl >/dev/null || { echo "the DynamoDB cases need openssl and curl" >&2; exit 1; }
  ddb_setup "$addr" ""
  if [ "${LOADTEST_DYNALITE:-0}" = 1 ]; then
    dyn_dir=${ROLECALL_DYNALITE_DIR:-$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/rolecall-test/dynalite-* 2>/dev/null | tail -n 1)}
    [ -n "$dyn_dir" ] && [ -d "$dyn_dir/node_modules/dynalite" ] ||
      { echo "LOADTEST_DYNALITE=1: dynalite is not installed (run the oracle test: go test -run TestDynaliteOracle ./internal/service/dynamodb)" >&2; exit 1; }
    # start.js prints its port and exits when its stdin closes.
    exec {dyn_in}> >(node internal/service/dynamodb/testdata/dynalite/start.js "$dyn_dir/node_modules" >"$tmp/dynalite.port")
    for _ in $(seq 100); do [ -s "$tmp/dynalite.port" ] && break; sleep 0.1; done
    dyn_addr=127.0.0.1:$(head -n 1 "$tmp/dynalite.port")
    ddb_setup "$dyn_addr" dynalite-
    for c in ddb-put-item ddb-get-item ddb-query-100; do
      echo "wrk dynalite-$c: -t$threads -c$conns -d$duration"
      wrk -t"$threads" -c"$conns" -d"$duration" --timeout 5s --latency -s "$tmp/dynalite-$c.lua" "http://$dyn_addr/" >"$tmp/dynalite-$c.wrk" 2>&1
      ddb_dynalite_rps[$c]=$(grep '^RESULT ' "$tmp/dynalite-$c.wrk" | cut -d' ' -f5)
    done
    exec {dyn_in}>&-
  fi
fi
# ---- end of the DynamoDB block ----
for c in "${cases[@]}"; do
  echo "wrk $c: -t$threads -c$conns -d$duration"
  before=$(cpu_ticks)
  wrk_pids=()
  for i in "${!endpoints[@]}"; do
    wrk -t"$threads" -c"$conns" -d"$duration" --timeout 5s --latency \
      -s "$tmp/$c.lua" "${endpoints[$i]}/" >"$tmp/$c.$i.wrk" 2>&1 &
    wrk_pids+=($!)
  done
  for i in "${!wrk_pids[@]}"; do
    wait "${wrk_pids[$i]}" || { cat "$tmp/$c.$i.wrk" >&2; exit 1; }
  done
  after=$(cpu_ticks)
  # One line per node: requests and req/s are summed, latencies are node 0's.
  result[$c]=$(cat "$tmp/$c".*.wrk | grep '^RESULT ' | awk '
    NR == 1 { for (i = 2; i <= NF; i++) f[i] = $i; next }
    { f[3] += $3; f[5] += $5; f[10] += $10; f[11] += $11 }
    END { printf "%s", f[2]; for (i = 3; i <= 11; i++) printf " %s", f[i]; print "" }')
  cpu_ms[$c]=$(( (after - before) * 1000 / clk ))
done

# Stop the servers cleanly so that the trail is flushed, then read it.
stop_servers

echo
fmt='%-30s %9s %7s %8s %8s %8s %8s %7s %7s %11s %8s %13s\n'
printf "$fmt" case requests req/s p50_ms p90_ms p99_ms max_ms non2xx sockerr cpu_us/req trail trail_missing
for c in "${cases[@]}"; do
  read -r _ n secs rps p50 p90 p99 max non2xx sockerr <<<"${result[$c]}"
  cpu_us=$(awk -v ms="${cpu_ms[$c]}" -v n="$n" 'BEGIN { printf "%.1f", n ? ms * 1000 / n : 0 }')
  trail=- missing=-
  count="SELECT count(*) FROM events WHERE name = '${trail_event[$c]}'"
  if [ -n "$schema" ]; then
    trail=$(psql -tA "$database" -c "SET search_path = $schema; $count" | tail -n 1)
  elif command -v sqlite3 >/dev/null; then
    trail=$(sqlite3 "$tmp/data0/rolecall.db" "$count")
  fi
  if [ "$trail" != - ]; then
    missing=$(( n + ${trail_extra[$c]} - trail ))
    if [ "$missing" -lt 0 ]; then missing=0; fi
    missing=">=$missing"
  fi
  printf "$fmt" "$c" "$n" "$rps" "$p50" "$p90" "$p99" "$max" "$non2xx" "$sockerr" "$cpu_us" "$trail" "$missing"
done
echo "(trail: events stored for the operation. trail_missing is a lower bound on lost events:"
echo " requests still in flight when wrk stopped are answered and stored but not counted by wrk)"
echo
if [ -n "$schema" ]; then echo "nodes: $nodes; database: PostgreSQL, schema $schema"; else echo "nodes: 1; database: SQLite"; fi
echo "server logs: $(cat "$tmp"/server*.log | grep -c . || true) lines;" \
  "errors/warnings: $(cat "$tmp"/server*.log | grep -Ec 'level=(ERROR|WARN)' || true);" \
  "trail drops: $(cat "$tmp"/server*.log | grep -c 'DROPPED' || true)"
cat "$tmp"/server*.log | grep -E 'level=(ERROR|WARN)' | head -20 || true

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

# ---- DynamoDB against dynalite (LOADTEST_DYNALITE=1) ----
if [ "${#ddb_dynalite_rps[@]}" -gt 0 ]; then
  echo
  for c in ddb-put-item ddb-get-item ddb-query-100; do
    [ -n "${result[$c]:-}" ] || continue
    read -r _ _ _ rps _ <<<"${result[$c]}"
    awk -v c="$c" -v r="$rps" -v d="${ddb_dynalite_rps[$c]}" \
      'BEGIN { printf "%-16s rolecall %s req/s, dynalite %s req/s: %.2fx\n", c, r, d, d ? r / d : 0 }'
  done
fi
