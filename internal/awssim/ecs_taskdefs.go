package awssim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Task definitions: revisions per family, every registered field kept.

// readOnlyTaskDefFields are the members AWS fills in itself; a registration
// that carries them (a described task definition sent back as is) has them
// dropped rather than stored.
var readOnlyTaskDefFields = []string{
	"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "deregisteredAt", "registeredBy", "deleteRequestedAt", "tags",
}

var familyRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// registerTaskDefLocked validates body (a RegisterTaskDefinition request
// without its tags) and stores it as the family's next revision.
func (s *Sim) registerTaskDefLocked(body map[string]any, tags []ecsTag, now time.Time) (*taskDef, error) {
	family, _ := body["family"].(string)
	if family == "" {
		return nil, errf("ClientException", "Family must not be null or empty.")
	}
	if !familyRE.MatchString(family) {
		return nil, errf("ClientException",
			"Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.")
	}
	containers, _ := body["containerDefinitions"].([]any)
	if len(containers) == 0 {
		return nil, errf("ClientException", "Container list cannot be empty.")
	}
	for _, c := range containers {
		m, _ := c.(map[string]any)
		if name, _ := m["name"].(string); name == "" {
			return nil, errf("ClientException", "Container.name should not be null or empty.")
		}
		if image, _ := m["image"].(string); image == "" {
			return nil, errf("ClientException", "Container.image should not be null or empty.")
		}
	}
	stored := map[string]any{}
	for k, v := range body {
		if !slices.Contains(readOnlyTaskDefFields, k) {
			stored[k] = v
		}
	}
	// cpu and memory are strings at task level ("256", "0.25 vCPU"); a seed
	// file may well write them as numbers.
	for _, k := range []string{"cpu", "memory"} {
		if v, ok := stored[k]; ok && v != nil {
			if _, isString := v.(string); !isString {
				stored[k] = fmt.Sprint(v)
			}
		}
	}
	fillTaskDefDefaults(stored)
	if compat, _ := stored["requiresCompatibilities"].([]any); slices.Contains(compat, any("FARGATE")) {
		if mode, _ := stored["networkMode"].(string); mode != "awsvpc" {
			return nil, errf("ClientException", "Fargate only supports network mode 'awsvpc'.")
		}
		if _, ok := stored["cpu"]; !ok {
			return nil, errf("ClientException", "Fargate requires that 'cpu' be defined at the task level.")
		}
		if _, ok := stored["memory"]; !ok {
			return nil, errf("ClientException", "Fargate requires that 'memory' be defined at the task level.")
		}
	}
	rev := len(s.ecs.taskDefs[family]) + 1
	td := &taskDef{
		arn:          fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", s.region, s.account, family, rev),
		family:       family,
		revision:     rev,
		status:       "ACTIVE",
		body:         stored,
		tags:         tags,
		registeredAt: now,
	}
	s.ecs.taskDefs[family] = append(s.ecs.taskDefs[family], td)
	return td, nil
}

// containerDefaults are what ECS fills into a container definition that
// leaves them out: a definition registered with only a name and an image
// comes back with cpu 0, essential true and these lists empty, so a clone
// read back compares field by field with what AWS returns.
var containerDefaults = map[string]func() any{
	"cpu":            func() any { return 0 },
	"essential":      func() any { return true },
	"portMappings":   func() any { return []any{} },
	"environment":    func() any { return []any{} },
	"mountPoints":    func() any { return []any{} },
	"volumesFrom":    func() any { return []any{} },
	"systemControls": func() any { return []any{} },
}

// taskDefDefaults are the task-level lists ECS returns empty when unset.
var taskDefDefaults = map[string]func() any{
	"volumes":              func() any { return []any{} },
	"placementConstraints": func() any { return []any{} },
}

// fillTaskDefDefaults adds ECS's defaults to a registration being stored.
// Each container is copied: the request's maps are not the simulator's.
func fillTaskDefDefaults(body map[string]any) {
	for k, v := range taskDefDefaults {
		if _, ok := body[k]; !ok {
			body[k] = v()
		}
	}
	containers, _ := body["containerDefinitions"].([]any)
	filled := make([]any, 0, len(containers))
	for _, c := range containers {
		m, _ := c.(map[string]any)
		cp := make(map[string]any, len(m)+len(containerDefaults))
		for k, v := range m {
			cp[k] = v
		}
		for k, v := range containerDefaults {
			if _, ok := cp[k]; !ok {
				cp[k] = v()
			}
		}
		filled = append(filled, cp)
	}
	body["containerDefinitions"] = filled
}

// renderTaskDef is the TaskDefinition shape: every stored field plus the
// ones AWS adds.
func (s *Sim) renderTaskDef(td *taskDef) map[string]any {
	out := make(map[string]any, len(td.body)+10)
	for k, v := range td.body {
		out[k] = v
	}
	out["taskDefinitionArn"] = td.arn
	out["family"] = td.family
	out["revision"] = td.revision
	out["status"] = td.status
	out["registeredAt"] = epoch(td.registeredAt)
	out["registeredBy"] = s.callerArn()
	out["compatibilities"] = compatibilities(td.body)
	out["requiresAttributes"] = requiresAttributes(td.body)
	if !td.deregisteredAt.IsZero() {
		out["deregisteredAt"] = epoch(td.deregisteredAt)
	}
	return out
}

