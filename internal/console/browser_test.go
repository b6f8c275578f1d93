package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// browser is one rolecall server and one headless Chromium tab on its
// console, for a test that drives the console as a user would.
type browser struct {
	srv  *servertest.Server
	root aws.Config // root credentials, for set-up through the SDK
	base string     // the console's URL: http://127.0.0.1:PORT/console
	ctx  context.Context

	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors of the page
}

// chromium returns the browser to drive: $ROLECALL_CHROMIUM, else
// Debian's chromium. Without one the test is skipped, unless
// ROLECALL_BROWSER=required (CI), where it fails.
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ROLECALL_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("ROLECALL_BROWSER") == "required" {
		t.Fatal("no chromium to drive the console (install Debian's chromium, or set ROLECALL_CHROMIUM)")
	}
	t.Skip("no chromium: install Debian's chromium package to run the console's browser tests")
	return ""
}

// newBrowser starts rolecall and a headless Chromium for the test. The
// page's uncaught exceptions and console errors fail the test.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	exe := chromium(t)
	srv := servertest.Start(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{srv: srv, root: srv.RootConfig(), base: srv.Endpoint() + "/console"}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.addError(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.addError("console.error: " + strings.Join(parts, " "))
			}
		}
	}))
	b.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("the page reported %s", e)
		}
	})
	return b
}

func (b *browser) addError(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
}

// run runs chromedp actions with a deadline, failing the test on error
// with what the page shows.
func (b *browser) run(t testing.TB, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\nthe page shows:\n%s", what, err, b.mainText())
	}
}

// mainText is the text of the page's <main>, for failure messages.
func (b *browser) mainText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.querySelector("main")||document.body).innerText`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// open loads a console path ("/roles/x?tab=trust") as a fresh page load.
func (b *browser) open(t testing.TB, path string) {
	t.Helper()
	b.run(t, "open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// signIn opens the console and signs in with the given keys, waiting for
// the navigation that follows a successful sign-in.
func (b *browser) signIn(t testing.TB, keyID, secret, token string) {
	t.Helper()
	b.open(t, "/")
	b.signInHere(t, keyID, secret, token)
	b.waitText(t, "#who", "Sign out")
}

// signInHere fills the sign-in form on the current page and submits it.
func (b *browser) signInHere(t testing.TB, keyID, secret, token string) {
	t.Helper()
	b.run(t, "sign in",
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		setValue("#access-key-id", keyID),
		setValue("#secret-access-key", secret),
		setValue("#session-token", token),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
	)
}

// signInRoot signs in with the account's root keys.
func (b *browser) signInRoot(t testing.TB) {
	t.Helper()
	r := b.srv.Root()
	b.signIn(t, r.AccessKeyID, r.SecretAccessKey, "")
}

// waitText waits until an element matching the CSS selector contains text.
func (b *browser) waitText(t testing.TB, selector, text string) {
	t.Helper()
	sel, _ := json.Marshal(selector)
	txt, _ := json.Marshal(text)
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](
		fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => (e.innerText || e.textContent || e.value || "").includes(%s))`, sel, txt),
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("wait for %q in %s: %v\nthe page shows:\n%s", text, selector, err, b.mainText())
	}
}

// text returns the visible text of the first element matching selector.
func (b *browser) text(t testing.TB, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("read %s: %v\nthe page shows:\n%s", selector, err, b.mainText())
	}
	return s
}

// click clicks the first element matching the CSS selector.
func (b *browser) click(t testing.TB, selector string) {
	t.Helper()
	b.run(t, "click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// fill replaces the value of the input, textarea or select matching
// selector, as typing or choosing would (input and change events fire).
func (b *browser) fill(t testing.TB, selector, text string) {
	t.Helper()
	b.run(t, "fill "+selector, chromedp.WaitVisible(chromedp.CSS(selector)), setValue(selector, text))
}

// setValue sets the value of the first element matching the CSS selector
// and fires its input and change events.
func setValue(selector, value string) chromedp.Action[chromedp.Void] {
	sel, _ := json.Marshal(selector)
	v, _ := json.Marshal(value)
	expr := fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) throw new Error("no element matches " + %s);
		e.focus();
		e.value = %s;
		e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, sel, sel, v)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v\nthe page shows:\n%s", expr, err, b.mainText())
	}
	return v
}

// viewports are the sizes screenshots are taken at: a laptop and a phone.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"1280x800", 1280, 800, false},
	{"390x844", 390, 844, true},
}

// artifacts is where screenshots go: $ROLECALL_ARTIFACTS/console, else
// artifacts/console at the repository's root.
func artifacts(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ROLECALL_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	dir, err := filepath.Abs(filepath.Join(dir, "console"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves a full-page screenshot of the current page at each viewport
// as NAME-WIDTHxHEIGHT.png, and puts the laptop size back.
func (b *browser) shot(t testing.TB, name string) {
	t.Helper()
	dir := artifacts(t)
	for _, v := range viewports {
		var opts []chromedp.EmulateViewportOption
		if v.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		b.run(t, "resize for "+name,
			chromedp.EmulateViewport(v.width, v.height, opts...),
			chromedp.Sleep(150*time.Millisecond), // let the layout settle at the new width
		)
		ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+v.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.run(t, "restore viewport", chromedp.EmulateViewport(1280, 800))
}

// user makes an IAM user with one inline policy and an access key, and
// returns the key: a restricted caller for the console.
func (b *browser) user(t testing.TB, name, policy string) (keyID, secret string) {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(b.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
		PolicyName: aws.String("console"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey
}
