package sqs

// The inputs and outputs of the operations, exported so that other
// services (event source mappings) call SQS in-process with typed values
// (api.Internal.Input). Field names and JSON tags are those of the JSON
// protocol; xml tags are those of the query protocol's answers.

// MessageAttributeValue is a message attribute: DataType is "String",
// "Number" or "Binary", optionally followed by ".<custom type>".
type MessageAttributeValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// MessageAttributes are message attributes by name.
type MessageAttributes map[string]MessageAttributeValue

// Attributes are queue or message system attributes by name.
type Attributes map[string]string

// Tags are queue tags by key.
type Tags map[string]string

// SendMessageInput is SendMessage's input.
type SendMessageInput struct {
	QueueUrl                string            `json:"QueueUrl"`
	MessageBody             string            `json:"MessageBody"`
	DelaySeconds            *int32            `json:"DelaySeconds,omitempty"`
	MessageAttributes       MessageAttributes `json:"MessageAttributes,omitempty"`
	MessageSystemAttributes MessageAttributes `json:"MessageSystemAttributes,omitempty"`
	MessageDeduplicationId  string            `json:"MessageDeduplicationId,omitempty"`
	MessageGroupId          string            `json:"MessageGroupId,omitempty"`
}

// SendMessageOutput is SendMessage's output.
type SendMessageOutput struct {
	MD5OfMessageBody             string `json:"MD5OfMessageBody,omitempty" xml:"MD5OfMessageBody,omitempty"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty" xml:"MD5OfMessageSystemAttributes,omitempty"`
	MessageId                    string `json:"MessageId,omitempty" xml:"MessageId,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty" xml:"SequenceNumber,omitempty"`
}

// SendMessageBatchRequestEntry is one message of SendMessageBatch.
type SendMessageBatchRequestEntry struct {
	Id                      string            `json:"Id"`
	MessageBody             string            `json:"MessageBody"`
	DelaySeconds            *int32            `json:"DelaySeconds,omitempty"`
	MessageAttributes       MessageAttributes `json:"MessageAttributes,omitempty"`
	MessageSystemAttributes MessageAttributes `json:"MessageSystemAttributes,omitempty"`
	MessageDeduplicationId  string            `json:"MessageDeduplicationId,omitempty"`
	MessageGroupId          string            `json:"MessageGroupId,omitempty"`
}

// SendMessageBatchInput is SendMessageBatch's input.
type SendMessageBatchInput struct {
	QueueUrl string                         `json:"QueueUrl"`
	Entries  []SendMessageBatchRequestEntry `json:"Entries"`
}

// SendMessageBatchResultEntry is one message SendMessageBatch sent.
type SendMessageBatchResultEntry struct {
	Id string `json:"Id" xml:"Id"`
	SendMessageOutput
}

// BatchResultErrorEntry is one entry of a batch that failed.
type BatchResultErrorEntry struct {
	Id          string `json:"Id" xml:"Id"`
	SenderFault bool   `json:"SenderFault" xml:"SenderFault"`
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message,omitempty" xml:"Message,omitempty"`
}

// SendMessageBatchOutput is SendMessageBatch's output.
type SendMessageBatchOutput struct {
	Successful []SendMessageBatchResultEntry `json:"Successful" xml:"SendMessageBatchResultEntry"`
	Failed     []BatchResultErrorEntry       `json:"Failed" xml:"BatchResultErrorEntry"`
}

// ReceiveMessageInput is ReceiveMessage's input.
type ReceiveMessageInput struct {
	QueueUrl                    string   `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames,omitempty"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames,omitempty"`
	MessageAttributeNames       []string `json:"MessageAttributeNames,omitempty"`
	MaxNumberOfMessages         *int32   `json:"MaxNumberOfMessages,omitempty"`
	VisibilityTimeout           *int32   `json:"VisibilityTimeout,omitempty"`
	WaitTimeSeconds             *int32   `json:"WaitTimeSeconds,omitempty"`
	ReceiveRequestAttemptId     string   `json:"ReceiveRequestAttemptId,omitempty"`
}

// Message is a received message.
type Message struct {
	MessageId              string            `json:"MessageId" xml:"MessageId"`
	ReceiptHandle          string            `json:"ReceiptHandle" xml:"ReceiptHandle"`
	MD5OfBody              string            `json:"MD5OfBody" xml:"MD5OfBody"`
	Body                   string            `json:"Body" xml:"Body"`
	Attributes             Attributes        `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string            `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      MessageAttributes `json:"MessageAttributes,omitempty" xml:"MessageAttribute,omitempty"`
}

