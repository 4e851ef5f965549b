package awssim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"
)

// ecrTarget is the X-Amz-Target prefix of the ECR JSON 1.1 API.
const ecrTarget = "AmazonEC2ContainerRegistry_V20150921"

// ecrState holds the registry's repositories by name.
type ecrState struct {
	repos map[string]*ecrRepo
}

type ecrRepo struct {
	name      string
	arn       string
	uri       string
	createdAt time.Time
	images    []*ecrImage // in push order
}

// ecrImage is one manifest; several tags may point at it.
type ecrImage struct {
	digest   string
	tags     []string
	size     int64
	pushedAt time.Time
}

func (s *Sim) registerECR() {
	s.ecr.repos = map[string]*ecrRepo{}
	s.handle(ecrTarget, "ecr", "DescribeImages", s.ecrDescribeImages)
	s.handle(ecrTarget, "ecr", "ListImages", s.ecrListImages)
	s.handle(ecrTarget, "ecr", "DescribeRepositories", s.ecrDescribeRepositories)
}

// PutImage pushes an image tagged tag into repo, creating the repository if
// needed, and returns its digest. The digest is stable: the same repo and
// tag always give the same one. Pushing a tag that another image holds
// moves the tag, as docker push does.
func (s *Sim) PutImage(repo, tag string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putImageLocked(repo, tag)
}

func (s *Sim) putImageLocked(repo, tag string) string {
	r := s.ecrRepoLocked(repo)
	sum := sha256.Sum256([]byte(r.uri + ":" + tag))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	for _, img := range r.images {
		img.tags = slices.DeleteFunc(img.tags, func(t string) bool { return t == tag })
	}
	for _, img := range r.images {
		if img.digest == digest {
			img.tags = append(img.tags, tag)
			return digest
		}
	}
	r.images = append(r.images, &ecrImage{
		digest: digest,
		tags:   []string{tag},
		// 20 to 120 MB, fixed per image.
		size:     20_000_000 + int64(binary.BigEndian.Uint32(sum[:4])%100_000_000),
		pushedAt: s.clock.Now(),
	})
	return digest
}

// ecrRepoLocked returns the repository named name, creating it if needed.
func (s *Sim) ecrRepoLocked(name string) *ecrRepo {
	if r := s.ecr.repos[name]; r != nil {
		return r
	}
	r := &ecrRepo{
		name:      name,
		arn:       fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", s.region, s.account, name),
		uri:       s.RepositoryURI(name),
		createdAt: s.clock.Now(),
	}
	s.ecr.repos[name] = r
	return r
}

// RepositoryURI is where docker pushes repo's images; task definitions name
// images as RepositoryURI(repo)+":"+tag.
func (s *Sim) RepositoryURI(repo string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", s.account, s.region, repo)
}

type ecrImageID struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

// repoFor finds the repository a call names; registryId, when given, must
// be this account.
func (s *Sim) repoFor(registryID, name string) (*ecrRepo, error) {
	r := s.ecr.repos[name]
	if r == nil || (registryID != "" && registryID != s.account) {
		if registryID == "" {
			registryID = s.account
		}
		return nil, errf("RepositoryNotFoundException",
			"The repository with name '%s' does not exist in the registry with id '%s'", name, registryID)
	}
	return r, nil
}

