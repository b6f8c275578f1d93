package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// mappingType is the trail's type of an event source mapping.
const mappingType = "AWS::Lambda::EventSourceMapping"

// Operations returns the event source mapping operations of Lambda's
// operation table (restJson1, https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
// and the rest): CreateEventSourceMapping is authorized on "*" with
// lambda:FunctionArn, Get, Update and Delete on the mapping's ARN
// (arn:aws:lambda:REGION:ACCOUNT:event-source-mapping:UUID) with its tags
// and lambda:FunctionArn, ListEventSourceMappings on "*".
func (m *Manager) Operations() []*api.Operation {
	const base = "/2015-03-31/event-source-mappings"
	return []*api.Operation{
		{Name: "CreateEventSourceMapping", Action: "lambda:CreateEventSourceMapping", HTTP: api.HTTP{Method: http.MethodPost, Path: base}, SuccessStatus: http.StatusAccepted, Conditions: m.createConditions, Handle: m.create},
		{Name: "ListEventSourceMappings", Action: "lambda:ListEventSourceMappings", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: base}, Handle: m.list},
		{Name: "GetEventSourceMapping", Action: "lambda:GetEventSourceMapping", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: base + "/{UUID}"}, Resource: m.mappingResource, Handle: m.get},
		{Name: "UpdateEventSourceMapping", Action: "lambda:UpdateEventSourceMapping", HTTP: api.HTTP{Method: http.MethodPut, Path: base + "/{UUID}"}, SuccessStatus: http.StatusAccepted, Resource: m.mappingResource, Conditions: m.mappingConditions, Handle: m.update},
		{Name: "DeleteEventSourceMapping", Action: "lambda:DeleteEventSourceMapping", HTTP: api.HTTP{Method: http.MethodDelete, Path: base + "/{UUID}"}, SuccessStatus: http.StatusAccepted, Resource: m.mappingResource, Handle: m.delete},
	}
}

// mappingInput is the body of CreateEventSourceMapping and
// UpdateEventSourceMapping. Members Lambda has and rolecall does not
// serve are decoded so that they are refused, not ignored.
type mappingInput struct {
	FunctionName                        *string                      `json:"FunctionName"`
	EventSourceArn                      *string                      `json:"EventSourceArn"`
	Enabled                             *bool                        `json:"Enabled"`
	BatchSize                           *int                         `json:"BatchSize"`
	FilterCriteria                      *FilterCriteria              `json:"FilterCriteria"`
	MaximumBatchingWindowInSeconds      *int                         `json:"MaximumBatchingWindowInSeconds"`
	ParallelizationFactor               *int                         `json:"ParallelizationFactor"`
	StartingPosition                    *string                      `json:"StartingPosition"`
	StartingPositionTimestamp           *float64                     `json:"StartingPositionTimestamp"`
	DestinationConfig                   *DestinationConfig           `json:"DestinationConfig"`
	MaximumRecordAgeInSeconds           *int                         `json:"MaximumRecordAgeInSeconds"`
	BisectBatchOnFunctionError          *bool                        `json:"BisectBatchOnFunctionError"`
	MaximumRetryAttempts                *int                         `json:"MaximumRetryAttempts"`
	TumblingWindowInSeconds             *int                         `json:"TumblingWindowInSeconds"`
	FunctionResponseTypes               *[]string                    `json:"FunctionResponseTypes"`
	ScalingConfig                       *ScalingConfig               `json:"ScalingConfig"`
	Tags                                map[string]string            `json:"Tags"`
	Topics                              []string                     `json:"Topics"`
	Queues                              []string                     `json:"Queues"`
	SourceAccessConfigurations          *[]SourceAccessConfiguration `json:"SourceAccessConfigurations"`
	SelfManagedEventSource              *SelfManagedEventSource      `json:"SelfManagedEventSource"`
	AmazonManagedKafkaEventSourceConfig *KafkaEventSourceConfig      `json:"AmazonManagedKafkaEventSourceConfig"`
	SelfManagedKafkaEventSourceConfig   *KafkaEventSourceConfig      `json:"SelfManagedKafkaEventSourceConfig"`
	KMSKeyArn                           *string                      `json:"KMSKeyArn"`
	MetricsConfig                       json.RawMessage              `json:"MetricsConfig"`
	LoggingConfig                       json.RawMessage              `json:"LoggingConfig"`
	DocumentDBEventSourceConfig         json.RawMessage              `json:"DocumentDBEventSourceConfig"`
	ProvisionedPollerConfig             json.RawMessage              `json:"ProvisionedPollerConfig"`

	// schemaRegistry is set when a Kafka configuration carries a
	// SchemaRegistryConfig.
	schemaRegistry bool
}

