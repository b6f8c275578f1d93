package xray

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// The Default rule every account has: one request a second, then 5%.
const (
	defaultRuleName = "Default"
	defaultPriority = 10000
	defaultRate     = 0.05
	defaultSize     = 1
	ruleVersion     = 1
)

// targetInterval is how often clients report statistics, in seconds; a
// client not heard from in activeClients intervals no longer shares the
// reservoir.
const (
	targetInterval = 10
	activeClients  = 3
)

type samplingRule struct {
	RuleName      string            `json:"RuleName"`
	RuleARN       string            `json:"RuleARN"`
	ResourceARN   string            `json:"ResourceARN"`
	Priority      int               `json:"Priority"`
	FixedRate     float64           `json:"FixedRate"`
	ReservoirSize int               `json:"ReservoirSize"`
	ServiceName   string            `json:"ServiceName"`
	ServiceType   string            `json:"ServiceType"`
	Host          string            `json:"Host"`
	HTTPMethod    string            `json:"HTTPMethod"`
	URLPath       string            `json:"URLPath"`
	Version       int               `json:"Version"`
	Attributes    map[string]string `json:"Attributes"`
}

type samplingRuleRecord struct {
	SamplingRule samplingRule `json:"SamplingRule"`
	CreatedAt    epoch        `json:"CreatedAt"`
	ModifiedAt   epoch        `json:"ModifiedAt"`
}

// rulesState is what is kept of an account's rule set: when it began.
type rulesState struct {
	Modified int64 `json:"modified"` // unix milliseconds
}

func defaultRule(c *api.Call) samplingRule {
	return samplingRule{
		RuleName:      defaultRuleName,
		RuleARN:       "arn:aws:xray:" + c.Region + ":" + c.Account + ":sampling-rule/" + defaultRuleName,
		ResourceARN:   "*",
		Priority:      defaultPriority,
		FixedRate:     defaultRate,
		ReservoirSize: defaultSize,
		ServiceName:   "*",
		ServiceType:   "*",
		Host:          "*",
		HTTPMethod:    "*",
		URLPath:       "*",
		Version:       ruleVersion,
		Attributes:    map[string]string{},
	}
}

