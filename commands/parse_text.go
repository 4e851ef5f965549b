package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/editdist"
)

// This file holds the text handling under Parse: Slack's escaping,
// whitespace and invisible characters, quotes, and Suggest. What a reply
// says about the characters it finds is blocks' to word.

// token is one word of the command, or one quoted phrase.
type token struct {
	raw    string // as typed, quotes included
	val    string // without the quotes
	quoted bool
}

// unescapeSlack undoes the three entities Slack escapes in command text.
func unescapeSlack(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
}

// normaliseSpace makes every kind of space (tabs, newlines, no-break and
// full-width spaces) a plain space, drops zero-width characters that
// copy-paste leaves inside words, and replaces invalid UTF-8.
func normaliseSpace(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF' || r == '\u00AD' || r == '\u180E':
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
}

// Opening and closing quotes of each kind, straight and typographic (Slack
// and phones turn straight quotes into curly ones).
const (
	doubleQuotes = "\"“”„«»"
	singleQuotes = "'‘’‚‹›"
)

// tokenize splits s at spaces. A word that starts with a quote runs to a
// quote of the same kind that ends a word; without one, the quote is just a
// character (as in an apostrophe).
func tokenize(s string) []token {
	// The last word-ending quote of each kind: past it no quote can close,
	// which keeps a text full of unclosed quotes linear.
	lastDouble, lastSingle := lastClosing(s, doubleQuotes), lastClosing(s, singleQuotes)
	var toks []token
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		family, last := "", -1
		switch {
		case strings.ContainsRune(doubleQuotes, r):
			family, last = doubleQuotes, lastDouble
		case strings.ContainsRune(singleQuotes, r):
			family, last = singleQuotes, lastSingle
		}
		if family != "" && last >= i+size {
			end, closeSize := closingQuote(s, i+size, family)
			toks = append(toks, token{raw: s[i : end+closeSize], val: s[i+size : end], quoted: true})
			i = end + closeSize
			continue
		}
		end := strings.IndexByte(s[i:], ' ')
		if end < 0 {
			end = len(s) - i
		}
		toks = append(toks, token{raw: s[i : i+end], val: s[i : i+end]})
		i += end
	}
	return toks
}

// closingQuote finds, from byte from, the first quote of family followed by
// a space or the end of s; the caller knows there is one.
func closingQuote(s string, from int, family string) (at, size int) {
	for j := from; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		if strings.ContainsRune(family, r) && (j+n == len(s) || s[j+n] == ' ') {
			return j, n
		}
		j += n
	}
	return len(s), 0
}

// lastClosing returns the byte index of the last quote of family followed
// by a space or the end of s, or -1.
func lastClosing(s string, family string) int {
	last := -1
	for j, r := range s {
		if strings.ContainsRune(family, r) {
			if n := utf8.RuneLen(r); j+n == len(s) || s[j+n] == ' ' {
				last = j
			}
		}
	}
	return last
}

// isFlag reports whether t is an option. Em and en dashes count, because
// phones and macOS turn "--" into them.
func isFlag(t token) bool {
	return !t.quoted && (strings.HasPrefix(t.val, "--") || strings.HasPrefix(t.val, "—") || strings.HasPrefix(t.val, "–"))
}

func isWord(t token, w string) bool { return !t.quoted && strings.EqualFold(t.val, w) }

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func isConfigByte(b byte) bool { return isAlnum(b) || b == '_' || b == '.' || b == '-' }

func isRefByte(b byte) bool { return isConfigByte(b) || b == '/' || b == ':' || b == '@' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// oddRune returns the first rune of s that is not an ASCII byte allowed by ok.
func oddRune(s string, ok func(byte) bool) (rune, bool) {
	for _, r := range s {
		if r >= utf8.RuneSelf || !ok(byte(r)) {
			return r, true
		}
	}
	return 0, false
}

// Suggest returns the known name closest to name, for "unknown app, did you
// mean …?": an exact match ignoring case, else the nearest within two edits
// (but fewer edits than name has letters), else the shortest name that name
// begins (at least two letters). Ties go to the earlier name in known. It
// returns "" when nothing is close.
func Suggest(name string, known []string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	n := utf8.RuneCountInString(name)
	if n == 0 || n > 100 {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range known {
		d := levenshtein(name, strings.ToLower(k))
		if d < bestDist && d < n {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	if n < 2 {
		return ""
	}
	for _, k := range known {
		if strings.HasPrefix(strings.ToLower(k), name) && (best == "" || len(k) < len(best)) {
			best = k
		}
	}
	return best
}

// levenshtein is the edit distance between a and b in runes.
func levenshtein(a, b string) int { return editdist.Levenshtein(a, b) }
