package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPercentile_NearestRank(t *testing.T) {
	l := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {95, 10}, {99, 10}, {100, 10}, {1, 1}} {
		assert.Equal(t, tc.want, percentile(l, tc.p), "p%v", tc.p)
	}
	assert.Zero(t, percentile(nil, 99))
	assert.Equal(t, []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}, l, "the input is not reordered")
}

func TestIssueJSON_FreshHashesPerReceivable(t *testing.T) {
	a, b := issueJSON("X-1", "2027-01-01"), issueJSON("X-2", "2027-01-01")
	assert.NotEqual(t, a[len(a)-90:], b[len(b)-90:])
	assert.Contains(t, a, `"id":"X-1"`)
}