// compatibilities is what the task definition can run on. Our reading of
// AWS: an awsvpc definition with task-level cpu and memory fits EC2 and
// FARGATE; anything else EC2 and EXTERNAL.
func compatibilities(body map[string]any) []string {
	mode, _ := body["networkMode"].(string)
	_, cpu := body["cpu"]
	_, mem := body["memory"]
	if mode == "awsvpc" && cpu && mem {
		return []string{"EC2", "FARGATE"}
	}
	return []string{"EXTERNAL", "EC2"}
}

// requiresAttributes lists the container-instance capabilities AWS derives
// from the definition (task ENI, task role, awslogs with an execution role,
// ECR pulls). AWS's exact list varies with the agent; this covers the
// common ones.
func requiresAttributes(body map[string]any) []map[string]string {
	var names []string
	add := func(n ...string) {
		for _, x := range n {
			if !slices.Contains(names, x) {
				names = append(names, x)
			}
		}
	}
	_, execRole := body["executionRoleArn"]
	if _, ok := body["taskRoleArn"]; ok {
		add("com.amazonaws.ecs.capability.task-iam-role")
	}
	containers, _ := body["containerDefinitions"].([]any)
	for _, c := range containers {
		m, _ := c.(map[string]any)
		if logs, _ := m["logConfiguration"].(map[string]any); logs != nil && logs["logDriver"] == "awslogs" {
			add("com.amazonaws.ecs.capability.logging-driver.awslogs")
			if execRole {
				add("ecs.capability.execution-role-awslogs")
			}
			add("com.amazonaws.ecs.capability.docker-remote-api.1.19")
		}
		if image, _ := m["image"].(string); strings.Contains(image, ".dkr.ecr.") {
			add("com.amazonaws.ecs.capability.ecr-auth")
			if execRole {
				add("ecs.capability.execution-role-ecr-pull")
			}
		}
	}
	if mode, _ := body["networkMode"].(string); mode == "awsvpc" {
		add("com.amazonaws.ecs.capability.docker-remote-api.1.18", "ecs.capability.task-eni")
	}
	out := make([]map[string]string, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]string{"name": n})
	}
	return out
}

func (s *Sim) ecsRegisterTaskDefinition(_ context.Context, req *request) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(req.body))
	dec.UseNumber() // keep numbers exactly as sent
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, errSerialization("cannot parse request: " + err.Error())
	}
	var tags []ecsTag
	if raw, ok := body["tags"]; ok {
		b, _ := json.Marshal(raw)
		if err := json.Unmarshal(b, &tags); err != nil {
			return nil, errSerialization("cannot parse tags: " + err.Error())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td, err := s.registerTaskDefLocked(body, tags, s.clock.Now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"taskDefinition": s.renderTaskDef(td), "tags": nonNil(td.tags)}, nil
}

func (s *Sim) ecsDescribeTaskDefinition(_ context.Context, req *request) (any, error) {
	var in struct {
		TaskDefinition string   `json:"taskDefinition"`
		Include        []string `json:"include"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.ecs.taskDefByRef(in.TaskDefinition)
	if td == nil {
		return nil, errf("ClientException", "Unable to describe task definition.")
	}
	out := map[string]any{"taskDefinition": s.renderTaskDef(td)}
	if slices.Contains(in.Include, "TAGS") {
		out["tags"] = nonNil(td.tags)
	}
	return out, nil
}

func (s *Sim) ecsDeregisterTaskDefinition(_ context.Context, req *request) (any, error) {
	var in struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if !strings.Contains(lastSegment(in.TaskDefinition), ":") {
		return nil, errf("ClientException", "Invalid revision number. Number: ")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.ecs.taskDefByRef(in.TaskDefinition)
	if td == nil {
		return nil, errf("ClientException", "The specified task definition does not exist.")
	}
	if td.status != "INACTIVE" {
		td.status = "INACTIVE"
		td.deregisteredAt = s.clock.Now()
	}
	return map[string]any{"taskDefinition": s.renderTaskDef(td)}, nil
}

func (s *Sim) ecsListTaskDefinitions(_ context.Context, req *request) (any, error) {
	var in struct {
		FamilyPrefix string `json:"familyPrefix"`
		Status       string `json:"status"`
		Sort         string `json:"sort"`
		NextToken    string `json:"nextToken"`
		MaxResults   int    `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.Status == "" {
		in.Status = "ACTIVE"
	}
	if in.MaxResults > 100 {
		return nil, errf("ClientException", "maxResults must be between 1 and 100.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	families := make([]string, 0, len(s.ecs.taskDefs))
	for f := range s.ecs.taskDefs {
		// familyPrefix is, despite its name, the whole family name.
		if in.FamilyPrefix == "" || f == in.FamilyPrefix {
			families = append(families, f)
		}
	}
	sort.Strings(families)
	arns := []string{}
	for _, f := range families {
		for _, td := range s.ecs.taskDefs[f] {
			if in.Status == "ALL" || td.status == in.Status {
				arns = append(arns, td.arn)
			}
		}
	}
	if in.Sort == "DESC" {
		slices.Reverse(arns)
	}
	page, next, ok := offsetPage(arns, in.NextToken, in.MaxResults, 100)
	if !ok {
		return nil, errf("ClientException", "Invalid nextToken.")
	}
	return withToken(map[string]any{"taskDefinitionArns": page}, "nextToken", next), nil
}

// digits19 derives a stable 19-digit number from key, the shape of ECS's
// task set and deployment ids.
func digits19(key string) string {
	h := sha256.Sum256([]byte(key))
	n := binary.BigEndian.Uint64(h[:8]) % 9000000000000000000
	return fmt.Sprintf("%019d", n+1000000000000000000)
}
