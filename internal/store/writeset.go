package store

// WriteSet is what an engine logs of one run of an Update's function: the
// keys it wrote, each once, in the order first written. Tables[i] and
// Keys[i] name the i-th key.
type WriteSet struct {
	seen   map[[2]string]struct{}
	Tables []string
	Keys   []string
}

// Add records a write of key in table.
func (w *WriteSet) Add(table, key string) {
	tk := [2]string{table, key}
	if _, ok := w.seen[tk]; ok {
		return
	}
	if w.seen == nil {
		w.seen = make(map[[2]string]struct{})
	}
	w.seen[tk] = struct{}{}
	w.Tables = append(w.Tables, table)
	w.Keys = append(w.Keys, key)
}

// Len returns the number of keys written.
func (w *WriteSet) Len() int { return len(w.Keys) }