func (s *Sim) ecrDescribeImages(_ context.Context, req *request) (any, error) {
	var in struct {
		RegistryID     string       `json:"registryId"`
		RepositoryName string       `json:"repositoryName"`
		ImageIDs       []ecrImageID `json:"imageIds"`
		Filter         struct {
			TagStatus string `json:"tagStatus"`
		} `json:"filter"`
		NextToken  string `json:"nextToken"`
		MaxResults int    `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.ImageIDs) > 0 && (in.NextToken != "" || in.MaxResults != 0) {
		return nil, errf("InvalidParameterException",
			"Invalid parameter at 'imageIds' failed to satisfy constraint: 'maxResults and nextToken cannot be used with imageIds'")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoFor(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var images []*ecrImage
	if len(in.ImageIDs) > 0 {
		for _, id := range in.ImageIDs {
			img := r.find(id)
			if img == nil {
				return nil, errImageNotFound(r, id, s.account)
			}
			if !slices.Contains(images, img) {
				images = append(images, img)
			}
		}
	} else {
		for _, img := range r.images {
			if tagStatusMatches(img, in.Filter.TagStatus) {
				images = append(images, img)
			}
		}
	}
	page, next, ok := offsetPage(images, in.NextToken, in.MaxResults, 100)
	if !ok {
		return nil, errf("InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a valid token'")
	}
	details := []map[string]any{}
	for _, img := range page {
		d := map[string]any{
			"registryId":             s.account,
			"repositoryName":         r.name,
			"imageDigest":            img.digest,
			"imageSizeInBytes":       img.size,
			"imagePushedAt":          epoch(img.pushedAt),
			"imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
			"artifactMediaType":      "application/vnd.docker.container.image.v1+json",
		}
		if len(img.tags) > 0 {
			tags := slices.Clone(img.tags)
			sort.Strings(tags)
			d["imageTags"] = tags
		}
		details = append(details, d)
	}
	return withToken(map[string]any{"imageDetails": details}, "nextToken", next), nil
}

func (s *Sim) ecrListImages(_ context.Context, req *request) (any, error) {
	var in struct {
		RegistryID     string `json:"registryId"`
		RepositoryName string `json:"repositoryName"`
		Filter         struct {
			TagStatus string `json:"tagStatus"`
		} `json:"filter"`
		NextToken  string `json:"nextToken"`
		MaxResults int    `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoFor(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	// One entry per tag; an untagged image is one entry with its digest.
	ids := []ecrImageID{}
	for _, img := range r.images {
		if !tagStatusMatches(img, in.Filter.TagStatus) {
			continue
		}
		if len(img.tags) == 0 {
			ids = append(ids, ecrImageID{ImageDigest: img.digest})
		}
		for _, t := range img.tags {
			ids = append(ids, ecrImageID{ImageDigest: img.digest, ImageTag: t})
		}
	}
	page, next, ok := offsetPage(ids, in.NextToken, in.MaxResults, 100)
	if !ok {
		return nil, errf("InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a valid token'")
	}
	return withToken(map[string]any{"imageIds": page}, "nextToken", next), nil
}

func (s *Sim) ecrDescribeRepositories(_ context.Context, req *request) (any, error) {
	var in struct {
		RegistryID      string   `json:"registryId"`
		RepositoryNames []string `json:"repositoryNames"`
		NextToken       string   `json:"nextToken"`
		MaxResults      int      `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var repos []*ecrRepo
	if len(in.RepositoryNames) > 0 {
		for _, name := range in.RepositoryNames {
			r, err := s.repoFor(in.RegistryID, name)
			if err != nil {
				return nil, err
			}
			repos = append(repos, r)
		}
	} else {
		for _, r := range s.ecr.repos {
			repos = append(repos, r)
		}
		sort.Slice(repos, func(i, j int) bool { return repos[i].name < repos[j].name })
	}
	page, next, ok := offsetPage(repos, in.NextToken, in.MaxResults, 100)
	if !ok {
		return nil, errf("InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a valid token'")
	}
	out := []map[string]any{}
	for _, r := range page {
		out = append(out, map[string]any{
			"repositoryArn":              r.arn,
			"registryId":                 s.account,
			"repositoryName":             r.name,
			"repositoryUri":              r.uri,
			"createdAt":                  epoch(r.createdAt),
			"imageTagMutability":         "MUTABLE",
			"imageScanningConfiguration": map[string]bool{"scanOnPush": false},
			"encryptionConfiguration":    map[string]string{"encryptionType": "AES256"},
		})
	}
	return withToken(map[string]any{"repositories": out}, "nextToken", next), nil
}

func tagStatusMatches(img *ecrImage, status string) bool {
	switch status {
	case "TAGGED":
		return len(img.tags) > 0
	case "UNTAGGED":
		return len(img.tags) == 0
	}
	return true
}

// find returns the image an id names: by digest and, when both are given,
// the tag must point at that digest.
func (r *ecrRepo) find(id ecrImageID) *ecrImage {
	for _, img := range r.images {
		if id.ImageDigest != "" && img.digest != id.ImageDigest {
			continue
		}
		if id.ImageTag != "" && !slices.Contains(img.tags, id.ImageTag) {
			continue
		}
		if id.ImageDigest == "" && id.ImageTag == "" {
			continue
		}
		return img
	}
	return nil
}

// errImageNotFound is AWS's message, which quotes the id Java-style with
// 'null' for the part not given.
func errImageNotFound(r *ecrRepo, id ecrImageID, account string) *apiError {
	q := func(v string) string {
		if v == "" {
			return "null"
		}
		return v
	}
	return errf("ImageNotFoundException",
		"The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
		q(id.ImageDigest), q(id.ImageTag), r.name, account)
}
