# Least privilege from real traffic: a function reads one DynamoDB table and
# writes one S3 bucket under a role with AmazonS3FullAccess and
# AmazonDynamoDBFullAccess. Access Analyzer's policy generation, through
# the AWS CLI, reads the trail (`aws cloudtrail describe-trails` names it)
# as an access role that trusts access-analyzer.amazonaws.com and yields a
# policy naming that table and that bucket's object, and the logs Lambda
# wrote for the function, and nothing else. `rolecall policy generate`
# writes it as a customer managed policy and attaches it; with the broad
# policies detached, the function still works.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"
ACCT=123456789012
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
TABLE=arn:aws:dynamodb:us-east-1:$ACCT:table/orders

cat > handler.py <<'PY'
import json
import boto3

dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3")


def handler(event, context):
    item = dynamodb.get_item(TableName="orders", Key={"id": {"S": event["id"]}})["Item"]
    s3.put_object(Bucket="reports", Key="summary.json", Body=json.dumps({"id": event["id"], "total": item["total"]["N"]}))
    return {"total": item["total"]["N"]}
PY
python3 -m zipfile -c function.zip handler.py

invoke() {
  aws lambda invoke --function-name report --cli-binary-format raw-in-base64-out --payload "$1" out.json > /dev/null
  cat out.json
}

step "a table, a bucket, and a function under a role with the broad managed policies"
aws dynamodb create-table --table-name orders --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
aws dynamodb wait table-exists --table-name orders
aws dynamodb put-item --table-name orders --item '{"id":{"S":"o-1"},"total":{"N":"42"}}'
aws s3api create-bucket --bucket reports > /dev/null
aws iam create-role --role-name report-role --assume-role-policy-document "$TRUST" > /dev/null
for p in AmazonS3FullAccess AmazonDynamoDBFullAccess service-role/AWSLambdaBasicExecutionRole; do
  aws iam attach-role-policy --role-name report-role --policy-arn "arn:aws:iam::aws:policy/$p"
done
aws lambda create-function --function-name report --runtime python3.11 --handler handler.handler \
  --role "arn:aws:iam::$ACCT:role/report-role" --zip-file fileb://function.zip --timeout 30 > /dev/null
aws lambda wait function-active-v2 --function-name report
START=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)
expect_contains "$(invoke '{"id":"o-1"}')" '"total": "42"' "the function's answer"
expect_contains "$(invoke '{"id":"o-1"}')" '"total": "42"' "its second answer"

step "the trail rolecall records, as CloudTrail describes it"
TRAIL=$(aws cloudtrail describe-trails --query 'trailList[0].TrailARN' --output text)
expect_eq "arn:aws:cloudtrail:us-east-1:$ACCT:trail/rolecall" "$TRAIL" "the trail's ARN"
expect_eq "True" "$(aws cloudtrail describe-trails --query 'trailList[0].IsMultiRegionTrail' --output text)" "multi-Region"
expect_eq "True" "$(aws cloudtrail get-trail-status --name rolecall --query IsLogging --output text)" "logging"

step "Access Analyzer's access role: trusts access-analyzer.amazonaws.com, may read the trail"
aws iam create-role --role-name analyzer-access --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"access-analyzer.amazonaws.com"},"Action":"sts:AssumeRole"}]}' > /dev/null
aws iam put-role-policy --role-name analyzer-access --policy-name read-trail --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:GetTrail","Resource":"'"$TRAIL"'"}]}'

step "aws accessanalyzer start-policy-generation and get-generated-policy"
details='{"trails":[{"cloudTrailArn":"'"$TRAIL"'","allRegions":true}],"accessRole":"arn:aws:iam::'$ACCT':role/analyzer-access","startTime":"'"$START"'"}'
JOB=$(aws accessanalyzer start-policy-generation --policy-generation-details "principalArn=arn:aws:iam::$ACCT:role/report-role" \
  --cloud-trail-details "$details" --query jobId --output text)
for _ in $(seq 100); do
  status=$(aws accessanalyzer get-generated-policy --job-id "$JOB" --query jobDetails.status --output text)
  [ "$status" != IN_PROGRESS ] && break
  sleep 0.2
done
expect_eq SUCCEEDED "$status" "the job's state"
aws accessanalyzer get-generated-policy --job-id "$JOB" --include-resource-placeholders \
  --query 'generatedPolicyResult.generatedPolicies[0].policy' --output text > policy.json
