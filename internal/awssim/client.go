package awssim

import (
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config is an aws.Config that points every aws-sdk-go-v2 client at this
// partition of the simulator: its URL as BaseEndpoint, its region, static
// credentials that act in its account (AKIDSIM in the root partition's
// account, the account ID itself in another; secret simsecret) and the
// SDK's standard retryer, so that throttling is retried as it would be
// against AWS. Use it after Start:
//
//	cd := codedeploy.NewFromConfig(sim.Config())
//	staging := eventbridge.NewFromConfig(sim.Partition("210987654321", "eu-west-1").Config())
func (s *Sim) Config() aws.Config {
	return aws.Config{
		Region:       s.region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.accessKey(), "simsecret", ""),
		BaseEndpoint: aws.String(s.URL()),
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
}

// Environ returns base without its AWS_ variables, plus the ones that
// point any AWS tool run with it (the AWS CLI, an SDK program) at this
// partition of the simulator and nothing else: its URL, its region, static
// credentials of its account (as Config), no
// shared config or credentials file of the machine's, no pager, no
// instance metadata. `aws ecs deploy` (aws-cli 1.x,
// customizations/ecs/deploy.py) builds its CodeDeploy client without
// --endpoint-url, so the endpoint travels in the environment, where botocore
// and the Go SDK read it.
func (s *Sim) Environ(base []string) []string {
	var env []string
	for _, kv := range base {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_ACCESS_KEY_ID="+s.accessKey(),
		"AWS_SECRET_ACCESS_KEY=simsecret",
		"AWS_DEFAULT_REGION="+s.region,
		"AWS_REGION="+s.region,
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL="+s.URL(),
		"AWS_ENDPOINT_URL_CODEDEPLOY="+s.URL(),
	)
}

// accessKey is the static key Config and Environ give: AKIDSIM acts in the
// root partition's account, and an account ID in that account (see
// identity.go).
func (s *Sim) accessKey() string {
	if s.account == s.front.root.account {
		return "AKIDSIM"
	}
	return s.account
}
