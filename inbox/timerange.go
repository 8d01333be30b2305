package inbox

import "time"

// The span of times the hub accepts from people, providers and messages: 1970 to the
// end of 2199. Every part holds it: the store (microseconds), the search index (dates
// as int64 nanoseconds, up to 2262), JSON (years 0 to 9999 only, so a value past 9999
// once answered a 200 with an empty body), SLA and business-hours arithmetic.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TimeInRange reports whether t lies in the span of times the hub accepts (1970 to the
// end of 2199).
func TimeInRange(t time.Time) bool {
	return !t.Before(minTime) && t.Before(maxTime)
}

// checkTime refuses t, for field, when it lies outside the span TimeInRange accepts.
func checkTime(field string, t time.Time) error {
	if !TimeInRange(t) {
		return invalid(field, "%s is outside the accepted years (1970 to 2199)", t.UTC().Format("2006-01-02"))
	}
	return nil
}
