package deployer

import (
	"context"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/switchyard/switchyard"
)

// maxVersionPages caps how many pages of DescribeImages Versions reads: a
// repository with more images than that is listed by its newest pages
// only as far as ECR's order goes, which a person picking a version from a
// menu of at most a hundred never misses.
const maxVersionPages = 10

// Versions lists what env can deploy: the images of the ECR repository its
// service runs from, newest first, each with its tags and push time, and
// the image the service runs now. An image outside ECR has no list (nil
// Images, Running set). It writes nothing. Tags and digests that are not
// well formed are left out: they come from anyone who may push. Errors are
// *switchyard.Error: ENOTFOUND for a missing service or repository.
func (d *Deployer) Versions(ctx context.Context, env switchyard.Environment) (*switchyard.Versions, error) {
	if err := checkService(env); err != nil {
		return nil, err
	}
	c, err := d.reads(ctx, env, "")
	if err != nil {
		return nil, err
	}
	svc, err := d.describeService(ctx, c, env) // either backend: the images are the service's
	if err != nil {
		return nil, err
	}
	if _, err := backendOf(env, svc); err != nil {
		return nil, err
	}
	container := env.Container
	if container == "" && len(svc.LoadBalancers) > 0 {
		container = aws.ToString(svc.LoadBalancers[0].ContainerName)
	}
	arn := aws.ToString(svc.TaskDefinition)
	running, ok := d.memo.image(arn, container)
	if !ok {
		td, err := d.readTaskDefinition(ctx, c, arn, false)
		if err != nil {
			return nil, err
		}
		running = imagesOf(td.TaskDefinition.ContainerDefinitions)[container]
	}
	out := &switchyard.Versions{Running: running}
	account, region, repo, ok := ecrOf(switchyard.ParseImage(running))
	if !ok {
		return out, nil
	}
	out.Repository = repo
	in := &ecr.DescribeImagesInput{RegistryId: aws.String(account), RepositoryName: aws.String(repo), MaxResults: aws.Int32(1000)}
	rc, err := d.reads(ctx, env, region)
	if err != nil {
		return nil, err
	}
	for range maxVersionPages {
		page, err := rc.ECR.DescribeImages(ctx, in)
		if err != nil {
			if apiCode(err) == "RepositoryNotFoundException" {
				return nil, switchyard.Wrap(switchyard.ENOTFOUND, "There is no ECR repository "+repo+".", err)
			}
			return nil, fail(err, "describe images of "+repo, "list the versions in ECR repository "+repo)
		}
		for _, img := range page.ImageDetails {
			if v, ok := versionOf(img); ok {
				out.Images = append(out.Images, v)
			}
		}
		if aws.ToString(page.NextToken) == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	sortNewest(out.Images)
	return out, nil
}

// sortNewest orders images newest first.
func sortNewest(images []switchyard.ImageVersion) {
	sort.SliceStable(images, func(i, j int) bool { return newer(images[i], images[j]) })
}

// versionOf keeps what is well formed of an image ECR describes.
func versionOf(img ecrtypes.ImageDetail) (switchyard.ImageVersion, bool) {
	v := switchyard.ImageVersion{Digest: aws.ToString(img.ImageDigest)}
	if !switchyard.ValidDigest(v.Digest) {
		return v, false
	}
	for _, t := range img.ImageTags {
		if switchyard.ValidTag(t) {
			v.Tags = append(v.Tags, t)
		}
	}
	sort.Slice(v.Tags, func(i, j int) bool { return versionLess(v.Tags[j], v.Tags[i]) })
	if img.ImagePushedAt != nil {
		v.Pushed = img.ImagePushedAt.UTC()
	}
	return v, true
}

// newer orders images newest first: by push time, then (images pushed in
// the same second, as a release often is) by their first tag as a
// version, so that v1.10 comes before v1.9.
func newer(a, b switchyard.ImageVersion) bool {
	if !a.Pushed.Equal(b.Pushed) {
		return a.Pushed.After(b.Pushed)
	}
	return versionLess(b.Label(), a.Label())
}

// versionLess compares two tags as versions: runs of digits by their
// value, everything else byte by byte.
func versionLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:da], 10, 64)
			nb, _ := strconv.ParseUint(b[:db], 10, 64)
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// digitRun is the length of the run of ASCII digits s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && n < 18 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
