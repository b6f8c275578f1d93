# Least privilege from real traffic. A function reads one table and writes
# one bucket under a role with AmazonS3FullAccess and AmazonDynamoDBFullAccess;
# `rolecall policy check` fails, listing what the role grants and its traffic
# did not use. The policy Access Analyzer generates from the trail replaces
# the broad ones and the function still works; replaying its traffic against
# that policy without dynamodb:GetItem lists exactly the GetItem calls;
# `rolecall policy check` passes, and fails for the change without GetItem.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"
ACCT=123456789012
ROLE_ARN="arn:aws:iam::$ACCT:role/reports-role"
TABLE_ARN="arn:aws:dynamodb:us-east-1:$ACCT:table/prices"
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

step "the rolecall binary, for its policy verbs"
(cd "$ROLECALL_REPO" && go build -o "$OLDPWD/rolecall" ./cmd/rolecall)
rolecall() { ./rolecall "$@" --endpoint-url "$ROLECALL_ENDPOINT"; }

cat > handler.py <<'PY'
import boto3
from botocore.config import Config

dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


def handler(event, context):
    item = dynamodb.get_item(TableName="prices", Key={"sku": {"S": event["sku"]}})["Item"]
    body = event["sku"] + "=" + item["price"]["N"]
    s3.put_object(Bucket="reports-27", Key="prices/" + event["sku"], Body=body.encode())
    return {"report": body}
PY
python3 -m zipfile -c function.zip handler.py

invoke() {
  aws lambda invoke --function-name reports --cli-binary-format raw-in-base64-out --payload "$1" out.json > /dev/null
  cat out.json
}

step "a table, a bucket, and a function whose role may do anything with both"
aws dynamodb create-table --table-name prices --attribute-definitions AttributeName=sku,AttributeType=S \
  --key-schema AttributeName=sku,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
aws dynamodb wait table-exists --table-name prices
aws dynamodb put-item --table-name prices --item '{"sku":{"S":"a-1"},"price":{"N":"42"}}'
aws s3api create-bucket --bucket reports-27 > /dev/null
aws iam create-role --role-name reports-role --assume-role-policy-document "$TRUST" > /dev/null
for p in AmazonS3FullAccess AmazonDynamoDBFullAccess service-role/AWSLambdaBasicExecutionRole; do
  aws iam attach-role-policy --role-name reports-role --policy-arn "arn:aws:iam::aws:policy/$p"
done
aws lambda create-function --function-name reports --runtime python3.11 --handler handler.handler \
  --role "$ROLE_ARN" --zip-file fileb://function.zip --timeout 30 > /dev/null
aws lambda wait function-active-v2 --function-name reports

START=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)

step "the function reads the table and writes the bucket, three times"
for i in 1 2 3; do
  expect_contains "$(invoke '{"sku":"a-1"}')" '"report": "a-1=42"' "invocation $i"
done
expect_eq "a-1=42" "$(aws s3 cp s3://reports-27/prices/a-1 -)" "the report the function wrote"

step "policy check fails: the role grants far more than the traffic used"
if out=$(rolecall policy check --role reports-role --since 1h 2>&1); then
  fail "policy check passed for a role with AmazonS3FullAccess: $out"
fi
expect_contains "$out" "s3:DeleteBucket" "what to remove"
expect_contains "$out" "dynamodb:DeleteTable" "what to remove"
expect_contains "$out" "actions its recorded traffic did not use" "the reason"

step "Access Analyzer generates the policy from the trail, as the AWS CLI asks"
TRAIL=$(aws cloudtrail describe-trails --query 'trailList[0].TrailARN' --output text)
aws iam create-role --role-name analyzer-access --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"access-analyzer.amazonaws.com"},"Action":"sts:AssumeRole"}]}' > /dev/null
aws iam put-role-policy --role-name analyzer-access --policy-name read-trail --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:GetTrail","Resource":"'"$TRAIL"'"}]}'
details='{"trails":[{"cloudTrailArn":"'"$TRAIL"'","allRegions":true}],"accessRole":"arn:aws:iam::'$ACCT':role/analyzer-access","startTime":"'"$START"'"}'
JOB=$(aws accessanalyzer start-policy-generation --policy-generation-details "principalArn=$ROLE_ARN" \
  --cloud-trail-details "$details" --query jobId --output text)
for _ in $(seq 100); do
  status=$(aws accessanalyzer get-generated-policy --job-id "$JOB" --query jobDetails.status --output text)
  [ "$status" != IN_PROGRESS ] && break
  sleep 0.2
done
expect_eq SUCCEEDED "$status" "the generation job"
aws accessanalyzer get-generated-policy --job-id "$JOB" --include-resource-placeholders \
  --query 'generatedPolicyResult.generatedPolicies[0].policy' --output text > least.json
cat least.json
expect_contains "$(jq -r '[.Statement[].Resource] | flatten | join(" ")' least.json)" "$TABLE_ARN" "the table, named"

step "the generated policy replaces the broad ones; the function still works"
POLICY_ARN=$(aws iam create-policy --policy-name reports-least --policy-document file://least.json --query Policy.Arn --output text)
aws iam attach-role-policy --role-name reports-role --policy-arn "$POLICY_ARN"
for p in AmazonS3FullAccess AmazonDynamoDBFullAccess service-role/AWSLambdaBasicExecutionRole; do
  aws iam detach-role-policy --role-name reports-role --policy-arn "arn:aws:iam::aws:policy/$p"
done
expect_contains "$(invoke '{"sku":"a-1"}')" '"report": "a-1=42"' "the function under the generated policy"

step "replay: the same policy without dynamodb:GetItem denies exactly the four GetItem calls"
jq '.Statement |= (map(.Action |= ([.] | flatten | map(select(. != "dynamodb:GetItem")))) | map(select(.Action | length > 0)))' least.json > no-getitem.json
out=$(rolecall policy replay --role reports-role --since 1h --policy-arn "$POLICY_ARN" --policy-document file://no-getitem.json --output json)
expect_eq 1 "$(jq '.newlyDenied | length' <<<"$out")" "distinct requests newly denied"
expect_eq "dynamodb:GetItem $TABLE_ARN 4 Allow ImplicitDeny" \
  "$(jq -r '.newlyDenied[0] | "\(.action) \(.resource) \(.count) \(.recorded) \(.proposed)"' <<<"$out")" "the GetItem calls"
expect_eq 0 "$(jq '.newlyAllowed | length' <<<"$out")" "newly allowed"
expect_eq 0 "$(jq '.drifted | length' <<<"$out")" "drifted"
out=$(rolecall policy replay --role reports-role --since 1h --policy-arn "$POLICY_ARN" --policy-document file://no-getitem.json)
expect_contains "$out" "Newly denied: 4" "the table for people"
expect_contains "$out" "no statement allows" "the decisive statements"

step "policy check passes now, and fails for the change without GetItem"
out=$(rolecall policy check --role reports-role --since 1h)
expect_eq "ok" "$out" "policy check"
if out=$(rolecall policy check --role reports-role --since 1h --policy-arn "$POLICY_ARN" --policy-document file://no-getitem.json 2>&1); then
  fail "policy check passed a change that denies recorded traffic: $out"
fi
expect_contains "$out" "the change would deny 4 recorded requests" "the reason"
