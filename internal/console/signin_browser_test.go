package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
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

// TestConsoleKeyboard signs in and moves between sections with the
// keyboard alone.
func TestConsoleKeyboard(t *testing.T) {
	b := newBrowser(t)
	b.open(t, "/")
	r := b.srv.Root()
	b.run(t, "type the keys",
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.KeyEvent(r.AccessKeyID), chromedp.KeyEvent("\t"),
		chromedp.KeyEvent(r.SecretAccessKey), chromedp.KeyEvent("\t"),
		chromedp.KeyEvent("\r"))
	b.waitText(t, "#who", "arn:aws:iam::123456789012:root")
	b.waitText(t, "main h1", "Functions")

	b.run(t, "g r", chromedp.KeyEvent("g"), chromedp.KeyEvent("r"))
	b.waitText(t, "main h1", "Roles")
	if p := eval[string](t, b, "location.pathname"); p != "/console/roles" {
		t.Errorf("g r went to %s", p)
	}
	b.run(t, "?", chromedp.KeyEvent("?"))
	b.waitText(t, "dialog.shortcuts", "Keyboard shortcuts")
	b.run(t, "Escape", chromedp.KeyEvent("\x1b"))
	if open := eval[bool](t, b, `!!document.querySelector("dialog.shortcuts[open]")`); open {
		t.Error("Escape left the shortcuts open")
	}

	// The first Tab reaches the skip link, which moves focus to the page.
	// (Focus starts at the top of the document, as on a fresh visit.)
	eval[bool](t, b, `(() => { const e = document.createElement("span"); e.tabIndex = -1; document.body.prepend(e); e.focus(); e.remove(); return true })()`)
	b.run(t, "tab to the skip link", chromedp.KeyEvent("\t"))
	if f := eval[string](t, b, `document.activeElement.className`); f != "skip" {
		t.Errorf("the first Tab focused %q, want the skip link", f)
	}
}
