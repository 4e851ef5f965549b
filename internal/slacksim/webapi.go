package slacksim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// apiError is a Web API failure: HTTP 200 with ok:false and the named error.
type apiError struct {
	code   string
	detail []string // Slack's "errors" list for invalid_blocks and friends
}

func (e *apiError) Error() string { return e.code }

func fail(code string, detail ...string) *apiError { return &apiError{code: code, detail: detail} }

// call is one decoded Web API request.
type call struct {
	host   string // the Host the request came to
	method string
	token  string
	form   url.Values
	json   map[string]json.RawMessage
}

// str reads a parameter as text, whichever encoding carried it: a JSON
// string is unquoted, other JSON values keep their literal text.
func (c *call) str(key string) string {
	if c.json != nil {
		raw, ok := c.json[key]
		if !ok {
			return c.form.Get(key)
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if string(raw) == "null" {
			return ""
		}
		return string(raw)
	}
	return c.form.Get(key)
}

func (c *call) has(key string) bool {
	if c.json != nil {
		if _, ok := c.json[key]; ok {
			return true
		}
	}
	_, ok := c.form[key]
	return ok
}

func (c *call) boolean(key string) bool {
	v := strings.ToLower(c.str(key))
	return v == "true" || v == "1"
}

// optBool is nil when the parameter is absent.
func (c *call) optBool(key string) *bool {
	if !c.has(key) {
		return nil
	}
	v := c.boolean(key)
	return &v
}

// rawJSON reads a parameter holding JSON: form fields carry it as a string,
// JSON bodies either inline or as a string.
func (c *call) rawJSON(key string) (json.RawMessage, bool) {
	if c.json != nil {
		if raw, ok := c.json[key]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return json.RawMessage(s), true
			}
			return raw, true
		}
	}
	if v, ok := c.form[key]; ok && len(v) > 0 {
		return json.RawMessage(v[0]), true
	}
	return nil, false
}

func (c *call) integer(key string, def int) int {
	n, err := strconv.Atoi(c.str(key))
	if err != nil {
		return def
	}
	return n
}

func decodeCall(r *http.Request, method string) (*call, error) {
	c := &call{method: method, host: r.Host, form: url.Values{}}
	for k, v := range r.URL.Query() {
		c.form[k] = v
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json":
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &c.json); err != nil {
				return nil, fail("invalid_json")
			}
		}
		if c.json == nil {
			c.json = map[string]json.RawMessage{}
		}
	case len(body) > 0:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fail("invalid_form_data")
		}
		for k, v := range vals {
			c.form[k] = v
		}
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.token = strings.TrimSpace(strings.TrimPrefix(auth, "Bearer "))
	} else {
		c.token = c.str("token")
	}
	return c, nil
}

type apiHandler func(c *call) (map[string]any, error)

// apiRoute is one Web API method: its handler, its rate limit class and the
// kind of token it takes.
type apiRoute struct {
	h    apiHandler
	tier tier
	app  bool // takes the app-level token instead of the bot token
}

// methods maps each Web API method to its route.
func (s *Server) methods() map[string]apiRoute {
	type entry = apiRoute
	return map[string]entry{
		"auth.test":             {s.authTest, tier4, false},
		"apps.connections.open": {s.connectionsOpen, tierConnections, true},
		"chat.postMessage":      {s.postMessage, tierPost, false},
		"chat.update":           {s.update, tier3, false},
		"chat.delete":           {s.deleteMessage, tier3, false},
		"chat.postEphemeral":    {s.postEphemeral, tier4, false},
		"chat.getPermalink":     {s.permalink, tier4, false},
		"conversations.info":    {s.conversationsInfo, tier3, false},
		"conversations.history": {s.history, tier3, false},
		"conversations.replies": {s.replies, tier3, false},
		"usergroups.users.list": {s.groupUsers, tier2, false},
		"users.info":            {s.usersInfo, tier4, false},
		"views.open":            {s.viewsOpen, tier4, false},
		"views.push":            {s.viewsPush, tier4, false},
		"views.update":          {s.viewsUpdate, tier4, false},
		"views.publish":         {s.viewsPublish, tier4, false},
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	s.mu.Lock()
	s.calls[method]++
	s.mu.Unlock()

	m, ok := s.routes[method]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	c, err := decodeCall(r, method)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if err := s.authorize(c, m.app); err != nil {
		writeAPIError(w, err)
		return
	}
	key := method
	if m.tier == tierPost {
		key += "/" + c.str("channel")
	}
	if wait, ok := s.limits.take(key, m.tier); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	out, err := m.h(c)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if out == nil {
		out = map[string]any{}
	}
	out["ok"] = true
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) authorize(c *call, app bool) error {
	bot := s.opts.Workspace.Bot
	switch {
	case c.token == "":
		return fail("not_authed")
	case c.token == bot.Token && !app, c.token == bot.AppToken && app:
		return nil
	case c.token == bot.Token || c.token == bot.AppToken:
		return fail("not_allowed_token_type")
	default:
		return fail("invalid_auth")
	}
}

func writeAPIError(w http.ResponseWriter, err error) {
	code, detail := "internal_error", []string(nil)
	if e, ok := err.(*apiError); ok {
		code, detail = e.code, e.detail
	}
	body := map[string]any{"ok": false, "error": code}
	if len(detail) > 0 {
		body["errors"] = detail
		msgs := make([]string, len(detail))
		for i, d := range detail {
			msgs[i] = "[ERROR] " + d
		}
		body["response_metadata"] = map[string]any{"messages": msgs}
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
