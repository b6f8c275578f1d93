package trail

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// EventVersion is the CloudTrail record format version rolecall writes.
const EventVersion = "1.11"

// Entry is one authenticated call, as the gateway knows it when the call ends.
type Entry struct {
	Time time.Time
	// Service is the called service; EventSource is used when it is nil.
	Service     *api.Service
	EventSource string
	Operation   string
	ReadOnly    bool
	Principal   *api.Principal
	SourceIP    string
	UserAgent   string
	RequestID   string
	Region      string
	// Account is the account the call acted in (recipientAccountId).
	Account      string
	ErrorCode    string
	ErrorMessage string
	Details      api.TrailDetails
	// InvokedBy names the service that made the call on the principal's
	// behalf ("lambda.amazonaws.com"); Principal.InvokedBy is used when empty.
	InvokedBy string
	// Category is the event's category; empty means api.Management.
	Category api.Category
	// Decisions are the authorization decisions the call made. They are
	// stored with the event, outside its CloudTrail record.
	Decisions []api.Decision
}

func (e *Entry) category() api.Category {
	if e.Category == "" {
		return api.Management
	}
	return e.Category
}

// record is a CloudTrail record; field order follows AWS's.
type record struct {
	EventVersion       string              `json:"eventVersion"`
	UserIdentity       *userIdentity       `json:"userIdentity"`
	EventTime          string              `json:"eventTime"`
	EventSource        string              `json:"eventSource"`
	EventName          string              `json:"eventName"`
	AWSRegion          string              `json:"awsRegion"`
	SourceIPAddress    string              `json:"sourceIPAddress"`
	UserAgent          string              `json:"userAgent"`
	ErrorCode          string              `json:"errorCode,omitempty"`
	ErrorMessage       string              `json:"errorMessage,omitempty"`
	RequestParameters  map[string]any      `json:"requestParameters"`
	ResponseElements   map[string]any      `json:"responseElements"`
	RequestID          string              `json:"requestID,omitempty"`
	EventID            string              `json:"eventID"`
	ReadOnly           bool                `json:"readOnly"`
	Resources          []api.TrailResource `json:"resources,omitempty"`
	EventType          string              `json:"eventType"`
	ManagementEvent    bool                `json:"managementEvent"`
	RecipientAccountID string              `json:"recipientAccountId"`
	EventCategory      string              `json:"eventCategory"`
}

type userIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer       sessionIssuer     `json:"sessionIssuer"`
	WebIDFederationData struct{}          `json:"webIdFederationData"`
	Attributes          sessionAttributes `json:"attributes"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttributes struct {
	CreationDate     string `json:"creationDate,omitempty"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

const timeFormat = "2006-01-02T15:04:05Z"

// invokedBy returns the service that made the call on the principal's behalf.
func (e *Entry) invokedBy() string {
	if e.InvokedBy != "" {
		return e.InvokedBy
	}
	if e.Principal != nil {
		return e.Principal.InvokedBy
	}
	return ""
}

func (e *Entry) eventSource() string {
	if e.Service != nil {
		return e.Service.EventSource
	}
	return e.EventSource
}

// Username is the name LookupEvents shows and filters on: the user name for
// IAM users, the session name for role sessions, "root" for the root user.
func Username(p *api.Principal) string {
	if p == nil {
		return ""
	}
	switch p.Type {
	case api.Root:
		return "root"
	case api.IAMUser:
		return p.UserName
	case api.AssumedRole:
		return p.SessionName
	}
	return ""
}

func identity(p *api.Principal, invokedBy string) *userIdentity {
	if p == nil || p.Type == api.Anonymous {
		return &userIdentity{Type: "AWSAccount", AccountID: "ANONYMOUS_PRINCIPAL"}
	}
	id := &userIdentity{
		Type:        string(p.Type),
		PrincipalID: p.PrincipalID,
		ARN:         p.ARN,
		AccountID:   p.Account,
		AccessKeyID: p.AccessKeyID,
		InvokedBy:   invokedBy,
	}
	switch p.Type {
	case api.Root:
		if id.PrincipalID == "" {
			id.PrincipalID = p.Account
		}
	case api.IAMUser:
		id.UserName = p.UserName
	case api.AssumedRole:
		sc := &sessionContext{
			SessionIssuer: sessionIssuer{
				Type:        "Role",
				PrincipalID: p.RoleID,
				ARN:         p.RoleARN,
				AccountID:   p.Account,
				UserName:    p.RoleName,
			},
			Attributes: sessionAttributes{MFAAuthenticated: "false"},
		}
		if !p.SessionIssued.IsZero() {
			sc.Attributes.CreationDate = p.SessionIssued.UTC().Format(timeFormat)
		}
		id.SessionContext = sc
	case api.AWSService:
		id = &userIdentity{Type: string(api.AWSService), InvokedBy: invokedBy}
		if id.InvokedBy == "" {
			id.InvokedBy = p.PrincipalID
		}
	}
	return id
}

