# The execution-role walkthrough of AWS's Lambda documentation, with IAM's
# errors, a restricted user, STS and the trail.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "create-role with the seed's inline trust policy"
out=$(aws iam create-role --role-name lambda-ex --assume-role-policy-document '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')
echo "$out"
expect_contains "$out" '"RoleName": "lambda-ex"'
expect_contains "$out" '"Arn": "arn:aws:iam::123456789012:role/lambda-ex"'
expect_contains "$out" '"Path": "/"'
expect_contains "$out" '"RoleId": "AROA'
expect_contains "$out" '"Service": "lambda.amazonaws.com"'
expect_not_contains "$out" 'MaxSessionDuration' "create-role output (the seed shows none)"

step "create-role again: EntityAlreadyExists"
expect_error EntityAlreadyExists aws iam create-role --role-name lambda-ex --assume-role-policy-document '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
expect_contains "$ERR" "Role with name lambda-ex already exists."

step "create-role from file://trust-policy.json"
cat > trust-policy.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "lambda.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
JSON
out=$(aws iam create-role --role-name lambda-ex-file --assume-role-policy-document file://trust-policy.json)
expect_contains "$out" '"Arn": "arn:aws:iam::123456789012:role/lambda-ex-file"'

step "malformed documents are refused and change nothing"
expect_error MalformedPolicyDocument aws iam create-role --role-name bad --assume-role-policy-document '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]}'
expect_contains "$ERR" "Has prohibited field Resource"
expect_error MalformedPolicyDocument aws iam create-role --role-name bad --assume-role-policy-document '{not json'
expect_error NoSuchEntity aws iam get-role --role-name bad
expect_contains "$ERR" "The role with name bad cannot be found."

step "attach AWSLambdaBasicExecutionRole"
aws iam attach-role-policy --role-name lambda-ex --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
out=$(aws iam list-attached-role-policies --role-name lambda-ex --query 'AttachedPolicies[].PolicyArn' --output text)
expect_eq "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" "$out" "attached policies"
out=$(aws iam get-policy-version --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole --version-id v1 --query 'PolicyVersion.Document.Statement[0].Action' --output text)
expect_eq $'logs:CreateLogGroup\tlogs:CreateLogStream\tlogs:PutLogEvents' "$out" "AWSLambdaBasicExecutionRole document"
expect_error NoSuchEntity aws iam attach-role-policy --role-name lambda-ex --policy-arn arn:aws:iam::aws:policy/NoSuchPolicy
expect_error DeleteConflict aws iam delete-role --role-name lambda-ex

step "a restricted user"
aws iam create-user --user-name dev > /dev/null
aws iam put-user-policy --user-name dev --policy-name read-roles --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles","sts:AssumeRole"],"Resource":"*"},{"Effect":"Deny","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/lambda-ex-file"}]}'
read -r KEY SECRET < <(aws iam create-access-key --user-name dev --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
out=$(as_creds "$KEY" "$SECRET" "" aws sts get-caller-identity --query Arn --output text)
expect_eq "arn:aws:iam::123456789012:user/dev" "$out" "caller"
out=$(as_creds "$KEY" "$SECRET" "" aws iam get-role --role-name lambda-ex --query Role.RoleName --output text)
expect_eq lambda-ex "$out" "allowed get-role"
expect_error AccessDenied as_creds "$KEY" "$SECRET" "" aws iam create-role --role-name sneaky --assume-role-policy-document file://trust-policy.json
expect_contains "$ERR" "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/sneaky because no identity-based policy allows the iam:CreateRole action"
expect_error AccessDenied as_creds "$KEY" "$SECRET" "" aws iam get-role --role-name lambda-ex-file
expect_contains "$ERR" "with an explicit deny in an identity-based policy"

step "a permissions boundary caps the user"
aws iam create-policy --policy-name boundary --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","sts:AssumeRole"],"Resource":"*"}]}' > /dev/null
aws iam put-user-permissions-boundary --user-name dev --permissions-boundary arn:aws:iam::123456789012:policy/boundary
expect_error AccessDenied as_creds "$KEY" "$SECRET" "" aws iam list-roles
expect_contains "$ERR" "because no permissions boundary allows the iam:ListRoles action"

step "sts assume-role is decided by the trust policy"
expect_error AccessDenied as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/lambda-ex --role-session-name s1
aws iam create-role --role-name dev-role --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole"}]}' > /dev/null
aws iam put-role-policy --role-name dev-role --policy-name all-iam-reads --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}'
read -r AKEY ASECRET ATOKEN < <(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/dev-role --role-session-name s1 --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
expect_contains "$AKEY" "ASIA" "session key id"
out=$(as_creds "$AKEY" "$ASECRET" "$ATOKEN" aws sts get-caller-identity --query Arn --output text)
expect_eq "arn:aws:sts::123456789012:assumed-role/dev-role/s1" "$out" "assumed-role caller"
as_creds "$AKEY" "$ASECRET" "$ATOKEN" aws iam list-roles --query 'Roles[].RoleName' --output text > /dev/null

step "a session policy limits the session"
read -r SKEY SSECRET STOKEN < <(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/dev-role --role-session-name s2 --policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}' --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
as_creds "$SKEY" "$SSECRET" "$STOKEN" aws iam get-role --role-name lambda-ex > /dev/null
expect_error AccessDenied as_creds "$SKEY" "$SSECRET" "$STOKEN" aws iam list-roles
expect_contains "$ERR" "User: arn:aws:sts::123456789012:assumed-role/dev-role/s2 is not authorized to perform: iam:ListRoles"
expect_contains "$ERR" "because no session policy allows the iam:ListRoles action"

step "a tampered session token is refused"
TAMPERED="${ATOKEN:0:20}$( [ "${ATOKEN:20:1}" = A ] && echo B || echo A )${ATOKEN:21}"
expect_error InvalidClientTokenId as_creds "$AKEY" "$ASECRET" "$TAMPERED" aws sts get-caller-identity
expect_error SignatureDoesNotMatch as_creds "$AKEY" "wrong$ASECRET" "$ATOKEN" aws sts get-caller-identity

step "the trail shows all of it, denials included"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=dev --query 'Events[].EventName' --output text)
expect_contains "$out" "CreateRole" "dev's events"
expect_contains "$out" "GetCallerIdentity" "dev's events"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateRole --max-results 50 --query 'Events[].CloudTrailEvent' --output text)
expect_contains "$out" '"errorCode":"AccessDenied"' "denied CreateRole in the trail"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=s2 --query 'Events[].CloudTrailEvent' --output text)
expect_contains "$out" '"type":"AssumedRole"' "session events"
expect_contains "$out" '"sessionIssuer"' "session events"

