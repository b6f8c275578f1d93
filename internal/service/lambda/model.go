package lambda

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// States of a function and of its last update.
const (
	statePending     = "Pending"
	stateActive      = "Active"
	updateInProgress = "InProgress"
	updateSuccessful = "Successful"
	latest           = "$LATEST"
)

// lastModifiedLayout is how Lambda writes LastModified.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// function is the stored record of a function: its $LATEST configuration
// and what belongs to the function as a whole.
type function struct {
	Config      config            `json:"config"`
	Tags        map[string]string `json:"tags,omitempty"`
	Reserved    *int              `json:"reserved,omitempty"`
	LastVersion int               `json:"lastVersion,omitempty"`
	// Running is the configuration invocations of $LATEST run while an
	// update is in progress: the one before the update, as in Lambda.
	// Nil when no update is in progress.
	Running *config `json:"running,omitempty"`
}

// runnable returns the configuration an invocation of cfg runs: for
// $LATEST during an update, the configuration before it.
func (f *function) runnable(cfg *config) *config {
	if cfg == &f.Config && f.Running != nil {
		return f.Running
	}
	return cfg
}

// config is one version's configuration ($LATEST or a published version).
type config struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Runtime     string `json:"runtime"`
	Role        string `json:"role"`
	Handler     string `json:"handler"`
	Description string `json:"description,omitempty"`
	Timeout     int    `json:"timeout"`
	MemorySize  int    `json:"memorySize"`
	// SealedEnv is Environment.Variables sealed with the server key
	// (sealEnv): the store never holds their values in plain text.
	SealedEnv []byte `json:"sealedEnv,omitempty"`
	// PlainEnv is Environment.Variables as builds before SealedEnv kept
	// them; SealEnvironments seals them.
	PlainEnv map[string]string `json:"env,omitempty"`
	// KMSKeyArn is the customer managed key the variables are encrypted
	// with (kmsenv.go): SealedEnv then seals a kmsEnvelope.
	KMSKeyArn string     `json:"kmsKeyArn,omitempty"`
	Tracing   string     `json:"tracing"`
	VPC       *vpcConfig `json:"vpc,omitempty"`
	Logging   *logging   `json:"logging,omitempty"`
	// Architecture is the instruction set ("" is x86_64).
	Architecture string `json:"architecture,omitempty"`
	// EphemeralMB is the size of /tmp in MB (0 is 512).
	EphemeralMB int `json:"ephemeralStorage,omitempty"`

	CodeSHA256 string `json:"codeSha256"` // base64, as Lambda shows it
	CodeHex    string `json:"codeHex"`    // hex, names the stored zip and its directory
	CodeSize   int64  `json:"codeSize"`
	// CodeBlob is the blob holding the zip; "" for code stored before
	// blobs, as chunks in tableCode under account/name/CodeHex.
	CodeBlob string `json:"codeBlob,omitempty"`

	LastModified time.Time `json:"lastModified"`
	RevisionID   string    `json:"revisionId"`
	// EnvKey changes with every change of code or configuration; the
	// runtime shares environments between invocations with the same key.
	EnvKey string `json:"envKey"`

	State                  string `json:"state"`
	StateReason            string `json:"stateReason,omitempty"`
	StateReasonCode        string `json:"stateReasonCode,omitempty"`
	LastUpdateStatus       string `json:"lastUpdateStatus"`
	LastUpdateStatusReason string `json:"lastUpdateStatusReason,omitempty"`
	LastUpdateReasonCode   string `json:"lastUpdateStatusReasonCode,omitempty"`
}

type vpcConfig struct {
	SubnetIDs        []string `json:"subnetIds"`
	SecurityGroupIDs []string `json:"securityGroupIds"`
	VpcID            string   `json:"vpcId"`
	IPv6DualStack    bool     `json:"ipv6DualStack,omitempty"`
}

func (c *config) clone() config {
	d := *c
	d.SealedEnv = slices.Clone(c.SealedEnv)
	d.PlainEnv = maps.Clone(c.PlainEnv)
	if c.VPC != nil {
		v := *c.VPC
		v.SubnetIDs = slices.Clone(v.SubnetIDs)
		v.SecurityGroupIDs = slices.Clone(v.SecurityGroupIDs)
		d.VPC = &v
	}
	if c.Logging != nil {
		lg := *c.Logging
		d.Logging = &lg
	}
	return d
}

