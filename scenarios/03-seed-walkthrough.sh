# The rest of AWS's execution-role page: every managed policy it lists,
# viewing a role's permissions, giving a function another role, fresh
# credentials after an update, lambda:SourceFunctionArn, a role that assumes
# itself, and session duration under sts:AssumeRole.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
cd "$work"
ACCT=123456789012

step "the example Go function's deployment package"
if [ -n "${EXAMPLE_GO_ZIP:-}" ]; then
  cp "$EXAMPLE_GO_ZIP" function.zip
else
  (cd "$ROLECALL_REPO" && CGO_ENABLED=0 GOOS=linux go build -o "$work/bootstrap" ./examples/functions/go)
  python3 -m zipfile -c function.zip bootstrap
fi

TRUST='{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'

step "every managed policy the page lists exists, with its document"
# name, path, an action its default version grants
while read -r name path action; do
  arn="arn:aws:iam::aws:policy${path}${name}"
  version=$(aws iam get-policy --policy-arn "$arn" --query Policy.DefaultVersionId --output text)
  out=$(aws iam get-policy-version --policy-arn "$arn" --version-id "$version" --query 'PolicyVersion.[IsDefaultVersion,Document.Statement[].Action]' --output json)
  expect_contains "$out" "true" "$name is its default version"
  expect_contains "$out" "\"$action\"" "$name document"
done <<'LIST'
AWSLambdaBasicExecutionRole /service-role/ logs:PutLogEvents
AWSLambdaKinesisExecutionRole /service-role/ kinesis:GetRecords
AWSLambdaDynamoDBExecutionRole /service-role/ dynamodb:GetRecords
AWSLambdaSQSQueueExecutionRole /service-role/ sqs:ReceiveMessage
AWSLambdaVPCAccessExecutionRole /service-role/ ec2:CreateNetworkInterface
AWSLambdaMSKExecutionRole /service-role/ kafka:DescribeClusterV2
AWSXrayWriteOnlyAccess / xray:PutTraceSegments
AWSXRayDaemonWriteAccess / xray:PutTelemetryRecords
CloudWatchLambdaInsightsExecutionRolePolicy / logs:PutLogEvents
AmazonS3ObjectLambdaExecutionRolePolicy /service-role/ s3-object-lambda:WriteGetObjectResponse
LIST
expect_error NoSuchEntity aws iam get-policy-version --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole --version-id v9
expect_contains "$ERR" "Policy arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole version v9 does not exist or is not attachable."

step "lambda-role: AWS Lambda trusted, AWSLambdaBasicExecutionRole and AWSXrayWriteOnlyAccess"
aws iam create-role --role-name lambda-role --assume-role-policy-document "$TRUST" > /dev/null
aws iam attach-role-policy --role-name lambda-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam attach-role-policy --role-name lambda-role --policy-arn arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess
aws iam attach-role-policy --role-name lambda-role --policy-arn arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess
for p in service-role/AWSLambdaKinesisExecutionRole service-role/AWSLambdaDynamoDBExecutionRole \
  service-role/AWSLambdaSQSQueueExecutionRole service-role/AWSLambdaVPCAccessExecutionRole; do
  aws iam attach-role-policy --role-name lambda-role --policy-arn "arn:aws:iam::aws:policy/$p"
done
out=$(aws iam list-attached-role-policies --role-name lambda-role --query 'AttachedPolicies[].PolicyName' --output text)
expect_eq $'AWSLambdaBasicExecutionRole\tAWSXrayWriteOnlyAccess\tAWSXRayDaemonWriteAccess\tAWSLambdaKinesisExecutionRole\tAWSLambdaDynamoDBExecutionRole\tAWSLambdaSQSQueueExecutionRole\tAWSLambdaVPCAccessExecutionRole' "$out" "attached policies"
out=$(aws iam list-entities-for-policy --policy-arn arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess --query 'PolicyRoles[].RoleName' --output text)
expect_eq lambda-role "$out" "roles using AWSXrayWriteOnlyAccess"
for p in service-role/AWSLambdaKinesisExecutionRole service-role/AWSLambdaDynamoDBExecutionRole \
  service-role/AWSLambdaSQSQueueExecutionRole service-role/AWSLambdaVPCAccessExecutionRole AWSXRayDaemonWriteAccess; do
  aws iam detach-role-policy --role-name lambda-role --policy-arn "arn:aws:iam::aws:policy/$p"
done

step "viewing the execution role's permissions"
aws iam create-role --role-name lambda-ex --assume-role-policy-document "$TRUST" > /dev/null
aws iam attach-role-policy --role-name lambda-ex --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam put-role-policy --role-name lambda-ex --policy-name source-function --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Sid":"ExampleSourceFunctionArn","Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:hello"}}}]}'
out=$(aws iam get-role --role-name lambda-ex)
expect_contains "$out" '"Service": "lambda.amazonaws.com"' "get-role trust policy"
expect_contains "$out" '"MaxSessionDuration": 3600' "get-role"
expect_eq source-function "$(aws iam list-role-policies --role-name lambda-ex --query 'PolicyNames[]' --output text)" "inline policies"
out=$(aws iam get-role-policy --role-name lambda-ex --policy-name source-function --query 'PolicyDocument.Statement[0].Condition.ArnEquals' --output text)
expect_eq "arn:aws:lambda:us-east-1:123456789012:function:hello" "$out" "inline policy condition"

step "a function with lambda-ex"
aws lambda create-function --function-name hello --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::$ACCT:role/lambda-ex --zip-file fileb://function.zip > /dev/null
aws lambda wait function-active-v2 --function-name hello
invoke() { aws lambda invoke --function-name hello --cli-binary-format raw-in-base64-out --payload "$1" out.json > /dev/null; cat out.json; }
GETROLE='{"action":"call","service":"iam","op":"GetRole","params":{"RoleName":"lambda-ex"}}'

