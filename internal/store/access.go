package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Access is authorization decisions recorded with trail events, counted:
// the decisions of one second that agree in every field below (but Count
// and EventID) are one row. Generation, unused-access findings and replay
// read these rows rather than the events' decision JSON.
type Access struct {
	Time         time.Time // the second the decisions were made in (UTC, truncated)
	Account      string    // the account the calls acted in (recipientAccountId)
	PrincipalARN string    // userIdentity.arn ("" for anonymous)
	IssuerARN    string    // the role of a role session, else ""
	EventSource  string    // "dynamodb.amazonaws.com"
	EventName    string    // "GetItem"
	Action       string    // "dynamodb:GetItem"
	Resource     string    // the ARN authorized, or "*"
	Decision     string    // "Allow", "ExplicitDeny" or "ImplicitDeny"
	Extra        bool      // a check beyond the operation's own action (iam:PassRole)
	InvokedBy    string    // the service that called on the principal's behalf ("lambda.amazonaws.com"), else ""
	Request      string    // key of the decision's replay record (AccessRequests), "" when none was kept
	Count        int64     // how many decisions the row stands for
	EventID      string    // the first event the row counts
}

// AccessQuery selects access rows. A row is in the time range when its Time
// (the second) is.
type AccessQuery struct {
	Account      string    // "" all
	PrincipalARN string    // rows whose PrincipalARN or IssuerARN is this ARN; "" all
	Start, End   time.Time // inclusive, zero unbounded
}

// Seconds returns the bounds of q in Unix seconds: the first and last
// second a row's Time may be.
func (q AccessQuery) Seconds() (lo, hi int64, hasLo, hasHi bool) {
	if !q.Start.IsZero() {
		lo, hasLo = q.Start.Unix(), true
		if q.Start.Nanosecond() > 0 {
			lo++ // the second q.Start falls in began before it
		}
	}
	if !q.End.IsZero() {
		hi, hasHi = q.End.Unix(), true
	}
	return lo, hi, hasLo, hasHi
}

// AccessKey identifies the row an access is counted in: a hash of every
// field a row agrees in, the time truncated to the second. Engines keep
// it unique, so that appends sum into one row.
func AccessKey(a *Access) []byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(a.Time.Unix()))
	h.Write(n[:])
	extra := "0"
	if a.Extra {
		extra = "1"
	}
	for _, f := range []string{a.Account, a.PrincipalARN, a.IssuerARN, a.EventSource, a.EventName, a.Action,
		a.Resource, a.Decision, extra, a.InvokedBy, a.Request} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return h.Sum(nil)[:16]
}

// AccessRow is an access row ready to be written, with its key (AccessKey).
type AccessRow struct {
	Key    []byte
	Access Access
}

// SumAccesses returns the access rows of events, their times truncated to
// the second and the rows that agree summed, in the order each row first
// occurs (its EventID the first event it counts, or the event's ID when the
// access names none), and the replay records they name.
func SumAccesses(events []Event) ([]AccessRow, map[string][]byte) {
	var rows []AccessRow
	var index map[string]int
	var requests map[string][]byte
	for i := range events {
		e := &events[i]
		for _, a := range e.Accesses {
			a.Time = a.Time.UTC().Truncate(time.Second)
			if a.EventID == "" {
				a.EventID = e.ID
			}
			if a.Count <= 0 {
				a.Count = 1
			}
			key := AccessKey(&a)
			if index == nil {
				index = map[string]int{}
			}
			if j, ok := index[string(key)]; ok {
				rows[j].Access.Count += a.Count
				continue
			}
			index[string(key)] = len(rows)
			rows = append(rows, AccessRow{Key: key, Access: a})
		}
		for k, v := range e.Requests {
			if requests == nil {
				requests = map[string][]byte{}
			}
			if _, ok := requests[k]; !ok {
				requests[k] = v
			}
		}
	}
	return rows, requests
}

