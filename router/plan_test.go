package router

import (
	"slices"
	"testing"
)

func TestPlan(t *testing.T) {
	route := action{kind: actRoute, conv: 1}
	resync := action{kind: actResync, conv: 1}
	offer := action{kind: actResync, conv: 1, offer: true}
	tests := []struct {
		name      string
		acts      []action
		want      []int
		wantOffer bool // of the resync kept, if any
	}{
		{"one route", []action{route}, []int{0}, false},
		{"created then message: one route, the last", []action{route, route}, []int{1}, false},
		{"resync before a route: the route redoes it", []action{offer, route}, []int{1}, false},
		{"route then resync: both, in order", []action{route, resync}, []int{0, 1}, false},
		{"resyncs after the route: the last, offering if any did", []action{route, offer, resync}, []int{0, 2}, true},
		{"resyncs only", []action{resync, resync}, []int{1}, false},
		{"nothing to do", []action{{}, {}}, nil, false},
		{"route among no-ops", []action{{}, route, {}}, []int{1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts := slices.Clone(tt.acts)
			idxs := make([]int, len(acts))
			for i := range idxs {
				idxs[i] = i
			}
			got := plan(acts, idxs)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("plan() = %v, want %v", got, tt.want)
			}
			if n := len(got); n > 0 && acts[got[n-1]].kind == actResync && acts[got[n-1]].offer != tt.wantOffer {
				t.Fatalf("kept resync offers = %v, want %v", acts[got[n-1]].offer, tt.wantOffer)
			}
		})
	}
}
