# A function reads and writes a DynamoDB table and an SQS queue as its
# execution role, with boto3 clients made as code written against AWS makes
# them (no endpoint_url: the environment's AWS_ENDPOINT_URL points them at
# rolecall, also for the botocore Debian ships with python3.11, which predates
# AWS_ENDPOINT_URL). Taking the table permission away makes the function's own call
# fail with DynamoDB's AccessDeniedException, naming the role session, the
# action and the table; giving it back makes the call work again.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"
ACCT=123456789012
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

cat > handler.py <<'PY'
import boto3
from botocore.exceptions import ClientError

dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")


def handler(event, context):
    out = {}
    try:
        dynamodb.put_item(TableName="orders", Item={"id": {"S": event["id"]}, "total": {"N": event["total"]}})
        item = dynamodb.get_item(TableName="orders", Key={"id": {"S": event["id"]}}, ConsistentRead=True)["Item"]
        out["total"] = item["total"]["N"]
    except ClientError as e:
        out["dynamodb"] = {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    try:
        url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="order " + event["id"])
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out["received"] = [m["Body"] for m in msgs]
    except ClientError as e:
        out["sqs"] = {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    return out
PY
python3 -m zipfile -c function.zip handler.py

invoke() {
  aws lambda invoke --function-name orders --cli-binary-format raw-in-base64-out --payload "$1" out.json > /dev/null
  cat out.json
}

step "a table, a queue, and a role that may use them"
aws dynamodb create-table --table-name orders --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
aws dynamodb wait table-exists --table-name orders
aws sqs create-queue --queue-name orders > /dev/null
aws iam create-role --role-name orders-role --assume-role-policy-document "$TRUST" > /dev/null
aws iam attach-role-policy --role-name orders-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
TABLE_POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:'$ACCT':table/orders"}]}'
aws iam put-role-policy --role-name orders-role --policy-name table --policy-document "$TABLE_POLICY"
aws iam put-role-policy --role-name orders-role --policy-name queue --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:GetQueueUrl","sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage"],"Resource":"arn:aws:sqs:us-east-1:'$ACCT':orders"}]}'
aws lambda create-function --function-name orders --runtime python3.11 --handler handler.handler \
  --role "arn:aws:iam::$ACCT:role/orders-role" --zip-file fileb://function.zip --timeout 30 > /dev/null
aws lambda wait function-active-v2 --function-name orders

step "the function writes and reads the table, sends and receives on the queue"
out=$(invoke '{"id":"o-1","total":"12345678901234567890.123456789"}')
expect_contains "$out" '"total": "12345678901234567890.123456789"' "the item the function read back"
expect_contains "$out" '"received": ["order o-1"]' "the message the function received"
expect_eq '12345678901234567890.123456789' "$(aws dynamodb get-item --table-name orders --key '{"id":{"S":"o-1"}}' --query Item.total.N --output text)" "the item, read by root"

step "the table permission is taken away: DynamoDB's AccessDeniedException inside the function"
aws iam delete-role-policy --role-name orders-role --policy-name table
out=$(invoke '{"id":"o-2","total":"1"}')
expect_contains "$out" '"code": "AccessDeniedException"' "the function's DynamoDB call"
expect_contains "$out" "assumed-role/orders-role/orders is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:$ACCT:table/orders because no identity-based policy allows the dynamodb:PutItem action" "its message"
expect_contains "$out" '"received": ["order o-2"]' "the queue, still allowed"

step "given back, the call works again"
aws iam put-role-policy --role-name orders-role --policy-name table --policy-document "$TABLE_POLICY"
out=$(invoke '{"id":"o-3","total":"3"}')
expect_contains "$out" '"total": "3"' "the function's DynamoDB call, allowed again"
