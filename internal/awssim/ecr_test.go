package awssim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
)

func TestECRPutImageIsStable(t *testing.T) {
	s := New(Options{})
	d1 := s.PutImage("api", "v1")
	if !strings.HasPrefix(d1, "sha256:") || len(d1) != len("sha256:")+64 {
		t.Fatalf("digest = %q", d1)
	}
	if d2 := s.PutImage("api", "v1"); d2 != d1 {
		t.Errorf("same repo and tag gave %s then %s", d1, d2)
	}
	if d3 := s.PutImage("api", "v2"); d3 == d1 {
		t.Errorf("v2 got v1's digest")
	}
	if got := s.RepositoryURI("api"); got != "123456789012.dkr.ecr.us-east-1.amazonaws.com/api" {
		t.Errorf("repository URI = %s", got)
	}
}

func TestECRDescribeImages(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecr.NewFromConfig(cfg)
	digest := s.PutImage("web", "v1.4") // already seeded: same digest back

	out, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String("web"),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.4")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ImageDetails) != 1 {
		t.Fatalf("details = %+v", out.ImageDetails)
	}
	d := out.ImageDetails[0]
	if aws.ToString(d.ImageDigest) != digest || !slices.Equal(d.ImageTags, []string{"v1.4"}) ||
		aws.ToString(d.RepositoryName) != "web" || aws.ToString(d.RegistryId) != "123456789012" ||
		aws.ToInt64(d.ImageSizeInBytes) < 20_000_000 || d.ImagePushedAt == nil || !d.ImagePushedAt.Equal(s.Clock().Now()) {
		t.Errorf("detail = %+v", d)
	}

	all, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.ImageDetails) != 3 {
		t.Errorf("all images = %d, want 3", len(all.ImageDetails))
	}

	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String("web"),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}},
	})
	var inf *ecrtypes.ImageNotFoundException
	want := "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the repository with name 'web' in the registry with id '123456789012'"
	if !errors.As(err, &inf) || inf.ErrorMessage() != want {
		t.Errorf("err = %v, want ImageNotFoundException %q", err, want)
	}

	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")})
	var rnf *ecrtypes.RepositoryNotFoundException
	if !errors.As(err, &rnf) ||
		rnf.ErrorMessage() != "The repository with name 'nope' does not exist in the registry with id '123456789012'" {
		t.Errorf("err = %v, want RepositoryNotFoundException", err)
	}
}

func TestECRListImages(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecr.NewFromConfig(cfg)
	s.PutImage("web", "v1.3") // moving a tag onto its own image changes nothing

	var tags []string
	p := ecr.NewListImagesPaginator(c, &ecr.ListImagesInput{RepositoryName: aws.String("web"), MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, id := range page.ImageIds {
			if !strings.HasPrefix(aws.ToString(id.ImageDigest), "sha256:") {
				t.Errorf("id without digest: %+v", id)
			}
			tags = append(tags, aws.ToString(id.ImageTag))
		}
	}
	if pages != 2 || !slices.Equal(tags, []string{"v1.3", "v1.4", "latest"}) {
		t.Errorf("pages %d tags %v", pages, tags)
	}

	_, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("nope")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "RepositoryNotFoundException" {
		t.Errorf("err = %v, want RepositoryNotFoundException", err)
	}
}

func TestECRDescribeRepositories(t *testing.T) {
	_, cfg := startWorldSim(t)
	ctx := context.Background()
	c := ecr.NewFromConfig(cfg)

	out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Repositories) != 2 {
		t.Fatalf("repositories = %+v", out.Repositories)
	}
	r := out.Repositories[0]
	if aws.ToString(r.RepositoryName) != "web" ||
		aws.ToString(r.RepositoryUri) != "123456789012.dkr.ecr.us-east-1.amazonaws.com/web" ||
		aws.ToString(r.RepositoryArn) != "arn:aws:ecr:us-east-1:123456789012:repository/web" || r.CreatedAt == nil {
		t.Errorf("repository = %+v", r)
	}
	_, err = c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"web", "nope"}})
	var rnf *ecrtypes.RepositoryNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("err = %v, want RepositoryNotFoundException", err)
	}
}
