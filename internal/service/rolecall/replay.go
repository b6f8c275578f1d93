package rolecall

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/access/replay"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// replayOps returns the operations of replay.
func (r *API) replayOps() []*api.Operation {
	return []*api.Operation{{
		Name:     "ReplayPolicy",
		Action:   "iam:SimulatePrincipalPolicy",
		ReadOnly: true,
		HTTP:     api.HTTP{Method: http.MethodPost, Path: "/v1/replay"},
		Resource: r.replayResource,
		Also:     []api.Check{{Action: "cloudtrail:LookupEvents"}},
		Handle:   r.replayPolicy,
	}}
}

// replayInput is ReplayPolicy's input; times are epoch seconds.
type replayInput struct {
	PrincipalARN string              `json:"principalArn"`
	StartTime    *float64            `json:"startTime"`
	EndTime      *float64            `json:"endTime"`
	Changes      []replay.ChangeSpec `json:"changes"`
}

// replayOutput is ReplayPolicy's output.
type replayOutput struct {
	PrincipalARN string `json:"principalArn"`
	StartTime    int64  `json:"startTime"`
	EndTime      int64  `json:"endTime"`
	*replay.Result
}

// replayResource decodes and checks the input, before the call is
// authorized (AWS validates first), and names the principal replayed.
func (r *API) replayResource(c *api.Call) (api.Resource, error) {
	in, err := decodeReplay(c)
	if err != nil {
		return api.Resource{}, err
	}
	typ := "AWS::IAM::Role"
	if strings.Contains(in.PrincipalARN, ":user/") {
		typ = "AWS::IAM::User"
	}
	return api.Resource{ARN: in.PrincipalARN, Type: typ}, nil
}

// decodeReplay decodes ReplayPolicy's input strictly and checks it.
func decodeReplay(c *api.Call) (*replayInput, error) {
	var in replayInput
	if err := decodeStrict(c, &in); err != nil {
		return nil, err
	}
	if _, _, ok := principalARN(in.PrincipalARN); !ok {
		return nil, replayInvalid("principalArn: %q is not the ARN of an IAM role or user", in.PrincipalARN)
	}
	if in.StartTime == nil || in.EndTime == nil {
		return nil, replayInvalid("startTime and endTime are required (epoch seconds)")
	}
	if !(*in.StartTime < *in.EndTime) || math.IsInf(*in.StartTime, 0) || math.IsInf(*in.EndTime, 0) {
		return nil, replayInvalid("startTime must be before endTime")
	}
	if len(in.Changes) == 0 {
		return nil, replayInvalid("changes: give at least one change")
	}
	return &in, nil
}

// principalARN splits an IAM role or user ARN into its account and kind.
func principalARN(arn string) (account, kind string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", false
	}
	account, res, ok := strings.Cut(rest, ":")
	if !ok || len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return "", "", false
	}
	kind, name, ok := strings.Cut(res, "/")
	if !ok || (kind != "role" && kind != "user") || name == "" || strings.HasSuffix(name, "/") {
		return "", "", false
	}
	return account, kind, true
}

func (r *API) replayPolicy(c *api.Call) (any, error) {
	in, err := decodeReplay(c)
	if err != nil {
		return nil, err
	}
	if r.cfg.IAM == nil {
		return nil, errors.New("rolecall: replay without IAM")
	}
	p, err := r.principal(c, in.PrincipalARN)
	if err != nil {
		return nil, err
	}
	current, err := r.cfg.IAM.PolicyInput(c.Context, p)
	if err != nil {
		return nil, fmt.Errorf("rolecall: policies of %s: %w", in.PrincipalARN, err)
	}
	// A managed policy replayed as it is is read as IAM's GetPolicyVersion
	// reads it: the caller must be allowed to, and one of another account
	// is not readable at all.
	managed := func(ctx context.Context, arn string) (*policy.Policy, error) {
		if err := c.Authorize("iam:GetPolicyVersion", api.Resource{ARN: arn, Type: "AWS::IAM::ManagedPolicy"}, nil); err != nil {
			return nil, err
		}
		return r.cfg.IAM.ManagedPolicy(ctx, arn)
	}
	ch, err := replay.MakeChange(c.Context, in.Changes, &current, managed)
	if err != nil {
		return nil, asReplayError(err)
	}
	if r.cfg.Flush != nil {
		// The calls made before this one are replayed too.
		if err := r.cfg.Flush(c.Context); err != nil {
			return nil, fmt.Errorf("rolecall: flush the trail: %w", err)
		}
	}
	start, end := epoch(*in.StartTime), epoch(*in.EndTime)
	res, err := replay.Run(c.Context, r.cfg.Store, &replay.Input{
		PrincipalARN: in.PrincipalARN, Start: start, End: end, Current: current, Change: ch,
	})
	if err != nil {
		return nil, err
	}
	return &replayOutput{PrincipalARN: in.PrincipalARN, StartTime: start.Unix(), EndTime: end.Unix(), Result: res}, nil
}

