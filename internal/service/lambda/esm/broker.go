package esm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// Amazon MSK, self-managed Apache Kafka and Amazon MQ mappings. rolecall
// emulates no broker: a mapping of these kinds is checked as Lambda checks
// it when it is created or updated (its parameters, and the actions its
// execution role must be allowed) and is then accepted, but nothing polls
// it.

// Types of SourceAccessConfiguration (the Lambda API's SourceAccessType).
const (
	accessBasicAuth     = "BASIC_AUTH"
	accessSubnet        = "VPC_SUBNET"
	accessSecurityGroup = "VPC_SECURITY_GROUP"
	accessScram256      = "SASL_SCRAM_256_AUTH"
	accessScram512      = "SASL_SCRAM_512_AUTH"
	accessVirtualHost   = "VIRTUAL_HOST"
	accessClientCert    = "CLIENT_CERTIFICATE_TLS_AUTH"
	accessServerRootCA  = "SERVER_ROOT_CA_CERTIFICATE"
)

// secretAccess are the access types whose URI is a Secrets Manager secret
// that Lambda reads with the execution role (secretsmanager:GetSecretValue).
var secretAccess = map[string]bool{
	accessBasicAuth: true, accessScram256: true, accessScram512: true,
	accessClientCert: true, accessServerRootCA: true,
}

// authAccess are the access types that choose how Lambda authenticates to
// the broker; a mapping names one at most.
var authAccess = map[string]bool{
	accessBasicAuth: true, accessScram256: true, accessScram512: true, accessClientCert: true,
}

// brokerKind is what Lambda accepts of one kind of broker mapping
// (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html,
// with-kafka.html, with-mq.html).
type brokerKind struct {
	name   string // as messages name the source
	arn    string // the EventSourceArn's service and resource type ("" for none)
	topics bool   // takes exactly one topic (Kafka) ...
	queues bool   // ... or exactly one queue (Amazon MQ)
	access map[string]bool
	// needsAuth: the mapping must name an authentication secret (MQ).
	needsAuth bool
	// endpoints: SelfManagedEventSource KAFKA_BOOTSTRAP_SERVERS required.
	endpoints bool
}

var brokerKinds = map[Kind]brokerKind{
	KindMSK: {
		name: "Amazon MSK", arn: "kafka:cluster/", topics: true,
		access: map[string]bool{accessScram512: true, accessClientCert: true},
	},
	KindSelfManagedKafka: {
		name: "self-managed Apache Kafka", topics: true, endpoints: true,
		access: map[string]bool{accessBasicAuth: true, accessScram256: true, accessScram512: true, accessClientCert: true,
			accessServerRootCA: true, accessSubnet: true, accessSecurityGroup: true},
	},
	KindMQ: {
		name: "Amazon MQ", arn: "mq:broker:", queues: true, needsAuth: true,
		access: map[string]bool{accessBasicAuth: true, accessVirtualHost: true},
	},
}

// topicPattern and endpointPattern are the Lambda API's Topic and
// Endpoint shapes.
var (
	topicPattern    = regexp.MustCompile(`^[^.]([a-zA-Z0-9\-_.]+)$`)
	endpointPattern = regexp.MustCompile(`^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]):[0-9]{1,5}$`)
)

