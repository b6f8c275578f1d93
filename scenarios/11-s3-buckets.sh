#!/usr/bin/env bash
# S3 buckets and access with the AWS CLI and curl: a bucket's defaults,
# naming rules and location constraints, tagging, a public-read bucket
# policy that lets curl fetch an object with no signature while another
# bucket refuses it, presigned URLs, and a bucket deleted only when empty.
source "$(dirname "$0")/lib.sh"

step "create a bucket; S3's naming rules and us-east-1's location constraint"
aws s3 mb s3://scenario-public >/dev/null
aws s3api create-bucket --bucket scenario-private >/dev/null
expect_error InvalidBucketName aws s3api create-bucket --bucket Scenario_Bucket
expect_error InvalidLocationConstraint aws s3api create-bucket --bucket scenario-east \
  --create-bucket-configuration LocationConstraint=us-east-1
expect_error IllegalLocationConstraintException aws s3api create-bucket --bucket scenario-west \
  --create-bucket-configuration LocationConstraint=eu-west-1
aws s3api create-bucket --bucket scenario-west --region eu-west-1 \
  --create-bucket-configuration LocationConstraint=eu-west-1 >/dev/null
expect_eq eu-west-1 "$(aws s3api get-bucket-location --bucket scenario-west --region eu-west-1 --query LocationConstraint --output text)" "location"
expect_eq "scenario-private scenario-public scenario-west" "$(aws s3api list-buckets --query 'Buckets[].Name' --output text | tr '\t' ' ')" "buckets"
expect_contains "$(aws s3 ls)" "scenario-public"

step "a new bucket's defaults"
expect_eq "True True True True" "$(aws s3api get-public-access-block --bucket scenario-public --query 'PublicAccessBlockConfiguration.[BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets]' --output text | tr '\t' ' ')" "public access block"
expect_eq BucketOwnerEnforced "$(aws s3api get-bucket-ownership-controls --bucket scenario-public --query 'OwnershipControls.Rules[0].ObjectOwnership' --output text)" "ownership"
expect_eq AES256 "$(aws s3api get-bucket-encryption --bucket scenario-public --query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm' --output text)" "encryption"
expect_eq FULL_CONTROL "$(aws s3api get-bucket-acl --bucket scenario-public --query 'Grants[0].Permission' --output text)" "acl"
aws s3api head-bucket --bucket scenario-public >/dev/null

step "tagging"
expect_error NoSuchTagSet aws s3api get-bucket-tagging --bucket scenario-public
aws s3api put-bucket-tagging --bucket scenario-public --tagging 'TagSet=[{Key=team,Value=web}]'
expect_eq web "$(aws s3api get-bucket-tagging --bucket scenario-public --query 'TagSet[0].Value' --output text)" "tag"

step "a public policy is blocked until the public access block is deleted"
printf 'hello, world\n' > hello.txt
aws s3 cp hello.txt s3://scenario-public/docs/hello.txt >/dev/null
aws s3 cp hello.txt s3://scenario-private/docs/hello.txt >/dev/null
cat > public.json <<'JSON'
{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::scenario-public/*"}]}
JSON
expect_error AccessDenied aws s3api put-bucket-policy --bucket scenario-public --policy file://public.json
expect_contains "$ERR" "because public policies are blocked by the BlockPublicPolicy block public access setting."
expect_error MalformedPolicy aws s3api put-bucket-policy --bucket scenario-public \
  --policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::another-bucket/*"}]}'
expect_contains "$ERR" "Policy has invalid resource"
aws s3api delete-public-access-block --bucket scenario-public
aws s3api put-bucket-policy --bucket scenario-public --policy file://public.json
expect_eq True "$(aws s3api get-bucket-policy-status --bucket scenario-public --query PolicyStatus.IsPublic --output text)" "policy status"

step "curl fetches the public object with no signature; the other bucket refuses"
expect_eq "hello, world" "$(curl -sf "$ROLECALL_ENDPOINT/scenario-public/docs/hello.txt")" "public object"
port=${ROLECALL_ENDPOINT##*:}
expect_eq "hello, world" "$(curl -sf -H "Host: scenario-public.s3.localhost:$port" "$ROLECALL_ENDPOINT/docs/hello.txt")" "public object, virtual host"
status=$(curl -s -o denied.xml -w '%{http_code}' "$ROLECALL_ENDPOINT/scenario-private/docs/hello.txt")
expect_eq 403 "$status" "private object status"
denied=$(cat denied.xml)
expect_contains "$denied" "<Code>AccessDenied</Code><Message>Access Denied</Message>"
expect_contains "$denied" "<RequestId>"
expect_contains "$denied" "<HostId>"

step "presigned URLs"
url=$(aws s3 presign s3://scenario-private/docs/hello.txt --expires-in 300)
expect_eq "hello, world" "$(curl -sf "$url")" "presigned GET"
long=$(aws s3 presign s3://scenario-private/docs/hello.txt --expires-in 604800)
expect_eq "hello, world" "$(curl -sf "$long")" "presigned for a week"

step "a bucket is deleted only when empty"
expect_error BucketNotEmpty aws s3api delete-bucket --bucket scenario-private
aws s3 rb --force s3://scenario-private >/dev/null
expect_error NoSuchBucket aws s3api get-bucket-tagging --bucket scenario-private
aws s3api delete-bucket-policy --bucket scenario-public
expect_error NoSuchBucketPolicy aws s3api get-bucket-policy --bucket scenario-public
