package deployer

import (
	"regexp"
	"strings"

	"github.com/switchyard/switchyard"
)

// imageRef is a container image reference: repository[:tag][@digest].
type imageRef struct {
	Repo   string // host[:port]/path, or a Docker Hub short name
	Tag    string
	Digest string // sha256:<64 hex>
}

var (
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	repoPattern   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._:/-]*[a-zA-Z0-9]$|^[a-z0-9]$`)
	// ecrHost matches a private ECR registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
	ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)
)

// parseImage splits an image reference. The tag is what follows the last
// ":" after the last "/", so a registry port is not mistaken for a tag.
func parseImage(s string) imageRef {
	var r imageRef
	if i := strings.IndexByte(s, '@'); i >= 0 {
		r.Digest, s = s[i+1:], s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		r.Tag, s = s[i+1:], s[:i]
	}
	r.Repo = s
	return r
}

// VersionOf names the version an image reference carries: its tag, else a
// short digest, or "unknown" when neither is well formed. The reference
// comes from AWS (a task definition anyone may register), so nothing but a
// valid tag or digest passes for a version.
func VersionOf(image string) string {
	r := parseImage(image)
	switch {
	case r.Tag != "" && tagPattern.MatchString(r.Tag):
		return r.Tag
	case r.Digest != "" && digestPattern.MatchString(r.Digest):
		return shortDigest(r.Digest)
	case r.Tag == "" && r.Digest == "":
		return "latest"
	default:
		return "unknown"
	}
}

// String is the reference as ECS takes it.
func (r imageRef) String() string {
	s := r.Repo
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Label names the version for people: the tag, else a short digest.
func (r imageRef) Label() string {
	switch {
	case r.Tag != "":
		return r.Tag
	case r.Digest != "":
		return shortDigest(r.Digest)
	default:
		return "latest"
	}
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// ecr returns the registry account, region and repository name of an
// image stored in a private ECR registry; ok is false for other registries.
func (r imageRef) ecr() (account, region, repo string, ok bool) {
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
func nextImage(current, version string) (imageRef, error) {
	version = strings.TrimSpace(version)
	cur := parseImage(current)
	switch {
	case version == "":
		return imageRef{}, switchyard.Errorf(switchyard.EINVALID, "Say which version to deploy, for example v1.4.")
	case digestPattern.MatchString(strings.TrimPrefix(version, "@")):
		return imageRef{Repo: cur.Repo, Digest: strings.TrimPrefix(version, "@")}, nil
	case tagPattern.MatchString(version):
		return imageRef{Repo: cur.Repo, Tag: version}, nil
	case strings.ContainsAny(version, "/:@"):
		ref := parseImage(version)
		switch {
		case ref.Tag == "" && ref.Digest == "":
			return imageRef{}, switchyard.Errorf(switchyard.EINVALID,
				"%s names no tag or digest; add one, for example %s:v1.4.", version, ref.Repo)
		case ref.Tag != "" && !tagPattern.MatchString(ref.Tag):
			return imageRef{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a valid image tag.", ref.Tag)
		case ref.Digest != "" && !digestPattern.MatchString(ref.Digest):
			return imageRef{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a valid image digest (sha256:<64 hex>).", ref.Digest)
		case !repoPattern.MatchString(ref.Repo):
			return imageRef{}, switchyard.Errorf(switchyard.EINVALID, "%q is not a valid image repository.", ref.Repo)
		}
		return ref, nil
	default:
		return imageRef{}, switchyard.Errorf(switchyard.EINVALID,
			"%q is not a valid image tag: use letters, digits, _ . and -, at most 128, not starting with . or -.", version)
	}
}
