# Amazon Kinesis Data Streams with the AWS CLI: a stream and its shards,
# records routed by partition key, the consumer loop (shard iterators and
# GetRecords), retention, tags, a resource policy that lets another user
# write, and enhanced fan-out consumers.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "create-stream and wait for it"
aws kinesis create-stream --stream-name clicks --shard-count 2
aws kinesis wait stream-exists --stream-name clicks
STREAM_ARN=arn:aws:kinesis:us-east-1:123456789012:stream/clicks
out=$(aws kinesis describe-stream --stream-name clicks --query 'StreamDescription.[StreamStatus,StreamARN,length(Shards)]' --output text)
expect_eq "ACTIVE	$STREAM_ARN	2" "$out" "stream"
out=$(aws kinesis list-shards --stream-name clicks --query 'Shards[1].HashKeyRange.StartingHashKey' --output text)
expect_eq "170141183460469231731687303715884105728" "$out" "second shard's first hash key"
expect_error ResourceInUseException aws kinesis create-stream --stream-name clicks --shard-count 1
expect_error ValidationException aws kinesis create-stream --stream-name 'no spaces' --shard-count 1
expect_error ResourceNotFoundException aws kinesis describe-stream --stream-name nope
expect_contains "$ERR" "Stream nope under account 123456789012 not found."

step "put-record and put-records"
SEQ=$(aws kinesis put-record --stream-name clicks --partition-key user-1 --data hello --cli-binary-format raw-in-base64-out --query SequenceNumber --output text)
expect_eq 56 "${#SEQ}" "sequence number digits"
out=$(aws kinesis put-records --stream-name clicks --cli-binary-format raw-in-base64-out \
  --records Data=one,PartitionKey=user-1 Data=two,PartitionKey=user-1 Data=three,PartitionKey=user-2 \
  --query '[FailedRecordCount,length(Records)]' --output text)
expect_eq "0	3" "$out" "put-records"

step "the consumer loop: get-shard-iterator and get-records"
SHARD=$(aws kinesis put-record --stream-name clicks --partition-key user-1 --data four --cli-binary-format raw-in-base64-out --query ShardId --output text)
IT=$(aws kinesis get-shard-iterator --stream-name clicks --shard-id "$SHARD" --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
got=""
for _ in 1 2 3 4 5; do
  read -r NEXT BEHIND < <(aws kinesis get-records --shard-iterator "$IT" --limit 2 --query '[NextShardIterator,MillisBehindLatest]' --output text)
  for d in $(aws kinesis get-records --shard-iterator "$IT" --limit 2 --query 'Records[?PartitionKey==`user-1`].Data' --output text); do
    got="$got $(printf %s "$d" | base64 -d)"
  done
  IT=$NEXT
  [ "$BEHIND" = 0 ] && break
done
expect_eq " hello one two four" "$got" "user-1's records in order"
IT=$(aws kinesis get-shard-iterator --stream-name clicks --shard-id "$SHARD" --shard-iterator-type AFTER_SEQUENCE_NUMBER --starting-sequence-number "$SEQ" --query ShardIterator --output text)
out=$(aws kinesis get-records --shard-iterator "$IT" --query 'Records[0].Data' --output text | base64 -d)
expect_eq "one" "$out" "the record after the first"
expect_error InvalidArgumentException aws kinesis get-records --shard-iterator AAAA
expect_error InvalidArgumentException aws kinesis get-shard-iterator --stream-name clicks --shard-id "$SHARD" --shard-iterator-type AT_SEQUENCE_NUMBER

step "retention and tags"
aws kinesis increase-stream-retention-period --stream-name clicks --retention-period-hours 48
expect_error InvalidArgumentException aws kinesis decrease-stream-retention-period --stream-name clicks --retention-period-hours 12
expect_contains "$ERR" "Minimum allowed retention period is 24 hours."
aws kinesis add-tags-to-stream --stream-name clicks --tags team=web
out=$(aws kinesis list-tags-for-stream --stream-name clicks --query 'Tags[0].[Key,Value]' --output text)
expect_eq "team	web" "$out" "tags"

step "a resource policy lets another user write"
aws iam create-user --user-name producer > /dev/null
read -r PKEY PSECRET < <(aws iam create-access-key --user-name producer --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
expect_error AccessDeniedException as_creds "$PKEY" "$PSECRET" "" aws kinesis put-record --stream-name clicks --partition-key p --data x --cli-binary-format raw-in-base64-out
expect_contains "$ERR" "User: arn:aws:iam::123456789012:user/producer is not authorized to perform: kinesis:PutRecord on resource: $STREAM_ARN"
# CLI 2.9 predates the resource-policy commands: boto3 sets the policy.
python3 - <<PY
import boto3
k = boto3.client("kinesis", endpoint_url="$ROLECALL_ENDPOINT", region_name="us-east-1")
arn = "$STREAM_ARN"
k.put_resource_policy(ResourceARN=arn, Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/producer"},"Action":["kinesis:PutRecord","kinesis:DescribeStreamSummary"],"Resource":"%s"}]}' % arn)
assert "user/producer" in k.get_resource_policy(ResourceARN=arn)["Policy"]
PY
for _ in 1 2 3 4 5 6 7 8 9 10; do
  as_creds "$PKEY" "$PSECRET" "" aws kinesis describe-stream-summary --stream-name clicks > /dev/null 2>&1 && break
  sleep 1 # the new access key reaches the caches
done
out=$(as_creds "$PKEY" "$PSECRET" "" aws kinesis put-record --stream-name clicks --partition-key p --data x --cli-binary-format raw-in-base64-out --query ShardId --output text)
expect_contains "$out" "shardId-" "producer's put-record"

step "enhanced fan-out consumers"
CONSUMER_ARN=$(aws kinesis register-stream-consumer --stream-arn "$STREAM_ARN" --consumer-name app --query Consumer.ConsumerARN --output text)
expect_contains "$CONSUMER_ARN" "$STREAM_ARN/consumer/app:"
out=$(aws kinesis describe-stream-consumer --consumer-arn "$CONSUMER_ARN" --query ConsumerDescription.ConsumerStatus --output text)
expect_eq "ACTIVE" "$out" "consumer status"
out=$(aws kinesis list-stream-consumers --stream-arn "$STREAM_ARN" --query 'Consumers[].ConsumerName' --output text)
expect_eq "app" "$out" "consumers"
expect_error ResourceInUseException aws kinesis delete-stream --stream-name clicks
aws kinesis deregister-stream-consumer --consumer-arn "$CONSUMER_ARN"

step "delete-stream"
aws kinesis delete-stream --stream-name clicks
aws kinesis wait stream-not-exists --stream-name clicks
out=$(aws kinesis list-streams --query 'length(StreamNames)' --output text)
expect_eq "0" "$out" "streams left"
