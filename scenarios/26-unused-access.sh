# Unused access, as Access Analyzer reports it and as rolecall answers it at
# once. A role granted all of DynamoDB and S3 reads one item; an unused
# access analyzer (aws accessanalyzer create-analyzer --type
# ACCOUNT_UNUSED_ACCESS) analyzes roles and users that existed for its whole
# tracking period, as AWS does, so entities made a minute ago have no
# findings yet; the external access types are refused. `rolecall policy
# unused` compares what the role is granted with what it used over any
# range, here the last hour: S3 is wholly unused, DynamoDB all but GetItem.
# GetAccessKeyLastUsed reports where the key that assumed the role was used.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"
ACCT=123456789012
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$ACCT':root"},"Action":"sts:AssumeRole"}]}'

step "the AWS CLI's Access Analyzer model, with unused access analyzers"
# Debian's AWS CLI v2 (2.9) predates unused access analyzers (ListFindingsV2,
# the analyzer configuration): it learns them from the model the repository
# keeps.
add_model accessanalyzer

step "build the rolecall binary"
(cd "$ROLECALL_REPO" && go build -o "$HOME/rolecall" ./cmd/rolecall)

step "a table, a role granted all of DynamoDB and S3, and a user who may assume it"
aws dynamodb create-table --table-name orders --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
aws iam create-role --role-name reader --assume-role-policy-document "$TRUST" > /dev/null
aws iam attach-role-policy --role-name reader --policy-arn arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess
aws iam attach-role-policy --role-name reader --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
aws iam create-user --user-name alice > /dev/null
aws iam put-user-policy --user-name alice --policy-name assume \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
read -r KEY SECRET < <(aws iam create-access-key --user-name alice --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)

step "a key never used: GetAccessKeyLastUsed says N/A"
expect_eq "N/A" "$(aws iam get-access-key-last-used --access-key-id "$KEY" --query AccessKeyLastUsed.ServiceName --output text)" "service of an unused key"

step "alice assumes the role and reads one item"
read -r RK RS RT < <(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn "arn:aws:iam::$ACCT:role/reader" \
  --role-session-name s1 --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
as_creds "$RK" "$RS" "$RT" aws dynamodb get-item --table-name orders --key '{"id":{"S":"1"}}' > /dev/null
expect_error AccessDenied as_creds "$RK" "$RS" "$RT" aws sqs list-queues
expect_eq "sts us-east-1" "$(aws iam get-access-key-last-used --access-key-id "$KEY" \
  --query 'AccessKeyLastUsed.[ServiceName,Region]' --output text | tr '\t' ' ')" "where alice's key was used"

step "an unused access analyzer; the external access types are refused"
ANALYZER=$(aws accessanalyzer create-analyzer --analyzer-name unused --type ACCOUNT_UNUSED_ACCESS \
  --configuration '{"unusedAccess":{"unusedAccessAge":1}}' --query arn --output text)
expect_eq "arn:aws:access-analyzer:us-east-1:$ACCT:analyzer/unused" "$ANALYZER" "analyzer ARN"
expect_eq "ACTIVE 1" "$(aws accessanalyzer get-analyzer --analyzer-name unused \
  --query '[analyzer.status,analyzer.configuration.unusedAccess.unusedAccessAge]' --output text | tr '\t' ' ')" "analyzer"
expect_error ValidationException aws accessanalyzer create-analyzer --analyzer-name external --type ACCOUNT
expect_contains "$ERR" "rolecall analyzes unused access only"
expect_error ServiceQuotaExceededException aws accessanalyzer create-analyzer --analyzer-name second --type ACCOUNT_UNUSED_ACCESS
expect_error ValidationException aws accessanalyzer update-analyzer --analyzer-name unused \
  --configuration '{"unusedAccess":{"unusedAccessAge":366}}'

step "entities younger than the tracking period have no findings yet"
expect_eq "0" "$(aws accessanalyzer list-findings-v2 --analyzer-arn "$ANALYZER" --query 'length(findings)' --output text)" "findings"
expect_error ResourceNotFoundException aws accessanalyzer get-finding-v2 --analyzer-arn "$ANALYZER" --id 00000000-0000-0000-0000-000000000000
expect_eq "0" "$(aws accessanalyzer get-findings-statistics --analyzer-arn "$ANALYZER" \
  --query 'findingsStatistics[0].unusedAccessFindingsStatistics.totalActiveFindings' --output text)" "active findings"

step "rolecall policy unused: what the role did not use in the last hour"
RC=("$HOME/rolecall" policy unused --endpoint-url "$ROLECALL_ENDPOINT" --role reader --since 1h)
OUT=$("${RC[@]}" --output json)
expect_eq "true" "$(jq -r .used <<<"$OUT")" "used"
expect_eq "dynamodb:GetItem arn:aws:dynamodb:us-east-1:$ACCT:table/orders" \
  "$(jq -r '.usedActions[] | select(.action | startswith("dynamodb:")) | .action + " " + (.resources | join(","))' <<<"$OUT")" "used DynamoDB actions"
expect_eq "true" "$(jq -r '.unused[] | select(.service == "s3") | .wholeService' <<<"$OUT")" "S3 wholly unused"
expect_eq "false" "$(jq -r '[.unused[] | select(.service == "dynamodb") | .actions[].action] | index("dynamodb:GetItem") != null' <<<"$OUT")" "GetItem used"
expect_eq "true" "$(jq -r '[.unused[] | select(.service == "dynamodb") | .actions[].action] | index("dynamodb:PutItem") != null' <<<"$OUT")" "PutItem unused"
expect_eq "sqs:ListQueues ImplicitDeny 1" "$(jq -r '.deniedActions[] | .action + " " + .decision + " " + (.count | tostring)' <<<"$OUT")" "refused actions"
TABLE=$("${RC[@]}")
expect_contains "$TABLE" "REFUSED ACTION"
expect_contains "$TABLE" "s3 (whole service)"
expect_contains "$TABLE" "dynamodb:GetItem"

step "a principal that does not exist, and a user without the permission"
if OUT=$("$HOME/rolecall" policy unused --endpoint-url "$ROLECALL_ENDPOINT" --principal "arn:aws:iam::$ACCT:role/gone" 2>&1); then
  fail "unused access of a missing role succeeded: $OUT"
fi
expect_contains "$OUT" "ResourceNotFoundException"
if OUT=$(as_creds "$KEY" "$SECRET" "" "$HOME/rolecall" policy unused --endpoint-url "$ROLECALL_ENDPOINT" \
  --principal "arn:aws:iam::$ACCT:role/reader" 2>&1); then
  fail "alice read unused access: $OUT"
fi
expect_contains "$OUT" "AccessDeniedException"

step "delete the analyzer"
aws accessanalyzer delete-analyzer --analyzer-name unused
expect_eq "0" "$(aws accessanalyzer list-analyzers --query 'length(analyzers)' --output text)" "analyzers"
