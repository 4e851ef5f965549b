package config

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// problems collects every mistake in a file so that one run reports them all,
// each with the file, the line and a sentence.
type problems struct {
	file  string
	list  []string
	lines []int // of each in list
}

// sorted is the mistakes in the order of their lines, so that a mistyped
// key comes before what its absence then makes wrong further down.
func (p *problems) sorted() []string {
	idx := make([]int, len(p.list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p.lines[idx[a]] < p.lines[idx[b]] })
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = p.list[j]
	}
	return out
}

func (p *problems) add(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.list = append(p.list, fmt.Sprintf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...)))
	p.lines = append(p.lines, line)
}

// mapping reads one YAML mapping, remembering which keys were read so that
// unknown ones can be refused.
type mapping struct {
	p     *problems
	node  *yaml.Node
	where string // "app \"myapp\"", for messages
	known []string
}

func newMapping(p *problems, n *yaml.Node, where string) *mapping {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "%s must be a mapping of keys to values", where)
		return &mapping{p: p, node: &yaml.Node{Kind: yaml.MappingNode, Line: n.Line}, where: where}
	}
	return &mapping{p: p, node: n, where: where}
}

// get returns the value node of key, or nil.
func (m *mapping) get(key string) *yaml.Node {
	if !slices.Contains(m.known, key) {
		m.known = append(m.known, key)
	}
	for i := 0; i+1 < len(m.node.Content); i += 2 {
		if m.node.Content[i].Value == key {
			return m.node.Content[i+1]
		}
	}
	return nil
}

// done refuses keys that were never asked for and duplicated keys.
func (m *mapping) done() {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.node.Content); i += 2 {
		k := m.node.Content[i]
		if seen[k.Value] {
			m.p.add(k, "%s has %q twice", m.where, k.Value)
		}
		seen[k.Value] = true
		if !slices.Contains(m.known, k.Value) {
			m.p.add(k, "unknown key %q in %s (known keys: %s)", k.Value, m.where, strings.Join(m.known, ", "))
		}
	}
}

func (m *mapping) str(key string, required bool) (string, *yaml.Node) {
	n := m.get(key)
	if n == nil {
		if required {
			m.p.add(m.node, "%s is missing %q", m.where, key)
		}
		return "", m.node
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		m.p.add(n, "%q in %s must be a single value", key, m.where)
		return "", n
	}
	if required && strings.TrimSpace(n.Value) == "" {
		m.p.add(n, "%q in %s is empty", key, m.where)
	}
	return n.Value, n
}

func (m *mapping) boolean(key string) bool {
	n := m.get(key)
	if n == nil {
		return false
	}
	b, err := strconv.ParseBool(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		m.p.add(n, "%q in %s must be true or false, not %q", key, m.where, n.Value)
	}
	return b
}

func (m *mapping) integer(key string, lo, hi int) (int, bool) {
	n := m.get(key)
	if n == nil {
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < lo || v > hi {
		m.p.add(n, "%q in %s must be a whole number from %d to %d, not %q", key, m.where, lo, hi, n.Value)
		return 0, false
	}
	return v, true
}

func (m *mapping) duration(key string, def time.Duration) time.Duration {
	n := m.get(key)
	if n == nil {
		return def
	}
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || d <= 0 {
		m.p.add(n, "%q in %s must be a positive duration such as 15m or 90s, not %q", key, m.where, n.Value)
		return def
	}
	return d
}

// list returns the items of a sequence (nil when absent).
func (m *mapping) list(key string) []*yaml.Node {
	n := m.get(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		m.p.add(n, "%q in %s must be a list", key, m.where)
		return nil
	}
	return n.Content
}

// strings returns a list of scalars, each checked against pattern.
func (m *mapping) strings(key string, pattern *regexp.Regexp, what string) []string {
	var out []string
	for _, n := range m.list(key) {
		if n.Kind != yaml.ScalarNode {
			m.p.add(n, "each item of %q in %s must be a single value", key, m.where)
			continue
		}
		if pattern != nil && !pattern.MatchString(n.Value) {
			m.p.add(n, "%q in %s is not %s", n.Value, m.where, what)
			continue
		}
		out = append(out, n.Value)
	}
	return out
}
