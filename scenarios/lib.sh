# Helpers shared by the AWS CLI scenarios. The runner (internal/server's
# TestScenarios) starts rolecall and exports ROLECALL_ENDPOINT, AWS_CLI and
# the root credentials before it sources a scenario.
set -euo pipefail

aws() { "$AWS_CLI" --endpoint-url "$ROLECALL_ENDPOINT" "$@"; }

step() { printf '\n== [%ss] %s\n' "$SECONDS" "$*"; }

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# expect_eq WANT GOT [WHAT]
expect_eq() {
  [ "$1" = "$2" ] || fail "${3:-value}: want [$1], got [$2]"
}

# expect_contains HAYSTACK NEEDLE [WHAT]
expect_contains() {
  case "$1" in *"$2"*) ;; *) fail "${3:-output}: [$1] does not contain [$2]" ;; esac
}

# expect_not_contains HAYSTACK NEEDLE [WHAT]
expect_not_contains() {
  case "$1" in *"$2"*) fail "${3:-output}: [$1] contains [$2]" ;; esac
}

# expect_error CODE COMMAND...: the command must fail with AWS error CODE; its
# stderr is left in $ERR.
expect_error() {
  local code=$1; shift
  local out
  if out=$("$@" 2>&1); then
    fail "expected $code from: $* (it succeeded: $out)"
  fi
  ERR=$out
  expect_contains "$out" "($code)" "error of: $*"
}

# as_user KEY SECRET [TOKEN] COMMAND...: run an aws command with other credentials.
as_creds() {
  local key=$1 secret=$2 token=$3; shift 3
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token "$@"
}

# add_model SERVICE: teaches the AWS CLI the service model the repository
# keeps in scenarios/models (the one rolecall is built from), the documented
# way (aws configure add-model), for operations newer than Debian's CLI 2.9
# (Access Analyzer's custom policy checks and unused access analyzers).
add_model() {
  "$AWS_CLI" configure add-model --service-name "$1" \
    --service-model "file://$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/models/$1.json"
}

