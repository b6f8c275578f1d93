package lint

import (
	"errors"
	"testing"
)

// TestCheckAccessNotGrantedUnknownAction: an action no service has can
// never be granted, so a check for it would PASS whatever the policy
// says; a misspelt action in a CI check must be refused, not pass.
func TestCheckAccessNotGrantedUnknownAction(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"*"}]}`
	for _, act := range []string{"s3:DeleteObjekt", "s3:Frob*", "frob:DeleteObject"} {
		_, err := CheckAccessNotGranted(doc, []Access{{Actions: []string{act}}}, IdentityPolicy)
		var pe *PolicyError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err %v, want a PolicyError naming the action", act, err)
		}
	}
	for _, act := range []string{"s3:deleteobject", "s3:Delete*", "*", "s3:*"} {
		res, err := CheckAccessNotGranted(doc, []Access{{Actions: []string{act}}}, IdentityPolicy)
		if err != nil || res.Result != Fail {
			t.Errorf("%s: %+v %v, want FAIL", act, res, err)
		}
	}
}
