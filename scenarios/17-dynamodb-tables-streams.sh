# DynamoDB tables and DynamoDB Streams with the AWS CLI: a table with a
# stream, the waiters, a global secondary index added to a table with
# items, the stream's records read with dynamodbstreams, Time to Live
# settings, tags, and a table policy that grants a role on its own.
# (AWS CLI 2.9 predates resource policies and deletion protection: boto3
# calls those.)
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

# boto_ddb OPERATION JSON: call a DynamoDB operation with boto3 and print
# its answer as JSON.
boto_ddb() {
  python3 -c 'import boto3, json, os, sys
c = boto3.client("dynamodb", endpoint_url=os.environ["ROLECALL_ENDPOINT"], region_name="us-east-1")
out = getattr(c, sys.argv[1])(**json.loads(sys.argv[2]))
out.pop("ResponseMetadata", None)
print(json.dumps(out, default=str))' "$@"
}

step "create-table with a stream, and wait for it"
aws dynamodb create-table --table-name Music \
  --attribute-definitions AttributeName=Artist,AttributeType=S AttributeName=Song,AttributeType=S \
  --key-schema AttributeName=Artist,KeyType=HASH AttributeName=Song,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST \
  --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES \
  --tags Key=team,Value=audio > create.json
expect_contains "$(cat create.json)" '"TableStatus": "CREATING"'
aws dynamodb wait table-exists --table-name Music
out=$(aws dynamodb describe-table --table-name Music --query 'Table.[TableStatus,BillingModeSummary.BillingMode,StreamSpecification.StreamViewType]' --output text)
expect_eq "ACTIVE	PAY_PER_REQUEST	NEW_AND_OLD_IMAGES" "$out" "table status, billing, view type"
STREAM=$(aws dynamodb describe-table --table-name Music --query Table.LatestStreamArn --output text)
expect_contains "$STREAM" "arn:aws:dynamodb:us-east-1:123456789012:table/Music/stream/"
expect_error ResourceInUseException aws dynamodb create-table --table-name Music \
  --attribute-definitions AttributeName=Artist,AttributeType=S --key-schema AttributeName=Artist,KeyType=HASH --billing-mode PAY_PER_REQUEST
expect_contains "$ERR" "Table already exists: Music"
expect_error ValidationException aws dynamodb create-table --table-name Bad \
  --attribute-definitions AttributeName=y,AttributeType=S --key-schema AttributeName=x,KeyType=HASH --billing-mode PAY_PER_REQUEST
expect_contains "$ERR" "Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]"
out=$(aws dynamodb list-tables --query 'TableNames' --output text)
expect_eq "Music" "$out" "tables"

step "items, then a global secondary index backfilled from them"
aws dynamodb put-item --table-name Music --item '{"Artist":{"S":"Acme Band"},"Song":{"S":"Happy Day"},"Genre":{"S":"Pop"}}'
aws dynamodb put-item --table-name Music --item '{"Artist":{"S":"Acme Band"},"Song":{"S":"Happy Day"},"Genre":{"S":"Rock"}}'
aws dynamodb put-item --table-name Music --item '{"Artist":{"S":"No One"},"Song":{"S":"Quiet"},"Genre":{"S":"Rock"}}'
aws dynamodb delete-item --table-name Music --key '{"Artist":{"S":"No One"},"Song":{"S":"Quiet"}}'
aws dynamodb update-table --table-name Music --attribute-definitions AttributeName=Genre,AttributeType=S \
  --global-secondary-index-updates '[{"Create":{"IndexName":"by-genre","KeySchema":[{"AttributeName":"Genre","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]' > /dev/null
for _ in $(seq 1 100); do
  status=$(aws dynamodb describe-table --table-name Music --query 'Table.GlobalSecondaryIndexes[0].IndexStatus' --output text)
  [ "$status" = ACTIVE ] && break
  sleep 0.1
done
expect_eq "ACTIVE" "$status" "index status"
out=$(aws dynamodb query --table-name Music --index-name by-genre --key-condition-expression 'Genre = :g' \
  --expression-attribute-values '{":g":{"S":"Rock"}}' --query 'Items[].Song.S' --output text)
expect_eq "Happy Day" "$out" "songs by genre"

