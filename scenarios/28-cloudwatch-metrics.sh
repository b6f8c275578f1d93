# Amazon CloudWatch metrics with the AWS CLI (which speaks CloudWatch's query
# protocol): custom metrics published and read back per period, listed by
# dimension; a reserved namespace and bad input refused with CloudWatch's
# codes; a user allowed one namespace (cloudwatch:namespace); a Python
# function's AWS/Lambda Invocations, Errors and Duration.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

ACCT=123456789012
NOW=$(date -u +%s)
HOUR=$(( NOW / 3600 * 3600 - 3600 ))
at() { date -u -d "@$(( HOUR + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }

step "publish values and a statistic set"
aws cloudwatch put-metric-data --namespace Shop --metric-name Latency --unit Milliseconds \
  --dimensions Store=north --value 10 --timestamp "$(at 10)"
aws cloudwatch put-metric-data --namespace Shop --metric-name Latency --unit Milliseconds \
  --dimensions Store=north --value 30 --timestamp "$(at 20)"
aws cloudwatch put-metric-data --namespace Shop --metric-name Latency --unit Milliseconds \
  --dimensions Store=north --statistic-values SampleCount=4,Sum=100,Minimum=5,Maximum=60 --timestamp "$(at 70)"
aws cloudwatch put-metric-data --namespace Shop --metric-data \
  "MetricName=Orders,Dimensions=[{Name=Store,Value=south}],Value=3,Unit=Count,Timestamp=$(at 5)"

step "get-metric-statistics: one data point a minute"
out=$(aws cloudwatch get-metric-statistics --namespace Shop --metric-name Latency --dimensions Name=Store,Value=north \
  --start-time "$(at 0)" --end-time "$(at 300)" --period 60 --statistics Sum Average Maximum SampleCount \
  --query 'sort_by(Datapoints, &Timestamp)[].[Sum, Average, Maximum, SampleCount, Unit]' --output text)
expect_eq "$(printf '40.0\t20.0\t30.0\t2.0\tMilliseconds\n100.0\t25.0\t60.0\t4.0\tMilliseconds')" "$out" "datapoints"
out=$(aws cloudwatch get-metric-statistics --namespace Shop --metric-name Latency \
  --start-time "$(at 0)" --end-time "$(at 300)" --period 60 --statistics Sum --query 'length(Datapoints)')
expect_eq 0 "$out" "the metric without dimensions is another metric"

step "get-metric-data: the console's query"
cat > queries.json <<JSON
[{"Id": "latency", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Latency",
  "Dimensions": [{"Name": "Store", "Value": "north"}]}, "Period": 300, "Stat": "Maximum"}}]
JSON
out=$(aws cloudwatch get-metric-data --metric-data-queries file://queries.json --start-time "$(at 0)" --end-time "$(at 300)" \
  --query 'MetricDataResults[0].[Id, Label, StatusCode, Values[0]]' --output text)
expect_eq "$(printf 'latency\tLatency\tComplete\t60.0')" "$out" "GetMetricData"

step "list-metrics by namespace and dimension"
out=$(aws cloudwatch list-metrics --namespace Shop --query 'Metrics[].MetricName' --output text)
expect_eq "$(printf 'Latency\tOrders')" "$out" "metrics of Shop"
out=$(aws cloudwatch list-metrics --dimensions Name=Store,Value=south --query 'Metrics[].MetricName' --output text)
expect_eq "Orders" "$out" "metrics of Store=south"

step "refused: a reserved namespace, a value and a statistic set together, a percentile"
expect_error InvalidParameterValue aws cloudwatch put-metric-data --namespace AWS/Lambda --metric-name Invocations --value 1
expect_contains "$ERR" "The value AWS/Lambda for parameter Namespace is invalid."
expect_error InvalidParameterCombination aws cloudwatch put-metric-data --namespace Shop --metric-data \
  'MetricName=Latency,Value=1,StatisticValues={SampleCount=1,Sum=1,Minimum=1,Maximum=1}'
expect_error InvalidParameterValue aws cloudwatch get-metric-statistics --namespace Shop --metric-name Latency \
  --start-time "$(at 0)" --end-time "$(at 300)" --period 60 --extended-statistics p99
expect_error MissingParameter aws cloudwatch get-metric-statistics --namespace Shop --metric-name Latency \
  --start-time "$(at 0)" --end-time "$(at 300)" --period 60

step "a user allowed to publish to one namespace only"
aws iam create-user --user-name publisher > /dev/null
aws iam put-user-policy --user-name publisher --policy-name metrics --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudwatch:PutMetricData","Resource":"*","Condition":{"StringEquals":{"cloudwatch:namespace":"Team/A"}}}]}'
read -r KEY SECRET < <(aws iam create-access-key --user-name publisher --query 'AccessKey.[AccessKeyId, SecretAccessKey]' --output text)
as_creds "$KEY" "$SECRET" "" aws cloudwatch put-metric-data --namespace Team/A --metric-name Jobs --value 1
expect_error AccessDenied as_creds "$KEY" "$SECRET" "" aws cloudwatch put-metric-data --namespace Team/B --metric-name Jobs --value 1
expect_contains "$ERR" "User: arn:aws:iam::$ACCT:user/publisher is not authorized to perform: cloudwatch:PutMetricData"
expect_error AccessDenied as_creds "$KEY" "$SECRET" "" aws cloudwatch list-metrics

step "a function's invocations, errors and durations"
cat > handler.py <<'PY'
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
PY
python3 -m zipfile -c function.zip handler.py
aws iam create-role --role-name metered-role --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' > /dev/null
aws iam attach-role-policy --role-name metered-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws lambda create-function --function-name metered --runtime python3.11 --handler handler.handler \
  --role "arn:aws:iam::$ACCT:role/metered-role" --zip-file fileb://function.zip > /dev/null
aws lambda wait function-active-v2 --function-name metered
aws lambda invoke --function-name metered --cli-binary-format raw-in-base64-out --payload '{}' out.json > /dev/null
aws lambda invoke --function-name metered --cli-binary-format raw-in-base64-out --payload '{"fail": true}' out.json > /dev/null
START=$(date -u -d "@$(( NOW - 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d "@$(( $(date -u +%s) + 60 ))" +%Y-%m-%dT%H:%M:%SZ)
sum() {
  aws cloudwatch get-metric-statistics --namespace AWS/Lambda --metric-name "$1" --dimensions Name=FunctionName,Value=metered \
    --start-time "$START" --end-time "$END" --period 7200 --statistics "$2" --query "sum(Datapoints[].$2)" --output text
}
expect_eq 2.0 "$(sum Invocations Sum)" "Invocations"
expect_eq 1.0 "$(sum Errors Sum)" "Errors"
expect_eq 2.0 "$(sum Duration SampleCount)" "Duration samples"
