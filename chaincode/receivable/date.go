package receivable

import "time"

// DateLayout is the wire form of a calendar date.
const DateLayout = "2006-01-02"

// TimeLayout is the wire form of an instant (always UTC).
const TimeLayout = time.RFC3339

// ParseDate parses a YYYY-MM-DD calendar date (UTC midnight). Out-of-range days ("2027-02-30") and
// other layouts are refused.
func ParseDate(s string) (time.Time, error) {
	if len(s) != len(DateLayout) {
		return time.Time{}, Invalidf("date %.30q is not YYYY-MM-DD", s)
	}
	d, err := time.Parse(DateLayout, s)
	if err != nil || d.Format(DateLayout) != s {
		return time.Time{}, Invalidf("date %q is not a valid YYYY-MM-DD date", s)
	}
	if d.Year() < 2000 {
		return time.Time{}, Invalidf("date %q is before the year 2000", s)
	}
	return d, nil
}

// Day returns the UTC calendar day of t, at midnight.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DaysBetween returns the number of calendar days from the day of a to the day of b (negative when b
// is earlier).
func DaysBetween(a, b time.Time) int {
	return int(Day(b).Sub(Day(a)).Hours() / 24)
}

// FormatTime renders an instant in the wire form, UTC, whole seconds.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(TimeLayout) }
