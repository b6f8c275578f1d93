// Package sqs is Amazon Simple Queue Service, in both its protocols: the
// JSON protocol (awsJson1_0, X-Amz-Target AmazonSQS.*, with AWS's
// query-compatible error codes) and the query protocol (Action=...,
// Version=2012-11-05, XML answers) that older clients speak.
package sqs

import (
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Wire names of the service.
const (
	TargetPrefix = "AmazonSQS"
	APIVersion   = "2012-11-05"
	XMLNamespace = "http://queue.amazonaws.com/doc/2012-11-05/"
)

// Config configures SQS.
type Config struct {
	// Account and Region are the defaults.
	Account string
	Region  string
	Store   store.Store
	// Feed, when set, keeps cached queue records fresh across nodes.
	Feed *store.Feed
	// Endpoint returns the base URL clients reach rolecall at
	// ("http://127.0.0.1:4566"): queue URLs are built on it.
	Endpoint func() string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// SQS is the Simple Queue Service.
type SQS struct {
	cfg Config
}

// New returns SQS configured by cfg.
func New(cfg Config) (*SQS, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("sqs: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SQS{cfg: cfg}, nil
}

// Service returns the operation table.
func (s *SQS) Service() *api.Service {
	return api.NewService(api.Service{
		Name:         "sqs",
		EventSource:  "sqs.amazonaws.com",
		Protocols:    []string{"awsJson1_0", "awsQuery"},
		TargetPrefix: TargetPrefix,
		APIVersion:   APIVersion,
		XMLNamespace: XMLNamespace,
	}, s.operations()...)
}

func (s *SQS) operations() []*api.Operation { return nil }
