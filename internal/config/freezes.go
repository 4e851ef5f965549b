package config

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchyard/switchyard"
)

// The config's freezes: named windows, on days of the week between two
// times of day or on dates, in a time zone, for some apps or all. Deploys
// are refused inside them (rollbacks never are); a person with a reason
// may override one, and someone on the approve list must agree.
//
//	freezes:
//	  - name: weekend
//	    apps: [payments]        # omit for every app
//	    reason: No deploys at the weekend
//	    time_zone: Europe/Berlin
//	    days: [sat, sun]
//	    from: "00:00"
//	    to: "24:00"
//	  - name: year-end
//	    reason: Year-end change freeze
//	    dates: ["2026-12-24", "2026-12-31..2027-01-01"]

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseFreezes reads the freezes list; apps are the configured apps, which
// a window may name.
func parseFreezes(p *problems, m *mapping, apps []App) []switchyard.FreezeWindow {
	var out []switchyard.FreezeWindow
	names := map[string]bool{}
	for _, n := range m.list("freezes") {
		w := parseFreeze(p, n, apps)
		if w.Name != "" && names[w.Name] {
			p.add(n, "freeze %q is declared twice", w.Name)
		}
		names[w.Name] = true
		out = append(out, w)
	}
	return out
}

func parseFreeze(p *problems, n *yaml.Node, apps []App) switchyard.FreezeWindow {
	m := newMapping(p, n, "a freeze")
	var w switchyard.FreezeWindow
	name, nameNode := m.str("name", true)
	if name != "" && !reName.MatchString(name) {
		p.add(nameNode, "freeze name %q must be lower-case letters, digits and dashes", name)
	}
	w.Name = name
	m.where = fmt.Sprintf("freeze %q", name)
	w.Reason, _ = m.str("reason", true)
	for _, a := range m.strings("apps", reName, "an app name") {
		if !slices.ContainsFunc(apps, func(x App) bool { return x.Name == a }) {
			p.add(m.get("apps"), "%s names app %q, which is not configured", m.where, a)
			continue
		}
		w.Apps = append(w.Apps, a)
	}
	w.Location = time.UTC
	if tz, tzNode := m.str("time_zone", false); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			p.add(tzNode, "%s: %q is not a time zone such as Europe/Berlin or UTC", m.where, tz)
		} else {
			w.Location = loc
		}
	}
	days, dates := m.get("days"), m.get("dates")
	switch {
	case days == nil && dates == nil:
		p.add(m.node, "%s needs days (with from and to) or dates", m.where)
	case days != nil && dates != nil:
		p.add(m.node, "%s has both days and dates: make two freezes", m.where)
	case days != nil:
		for _, d := range m.strings("days", nil, "") {
			wd, ok := weekdays[strings.ToLower(d)[:min(3, len(d))]]
			if !ok || !isDayName(d) {
				p.add(days, "%s: %q is not a day of the week (mon, tue, … sun)", m.where, d)
				continue
			}
			w.Days = append(w.Days, wd)
		}
		from, fromNode := m.str("from", true)
		to, toNode := m.str("to", true)
		var ok bool
		if w.From, ok = clock(from, false); !ok && from != "" {
			p.add(fromNode, "%s: from %q is not a time of day such as 18:00", m.where, from)
		}
		if w.To, ok = clock(to, true); !ok && to != "" {
			p.add(toNode, "%s: to %q is not a time of day such as 09:00 or 24:00", m.where, to)
		}
	default:
		for _, d := range m.strings("dates", nil, "") {
			s, ok := dateSpan(d, w.Location)
			if !ok {
				p.add(dates, "%s: %q is not a date (2026-12-24) or a range of dates (2026-12-24..2026-12-26)", m.where, d)
				continue
			}
			w.Dates = append(w.Dates, s)
		}
		w.Dates = mergeSpans(w.Dates)
	}
	m.done()
	return w
}

func isDayName(d string) bool {
	d = strings.ToLower(d)
	for _, full := range []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"} {
		if len(d) >= 3 && strings.HasPrefix(full, d) {
			return true
		}
	}
	return false
}

// clock reads HH:MM as minutes after midnight; 24:00 only when end is set.
func clock(s string, end bool) (int, bool) {
	h, mm, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(mm) != 2 {
		return 0, false
	}
	hv, err1 := strconv.Atoi(h)
	mv, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || hv < 0 || mv < 0 || mv > 59 {
		return 0, false
	}
	v := hv*60 + mv
	if v > 24*60 || v == 24*60 && !end || hv > 24 {
		return 0, false
	}
	return v, true
}

// dateSpan reads a date or a range of dates as whole days in loc.
func dateSpan(s string, loc *time.Location) (switchyard.Span, bool) {
	first, last, isRange := strings.Cut(s, "..")
	if !isRange {
		last = first
	}
	a, err1 := time.ParseInLocation("2006-01-02", strings.TrimSpace(first), loc)
	b, err2 := time.ParseInLocation("2006-01-02", strings.TrimSpace(last), loc)
	if err1 != nil || err2 != nil || b.Before(a) {
		return switchyard.Span{}, false
	}
	return switchyard.Span{Start: a, End: time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, loc)}, true
}

// mergeSpans sorts spans and joins those that meet or overlap.
func mergeSpans(spans []switchyard.Span) []switchyard.Span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var out []switchyard.Span
	for _, s := range spans {
		if n := len(out); n > 0 && !s.Start.After(out[n-1].End) {
			if s.End.After(out[n-1].End) {
				out[n-1].End = s.End
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// FreezesOf lists the config's freeze windows that concern app.
func (c *Config) FreezesOf(app string) []switchyard.FreezeWindow {
	var out []switchyard.FreezeWindow
	for _, w := range c.Freezes {
		if w.Applies(app) {
			out = append(out, w)
		}
	}
	return out
}
