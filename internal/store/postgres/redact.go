package postgres

import (
	"net/url"
	"regexp"
	"strings"
)

// redacted stands for a password in text shown to people.
const redacted = "xxxxx"

// secretParams are the connection parameters that hold secrets.
var secretParams = []string{"password", "sslpassword"}

// dsnSecret matches a secret in a key=value connection string, quoted or
// not.
var dsnSecret = regexp.MustCompile(`(?i)\b(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// userinfoSecret matches the password of a URL that net/url cannot parse.
var userinfoSecret = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)

// Redact returns a connection string (a postgres:// URL or key=value
// pairs) fit to print: its passwords, in the user information or as
// parameters, are replaced by xxxxx.
func Redact(conn string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return dsnSecret.ReplaceAllString(userinfoSecret.ReplaceAllString(conn, "${1}"+redacted+"@"), "${1}="+redacted)
		}
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), redacted)
			}
		}
		q := u.Query()
		changed := false
		for _, p := range secretParams {
			for k := range q {
				if strings.EqualFold(k, p) {
					q.Set(k, redacted)
					changed = true
				}
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return dsnSecret.ReplaceAllString(conn, "${1}="+redacted)
}
