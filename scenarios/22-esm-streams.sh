# Event source mappings on streams with the AWS CLI: a Kinesis stream and a
# DynamoDB table's stream each feed a Python function in order, read as the
# function's execution role. The mapping is refused until the role may read
# the stream; a record the function always fails on is bisected down to
# itself and its batch info sent to an SQS on-failure destination while
# every other record arrives.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

ACCT=123456789012
BASIC=arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole

# wait_logs GROUP NEEDLE: the function's log shows NEEDLE (60 s at most).
wait_logs() {
  for i in $(seq 1 300); do
    LOGS=$(aws logs filter-log-events --log-group-name "$1" --query 'events[].message' --output text 2>/dev/null || true)
    case "$LOGS" in *"$2"*) return 0 ;; esac
    sleep 0.2
  done
  fail "$1 does not show [$2]: $LOGS"
}

# got GROUP: the values the function logged, in order, on one line.
got() {
  aws logs filter-log-events --log-group-name "$1" --query 'events[].message' --output text |
    tr '\t' '\n' | sed -n 's/^got \(.*\)$/\1/p' | tr -d '\r' | paste -sd' '
}

step "a function that logs what it gets and fails on a poison record"
cat > trust.json <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}
EOF
aws iam create-role --role-name stream-reader-role --assume-role-policy-document file://trust.json > /dev/null
aws iam attach-role-policy --role-name stream-reader-role --policy-arn "$BASIC"
cat > handler.py <<'EOF'
import base64

def value(r):
    if "kinesis" in r:
        return base64.b64decode(r["kinesis"]["data"]).decode()
    return r["eventName"] + ":" + r["dynamodb"]["Keys"]["id"]["S"]

def handler(event, context):
    values = [value(r) for r in event["Records"]]
    if "poison" in values:
        raise Exception("cannot process poison")
    for v in values:
        print("got " + v)
    return {}
EOF
python3 -m zipfile -c function.zip handler.py
aws lambda create-function --function-name stream-reader --runtime python3.11 --handler handler.handler \
  --role "arn:aws:iam::$ACCT:role/stream-reader-role" --zip-file fileb://function.zip --timeout 30 > /dev/null
aws lambda wait function-active-v2 --function-name stream-reader

step "a Kinesis stream and a queue for the records given up"
aws kinesis create-stream --stream-name clicks --shard-count 1
aws kinesis wait stream-exists --stream-name clicks
STREAM=arn:aws:kinesis:us-east-1:$ACCT:stream/clicks
aws sqs create-queue --queue-name clicks-failures > /dev/null
DLQ_URL=$ROLECALL_ENDPOINT/$ACCT/clicks-failures
DLQ=arn:aws:sqs:us-east-1:$ACCT:clicks-failures

step "the mapping is refused until the role may read the stream"
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name stream-reader \
  --event-source-arn "$STREAM" --starting-position TRIM_HORIZON
expect_contains "$ERR" "Cannot access stream $STREAM. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
aws iam attach-role-policy --role-name stream-reader-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name stream-reader \
  --event-source-arn "$STREAM" --starting-position TRIM_HORIZON --destination-config "OnFailure={Destination=$DLQ}"
expect_contains "$ERR" "The provided execution role does not have permissions to call SendMessage on SQS"
cat > send.json <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"$DLQ"}]}
EOF
aws iam put-role-policy --role-name stream-reader-role --policy-name on-failure --policy-document file://send.json

step "records in order; the poison record bisected and sent to the queue"
for v in r1 r2 r3 poison r5 r6 r7; do
  aws kinesis put-record --stream-name clicks --partition-key user-1 --data "$v" --cli-binary-format raw-in-base64-out > /dev/null
done
UUID=$(aws lambda create-event-source-mapping --function-name stream-reader --event-source-arn "$STREAM" \
  --starting-position TRIM_HORIZON --batch-size 10 --bisect-batch-on-function-error --maximum-retry-attempts 1 \
  --destination-config "OnFailure={Destination=$DLQ}" --query UUID --output text)
wait_logs /aws/lambda/stream-reader "got r7"
expect_eq "r1 r2 r3 r5 r6 r7" "$(got /aws/lambda/stream-reader)" "delivered in order, once each"
for i in $(seq 1 100); do
  MSG=$(aws sqs receive-message --queue-url "$DLQ_URL" --wait-time-seconds 1 --query 'Messages[0].Body' --output text)
  [ "$MSG" != "None" ] && break
done
expect_contains "$MSG" '"condition":"RetryAttemptsExhausted"'
expect_contains "$MSG" '"KinesisBatchInfo":{"shardId":"shardId-000000000000"'
expect_contains "$MSG" '"batchSize":1'
out=$(aws lambda get-event-source-mapping --uuid "$UUID" --query '[State,BisectBatchOnFunctionError,MaximumRetryAttempts]' --output text)
expect_eq "Enabled	True	1" "$out" "the mapping"

step "a DynamoDB table's stream feeds the function too"
aws dynamodb create-table --table-name users --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST \
  --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES > /dev/null
TABLE_STREAM=$(aws dynamodb describe-table --table-name users --query Table.LatestStreamArn --output text)
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name stream-reader \
  --event-source-arn "$TABLE_STREAM" --starting-position LATEST
expect_contains "$ERR" "Cannot access stream $TABLE_STREAM. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
aws iam attach-role-policy --role-name stream-reader-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole
aws lambda create-event-source-mapping --function-name stream-reader --event-source-arn "$TABLE_STREAM" \
  --starting-position LATEST --batch-size 2 > /dev/null
aws dynamodb put-item --table-name users --item '{"id":{"S":"u1"},"name":{"S":"Ana"}}'
aws dynamodb put-item --table-name users --item '{"id":{"S":"u1"},"name":{"S":"Ana B"}}'
aws dynamodb put-item --table-name users --item '{"id":{"S":"u2"},"name":{"S":"Bo"}}'
aws dynamodb delete-item --table-name users --key '{"id":{"S":"u1"}}'
wait_logs /aws/lambda/stream-reader "got REMOVE:u1"
expect_eq "r1 r2 r3 r5 r6 r7 INSERT:u1 MODIFY:u1 INSERT:u2 REMOVE:u1" "$(got /aws/lambda/stream-reader)" "table changes in order"