// rulesModified returns when the account's rule set last changed: the first
// time X-Ray sampling was used in the account and region.
func (x *XRay) rulesModified(c *api.Call) (time.Time, error) {
	key := scope(c) + "rules"
	var st rulesState
	err := store.GetJSON(c.Context, x.st, samplingTable, key, &st)
	if errors.Is(err, store.ErrNotFound) {
		_, err = x.st.Update(c.Context, func(tx store.Tx) error {
			st = rulesState{} // a run again after a conflict starts over
			err := store.GetJSON(c.Context, tx, samplingTable, key, &st)
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			st.Modified = x.clock(c).Truncate(time.Second).UnixMilli()
			return store.PutJSON(c.Context, tx, samplingTable, key, st)
		})
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(st.Modified).UTC(), nil
}

type getSamplingRulesInput struct {
	NextToken string `json:"NextToken"`
}

type getSamplingRulesOutput struct {
	SamplingRuleRecords []samplingRuleRecord `json:"SamplingRuleRecords"`
	NextToken           string               `json:"NextToken,omitempty"`
}

func (x *XRay) getSamplingRules(c *api.Call) (any, error) {
	var in getSamplingRulesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.NextToken != "" {
		// Every rule fits on the first page.
		return nil, badToken()
	}
	modified, err := x.rulesModified(c)
	if err != nil {
		return nil, internal("GetSamplingRules", err)
	}
	return &getSamplingRulesOutput{SamplingRuleRecords: []samplingRuleRecord{{
		SamplingRule: defaultRule(c),
		CreatedAt:    0,
		ModifiedAt:   toEpoch(modified),
	}}}, nil
}

type samplingStatistics struct {
	RuleName     string `json:"RuleName"`
	ClientID     string `json:"ClientID"`
	Timestamp    epoch  `json:"Timestamp"`
	RequestCount int    `json:"RequestCount"`
	SampledCount int    `json:"SampledCount"`
	BorrowCount  int    `json:"BorrowCount"`
}

type getSamplingTargetsInput struct {
	SamplingStatisticsDocuments      []samplingStatistics `json:"SamplingStatisticsDocuments"`
	SamplingBoostStatisticsDocuments []map[string]any     `json:"SamplingBoostStatisticsDocuments"`
}

type samplingTarget struct {
	RuleName          string  `json:"RuleName"`
	FixedRate         float64 `json:"FixedRate"`
	ReservoirQuota    *int    `json:"ReservoirQuota,omitempty"`
	ReservoirQuotaTTL *epoch  `json:"ReservoirQuotaTTL,omitempty"`
	Interval          int     `json:"Interval"`
}

type unprocessedStatistics struct {
	RuleName  string `json:"RuleName,omitempty"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

type getSamplingTargetsOutput struct {
	SamplingTargetDocuments    []samplingTarget        `json:"SamplingTargetDocuments"`
	LastRuleModification       epoch                   `json:"LastRuleModification"`
	UnprocessedStatistics      []unprocessedStatistics `json:"UnprocessedStatistics"`
	UnprocessedBoostStatistics []unprocessedStatistics `json:"UnprocessedBoostStatistics"`
}

// clientStats is what is kept of one client's reports for one rule.
type clientStats struct {
	Seen     int64 `json:"seen"` // unix milliseconds
	Requests int64 `json:"requests"`
	Sampled  int64 `json:"sampled"`
	Borrowed int64 `json:"borrowed"`
}

func (x *XRay) getSamplingTargets(c *api.Call) (any, error) {
	var in getSamplingTargetsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	docs := in.SamplingStatisticsDocuments
	modified, err := x.rulesModified(c)
	if err != nil {
		return nil, internal("GetSamplingTargets", err)
	}
	now := x.clock(c)
	out := &getSamplingTargetsOutput{
		SamplingTargetDocuments:    []samplingTarget{},
		LastRuleModification:       toEpoch(modified),
		UnprocessedStatistics:      []unprocessedStatistics{},
		UnprocessedBoostStatistics: []unprocessedStatistics{},
	}
	rule := defaultRule(c)
	_, err = x.st.Update(c.Context, func(tx store.Tx) error {
		// A run again after a conflict starts over.
		out.SamplingTargetDocuments = out.SamplingTargetDocuments[:0]
		out.UnprocessedStatistics = out.UnprocessedStatistics[:0]
		for _, d := range docs {
			if d.RuleName != rule.RuleName {
				out.UnprocessedStatistics = append(out.UnprocessedStatistics, unprocessedStatistics{RuleName: d.RuleName, ErrorCode: "400", Message: "Unknown rule"})
				continue
			}
			prefix := scope(c) + "client|" + rule.RuleName + "|"
			key := prefix + d.ClientID
			var cs clientStats
			if err := store.GetJSON(c.Context, tx, samplingTable, key, &cs); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			cs.Seen = now.UnixMilli()
			cs.Requests += int64(d.RequestCount)
			cs.Sampled += int64(d.SampledCount)
			cs.Borrowed += int64(d.BorrowCount)
			if err := store.PutJSON(c.Context, tx, samplingTable, key, cs); err != nil {
				return err
			}
			quota, err := quota(c, tx, prefix, d.ClientID, rule.ReservoirSize, now)
			if err != nil {
				return err
			}
			ttl := toEpoch(now.Add(targetInterval * time.Second))
			out.SamplingTargetDocuments = append(out.SamplingTargetDocuments, samplingTarget{
				RuleName:          rule.RuleName,
				FixedRate:         rule.FixedRate,
				ReservoirQuota:    &quota,
				ReservoirQuotaTTL: &ttl,
				Interval:          targetInterval,
			})
		}
		return nil
	})
	if err != nil {
		return nil, internal("GetSamplingTargets", err)
	}
	return out, nil
}

// quota shares a rule's reservoir among the clients that reported recently:
// each gets an equal part, and the first ones by client ID the remainder.
func quota(c *api.Call, tx store.Tx, prefix, clientID string, size int, now time.Time) (int, error) {
	items, err := tx.List(c.Context, samplingTable, prefix, "", 0)
	if err != nil {
		return 0, err
	}
	cutoff := now.Add(-activeClients * targetInterval * time.Second).UnixMilli()
	active, index := 0, -1
	for _, it := range items {
		var cs clientStats
		if err := json.Unmarshal(it.Value, &cs); err != nil {
			return 0, fmt.Errorf("decode %s: %w", it.Key, err)
		}
		if cs.Seen < cutoff {
			continue
		}
		if it.Key == prefix+clientID {
			index = active
		}
		active++
	}
	if active == 0 || index < 0 {
		return size, nil
	}
	q := size / active
	if index < size%active {
		q++
	}
	return q, nil
}
