package lineage

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

var agoPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d+)[. ]+(second|minute|hour|day|week|month|year)s?[. ]+ago$`)
})

// ParseSince reads a date as git log --since does, for the forms people
// type: 2026-01-15, an RFC 3339 time, today, yesterday, or N.units.ago (3
// days ago, 2.weeks.ago), relative to now.
func ParseSince(s string, now time.Time) (time.Time, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, now.Location()); err == nil {
		return t, nil
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	switch v {
	case "today":
		return midnight, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), nil
	}
	if m := agoPattern().FindStringSubmatch(v); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil {
			switch m[2] {
			case "second":
				return now.Add(-time.Duration(n) * time.Second), nil
			case "minute":
				return now.Add(-time.Duration(n) * time.Minute), nil
			case "hour":
				return now.Add(-time.Duration(n) * time.Hour), nil
			case "day":
				return now.AddDate(0, 0, -n), nil
			case "week":
				return now.AddDate(0, 0, -7*n), nil
			case "month":
				return now.AddDate(0, -n, 0), nil
			case "year":
				return now.AddDate(-n, 0, 0), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q: expected a date such as 2026-01-15, 2026-01-15T10:00:00Z, yesterday or 2.weeks.ago", s)
}
