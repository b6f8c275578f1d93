# An SQS queue feeding a Lambda function through an event source mapping,
# as a new user sets it up with the AWS CLI: the mapping is refused until
# the execution role may read the queue; then sent messages reach the
# function in batches, the queue drains, and a message the function keeps
# failing on lands in the dead-letter queue after maxReceiveCount.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

ACCOUNT=123456789012

step "a queue with a dead-letter queue"
aws sqs create-queue --queue-name orders-dlq > /dev/null
cat > queue.json <<EOF
{"VisibilityTimeout": "3", "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:$ACCOUNT:orders-dlq\",\"maxReceiveCount\":\"2\"}"}
EOF
Q=$(aws sqs create-queue --queue-name orders --attributes file://queue.json --query QueueUrl --output text)
DLQ=$(aws sqs get-queue-url --queue-name orders-dlq --query QueueUrl --output text)
QARN=$(aws sqs get-queue-attributes --queue-url "$Q" --attribute-names QueueArn --query Attributes.QueueArn --output text)
expect_eq "arn:aws:sqs:us-east-1:$ACCOUNT:orders" "$QARN" "queue ARN"

step "a Python function whose role may only write logs"
aws iam create-role --role-name orders-role --assume-role-policy-document '{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}' > /dev/null
aws iam attach-role-policy --role-name orders-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
cat > index.py <<'EOF'
def handler(event, context):
    for record in event["Records"]:
        print("got %s (batch of %d, receive %s)" % (record["body"], len(event["Records"]), record["attributes"]["ApproximateReceiveCount"]))
        if record["body"] == "fail":
            raise Exception("cannot handle " + record["messageId"])
EOF
python3 -m zipfile -c function.zip index.py
aws lambda create-function --function-name orders --runtime python3.11 --handler index.handler --timeout 3 \
  --role "arn:aws:iam::$ACCOUNT:role/orders-role" --zip-file fileb://function.zip > /dev/null
aws lambda wait function-active-v2 --function-name orders

step "the mapping is refused: the role may not call sqs:ReceiveMessage"
expect_error InvalidParameterValueException aws lambda create-event-source-mapping --function-name orders \
  --event-source-arn "$QARN" --batch-size 5 --maximum-batching-window-in-seconds 1
expect_contains "$ERR" "The provided execution role does not have permissions to call ReceiveMessage on SQS"

step "with AWSLambdaSQSQueueExecutionRole attached it is accepted"
aws iam attach-role-policy --role-name orders-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole
UUID=$(aws lambda create-event-source-mapping --function-name orders --event-source-arn "$QARN" \
  --batch-size 5 --maximum-batching-window-in-seconds 1 --query UUID --output text)
state=""
for _ in $(seq 100); do
  state=$(aws lambda get-event-source-mapping --uuid "$UUID" --query State --output text)
  [ "$state" = Enabled ] && break
  sleep 0.2
done
expect_eq Enabled "$state" "mapping state"

step "messages sent reach the function in batches"
for i in 1 2 3 4 5 6 7; do aws sqs send-message --queue-url "$Q" --message-body "order $i" > /dev/null; done
seen=""
for _ in $(seq 150); do
  seen=$(aws logs filter-log-events --log-group-name /aws/lambda/orders --filter-pattern '"got order"' --query 'events[].message' --output text 2>/dev/null || true)
  n=$(printf '%s' "$seen" | grep -o 'got order [0-9]' | sort -u | wc -l)
  [ "$n" -eq 7 ] && break
  sleep 0.2
done
for i in 1 2 3 4 5 6 7; do expect_contains "$seen" "got order $i (batch of" "the function's log"; done
expect_not_contains "$seen" "batch of 6" "batch size"

step "the queue drains"
counts=""
for _ in $(seq 100); do
  counts=$(aws sqs get-queue-attributes --queue-url "$Q" --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible --output text)
  case "$counts" in *"0	0"*) break ;; esac
  sleep 0.2
done
expect_contains "$counts" "0	0" "messages left"

step "a message the function fails on lands in the dead-letter queue"
aws sqs send-message --queue-url "$Q" --message-body fail > /dev/null
body=""
for _ in $(seq 40); do
  body=$(aws sqs receive-message --queue-url "$DLQ" --wait-time-seconds 1 --query 'Messages[0].Body' --output text)
  [ "$body" = fail ] && break
done
expect_eq fail "$body" "dead-lettered message"
out=$(aws logs filter-log-events --log-group-name /aws/lambda/orders --filter-pattern '"got fail"' --query 'events[].message' --output text)
expect_contains "$out" "receive 1)" "first delivery"
expect_contains "$out" "receive 2)" "second delivery"

step "delete the mapping"
state=$(aws lambda delete-event-source-mapping --uuid "$UUID" --query State --output text)
expect_eq Deleting "$state" "state after delete"
for _ in $(seq 100); do
  aws lambda get-event-source-mapping --uuid "$UUID" > /dev/null 2>&1 || break
  sleep 0.2
done
expect_error ResourceNotFoundException aws lambda get-event-source-mapping --uuid "$UUID"