// validateBroker applies Lambda's rules to the parameters of an Amazon
// MSK, self-managed Kafka or Amazon MQ mapping, and refuses the broker
// parameters on a mapping of another kind. Errors are Lambda's
// InvalidParameterValueException (ValidationException for a topic name
// the API's pattern refuses).
func validateBroker(mp *Mapping) error {
	bk, ok := brokerKinds[mp.Kind]
	if !ok {
		switch {
		case len(mp.Topics) > 0:
			return errInvalidParam("Topics are not supported for this event source.")
		case len(mp.Queues) > 0:
			return errInvalidParam("Queues are not supported for this event source.")
		case len(mp.SourceAccessConfigurations) > 0:
			return errInvalidParam("SourceAccessConfigurations are not supported for this event source.")
		case mp.SelfManagedEventSource != nil:
			return errInvalidParam("SelfManagedEventSource is not supported for this event source.")
		case mp.AmazonManagedKafkaEventSourceConfig != nil || mp.SelfManagedKafkaEventSourceConfig != nil:
			return errInvalidParam("Kafka event source configurations are not supported for this event source.")
		}
		return nil
	}
	if err := bk.validateSource(mp); err != nil {
		return err
	}
	switch {
	case bk.topics && len(mp.Topics) != 1:
		return errInvalidParam("Exactly one topic must be specified for an %s event source.", bk.name)
	case !bk.topics && len(mp.Topics) > 0:
		return errInvalidParam("Topics are not supported for an %s event source.", bk.name)
	case bk.queues && len(mp.Queues) != 1:
		return errInvalidParam("Exactly one queue must be specified for an %s event source.", bk.name)
	case !bk.queues && len(mp.Queues) > 0:
		return errInvalidParam("Queues are not supported for an %s event source.", bk.name)
	case mp.AmazonManagedKafkaEventSourceConfig != nil && mp.Kind != KindMSK:
		return errInvalidParam("AmazonManagedKafkaEventSourceConfig is supported only for an Amazon MSK event source.")
	case mp.SelfManagedKafkaEventSourceConfig != nil && mp.Kind != KindSelfManagedKafka:
		return errInvalidParam("SelfManagedKafkaEventSourceConfig is supported only for a self-managed Apache Kafka event source.")
	}
	for _, t := range mp.Topics {
		if len(t) > 249 || !topicPattern.MatchString(t) {
			return errValidation("1 validation error detected: Value '[%s]' at 'topics' failed to satisfy constraint: "+
				"Member must satisfy constraint: [Member must have length less than or equal to 249, "+
				"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [^.]([a-zA-Z0-9\\-_.]+)]", t)
		}
	}
	for _, q := range mp.Queues {
		if q == "" || len(q) > 1000 {
			return errInvalidParam("The queue name must be 1 to 1000 characters long.")
		}
	}
	return bk.validateAccess(mp)
}