step "simulate-custom-policy and simulate-principal-policy"
cat > policy.json <<'JSON'
{"Version":"2012-10-17","Statement":[{"Sid":"ExampleSourceFunctionArn","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::lambda_bucket/*","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:source_lambda"}}}]}
JSON
out=$(aws iam simulate-custom-policy --policy-input-list "$(cat policy.json)" --action-names s3:PutObject --resource-arns arn:aws:s3:::lambda_bucket/key \
  --context-entries ContextKeyName=lambda:SourceFunctionArn,ContextKeyValues=arn:aws:lambda:us-east-1:123456789012:function:source_lambda,ContextKeyType=string \
  --query 'EvaluationResults[0].EvalDecision' --output text)
expect_eq allowed "$out" "simulate with the source function"
out=$(aws iam simulate-custom-policy --policy-input-list "$(cat policy.json)" --action-names s3:PutObject --resource-arns arn:aws:s3:::lambda_bucket/key \
  --query 'EvaluationResults[0].EvalDecision' --output text)
expect_eq implicitDeny "$out" "simulate without the key"
out=$(aws iam simulate-principal-policy --policy-source-arn arn:aws:iam::123456789012:user/dev --action-names iam:GetRole iam:CreateRole \
  --query 'EvaluationResults[].EvalDecision' --output text)
expect_eq $'allowed\timplicitDeny' "$out" "simulate-principal-policy"

echo "scenario passed"
