# Amazon SQS with the AWS CLI (which speaks SQS's query protocol): standard
# and FIFO queues, messages with attributes, a dead-letter queue after
# maxReceiveCount, a queue policy that lets another principal send, boto3
# on the JSON protocol, purge.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

ACCOUNT=123456789012

step "create a standard queue, idempotently"
Q=$(aws sqs create-queue --queue-name orders --attributes VisibilityTimeout=45 --query QueueUrl --output text)
expect_eq "$ROLECALL_ENDPOINT/$ACCOUNT/orders" "$Q" "queue URL"
again=$(aws sqs create-queue --queue-name orders --attributes VisibilityTimeout=45 --query QueueUrl --output text)
expect_eq "$Q" "$again" "second create-queue"
expect_error QueueAlreadyExists aws sqs create-queue --queue-name orders --attributes VisibilityTimeout=60
expect_contains "$ERR" "A queue already exists with the same name and a different value for attribute VisibilityTimeout"
expect_eq "$Q" "$(aws sqs get-queue-url --queue-name orders --query QueueUrl --output text)" "get-queue-url"
expect_error AWS.SimpleQueueService.NonExistentQueue aws sqs get-queue-url --queue-name nope
out=$(aws sqs get-queue-attributes --queue-url "$Q" --attribute-names All)
expect_contains "$out" '"VisibilityTimeout": "45"'
expect_contains "$out" "\"QueueArn\": \"arn:aws:sqs:us-east-1:$ACCOUNT:orders\""
expect_error InvalidAttributeValue aws sqs set-queue-attributes --queue-url "$Q" --attributes DelaySeconds=901

