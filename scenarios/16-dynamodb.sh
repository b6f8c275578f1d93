# Amazon DynamoDB items with the AWS CLI: put, get, update and delete with
# expressions, queries with begins_with and BETWEEN, a parallel scan,
# batch writes, a transaction cancelled by its condition, and a user
# confined to their own partition by dynamodb:LeadingKeys.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "create-table with a partition and a sort key"
aws dynamodb create-table --table-name Music \
  --attribute-definitions AttributeName=Artist,AttributeType=S AttributeName=SongTitle,AttributeType=S \
  --key-schema AttributeName=Artist,KeyType=HASH AttributeName=SongTitle,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST > /dev/null
aws dynamodb wait table-exists --table-name Music

step "put-item, get-item, update-item and delete-item with expressions"
aws dynamodb put-item --table-name Music \
  --item '{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"},"Year":{"N":"2015"},"Plays":{"N":"0"}}' \
  --condition-expression 'attribute_not_exists(Artist)'
expect_error ConditionalCheckFailedException aws dynamodb put-item --table-name Music \
  --item '{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"}}' --condition-expression 'attribute_not_exists(Artist)'
expect_contains "$ERR" "The conditional request failed"
out=$(aws dynamodb update-item --table-name Music --key '{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"}}' \
  --update-expression 'SET Plays = Plays + :one, Genres = list_append(if_not_exists(Genres, :empty), :g) REMOVE #y' \
  --expression-attribute-names '{"#y":"Year"}' \
  --expression-attribute-values '{":one":{"N":"1"},":empty":{"L":[]},":g":{"L":[{"S":"Country"}]}}' \
  --return-values ALL_NEW --query 'Attributes.[Plays.N, Genres.L[0].S, Year]' --output text)
expect_eq "1	Country	None" "$out" "updated item"
out=$(aws dynamodb get-item --table-name Music --key '{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"}}' \
  --projection-expression Plays --consistent-read --query 'Item' --output json)
expect_contains "$out" '"Plays"'
expect_not_contains "$out" '"Genres"'
expect_error ValidationException aws dynamodb update-item --table-name Music --key '{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"}}' \
  --update-expression 'SET Artist = :a' --expression-attribute-values '{":a":{"S":"x"}}'
expect_contains "$ERR" "Cannot update attribute Artist. This attribute is part of the key"
expect_error ValidationException aws dynamodb get-item --table-name Music --key '{"Artist":{"S":"No One You Know"}}'
expect_contains "$ERR" "The provided key element does not match the schema"

step "batch-write-item, then query with begins_with and BETWEEN"
cat > batch.json <<'EOF'
{"Music": [
  {"PutRequest": {"Item": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}, "Year": {"N": "2001"}}}},
  {"PutRequest": {"Item": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Night"}, "Year": {"N": "2003"}}}},
  {"PutRequest": {"Item": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "PartiQL Rocks"}, "Year": {"N": "2010"}}}},
  {"PutRequest": {"Item": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Zebra"}, "Year": {"N": "2020"}}}}
]}
EOF
out=$(aws dynamodb batch-write-item --request-items file://batch.json --query 'length(UnprocessedItems)' --output text)
expect_eq "0" "$out" "unprocessed items"
out=$(aws dynamodb query --table-name Music --key-condition-expression 'Artist = :a AND begins_with(SongTitle, :p)' \
  --expression-attribute-values '{":a":{"S":"Acme Band"},":p":{"S":"Happy"}}' --query 'Items[].SongTitle.S' --output text)
expect_eq "Happy Day	Happy Night" "$out" "begins_with"
out=$(aws dynamodb query --table-name Music --key-condition-expression 'Artist = :a AND SongTitle BETWEEN :lo AND :hi' \
  --filter-expression '#y > :y' --expression-attribute-names '{"#y":"Year"}' \
  --expression-attribute-values '{":a":{"S":"Acme Band"},":lo":{"S":"H"},":hi":{"S":"Q"},":y":{"N":"2002"}}' \
  --no-scan-index-forward --query '[Count, ScannedCount, Items[].SongTitle.S]' --output text)
expect_eq "2	3
PartiQL Rocks	Happy Night" "$out" "BETWEEN, descending, filtered"
out=$(aws dynamodb query --table-name Music --key-condition-expression 'Artist = :a' \
  --expression-attribute-values '{":a":{"S":"Acme Band"}}' --max-items 3 --query 'Items[].SongTitle.S' --output text)
expect_contains "$out" "PartiQL Rocks"

step "a parallel scan in two segments sees every item once"
a=$(aws dynamodb scan --table-name Music --segment 0 --total-segments 2 --select COUNT --query Count --output text)
b=$(aws dynamodb scan --table-name Music --segment 1 --total-segments 2 --select COUNT --query Count --output text)
expect_eq "5" "$((a + b))" "items in both segments"

step "transact-write-items cancelled by a failing condition"
cat > tx.json <<'EOF'
[
  {"Update": {"TableName": "Music", "Key": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Zebra"}},
              "UpdateExpression": "SET Plays = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}}},
  {"ConditionCheck": {"TableName": "Music", "Key": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}},
                      "ConditionExpression": "#y > :y", "ExpressionAttributeNames": {"#y": "Year"},
                      "ExpressionAttributeValues": {":y": {"N": "2100"}}}}
]
EOF
expect_error TransactionCanceledException aws dynamodb transact-write-items --transact-items file://tx.json
expect_contains "$ERR" "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"
out=$(aws dynamodb get-item --table-name Music --key '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Zebra"}}' --query 'Item.Plays' --output text)
expect_eq "None" "$out" "the cancelled update did not land"
sed -i 's/2100/1900/' tx.json
aws dynamodb transact-write-items --transact-items file://tx.json
out=$(aws dynamodb get-item --table-name Music --key '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Zebra"}}' --query 'Item.Plays.N' --output text)
expect_eq "1" "$out" "the committed update"
aws dynamodb delete-item --table-name Music --key '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Zebra"}}' \
  --condition-expression 'Plays = :p' --expression-attribute-values '{":p":{"N":"1"}}'

step "a user confined to their own partition by dynamodb:LeadingKeys"
aws iam create-user --user-name player > /dev/null
PLAYER_ID=$(aws iam get-user --user-name player --query User.UserId --output text)
aws iam put-user-policy --user-name player --policy-name own-items --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:*:*:table/Music",
  "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]}}}]}'
read -r PKEY PSECRET < <(aws iam create-access-key --user-name player --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
as_creds "$PKEY" "$PSECRET" "" aws dynamodb put-item --table-name Music --item "{\"Artist\":{\"S\":\"$PLAYER_ID\"},\"SongTitle\":{\"S\":\"Mine\"}}"
out=$(as_creds "$PKEY" "$PSECRET" "" aws dynamodb query --table-name Music --key-condition-expression 'Artist = :a' \
  --expression-attribute-values "{\":a\":{\"S\":\"$PLAYER_ID\"}}" --query Count --output text)
expect_eq "1" "$out" "own partition"
expect_error AccessDeniedException as_creds "$PKEY" "$PSECRET" "" aws dynamodb get-item --table-name Music \
  --key '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}'
expect_contains "$ERR" "User: arn:aws:iam::123456789012:user/player is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Music"
