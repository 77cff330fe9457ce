package redisconn

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The cluster URL forms docs/cluster.md promises, and the ones it refuses.
func TestOpenClusterForms(t *testing.T) {
	for u, want := range map[string]struct {
		addrs      string
		user, pass string
		tls        string // expected TLS ServerName, "" = no TLS
	}{
		"redis://h1:7000,h2:7001,h3:7002":                    {"[h1:7000 h2:7001 h3:7002]", "", "", ""},
		"redis://h1:7000,h2:7001/0":                          {"[h1:7000 h2:7001]", "", "", ""},
		"redis://:s3cret@h1:7000,h2:7001":                    {"[h1:7000 h2:7001]", "", "s3cret", ""},
		"redis://app:s3cret@h1:7000,h2:7001?dial_timeout=2s": {"[h1:7000 h2:7001]", "app", "s3cret", ""},
		"rediss://app:pw@c1.example:6380,c2.example:6380":    {"[c1.example:6380 c2.example:6380]", "app", "pw", "c1.example"},
		"redis://h1:7000?addr=h2:7001&addr=h3:7002":          {"[h1:7000 h2:7001 h3:7002]", "", "", ""},
	} {
		c, err := Open(u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		cc, ok := c.(*redis.ClusterClient)
		if !ok {
			t.Errorf("%s: %T, want a cluster client", u, c)
			continue
		}
		o := cc.Options()
		tlsName := ""
		if o.TLSConfig != nil {
			tlsName = o.TLSConfig.ServerName
		}
		if got := strings.Join([]string{strings.Join(o.Addrs, " "), o.Username, o.Password, tlsName}, "|"); got != strings.Join([]string{strings.Trim(want.addrs, "[]"), want.user, want.pass, want.tls}, "|") {
			t.Errorf("%s: addrs|user|pass|tls = %s, want %+v", u, got, want)
		}
		c.Close()
	}
	for u, msg := range map[string]string{
		"redis://h1:7000,h2:7001/3":       "only database 0",
		"redis://:pw@h1:7000,h2:7001/2?x": "only database 0",
		"redis://h1:7000,h2:7001?nope=1":  "unexpected option",
		"redis://h1:7000?addr=bad":        "addr",
	} {
		_, err := Open(u)
		if err == nil || !IsURLError(err) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want a usage error about %q", u, err, msg)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error shows the password: %v", u, err)
		}
	}
}
