package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// statusFormat is the format version of stored statuses.
const statusFormat = 1

// errReported ends the transaction of a "No records processed" report
// of a mapping that has a result already.
var errReported = errors.New("esm: a result was reported already")

// reportTimeout bounds the store write of a report.
const reportTimeout = 10 * time.Second

// status is what the pollers say of a mapping (tableStatus, key uuid),
// kept apart from the mapping's record, which users update.
type status struct {
	V                    int    `json:"v"`
	LastProcessingResult string `json:"LastProcessingResult"`
}

// lastProcessingResult returns the mapping's LastProcessingResult ("" when
// nothing was ever reported).
func (m *Manager) lastProcessingResult(ctx context.Context, uuid string) (string, error) {
	b, err := m.cfg.Store.Get(ctx, tableStatus, uuid)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("esm: status of %s: %w", uuid, err)
	}
	var s status
	if err := json.Unmarshal(b, &s); err != nil {
		return "", fmt.Errorf("esm: status of %s: %w", uuid, err)
	}
	return s.LastProcessingResult, nil
}

// report stores the mapping's LastProcessingResult when it differs from
// the last one this process stored, and only while the mapping exists. A
// failed write is logged: the next report tries again.
func (m *Manager) report(mp *Mapping, result string) {
	r := &m.run
	r.statusMu.Lock()
	defer r.statusMu.Unlock()
	if last, ok := r.status[mp.UUID]; ok && last == result {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(m.ctx), reportTimeout)
	defer cancel()
	b, err := json.Marshal(status{V: statusFormat, LastProcessingResult: result})
	if err != nil {
		m.log.Error("esm: report", "uuid", mp.UUID, "err", err)
		return
	}
	_, err = m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, tableMappings, mappingKey(mp.Account, mp.UUID)); err != nil {
			return err // store.ErrNotFound: deleted meanwhile
		}
		if result == resultNone {
			// "No records processed" is the result of a mapping before
			// its first batch: a poller starting afresh (another
			// shard, a restart, another node) does not hide the result
			// of the batches processed already.
			_, err := tx.Get(ctx, tableStatus, mp.UUID)
			if err == nil {
				return errReported
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return tx.Put(ctx, tableStatus, mp.UUID, b)
	})
	switch {
	case errors.Is(err, errReported):
		// Nothing written; the next result is written as it changes.
		delete(r.status, mp.UUID)
	case errors.Is(err, store.ErrNotFound):
		delete(r.status, mp.UUID)
	case err != nil:
		m.log.Error("esm: report", "uuid", mp.UUID, "result", result, "err", err)
	default:
		if r.status == nil {
			r.status = make(map[string]string)
		}
		r.status[mp.UUID] = result
	}
}
