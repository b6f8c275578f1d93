package esm

import (
	"errors"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

const (
	testCluster = "arn:aws:kafka:us-east-1:123456789012:cluster/demo/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"
	testBroker  = "arn:aws:mq:us-east-1:123456789012:broker:demo:b-9bcfa592-423a-4942-879d-eb284b418fc8"
	testSecret  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:broker-creds-AbCdEf"
)

func TestValidateBroker(t *testing.T) {
	auth := func(typ, uri string) SourceAccessConfiguration { return SourceAccessConfiguration{Type: typ, URI: uri} }
	servers := &SelfManagedEventSource{Endpoints: map[string][]string{"KAFKA_BOOTSTRAP_SERVERS": {"b-1.example.com:9092", "b-2.example.com:9092"}}}
	for _, c := range []struct {
		name string
		mp   Mapping
		want string // "" for accepted; else a fragment of the message
	}{
		{"msk", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{"orders"}}, ""},
		{"msk scram", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{"orders"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessScram512, testSecret)}}, ""},
		{"msk no topic", Mapping{Kind: KindMSK, EventSourceArn: testCluster}, "Exactly one topic"},
		{"msk two topics", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{"a", "b"}}, "Exactly one topic"},
		{"msk bad topic", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{".hidden"}}, "at 'topics' failed to satisfy constraint"},
		{"msk queues", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{"ab"}, Queues: []string{"q"}}, "Queues are not supported"},
		{"msk bad arn", Mapping{Kind: KindMSK, EventSourceArn: "arn:aws:kafka:us-east-1:123456789012:topic/x", Topics: []string{"ab"}}, "Unrecognized event source"},
		{"msk basic auth", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{"ab"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret)}}, "Unsupported SourceAccessConfiguration type BASIC_AUTH"},
		{"msk self-managed config", Mapping{Kind: KindMSK, EventSourceArn: testCluster, Topics: []string{"ab"},
			SelfManagedKafkaEventSourceConfig: &KafkaEventSourceConfig{ConsumerGroupID: "g"}}, "SelfManagedKafkaEventSourceConfig"},
		{"kafka", Mapping{Kind: KindSelfManagedKafka, SelfManagedEventSource: servers, Topics: []string{"orders"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret),
				auth(accessSubnet, "subnet:subnet-0123"), auth(accessSubnet, "subnet:subnet-4567"), auth(accessSecurityGroup, "security_group:sg-0123")}}, ""},
		{"kafka no servers", Mapping{Kind: KindSelfManagedKafka, Topics: []string{"orders"}}, "SelfManagedEventSource must be specified"},
		{"kafka bad server", Mapping{Kind: KindSelfManagedKafka, Topics: []string{"orders"},
			SelfManagedEventSource: &SelfManagedEventSource{Endpoints: map[string][]string{"KAFKA_BOOTSTRAP_SERVERS": {"nohost"}}}}, "host:port"},
		{"kafka arn too", Mapping{Kind: KindSelfManagedKafka, EventSourceArn: testCluster, SelfManagedEventSource: servers, Topics: []string{"ab"}}, "cannot both"},
		{"kafka two auths", Mapping{Kind: KindSelfManagedKafka, SelfManagedEventSource: servers, Topics: []string{"ab"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret), auth(accessScram256, testSecret)}}, "Only one authentication"},
		{"kafka subnet alone", Mapping{Kind: KindSelfManagedKafka, SelfManagedEventSource: servers, Topics: []string{"ab"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessSubnet, "subnet:subnet-0123")}}, "together"},
		{"kafka bad subnet", Mapping{Kind: KindSelfManagedKafka, SelfManagedEventSource: servers, Topics: []string{"ab"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessSubnet, "subnet-0123"), auth(accessSecurityGroup, "security_group:sg-1")}}, "subnet:subnet-id"},
		{"kafka secret not arn", Mapping{Kind: KindSelfManagedKafka, SelfManagedEventSource: servers, Topics: []string{"ab"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, "my-secret")}}, "Secrets Manager secret ARN"},
		{"mq", Mapping{Kind: KindMQ, EventSourceArn: testBroker, Queues: []string{"orders"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret)}}, ""},
		{"mq no auth", Mapping{Kind: KindMQ, EventSourceArn: testBroker, Queues: []string{"orders"}}, "BASIC_AUTH SourceAccessConfiguration must be specified"},
		{"mq no queue", Mapping{Kind: KindMQ, EventSourceArn: testBroker,
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret)}}, "Exactly one queue"},
		{"mq topics", Mapping{Kind: KindMQ, EventSourceArn: testBroker, Queues: []string{"q"}, Topics: []string{"t"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret)}}, "Topics are not supported"},
		{"mq twice", Mapping{Kind: KindMQ, EventSourceArn: testBroker, Queues: []string{"q"},
			SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret), auth(accessBasicAuth, testSecret)}}, "only once"},
		{"sqs", Mapping{Kind: KindSQS, EventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q"}, ""},
		{"sqs topics", Mapping{Kind: KindSQS, Topics: []string{"t"}}, "Topics are not supported"},
		{"kinesis access", Mapping{Kind: KindKinesis, SourceAccessConfigurations: []SourceAccessConfiguration{auth(accessBasicAuth, testSecret)}}, "SourceAccessConfigurations are not supported"},
	} {
		err := validateBroker(&c.mp)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var se *api.Error
		if !errors.As(err, &se) || se.Status != 400 || !strings.Contains(se.Message, c.want) {
			t.Errorf("%s: got %v, want a 400 error with %q", c.name, err, c.want)
		}
	}
}