// architecture is the function's instruction set architecture.
func (c *config) architecture() string {
	if c.Architecture == "" {
		return "x86_64"
	}
	return c.Architecture
}

// ephemeralMB is the size of the function's /tmp in MB.
func (c *config) ephemeralMB() int {
	if c.EphemeralMB == 0 {
		return 512
	}
	return c.EphemeralMB
}

// vpcID is the VPC of the function, "" without a VPC configuration.
func (c *config) vpcID() string {
	if c.VPC == nil {
		return ""
	}
	return c.VPC.VpcID
}

// alias is a stored alias.
type alias struct {
	Name            string             `json:"name"`
	FunctionVersion string             `json:"functionVersion"`
	Description     string             `json:"description,omitempty"`
	Weights         map[string]float64 `json:"weights,omitempty"`
	RevisionID      string             `json:"revisionId"`
}

// storedPolicy is a function's (or qualifier's) resource-based policy.
type storedPolicy struct {
	Statements []json.RawMessage `json:"statements"`
	RevisionID string            `json:"revisionId"`
	// PrincipalIDs are the unique IDs of the IAM users and roles the
	// statements name, by statement id, as they were when each statement
	// was added (see shownStatements).
	PrincipalIDs map[string]string `json:"principalIds,omitempty"`
}

func decode(b []byte, v any) error { return json.Unmarshal(b, v) }

