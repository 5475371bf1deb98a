package lineage

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-01-15":           time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		"2026-01-15T10:00:00Z": time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC),
		"today":                time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
		"yesterday":            time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		"2.weeks.ago":          time.Date(2026, 11, 13, 15, 30, 0, 0, time.UTC),
		"3 days ago":           time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC),
		"1.hour.ago":           time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "tomorrowish", "2.fortnights.ago", "2026-13-01"} {
		if _, err := ParseSince(bad, now); err == nil {
			t.Errorf("ParseSince(%q) accepted", bad)
		}
	}
}
