package cmdutil

import (
	"testing"
)

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
