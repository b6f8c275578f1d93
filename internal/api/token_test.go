package api_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

func TestTokenRoundTrip(t *testing.T) {
	scope := api.TokenScope("DescribeLogStreams", "/aws/lambda/fn", "LogStreamName", "false")
	for _, pos := range []string{"", "a", "2024/01/02/[$LATEST]abc", "1700000000000|3|17", strings.Repeat("\xff", 300)} {
		tok := api.EncodeToken(scope, pos)
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not unpadded base64url", tok)
		}
		got, ok := api.DecodeToken(scope, tok)
		if !ok || got != pos {
			t.Errorf("DecodeToken(EncodeToken(%q)) = %q, %v", pos, got, ok)
		}
	}
}

func TestTokenWrongScope(t *testing.T) {
	tok := api.EncodeToken(api.TokenScope("ListRoles", "/"), "role-a")
	for _, scope := range []string{
		api.TokenScope("ListUsers", "/"),
		api.TokenScope("ListRoles", "/x/"),
		api.TokenScope("ListRoles"),
		api.TokenScope("ListRoles", "", "/"),
		"",
	} {
		if pos, ok := api.DecodeToken(scope, tok); ok {
			t.Errorf("scope %q continued another query's token at %q", scope, pos)
		}
	}
	if api.TokenScope("a,b") == api.TokenScope("a", "b") {
		t.Error("TokenScope is ambiguous")
	}
}

func TestTokenCorruption(t *testing.T) {
	const scope = "ListFunctions"
	tok := api.EncodeToken(scope, "function-name")
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		for bit := 0; bit < 8; bit++ {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			if _, ok := api.DecodeToken(scope, base64.RawURLEncoding.EncodeToString(b)); ok {
				t.Errorf("bit %d of byte %d flipped: token accepted", bit, i)
			}
		}
	}
	for _, bad := range []string{"", "garbage!", "Zm9vOmJhcg", tok[:len(tok)-1], tok + "A", tok[1:],
		base64.RawURLEncoding.EncodeToString([]byte("function-name"))} {
		if _, ok := api.DecodeToken(scope, bad); ok {
			t.Errorf("DecodeToken(%q) accepted", bad)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add("s", "pos", api.EncodeToken("s", "pos"))
	f.Add("s", "", "garbage")
	f.Fuzz(func(t *testing.T, scope, pos, tok string) {
		if got, ok := api.DecodeToken(scope, api.EncodeToken(scope, pos)); !ok || got != pos {
			t.Fatalf("round trip of %q in %q = %q, %v", pos, scope, got, ok)
		}
		got, ok := api.DecodeToken(scope, tok)
		if !ok {
			return
		}
		// A token that decodes is the encoding of what it decodes to.
		if again := api.EncodeToken(scope, got); again != tok {
			t.Fatalf("token %q decodes to %q, which encodes as %q", tok, got, again)
		}
	})
}