step "send, receive and delete with message attributes"
cat > attrs.json <<'EOF'
{"kind": {"DataType": "String", "StringValue": "order"}, "total": {"DataType": "Number.float", "StringValue": "12.5"}}
EOF
MID=$(aws sqs send-message --queue-url "$Q" --message-body '{"order": 1}' --message-attributes file://attrs.json --query MessageId --output text)
out=$(aws sqs receive-message --queue-url "$Q" --attribute-names All --message-attribute-names All --wait-time-seconds 2)
expect_contains "$out" "\"MessageId\": \"$MID\""
expect_contains "$out" '"Body": "{\"order\": 1}"'
expect_contains "$out" '"StringValue": "12.5"'
expect_contains "$out" '"ApproximateReceiveCount": "1"'
HANDLE=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Messages"][0]["ReceiptHandle"])')
expect_error InvalidParameterValue aws sqs change-message-visibility --queue-url "$Q" --receipt-handle "$HANDLE" --visibility-timeout 50000
expect_contains "$ERR" "Value 50000 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided."
aws sqs delete-message --queue-url "$Q" --receipt-handle "$HANDLE"
expect_error ReceiptHandleIsInvalid aws sqs delete-message --queue-url "$Q" --receipt-handle not-a-handle
out=$(aws sqs get-queue-attributes --queue-url "$Q" --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible --output text)
expect_contains "$out" "0	0" "counts after delete"
out=$(aws sqs send-message-batch --queue-url "$Q" --entries Id=a,MessageBody=one Id=b,MessageBody=two --query 'length(Successful)')
expect_eq 2 "$out" "batch sent"
expect_error AWS.SimpleQueueService.BatchEntryIdsNotDistinct aws sqs send-message-batch --queue-url "$Q" --entries Id=a,MessageBody=one Id=a,MessageBody=two

step "FIFO: groups in order, deduplication"
F=$(aws sqs create-queue --queue-name jobs.fifo --attributes FifoQueue=true,ContentBasedDeduplication=true --query QueueUrl --output text)
expect_error MissingParameter aws sqs send-message --queue-url "$F" --message-body x
for i in 1 2 3; do aws sqs send-message --queue-url "$F" --message-body "job $i" --message-group-id g > /dev/null; done
S1=$(aws sqs send-message --queue-url "$F" --message-body "job 1" --message-group-id g --query SequenceNumber --output text)
out=$(aws sqs receive-message --queue-url "$F" --max-number-of-messages 10 --query 'Messages[].Body' --output text)
expect_eq "job 1	job 2	job 3" "$out" "FIFO order, the duplicate left out"
expect_eq 20 "${#S1}" "sequence number length"

step "dead-letter queue after maxReceiveCount"
aws sqs create-queue --queue-name orders-dlq > /dev/null
DLQ=$ROLECALL_ENDPOINT/$ACCOUNT/orders-dlq
cat > redrive.json <<EOF
{"RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:$ACCOUNT:orders-dlq\",\"maxReceiveCount\":\"2\"}", "VisibilityTimeout": "0"}
EOF
SRC=$(aws sqs create-queue --queue-name payments --attributes file://redrive.json --query QueueUrl --output text)
aws sqs send-message --queue-url "$SRC" --message-body poison --message-attributes file://attrs.json > /dev/null
for i in 1 2; do
  out=$(aws sqs receive-message --queue-url "$SRC" --query 'length(Messages)')
  expect_eq 1 "$out" "receive $i"
done
out=$(aws sqs receive-message --queue-url "$SRC" --output text)
expect_eq "" "$out" "third receive: the message moved"
out=$(aws sqs receive-message --queue-url "$DLQ" --message-attribute-names All)
expect_contains "$out" '"Body": "poison"'
expect_contains "$out" '"StringValue": "order"'
out=$(aws sqs list-dead-letter-source-queues --queue-url "$DLQ" --query 'queueUrls[0]' --output text)
expect_eq "$SRC" "$out" "dead-letter source"

step "a queue policy lets another principal send"
aws iam create-user --user-name producer > /dev/null
read -r PKEY PSECRET < <(aws iam create-access-key --user-name producer --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
expect_error AccessDenied as_creds "$PKEY" "$PSECRET" "" aws sqs send-message --queue-url "$Q" --message-body hi
expect_contains "$ERR" "is not authorized to perform: sqs:sendmessage"
cat > policy.json <<EOF
{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$ACCOUNT:user/producer\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"arn:aws:sqs:us-east-1:$ACCOUNT:orders\"}]}"}
EOF
aws sqs set-queue-attributes --queue-url "$Q" --attributes file://policy.json
as_creds "$PKEY" "$PSECRET" "" aws sqs send-message --queue-url "$Q" --message-body hi > /dev/null
expect_error AccessDenied as_creds "$PKEY" "$PSECRET" "" aws sqs receive-message --queue-url "$Q"

step "boto3 speaks the JSON protocol to the same queues"
out=$(python3 - "$Q" <<'EOF'
import os, sys, boto3
c = boto3.client("sqs", endpoint_url=os.environ["ROLECALL_ENDPOINT"], region_name="us-east-1")
q = sys.argv[1]
c.send_message(QueueUrl=q, MessageBody="from boto3",
               MessageAttributes={"n": {"DataType": "Number", "StringValue": "7"}})
m = c.receive_message(QueueUrl=q, MessageAttributeNames=["All"], WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
print(sorted(x["Body"] for x in m))
c.delete_message_batch(QueueUrl=q, Entries=[{"Id": str(i), "ReceiptHandle": x["ReceiptHandle"]} for i, x in enumerate(m)])
try:
    c.get_queue_url(QueueName="nope")
except c.exceptions.QueueDoesNotExist as e:
    print(e.response["Error"]["Code"])
EOF
)
expect_contains "$out" "from boto3"
expect_contains "$out" "AWS.SimpleQueueService.NonExistentQueue"

step "tags and purge"
aws sqs tag-queue --queue-url "$Q" --tags team=shop
expect_eq shop "$(aws sqs list-queue-tags --queue-url "$Q" --query Tags.team --output text)" "tag"
aws sqs purge-queue --queue-url "$Q"
expect_error AWS.SimpleQueueService.PurgeQueueInProgress aws sqs purge-queue --queue-url "$Q"
out=$(aws sqs get-queue-attributes --queue-url "$Q" --attribute-names ApproximateNumberOfMessages --query Attributes.ApproximateNumberOfMessages --output text)
expect_eq 0 "$out" "messages after purge"
out=$(aws sqs list-queues --queue-name-prefix ord --query 'QueueUrls' --output text)
expect_contains "$out" "$Q"
aws sqs delete-queue --queue-url "$F"
expect_error AWS.SimpleQueueService.NonExistentQueue aws sqs get-queue-attributes --queue-url "$F"
