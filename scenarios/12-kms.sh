# AWS KMS with the AWS CLI: keys and their policies, aliases, encryption
# with encryption context, grants, and a Lambda function whose environment
# variables are encrypted with a customer managed key.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "create-key with the default key policy"
KEY=$(aws kms create-key --description app --query KeyMetadata.KeyId --output text)
KEY_ARN=arn:aws:kms:us-east-1:123456789012:key/$KEY
out=$(aws kms describe-key --key-id "$KEY")
expect_contains "$out" "\"Arn\": \"$KEY_ARN\""
expect_contains "$out" '"KeyState": "Enabled"'
expect_contains "$out" '"KeySpec": "SYMMETRIC_DEFAULT"'
out=$(aws kms get-key-policy --key-id "$KEY" --policy-name default --output text)
expect_contains "$out" '"Sid" : "Enable IAM User Permissions"'
expect_contains "$out" '"AWS" : "arn:aws:iam::123456789012:root"'
expect_error UnsupportedOperationException aws kms create-key --key-spec RSA_2048 --key-usage SIGN_VERIFY
expect_error NotFoundException aws kms describe-key --key-id 1234abcd-12ab-34cd-56ef-1234567890ab

step "aliases"
aws kms create-alias --alias-name alias/app --target-key-id "$KEY"
expect_error AlreadyExistsException aws kms create-alias --alias-name alias/app --target-key-id "$KEY"
expect_error NotAuthorizedException aws kms create-alias --alias-name alias/aws/app --target-key-id "$KEY"
out=$(aws kms list-aliases --key-id "$KEY" --query 'Aliases[].AliasName' --output text)
expect_eq "alias/app" "$out" "aliases of the key"
out=$(aws kms describe-key --key-id arn:aws:kms:us-east-1:123456789012:alias/app --query KeyMetadata.Arn --output text)
expect_eq "$KEY_ARN" "$out" "key by alias ARN"
expect_error NotFoundException aws kms describe-key --key-id alias/nope
expect_contains "$ERR" "Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found."

step "encrypt and decrypt with encryption context"
printf 'hello, kms' > plain.txt
aws kms encrypt --key-id alias/app --plaintext fileb://plain.txt --encryption-context purpose=demo \
  --query CiphertextBlob --output text | base64 -d > blob.bin
out=$(aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=demo --query Plaintext --output text | base64 -d)
expect_eq "hello, kms" "$out" "decrypted"
expect_error InvalidCiphertextException aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=other
OTHER=$(aws kms create-key --query KeyMetadata.KeyId --output text)
expect_error IncorrectKeyException aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=demo --key-id "$OTHER"
out=$(aws kms generate-data-key --key-id "$KEY" --key-spec AES_256 --query 'length(Plaintext)' --output text)
expect_eq "44" "$out" "base64 length of a 32-byte data key"

step "disable, then schedule deletion"
aws kms disable-key --key-id "$KEY"
expect_error DisabledException aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=demo
expect_contains "$ERR" "$KEY_ARN is disabled."
aws kms enable-key --key-id "$KEY"
expect_error ValidationException aws kms schedule-key-deletion --key-id "$OTHER" --pending-window-in-days 6
out=$(aws kms schedule-key-deletion --key-id "$OTHER" --pending-window-in-days 7 --query KeyState --output text)
expect_eq "PendingDeletion" "$out" "key state"
expect_error KMSInvalidStateException aws kms encrypt --key-id "$OTHER" --plaintext fileb://plain.txt
aws kms cancel-key-deletion --key-id "$OTHER" > /dev/null

