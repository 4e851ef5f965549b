package config

import (
	"strings"
	"testing"
	"time"
)

func TestFreezes(t *testing.T) {
	c, err := Parse("f.yaml", []byte(valid+`queue_timeout: 2h
freezes:
  - name: weekend
    apps: [myapp]
    reason: No deploys at the weekend
    time_zone: Europe/Berlin
    days: [sat, Sunday]
    from: "00:00"
    to: "24:00"
  - name: year-end
    reason: Year-end change freeze
    dates: ["2026-12-31..2027-01-01", "2026-12-24", "2026-12-25"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.QueueTimeout != 2*time.Hour || len(c.Freezes) != 2 {
		t.Fatalf("queue timeout %s, freezes %+v", c.QueueTimeout, c.Freezes)
	}
	we := c.Freezes[0]
	if we.Location.String() != "Europe/Berlin" || len(we.Days) != 2 || we.From != 0 || we.To != 24*60 || we.Apps[0] != "myapp" {
		t.Errorf("weekend = %+v", we)
	}
	sat := time.Date(2026, 3, 7, 12, 0, 0, 0, we.Location)
	if f, ok := we.At("myapp", sat); !ok || !f.End.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, we.Location)) {
		t.Errorf("weekend at Saturday noon = %+v, %v", f, ok)
	}
	ye := c.Freezes[1]
	if len(ye.Dates) != 2 || ye.Location != time.UTC || !ye.Dates[0].End.Equal(time.Date(2026, 12, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("year-end dates = %+v; want the 24th and 25th merged, then New Year", ye.Dates)
	}
	if got := c.FreezesOf("other"); len(got) != 1 || got[0].Name != "year-end" {
		t.Errorf("FreezesOf(other) = %+v", got)
	}
	if d, _ := Parse("d.yaml", []byte(valid)); d.QueueTimeout != 4*time.Hour || len(d.Freezes) != 0 {
		t.Errorf("defaults: %s, %+v", d.QueueTimeout, d.Freezes)
	}
}

func TestFreezeMistakes(t *testing.T) {
	cases := map[string]string{
		"  - name: x\n    reason: r\n": "needs days (with from and to) or dates",
		"  - name: x\n    reason: r\n    days: [sat]\n    from: \"9\"\n    to: \"10:00\"\n":                          `from "9" is not a time of day`,
		"  - name: x\n    reason: r\n    days: [caturday]\n    from: \"09:00\"\n    to: \"10:00\"\n":                 `"caturday" is not a day of the week`,
		"  - name: x\n    reason: r\n    dates: [2026-13-01]\n":                                                      `"2026-13-01" is not a date`,
		"  - name: x\n    reason: r\n    dates: [2026-12-02..2026-12-01]\n":                                          `is not a date`,
		"  - name: x\n    reason: r\n    apps: [nope]\n    dates: [2026-12-01]\n":                                    `names app "nope", which is not configured`,
		"  - name: x\n    reason: r\n    time_zone: Mars/Olympus\n    dates: [2026-12-01]\n":                         `"Mars/Olympus" is not a time zone`,
		"  - name: x\n    reason: r\n    dates: [2026-12-01]\n    days: [sat]\n":                                     "has both days and dates",
		"  - name: x\n    dates: [2026-12-01]\n":                                                                     `is missing "reason"`,
		"  - name: x\n    reason: r\n    dates: [2026-12-01]\n  - name: x\n    reason: r\n    dates: [2026-12-02]\n": "declared twice",
	}
	for body, want := range cases {
		_, err := Parse("f.yaml", []byte(valid+"freezes:\n"+body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("freezes:\n%s\ngave %v; want %q", body, err, want)
		}
	}
}
