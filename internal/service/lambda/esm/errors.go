package esm

import (
	"fmt"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// Errors as Lambda renders them (restJson1: the code in x-amzn-ErrorType,
// "Type":"User" and "message" in the body; ResourceNotFoundException also
// "Message").

func errValidation(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errInvalidParam(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

func errNotFound(format string, args ...any) *api.Error {
	msg := fmt.Sprintf(format, args...)
	return &api.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: msg,
		Fields: map[string]any{"Message": msg}}
}

func errConflict(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusConflict, "ResourceConflictException", format, args...)
}

func errInUse(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "ResourceInUseException", format, args...)
}
