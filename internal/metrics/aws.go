package metrics

import (
	"context"
	"errors"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// awsMiddlewareID names the middleware in a stack, so it is added once.
const awsMiddlewareID = "switchyard.metrics.aws"

// AWSMiddleware returns an APIOptions entry for an aws.Config: every call
// of every client made from that config is counted once, after its
// retries, as switchyard_aws_calls_total{service,operation,code} with its
// duration in switchyard_aws_call_seconds. It goes last in the Initialize
// step: some service clients name their service and operation in an
// Initialize middleware of their own, which must run first; it still
// wraps serialization, signing and every retry.
//
// code is "ok" for a success, AWS's error code (smithy APIError.ErrorCode,
// such as ThrottlingException or DeploymentDoesNotExistException) when
// AWS answered with an error, and "error" when no answer came (a network
// failure, a timeout, a cancelled context, a request refused before it was
// sent). "ok" rather than an empty code, so that a query can name it.
//
//	cfg.APIOptions = append(cfg.APIOptions, m.AWSMiddleware())
func (m *Metrics) AWSMiddleware() func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		if _, ok := st.Initialize.Get(awsMiddlewareID); ok {
			return nil
		}
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc(awsMiddlewareID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				start := time.Now()
				out, md, err := next.HandleInitialize(ctx, in)
				m.AWSCall(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), AWSCode(err), time.Since(start))
				return out, md, err
			}), middleware.After)
	}
}

// AWSCall counts one AWS call; the middleware calls it, and so may code
// that reaches AWS by other means.
func (m *Metrics) AWSCall(service, operation, code string, took time.Duration) {
	service, operation = label(service, "unknown"), label(operation, "unknown")
	m.awsCalls.WithLabelValues(service, operation, label(code, "error")).Inc()
	m.awsSeconds.WithLabelValues(service, operation).Observe(took.Seconds())
}

// AWSCode is the code label of a call's outcome: "ok", AWS's error code,
// or "error".
func AWSCode(err error) string {
	if err == nil {
		return "ok"
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() != "" {
		return api.ErrorCode()
	}
	return "error"
}