// listDecoded reads every record of table under prefix, in key order.
func listDecoded[T any](ctx context.Context, r store.Reader, table, prefix string) ([]*T, error) {
	items, err := r.List(ctx, table, prefix, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(items))
	for _, it := range items {
		v := new(T)
		if err := decode(it.Value, v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Output shapes (restJson1, member names as in the model).

// FunctionConfiguration is Lambda's FunctionConfiguration shape.
type FunctionConfiguration struct {
	FunctionName               string             `json:"FunctionName"`
	FunctionArn                string             `json:"FunctionArn"`
	Runtime                    string             `json:"Runtime,omitempty"`
	Role                       string             `json:"Role"`
	Handler                    string             `json:"Handler,omitempty"`
	CodeSize                   int64              `json:"CodeSize"`
	Description                string             `json:"Description"`
	Timeout                    int                `json:"Timeout"`
	MemorySize                 int                `json:"MemorySize"`
	LastModified               string             `json:"LastModified"`
	CodeSha256                 string             `json:"CodeSha256"`
	Version                    string             `json:"Version"`
	VpcConfig                  *VpcConfigResponse `json:"VpcConfig,omitempty"`
	Environment                *EnvironmentOut    `json:"Environment,omitempty"`
	KMSKeyArn                  string             `json:"KMSKeyArn,omitempty"`
	TracingConfig              TracingConfig      `json:"TracingConfig"`
	RevisionId                 string             `json:"RevisionId"`
	State                      string             `json:"State"`
	StateReason                string             `json:"StateReason,omitempty"`
	StateReasonCode            string             `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string             `json:"LastUpdateStatus"`
	LastUpdateStatusReason     string             `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string             `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string             `json:"PackageType"`
	Architectures              []string           `json:"Architectures"`
	EphemeralStorage           EphemeralStorage   `json:"EphemeralStorage"`
	SnapStart                  SnapStartResponse  `json:"SnapStart"`
	RuntimeVersionConfig       *RuntimeVersion    `json:"RuntimeVersionConfig,omitempty"`
	LoggingConfig              LoggingConfig      `json:"LoggingConfig"`
}

// VpcConfigResponse is the VpcConfigResponse shape.
type VpcConfigResponse struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	VpcId                   string   `json:"VpcId"`
	Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
}

// EnvironmentOut is the EnvironmentResponse shape.
type EnvironmentOut struct {
	Variables map[string]string `json:"Variables,omitempty"`
	// Error says why the variables of a KMS-encrypted function could not
	// be decrypted for the caller.
	Error *EnvironmentError `json:"Error,omitempty"`
}

// EnvironmentError is the EnvironmentError shape.
type EnvironmentError struct {
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

// TracingConfig is the TracingConfig shape.
type TracingConfig struct {
	Mode string `json:"Mode,omitempty"`
}

// EphemeralStorage is the EphemeralStorage shape.
type EphemeralStorage struct {
	Size int `json:"Size"`
}

// SnapStartResponse is the SnapStartResponse shape.
type SnapStartResponse struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

// RuntimeVersion is the RuntimeVersionConfig shape.
type RuntimeVersion struct {
	RuntimeVersionArn string `json:"RuntimeVersionArn"`
}

// LoggingConfig is the LoggingConfig shape.
type LoggingConfig struct {
	LogFormat           string `json:"LogFormat"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup"`
}

// AliasConfiguration is the AliasConfiguration shape.
type AliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RoutingConfig   *RoutingConfig `json:"RoutingConfig,omitempty"`
	RevisionId      string         `json:"RevisionId"`
}

// RoutingConfig is the AliasRoutingConfiguration shape.
type RoutingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights,omitempty"`
}

// configuration renders c as Lambda's FunctionConfiguration.
func (l *Lambda) configuration(account string, c *config) (*FunctionConfiguration, error) {
	arn := functionARN(l.cfg.Region, account, c.Name)
	if c.Version != latest {
		arn += ":" + c.Version
	}
	out := &FunctionConfiguration{
		FunctionName:               c.Name,
		FunctionArn:                arn,
		Runtime:                    c.Runtime,
		Role:                       c.Role,
		Handler:                    c.Handler,
		CodeSize:                   c.CodeSize,
		Description:                c.Description,
		Timeout:                    c.Timeout,
		MemorySize:                 c.MemorySize,
		LastModified:               c.LastModified.UTC().Format(lastModifiedLayout),
		CodeSha256:                 c.CodeSHA256,
		Version:                    c.Version,
		TracingConfig:              TracingConfig{Mode: c.Tracing},
		RevisionId:                 c.RevisionID,
		State:                      c.State,
		StateReason:                c.StateReason,
		StateReasonCode:            c.StateReasonCode,
		LastUpdateStatus:           c.LastUpdateStatus,
		LastUpdateStatusReason:     c.LastUpdateStatusReason,
		LastUpdateStatusReasonCode: c.LastUpdateReasonCode,
		PackageType:                "Zip",
		Architectures:              []string{c.architecture()},
		EphemeralStorage:           EphemeralStorage{Size: c.ephemeralMB()},
		SnapStart:                  SnapStartResponse{ApplyOn: "None", OptimizationStatus: "Off"},
	}
	lg := loggingOf(c)
	out.LoggingConfig = LoggingConfig{LogFormat: lg.Format, ApplicationLogLevel: lg.AppLevel,
		SystemLogLevel: lg.SystemLevel, LogGroup: lg.Group}
	if out.KMSKeyArn = c.KMSKeyArn; c.KMSKeyArn == "" {
		env, err := l.openEnv(account, c)
		if err != nil {
			return nil, err
		}
		if len(env) > 0 {
			out.Environment = &EnvironmentOut{Variables: env}
		}
	}
	if c.VPC != nil {
		out.VpcConfig = &VpcConfigResponse{
			SubnetIds:        nonNil(c.VPC.SubnetIDs),
			SecurityGroupIds: nonNil(c.VPC.SecurityGroupIDs),
			VpcId:            c.VPC.VpcID,

			Ipv6AllowedForDualStack: c.VPC.IPv6DualStack,
		}
	}
	return out, nil
}

func (l *Lambda) aliasConfiguration(account, fn string, a *alias) *AliasConfiguration {
	out := &AliasConfiguration{
		AliasArn:        functionARN(l.cfg.Region, account, fn) + ":" + a.Name,
		Name:            a.Name,
		FunctionVersion: a.FunctionVersion,
		Description:     a.Description,
		RevisionId:      a.RevisionID,
	}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &RoutingConfig{AdditionalVersionWeights: a.Weights}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
