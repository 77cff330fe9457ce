package redisconn

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestOpen(t *testing.T) {
	c, err := Open("redis://127.0.0.1:6400/2")
	if err != nil {
		t.Fatal(err)
	}
	if o := c.(*redis.Client).Options(); o.Addr != "127.0.0.1:6400" || o.DB != 2 {
		t.Fatalf("options %+v", o)
	}
	c.Close()
	for _, u := range []string{"redis://h1:7000,h2:7001,h3:7002", "redis://h1:7000?addr=h2:7001"} {
		c, err := Open(u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		cc, ok := c.(*redis.ClusterClient)
		if !ok {
			t.Fatalf("%s: %T, want a cluster client", u, c)
		}
		if n := len(cc.Options().Addrs); n < 2 {
			t.Fatalf("%s: %d addrs", u, n)
		}
		c.Close()
	}
	for _, u := range []string{"localhost:6379", "http://x", "redis://h:notaport"} {
		if _, err := Open(u); err == nil || !IsURLError(err) {
			t.Errorf("%s: %v, want a URL error", u, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://:pw@h:1/0":      "redis://:xxxxx@h:1/0",
		"redis://user:pw@h:1":    "redis://user:xxxxx@h:1",
		"redis://h:1/0":          "redis://h:1/0",
		"rediss://u:p@a:1,b:2/0": "rediss://u:xxxxx@a:1,b:2/0",
		"redis://h:1/0?x=a@b":    "redis://h:1/0?x=a@b",
		"not a url with @ in it": "not a url with @ in it",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
