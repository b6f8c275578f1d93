package console_test

import (
	"strings"
	"testing"
)

// TestConsoleSignIn signs in as root and as a restricted user, follows a
// shared link through the sign-in form, is refused with AWS's message
// where the API refuses, and signs out.
func TestConsoleSignIn(t *testing.T) {
	b := newBrowser(t)

	// A shared link opens the sign-in form first, then its own page.
	b.open(t, "/functions")
	b.shot(t, "signin")
	r := b.srv.Root()
	b.signInHere(t, r.AccessKeyID, "wrong"+r.SecretAccessKey, "")
	b.waitText(t, ".error-code", "SignatureDoesNotMatch")
	b.signInHere(t, r.AccessKeyID, r.SecretAccessKey, "")
	b.waitText(t, "#who", "arn:aws:iam::123456789012:root")
	b.waitText(t, "main h1", "Functions")
	if path := eval[string](t, b, "location.pathname"); path != "/console/functions" {
		t.Errorf("after sign-in the page is %s, want /console/functions", path)
	}

	// The credentials stay in the tab: a reload keeps the session.
	b.open(t, "/functions")
	b.waitText(t, "#who", "Sign out")

	// Sign-out forgets them.
	b.click(t, "#signout")
	b.waitText(t, "#signin", "Access key ID")
	if stored := eval[string](t, b, `JSON.stringify(Object.keys(sessionStorage))`); strings.Contains(stored, "rolecall") {
		t.Errorf("after sign-out the tab still holds %s", stored)
	}

	// A restricted user sees AWS's refusal, not an empty page.
	id, secret := b.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	b.signIn(t, id, secret, "")
	b.open(t, "/functions")
	b.waitText(t, ".error", "AccessDeniedException")
	b.waitText(t, ".error", "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: lambda:ListFunctions")
	b.shot(t, "access-denied")
}