// principal returns the principal an IAM role or user ARN names, as its
// policies are looked up, or a ResourceNotFoundException.
func (r *API) principal(c *api.Call, arn string) (*api.Principal, error) {
	account, kind, _ := principalARN(arn)
	notFound := func() error {
		typ := "AWS::IAM::Role"
		if kind == "user" {
			typ = "AWS::IAM::User"
		}
		e := api.Errorf(http.StatusNotFound, "ResourceNotFoundException", "The %s %s cannot be found.", kind, arn)
		e.Fields = map[string]any{"resourceId": arn, "resourceType": typ}
		return e
	}
	if kind == "role" {
		info, err := r.cfg.IAM.RoleByARN(c.Context, arn)
		var ae *api.Error
		if errors.As(err, &ae) && (ae.Code == "NoSuchEntity" || ae.Code == "InvalidInput") {
			return nil, notFound()
		}
		if err != nil {
			return nil, fmt.Errorf("rolecall: role %s: %w", arn, err)
		}
		return &api.Principal{Type: api.AssumedRole, Account: info.Account, ARN: info.ARN,
			RoleARN: info.ARN, RoleName: info.Name, RoleID: info.RoleID}, nil
	}
	id, known, err := r.cfg.IAM.PrincipalID(c.Context, arn)
	if err != nil {
		return nil, fmt.Errorf("rolecall: user %s: %w", arn, err)
	}
	if !known || id == "" {
		return nil, notFound()
	}
	return &api.Principal{Type: api.IAMUser, Account: account, ARN: arn,
		UserName: arn[strings.LastIndexByte(arn, '/')+1:], PrincipalID: id}, nil
}

// asReplayError answers IAM's NoSuchEntity for a managed policy that does
// not exist as a ValidationException, this API's error for bad input.
func asReplayError(err error) error {
	var ae *api.Error
	if errors.As(err, &ae) && (ae.Code == "NoSuchEntity" || ae.Code == "InvalidInput") {
		return replayInvalid("%s", ae.Message)
	}
	return err
}

// epoch returns the time of epoch seconds.
func epoch(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

func replayInvalid(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

// decodeStrict decodes the call's JSON body into v, a pointer to a struct,
// refusing what the struct does not name: a member it has no field for,
// or one spelt in another case (Go's decoder would take it), is a
// SerializationException, as for the modelled REST-JSON services.
func decodeStrict(c *api.Call, v any) error {
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		return strictSerialization("The request body is not valid JSON: %v", err)
	}
	if path := unknownMember(reflect.TypeOf(v), raw, ""); path != "" {
		return strictSerialization("Unrecognized member %s: member names are case-sensitive", path)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return strictSerialization("Unexpected value type in payload: field %s", te.Field)
		}
		return strictSerialization("%v", err)
	}
	return nil
}

func strictSerialization(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "SerializationException", format, args...)
}

// unknownMember returns the path of the first member of val, decoded JSON,
// that t does not name exactly; "" when there is none.
func unknownMember(t reflect.Type, val any, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := val.(map[string]any)
		if !ok {
			return ""
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for k, e := range obj {
			ft, ok := fields[k]
			at := strings.TrimPrefix(path+"."+k, ".")
			if !ok {
				return at
			}
			if p := unknownMember(ft, e, at); p != "" {
				return p
			}
		}
	case reflect.Slice:
		list, _ := val.([]any)
		for _, e := range list {
			if p := unknownMember(t.Elem(), e, path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}
