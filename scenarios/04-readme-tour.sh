# The README's tour, as a user copies it: its code blocks, from "## A short
# tour" to the next section, run line by line (a command with its
# continuation lines and heredoc is one step) in one shell, against a fresh
# server, with the AWS CLI the runner names. A comment line "# => TEXT"
# after a command states what it prints: the step's output must contain
# TEXT. A command must succeed unless what it states is an AWS CLI error
# ("An error occurred ..."). The tour's endpoint (http://127.0.0.1:4566)
# is this server's; it runs in a directory holding the repository's module
# (symbolic links), as the README's "from the repository's root".
source "$(dirname "$0")/lib.sh"
unset -f aws # the tour's own alias decides how aws is called
unset AWS_MAX_ATTEMPTS # as in a user's shell: the CLI's own retries
readme="$ROLECALL_REPO/README.md"
work=$(mktemp -d)
cd "$work"
for f in go.mod go.sum cmd internal examples; do ln -s "$ROLECALL_REPO/$f" "$f"; done
mkdir bin && ln -s "$AWS_CLI" bin/aws
export PATH="$work/bin:$PATH"
shopt -s expand_aliases

# The tour's lines: the sh blocks of its section.
tour=$(awk '
  /^## A short tour/ { on = 1; next }
  on && /^## / { exit }
  on && /^```sh$/ { code = 1; next }
  on && /^```$/ { code = 0; next }
  on && code { print }
' "$readme")
[ -n "$tour" ] || fail "no tour found in $readme"
tour=${tour//http:\/\/127.0.0.1:4566/$ROLECALL_ENDPOINT}

# Split it into steps, each with what it states.
steps=() expects=()
cur="" heredoc=""
while IFS= read -r line; do
  if [ -n "$heredoc" ]; then
    cur+=$'\n'"$line"
    [ "$line" = "$heredoc" ] && heredoc=""
    continue
  fi
  if [ -n "$cur" ] && [[ "${cur: -1}" == \\ ]]; then
    cur+=$'\n'"$line"
  else
    case "$line" in
      "# => "*)
        [ ${#steps[@]} -gt 0 ] || fail "a stated output before any command: $line"
        expects[${#steps[@]}-1]+="${line#"# => "}"$'\n'
        continue ;;
      "#"* | "") continue ;;
    esac
    [ -n "$cur" ] && { steps+=("$cur"); expects+=(""); }
    cur=$line
  fi
  if [[ "$line" =~ \<\<\'?([A-Za-z_]+)\'? ]]; then heredoc=${BASH_REMATCH[1]}; fi
  if [[ "$line" != *\\ ]] && [ -z "$heredoc" ]; then
    steps+=("$cur"); expects+=(""); cur=""
  fi
done <<<"$tour"
[ -z "$cur" ] || { steps+=("$cur"); expects+=(""); }
[ ${#steps[@]} -ge 20 ] || fail "only ${#steps[@]} steps found in the tour"

checked=0
for i in "${!steps[@]}"; do
  stmt=${steps[$i]}
  step "${stmt%%$'\n'*}"
  status=0
  eval "$stmt" >"$work/out" 2>&1 || status=$?
  out=$(cat "$work/out")
  printf '%s\n' "$out" | head -c 2000
  wants_error=0
  while IFS= read -r want; do
    [ -n "$want" ] || continue
    case "$want" in "An error occurred"*) wants_error=1 ;; esac
    expect_contains "$out" "$want" "output of: $stmt"
    checked=$((checked + 1))
  done <<<"${expects[$i]}"
  if [ "$wants_error" = 1 ]; then
    [ "$status" != 0 ] || fail "expected an error from: $stmt"
  else
    [ "$status" = 0 ] || fail "exit status $status from: $stmt"
  fi
done
[ "$checked" -ge 10 ] || fail "only $checked stated outputs checked"
step "the tour ran: ${#steps[@]} commands, $checked stated outputs"