actions=$(jq -r '[.Statement[] | .Action] | flatten | unique | join(" ")' policy.json)
resources=$(jq -r '[.Statement[] | .Resource] | flatten | unique | join(" ")' policy.json)
expect_contains "$actions" "dynamodb:GetItem" "the generated actions"
expect_contains "$actions" "s3:PutObject" "the generated actions"
expect_contains "$resources" "$TABLE" "the table"
expect_contains "$resources" "arn:aws:s3:::reports/summary.json" "the bucket's object"
for a in $actions; do
  case $a in dynamodb:GetItem|s3:PutObject|logs:*) ;; *) fail "an action the function did not use: $a (policy: $(cat policy.json))" ;; esac
done
for r in $resources; do
  case $r in "$TABLE"|arn:aws:s3:::reports/summary.json|arn:aws:logs:us-east-1:$ACCT:log-group:/aws/lambda/report*) ;;
    *) fail "a resource the function did not use: $r (policy: $(cat policy.json))" ;; esac
done
expect_contains "$(jq -r '.Statement[].Sid' policy.json)" "LogsCalledByLambda" "the logs Lambda wrote, marked as such"
star=$(aws accessanalyzer get-generated-policy --job-id "$JOB" --no-include-resource-placeholders \
  --query 'generatedPolicyResult.generatedPolicies[0].policy' --output text)
expect_eq '*' "$(jq -r '[.Statement[] | .Resource] | flatten | unique | join(" ")' <<<"$star")" "resources without placeholders"
expect_contains "$(aws accessanalyzer list-policy-generations --principal-arn "arn:aws:iam::$ACCT:role/report-role" --query 'policyGenerations[].jobId' --output text)" "$JOB" "the job listed"

step "a trail Access Analyzer cannot find fails the job"
bad='{"trails":[{"cloudTrailArn":"arn:aws:cloudtrail:us-east-1:'$ACCT':trail/other"}],"accessRole":"arn:aws:iam::'$ACCT':role/analyzer-access","startTime":"'"$START"'"}'
JOB2=$(aws accessanalyzer start-policy-generation --policy-generation-details "principalArn=arn:aws:iam::$ACCT:role/report-role" \
  --cloud-trail-details "$bad" --query jobId --output text)
for _ in $(seq 100); do
  status=$(aws accessanalyzer get-generated-policy --job-id "$JOB2" --query jobDetails.status --output text)
  [ "$status" != IN_PROGRESS ] && break
  sleep 0.2
done
expect_eq FAILED "$status" "the job's state"
expect_eq RESOURCE_NOT_FOUND_ERROR "$(aws accessanalyzer get-generated-policy --job-id "$JOB2" --query jobDetails.jobError.code --output text)" "its error"

step "rolecall policy generate writes the policy, attaches it; the broad policies go"
(cd "$ROLECALL_REPO" && go build -o "$OLDPWD/rolecall" ./cmd/rolecall)
./rolecall policy generate --endpoint-url "$ROLECALL_ENDPOINT" --role report-role --start "$START" \
  --access-role "arn:aws:iam::$ACCT:role/analyzer-access" --create-policy report-least --attach > table.txt
cat table.txt
expect_contains "$(cat table.txt)" "$TABLE" "the verb's table"
expect_contains "$(cat table.txt)" "Created and attached arn:aws:iam::$ACCT:policy/report-least" "the policy it wrote"
for p in AmazonS3FullAccess AmazonDynamoDBFullAccess service-role/AWSLambdaBasicExecutionRole; do
  aws iam detach-role-policy --role-name report-role --policy-arn "arn:aws:iam::aws:policy/$p"
done
expect_eq report-least "$(aws iam list-attached-role-policies --role-name report-role --query 'AttachedPolicies[].PolicyName' --output text)" "the role's only policy"
expect_contains "$(invoke '{"id":"o-1"}')" '"total": "42"' "the function, under the generated policy"
aws lambda update-function-configuration --function-name report --environment 'Variables={STAGE=2}' > /dev/null
aws lambda wait function-updated-v2 --function-name report
expect_contains "$(invoke '{"id":"o-1"}')" '"total": "42"' "a new execution environment, with a log stream of its own"
