# Policy validation and the custom policy checks with the AWS CLI: an
# identity policy validated with its findings and their locations, a trust
# policy validated as the role's resource policy, a narrowed policy that
# grants no new access and a widened one that does, access not granted,
# and a bucket policy checked for public access; and a user without
# access-analyzer permissions refused.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

# The custom policy checks are newer than Debian's AWS CLI 2.9: it learns
# them from the model the repository keeps.
add_model accessanalyzer

# result: the result member of a check's JSON on stdin.
result() { python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'; }
# check COMMAND ARGS...: one of the custom policy checks, its answer as JSON.
check() { aws accessanalyzer "$@" --output json; }

step "validate-policy: an identity policy with an unknown action and iam:PassRole on every role"
cat > p.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["dynamodb:GetItem", "dynamodb:GetItems", "iam:PassRole"],
      "Resource": "*"
    }
  ]
}
JSON
out=$(aws accessanalyzer validate-policy --policy-document file://p.json --policy-type IDENTITY_POLICY --output json)
expect_eq 2 "$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')" "finding count"
expect_contains "$out" '"issueCode": "INVALID_ACTION"'
expect_contains "$out" '"findingDetails": "The action dynamodb:GetItems does not exist."'
expect_contains "$out" '"issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE"'
expect_contains "$out" '"findingType": "SECURITY_WARNING"'
loc=$(aws accessanalyzer validate-policy --policy-document file://p.json --policy-type IDENTITY_POLICY \
  --query 'findings[?issueCode==`INVALID_ACTION`].locations[0].[path[3].index, span.start.line, span.start.column, span.start.offset]' --output text)
expect_eq "$(printf '1\t6\t37\t114')" "$loc" "location of the unknown action"

step "validate-policy: a clean policy has no findings"
cat > clean.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}
JSON
expect_eq 0 "$(aws accessanalyzer validate-policy --policy-document file://clean.json --policy-type IDENTITY_POLICY --query 'length(findings)' --output text)" "clean findings"

step "validate-policy: a trust policy with a Resource element"
cat > trust.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]}
JSON
out=$(aws accessanalyzer validate-policy --policy-document file://trust.json --policy-type RESOURCE_POLICY \
  --validate-policy-resource-type AWS::IAM::AssumeRolePolicyDocument --query 'findings[].issueCode' --output text)
expect_eq ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE "$out" "trust findings"

step "validate-policy: refused input"
expect_error ValidationException aws accessanalyzer validate-policy --policy-document file://p.json --policy-type NOT_A_TYPE
expect_error ValidationException aws accessanalyzer validate-policy --policy-document file://p.json --policy-type IDENTITY_POLICY --locale JA

step "check-no-new-access: narrowing passes, widening fails with the statement"
cat > existing.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "s3:PutObject"], "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:s3:::reports/*"]}]}
JSON
cat > narrower.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::reports/daily/*"}]}
JSON
cat > wider.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}, {"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
JSON
expect_eq PASS "$(check check-no-new-access --existing-policy-document file://existing.json --new-policy-document file://narrower.json --policy-type IDENTITY_POLICY | result)"
out=$(check check-no-new-access --existing-policy-document file://existing.json --new-policy-document file://wider.json --policy-type IDENTITY_POLICY)
expect_contains "$out" '"result": "FAIL"'
expect_contains "$out" '"statementIndex": 1'
expect_contains "$out" '"statementId": "Everything"'
expect_error InvalidParameterException check check-no-new-access --existing-policy-document file://existing.json --new-policy-document '{"Statement":' --policy-type IDENTITY_POLICY

step "check-access-not-granted"
expect_eq FAIL "$(check check-access-not-granted --policy-document file://existing.json --access '[{"actions":["dynamodb:GetItem"]}]' --policy-type IDENTITY_POLICY | result)"
expect_eq PASS "$(check check-access-not-granted --policy-document file://existing.json --access '[{"actions":["dynamodb:DeleteTable","s3:DeleteObject"]}]' --policy-type IDENTITY_POLICY | result)"
expect_eq PASS "$(check check-access-not-granted --policy-document file://existing.json --access '[{"resources":["arn:aws:s3:::secrets/*"]}]' --policy-type IDENTITY_POLICY | result)"

step "check-no-public-access"
cat > public.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
JSON
cat > org.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
JSON
expect_eq FAIL "$(check check-no-public-access --policy-document file://public.json --resource-type AWS::S3::Bucket | result)"
expect_eq PASS "$(check check-no-public-access --policy-document file://org.json --resource-type AWS::S3::Bucket | result)"

step "a user without access-analyzer permissions is refused"
aws iam create-user --user-name auditor > /dev/null
aws iam put-user-policy --user-name auditor --policy-name s3 --policy-document file://clean.json
read -r KEY SECRET < <(aws iam create-access-key --user-name auditor --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
expect_error AccessDeniedException as_creds "$KEY" "$SECRET" "" aws accessanalyzer validate-policy --policy-document file://p.json --policy-type IDENTITY_POLICY
expect_contains "$ERR" "access-analyzer:ValidatePolicy"