// schemaRegistries are the Kafka schema registry settings of a request,
// which rolecall does not serve.
type schemaRegistries struct {
	AmazonManagedKafkaEventSourceConfig *struct {
		SchemaRegistryConfig json.RawMessage `json:"SchemaRegistryConfig"`
	} `json:"AmazonManagedKafkaEventSourceConfig"`
	SelfManagedKafkaEventSourceConfig *struct {
		SchemaRegistryConfig json.RawMessage `json:"SchemaRegistryConfig"`
	} `json:"SelfManagedKafkaEventSourceConfig"`
}

// Configuration is EventSourceMappingConfiguration, the answer of every
// mapping operation, members in the model's order. Times are epoch
// seconds.
type Configuration struct {
	UUID                                string                      `json:"UUID"`
	StartingPosition                    string                      `json:"StartingPosition,omitempty"`
	StartingPositionTimestamp           *float64                    `json:"StartingPositionTimestamp,omitempty"`
	BatchSize                           int                         `json:"BatchSize"`
	MaximumBatchingWindowInSeconds      *int                        `json:"MaximumBatchingWindowInSeconds,omitempty"`
	ParallelizationFactor               *int                        `json:"ParallelizationFactor,omitempty"`
	EventSourceArn                      string                      `json:"EventSourceArn,omitempty"`
	FilterCriteria                      *FilterCriteria             `json:"FilterCriteria,omitempty"`
	ScalingConfig                       *ScalingConfig              `json:"ScalingConfig,omitempty"`
	FunctionArn                         string                      `json:"FunctionArn"`
	LastModified                        float64                     `json:"LastModified"`
	LastProcessingResult                string                      `json:"LastProcessingResult,omitempty"`
	State                               string                      `json:"State"`
	StateTransitionReason               string                      `json:"StateTransitionReason"`
	DestinationConfig                   *DestinationConfig          `json:"DestinationConfig,omitempty"`
	Topics                              []string                    `json:"Topics,omitempty"`
	Queues                              []string                    `json:"Queues,omitempty"`
	SourceAccessConfigurations          []SourceAccessConfiguration `json:"SourceAccessConfigurations,omitempty"`
	SelfManagedEventSource              *SelfManagedEventSource     `json:"SelfManagedEventSource,omitempty"`
	MaximumRecordAgeInSeconds           *int                        `json:"MaximumRecordAgeInSeconds,omitempty"`
	BisectBatchOnFunctionError          *bool                       `json:"BisectBatchOnFunctionError,omitempty"`
	MaximumRetryAttempts                *int                        `json:"MaximumRetryAttempts,omitempty"`
	FunctionResponseTypes               []string                    `json:"FunctionResponseTypes,omitempty"`
	AmazonManagedKafkaEventSourceConfig *KafkaEventSourceConfig     `json:"AmazonManagedKafkaEventSourceConfig,omitempty"`
	SelfManagedKafkaEventSourceConfig   *KafkaEventSourceConfig     `json:"SelfManagedKafkaEventSourceConfig,omitempty"`
	EventSourceMappingArn               string                      `json:"EventSourceMappingArn"`
}

// ListOutput is ListEventSourceMappings' answer.
type ListOutput struct {
	NextMarker          string           `json:"NextMarker,omitempty"`
	EventSourceMappings []*Configuration `json:"EventSourceMappings"`
}

