package awssim

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config is an aws.Config that points every aws-sdk-go-v2 client at the
// simulator: its URL as BaseEndpoint, its region, static credentials
// (AKIDSIM / simsecret) and the SDK's standard retryer, so that throttling
// is retried as it would be against AWS. Use it after Start:
//
//	cd := codedeploy.NewFromConfig(sim.Config())
func (s *Sim) Config() aws.Config {
	return aws.Config{
		Region:       s.region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "simsecret", ""),
		BaseEndpoint: aws.String(s.URL()),
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
}
