package esm

import (
	"context"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// MappingID returns the UUID an event source mapping's ARN names
// (arn:aws:lambda:REGION:ACCOUNT:event-source-mapping:UUID) and its
// account, and whether arn is one.
func MappingID(arn string) (account, id string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "event-source-mapping" {
		return "", "", false
	}
	return parts[4], parts[6], true
}

// mappingOf returns the account and UUID of the mapping arn names; an
// ARN of another partition or region names no mapping here, Lambda's
// ResourceNotFoundException.
func (m *Manager) mappingOf(arn string) (account, id string, err error) {
	account, id, ok := MappingID(arn)
	if parts := strings.Split(arn, ":"); !ok || parts[1] != "aws" || parts[3] != m.cfg.Region {
		return "", "", errNotFound("The resource you requested does not exist.")
	}
	return account, id, nil
}

// Tags returns the tags of the mapping arn names (ListTags,
// aws:ResourceTag/*); a missing mapping is Lambda's
// ResourceNotFoundException.
func (m *Manager) Tags(ctx context.Context, arn string) (map[string]string, error) {
	account, id, err := m.mappingOf(arn)
	if err != nil {
		return nil, err
	}
	mp, err := load(ctx, m.cfg.Store, account, id)
	if err != nil {
		return nil, err
	}
	tags := mp.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return tags, nil
}

// UpdateTags applies change to the tags of the mapping arn names
// (TagResource, UntagResource) and stores them when Lambda's rules
// (CheckTags) accept them.
func (m *Manager) UpdateTags(ctx context.Context, arn string, change func(map[string]string)) error {
	account, id, err := m.mappingOf(arn)
	if err != nil {
		return err
	}
	_, err = m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		mp, err := load(ctx, tx, account, id)
		if err != nil {
			return err
		}
		tags := make(map[string]string, len(mp.Tags))
		for k, v := range mp.Tags {
			tags[k] = v
		}
		change(tags)
		if err := CheckTags(tags); err != nil {
			return err
		}
		mp.Tags = tags
		if len(tags) == 0 {
			mp.Tags = nil
		}
		mp.Generation++
		return save(ctx, tx, mp)
	})
	if err == nil {
		m.wake()
	}
	return err
}
