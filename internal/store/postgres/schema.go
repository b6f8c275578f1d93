package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations build the schema step by step, in the schema the connection's
// search_path names first. schema_version holds the number applied;
// opening a database applies the rest in one transaction. Append new steps,
// never edit old ones.
//
// Keys and table names sort as bytes (COLLATE "C"), as SQLite's BINARY
// collation sorts them, so List returns the same order on both engines.
var migrations = []string{
	// 1: the key-value space, the change log and the event log.
	//
	// feed is the single-row head of the change log: rev is the latest
	// committed revision, trimmed the revision through which the changes
	// are gone. Every writing transaction increments rev in its own
	// serializable transaction, so revisions are dense and in commit order.
	`
CREATE TABLE kv (
	tbl text COLLATE "C" NOT NULL,
	k   text COLLATE "C" NOT NULL,
	v   bytea NOT NULL,
	PRIMARY KEY (tbl, k)
);
CREATE TABLE changes (
	rev bigint NOT NULL,
	tbl text COLLATE "C" NOT NULL,
	k   text COLLATE "C" NOT NULL,
	PRIMARY KEY (rev, tbl, k)
);
CREATE TABLE feed (
	id      int PRIMARY KEY CHECK (id = 1),
	rev     bigint NOT NULL,
	trimmed bigint NOT NULL
);
INSERT INTO feed (id, rev, trimmed) VALUES (1, 0, 0);
CREATE TABLE events (
	seq           bigserial PRIMARY KEY,
	id            text NOT NULL,
	time_ms       bigint NOT NULL,
	name          text NOT NULL,
	source        text NOT NULL,
	username      text NOT NULL,
	access_key_id text NOT NULL,
	read_only     boolean NOT NULL,
	record        bytea NOT NULL,
	principal_arn text NOT NULL DEFAULT '',
	issuer_arn    text NOT NULL DEFAULT '',
	category      text NOT NULL DEFAULT 'Management',
	decisions     bytea,
	account       text NOT NULL DEFAULT ''
);
CREATE INDEX events_time ON events (time_ms, seq);
CREATE INDEX events_id ON events (id);
CREATE INDEX events_principal ON events (principal_arn, time_ms, seq);
CREATE INDEX events_issuer ON events (issuer_arn, time_ms, seq) WHERE issuer_arn <> '';
CREATE TABLE event_resources (
	seq  bigint NOT NULL,
	pos  int NOT NULL,
	type text NOT NULL,
	name text NOT NULL,
	PRIMARY KEY (seq, pos)
);
`,
	// 2: access rows, the trail's decisions counted per second
	// (store.Access), unique by their key (store.AccessKey), and the replay
	// records they name.
	accessSchema,
	// 3: CloudWatch metric data points (store.Metrics).
	metricSchema,
	// 4: indexes for every lookup attribute, each ending in the history's
	// order (time, then sequence), so that a page of lookups reads its own
	// events newest first and a lookup that matches nothing reads nothing;
	// resource rows by type and by name, for the resource lookups' EXISTS.
	// EventId has events_id: an ID names one event.
	`
CREATE INDEX events_name ON events (name, time_ms, seq);
CREATE INDEX events_source ON events (source, time_ms, seq);
CREATE INDEX events_username ON events (username, time_ms, seq);
CREATE INDEX events_access_key ON events (access_key_id, time_ms, seq);
CREATE INDEX events_read_only ON events (read_only, time_ms, seq);
CREATE INDEX event_resources_type ON event_resources (type, seq);
CREATE INDEX event_resources_name ON event_resources (name, seq);
`,
}

// SchemaVersion is the schema version this build reads and writes.
var SchemaVersion = len(migrations)

// ErrSchemaNewer is returned by Open for a database whose schema a newer
// build has migrated past this one's.
var ErrSchemaNewer = errors.New("store: database schema is newer than this build")

// ErrNoDatabase is returned by OpenExisting for a database (schema) that
// holds no rolecall data.
var ErrNoDatabase = errors.New("store: no rolecall database in this schema")

// ErrSchemaOutdated is returned by OpenExisting for a database that a
// server of this build has not yet upgraded.
var ErrSchemaOutdated = errors.New("store: database schema is older than this build")

// checkSchema makes sure the database is at this build's schema version,
// changing nothing.
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return ErrNoDatabase
	}
	var version int
	if err := pool.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil {
		return err
	}
	switch {
	case version > len(migrations):
		return fmt.Errorf("%w: the database is at version %d, this build knows %d", ErrSchemaNewer, version, len(migrations))
	case version < len(migrations):
		return fmt.Errorf("%w: the database is at version %d, this build at %d (a server of this build upgrades it)", ErrSchemaOutdated, version, len(migrations))
	}
	return nil
}

// migrate applies the migrations the database lacks. An advisory lock,
// scoped to the schema, makes nodes that start together apply each step
// once: the second waits, then finds the schema current.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('rolecall.migrate.' || current_schema()))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			id      int PRIMARY KEY CHECK (id = 1),
			version int NOT NULL
		)`); err != nil {
			return err
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (id, version) VALUES (1, 0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > len(migrations) {
			return fmt.Errorf("%w: the database is at version %d, this build knows %d", ErrSchemaNewer, version, len(migrations))
		}
		if version == len(migrations) {
			return nil
		}
		for ; version < len(migrations); version++ {
			if _, err := tx.Exec(ctx, migrations[version]); err != nil {
				return fmt.Errorf("migration %d: %w", version+1, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE schema_version SET version = $1`, version)
		return err
	})
}
