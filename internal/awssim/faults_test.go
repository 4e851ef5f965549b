package awssim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func noRetries(o *ecs.Options) { o.Retryer = aws.NopRetryer{} }

func TestThrottleIsRetried(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	s.SetThrottle("ecs", 0.5)

	// With the SDK's standard retryer every call gets through, though
	// every other attempt is throttled. (Backoff capped to keep the test
	// quick; the retry decision is the SDK's own.)
	c := ecs.NewFromConfig(cfg, func(o *ecs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = 20 * time.Millisecond })
	})
	for i := range 4 {
		if _, err := c.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}

	// Without retries, exactly every second call fails.
	bare := ecs.NewFromConfig(cfg, noRetries)
	failed := 0
	for range 4 {
		_, err := bare.ListClusters(ctx, &ecs.ListClustersInput{})
		if err != nil {
			if code := errorCode(err); code != "ThrottlingException" {
				t.Fatalf("err = %v, want ThrottlingException", err)
			}
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d of 4 calls throttled, want 2", failed)
	}

	// Other services are untouched, and zero turns it off.
	if _, err := ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Retryer = aws.NopRetryer{} }).
		ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("web")}); err != nil {
		t.Errorf("ecr throttled too: %v", err)
	}
	s.SetThrottle("ecs", 0)
	for range 3 {
		if _, err := bare.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
			t.Fatalf("after SetThrottle(0): %v", err)
		}
	}
}

func TestThrottleCloudWatch(t *testing.T) {
	s, cfg := startWorldSim(t)
	s.SetThrottle("monitoring", 1)
	c := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} })
	_, err := c.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
	// CloudWatch is awsQuery-compatible: the SDK reports the legacy code.
	if code := errorCode(err); code != "Throttling" {
		t.Errorf("err = %v, want Throttling", err)
	}
}

func TestDeny(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)
	s.Deny("ecs:RegisterTaskDefinition", "cloudwatch:DescribeAlarms")

	_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("web:2")}},
	})
	if code := errorCode(err); code != "AccessDeniedException" {
		t.Errorf("err = %v, want AccessDeniedException", err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() == "" {
		t.Error("AccessDeniedException without a message")
	}
	// Other actions of the same service still work.
	if _, err := c.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
		t.Errorf("ListClusters: %v", err)
	}
	_, err = cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if code := errorCode(err); code != "AccessDenied" {
		t.Errorf("DescribeAlarms err = %v, want AccessDenied", err)
	}

	s.Allow("ecs:RegisterTaskDefinition")
	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("web:2")}},
	})
	if err != nil {
		t.Errorf("after Allow: %v", err)
	}
}

func TestSigV4ScopeMustMatchService(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	// An ECS call signed for ECR is refused, as AWS refuses it.
	c := ecs.NewFromConfig(cfg, ecs.WithSigV4SigningName("ecr"), noRetries)
	_, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	if code := errorCode(err); code != "InvalidSignatureException" {
		t.Errorf("ECS signed for ecr: err = %v, want InvalidSignatureException", err)
	}
	cw := cloudwatch.NewFromConfig(cfg, cloudwatch.WithSigV4SigningName("ecs"),
		func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} })
	_, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if code := errorCode(err); code != "InvalidSignatureException" {
		t.Errorf("CloudWatch signed for ecs: err = %v, want InvalidSignatureException", err)
	}
	// Correctly scoped calls pass.
	if _, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
		t.Errorf("ecs-scoped call: %v", err)
	}
}
