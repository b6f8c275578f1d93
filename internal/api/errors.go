package api

import "fmt"

// Error is an AWS error: code, HTTP status and message, rendered by the gateway
// in the protocol of the service that raised it.
type Error struct {
	Code    string
	Message string
	Status  int
	// Receiver marks a server-side fault (query protocol Type Receiver).
	Receiver bool
	// Fields are extra members of a JSON error body (Lambda's Type, Reason, ...).
	Fields map[string]any
	// Header holds extra response headers (Retry-After, ...).
	Header map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Common errors shared across services.
func AccessDenied(message string) *Error {
	return &Error{Code: "AccessDenied", Status: 403, Message: message}
}

// ValidationError is the query/JSON "ValidationError" for bad input shapes.
func ValidationError(format string, args ...any) *Error {
	return Errorf(400, "ValidationError", format, args...)
}

// InternalFailure is an unexpected server-side error. err is not shown to
// the client; callers log it.
func InternalFailure(err error) *Error {
	return &Error{Code: "InternalFailure", Status: 500, Receiver: true, Message: "We encountered an internal error. Please try again."}
}
