package deploy_test

import (
	"reflect"
	"testing"
)

// TestSelectors pins the selector extraction the metric check relies on:
// a name it missed would never be checked.
func TestSelectors(t *testing.T) {
	cases := []struct {
		expr string
		want []selector
	}{
		{`sum by (outcome) (rate(statsctl_consumer_events_total[$__rate_interval]))`,
			[]selector{{Metric: "statsctl_consumer_events_total"}}},
		{`histogram_quantile(0.99, sum by (le, route) (rate(x_bucket{route="/leaderboards/top_ten/{product}", code=~"5.."}[5m])))`,
			[]selector{{"x_bucket", []matcher{{"route", "=", "/leaderboards/top_ten/{product}"}, {"code", "=~", "5.."}}}}},
		{`(process_resident_memory_bytes and on (instance) group by (instance) (up)) > 100 * 1024 * 1024`,
			[]selector{{Metric: "process_resident_memory_bytes"}, {Metric: "up"}}},
		{`max(a) > 1000 and max(deriv(b[15m])) > 0 unless c offset 1h`,
			[]selector{{Metric: "a"}, {Metric: "b"}, {Metric: "c"}}},
		{`sum(rate(a[5m])) / ignoring (code) group_left sum(b{job="x"})`,
			[]selector{{Metric: "a"}, {"b", []matcher{{"job", "=", "x"}}}}},
		{`{__name__="n", a!="b"}`,
			[]selector{{"n", []matcher{{"__name__", "=", "n"}, {"a", "!=", "b"}}}}},
		{`absent(statsctl_consumer_group_lag) == bool 1`, []selector{{Metric: "statsctl_consumer_group_lag"}}},
	}
	for _, c := range cases {
		got, err := selectors(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.expr, got, c.want)
		}
	}
	for _, bad := range []string{`sum(a`, `a{b="c"`, `a{b}`, `a[5m`, `a)`} {
		if _, err := selectors(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
