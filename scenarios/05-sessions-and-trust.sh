# The rules of each kind of temporary credentials, and trust policies that
# name the users and roles they trust, as the AWS CLI meets them.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "a user, and a role that trusts the account for up to 12 hours"
aws iam create-user --user-name ops > /dev/null
aws iam put-user-policy --user-name ops --policy-name p --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","iam:*"],"Resource":"*"}]}'
read -r KEY SECRET < <(aws iam create-access-key --user-name ops --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
aws iam create-role --role-name long --max-session-duration 43200 --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}' > /dev/null
out=$(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/long --role-session-name two-hours --duration-seconds 7200 --query AssumedRoleUser.Arn --output text)
expect_eq "arn:aws:sts::123456789012:assumed-role/long/two-hours" "$out" "two hours with the user's key"

step "GetSessionToken credentials: a chain of one hour, no IAM without MFA"
read -r SKEY SSECRET STOKEN < <(as_creds "$KEY" "$SECRET" "" aws sts get-session-token --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
expect_error ValidationError as_creds "$SKEY" "$SSECRET" "$STOKEN" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/long --role-session-name s1 --duration-seconds 7200
expect_contains "$ERR" "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
out=$(as_creds "$SKEY" "$SSECRET" "$STOKEN" aws sts assume-role --role-arn arn:aws:iam::123456789012:role/long --role-session-name s1 --duration-seconds 3600 --query AssumedRoleUser.Arn --output text)
expect_eq "arn:aws:sts::123456789012:assumed-role/long/s1" "$out" "one hour"
expect_error InvalidClientTokenId as_creds "$SKEY" "$SSECRET" "$STOKEN" aws iam list-roles
expect_contains "$ERR" "The security token included in the request is invalid"
expect_error AccessDenied as_creds "$SKEY" "$SSECRET" "$STOKEN" aws sts get-session-token
expect_contains "$ERR" "Cannot call GetSessionToken with session credentials"
out=$(as_creds "$SKEY" "$SSECRET" "$STOKEN" aws sts get-caller-identity --query Arn --output text)
expect_eq "arn:aws:iam::123456789012:user/ops" "$out" "GetSessionToken caller"

step "the root user assumes no role"
expect_error AccessDenied aws sts assume-role --role-arn arn:aws:iam::123456789012:role/long --role-session-name r1
expect_contains "$ERR" "Roles may not be assumed by root accounts."

step "a trust policy names principals that exist"
expect_error MalformedPolicyDocument aws iam create-role --role-name t --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/no-such-role"},"Action":"sts:AssumeRole"}]}'
expect_contains "$ERR" 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/no-such-role"'
expect_error MalformedPolicyDocument aws iam update-assume-role-policy --role-name long --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/no-such-user"},"Action":"sts:AssumeRole"}]}'
expect_contains "$ERR" 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/no-such-user"'

step "and keeps them by unique ID"
aws iam create-role --role-name t --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/long"},"Action":"sts:AssumeRole"}]}' > /dev/null
id=$(aws iam get-role --role-name long --query Role.RoleId --output text)
aws iam delete-role --role-name long
out=$(aws iam get-role --role-name t --query 'Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS' --output text)
expect_eq "$id" "$out" "principal of a deleted role"
aws iam create-role --role-name long --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}' > /dev/null
out=$(aws iam get-role --role-name t --query 'Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS' --output text)
expect_eq "$id" "$out" "principal after the role is made again"
