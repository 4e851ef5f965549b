// Package logging builds the zap loggers of Switchyard: JSON lines in
// production, readable console lines in the sandbox. Every line passes
// through one redacting encoder, so a Slack token or an AWS secret can never
// reach a log, whichever component wrote it and however it was formatted.
package logging

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"sort"

	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// Format chooses how lines look.
type Format string

// Formats.
const (
	JSON    Format = "json"
	Console Format = "console"
)

// Options configures New.
type Options struct {
	Format Format
	Level  zapcore.Level
	// Out is where lines go; nil means standard error.
	Out io.Writer
	// Secrets are exact values to hide wherever they appear (the tokens and
	// keys read from the environment), on top of the patterns below.
	Secrets []string
}

// secretPatterns catch credentials by shape even when nobody registered
// them: Slack bot, user and app tokens, AWS secret access keys (40
// characters of mixed-case base64) and session tokens (long base64 runs).
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`xox[abposre]-[A-Za-z0-9-]+`),
	regexp.MustCompile(`xapp-[A-Za-z0-9-]+`),
	regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`),
	regexp.MustCompile(`[A-Za-z0-9/+]{100,}={0,2}`),
	// The password of a URL's userinfo (postgres://bot:PASSWORD@db/…,
	// https://user:PASSWORD@host/…): the scheme and user stay readable.
	regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s]*@`),
}

// urlPassword is the index in secretPatterns of the URL userinfo pattern,
// whose first group is kept.
const urlPassword = 4

// Redacted replaces every secret in log output.
const Redacted = "[REDACTED]"

// New returns the root logger. Components take a named child:
// log.Named("notify").
func New(opts Options) *zap.Logger {
	out := opts.Out
	if out == nil {
		out = os.Stderr
	}
	var enc zapcore.Encoder
	if opts.Format == Console {
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(cfg)
	} else {
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	}
	enc = NewRedactingEncoder(enc, opts.Secrets)
	core := zapcore.NewCore(enc, zapcore.AddSync(out), opts.Level)
	return zap.New(core, zap.AddCaller())
}

// EnvSecrets returns the values of the environment variables that hold
// secrets, to pass as Options.Secrets.
func EnvSecrets(getenv func(string) string) []string {
	var out []string
	for _, k := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := getenv(k); len(v) >= 8 {
			out = append(out, v)
		}
	}
	return out
}

// redactingEncoder wraps an encoder and scrubs each finished line, so that
// messages, fields, errors and stack traces are all covered in one place.
type redactingEncoder struct {
	zapcore.Encoder
	secrets [][]byte
}

// NewRedactingEncoder wraps enc so that no line it writes contains a secret.
func NewRedactingEncoder(enc zapcore.Encoder, secrets []string) zapcore.Encoder {
	r := &redactingEncoder{Encoder: enc}
	for _, s := range sortedSecrets(secrets) {
		r.secrets = append(r.secrets, []byte(s))
	}
	return r
}

func (r *redactingEncoder) Clone() zapcore.Encoder {
	return &redactingEncoder{Encoder: r.Encoder.Clone(), secrets: r.secrets}
}

func (r *redactingEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	buf, err := r.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return nil, err
	}
	clean := Redact(buf.Bytes(), r.secrets)
	buf.Reset()
	_, _ = buf.Write(clean)
	return buf, nil
}

// Redact returns b with every known secret and every secret-shaped string
// replaced by [REDACTED].
func Redact(b []byte, secrets [][]byte) []byte {
	for _, s := range secrets {
		b = bytes.ReplaceAll(b, s, []byte(Redacted))
	}
	for i, re := range secretPatterns {
		switch i {
		case 2:
			b = redactAWSKeys(re, b)
			continue
		case urlPassword:
			b = re.ReplaceAll(b, []byte("${1}"+Redacted+"@"))
			continue
		}
		b = re.ReplaceAll(b, []byte(Redacted))
	}
	return b
}

// RedactString is Redact for a string, with the secrets as strings.
func RedactString(s string, secrets []string) string {
	bs := make([][]byte, 0, len(secrets))
	for _, v := range sortedSecrets(secrets) {
		bs = append(bs, []byte(v))
	}
	return string(Redact([]byte(s), bs))
}

// Writer wraps w so that every write is redacted first: the command's own
// messages on standard error (a fatal error, a usage mistake) pass through
// the same redaction as log lines. Each Write must carry whole lines, as
// fmt.Fprintf and the loggers do.
func Writer(w io.Writer, secrets []string) io.Writer {
	r := &redactingWriter{w: w}
	for _, s := range sortedSecrets(secrets) {
		r.secrets = append(r.secrets, []byte(s))
	}
	return r
}

type redactingWriter struct {
	w       io.Writer
	secrets [][]byte
}

// Write redacts p and writes it whole; it reports len(p) on success, as
// the caller's bytes were all consumed.
func (r *redactingWriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write(Redact(append([]byte(nil), p...), r.secrets)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sortedSecrets drops empty values and puts longer ones first, so that a
// secret containing another is hidden whole.
func sortedSecrets(secrets []string) []string {
	out := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// redactAWSKeys hides 40-character base64 words that mix upper and lower
// case, the shape of an AWS secret access key, while leaving lower-case hex
// (git hashes, digests) alone.
func redactAWSKeys(re *regexp.Regexp, b []byte) []byte {
	for {
		changed := false
		for _, m := range re.FindAllSubmatchIndex(b, -1) {
			word := b[m[2]:m[3]]
			if !bytes.ContainsAny(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || !bytes.ContainsAny(word, "abcdefghijklmnopqrstuvwxyz") {
				continue
			}
			b = append(b[:m[2]:m[2]], append([]byte(Redacted), b[m[3]:]...)...)
			changed = true
			break
		}
		if !changed {
			return b
		}
	}
}
