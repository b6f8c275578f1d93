package rolecall

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/rolecall/rolecall/internal/api"
)

// document is an identity policy document as the console helpers write it.
type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid      string   `json:"Sid,omitempty"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

func (d document) String() string {
	b, _ := json.Marshal(d) // strings and slices of strings always encode
	return string(b)
}

func allow(resources []string, actions ...string) statement {
	return statement{Effect: "Allow", Action: actions, Resource: resources}
}

func any1() []string { return []string{"*"} }

// template is one of the Lambda console's execution role policy templates
// (Create function → Change default execution role → Create a new role
// from AWS policy templates, and the role the console makes for a
// blueprint), with the parameters the console fills in.
type template struct {
	Name        string      `json:"templateName"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Parameters  []parameter `json:"parameters"`
	build       func(t *templateArgs) []statement
}

type parameter struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// templateArgs are what a template's document is built from.
type templateArgs struct {
	region, account string
	params          map[string]string
}

func (a *templateArgs) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + a.region + ":" + a.account + ":" + resource
}

var (
	pFunction = parameter{"functionName", "the function the role is for"}
	pTable    = parameter{"tableName", "the DynamoDB table whose stream the function reads"}
	pStream   = parameter{"streamName", "the Kinesis stream the function reads"}
	pTopic    = parameter{"topicName", "the SNS topic of the function's dead-letter queue"}
	pQueue    = parameter{"queueName", "the SQS queue of the function's dead-letter queue"}
)