// ReceiveMessageOutput is ReceiveMessage's output.
type ReceiveMessageOutput struct {
	Messages []Message `json:"Messages,omitempty" xml:"Message"`
}

// DeleteMessageInput is DeleteMessage's input.
type DeleteMessageInput struct {
	QueueUrl      string `json:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// DeleteMessageBatchRequestEntry is one message of DeleteMessageBatch.
type DeleteMessageBatchRequestEntry struct {
	Id            string `json:"Id"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// DeleteMessageBatchInput is DeleteMessageBatch's input.
type DeleteMessageBatchInput struct {
	QueueUrl string                           `json:"QueueUrl"`
	Entries  []DeleteMessageBatchRequestEntry `json:"Entries"`
}

// BatchResultEntry is one entry of a batch that succeeded.
type BatchResultEntry struct {
	Id string `json:"Id" xml:"Id"`
}

// DeleteMessageBatchOutput is DeleteMessageBatch's output.
type DeleteMessageBatchOutput struct {
	Successful []BatchResultEntry      `json:"Successful" xml:"DeleteMessageBatchResultEntry"`
	Failed     []BatchResultErrorEntry `json:"Failed" xml:"BatchResultErrorEntry"`
}

// ChangeMessageVisibilityInput is ChangeMessageVisibility's input.
type ChangeMessageVisibilityInput struct {
	QueueUrl          string `json:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int32 `json:"VisibilityTimeout"`
}

// ChangeMessageVisibilityBatchRequestEntry is one message of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchRequestEntry struct {
	Id                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int32 `json:"VisibilityTimeout,omitempty"`
}

// ChangeMessageVisibilityBatchInput is ChangeMessageVisibilityBatch's input.
type ChangeMessageVisibilityBatchInput struct {
	QueueUrl string                                     `json:"QueueUrl"`
	Entries  []ChangeMessageVisibilityBatchRequestEntry `json:"Entries"`
}

// ChangeMessageVisibilityBatchOutput is ChangeMessageVisibilityBatch's
// output.
type ChangeMessageVisibilityBatchOutput struct {
	Successful []BatchResultEntry      `json:"Successful" xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []BatchResultErrorEntry `json:"Failed" xml:"BatchResultErrorEntry"`
}

// GetQueueAttributesInput is GetQueueAttributes's input.
type GetQueueAttributesInput struct {
	QueueUrl       string   `json:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames,omitempty"`
}

// GetQueueAttributesOutput is GetQueueAttributes's output.
type GetQueueAttributesOutput struct {
	Attributes Attributes `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
}

// The inputs and outputs of the queue operations.

type createQueueInput struct {
	QueueName  string     `json:"QueueName"`
	Attributes Attributes `json:"Attributes,omitempty"`
	Tags       Tags       `json:"tags,omitempty"`
}

type queueURLOutput struct {
	QueueUrl string `json:"QueueUrl" xml:"QueueUrl"`
}

type getQueueURLInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountId string `json:"QueueOwnerAWSAccountId,omitempty"`
}

type listQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix,omitempty"`
	NextToken       string `json:"NextToken,omitempty"`
	MaxResults      *int32 `json:"MaxResults,omitempty"`
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type listDeadLetterSourceQueuesInput struct {
	QueueUrl   string `json:"QueueUrl"`
	NextToken  string `json:"NextToken,omitempty"`
	MaxResults *int32 `json:"MaxResults,omitempty"`
}

type listDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type queueInput struct {
	QueueUrl string `json:"QueueUrl"`
}

type setQueueAttributesInput struct {
	QueueUrl   string     `json:"QueueUrl"`
	Attributes Attributes `json:"Attributes"`
}

type tagQueueInput struct {
	QueueUrl string `json:"QueueUrl"`
	Tags     Tags   `json:"Tags"`
}

type untagQueueInput struct {
	QueueUrl string   `json:"QueueUrl"`
	TagKeys  []string `json:"TagKeys"`
}

type listQueueTagsOutput struct {
	Tags Tags `json:"Tags,omitempty" xml:"Tag,omitempty"`
}