// validateSource checks the EventSourceArn or the SelfManagedEventSource.
func (bk brokerKind) validateSource(mp *Mapping) error {
	if bk.endpoints {
		if mp.EventSourceArn != "" {
			return errInvalidParam("EventSourceArn and SelfManagedEventSource cannot both be specified.")
		}
		if mp.SelfManagedEventSource == nil {
			return errInvalidParam("SelfManagedEventSource must be specified for a self-managed Apache Kafka event source.")
		}
		servers := mp.SelfManagedEventSource.Endpoints["KAFKA_BOOTSTRAP_SERVERS"]
		if len(mp.SelfManagedEventSource.Endpoints) != 1 || len(servers) == 0 || len(servers) > 10 {
			return errInvalidParam("SelfManagedEventSource must list 1 to 10 KAFKA_BOOTSTRAP_SERVERS endpoints.")
		}
		for _, e := range servers {
			if len(e) > 300 || !endpointPattern.MatchString(e) {
				return errInvalidParam("Invalid bootstrap server endpoint: %s. Endpoints must be of the form host:port.", e)
			}
		}
		return nil
	}
	if mp.SelfManagedEventSource != nil {
		return errInvalidParam("SelfManagedEventSource is supported only for a self-managed Apache Kafka event source.")
	}
	service, resource, _ := strings.Cut(bk.arn, ":")
	parts := strings.SplitN(mp.EventSourceArn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service || parts[3] == "" || parts[4] == "" ||
		!strings.HasPrefix(parts[5], resource) || len(parts[5]) == len(resource) {
		return errInvalidParam("Unrecognized event source: %s.", mp.EventSourceArn)
	}
	return nil
}

// validateAccess checks the SourceAccessConfigurations: types the kind
// accepts, each once, one authentication at most (exactly one for MQ),
// secrets named by ARN, subnets and security groups together.
func (bk brokerKind) validateAccess(mp *Mapping) error {
	seen := map[string]bool{}
	auths := 0
	for _, a := range mp.SourceAccessConfigurations {
		if !bk.access[a.Type] {
			return errInvalidParam("Unsupported SourceAccessConfiguration type %s for an %s event source.", a.Type, bk.name)
		}
		if a.URI == "" {
			return errInvalidParam("The URI of the %s SourceAccessConfiguration must be specified.", a.Type)
		}
		if a.Type != accessSubnet && a.Type != accessSecurityGroup {
			if seen[a.Type] {
				return errInvalidParam("The %s SourceAccessConfiguration must be specified only once.", a.Type)
			}
		}
		seen[a.Type] = true
		if authAccess[a.Type] {
			auths++
		}
		switch {
		case secretAccess[a.Type] && !isSecretARN(a.URI):
			return errInvalidParam("Invalid %s SourceAccessConfiguration URI: %s. It must be a Secrets Manager secret ARN.", a.Type, a.URI)
		case a.Type == accessSubnet && !strings.HasPrefix(a.URI, "subnet:subnet-"):
			return errInvalidParam("Invalid VPC_SUBNET SourceAccessConfiguration URI: %s. It must be of the form subnet:subnet-id.", a.URI)
		case a.Type == accessSecurityGroup && !strings.HasPrefix(a.URI, "security_group:sg-"):
			return errInvalidParam("Invalid VPC_SECURITY_GROUP SourceAccessConfiguration URI: %s. It must be of the form security_group:sg-id.", a.URI)
		}
	}
	switch {
	case auths > 1:
		return errInvalidParam("Only one authentication SourceAccessConfiguration may be specified.")
	case bk.needsAuth && auths == 0:
		return errInvalidParam("A BASIC_AUTH SourceAccessConfiguration must be specified for an %s event source.", bk.name)
	case seen[accessSubnet] != seen[accessSecurityGroup]:
		return errInvalidParam("VPC_SUBNET and VPC_SECURITY_GROUP SourceAccessConfigurations must be specified together.")
	}
	return nil
}

func isSecretARN(s string) bool {
	parts := strings.SplitN(s, ":", 7)
	return len(parts) == 7 && parts[0] == "arn" && parts[2] == "secretsmanager" && parts[5] == "secret" && parts[6] != ""
}

// vpcActions are the EC2 actions Lambda needs of the execution role to
// reach a broker in a VPC (AWSLambdaMSKExecutionRole; with-mq.html,
// with-kafka.html).
var vpcActions = []string{
	"CreateNetworkInterface", "DescribeNetworkInterfaces", "DescribeVpcs",
	"DeleteNetworkInterface", "DescribeSubnets", "DescribeSecurityGroups",
}

// checkBroker checks, as Lambda does when an Amazon MSK, self-managed
// Kafka or Amazon MQ mapping is created or updated, that the execution
// role (w.Principal) may call what Lambda calls to reach the broker: for
// MSK kafka:DescribeClusterV2 (or kafka:DescribeCluster) and
// kafka:GetBootstrapBrokers on the cluster and the EC2 network interface
// actions; for Amazon MQ mq:DescribeBroker on the broker and the EC2
// actions; for self-managed Kafka the EC2 actions when it names a subnet
// or security group; and secretsmanager:GetSecretValue on every secret
// the mapping names. Each check is an in-process call as the role that
// stops once authorized (EC2's own, with DryRun), so it is in the trail.
// A denial is Lambda's InvalidParameterValueException; a role Lambda
// cannot assume is the error of w.Principal.
//
// kms:Decrypt, needed when a secret is encrypted with a customer managed
// key, is not checked: rolecall serves no Secrets Manager to tell.
func (m *Manager) checkBroker(ctx context.Context, w *Worker, mp *Mapping) error {
	if _, ok := brokerKinds[mp.Kind]; !ok {
		return fmt.Errorf("esm: checkBroker: %s is not a broker kind", mp.Kind)
	}
	p, err := w.Principal(ctx)
	if err != nil {
		return err
	}
	b := brokerCheck{w: w, p: p}
	vpc := false
	switch mp.Kind {
	case KindMSK:
		cluster := mp.EventSourceArn
		v2, err := b.allowed(ctx, "kafka", "DescribeClusterV2", cluster)
		if err != nil {
			return err
		}
		if !v2 {
			v1, err := b.allowed(ctx, "kafka", "DescribeCluster", cluster)
			if err != nil {
				return err
			}
			if !v1 {
				return errInvalidParam("The provided execution role does not have permissions to call DescribeClusterV2 on Kafka")
			}
		}
		if err := b.require(ctx, "kafka", "GetBootstrapBrokers", cluster, "Kafka"); err != nil {
			return err
		}
		vpc = true
	case KindMQ:
		if err := b.require(ctx, "mq", "DescribeBroker", mp.EventSourceArn, "MQ"); err != nil {
			return err
		}
		vpc = true
	case KindSelfManagedKafka:
		vpc = slices.ContainsFunc(mp.SourceAccessConfigurations, func(a SourceAccessConfiguration) bool {
			return a.Type == accessSubnet || a.Type == accessSecurityGroup
		})
	}
	if vpc {
		if err := CheckNetworkInterfaceActions(ctx, b.w.Invoker, b.p, b.w.Region, subnetOf(mp), vpcActions); err != nil {
			return err
		}
	}
	for _, a := range mp.SourceAccessConfigurations {
		if !secretAccess[a.Type] {
			continue
		}
		ok, err := b.allowed(ctx, "secretsmanager", "GetSecretValue", a.URI)
		if err != nil {
			return err
		}
		if !ok {
			return errInvalidParam("Cannot access secret manager value %s. Please ensure the role can perform the "+
				"'secretsmanager:GetSecretValue' action on your broker in IAM.", a.URI)
		}
	}
	return nil
}

// subnetOf returns the first subnet ID a mapping names ("" for none).
func subnetOf(mp *Mapping) string {
	for _, a := range mp.SourceAccessConfigurations {
		if id, ok := strings.CutPrefix(a.URI, "subnet:"); ok && a.Type == accessSubnet {
			return id
		}
	}
	return ""
}

// brokerCheck asks the gateway whether a role may call actions.
type brokerCheck struct {
	w *Worker
	p *api.Principal
}

// allowed reports whether the role may call service:op on resource,
// through an AuthorizeOnly call (recorded in the trail as the role's).
func (b brokerCheck) allowed(ctx context.Context, service, op, resource string) (bool, error) {
	_, err := b.w.Invoker.Invoke(ctx, api.Internal{Principal: b.p, Service: service, Operation: op, Region: b.w.Region,
		AuthorizeOnly: true, Action: service + ":" + op, Resource: api.Resource{ARN: resource}})
	return denied(err, service+":"+op)
}

// require is allowed, a denial being Lambda's error naming the call.
func (b brokerCheck) require(ctx context.Context, service, op, resource, noun string) error {
	ok, err := b.allowed(ctx, service, op, resource)
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidParam("The provided execution role does not have permissions to call %s on %s", op, noun)
	}
	return nil
}

