package switchyard

import (
	"testing"
	"time"
)

func TestFreezeWindows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// Weekends, all day: Saturday and Sunday meet, so they are one freeze.
	weekend := FreezeWindow{Name: "weekend", Location: berlin, Days: []time.Weekday{time.Saturday, time.Sunday}, From: 0, To: 24 * 60, Reason: "weekend"}
	// Evenings from 18:00 to 09:00, Monday to Thursday nights.
	nights := FreezeWindow{Name: "nights", Apps: []string{"payments"}, Location: berlin,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, From: 18 * 60, To: 9 * 60}
	// Christmas: two dates, merged.
	xmas := FreezeWindow{Name: "xmas", Location: berlin, Dates: []Span{{Start: at("2026-12-24 00:00"), End: at("2026-12-26 00:00")}}}

	cases := []struct {
		w      FreezeWindow
		app    string
		t      string
		frozen bool
		end    string
	}{
		{weekend, "web", "2026-03-06 23:59", false, ""},                // Friday night
		{weekend, "web", "2026-03-07 00:00", true, "2026-03-09 00:00"}, // Saturday: until Monday
		{weekend, "web", "2026-03-08 12:00", true, "2026-03-09 00:00"},
		{weekend, "web", "2026-03-09 00:00", false, ""},
		{nights, "payments", "2026-03-09 17:59", false, ""},                // Monday before six
		{nights, "payments", "2026-03-09 18:00", true, "2026-03-10 09:00"}, // Monday night
		{nights, "payments", "2026-03-10 08:59", true, "2026-03-10 09:00"}, // Tuesday morning, begun on Monday
		{nights, "payments", "2026-03-13 08:00", true, "2026-03-13 09:00"}, // Friday morning, begun on Thursday
		{nights, "payments", "2026-03-13 18:30", false, ""},                // Friday night is free
		{nights, "web", "2026-03-09 20:00", false, ""},                     // only payments
		{xmas, "web", "2026-12-25 10:00", true, "2026-12-26 00:00"},
		{xmas, "web", "2026-12-26 00:00", false, ""},
	}
	for _, c := range cases {
		f, ok := c.w.At(c.app, at(c.t))
		if ok != c.frozen {
			t.Errorf("%s %s at %s: frozen %v, want %v", c.w.Name, c.app, c.t, ok, c.frozen)
			continue
		}
		if ok && !f.End.Equal(at(c.end)) {
			t.Errorf("%s %s at %s: ends %s, want %s", c.w.Name, c.app, c.t, f.End.In(berlin), c.end)
		}
		if ok && (f.Window != c.w.Name || !f.Covers(c.app, at(c.t))) {
			t.Errorf("%s at %s: %+v", c.w.Name, c.t, f)
		}
	}

	// A stored freeze and a window: the later end wins.
	stored := []Freeze{{ID: "f-1", App: "web", Reason: "release week", Start: at("2026-03-07 10:00"), End: at("2026-03-07 11:00")}}
	f, ok := FreezeAt("web", at("2026-03-07 10:30"), stored, []FreezeWindow{weekend})
	if !ok || f.Window != "weekend" {
		t.Errorf("FreezeAt = %+v, %v; want the weekend, which ends later", f, ok)
	}
	f, ok = FreezeAt("web", at("2026-03-06 10:30"), stored, []FreezeWindow{weekend})
	if ok {
		t.Errorf("FreezeAt on a free Friday = %+v", f)
	}
	if f, ok := FreezeAt("api", at("2026-03-07 10:30"), stored, nil); ok {
		t.Errorf("web's freeze covers api: %+v", f)
	}
}
