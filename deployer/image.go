package deployer

import (
	"regexp"
	"strings"

	"github.com/switchyard/switchyard"
)

var (
	repoPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._:/-]*[a-zA-Z0-9]$|^[a-z0-9]$`)
	// ecrHost matches a private ECR registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
	ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)
)

// ecrOf returns the registry account, region and repository name of an
// image stored in a private ECR registry; ok is false for other registries.
func ecrOf(r switchyard.ImageRef) (account, region, repo string, ok bool) {
	host, path, found := strings.Cut(r.Repo, "/")
	if !found {
		return "", "", "", false
	}
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], path, true
}

// nextImage builds the image to deploy from the current one and what the
// person typed: a tag (same repository), a digest (sha256:… or @sha256:…),
// or a full image reference.
func nextImage(current, version string) (switchyard.ImageRef, error) {
	version = strings.TrimSpace(version)
	cur := switchyard.ParseImage(current)
	switch {
	case version == "":
		return switchyard.ImageRef{}, switchyard.Errorf(switchyard.EINVALID, "Say which version to deploy, for example v1.4.")
	case switchyard.ValidDigest(strings.TrimPrefix(version, "@")):
		return switchyard.ImageRef{Repo: cur.Repo, Digest: strings.TrimPrefix(version, "@")}, nil
	case switchyard.ValidTag(version):
		return switchyard.ImageRef{Repo: cur.Repo, Tag: version}, nil
	case strings.ContainsAny(version, "/:@"):
		ref := switchyard.ParseImage(version)
		switch {
		case ref.Tag == "" && ref.Digest == "":
			return switchyard.ImageRef{}, switchyard.Errorf(switchyard.EINVALID,
				"%s names no tag or digest; add one, for example %s:v1.4.", version, ref.Repo)
		case ref.Tag != "" && !switchyard.ValidTag(ref.Tag):
			return switchyard.ImageRef{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a valid image tag.", ref.Tag)
		case ref.Digest != "" && !switchyard.ValidDigest(ref.Digest):
			return switchyard.ImageRef{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a valid image digest (sha256:<64 hex>).", ref.Digest)
		case !repoPattern.MatchString(ref.Repo):
			return switchyard.ImageRef{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a valid image repository.", ref.Repo)
		}
		return ref, nil
	default:
		return switchyard.ImageRef{}, switchyard.Errorf(switchyard.EINVALID,
			"%q is not a valid image tag: use letters, digits, _ . and -, at most 128, not starting with . or -.", version)
	}
}