// templates are the console's templates, by name.
var templates = []*template{
	{Name: "basic-lambda", Title: "Basic Lambda permissions", Description: "Create log groups in the Region and write to the function's log group.",
		Parameters: []parameter{pFunction}, build: func(a *templateArgs) []statement {
			return []statement{
				allow([]string{a.arn("logs", "*")}, "logs:CreateLogGroup"),
				allow([]string{a.arn("logs", "log-group:/aws/lambda/"+a.params["functionName"]+":*")}, "logs:CreateLogStream", "logs:PutLogEvents"),
			}
		}},
	{Name: "basic-lambda-edge", Title: "Basic Lambda@Edge permissions (for CloudFront trigger)", Description: "Write logs in every Region a replica runs in.",
		build: func(*templateArgs) []statement {
			return []statement{allow([]string{"arn:aws:logs:*:*:*"}, "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")}
		}},
	{Name: "simple-microservice", Title: "Simple microservice permissions", Description: "Read and write the items of the account's DynamoDB tables in the Region.",
		build: func(a *templateArgs) []statement {
			return []statement{allow([]string{a.arn("dynamodb", "table/*")}, "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem")}
		}},
	{Name: "s3-object-read-only", Title: "Amazon S3 object read-only permissions", Description: "Read objects of any bucket.",
		build: func(*templateArgs) []statement { return []statement{allow([]string{"arn:aws:s3:::*"}, "s3:GetObject")} }},
	{Name: "ami-read-only", Title: "AMI read-only permissions", Description: "Describe EC2 images.",
		build: func(*templateArgs) []statement { return []statement{allow(any1(), "ec2:DescribeImages")} }},
	{Name: "cloudformation-stack-read-only", Title: "CloudFormation stack read-only permissions", Description: "Describe CloudFormation stacks.",
		build: func(*templateArgs) []statement { return []statement{allow(any1(), "cloudformation:DescribeStacks")} }},
	{Name: "elasticsearch", Title: "Elasticsearch permissions", Description: "Post to Elasticsearch domains.",
		build: func(*templateArgs) []statement { return []statement{allow(any1(), "es:ESHttpPost")} }},
	{Name: "iot-button", Title: "AWS IoT Button permissions", Description: "Create, subscribe to and publish to SNS topics.",
		build: func(*templateArgs) []statement {
			return []statement{allow(any1(), "sns:ListSubscriptionsByTopic", "sns:CreateTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Publish")}
		}},
	{Name: "kms-decryption", Title: "AWS KMS decryption permissions", Description: "Decrypt with KMS keys.",
		build: func(*templateArgs) []statement { return []statement{allow(any1(), "kms:Decrypt")} }},
	{Name: "rekognition-no-data", Title: "Amazon Rekognition no data permissions", Description: "Detect and compare faces and labels.",
		build: func(*templateArgs) []statement {
			return []statement{allow(any1(), "rekognition:CompareFaces", "rekognition:DetectFaces", "rekognition:DetectLabels")}
		}},
	{Name: "rekognition-read-only", Title: "Amazon Rekognition read-only permissions", Description: "List and search collections and faces.",
		build: func(*templateArgs) []statement {
			return []statement{allow(any1(), "rekognition:ListCollections", "rekognition:ListFaces", "rekognition:SearchFaces", "rekognition:SearchFacesByImage")}
		}},
	{Name: "rekognition-write-only", Title: "Amazon Rekognition write-only permissions", Description: "Create collections and index faces.",
		build: func(*templateArgs) []statement {
			return []statement{allow(any1(), "rekognition:CreateCollection", "rekognition:IndexFaces")}
		}},
	{Name: "ses-bounce", Title: "Amazon SES bounce permissions", Description: "Send bounces with SES.",
		build: func(*templateArgs) []statement { return []statement{allow(any1(), "ses:SendBounce")} }},
	{Name: "sqs-poller", Title: "Amazon SQS poller permissions", Description: "Receive and delete messages of any queue, and invoke the function.",
		Parameters: []parameter{pFunction}, build: func(a *templateArgs) []statement {
			return []statement{
				// The console writes arn:aws:sqs:*, which IAM's ARN check refuses
				// in a policy created through its API; this is the same set of queues.
				allow([]string{"arn:aws:sqs:*:*:*"}, "sqs:DeleteMessage", "sqs:ReceiveMessage"),
				allow([]string{a.arn("lambda", "function:"+a.params["functionName"]+"*")}, "lambda:InvokeFunction"),
			}
		}},
	{Name: "test-harness", Title: "Test harness permissions", Description: "Put items in the Region's tables and invoke the Region's functions.",
		build: func(a *templateArgs) []statement {
			return []statement{
				allow([]string{a.arn("dynamodb", "table/*")}, "dynamodb:PutItem"),
				allow([]string{a.arn("lambda", "function:*")}, "lambda:InvokeFunction"),
			}
		}},
	{Name: "vpn-connection-monitor", Title: "VPN connection monitor permissions", Description: "Describe VPN connections and put CloudWatch metrics.",
		build: func(*templateArgs) []statement {
			return []statement{allow(any1(), "cloudwatch:PutMetricData"), allow(any1(), "ec2:DescribeRegions", "ec2:DescribeVpnConnections")}
		}},
	{Name: "dead-letter-sns", Title: "SNS dead-letter queue permissions", Description: "Publish failed events to the topic.",
		Parameters: []parameter{pTopic}, build: func(a *templateArgs) []statement {
			return []statement{allow([]string{a.arn("sns", a.params["topicName"])}, "sns:Publish")}
		}},
	{Name: "dead-letter-sqs", Title: "SQS dead-letter queue permissions", Description: "Send failed events to the queue.",
		Parameters: []parameter{pQueue}, build: func(a *templateArgs) []statement {
			return []statement{allow([]string{a.arn("sqs", a.params["queueName"])}, "sqs:SendMessage")}
		}},
	{Name: "dynamodb-stream", Title: "DynamoDB stream poller permissions", Description: "Read the table's streams, and invoke the function.",
		Parameters: []parameter{pFunction, pTable}, build: func(a *templateArgs) []statement {
			return []statement{
				allow([]string{a.arn("lambda", "function:"+a.params["functionName"]+"*")}, "lambda:InvokeFunction"),
				allow([]string{a.arn("dynamodb", "table/"+a.params["tableName"]+"/stream/*")}, "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
			}
		}},
	{Name: "kinesis-stream", Title: "Kinesis stream poller permissions", Description: "Read the stream, list the Region's streams, and invoke the function.",
		Parameters: []parameter{pFunction, pStream}, build: func(a *templateArgs) []statement {
			return []statement{
				allow([]string{a.arn("lambda", "function:"+a.params["functionName"]+"*")}, "lambda:InvokeFunction"),
				allow([]string{a.arn("kinesis", "stream/*")}, "kinesis:ListStreams"),
				allow([]string{a.arn("kinesis", "stream/"+a.params["streamName"])}, "kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator"),
			}
		}},
	{Name: "vpc-access", Title: "VPC access permissions", Description: "Manage the network interfaces a function in a VPC uses.",
		build: func(*templateArgs) []statement {
			return []statement{allow(any1(), "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces")}
		}},
}

// listPolicyTemplates answers ListPolicyTemplates: every template with
// its parameters.
func (r *API) listPolicyTemplates(c *api.Call) (any, error) {
	if err := checkQuery(c); err != nil {
		return nil, err
	}
	out := make([]templateOut, 0, len(templates))
	for _, t := range templates {
		out = append(out, templateOut{template: t, Parameters: params(t)})
	}
	return map[string]any{"templates": out}, nil
}

type templateOut struct {
	*template
	Parameters []parameter `json:"parameters"`
	Document   string      `json:"policyDocument,omitempty"`
}

func params(t *template) []parameter {
	if t.Parameters == nil {
		return []parameter{}
	}
	return t.Parameters
}

// getPolicyTemplate answers GetPolicyTemplate: the template's document for
// the caller's account and Region, its parameters taken from the query
// string. Every parameter is required; another is refused.
func (r *API) getPolicyTemplate(c *api.Call) (any, error) {
	name := c.PathParams["TemplateName"]
	i := slices.IndexFunc(templates, func(t *template) bool { return t.Name == name })
	if i < 0 {
		return nil, notFound(name, "PolicyTemplate", fmt.Sprintf("Policy template %s does not exist.", name))
	}
	t := templates[i]
	args := &templateArgs{region: r.region(c), account: c.Account, params: map[string]string{}}
	var allowed []string
	for _, p := range t.Parameters {
		allowed = append(allowed, p.Name)
		v := c.Params.Get(p.Name)
		if v == "" {
			return nil, validation("fieldValidationFailed", p.Name, "The template "+name+" needs the parameter "+p.Name+".")
		}
		if err := checkName(p.Name, v, 256); err != nil {
			return nil, err
		}
		args.params[p.Name] = v
	}
	if err := checkQuery(c, allowed...); err != nil {
		return nil, err
	}
	doc := document{Version: "2012-10-17", Statement: t.build(args)}
	return templateOut{template: t, Parameters: params(t), Document: doc.String()}, nil
}
