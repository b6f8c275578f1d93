package postgres

// TrimEvery is how often, in revisions, a commit trims the change log.
const TrimEvery = trimEvery