// epochSeconds is t as the wire's timestamps: seconds since the epoch,
// to the millisecond.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// configuration renders mp as Lambda answers it.
func (m *Manager) configuration(ctx context.Context, mp *Mapping) (*Configuration, error) {
	out := &Configuration{
		UUID: mp.UUID, StartingPosition: mp.StartingPosition, BatchSize: mp.BatchSize,
		MaximumBatchingWindowInSeconds: mp.MaximumBatchingWindowInSeconds,
		EventSourceArn:                 mp.EventSourceArn, FilterCriteria: mp.FilterCriteria, ScalingConfig: mp.ScalingConfig,
		FunctionArn: mp.FunctionArn, LastModified: epochSeconds(mp.LastModified),
		State: mp.State, StateTransitionReason: mp.StateTransitionReason, DestinationConfig: mp.DestinationConfig,
		Topics: mp.Topics, Queues: mp.Queues, SourceAccessConfigurations: mp.SourceAccessConfigurations,
		SelfManagedEventSource:    mp.SelfManagedEventSource,
		MaximumRecordAgeInSeconds: mp.MaximumRecordAgeInSeconds, BisectBatchOnFunctionError: mp.BisectBatchOnFunctionError,
		MaximumRetryAttempts: mp.MaximumRetryAttempts, FunctionResponseTypes: mp.FunctionResponseTypes,
		AmazonManagedKafkaEventSourceConfig: mp.AmazonManagedKafkaEventSourceConfig,
		SelfManagedKafkaEventSourceConfig:   mp.SelfManagedKafkaEventSourceConfig,
		EventSourceMappingArn:               mp.EventSourceMappingArn,
	}
	if mp.StartingPositionTimestamp != nil {
		ts := epochSeconds(*mp.StartingPositionTimestamp)
		out.StartingPositionTimestamp = &ts
	}
	if mp.ParallelizationFactor > 0 {
		pf := mp.ParallelizationFactor
		out.ParallelizationFactor = &pf
	}
	if !rules[mp.Kind].broker {
		r, err := m.lastProcessingResult(ctx, mp.UUID)
		if err != nil {
			return nil, fmt.Errorf("esm: the last processing result of %s: %w", mp.UUID, err)
		}
		if r == "" && rules[mp.Kind].stream {
			// Lambda answers for SQS only once a poller reported.
			r = "No records processed"
		}
		out.LastProcessingResult = r
	}
	return out, nil
}

// mappingKey is a mapping's key in tableMappings.
func mappingKey(account, id string) string { return account + "/" + id }

// mappingARN is the ARN of the mapping id.
func (m *Manager) mappingARN(account, id string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", m.cfg.Region, account, id)
}

// load reads the mapping id of account; a missing one is Lambda's
// ResourceNotFoundException.
func load(ctx context.Context, r store.Reader, account, id string) (*Mapping, error) {
	b, err := r.Get(ctx, tableMappings, mappingKey(account, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("The resource you requested does not exist.")
	}
	if err != nil {
		return nil, fmt.Errorf("esm: read mapping %s: %w", id, err)
	}
	mp := new(Mapping)
	if err := json.Unmarshal(b, mp); err != nil {
		return nil, fmt.Errorf("esm: decode mapping %s: %w", id, err)
	}
	return mp, nil
}

// save writes mp in tx.
func save(ctx context.Context, tx store.Tx, mp *Mapping) error {
	mp.V = mappingFormat
	b, err := json.Marshal(mp)
	if err != nil {
		return fmt.Errorf("esm: encode mapping %s: %w", mp.UUID, err)
	}
	return tx.Put(ctx, tableMappings, mappingKey(mp.Account, mp.UUID), b)
}

// decodeInput decodes a create or update body.
func decodeInput(c *api.Call) (*mappingInput, error) {
	in := new(mappingInput)
	var sr schemaRegistries
	targets := []any{in, &sr}
	if c.Input != nil {
		targets = targets[:1] // an in-process call's typed input
	}
	for _, v := range targets {
		if err := c.Decode(v); err != nil {
			var e *api.Error
			if errors.As(err, &e) {
				return nil, e
			}
			return nil, errInvalidParam("%v", err)
		}
	}
	in.schemaRegistry = (sr.AmazonManagedKafkaEventSourceConfig != nil && sr.AmazonManagedKafkaEventSourceConfig.SchemaRegistryConfig != nil) ||
		(sr.SelfManagedKafkaEventSourceConfig != nil && sr.SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig != nil)
	return in, nil
}

// createConditions are CreateEventSourceMapping's keys: lambda:FunctionArn
// (the function as named, qualified when a qualifier is given) and the
// request's tags.
func (m *Manager) createConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	in, err := decodeInput(c)
	if err != nil {
		return // the handler refuses the body
	}
	if in.FunctionName != nil {
		if arn := m.conditionFunctionARN(c, *in.FunctionName); arn != "" {
			keys.Set("lambda:FunctionArn", arn)
		}
	}
	tagKeys := make([]string, 0, len(in.Tags))
	for k, v := range in.Tags {
		keys.Set("aws:RequestTag/"+k, v)
		tagKeys = append(tagKeys, k)
	}
	if len(tagKeys) > 0 {
		sort.Strings(tagKeys)
		keys.Set("aws:TagKeys", tagKeys...)
	}
}

