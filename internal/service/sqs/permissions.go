package sqs

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

type addPermissionInput struct {
	QueueUrl      string   `json:"QueueUrl"`
	Label         string   `json:"Label"`
	AWSAccountIds []string `json:"AWSAccountIds"`
	Actions       []string `json:"Actions"`
}

type removePermissionInput struct {
	QueueUrl string `json:"QueueUrl"`
	Label    string `json:"Label"`
}

func (in *addPermissionInput) setQueueURL(p string)    { setIfEmpty(&in.QueueUrl, p) }
func (in *removePermissionInput) setQueueURL(p string) { setIfEmpty(&in.QueueUrl, p) }

// permissionActions are the actions AddPermission grants ("*" is all).
var permissionActions = []string{
	"*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
	"GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ListQueueTags",
}

// queuePolicy is the part of a policy document AddPermission and
// RemovePermission edit; statements are kept as written.
type queuePolicy struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

func statementSid(raw json.RawMessage) string {
	var s struct{ Sid string }
	_ = json.Unmarshal(raw, &s)
	return s.Sid
}

// addPermission adds to the queue policy a statement, whose Sid is the
// label, allowing the accounts the actions.
func (s *SQS) addPermission(c *api.Call) (any, error) {
	var in addPermissionInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	switch {
	case in.Label == "":
		return nil, missingParameter("Label")
	case len(in.AWSAccountIds) == 0:
		return nil, missingParameter("AWSAccountId")
	case len(in.Actions) == 0:
		return nil, missingParameter("ActionName")
	case len(in.Label) > 80 || !validEntryID(in.Label):
		return nil, invalidValue("Label", in.Label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	var principals, actions []string
	for _, a := range in.AWSAccountIds {
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return nil, invalidValue("AWSAccountId", a, "Must be a 12-digit AWS account ID.")
		}
		principals = append(principals, "arn:aws:iam::"+a+":root")
	}
	for _, a := range in.Actions {
		if !slices.Contains(permissionActions, a) {
			return nil, invalidValue("ActionName.1", a, "Please refer to the appropriate WSDL for a list of valid actions.")
		}
		actions = append(actions, "SQS:"+a)
	}
	ref, err := parseQueueURL(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	err = s.editPolicy(c, ref, func(p *queuePolicy) error {
		for _, st := range p.Statement {
			if statementSid(st) == in.Label {
				return invalidValue("Label", in.Label, "Already exists.")
			}
		}
		st, err := json.Marshal(map[string]any{
			"Sid": in.Label, "Effect": "Allow", "Principal": map[string]any{"AWS": principals},
			"Action": actions, "Resource": ref.ARN(),
		})
		if err != nil {
			return err
		}
		p.Statement = append(p.Statement, st)
		return nil
	})
	if err != nil {
		return nil, handlerError("add permission", err)
	}
	return nil, nil
}

func (s *SQS) removePermission(c *api.Call) (any, error) {
	var in removePermissionInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, missingParameter("Label")
	}
	ref, err := parseQueueURL(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	err = s.editPolicy(c, ref, func(p *queuePolicy) error {
		n := len(p.Statement)
		p.Statement = slices.DeleteFunc(p.Statement, func(st json.RawMessage) bool { return statementSid(st) == in.Label })
		if len(p.Statement) == n {
			return invalidValue("Label", in.Label, "can't find label.")
		}
		return nil
	})
	if err != nil {
		return nil, handlerError("remove permission", err)
	}
	return nil, nil
}

// editPolicy changes the queue's policy with edit; a policy left without
// statements is removed.
func (s *SQS) editPolicy(c *api.Call, ref queueRef, edit func(*queuePolicy) error) error {
	now := s.cfg.Now().Unix()
	return s.update(c.Context, ref, func(tx store.Tx, rec *queueRecord) error {
		p := queuePolicy{Version: "2012-10-17", ID: ref.ARN() + "/SQSDefaultPolicy"}
		if doc := rec.Attrs["Policy"]; doc != "" {
			if err := json.Unmarshal([]byte(doc), &p); err != nil {
				return err
			}
		}
		if err := edit(&p); err != nil {
			return err
		}
		if len(p.Statement) == 0 {
			delete(rec.Attrs, "Policy")
		} else {
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			if _, err := compilePolicy(string(b)); err != nil {
				return invalidAttributeValue("Policy")
			}
			rec.Attrs["Policy"] = string(b)
		}
		rec.Modified = now
		return writeQueue(c.Context, tx, rec)
	})
}
