# The event source mapping API with the AWS CLI: a mapping created
# disabled, read, listed, enabled, updated, tagged and deleted through its
# states, and the requests Lambda refuses, with its messages.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

ACCOUNT=123456789012

# wait_state UUID STATE: polls get-event-source-mapping until the mapping is in STATE.
wait_state() {
  local state=""
  for _ in $(seq 100); do
    state=$(aws lambda get-event-source-mapping --uuid "$1" --query State --output text)
    [ "$state" = "$2" ] && return 0
    sleep 0.2
  done
  fail "mapping $1 is $state, not $2"
}

step "a queue, and a function whose role may read it"
Q=$(aws sqs create-queue --queue-name jobs --query QueueUrl --output text)
QARN=$(aws sqs get-queue-attributes --queue-url "$Q" --attribute-names QueueArn --query Attributes.QueueArn --output text)
aws iam create-role --role-name jobs-role --assume-role-policy-document '{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}' > /dev/null
aws iam attach-role-policy --role-name jobs-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole
printf 'def handler(event, context):\n    return None\n' > index.py
python3 -m zipfile -c function.zip index.py
aws lambda create-function --function-name jobs --runtime python3.11 --handler index.handler \
  --role "arn:aws:iam::$ACCOUNT:role/jobs-role" --zip-file fileb://function.zip > /dev/null
aws lambda wait function-active-v2 --function-name jobs

step "refused requests, with Lambda's messages"
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name jobs --event-source-arn "$QARN" --starting-position LATEST
expect_contains "$ERR" "StartingPosition is not valid for SQS event sources."
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name jobs --event-source-arn "$QARN" --batch-size 100
expect_contains "$ERR" "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name jobs --event-source-arn "$QARN" --bisect-batch-on-function-error
expect_contains "$ERR" "Unsupported BisectBatchOnFunctionError parameter for given event source mapping type."
expect_error ResourceNotFoundException aws lambda create-event-source-mapping --function-name nobody --event-source-arn "$QARN"

step "created disabled: Creating, then Disabled; tagged"
out=$(aws lambda create-event-source-mapping --function-name jobs --event-source-arn "$QARN" --no-enabled \
  --batch-size 100 --maximum-batching-window-in-seconds 5)
expect_contains "$out" '"State": "Creating"'
expect_contains "$out" '"StateTransitionReason": "USER_INITIATED"'
expect_contains "$out" "\"FunctionArn\": \"arn:aws:lambda:us-east-1:$ACCOUNT:function:jobs\""
UUID=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["UUID"])')
ARN="arn:aws:lambda:us-east-1:$ACCOUNT:event-source-mapping:$UUID"
wait_state "$UUID" Disabled
expect_error ResourceConflictException aws lambda create-event-source-mapping --function-name jobs --event-source-arn "$QARN"
expect_contains "$ERR" "already exists. Please update or delete the existing mapping with UUID $UUID"
expect_eq "$UUID" "$(aws lambda list-event-source-mappings --function-name jobs --query 'EventSourceMappings[0].UUID' --output text)" "listed by function"
expect_eq "$UUID" "$(aws lambda list-event-source-mappings --event-source-arn "$QARN" --query 'EventSourceMappings[0].UUID' --output text)" "listed by source"
aws lambda tag-resource --resource "$ARN" --tags team=blue
expect_eq "blue" "$(aws lambda list-tags --resource "$ARN" --query Tags.team --output text)" "tag"

step "enabled: Enabling, then Enabled; updated: Updating, then Enabled"
expect_eq Enabling "$(aws lambda update-event-source-mapping --uuid "$UUID" --enabled --query State --output text)" "enable"
wait_state "$UUID" Enabled
expect_eq Updating "$(aws lambda update-event-source-mapping --uuid "$UUID" --batch-size 5 --query State --output text)" "update"
wait_state "$UUID" Enabled
expect_eq 5 "$(aws lambda get-event-source-mapping --uuid "$UUID" --query BatchSize --output text)" "batch size"

step "deleted: Deleting, then gone"
expect_eq Deleting "$(aws lambda delete-event-source-mapping --uuid "$UUID" --query State --output text)" "delete"
for _ in $(seq 100); do
  aws lambda get-event-source-mapping --uuid "$UUID" > /dev/null 2>&1 || break
  sleep 0.2
done
expect_error ResourceNotFoundException aws lambda get-event-source-mapping --uuid "$UUID"
expect_contains "$ERR" "The resource you requested does not exist."
