package sandbox

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// routeConsole mounts what the console reads besides the Slack simulator:
// the simulated clock, who may do what, and the sandbox's own view of a
// deployment (where the cards' AWS console links lead in the sandbox).
func (sb *Sandbox) routeConsole(mux *http.ServeMux) {
	awsCfg := sb.AWS.Config()
	dv := &deploymentViewer{cd: codedeploy.NewFromConfig(awsCfg), ecs: ecs.NewFromConfig(awsCfg), now: sb.AWS.Clock().Now}
	mux.HandleFunc("GET /_sim/clock", sb.ctlClock)
	mux.HandleFunc("POST /_sim/clock", sb.ctlSetClock)
	mux.HandleFunc("GET /_sim/roles", sb.ctlRoles)
	mux.HandleFunc("GET /_sim/aws/deployments/{id}", dv.serveJSON)
	mux.HandleFunc("GET /aws/deployments/{id}", consolePage("console/deployment.html"))
	mux.HandleFunc("GET /_sim/aws/services/{cluster}/{service}", dv.serveServiceJSON)
	mux.HandleFunc("GET /aws/services/{cluster}/{service}", consolePage("console/service.html"))
}

// consolePage serves one of the console's pages, whatever the path's
// values: the page's script reads them.
func consolePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		page, err := consoleFS.ReadFile(name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}
}

// Clock is the sandbox's simulated time, as GET /_sim/clock reports it.
type Clock struct {
	Now    time.Time `json:"now"`
	UnixMS int64     `json:"unix_ms"`
	// Speed is simulated seconds per real second; 0 when only tests move
	// the clock.
	Speed float64 `json:"speed"`
}

func (sb *Sandbox) ctlClock(w http.ResponseWriter, _ *http.Request) {
	c := sb.AWS.Clock()
	now := c.Now()
	writeJSON(w, http.StatusOK, Clock{Now: now.UTC(), UnixMS: now.UnixMilli(), Speed: c.Speed()})
}

// ClockChange is the body of POST /_sim/clock: Speed, when given, is the new
// speed (0 stops the clock, so that only Advance moves it); then Advance, a
// Go duration such as "90s" or "2m", moves the simulated time forward,
// playing every deployment step due on the way, in order. It answers the
// Clock after both.
type ClockChange struct {
	Speed   *float64 `json:"speed,omitempty"`
	Advance string   `json:"advance,omitempty"`
}

// The limits of a clock change: what a console or a test needs, not more.
const (
	maxSpeed   = 3600
	maxAdvance = 7 * 24 * time.Hour
)

// ctlSetClock lets a script or a test that runs the bots in other
// processes (bot sandbox -bots 0) hold the clock still and move it in
// steps, as in-process tests do with AWS.Advance.
func (sb *Sandbox) ctlSetClock(w http.ResponseWriter, r *http.Request) {
	var req ClockChange
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"speed": N, "advance": "90s"}, either or both`})
		return
	}
	var d time.Duration
	if req.Advance != "" {
		var err error
		if d, err = time.ParseDuration(req.Advance); err != nil || d < 0 || d > maxAdvance {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "advance must be a duration such as 90s or 2m, from 0 to 168h"})
			return
		}
	}
	if req.Speed != nil && (*req.Speed < 0 || *req.Speed > maxSpeed) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "speed must be from 0 (stopped) to 3600 simulated seconds per real second"})
		return
	}
	if req.Speed != nil {
		sb.AWS.Clock().SetSpeed(*req.Speed)
	}
	if d > 0 {
		sb.AWS.Advance(d)
	}
	sb.ctlClock(w, r)
}
