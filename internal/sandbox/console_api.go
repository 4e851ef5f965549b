package sandbox

import (
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
	mux.HandleFunc("GET /_sim/roles", sb.ctlRoles)
	mux.HandleFunc("GET /_sim/aws/deployments/{id}", dv.serveJSON)
	mux.HandleFunc("GET /aws/deployments/{id}", func(w http.ResponseWriter, r *http.Request) {
		page, err := consoleFS.ReadFile("console/deployment.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
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
