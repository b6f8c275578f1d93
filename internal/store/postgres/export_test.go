package postgres

import "time"

// TrimEvery is how often, in revisions, a commit trims the change log.
const TrimEvery = trimEvery

// SetPollInterval sets how often st's watches read the log unwoken.
func SetPollInterval(st *Store, d time.Duration) { st.pollInterval = d }