// mappingResource is the mapping of the path, with its tags.
func (m *Manager) mappingResource(c *api.Call) (api.Resource, error) {
	id := c.PathParams["UUID"]
	res := api.Resource{ARN: m.mappingARN(c.Account, id), Type: mappingType}
	mp, err := load(c.Context, m.cfg.Store, c.Account, id)
	switch {
	case err == nil:
		// lambda:FunctionArn is the mapping's function; a mapping that
		// does not exist has none, and the handler answers for it.
		res.Tags = mp.Tags
		res.Keys = map[string][]string{"lambda:FunctionArn": {mp.FunctionArn}}
	case !isNotFound(err):
		return api.Resource{}, err
	}
	return res, nil
}

// mappingConditions sets lambda:FunctionArn of UpdateEventSourceMapping to
// the function its FunctionName names, when it names one.
func (m *Manager) mappingConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	if c.OperationName != "UpdateEventSourceMapping" {
		return
	}
	if in, err := decodeInput(c); err == nil && in.FunctionName != nil {
		if arn := m.conditionFunctionARN(c, *in.FunctionName); arn != "" {
			keys.Set("lambda:FunctionArn", arn)
		}
	}
}

// conditionFunctionARN is lambda:FunctionArn for a FunctionName: the ARN
// of the function it resolves to, as the mapping will keep it, so that a
// name spelt another way (an ARN of another partition, say) is the same
// key; the ARN the name spells when it resolves to none (the handler then
// answers ResourceNotFoundException).
func (m *Manager) conditionFunctionARN(c *api.Call, name string) string {
	if fn, err := m.cfg.Functions.Resolve(c.Context, c.Account, name); err == nil {
		return fn.QualifiedARN
	}
	return functionARN(name, c.Account, m.cfg.Region)
}

func isNotFound(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Code == "ResourceNotFoundException"
}

// functionARN is the ARN a FunctionName names: a name, name:qualifier, a
// partial ARN (ACCOUNT:function:name) or a full ARN; "" when it is none.
func functionARN(name, account, region string) string {
	parts := strings.Split(name, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function" && len(parts) <= 8:
		return name
	case (len(parts) == 3 || len(parts) == 4) && parts[1] == "function":
		return "arn:aws:lambda:" + region + ":" + name
	case len(parts) == 1 || len(parts) == 2:
		return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	}
	return ""
}

// create is CreateEventSourceMapping.
func (m *Manager) create(c *api.Call) (any, error) {
	in, err := decodeInput(c)
	if err != nil {
		return nil, err
	}
	mp, err := m.newMapping(c, in)
	if err != nil {
		return nil, err
	}
	fn, err := m.cfg.Functions.Resolve(c.Context, c.Account, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	mp.FunctionArn = fn.QualifiedARN
	if err := m.check(c.Context, mp, fn); err != nil {
		return nil, err
	}
	_, err = m.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if err := duplicate(c.Context, tx, mp, fn); err != nil {
			return err
		}
		return save(c.Context, tx, mp)
	})
	if err != nil {
		return nil, err
	}
	m.changed(mp)
	return m.configuration(c.Context, mp)
}

