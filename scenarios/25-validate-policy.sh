# Policy validation and the custom policy checks with the AWS CLI: an
# identity policy validated with its findings and their locations, a trust
# policy validated as the role's resource policy, a narrowed policy that
# grants no new access and a widened one that does, access not granted,
# and a bucket policy checked for public access; and a user without
# access-analyzer permissions refused.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

# check OPERATION ARGS_JSON: calls one of the custom policy checks with
# boto3 (AWS CLI 2.9 predates check-no-new-access, check-access-not-granted
# and check-no-public-access) and prints the response as JSON; an error
# prints its code and exits non-zero. File arguments are named file://...
check() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
import boto3, botocore.exceptions
op, args = sys.argv[1], json.loads(sys.argv[2])
for k, v in list(args.items()):
    if isinstance(v, str) and v.startswith("file://"):
        args[k] = open(v[len("file://"):]).read()
c = boto3.client("accessanalyzer", endpoint_url=os.environ["ROLECALL_ENDPOINT"], region_name="us-east-1")
try:
    out = getattr(c, op)(**args)
except botocore.exceptions.ClientError as e:
    print("(%s) %s" % (e.response["Error"]["Code"], e.response["Error"]["Message"]), file=sys.stderr)
    sys.exit(1)
out.pop("ResponseMetadata", None)
print(json.dumps(out, indent=1))
PY
}
# result: the result member of a check's JSON on stdin.
result() { python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'; }

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
expect_eq PASS "$(check check_no_new_access '{"existingPolicyDocument":"file://existing.json","newPolicyDocument":"file://narrower.json","policyType":"IDENTITY_POLICY"}' | result)"
out=$(check check_no_new_access '{"existingPolicyDocument":"file://existing.json","newPolicyDocument":"file://wider.json","policyType":"IDENTITY_POLICY"}')
expect_contains "$out" '"result": "FAIL"'
expect_contains "$out" '"statementIndex": 1'
expect_contains "$out" '"statementId": "Everything"'
expect_error InvalidParameterException check check_no_new_access '{"existingPolicyDocument":"file://existing.json","newPolicyDocument":"{\"Statement\":","policyType":"IDENTITY_POLICY"}'

step "check-access-not-granted"
expect_eq FAIL "$(check check_access_not_granted '{"policyDocument":"file://existing.json","access":[{"actions":["dynamodb:GetItem"]}],"policyType":"IDENTITY_POLICY"}' | result)"
expect_eq PASS "$(check check_access_not_granted '{"policyDocument":"file://existing.json","access":[{"actions":["dynamodb:DeleteTable","s3:DeleteObject"]}],"policyType":"IDENTITY_POLICY"}' | result)"
expect_eq PASS "$(check check_access_not_granted '{"policyDocument":"file://existing.json","access":[{"resources":["arn:aws:s3:::secrets/*"]}],"policyType":"IDENTITY_POLICY"}' | result)"

step "check-no-public-access"
cat > public.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
JSON
cat > org.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
JSON
expect_eq FAIL "$(check check_no_public_access '{"policyDocument":"file://public.json","resourceType":"AWS::S3::Bucket"}' | result)"
expect_eq PASS "$(check check_no_public_access '{"policyDocument":"file://org.json","resourceType":"AWS::S3::Bucket"}' | result)"

step "a user without access-analyzer permissions is refused"
aws iam create-user --user-name auditor > /dev/null
aws iam put-user-policy --user-name auditor --policy-name s3 --policy-document file://clean.json
read -r KEY SECRET < <(aws iam create-access-key --user-name auditor --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
expect_error AccessDeniedException as_creds "$KEY" "$SECRET" "" aws accessanalyzer validate-policy --policy-document file://p.json --policy-type IDENTITY_POLICY
expect_contains "$ERR" "access-analyzer:ValidatePolicy"
