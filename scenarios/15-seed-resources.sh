# The execution-role page's examples against real resources: the identity
# policy that lets only source_lambda put objects into the bucket, the SCP
# that denies S3 unless the call comes from source_lambda or from the VPC
# (through its S3 endpoint), decided for every combination in a member
# account and not at all in the management account, and a presigned URL
# made with a function's credentials. S3's naming rules forbid the page's
# underscore: the bucket is lambda-bucket-<account>.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"
ACCT=123456789012
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

# The function puts an object with boto3, returns its credentials, or
# presigns a GET, as the event says.
cat > handler.py <<'PY'
import os
import boto3
from botocore.config import Config


def s3():
    return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def handler(event, context):
    op = event["op"]
    if op == "put":
        try:
            s3().put_object(Bucket=event["bucket"], Key=event["key"], Body=b"from " + context.function_name.encode())
            return {"put": event["key"]}
        except Exception as e:
            err = getattr(e, "response", {}).get("Error", {})
            return {"error": err.get("Code", str(e)), "message": err.get("Message", "")}
    if op == "presign":
        return {"url": s3().generate_presigned_url("get_object", Params={"Bucket": event["bucket"], "Key": event["key"]}, ExpiresIn=3600)}
    if op == "creds":
        return {k: os.environ[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    raise ValueError(op)
PY
python3 -m zipfile -c function.zip handler.py

# invoke [CREDS...] FUNCTION EVENT: the function's answer.
invoke() {
  local fn=$1 event=$2
  aws lambda invoke --function-name "$fn" --cli-binary-format raw-in-base64-out --payload "$event" out.json > /dev/null
  cat out.json
}

step "the identity policy: s3:PutObject on the bucket only from source_lambda"
BUCKET=lambda-bucket-$ACCT
aws s3 mb "s3://$BUCKET" > /dev/null
aws iam create-role --role-name lambda-ex --assume-role-policy-document "$TRUST" > /dev/null
aws iam attach-role-policy --role-name lambda-ex --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam put-role-policy --role-name lambda-ex --policy-name source-function --policy-document '{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ExampleSourceFunctionArn", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::'"$BUCKET"'/*",
     "Condition": {"ArnEquals": {"lambda:SourceFunctionArn": "arn:aws:lambda:us-east-1:'"$ACCT"':function:source_lambda"}}},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::'"$BUCKET"'/*"}
  ]
}'
for fn in source_lambda other_lambda; do
  aws lambda create-function --function-name "$fn" --runtime python3.12 --handler handler.handler \
    --role "arn:aws:iam::$ACCT:role/lambda-ex" --zip-file fileb://function.zip > /dev/null
  aws lambda wait function-active-v2 --function-name "$fn"
done
expect_eq '{"put": "a.txt"}' "$(invoke source_lambda '{"op":"put","bucket":"'"$BUCKET"'","key":"a.txt"}')" "source_lambda puts"
expect_eq "from source_lambda" "$(aws s3 cp "s3://$BUCKET/a.txt" -)" "the object source_lambda put"
out=$(invoke other_lambda '{"op":"put","bucket":"'"$BUCKET"'","key":"b.txt"}')
expect_contains "$out" '"error": "AccessDenied"' "another function with the same role"
expect_contains "$out" "assumed-role/lambda-ex/other_lambda is not authorized to perform: s3:PutObject on resource: \\\"arn:aws:s3:::$BUCKET/b.txt\\\" because no identity-based policy allows the s3:PutObject action" "its message"
read -r FKEY FSECRET FTOKEN < <(invoke source_lambda '{"op":"creds"}' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["AWS_ACCESS_KEY_ID"], d["AWS_SECRET_ACCESS_KEY"], d["AWS_SESSION_TOKEN"])')
echo leaked > leaked.txt
expect_error AccessDenied as_creds "$FKEY" "$FSECRET" "$FTOKEN" aws s3 cp leaked.txt "s3://$BUCKET/leaked.txt"
expect_contains "$ERR" "assumed-role/lambda-ex/source_lambda is not authorized to perform: s3:PutObject"

step "a presigned GET made inside source_lambda, with its credentials, works without a signature of the caller's own"
url=$(invoke source_lambda '{"op":"presign","bucket":"'"$BUCKET"'","key":"a.txt"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
expect_contains "$url" "X-Amz-Security-Token=" "a URL of temporary credentials"
expect_eq "from source_lambda" "$(curl -sf "$url")" "the object through the presigned URL"
code=$(curl -s -o /dev/null -w '%{http_code}' "${url/a.txt/missing.txt}")
expect_eq 403 "$code" "a URL whose key was changed"

step "an organization: the member account is reached through OrganizationAccountAccessRole"
aws organizations create-organization --feature-set ALL > /dev/null
root=$(aws organizations list-roots --query 'Roots[0].Id' --output text)
aws organizations enable-policy-type --root-id "$root" --policy-type SERVICE_CONTROL_POLICY > /dev/null
car=$(aws organizations create-account --email workloads@example.com --account-name workloads --query CreateAccountStatus.Id --output text)
member=$(aws organizations describe-create-account-status --create-account-request-id "$car" --query CreateAccountStatus.AccountId --output text)
aws iam create-user --user-name ops > /dev/null
aws iam attach-user-policy --user-name ops --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
read -r KEY SECRET < <(aws iam create-access-key --user-name ops --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
read -r MKEY MSECRET MTOKEN < <(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn "arn:aws:iam::$member:role/OrganizationAccountAccessRole" \
  --role-session-name ops --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
# m ARGS...: aws as the member account's administrator.
m() { as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws "$@"; }
minvoke() { m lambda invoke --function-name "$1" --cli-binary-format raw-in-base64-out --payload "$2" out.json > /dev/null; cat out.json; }

step "in the member: a bucket, a role that may put anything, two functions, a VPC with an S3 gateway endpoint and one without"
MBUCKET=lambda-bucket-$member
m s3 mb "s3://$MBUCKET" > /dev/null
m iam create-role --role-name lambda-ex --assume-role-policy-document "$TRUST" > /dev/null
m iam attach-role-policy --role-name lambda-ex --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
m iam put-role-policy --role-name lambda-ex --policy-name s3 --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
for fn in source_lambda other_lambda; do
  m lambda create-function --function-name "$fn" --runtime python3.12 --handler handler.handler \
    --role "arn:aws:iam::$member:role/lambda-ex" --zip-file fileb://function.zip > /dev/null
  m lambda wait function-active-v2 --function-name "$fn"
done
# network NAME: a VPC with a subnet and a security group; prints "vpc subnet sg".
network() {
  local vpc subnet sg
  vpc=$(m ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)
  subnet=$(m ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --query Subnet.SubnetId --output text)
  sg=$(m ec2 create-security-group --vpc-id "$vpc" --group-name "$1" --description "$1" --query GroupId --output text)
  echo "$vpc $subnet $sg"
}
read -r VPC SUBNET SG < <(network allowed)
read -r OTHERVPC OTHERSUBNET OTHERSG < <(network other)
rtb=$(m ec2 describe-route-tables --filters "Name=vpc-id,Values=$VPC" Name=association.main,Values=true --query 'RouteTables[0].RouteTableId' --output text)
m ec2 create-vpc-endpoint --vpc-id "$VPC" --service-name com.amazonaws.us-east-1.s3 --route-table-ids "$rtb" > /dev/null

step "the page's SCP (with the member's VPC, and the management account's bucket too), attached to the member account"
cat > scp.json <<JSON
{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "s3:*"
            ],
            "Resource": ["arn:aws:s3:::$MBUCKET/*", "arn:aws:s3:::$BUCKET/*"],
            "Effect": "Deny",
            "Condition": {
                "StringNotEqualsIfExists": {
                    "aws:SourceVpc": [
                        "$VPC"
                    ]
                },
                "ArnNotEqualsIfExists": {
                    "lambda:SourceFunctionArn": "arn:aws:lambda:us-east-1:$member:function:source_lambda"
                }
            }
        }
    ]
}
JSON
pol=$(aws organizations create-policy --name s3-from-vpc-or-source-lambda --description "the execution-role page's SCP" \
  --type SERVICE_CONTROL_POLICY --content file://scp.json --query Policy.PolicySummary.Id --output text)
aws organizations attach-policy --policy-id "$pol" --target-id "$member"

put() { minvoke "$1" '{"op":"put","bucket":"'"$MBUCKET"'","key":"'"$2"'"}'; }
step "outside any VPC: source_lambda may, another function may not"
expect_eq '{"put": "1.txt"}' "$(put source_lambda 1.txt)" "source_lambda outside the VPC"
out=$(put other_lambda 2.txt)
expect_contains "$out" '"error": "AccessDenied"' "other_lambda outside the VPC"
expect_contains "$out" "with an explicit deny in a service control policy" "the SCP named"

step "in the VPC, through its S3 endpoint: both may"
for fn in source_lambda other_lambda; do
  m lambda update-function-configuration --function-name "$fn" --vpc-config "SubnetIds=$SUBNET,SecurityGroupIds=$SG" > /dev/null
  m lambda wait function-updated-v2 --function-name "$fn"
done
expect_eq '{"put": "3.txt"}' "$(put source_lambda 3.txt)" "source_lambda in the VPC"
expect_eq '{"put": "4.txt"}' "$(put other_lambda 4.txt)" "other_lambda in the VPC"

step "in another VPC, with no S3 endpoint: the call leaves through NAT and carries no aws:SourceVpc"
m lambda update-function-configuration --function-name other_lambda --vpc-config "SubnetIds=$OTHERSUBNET,SecurityGroupIds=$OTHERSG" > /dev/null
m lambda wait function-updated-v2 --function-name other_lambda
expect_contains "$(put other_lambda 5.txt)" "with an explicit deny in a service control policy" "other_lambda in a VPC without an endpoint"

step "the member's administrator from outside Lambda: denied; the management account: never governed by SCPs"
echo x > x.txt
expect_error AccessDenied m s3 cp x.txt "s3://$MBUCKET/x.txt"
expect_contains "$ERR" "with an explicit deny in a service control policy"
aws organizations attach-policy --policy-id "$pol" --target-id "$root"
aws s3 cp x.txt "s3://$BUCKET/x.txt" > /dev/null
expect_eq x "$(aws s3 cp "s3://$BUCKET/x.txt" -)" "the management account's own put under the same SCP"
m s3 ls "s3://$MBUCKET/" > /dev/null
