# An organization as the AWS CLI meets it: the management account makes a
# member account, reaches it through OrganizationAccountAccessRole, and
# governs it with service control policies.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "the default account makes an organization and becomes its management account"
org=$(aws organizations create-organization --feature-set ALL --query Organization.Id --output text)
expect_contains "$org" "o-"
expect_error AlreadyInOrganizationException aws organizations create-organization
root=$(aws organizations list-roots --query 'Roots[0].Id' --output text)
expect_contains "$root" "r-"
aws organizations enable-policy-type --root-id "$root" --policy-type SERVICE_CONTROL_POLICY > /dev/null
out=$(aws organizations list-roots --query 'Roots[0].PolicyTypes[0].[Type,Status]' --output text)
expect_eq "SERVICE_CONTROL_POLICY	ENABLED" "$out" "root policy types"

step "a member account, made asynchronously"
car=$(aws organizations create-account --email dev@example.com --account-name dev --query CreateAccountStatus.Id --output text)
read -r state member < <(aws organizations describe-create-account-status --create-account-request-id "$car" --query 'CreateAccountStatus.[State,AccountId]' --output text)
expect_eq SUCCEEDED "$state" "create-account status"
[[ "$member" =~ ^[0-9]{12}$ ]] || fail "account id [$member]"
out=$(aws organizations list-accounts --query 'length(Accounts)' --output text)
expect_eq 2 "$out" "accounts"
out=$(aws organizations list-policies-for-target --target-id "$member" --filter SERVICE_CONTROL_POLICY --query 'Policies[].Name' --output text)
expect_eq FullAWSAccess "$out" "the new account's SCPs"

step "an admin user of the management account reaches the member through OrganizationAccountAccessRole"
aws iam create-user --user-name ops > /dev/null
aws iam attach-user-policy --user-name ops --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
read -r KEY SECRET < <(aws iam create-access-key --user-name ops --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
expect_error AccessDenied aws sts assume-role --role-arn "arn:aws:iam::$member:role/OrganizationAccountAccessRole" --role-session-name root
expect_contains "$ERR" "Roles may not be assumed by root accounts."
read -r MKEY MSECRET MTOKEN < <(as_creds "$KEY" "$SECRET" "" aws sts assume-role --role-arn "arn:aws:iam::$member:role/OrganizationAccountAccessRole" --role-session-name ops --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
out=$(as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws sts get-caller-identity --query Arn --output text)
expect_eq "arn:aws:sts::$member:assumed-role/OrganizationAccountAccessRole/ops" "$out" "member session"
out=$(as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws iam list-attached-role-policies --role-name OrganizationAccountAccessRole --query 'AttachedPolicies[].PolicyName' --output text)
expect_eq AdministratorAccess "$out" "the access role's policies"
expect_error AccessDeniedException as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws organizations list-accounts

step "OUs, and an SCP attached to one"
ou=$(aws organizations create-organizational-unit --parent-id "$root" --name workloads --query OrganizationalUnit.Id --output text)
aws organizations move-account --account-id "$member" --source-parent-id "$root" --destination-parent-id "$ou"
out=$(aws organizations list-parents --child-id "$member" --query 'Parents[0].[Id,Type]' --output text)
expect_eq "$ou	ORGANIZATIONAL_UNIT" "$out" "the member's parent"
cat > deny-iam-users.json <<'JSON'
{"Version":"2012-10-17","Statement":[{"Sid":"NoUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}
JSON
pol=$(aws organizations create-policy --name no-users --description "no IAM users" --type SERVICE_CONTROL_POLICY --content file://deny-iam-users.json --query Policy.PolicySummary.Id --output text)
expect_error MalformedPolicyDocumentException aws organizations create-policy --name bad --description d --type SERVICE_CONTROL_POLICY --content '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
aws organizations attach-policy --policy-id "$pol" --target-id "$ou"
expect_error DuplicatePolicyAttachmentException aws organizations attach-policy --policy-id "$pol" --target-id "$ou"
out=$(aws organizations list-targets-for-policy --policy-id "$pol" --query 'Targets[].[TargetId,Type]' --output text)
expect_eq "$ou	ORGANIZATIONAL_UNIT" "$out" "the SCP's targets"
expect_error PolicyInUseException aws organizations delete-policy --policy-id "$pol"

step "the SCP governs the member account's principals, whatever their own policies allow"
expect_error AccessDenied as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws iam create-user --user-name intern
expect_contains "$ERR" "is not authorized to perform: iam:CreateUser"
expect_contains "$ERR" "with an explicit deny in a service control policy"
as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws iam list-roles > /dev/null

step "and never the management account, even attached to the root"
aws organizations attach-policy --policy-id "$pol" --target-id "$root"
as_creds "$KEY" "$SECRET" "" aws iam create-user --user-name intern > /dev/null
aws organizations detach-policy --policy-id "$pol" --target-id "$root"

step "every level must allow: an OU that allows only IAM reads"
cat > iam-reads.json <<'JSON'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"}]}
JSON
reads=$(aws organizations create-policy --name iam-reads --description "IAM reads" --type SERVICE_CONTROL_POLICY --content file://iam-reads.json --query Policy.PolicySummary.Id --output text)
aws organizations attach-policy --policy-id "$reads" --target-id "$ou"
aws organizations detach-policy --policy-id p-FullAWSAccess --target-id "$ou"
aws organizations detach-policy --policy-id "$pol" --target-id "$ou"
expect_error ConstraintViolationException aws organizations detach-policy --policy-id "$reads" --target-id "$ou"
as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws iam list-roles > /dev/null
expect_error AccessDenied as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws iam create-user --user-name intern
expect_contains "$ERR" "because no service control policy allows the iam:CreateUser action"

step "removed from the organization, the account is standalone"
aws organizations attach-policy --policy-id p-FullAWSAccess --target-id "$ou"
aws organizations remove-account-from-organization --account-id "$member"
as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws iam create-user --user-name intern > /dev/null
expect_error AWSOrganizationsNotInUseException as_creds "$MKEY" "$MSECRET" "$MTOKEN" aws organizations describe-organization
out=$(aws organizations list-accounts --query 'length(Accounts)' --output text)
expect_eq 1 "$out" "accounts left"

step "every AWS managed policy exists, and list-policies pages through them"
n=$(aws iam list-policies --scope AWS --query 'length(Policies)' --output json)
[ "$n" -ge 1400 ] || fail "AWS managed policies listed: $n"
out=$(aws iam list-policies --scope AWS --max-items 5 --query 'length(Policies)' --output json)
expect_eq 5 "$out" "one page of five"
out=$(aws iam get-policy --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole --query Policy.IsAttachable --output text)
expect_eq True "$out" "AWSLambdaMSKExecutionRole"
