package deployer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/switchyard/switchyard"
)

// apiCode returns the AWS error code in err's chain, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// throttleCodes are the codes AWS uses to say "slow down"; they are the
// SDK's own list plus ECS's.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "LimitExceededException": true, "RequestThrottled": true,
	"SlowDown": true, "PriorRequestNotComplete": true,
}

// deniedCodes mean the bot's credentials may not do this.
var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"UnrecognizedClientException": true, "InvalidSignatureException": true,
	"ExpiredToken": true, "ExpiredTokenException": true, "InvalidClientTokenId": true,
	"MissingAuthenticationToken": true, "IAMRoleMissingException": true,
}

// serverCodes are failures on AWS's side: trying again later may work.
var serverCodes = map[string]bool{
	"ServerException": true, "InternalFailure": true, "InternalError": true,
	"InternalServerException": true, "ServiceUnavailable": true, "ServiceUnavailableException": true,
	"RequestTimeout": true, "RequestTimeoutException": true,
}

// fail turns an error of an AWS call into a *switchyard.Error whose message
// is a short sentence safe for Slack, "Could not <doing>: <why>.", and whose
// cause is err wrapped with op for the log. It branches on error codes and
// HTTP status only, never on message text.
func fail(err error, op, doing string) error {
	cause := fmt.Errorf("%s: %w", op, err)
	code := apiCode(err)
	var respErr *awshttp.ResponseError
	status := 0
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	say := func(c, why string) error {
		return switchyard.Wrap(c, "Could not "+doing+": "+why+".", cause)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return say(switchyard.EUNAVAILABLE, "the request was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return say(switchyard.EUNAVAILABLE, "AWS did not answer in time")
	case deniedCodes[code]:
		return say(switchyard.EFORBIDDEN, "the bot's AWS role is not allowed to do that ("+code+")")
	case throttleCodes[code]:
		return say(switchyard.EUNAVAILABLE, "AWS is throttling requests; try again in a minute")
	case serverCodes[code] || status >= 500:
		return say(switchyard.EUNAVAILABLE, "AWS had a problem on its side; try again shortly")
	case strings.HasSuffix(code, "NotFoundException") || strings.HasSuffix(code, "DoesNotExistException") ||
		strings.HasSuffix(code, "NotFound"):
		return say(switchyard.ENOTFOUND, "AWS says it does not exist ("+code+")")
	case code == "":
		return say(switchyard.EUNAVAILABLE, "AWS could not be reached")
	case strings.HasPrefix(code, "Invalid") || strings.HasSuffix(code, "ValidationException") ||
		code == "ClientException" || strings.HasSuffix(code, "RequiredException") ||
		strings.HasSuffix(code, "TooLongException"):
		return say(switchyard.EINVALID, "AWS refused the request ("+code+")")
	default:
		return say(switchyard.EINTERNAL, "AWS answered "+code)
	}
}

// deploymentIDPattern is the shape of a CodeDeploy deployment id.
var deploymentIDPattern = regexp.MustCompile(`\bd-[A-Z0-9]{9}\b`)

// deploymentIDIn extracts the deployment id an AWS error message names
// ("… already has an active Deployment 'd-…'"), or "". This is the only
// place that reads message text, and it only looks for an id.
func deploymentIDIn(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	return deploymentIDPattern.FindString(ae.ErrorMessage())
}

// validDeploymentID reports whether id looks like a CodeDeploy deployment id.
func validDeploymentID(id string) bool {
	return deploymentIDPattern.MatchString(id) && len(id) == 11
}
