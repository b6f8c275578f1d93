# A minimal EC2 for VPCs: a VPC, its subnet and security group, a function
# connected to it (its role must allow the ENI actions), and a VPC endpoint
# whose policy and whose aws:SourceVpc / aws:SourceVpce keys decide what the
# function may do.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
cd "$work"

step "create-vpc with a tag, and the refusals of bad blocks"
vpc=$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications 'ResourceType=vpc,Tags=[{Key=Name,Value=functions}]' --query Vpc.VpcId --output text)
expect_contains "$vpc" "vpc-"
expect_eq 21 "${#vpc}" "VPC ID length"
expect_error InvalidVpc.Range aws ec2 create-vpc --cidr-block 10.0.0.0/8
expect_contains "$ERR" "The CIDR '10.0.0.0/8' is invalid."
expect_eq "$vpc" "$(aws ec2 describe-vpcs --filters Name=tag:Name,Values=functions --query 'Vpcs[0].VpcId' --output text)" "describe-vpcs by tag"
expect_eq "10.0.0.0/16" "$(aws ec2 describe-vpcs --vpc-ids "$vpc" --query 'Vpcs[0].CidrBlock' --output text)" "describe-vpcs by ID"
expect_error InvalidVpcID.NotFound aws ec2 describe-vpcs --vpc-ids vpc-0123456789abcdef0

step "a subnet inside the VPC, and one that overlaps it"
subnet=$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --availability-zone us-east-1a --query Subnet.SubnetId --output text)
expect_contains "$subnet" "subnet-"
expect_error InvalidSubnet.Conflict aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/25
expect_error InvalidSubnet.Range aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 192.168.0.0/24
expect_eq "us-east-1a us-east-1b us-east-1c" "$(aws ec2 describe-availability-zones --query 'AvailabilityZones[].ZoneName' --output text | tr '\t' ' ')" "zones"

step "a security group with an ingress rule (stored and shown, not enforced)"
sg=$(aws ec2 create-security-group --group-name fn --description "functions" --vpc-id "$vpc" --query GroupId --output text)
aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 443 --cidr 10.0.0.0/16 > /dev/null
expect_eq 443 "$(aws ec2 describe-security-groups --group-ids "$sg" --query 'SecurityGroups[0].IpPermissions[0].FromPort' --output text)" "ingress rule"
expect_error InvalidPermission.Duplicate aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 443 --cidr 10.0.0.0/16

step "the function's deployment package and a role without the ENI actions"
if [ -n "${EXAMPLE_GO_ZIP:-}" ]; then
  cp "$EXAMPLE_GO_ZIP" function.zip
else
  (cd "$ROLECALL_REPO" && CGO_ENABLED=0 GOOS=linux go build -o "$work/bootstrap" ./examples/functions/go)
  python3 -m zipfile -c function.zip bootstrap
fi
trust='{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
aws iam create-role --role-name vpc-fn --assume-role-policy-document "$trust" > /dev/null
aws iam attach-role-policy --role-name vpc-fn --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
expect_error InvalidParameterValueException aws lambda create-function --function-name in-vpc --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::123456789012:role/vpc-fn --zip-file fileb://function.zip --vpc-config "SubnetIds=$subnet,SecurityGroupIds=$sg"
expect_contains "$ERR" "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"

step "with AWSLambdaVPCAccessExecutionRole the function joins the VPC"
aws iam attach-role-policy --role-name vpc-fn --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
expect_error InvalidParameterValueException aws lambda create-function --function-name in-vpc --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::123456789012:role/vpc-fn --zip-file fileb://function.zip --vpc-config "SubnetIds=subnet-0123456789abcdef0,SecurityGroupIds=$sg"
expect_contains "$ERR" "EC2 Error Code: InvalidSubnetID.NotFound"
aws lambda create-function --function-name in-vpc --runtime provided.al2023 --handler bootstrap \
  --role arn:aws:iam::123456789012:role/vpc-fn --zip-file fileb://function.zip --vpc-config "SubnetIds=$subnet,SecurityGroupIds=$sg" > /dev/null
aws lambda wait function-active-v2 --function-name in-vpc
expect_eq "$vpc" "$(aws lambda get-function-configuration --function-name in-vpc --query VpcConfig.VpcId --output text)" "VpcConfig.VpcId"
out=$(aws ec2 describe-network-interfaces --filters Name=interface-type,Values=lambda --query 'NetworkInterfaces[0].[SubnetId,RequesterId,RequesterManaged]' --output text)
expect_eq "$subnet"$'\tlambda.amazonaws.com\tTrue' "$out" "Lambda's network interface"

