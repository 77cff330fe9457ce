package cmdutil

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestOpenRedis(t *testing.T) {
	c, err := OpenRedis("redis://127.0.0.1:6400/2")
	if err != nil {
		t.Fatal(err)
	}
	if o := c.(*redis.Client).Options(); o.Addr != "127.0.0.1:6400" || o.DB != 2 {
		t.Fatalf("options %+v", o)
	}
	c.Close()
	for _, u := range []string{"redis://h1:7000,h2:7001,h3:7002", "redis://h1:7000?addr=h2:7001"} {
		c, err := OpenRedis(u)
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
		if _, err := OpenRedis(u); err == nil || !IsUsage(err) {
			t.Errorf("%s: %v, want a usage error", u, err)
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

func TestRedisURLPrecedence(t *testing.T) {
	env := map[string]string{"STATSCTL_REDIS_URL": "redis://a", "STATS_TRACKER_REDIS_URL": "redis://b"}
	f := New(IOStreams{}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if f.RedisURL() != "redis://a" {
		t.Fatal(f.RedisURL())
	}
	f.Flags.RedisURL = "redis://flag"
	if f.RedisURL() != "redis://flag" {
		t.Fatal(f.RedisURL())
	}
	delete(env, "STATSCTL_REDIS_URL")
	f.Flags.RedisURL = ""
	if f.RedisURL() != "redis://b" || f.Embedded() {
		t.Fatal(f.RedisURL())
	}
	delete(env, "STATS_TRACKER_REDIS_URL")
	if !f.Embedded() {
		t.Fatal("no URL should mean the embedded store")
	}
}
