package sqs

import (
	"fmt"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// queryCodes maps the model's error shapes (the JSON protocol's __type) to
// the codes the query protocol and the x-amzn-query-error header carry
// (the model's awsQueryError traits).
var queryCodes = map[string]string{
	"QueueDoesNotExist":            "AWS.SimpleQueueService.NonExistentQueue",
	"QueueNameExists":              "QueueAlreadyExists",
	"QueueDeletedRecently":         "AWS.SimpleQueueService.QueueDeletedRecently",
	"PurgeQueueInProgress":         "AWS.SimpleQueueService.PurgeQueueInProgress",
	"BatchEntryIdsNotDistinct":     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	"BatchRequestTooLong":          "AWS.SimpleQueueService.BatchRequestTooLong",
	"EmptyBatchRequest":            "AWS.SimpleQueueService.EmptyBatchRequest",
	"InvalidBatchEntryId":          "AWS.SimpleQueueService.InvalidBatchEntryId",
	"TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	"UnsupportedOperation":         "AWS.SimpleQueueService.UnsupportedOperation",
	"MessageNotInflight":           "AWS.SimpleQueueService.MessageNotInflight",
}

func sqsError(status int, code, format string, args ...any) *api.Error {
	return api.Errorf(status, code, format, args...)
}

func queueDoesNotExist() *api.Error {
	return sqsError(http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
}

// invalidParameter is SQS's InvalidParameterValue.
func invalidParameter(format string, args ...any) *api.Error {
	return sqsError(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

// invalidValue is the wording of a parameter out of its range.
func invalidValue(param string, value any, reason string) *api.Error {
	return invalidParameter("Value %v for parameter %s is invalid. Reason: %s", value, param, reason)
}

func missingParameter(name string) *api.Error {
	return sqsError(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s.", name)
}

func invalidAttributeValue(name string) *api.Error {
	return sqsError(http.StatusBadRequest, "InvalidAttributeValue", "Invalid value for the parameter %s.", name)
}

func invalidAttributeName(name string) *api.Error {
	return sqsError(http.StatusBadRequest, "InvalidAttributeName", "Unknown Attribute %s.", name)
}

// receiptInvalid is ReceiptHandleIsInvalid, answered with 404 as the
// model's awsQueryError trait gives it.
func receiptInvalid(handle string) *api.Error {
	return sqsError(http.StatusNotFound, "ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", handle)
}

// invalidAddress is the answer to a QueueUrl that names no queue of
// this endpoint: InvalidAddress, 404 as the model gives it.
func invalidAddress(raw string) *api.Error {
	return sqsError(http.StatusNotFound, "InvalidAddress", "The address %s is not valid for this endpoint.", raw)
}

// batchError is the error of a whole batch request.
func batchError(code, format string, args ...any) *api.Error {
	return sqsError(http.StatusBadRequest, code, format, args...)
}

// entryFailure is one failed entry of a batch, from e.
func entryFailure(id string, e *api.Error) BatchResultErrorEntry {
	return BatchResultErrorEntry{Id: id, SenderFault: !e.Receiver, Code: queryCode(e.Code), Message: e.Message}
}

// queryCode is the query code of an error code: batch entries name it so
// in both protocols.
func queryCode(code string) string {
	if q, ok := queryCodes[code]; ok {
		return q
	}
	return code
}

// errorf wraps an unexpected error.
func errorf(op string, err error) error { return fmt.Errorf("sqs: %s: %w", op, err) }