step "the stream's records, with dynamodbstreams"
out=$(aws dynamodbstreams list-streams --table-name Music --query 'Streams[].StreamArn' --output text)
expect_eq "$STREAM" "$out" "streams of the table"
SHARD=$(aws dynamodbstreams describe-stream --stream-arn "$STREAM" --query 'StreamDescription.Shards[0].ShardId' --output text)
out=$(aws dynamodbstreams describe-stream --stream-arn "$STREAM" --query 'StreamDescription.StreamStatus' --output text)
expect_eq "ENABLED" "$out" "stream status"
IT=$(aws dynamodbstreams get-shard-iterator --stream-arn "$STREAM" --shard-id "$SHARD" --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
aws dynamodbstreams get-records --shard-iterator "$IT" > records.json
out=$(jq -r '[.Records[].eventName] | join(",")' records.json)
expect_eq "INSERT,MODIFY,INSERT,REMOVE" "$out" "event names in commit order"
out=$(jq -r '.Records[1].dynamodb | [.OldImage.Genre.S, .NewImage.Genre.S] | join(">")' records.json)
expect_eq "Pop>Rock" "$out" "old and new images"
expect_error ValidationException aws dynamodb update-table --table-name Music --stream-specification StreamEnabled=true,StreamViewType=KEYS_ONLY
expect_contains "$ERR" "Table already has an enabled stream: TableName: Music"

step "Time to Live and tags"
aws dynamodb update-time-to-live --table-name Music --time-to-live-specification Enabled=true,AttributeName=expires > /dev/null
out=$(aws dynamodb describe-time-to-live --table-name Music --query 'TimeToLiveDescription.[TimeToLiveStatus,AttributeName]' --output text)
expect_eq "ENABLED	expires" "$out" "TTL"
expect_error ValidationException aws dynamodb update-time-to-live --table-name Music --time-to-live-specification Enabled=true,AttributeName=expires
expect_contains "$ERR" "TimeToLive is already enabled"
TABLE=arn:aws:dynamodb:us-east-1:123456789012:table/Music
aws dynamodb tag-resource --resource-arn "$TABLE" --tags Key=stage,Value=prod
out=$(aws dynamodb list-tags-of-resource --resource-arn "$TABLE" --query 'Tags[].Key' --output text)
expect_eq "stage	team" "$out" "tags"

step "a table policy grants a role that has no policy of its own"
aws iam create-user --user-name dj > /dev/null
aws iam put-user-policy --user-name dj --policy-name assume --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
read -r UKEY USECRET < <(aws iam create-access-key --user-name dj --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
aws iam create-role --role-name player --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dj"},"Action":"sts:AssumeRole"}]}' > /dev/null
read -r RKEY RSECRET RTOKEN < <(as_creds "$UKEY" "$USECRET" "" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/player \
  --role-session-name play --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
KEY='{"Artist":{"S":"Acme Band"},"Song":{"S":"Happy Day"}}'
expect_error AccessDeniedException as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws dynamodb get-item --table-name Music --key "$KEY"
POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/player"},"Action":"dynamodb:GetItem","Resource":"'"$TABLE"'"}]}'
REV=$(boto_ddb put_resource_policy "$(jq -n --arg arn "$TABLE" --arg p "$POLICY" '{ResourceArn: $arn, Policy: $p}')" | jq -r .RevisionId)
out=$(as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws dynamodb get-item --table-name Music --key "$KEY" --query Item.Genre.S --output text)
expect_eq "Rock" "$out" "item read by the role"
expect_error AccessDeniedException as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws dynamodb describe-table --table-name Music
out=$(boto_ddb get_resource_policy '{"ResourceArn":"'"$TABLE"'"}' | jq -r .RevisionId)
expect_eq "$REV" "$out" "policy revision"
boto_ddb delete_resource_policy '{"ResourceArn":"'"$TABLE"'","ExpectedRevisionId":"'"$REV"'"}' > /dev/null
expect_error PolicyNotFoundException boto_ddb get_resource_policy '{"ResourceArn":"'"$TABLE"'"}'

step "deletion protection, then delete-table"
boto_ddb update_table '{"TableName":"Music","DeletionProtectionEnabled":true}' > /dev/null
expect_error ValidationException aws dynamodb delete-table --table-name Music
expect_contains "$ERR" "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
boto_ddb update_table '{"TableName":"Music","DeletionProtectionEnabled":false}' > /dev/null
aws dynamodb delete-table --table-name Music > /dev/null
aws dynamodb wait table-not-exists --table-name Music
out=$(aws dynamodbstreams describe-stream --stream-arn "$STREAM" --query 'StreamDescription.StreamStatus' --output text)
expect_eq "DISABLED" "$out" "stream of a deleted table"
