// Package kinesis is Amazon Kinesis Data Streams (awsJson1_1, and the CBOR
// form of it that the SDKs send by default, X-Amz-Target
// Kinesis_20131202). Each shard is a seqlog in the store, appended in the
// writing transaction, so sequence numbers follow commit order.
package kinesis

import (
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of Kinesis requests.
const TargetPrefix = "Kinesis_20131202"

// Config configures Kinesis.
type Config struct {
	// Account and Region are the defaults.
	Account string
	Region  string
	Store   store.Store
	// Feed, when set, keeps cached stream records fresh across nodes.
	Feed *store.Feed
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Kinesis is Kinesis Data Streams.
type Kinesis struct {
	cfg Config
}

// New returns Kinesis configured by cfg.
func New(cfg Config) (*Kinesis, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("kinesis: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Kinesis{cfg: cfg}, nil
}

// Service returns the operation table.
func (k *Kinesis) Service() *api.Service {
	return api.NewService(api.Service{
		Name:         "kinesis",
		EventSource:  "kinesis.amazonaws.com",
		Protocols:    []string{"awsJson1_1", "awsCbor1_1"},
		DeniedStatus: 400,
		TargetPrefix: TargetPrefix,
	}, k.operations()...)
}

func (k *Kinesis) operations() []*api.Operation { return nil }