// CheckNetworkInterfaceActions checks, as Lambda does for a function in a
// VPC or a mapping of a broker in one, that principal (an execution role's
// session) may call each of the EC2 actions (CreateNetworkInterface, ...)
// in region: each is EC2's own call with DryRun, through inv, so it is
// authorized and recorded like any call, and CreateNetworkInterface names
// subnet when given. A denial is InvalidParameterValueException "The
// provided execution role does not have permissions to call <action> on
// EC2"; any other failure is an error.
func CheckNetworkInterfaceActions(ctx context.Context, inv api.Invoker, principal *api.Principal, region, subnet string, actions []string) error {
	for _, op := range actions {
		params := url.Values{"DryRun": {"true"}}
		if op == "CreateNetworkInterface" && subnet != "" {
			params.Set("SubnetId", subnet)
		}
		_, err := inv.Invoke(ctx, api.Internal{Principal: principal, Service: "ec2", Operation: op, Params: params, Region: region})
		var se *api.Error
		switch {
		case errors.As(err, &se) && se.Code == "DryRunOperation":
		case errors.As(err, &se) && se.Status == http.StatusForbidden:
			return errInvalidParam("The provided execution role does not have permissions to call %s on EC2", op)
		case err != nil:
			return fmt.Errorf("checking the EC2 permissions of the execution role: %w", err)
		default:
			return fmt.Errorf("EC2 %s with DryRun succeeded", op)
		}
	}
	return nil
}

// denied sorts the answer of an AuthorizeOnly call: nil is allowed, an
// access denial is not, anything else is an error.
func denied(err error, action string) (bool, error) {
	var se *api.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &se) && (se.Status == http.StatusForbidden || strings.Contains(se.Code, "AccessDenied")):
		return false, nil
	}
	return false, fmt.Errorf("esm: checking %s for the execution role: %w", action, err)
}

// applyBroker applies a request's broker parameters to mp (those it
// carries: an update leaves the others as they are) and validates the
// result with validateBroker.
func applyBroker(mp *Mapping, in *mappingInput) error {
	if in.Topics != nil {
		mp.Topics = in.Topics
	}
	if in.Queues != nil {
		mp.Queues = in.Queues
	}
	if in.SourceAccessConfigurations != nil {
		mp.SourceAccessConfigurations = *in.SourceAccessConfigurations
	}
	if in.SelfManagedEventSource != nil {
		mp.SelfManagedEventSource = in.SelfManagedEventSource
	}
	if in.AmazonManagedKafkaEventSourceConfig != nil {
		mp.AmazonManagedKafkaEventSourceConfig = in.AmazonManagedKafkaEventSourceConfig
	}
	if in.SelfManagedKafkaEventSourceConfig != nil {
		mp.SelfManagedKafkaEventSourceConfig = in.SelfManagedKafkaEventSourceConfig
	}
	return validateBroker(mp)
}