// newMapping validates a create request and returns the mapping it makes,
// in state Creating.
func (m *Manager) newMapping(c *api.Call, in *mappingInput) (*Mapping, error) {
	if in.FunctionName == nil {
		return nil, errValidation("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	arn := ""
	if in.EventSourceArn != nil {
		arn = *in.EventSourceArn
	}
	kind, err := kindOf(arn, in.SelfManagedEventSource != nil)
	if err != nil {
		return nil, err
	}
	id := uuid.NewString()
	now := m.now()
	mp := &Mapping{
		Account: c.Account, Kind: kind, Generation: 1, UUID: id, EventSourceArn: arn,
		EventSourceMappingArn: m.mappingARN(c.Account, id), LastModified: now, Created: now,
		State: StateCreating, StateTransitionReason: rules[kind].reason, Enabled: true,
		Tags: in.Tags,
	}
	if err := applyCreate(mp, in); err != nil {
		return nil, err
	}
	if err := CheckTags(in.Tags); err != nil {
		return nil, err
	}
	return mp, nil
}

// check applies the checks that need the function's role and the source:
// Lambda can assume the role, and the role may read the source.
func (m *Manager) check(ctx context.Context, mp *Mapping, fn Function) error {
	// "The Lambda function and the Amazon SQS queue must be in the same
	// AWS Region" (Lambda Developer Guide), and so must a stream, a
	// cluster or a broker; the message is the one Lambda has been seen
	// to answer.
	if parts := strings.SplitN(mp.EventSourceArn, ":", 6); len(parts) == 6 && parts[3] != m.cfg.Region {
		return errInvalidParam("Event source region must match Lambda region %s.", m.cfg.Region)
	}
	w := m.newWorker(mp, fn, "")
	if _, err := w.Principal(ctx); err != nil {
		var e *api.Error
		if errors.As(err, &e) {
			return errInvalidParam("The role defined for the function cannot be assumed by Lambda.")
		}
		return fmt.Errorf("esm: the role session of %s: %w", fn.ARN, err)
	}
	if rules[mp.Kind].broker {
		return m.checkBroker(ctx, w, mp)
	}
	src, ok := m.sources[mp.Kind]
	if !ok {
		return errInvalidParam("Unrecognized event source.")
	}
	return src.Check(ctx, w, fn)
}

// duplicate refuses a second mapping of fn on the same queue or stream,
// with Lambda's ResourceConflictException.
func duplicate(ctx context.Context, r store.Reader, mp *Mapping, fn Function) error {
	if mp.EventSourceArn == "" {
		return nil
	}
	items, err := r.List(ctx, tableMappings, mp.Account+"/", "", 0)
	if err != nil {
		return fmt.Errorf("esm: list mappings: %w", err)
	}
	for _, it := range items {
		other := new(Mapping)
		if err := json.Unmarshal(it.Value, other); err != nil {
			return fmt.Errorf("esm: decode mapping %s: %w", it.Key, err)
		}
		if other.UUID == mp.UUID || other.EventSourceArn != mp.EventSourceArn || other.FunctionArn != mp.FunctionArn {
			continue
		}
		if mp.Kind == KindSQS {
			return errConflict(`An event source mapping with SQS arn (" %s ") and function (" %s ") already exists. Please update or delete the existing mapping with UUID %s`,
				mp.EventSourceArn, fn.Name, other.UUID)
		}
		return errConflict(`The event source arn (" %s ") and function (" %s ") provided mapping already exists. Please update or delete the existing mapping with UUID %s`,
			mp.EventSourceArn, fn.Name, other.UUID)
	}
	return nil
}

// get is GetEventSourceMapping.
func (m *Manager) get(c *api.Call) (any, error) {
	mp, err := m.settled(c.Context, c.Account, c.PathParams["UUID"])
	if err != nil {
		return nil, err
	}
	return m.configuration(c.Context, mp)
}

// list is ListEventSourceMappings: the account's mappings in UUID order,
// of one function and one source when FunctionName and EventSourceArn are
// given, MaxItems (1-10000, default 100) a page.
func (m *Manager) list(c *api.Call) (any, error) {
	max := 100
	if s := c.Params.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return nil, errValidation("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s)
		}
		max = n
	}
	after := ""
	scope := api.TokenScope(c.OperationName, c.Account, c.Params.Get("FunctionName"), c.Params.Get("EventSourceArn"))
	if marker := c.Params.Get("Marker"); marker != "" {
		pos, ok := api.DecodeToken(scope, marker)
		if !ok || pos == "" {
			return nil, errInvalidParam("Invalid marker: %s", marker)
		}
		after = mappingKey(c.Account, pos)
	}
	fnARN := ""
	if name := c.Params.Get("FunctionName"); name != "" {
		fn, err := m.cfg.Functions.Resolve(c.Context, c.Account, name)
		if err != nil {
			return nil, err
		}
		fnARN = fn.QualifiedARN
	}
	source := c.Params.Get("EventSourceArn")
	out := &ListOutput{EventSourceMappings: []*Configuration{}}
	var page []*Mapping
	for {
		items, err := m.cfg.Store.List(c.Context, tableMappings, c.Account+"/", after, max+1)
		if err != nil {
			return nil, fmt.Errorf("esm: list mappings: %w", err)
		}
		for _, it := range items {
			mp := new(Mapping)
			if err := json.Unmarshal(it.Value, mp); err != nil {
				return nil, fmt.Errorf("esm: decode mapping %s: %w", it.Key, err)
			}
			if (fnARN == "" || mp.FunctionArn == fnARN) && (source == "" || mp.EventSourceArn == source) {
				page = append(page, mp)
			}
			after = it.Key
			if len(page) > max {
				break
			}
		}
		if len(page) > max || len(items) <= max {
			break
		}
	}
	if len(page) > max {
		page = page[:max]
		out.NextMarker = api.EncodeToken(scope, page[max-1].UUID)
	}
	for _, mp := range page {
		if m.due(mp) {
			var err error
			if mp, err = m.settled(c.Context, mp.Account, mp.UUID); isNotFound(err) {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		cfg, err := m.configuration(c.Context, mp)
		if err != nil {
			return nil, err
		}
		out.EventSourceMappings = append(out.EventSourceMappings, cfg)
	}
	return out, nil
}

// delete is DeleteEventSourceMapping: the mapping answers Deleting, and is
// removed once it settles.
func (m *Manager) delete(c *api.Call) (any, error) {
	var mp *Mapping
	_, err := m.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if mp, err = load(c.Context, tx, c.Account, c.PathParams["UUID"]); err != nil {
			return err
		}
		if mp, err = m.settleTx(c.Context, tx, mp); err != nil {
			return err
		}
		if mp == nil {
			return errNotFound("The resource you requested does not exist.")
		}
		if inUse(mp.State) {
			return errInUse("Cannot delete the event source mapping because it is in use.")
		}
		mp.State, mp.StateTransitionReason = StateDeleting, rules[mp.Kind].reason
		mp.LastModified = m.now()
		mp.Generation++
		return save(c.Context, tx, mp)
	})
	if err != nil {
		return nil, err
	}
	m.changed(mp)
	return m.configuration(c.Context, mp)
}

// CheckTags applies Lambda's rules to the tags of any of its resources
// (functions, mappings): at most 50, none with the reserved prefix
// "aws:". The error is InvalidParameterValueException.
func CheckTags(tags map[string]string) error {
	if len(tags) > 50 {
		return errInvalidParam("Number of tags exceeds resource tag limit.")
	}
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalidParam("Tag keys with the prefix aws: are reserved.")
		}
	}
	return nil
}
