package postgres_test

import (
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store/postgres"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db?password=secret&search_path=s", "postgres://u@h/db?password=xxxxx&search_path=s"},
		{"postgresql://u:secret@h/db?sslpassword=secret2", "postgresql://u:xxxxx@h/db?sslpassword=xxxxx"},
		{"postgres://u:pa%ZZss@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u:pa%ZZss@h/db?password=x%ZZ", "postgres://u:xxxxx@h/db?password=xxxxx"},
		{"host=h user=u password=secret dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"host=h password = 'se cret' dbname=db", "host=h password=xxxxx dbname=db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://u:secret@h/db?PASSWORD=secret", "postgres://u:xxxxx@h/db?PASSWORD=xxxxx"},
		{"postgres://u:se#cret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u:secret@h:port/db", "postgres://u:xxxxx@h:port/db"},
	} {
		got := postgres.Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "secret") || strings.Contains(got, "pa%ZZss") {
			t.Errorf("Redact(%q) = %q shows the password", tc.in, got)
		}
	}
}
