#!/usr/bin/env bash
# policy-oracle.sh runs the policy engine's oracle tests with the oracle
# required (install failures fail), and with "bench" also times the oracle on
# the benchmark cases next to the Go benchmarks.
#
# Usage: scripts/policy-oracle.sh [bench]
set -euo pipefail
cd "$(dirname "$0")/.."

export ROLECALL_ORACLE=required
version=$(node -p "require('./internal/policy/testdata/oracle/package.json').dependencies['@cloud-copilot/iam-simulate']")
export ROLECALL_ORACLE_DIR=${ROLECALL_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rolecall/iam-simulate-$version}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
go test ./internal/policy/ -run 'Reference|Differential|OracleHand|Fuzz' -count=1 -v >"$log" 2>&1 || status=$?
grep -Ev '^\s+--- PASS|^=== RUN' "$log" || true
if [[ $status -ne 0 ]]; then
	exit "$status"
fi

if [[ "${1:-}" == bench ]]; then
	go test ./internal/policy/ -run '^$' -bench 'TypicalLambdaRole|LargeRole|RoleWithSCPAndBoundary|WorstCaseAtLimits' -benchmem
	node internal/policy/testdata/oracle/bench.mjs "$ROLECALL_ORACLE_DIR/node_modules" 2
fi
