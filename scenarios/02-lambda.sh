# A function runs as its execution role: the seed's lambda-ex role, a Go
# function built with aws-lambda-go, its logs, an AccessDenied that a policy
# change fixes, and the role rules Lambda enforces at create.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
cd "$work"

step "the example Go function's deployment package"
if [ -n "${EXAMPLE_GO_ZIP:-}" ]; then
  cp "$EXAMPLE_GO_ZIP" function.zip
else
  (cd "$ROLECALL_REPO" && CGO_ENABLED=0 GOOS=linux go build -o "$work/bootstrap" ./examples/functions/go)
  python3 -m zipfile -c function.zip bootstrap
fi

step "the seed's execution role"
aws iam create-role --role-name lambda-ex --assume-role-policy-document '{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}' > /dev/null
aws iam attach-role-policy --role-name lambda-ex --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole

step "create the function and wait until it is active"
out=$(aws lambda create-function --function-name hello --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::123456789012:role/lambda-ex --zip-file fileb://function.zip)
expect_contains "$out" '"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:hello"'
aws lambda wait function-active-v2 --function-name hello
expect_eq Active "$(aws lambda get-function --function-name hello --query Configuration.State --output text)" "state"

step "invoke: the function runs as lambda-ex"
aws lambda invoke --function-name hello --cli-binary-format raw-in-base64-out --payload '{"action":"whoami"}' out.json > meta.json
expect_contains "$(cat out.json)" '"arn":"arn:aws:sts::123456789012:assumed-role/lambda-ex/hello"' "whoami"
expect_contains "$(cat meta.json)" '"StatusCode": 200'

step "its logs are in CloudWatch Logs"
for i in $(seq 1 50); do
  logs=$(aws logs tail /aws/lambda/hello 2>/dev/null || true)
  case "$logs" in *"REPORT RequestId"*) break ;; esac
  sleep 0.2
done
expect_contains "$logs" "START RequestId:" "logs tail"
expect_contains "$logs" "REPORT RequestId:" "logs tail"

step "an action the role does not allow is denied, naming the assumed role"
aws lambda invoke --function-name hello --cli-binary-format raw-in-base64-out --payload '{"action":"call","service":"iam","op":"ListRoles"}' out.json > /dev/null
expect_contains "$(cat out.json)" '"error":"AccessDenied"' "denied call"
expect_contains "$(cat out.json)" "User: arn:aws:sts::123456789012:assumed-role/lambda-ex/hello is not authorized to perform: iam:ListRoles" "denied call"

step "after a policy is attached and the configuration updated, the call succeeds"
aws iam put-role-policy --role-name lambda-ex --policy-name list-roles --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}'
aws lambda update-function-configuration --function-name hello --description "can list roles" > /dev/null
aws lambda wait function-updated-v2 --function-name hello
aws lambda invoke --function-name hello --cli-binary-format raw-in-base64-out --payload '{"action":"call","service":"iam","op":"ListRoles"}' out.json > /dev/null
expect_contains "$(cat out.json)" '"output"' "allowed call"
expect_contains "$(cat out.json)" 'lambda-ex' "allowed call lists the role"

step "the trail shows Lambda assuming the role and the function's calls"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole --query 'Events[].CloudTrailEvent' --output text)
expect_contains "$out" '"invokedBy":"lambda.amazonaws.com"' "Lambda's AssumeRole"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=ListRoles --query 'Events[].CloudTrailEvent' --output text)
expect_contains "$out" '"arn":"arn:aws:sts::123456789012:assumed-role/lambda-ex/hello"' "the function's calls"
expect_contains "$out" '"errorCode":"AccessDenied"' "the denied call"

step "a role that does not trust Lambda is refused at create"
aws iam create-role --role-name not-for-lambda --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' > /dev/null
expect_error InvalidParameterValueException aws lambda create-function --function-name nope --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::123456789012:role/not-for-lambda --zip-file fileb://function.zip
expect_contains "$ERR" "The role defined for the function cannot be assumed by Lambda."
expect_error ValidationException aws lambda create-function --function-name nope --runtime provided.al2023 --handler bootstrap \
  --role not-an-arn --zip-file fileb://function.zip
expect_error InvalidParameterValueException aws lambda create-function --function-name nope --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::123456789012:role/lambda-ex --zip-file fileb://function.zip --environment 'Variables={AWS_REGION=eu-west-1}'
expect_contains "$ERR" "Reserved keys used in this request: AWS_REGION"

step "a timeout gives Lambda's payload"
aws lambda update-function-configuration --function-name hello --timeout 1 > /dev/null
aws lambda wait function-updated-v2 --function-name hello
aws lambda invoke --function-name hello --cli-binary-format raw-in-base64-out --payload '{"action":"hang","ms":3000}' out.json > meta.json
expect_contains "$(cat meta.json)" '"FunctionError": "Unhandled"'
expect_contains "$(cat out.json)" '"errorType":"Sandbox.Timedout"'
expect_contains "$(cat out.json)" "Task timed out after 1.00 seconds"

echo "scenario passed"
