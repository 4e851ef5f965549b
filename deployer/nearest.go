package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/editdist"
)

// maxNearestTags is how many existing tags a refusal of a missing one
// names.
const maxNearestTags = 3

// nearestTags names up to three tags of repo that are close to tag, for
// the refusal of a tag that does not exist: a v1.5 typed for v1.5.0, a 1.4
// for v1.4. It costs one DescribeImages call (a page of the tagged images,
// the newest of which come first on a tie), made only on this failure
// path; when that call fails the refusal names none, and says why not in
// the log alone.
func (d *Deployer) nearestTags(ctx context.Context, c Clients, account, repo, tag string) []string {
	if tag == "" {
		return nil // a digest has no neighbours worth naming
	}
	out, err := c.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId: aws.String(account), RepositoryName: aws.String(repo), MaxResults: aws.Int32(1000),
		Filter: &ecrtypes.DescribeImagesFilter{TagStatus: ecrtypes.TagStatusTagged},
	})
	if err != nil {
		d.log.Debug("list tags near a missing one", zap.String("repository", repo), zap.Error(err))
		return nil
	}
	var images []switchyard.ImageVersion
	for _, img := range out.ImageDetails {
		if v, ok := versionOf(img); ok {
			images = append(images, v)
		}
	}
	sortNewest(images)
	var tags []string
	for _, v := range images {
		tags = append(tags, v.Tags...)
	}
	return editdist.Nearest(tag, tags, maxNearestTags, max(2, len(tag)/2))
}

// missingImage says that next is not in repo, naming the nearest tags it
// has when there are some. Tags are well formed (versionOf keeps no
// other), so they carry no markup.
func missingImage(next switchyard.ImageRef, repo string, nearest []string) string {
	msg := fmt.Sprintf("There is no image %s in the ECR repository %s.", next.Label(), repo)
	switch len(nearest) {
	case 0:
		return msg + " Check the version (v1.4 and 1.4 are different tags)."
	case 1:
		return msg + " The nearest tag it has is " + nearest[0] + "."
	}
	return msg + " The nearest tags it has are " + strings.Join(nearest[:len(nearest)-1], ", ") + " and " + nearest[len(nearest)-1] + "."
}