// event turns an entry into the stored event and its CloudTrail record.
func (e *Entry) event() (store.Event, error) {
	// Time-ordered ids (UUID version 7) keep the event-id index append-only.
	id, err := uuid.NewV7()
	if err != nil {
		return store.Event{}, fmt.Errorf("trail: event id: %w", err)
	}
	t := e.Time.UTC()
	region := e.Region
	if e.Service != nil && e.Service.Global {
		region = "us-east-1"
	}
	invokedBy := e.invokedBy()
	r := record{
		EventVersion:       EventVersion,
		UserIdentity:       identity(e.Principal, invokedBy),
		EventTime:          t.Format(timeFormat),
		EventSource:        e.eventSource(),
		EventName:          e.Operation,
		AWSRegion:          region,
		SourceIPAddress:    e.SourceIP,
		UserAgent:          e.UserAgent,
		ErrorCode:          e.ErrorCode,
		ErrorMessage:       e.ErrorMessage,
		RequestParameters:  e.Details.RequestParameters,
		RequestID:          e.RequestID,
		EventID:            id.String(),
		ReadOnly:           e.ReadOnly,
		Resources:          e.Details.Resources,
		EventType:          "AwsApiCall",
		ManagementEvent:    e.category() == api.Management,
		RecipientAccountID: e.Account,
		EventCategory:      string(e.category()),
	}
	if invokedBy != "" {
		r.SourceIPAddress = invokedBy
		r.UserAgent = invokedBy
	}
	if e.ErrorCode == "" {
		r.ResponseElements = e.Details.ResponseElements
	}
	b, err := json.Marshal(&r)
	if err != nil {
		// A handler put something unencodable in its details: keep the event
		// without them rather than lose it.
		r.RequestParameters, r.ResponseElements = nil, nil
		if b, err = json.Marshal(&r); err != nil {
			return store.Event{}, fmt.Errorf("trail: encode %s record: %w", e.Operation, err)
		}
	}
	ev := store.Event{
		ID:       r.EventID,
		Time:     t,
		Name:     e.Operation,
		Source:   r.EventSource,
		Username: Username(e.Principal),
		ReadOnly: e.ReadOnly,
		Category: string(e.category()),
		Account:  e.Account,
		Record:   b,
	}
	if e.Principal != nil {
		ev.AccessKeyID = e.Principal.AccessKeyID
	}
	if id := r.UserIdentity; id != nil {
		ev.PrincipalARN = id.ARN
		if id.SessionContext != nil {
			ev.IssuerARN = id.SessionContext.SessionIssuer.ARN
		}
	}
	if len(e.Decisions) > 0 {
		if ev.Decisions, err = json.Marshal(e.Decisions); err != nil {
			return store.Event{}, fmt.Errorf("trail: encode %s decisions: %w", e.Operation, err)
		}
		if err := e.accesses(&ev, invokedBy); err != nil {
			return store.Event{}, err
		}
	}
	for _, res := range e.Details.Resources {
		ev.Resources = append(ev.Resources, store.EventResource{Type: res.Type, Name: res.ARN})
	}
	return ev, nil
}

// accesses fills ev's access rows, one per decision, and the replay records
// they name.
func (e *Entry) accesses(ev *store.Event, invokedBy string) error {
	ev.Accesses = make([]store.Access, len(e.Decisions))
	for i, d := range e.Decisions {
		a := store.Access{
			Time: ev.Time, Account: ev.Account, PrincipalARN: ev.PrincipalARN, IssuerARN: ev.IssuerARN,
			EventSource: ev.Source, EventName: ev.Name, Action: d.Action, Resource: d.Resource,
			Decision: d.Decision, Extra: d.Extra, InvokedBy: invokedBy, Count: 1, EventID: ev.ID,
		}
		if d.Replay != nil {
			rec, err := json.Marshal(d.Replay)
			if err != nil {
				return fmt.Errorf("trail: encode %s replay record of %s: %w", e.Operation, d.Action, err)
			}
			a.Request = requestKey(rec)
			if ev.Requests == nil {
				ev.Requests = map[string][]byte{}
			}
			ev.Requests[a.Request] = rec
		}
		ev.Accesses[i] = a
	}
	return nil
}

// requestKey is the key a replay record is stored under: the first 32 hex
// digits of its SHA-256, so that a record is stored once however many
// decisions it replays.
func requestKey(record []byte) string {
	sum := sha256.Sum256(record)
	return hex.EncodeToString(sum[:16])
}

// Decisions returns the authorization decisions stored with ev (none for an
// event recorded without them).
func Decisions(ev store.Event) ([]api.Decision, error) {
	if len(ev.Decisions) == 0 {
		return nil, nil
	}
	var ds []api.Decision
	if err := json.Unmarshal(ev.Decisions, &ds); err != nil {
		return nil, fmt.Errorf("trail: decode decisions of event %s: %w", ev.ID, err)
	}
	return ds, nil
}
