// Package seqlog keeps named, append-only logs of records in the store's
// key-value space, numbered in commit order: the shape of a Kinesis shard,
// a DynamoDB stream or the trail. A consumer keeps a cursor (the position
// of the last record it read) and reads on from it.
//
// Positions are dense and follow the order in which the appending
// transactions commit, not the order in which they began: every Append
// reads and rewrites its log's head record in the caller's serializable
// transaction, so two transactions appending to one log conflict and one
// of them runs again after the other commits. A reader that has seen
// position n has therefore seen every record at or before n that will
// ever exist, and no record commits late behind its cursor. This is what
// Kinesis promises for the sequence numbers of a shard.
//
// The log's records live in the tables Table (the records) and HeadTable
// (one head record per log).
package seqlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/rolecall/rolecall/internal/store"
)

// Tables of the store.
const (
	// Table holds the records: <escaped log name>/<position, 20 digits>
	// -> value.
	Table = "seqlog_records"
	// HeadTable holds each log's head: <escaped log name> -> head (JSON).
	HeadTable = "seqlog_heads"
)

// Position numbers a log's records from 1, in commit order. 0 is the
// position before the first record: Read after 0 starts at the beginning.
type Position int64

// Record is one record of a log.
type Record struct {
	Position Position
	Value    []byte
}

// ErrTrimmed is returned by Read when records after the cursor were
// trimmed away before they were read: the consumer missed them. Kinesis
// answers such a read with ExpiredIteratorException.
var ErrTrimmed = errors.New("seqlog: records after the cursor were trimmed")

// Info describes a log.
type Info struct {
	// Last is the position of the last record appended (0 for a log never
	// appended to).
	Last Position `json:"last"`
	// Trimmed is the position through which records were trimmed (0 when
	// none were): the first record still kept is at Trimmed+1, when
	// Trimmed < Last.
	Trimmed Position `json:"trimmed"`
}

// head is the stored head of a log.
type head struct {
	Version int `json:"v"`
	Info
}

const headVersion = 1

// positionWidth is the width of a position in keys: enough digits for any
// int64, so that keys sort in position order.
const positionWidth = 20

// logKey returns the key of a log's head, which is also the prefix of its
// records' keys without the separator. Escaping keeps '/' out of the name,
// so no log's key prefix is a prefix of another's.
func logKey(log string) (string, error) {
	if log == "" {
		return "", errors.New("seqlog: empty log name")
	}
	return url.PathEscape(log), nil
}

func recordKey(prefix string, p Position) string {
	return fmt.Sprintf("%s/%0*d", prefix, positionWidth, p)
}

func parsePosition(prefix, key string) (Position, error) {
	n, err := strconv.ParseInt(key[len(prefix)+1:], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("seqlog: malformed record key %q", key)
	}
	return Position(n), nil
}

func readHead(ctx context.Context, r store.Reader, key string) (head, error) {
	var h head
	b, err := r.Get(ctx, HeadTable, key)
	if errors.Is(err, store.ErrNotFound) {
		return head{Version: headVersion}, nil
	}
	if err != nil {
		return h, fmt.Errorf("seqlog: head of %s: %w", key, err)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("seqlog: head of %s: %w", key, err)
	}
	if h.Version != headVersion {
		return h, fmt.Errorf("seqlog: head of %s has format version %d, this build reads %d", key, h.Version, headVersion)
	}
	return h, nil
}

func writeHead(ctx context.Context, tx store.Tx, key string, h head) error {
	h.Version = headVersion
	if err := store.PutJSON(ctx, tx, HeadTable, key, h); err != nil {
		return fmt.Errorf("seqlog: head of %s: %w", key, err)
	}
	return nil
}

// Append adds values to log, in order, within tx, and returns the position
// of the first (with no values, it writes nothing and returns the position
// the next record will take). The records become visible when tx commits;
// their positions are those of the commit order. Appending to a log
// conflicts with every other transaction appending to it: keep such
// transactions short.
func Append(ctx context.Context, tx store.Tx, log string, values ...[]byte) (first Position, err error) {
	key, err := logKey(log)
	if err != nil {
		return 0, err
	}
	h, err := readHead(ctx, tx, key)
	if err != nil {
		return 0, err
	}
	first = h.Last + 1
	if len(values) == 0 {
		return first, nil
	}
	for _, v := range values {
		h.Last++
		if v == nil {
			v = []byte{}
		}
		if err := tx.Put(ctx, Table, recordKey(key, h.Last), v); err != nil {
			return 0, fmt.Errorf("seqlog: append to %s: %w", log, err)
		}
	}
	if err := writeHead(ctx, tx, key, h); err != nil {
		return 0, err
	}
	return first, nil
}

// Read returns up to limit records of log after the position after, in
// position order (limit <= 0: all of them). It returns no records when
// there are none after after yet, and ErrTrimmed when some of the records
// after after were trimmed. One Read sees one committed state of the log.
func Read(ctx context.Context, r store.Reader, log string, after Position, limit int) ([]Record, error) {
	key, err := logKey(log)
	if err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, fmt.Errorf("seqlog: read %s after negative position %d", log, after)
	}
	from := ""
	if after > 0 {
		from = recordKey(key, after)
	}
	items, err := r.List(ctx, Table, key+"/", from, limit)
	if err != nil {
		return nil, fmt.Errorf("seqlog: read %s: %w", log, err)
	}
	if len(items) == 0 {
		// Nothing after the cursor: either the log has not reached it yet,
		// or what followed it is trimmed.
		h, err := readHead(ctx, r, key)
		if err != nil {
			return nil, err
		}
		if h.Trimmed > after {
			return nil, fmt.Errorf("%w: %s is trimmed through %d, the cursor is at %d", ErrTrimmed, log, h.Trimmed, after)
		}
		return nil, nil
	}
	records := make([]Record, len(items))
	for i, it := range items {
		p, err := parsePosition(key, it.Key)
		if err != nil {
			return nil, err
		}
		// Positions are dense and trimming removes a prefix, so a gap
		// can only be at the start, where records were trimmed.
		if p != after+Position(i)+1 {
			return nil, fmt.Errorf("%w: %s continues at %d, the cursor is at %d", ErrTrimmed, log, p, after)
		}
		records[i] = Record{Position: p, Value: it.Value}
	}
	return records, nil
}

// Stat returns the positions of a log's last record and of its trim
// horizon. A log never appended to is empty, not missing.
func Stat(ctx context.Context, r store.Reader, log string) (Info, error) {
	key, err := logKey(log)
	if err != nil {
		return Info{}, err
	}
	h, err := readHead(ctx, r, key)
	return h.Info, err
}

// Trim deletes the records of log up to and including through, within
// tx, as a retention period does. through past the last record is an
// error: the records that would take those positions are not written yet.
// Trimming through a position already trimmed does nothing.
func Trim(ctx context.Context, tx store.Tx, log string, through Position) error {
	key, err := logKey(log)
	if err != nil {
		return err
	}
	h, err := readHead(ctx, tx, key)
	if err != nil {
		return err
	}
	if through > h.Last {
		return fmt.Errorf("seqlog: trim %s through %d, past its last record %d", log, through, h.Last)
	}
	if through <= h.Trimmed {
		return nil
	}
	for p := h.Trimmed + 1; p <= through; p++ {
		// The positions are known, so the records are deleted by key,
		// without reading their values.
		if err := tx.Delete(ctx, Table, recordKey(key, p)); err != nil {
			return fmt.Errorf("seqlog: trim %s: %w", log, err)
		}
	}
	h.Trimmed = through
	return writeHead(ctx, tx, key, h)
}
