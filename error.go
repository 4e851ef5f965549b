package switchyard

import (
	"errors"
	"fmt"
)

// Error codes. They say what kind of failure happened so that callers can
// branch on them and Slack can show the right sentence.
const (
	ECONFLICT      = "conflict"      // the action clashes with the current state (a deployment already running, a lock held)
	EINTERNAL      = "internal"      // a bug or an unexpected outside failure
	EINVALID       = "invalid"       // the input is wrong
	ENOTFOUND      = "not_found"     // the thing named does not exist
	EFORBIDDEN     = "forbidden"     // the person may not do this
	EUNAVAILABLE   = "unavailable"   // an outside service refused or timed out; trying again may work
	EUNIMPLEMENTED = "not_supported" // the setup cannot do this (for example a non CODE_DEPLOY service)
)

// Error is an error with a code and a message safe to show a Slack user.
// Err keeps the cause for the log; it is never shown to users.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error returns the safe message followed by the cause, for logs.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	default:
		return e.Message
	}
}

// Unwrap gives the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the code and safe message, keeping cause for the log.
func Wrap(code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the safe message of the first *Error in err's chain,
// and a generic sentence for anything else, so that causes never reach users.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Message != "":
		return e.Message
	default:
		return "Something went wrong on our side; the details are in the bot's log."
	}
}

// BusyError is the cause inside the ECONFLICT error of a start refused
// because the deployment group already runs a deployment: Active is its
// id, so that callers can say what it is (a rollback of the same change,
// someone else's deploy).
type BusyError struct {
	Active string
}

// Error names the running deployment for logs.
func (e *BusyError) Error() string {
	if e.Active == "" {
		return "the deployment group already runs a deployment"
	}
	return "the deployment group already runs deployment " + e.Active
}