step "a key policy that does not delegate: IAM alone grants nothing"
aws iam create-user --user-name keyadmin > /dev/null
aws iam put-user-policy --user-name keyadmin --policy-name all-kms --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","sts:AssumeRole"],"Resource":"*"}]}'
read -r AKEY ASECRET < <(aws iam create-access-key --user-name keyadmin --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
LOCKED='{"Version":"2012-10-17","Statement":[{"Sid":"OnlyOps","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ops"},"Action":"kms:*","Resource":"*"}]}'
expect_error MalformedPolicyDocumentException aws kms create-key --policy "$LOCKED"
expect_contains "$ERR" "The new key policy will not allow you to update the key policy in the future."
aws iam create-role --role-name ops --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}' > /dev/null
LOCKED_KEY=$(aws kms create-key --policy "$LOCKED" --bypass-policy-lockout-safety-check --query KeyMetadata.Arn --output text)
expect_error AccessDeniedException as_creds "$AKEY" "$ASECRET" "" aws kms encrypt --key-id "$LOCKED_KEY" --plaintext fileb://plain.txt
expect_contains "$ERR" "User: arn:aws:iam::123456789012:user/keyadmin is not authorized to perform: kms:Encrypt on resource: $LOCKED_KEY because no resource-based policy allows the kms:Encrypt action"
expect_error AccessDeniedException aws kms describe-key --key-id "$LOCKED_KEY"
out=$(as_creds "$AKEY" "$ASECRET" "" aws kms encrypt --key-id "$KEY" --plaintext fileb://plain.txt --query KeyId --output text)
expect_eq "$KEY_ARN" "$out" "keyadmin on a key that delegates to IAM"

step "a grant lets a role with no permissions decrypt, under its constraints"
read -r RKEY RSECRET RTOKEN < <(as_creds "$AKEY" "$ASECRET" "" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/ops --role-session-name grantee \
  --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
expect_error AccessDeniedException as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=demo
read -r GRANT_ID GRANT_TOKEN < <(aws kms create-grant --key-id "$KEY" --grantee-principal arn:aws:iam::123456789012:role/ops \
  --retiring-principal arn:aws:iam::123456789012:user/keyadmin --operations Decrypt --constraints EncryptionContextSubset={purpose=demo} \
  --name ops-decrypt --query '[GrantId,GrantToken]' --output text)
out=$(as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=demo \
  --grant-tokens "$GRANT_TOKEN" --query Plaintext --output text | base64 -d)
expect_eq "hello, kms" "$out" "decrypted through the grant"
expect_error AccessDeniedException as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws kms encrypt --key-id "$KEY" --plaintext fileb://plain.txt
out=$(aws kms list-grants --key-id "$KEY" --query 'Grants[].[GrantId,Name,GranteePrincipal]' --output text)
expect_eq "$GRANT_ID"$'\tops-decrypt\tarn:aws:iam::123456789012:role/ops' "$out" "grants"
as_creds "$AKEY" "$ASECRET" "" aws kms retire-grant --grant-token "$GRANT_TOKEN"
expect_error AccessDeniedException as_creds "$RKEY" "$RSECRET" "$RTOKEN" aws kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=demo

step "a function whose environment variables are encrypted with the key"
aws iam create-role --role-name kms-fn-role --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' > /dev/null
aws iam attach-role-policy --role-name kms-fn-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
cat > handler.py <<'PY'
import os

def handler(event, context):
    return {"SECRET": os.environ.get("SECRET", "")}
PY
python3 -m zipfile -c function.zip handler.py
out=$(aws lambda create-function --function-name kms-fn --runtime python3.12 --handler handler.handler \
  --role arn:aws:iam::123456789012:role/kms-fn-role --zip-file fileb://function.zip \
  --environment 'Variables={SECRET=s3cr3t}' --kms-key-arn "$KEY_ARN")
expect_contains "$out" "\"KMSKeyArn\": \"$KEY_ARN\""
aws lambda wait function-active-v2 --function-name kms-fn
out=$(aws kms list-grants --key-id "$KEY" --query 'Grants[].[GranteePrincipal,Operations[0],Constraints.EncryptionContextEquals."aws:lambda:FunctionArn"]' --output text)
expect_eq $'arn:aws:iam::123456789012:role/kms-fn-role\tDecrypt\tarn:aws:lambda:us-east-1:123456789012:function:kms-fn' "$out" "Lambda's grant"
aws lambda invoke --function-name kms-fn out.json > /dev/null
expect_eq '{"SECRET": "s3cr3t"}' "$(cat out.json)" "the function's variables"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=Decrypt --query 'Events[].CloudTrailEvent' --output text)
expect_contains "$out" '"arn":"arn:aws:sts::123456789012:assumed-role/kms-fn-role/kms-fn"' "Decrypt made as the role"
expect_contains "$out" '"invokedBy":"lambda.amazonaws.com"' "Decrypt made through Lambda"

step "the role created again: the grant names the old role, the function cannot start"
aws lambda create-function --function-name kms-fn-2 --runtime python3.12 --handler handler.handler \
  --role arn:aws:iam::123456789012:role/kms-fn-role --zip-file fileb://function.zip \
  --environment 'Variables={SECRET=s3cr3t}' --kms-key-arn "$KEY_ARN" > /dev/null
aws lambda wait function-active-v2 --function-name kms-fn-2
aws iam detach-role-policy --role-name kms-fn-role --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam delete-role --role-name kms-fn-role
aws iam create-role --role-name kms-fn-role --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' > /dev/null
expect_error KMSAccessDeniedException aws lambda invoke --function-name kms-fn-2 out.json
expect_contains "$ERR" "Lambda was unable to decrypt the environment variables because KMS access was denied."

step "a user who may not use the key cannot set it on a function"
aws iam create-user --user-name fndev > /dev/null
aws iam put-user-policy --user-name fndev --policy-name lambda --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:*","iam:PassRole"],"Resource":"*"}]}'
read -r DKEY DSECRET < <(aws iam create-access-key --user-name fndev --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
expect_error KMSAccessDeniedException as_creds "$DKEY" "$DSECRET" "" aws lambda create-function --function-name kms-fn-3 --runtime python3.12 \
  --handler handler.handler --role arn:aws:iam::123456789012:role/kms-fn-role --zip-file fileb://function.zip \
  --environment 'Variables={SECRET=s3cr3t}' --kms-key-arn "$KEY_ARN"
expect_contains "$ERR" "is not authorized to perform: kms:GenerateDataKey"
