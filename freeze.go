package switchyard

import (
	"fmt"
	"slices"
	"time"
)

// Freeze stops deploys of an app, or of every app when App is "", from
// Start until End. Rollbacks are never frozen: an incident must not wait
// for the end of a release week. A freeze is made by a person (/deploy
// freeze, kept in the store, ID set) or is the current span of a window in
// the config (Window set).
type Freeze struct {
	ID  string
	App string // "" for every app
	// Window names the config's freeze window this span belongs to; ""
	// for a freeze a person made.
	Window string
	Reason string
	By     string // the Slack user who froze; "" for a config window
	Start  time.Time
	End    time.Time
}

// Covers reports whether the freeze stops a deploy of app at t.
func (f Freeze) Covers(app string, t time.Time) bool {
	return (f.App == "" || f.App == app) && !t.Before(f.Start) && t.Before(f.End)
}

// FrozenError is the cause inside the ECONFLICT error of a transition
// refused because a freeze covers the request (Change.RefuseIfFrozen):
// the freeze that is in the way. Its reason is a person's text, so no
// message carries it unescaped.
type FrozenError struct {
	Freeze Freeze
}

// Error names the freeze for logs.
func (e *FrozenError) Error() string {
	scope := e.Freeze.App
	if scope == "" {
		scope = "every app"
	}
	return fmt.Sprintf("%s is frozen until %s", scope, e.Freeze.End.Format(time.RFC3339))
}

// FreezeWindow is a freeze the config declares: on some days of the week
// between two times of day, or on some dates, in one time zone, for some
// apps or all of them. It is data; At says whether it freezes an app at a
// moment and until when.
type FreezeWindow struct {
	Name   string
	Apps   []string // empty for every app
	Reason string
	// Location is the time zone of Days, From, To and Dates.
	Location *time.Location
	// Days with From and To (minutes after midnight, To up to 24*60) are a
	// weekly window; To at or before From runs past midnight into the next
	// day.
	Days     []time.Weekday
	From, To int
	// Dates are whole days, as spans of absolute time [Start, End), sorted
	// and merged.
	Dates []Span
}

// Span is a stretch of absolute time from Start up to End.
type Span struct {
	Start, End time.Time
}

// Applies reports whether the window concerns app at all.
func (w FreezeWindow) Applies(app string) bool {
	return len(w.Apps) == 0 || slices.Contains(w.Apps, app)
}

// At returns the span of the window that holds t, for app, as a Freeze
// whose End is where the freeze really ends (weekly spans that meet are
// one freeze); ok is false when the window does not freeze app at t.
func (w FreezeWindow) At(app string, t time.Time) (Freeze, bool) {
	if !w.Applies(app) {
		return Freeze{}, false
	}
	var s Span
	var ok bool
	if s, ok = w.dateSpan(t); !ok {
		s, ok = w.weeklySpan(t)
	}
	if !ok {
		return Freeze{}, false
	}
	f := Freeze{Window: w.Name, Reason: w.Reason, Start: s.Start, End: s.End}
	if len(w.Apps) == 1 {
		f.App = w.Apps[0]
	} else if len(w.Apps) > 1 {
		f.App = app
	}
	return f, true
}

func (w FreezeWindow) dateSpan(t time.Time) (Span, bool) {
	for _, s := range w.Dates {
		if !t.Before(s.Start) && t.Before(s.End) {
			return s, true
		}
	}
	return Span{}, false
}

// weeklySpan finds the weekly span holding t and follows it through the
// spans that start where it ends (Saturday and Sunday all day are one
// weekend freeze).
func (w FreezeWindow) weeklySpan(t time.Time) (Span, bool) {
	if len(w.Days) == 0 || w.Location == nil {
		return Span{}, false
	}
	local := t.In(w.Location)
	// A span that runs past midnight may have begun the day before.
	for back := 1; back >= 0; back-- {
		day := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, w.Location)
		s, ok := w.spanOn(day)
		if !ok || t.Before(s.Start) || !t.Before(s.End) {
			continue
		}
		for range 8 { // a week of meeting spans is the longest a weekly freeze runs
			next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, w.Location)
			n, ok := w.spanOn(next)
			if !ok || n.Start.After(s.End) {
				break
			}
			if n.End.After(s.End) {
				s.End = n.End
			}
			day = next
		}
		return s, true
	}
	return Span{}, false
}

// spanOn is the window's span that starts on the local day at midnight
// day, if the window is on that weekday.
func (w FreezeWindow) spanOn(day time.Time) (Span, bool) {
	if !slices.Contains(w.Days, day.Weekday()) {
		return Span{}, false
	}
	to := w.To
	if to <= w.From {
		to += 24 * 60
	}
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, w.From, 0, 0, w.Location)
	end := time.Date(day.Year(), day.Month(), day.Day(), 0, to, 0, 0, w.Location)
	return Span{Start: start, End: end}, true
}

// FreezeAt returns the freeze among stored and the windows that stops a
// deploy of app at t: the one that ends last, since that is how long the
// app stays frozen. ok is false when none does.
func FreezeAt(app string, t time.Time, stored []Freeze, windows []FreezeWindow) (Freeze, bool) {
	var best Freeze
	found := false
	consider := func(f Freeze) {
		if !found || f.End.After(best.End) {
			best, found = f, true
		}
	}
	for _, f := range stored {
		if f.Covers(app, t) {
			consider(f)
		}
	}
	for _, w := range windows {
		if f, ok := w.At(app, t); ok {
			consider(f)
		}
	}
	return best, found
}
