// Package editdist measures how far apart two short words are, for "did
// you mean …" answers: an app, a subcommand, an image tag.
package editdist

import "strings"

// Levenshtein is the edit distance between a and b in runes: how many
// insertions, deletions and substitutions turn one into the other. Words
// longer than 200 runes are far from everything (100), which is beyond
// anything compared.
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		return 100
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Nearest returns up to n of known closest to word, nearest first, and of
// equally near ones those earlier in known first (so a list ordered newest
// first suggests the newest). Words that extend word (v1.6.0 for v1.6) come
// before any other: what someone who typed too little meant. Only words
// within max edits, or extending word, count; word itself never does.
func Nearest(word string, known []string, n, max int) []string {
	type cand struct {
		s    string
		d, i int
	}
	var cs []cand
	seen := map[string]bool{}
	for i, k := range known {
		if k == word || seen[k] {
			continue
		}
		seen[k] = true
		d := Levenshtein(word, k)
		if word != "" && strings.HasPrefix(k, word) {
			d = 0
		}
		if d <= max {
			cs = append(cs, cand{k, d, i})
		}
	}
	// Insertion sort: the lists are short, and it keeps equal distances in
	// their order.
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].d < cs[j-1].d; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	var out []string
	for _, c := range cs {
		if len(out) == n {
			break
		}
		out = append(out, c.s)
	}
	return out
}