step "lambda:SourceFunctionArn: the function's own calls match, the same credentials elsewhere do not"
out=$(invoke "$GETROLE")
expect_contains "$out" '"RoleName":"lambda-ex"' "GetRole from the function"
read -r EKEY ESECRET ETOKEN < <(invoke '{"action":"env","names":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN"]}' |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["AWS_ACCESS_KEY_ID"], d["AWS_SECRET_ACCESS_KEY"], d["AWS_SESSION_TOKEN"])')
out=$(as_creds "$EKEY" "$ESECRET" "$ETOKEN" aws sts get-caller-identity --query Arn --output text)
expect_eq "arn:aws:sts::$ACCT:assumed-role/lambda-ex/hello" "$out" "the environment's credentials outside it"
expect_error AccessDenied as_creds "$EKEY" "$ESECRET" "$ETOKEN" aws iam get-role --role-name lambda-ex
expect_contains "$ERR" "User: arn:aws:sts::$ACCT:assumed-role/lambda-ex/hello is not authorized to perform: iam:GetRole on resource: arn:aws:iam::$ACCT:role/lambda-ex because no identity-based policy allows the iam:GetRole action"

step "an update replaces running instances and their credentials"
aws lambda update-function-configuration --function-name hello --description "fresh credentials" > /dev/null
aws lambda wait function-updated-v2 --function-name hello
out=$(invoke '{"action":"env","names":["AWS_ACCESS_KEY_ID"]}')
expect_contains "$out" '"AWS_ACCESS_KEY_ID":"ASIA' "new environment's key"
expect_not_contains "$out" "$EKEY" "new environment's key"

step "a role that assumes itself must name itself in its trust policy"
ROLE=arn:aws:iam::$ACCT:role/lambda-ex
aws iam put-role-policy --role-name lambda-ex --policy-name assume-self --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"'$ROLE'"}]}'
SELF='{"action":"call","service":"sts","op":"AssumeRole","params":{"RoleArn":"'$ROLE'","RoleSessionName":"self"}}'
out=$(invoke "$SELF")
expect_contains "$out" '"error":"AccessDenied"' "self-assume with Lambda's trust only"
expect_contains "$out" "User: arn:aws:sts::$ACCT:assumed-role/lambda-ex/hello is not authorized to perform: sts:AssumeRole on resource: $ROLE\"" "self-assume denial"
# Trusting the account is not enough for a role to assume itself.
aws iam update-assume-role-policy --role-name lambda-ex --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$ACCT':root"},"Action":"sts:AssumeRole"}]}'
expect_contains "$(invoke "$SELF")" '"error":"AccessDenied"' "self-assume with the account trusted"
# lambda:SourceFunctionArn cannot be used in a resource-based policy: a
# trust policy's condition on it never matches.
aws iam update-assume-role-policy --role-name lambda-ex --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"'$ROLE'"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:'$ACCT':function:hello"}}}]}'
expect_contains "$(invoke "$SELF")" '"error":"AccessDenied"' "self-assume conditioned on lambda:SourceFunctionArn"
aws iam update-assume-role-policy --role-name lambda-ex --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"'$ROLE'"},"Action":"sts:AssumeRole"}]}'
out=$(invoke "$SELF")
expect_contains "$out" "\"Arn\":\"arn:aws:sts::$ACCT:assumed-role/lambda-ex/self\"" "self-assume with the role trusted"

step "update-function-configuration --role gives the function another role"
expect_error InvalidParameterValueException aws lambda update-function-configuration --function-name hello --role arn:aws:iam::$ACCT:role/no-such-role
expect_contains "$ERR" "The role defined for the function cannot be assumed by Lambda."
out=$(aws lambda update-function-configuration --function-name hello --role arn:aws:iam::$ACCT:role/lambda-role)
expect_contains "$out" "\"Role\": \"arn:aws:iam::$ACCT:role/lambda-role\""
expect_contains "$out" '"LastUpdateStatus": "InProgress"'
aws lambda wait function-updated-v2 --function-name hello
expect_eq "arn:aws:iam::$ACCT:role/lambda-role" "$(aws lambda get-function-configuration --function-name hello --query Role --output text)" "configured role"
out=$(invoke '{"action":"whoami"}')
expect_contains "$out" "\"arn\":\"arn:aws:sts::$ACCT:assumed-role/lambda-role/hello\"" "whoami after the role change"
# lambda-role has no iam:GetRole: the old role's permissions went with it.
expect_contains "$(invoke "$GETROLE")" '"error":"AccessDenied"' "GetRole as lambda-role"

step "sts:AssumeRole controls session duration, up to the role's maximum"
aws iam create-user --user-name dev > /dev/null
aws iam put-user-policy --user-name dev --policy-name assume --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
read -r KEY SECRET < <(aws iam create-access-key --user-name dev --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
aws iam create-role --role-name long --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$ACCT':user/dev"},"Action":"sts:AssumeRole"}]}' > /dev/null
expect_error ValidationError as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn arn:aws:iam::$ACCT:role/long --role-session-name s1 --duration-seconds 7200
expect_contains "$ERR" "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
aws iam update-role --role-name long --max-session-duration 7200
out=$(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn arn:aws:iam::$ACCT:role/long --role-session-name s1 --duration-seconds 7200 --query Credentials.Expiration --output text)
exp=$(python3 -c 'import sys,datetime; print(int((datetime.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))' "$out")
[ "$exp" -gt 7000 ] && [ "$exp" -le 7200 ] || fail "session lasts ${exp}s, want about 7200s"

echo "scenario passed"
