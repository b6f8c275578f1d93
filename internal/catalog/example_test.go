package catalog_test

import (
	"fmt"

	"github.com/rolecall/rolecall/internal/catalog"
)

func Example() {
	c := catalog.Load()

	a := c.Action("lambda:invokefunction")
	fmt.Println(a, a.Access)
	for _, r := range a.Resources {
		fmt.Println(r.Type.Name, r.Required, r.Type.ARN)
	}

	for _, name := range []string{"iam:PassedToService", "aws:TagKeys", "aws:PrincipalTag/team"} {
		k := c.ConditionKey(name)
		fmt.Println(name, "->", k.Name, k.Type, k.MultiValued())
	}

	fmt.Println(c.Action("iam:PassRole").Supports("iam:PassedToService"))
	fmt.Println(len(c.MatchActions("s3:GetObject*")) > 1)
	// Output:
	// lambda:InvokeFunction Write
	// function true arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}
	// iam:PassedToService -> iam:PassedToService String false
	// aws:TagKeys -> aws:TagKeys ArrayOfString true
	// aws:PrincipalTag/team -> aws:PrincipalTag/${TagKey} String false
	// true
	// true
}
