package search

import "testing"

func TestReindexes(t *testing.T) {
	tests := []struct {
		changed []string
		want    bool
	}{
		{nil, true},
		{[]string{"priority"}, false},
		{[]string{"priority", "team"}, true},
		{[]string{"status"}, true},
		{[]string{"classification"}, true},
		{[]string{"handoff"}, true},
	}
	for _, tt := range tests {
		if got := reindexes(tt.changed); got != tt.want {
			t.Errorf("reindexes(%v) = %v, want %v", tt.changed, got, tt.want)
		}
	}
}
