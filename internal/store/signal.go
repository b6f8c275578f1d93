package store

import "sync"

// Signal wakes every waiter at once: the engines use one to wake their
// watchers when the handle commits. The zero value is ready to use; a
// Signal must not be copied after first use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{} // closed, then replaced, at each Notify
}

// C returns a channel that is closed at the next Notify. Take it before
// reading what the notification is about, so that a Notify after the read
// is not missed.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes everyone waiting on a channel C returned.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}