step "a role policy that allows iam:ListRoles only through the VPC's IAM endpoint"
aws iam put-role-policy --role-name vpc-fn --policy-name through-endpoint --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:ListRoles\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceVpc\":\"$vpc\"}}}]}"
aws lambda update-function-configuration --function-name in-vpc --description "no endpoint yet" > /dev/null
aws lambda wait function-updated-v2 --function-name in-vpc
aws lambda invoke --function-name in-vpc --cli-binary-format raw-in-base64-out --payload '{"action":"call","service":"iam","op":"ListRoles"}' out.json > /dev/null
expect_contains "$(cat out.json)" '"error":"AccessDenied"' "ListRoles with no endpoint (the call leaves the VPC through NAT: no aws:SourceVpc)"

step "an interface endpoint for IAM: the call now carries aws:SourceVpc and aws:SourceVpce"
expect_contains "$(aws ec2 describe-vpc-endpoint-services --query ServiceNames --output text)" "com.amazonaws.us-east-1.iam"
vpce=$(aws ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Interface --service-name com.amazonaws.us-east-1.iam \
  --subnet-ids "$subnet" --security-group-ids "$sg" --query VpcEndpoint.VpcEndpointId --output text)
expect_contains "$vpce" "vpce-"
expect_contains "$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids "$vpce" --query 'VpcEndpoints[0].PolicyDocument' --output text)" '"Principal":"*"'
aws lambda invoke --function-name in-vpc --cli-binary-format raw-in-base64-out --payload '{"action":"call","service":"iam","op":"ListRoles"}' out.json > /dev/null
expect_contains "$(cat out.json)" '"output"' "ListRoles through the endpoint"

step "an endpoint policy that denies iam:ListRoles"
aws ec2 modify-vpc-endpoint --vpc-endpoint-id "$vpce" --policy-document '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"iam:ListRoles","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}' > /dev/null
aws lambda invoke --function-name in-vpc --cli-binary-format raw-in-base64-out --payload '{"action":"call","service":"iam","op":"ListRoles"}' out.json > /dev/null
expect_contains "$(cat out.json)" "with an explicit deny in a VPC endpoint policy" "ListRoles denied by the endpoint policy"
aws ec2 modify-vpc-endpoint --vpc-endpoint-id "$vpce" --reset-policy > /dev/null
aws lambda invoke --function-name in-vpc --cli-binary-format raw-in-base64-out --payload '{"action":"call","service":"iam","op":"ListRoles"}' out.json > /dev/null
expect_contains "$(cat out.json)" '"output"' "ListRoles after reset-policy"

step "a gateway endpoint for S3 on the VPC's main route table"
rtb=$(aws ec2 describe-route-tables --filters "Name=vpc-id,Values=$vpc" Name=association.main,Values=true --query 'RouteTables[0].RouteTableId' --output text)
expect_contains "$rtb" "rtb-"
s3e=$(aws ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name com.amazonaws.us-east-1.s3 --route-table-ids "$rtb" --query VpcEndpoint.VpcEndpointId --output text)
expect_eq Gateway "$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids "$s3e" --query 'VpcEndpoints[0].VpcEndpointType' --output text)" "endpoint type"
expect_contains "$(aws ec2 describe-route-tables --route-table-ids "$rtb" --query 'RouteTables[0].Routes[].GatewayId' --output text)" "$s3e"
expect_error InvalidParameter aws ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name com.amazonaws.us-east-1.sts --vpc-endpoint-type Gateway

step "delete-vpc while the VPC holds a subnet and an endpoint"
expect_error DependencyViolation aws ec2 delete-vpc --vpc-id "$vpc"
expect_contains "$ERR" "The vpc '$vpc' has dependencies and cannot be deleted."

step "clean up: endpoint, function, subnet, group, VPC"
out=$(aws ec2 delete-vpc-endpoints --vpc-endpoint-ids "$vpce" "$s3e" vpce-0123456789abcdef0 --query 'Unsuccessful[].ResourceId' --output text)
expect_eq vpce-0123456789abcdef0 "$out" "unsuccessful deletions"
aws lambda delete-function --function-name in-vpc
expect_eq "" "$(aws ec2 describe-network-interfaces --query 'NetworkInterfaces[].NetworkInterfaceId' --output text)" "interfaces left"
aws ec2 delete-subnet --subnet-id "$subnet"
aws ec2 delete-security-group --group-id "$sg"
aws ec2 delete-vpc --vpc-id "$vpc"
expect_eq "" "$(aws ec2 describe-vpcs --query 'Vpcs[].VpcId' --output text)" "VPCs left"

step "the trail records EC2's management events"
out=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateVpc --query 'Events[0].CloudTrailEvent' --output text)
expect_contains "$out" '"eventSource":"ec2.amazonaws.com"'
expect_contains "$out" '"eventCategory":"Management"'
