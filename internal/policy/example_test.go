package policy_test

import (
	"fmt"

	"github.com/rolecall/rolecall/internal/policy"
)

// A Lambda function's execution role: it may write its own logs and read
// one table, but never delete items.
const exampleRolePolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Logs",
      "Effect": "Allow",
      "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:*"
    },
    {
      "Sid": "ReadOrders",
      "Effect": "Allow",
      "Action": ["dynamodb:GetItem", "dynamodb:Query"],
      "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    },
    {
      "Sid": "NeverDelete",
      "Effect": "Deny",
      "Action": "dynamodb:DeleteItem",
      "Resource": "*"
    }
  ]
}`

// exampleSession is the role session a function runs as.
var exampleSession = policy.Principal{
	Type:    policy.AssumedRole,
	ARN:     "arn:aws:sts::123456789012:assumed-role/orders-role/orders",
	Account: "123456789012",
	RoleARN: "arn:aws:iam::123456789012:role/orders-role",
}

func ExampleParse() {
	p, err := policy.Parse(exampleRolePolicy, policy.Identity)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Kind(), p.Version())
	for _, st := range p.Statements() {
		fmt.Println(st.Index, st.Sid, st.Effect, st.Action)
	}

	// A document IAM would reject fails with IAM's own message.
	_, err = policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`, policy.Identity)
	fmt.Println(err)
	// Output:
	// identity 2012-10-17
	// 0 Logs Allow [logs:CreateLogStream logs:PutLogEvents]
	// 1 ReadOrders Allow [dynamodb:GetItem dynamodb:Query]
	// 2 NeverDelete Deny [dynamodb:DeleteItem]
	// Policy statement must contain resources.
}

func ExamplePolicySet_Evaluate() {
	p, err := policy.Parse(exampleRolePolicy, policy.Identity)
	if err != nil {
		fmt.Println(err)
		return
	}
	set := policy.Compile(policy.SetInput{
		Identity: []policy.Named{{ID: "orders-access", Policy: p}},
	})

	for _, r := range []policy.Request{
		{Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
		{Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:log-stream:2024/03/01/[$LATEST]abc"},
		{Action: "dynamodb:PutItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
		{Action: "dynamodb:DeleteItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
	} {
		r.Principal = exampleSession
		d := set.Evaluate(&r)
		fmt.Printf("%s: %v\n", r.Action, d.Effect)
	}
	// Output:
	// dynamodb:GetItem: Allow
	// logs:PutLogEvents: Allow
	// dynamodb:PutItem: ImplicitDeny
	// dynamodb:DeleteItem: ExplicitDeny
}

func ExampleDecision_Reason() {
	p, err := policy.Parse(exampleRolePolicy, policy.Identity)
	if err != nil {
		fmt.Println(err)
		return
	}
	set := policy.Compile(policy.SetInput{
		Identity: []policy.Named{{ID: "orders-access", Policy: p}},
	})

	// Reason completes AWS's AccessDenied message; Decisive names the
	// statements that decided.
	const table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	for _, action := range []string{"dynamodb:PutItem", "dynamodb:DeleteItem"} {
		d := set.Evaluate(&policy.Request{
			Principal: exampleSession,
			Action:    action,
			Resource:  table,
		})
		fmt.Printf("not authorized to perform: %s on resource: %s %s\n", action, table, d.Reason(action))
		for _, m := range d.Decisive() {
			fmt.Printf("  decided by %s statement %d (%s) of %s\n", m.Source, m.Index, m.Sid, m.Policy)
		}
	}
	// Output:
	// not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders because no identity-based policy allows the dynamodb:PutItem action
	// not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders with an explicit deny in an identity-based policy
	//   decided by identity-based policy statement 2 (NeverDelete) of orders-access
}