// AccessSummary is the access rows that agree in every field but their
// time, count and first event, summed: Access.Time is the first second
// they were made in, Access.Count their sum and Access.EventID the first
// event of the first row; Last is the last second.
type AccessSummary struct {
	Access
	Last time.Time
}

// AccessFirst returns the value engines keep a row's first event in: the
// row's second as 16 hexadecimal digits, then a.EventID. Its least value
// among rows that agree (SummarizeAccess) is their first event.
func AccessFirst(a *Access) string {
	return fmt.Sprintf("%016x%s", uint64(a.Time.Unix())^1<<63, a.EventID)
}

// ParseAccessFirst returns the second and event ID of an AccessFirst value.
func ParseAccessFirst(v string) (time.Time, string, error) {
	if len(v) < 16 {
		return time.Time{}, "", errAccessValue
	}
	u, err := strconv.ParseUint(v[:16], 16, 64)
	if err != nil {
		return time.Time{}, "", errAccessValue
	}
	return time.Unix(int64(u^1<<63), 0).UTC(), v[16:], nil
}

// EncodeAccess appends to buf the fields of a that engines store in one
// value: every field but Time, Count and EventID (which they keep in
// columns, to bound, to sum and to find the first). Rows that agree in
// every field but those have the same value, which SummarizeAccess groups
// by. Reading one value per row rather than a column per field keeps
// QueryAccess cheap per row.
func EncodeAccess(buf []byte, a *Access) []byte {
	for _, f := range [...]string{a.Account, a.PrincipalARN, a.IssuerARN, a.EventSource, a.EventName, a.Action,
		a.Resource, a.Decision, a.InvokedBy, a.Request} {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	extra := byte(0)
	if a.Extra {
		extra = 1
	}
	return append(buf, extra)
}

// AccessDecoder decodes EncodeAccess's values. Rows that agree in all but
// their time, count and first event (one request repeated over many
// seconds) share their strings: each is decoded once, up to a bound. It is
// not safe for concurrent use.
type AccessDecoder struct {
	rows  map[string]Access // by the value without its EventID
	names map[string]string // the fields of rows not shared whole
}

// maxShared bounds the rows an AccessDecoder keeps for sharing.
const maxShared = 1 << 14

// errAccessValue reports a stored access value that does not decode.
var errAccessValue = errors.New("store: malformed access row")

// Decode sets the fields of a that data encodes; Time, Count and EventID
// are left as they are. It does not keep data.
func (d *AccessDecoder) Decode(data []byte, a *Access) error {
	// The fields end at the extra byte after Request.
	end := 0
	for range 10 {
		n, w := binary.Uvarint(data[end:])
		if w <= 0 || uint64(len(data)-end-w) < n {
			return errAccessValue
		}
		end += w + int(n)
	}
	if end != len(data)-1 || data[end] > 1 {
		return errAccessValue
	}
	end++
	shared, ok := d.rows[string(data[:end])]
	if !ok {
		rest := data
		for _, f := range [...]*string{&shared.Account, &shared.PrincipalARN, &shared.IssuerARN, &shared.EventSource,
			&shared.EventName, &shared.Action, &shared.Resource, &shared.Decision, &shared.InvokedBy, &shared.Request} {
			n, w := binary.Uvarint(rest)
			*f = d.name(rest[w : w+int(n)])
			rest = rest[w+int(n):]
		}
		shared.Extra = data[end-1] == 1
		if d.rows == nil {
			d.rows = map[string]Access{}
		}
		if len(d.rows) < maxShared {
			d.rows[string(data[:end])] = shared
		}
	}
	tm, count, id := a.Time, a.Count, a.EventID
	*a = shared
	a.Time, a.Count, a.EventID = tm, count, id
	return nil
}

// name returns b as a string, shared with earlier rows' equal fields.
func (d *AccessDecoder) name(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.names == nil {
		d.names = map[string]string{}
	}
	if len(d.names) < maxShared {
		d.names[s] = s
	}
	return s
}
