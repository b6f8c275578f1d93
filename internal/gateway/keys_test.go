package gateway

import "testing"

func TestMultiValuedKeysComeFromTheCatalog(t *testing.T) {
	for key, want := range map[string]bool{
		"aws:TagKeys":               true,
		"aws:CalledVia":             true,
		"lambda:SubnetIds":          true,
		"lambda:SecurityGroupIds":   true,
		"sts:TransitiveTagKeys":     true,
		"aws:PrincipalArn":          false,
		"iam:PassedToService":       false,
		"lambda:FunctionArn":        false,
		"aws:RequestTag/team":       false,
		"no-such-service:NoSuchKey": false,
	} {
		if got := multiValued(key); got != want {
			t.Errorf("multiValued(%s) = %v, want %v", key, got, want)
		}
	}
}
