package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestDocsNameTestsThatExist: the README and docs/ name tests as proof
// (the threat model names one for every line); each name must be a test,
// fuzz target or benchmark that exists, so a renamed or deleted test
// cannot leave a claim standing on nothing. A subtest (Test/Name) must be
// named, quoted, in some Go file (a conformance suite lives outside
// _test.go files).
func TestDocsNameTestsThatExist(t *testing.T) {
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)\w+)\(`)
	exists := map[string]bool{}
	var all strings.Builder // every Go file, for the names of subtests
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		all.Write(src)
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			exists[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append(docs, "../../README.md", "../../iam/README.md")
	named := regexp.MustCompile(`\b(?:Test|Fuzz|Benchmark)[A-Z]\w*(?:/\w+)?`)
	checked := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		var missing []string
		for _, name := range named.FindAllString(string(b), -1) {
			checked++
			top, subtest, _ := strings.Cut(name, "/")
			if !exists[top] || (subtest != "" && !strings.Contains(all.String(), `"`+subtest+`"`)) {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s names tests that do not exist: %s", strings.TrimPrefix(doc, "../../"), strings.Join(missing, ", "))
		}
	}
	if checked < 40 {
		t.Errorf("found %d test names in the docs; the scan missed some", checked)
	}
}
