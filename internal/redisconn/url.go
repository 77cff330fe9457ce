package redisconn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// URLError is a URL that cannot name a Redis. It is a mistake in how
// statsctl was called, not a failure of the server, so the CLI exits 2 on it
// (see IsURLError); its text never shows the URL's password.
type URLError struct{ msg string }

func (e *URLError) Error() string { return e.msg }

func urlErrorf(format string, args ...any) error {
	return &URLError{msg: fmt.Sprintf(format, args...)}
}

// IsURLError reports whether err comes from a bad URL, so callers can tell
// "fix the URL" from "the server did not answer".
func IsURLError(err error) bool {
	var u *URLError
	return errors.As(err, &u)
}

// Open makes a client for a redis://, rediss:// or unix:// URL without
// contacting the server. A URL listing several hosts (redis://h1:7000,h2:7001)
// or addr= parameters is a Redis Cluster.
func Open(url string) (redis.UniversalClient, error) {
	if !strings.HasPrefix(url, "redis://") && !strings.HasPrefix(url, "rediss://") && !strings.HasPrefix(url, "unix://") {
		return nil, urlErrorf("redis URL %q must start with redis://, rediss:// or unix:// (e.g. redis://localhost:6379/0)", RedactURL(url))
	}
	if host := hostPart(url); strings.Contains(host, ",") || strings.Contains(url, "addr=") {
		u := url
		if strings.Contains(host, ",") {
			hosts := strings.Split(host, ",")
			u = strings.Replace(url, host, hosts[0], 1)
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			for _, h := range hosts[1:] {
				u += sep + "addr=" + h
				sep = "&"
			}
		}
		return OpenClusterSeed(u)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, urlErrorf("redis URL %q: %v", RedactURL(url), err)
	}
	return redis.NewClient(opts), nil
}

// OpenClusterSeed opens a Redis Cluster client from a URL whose host (and
// any addr= parameters) are seed nodes; the client learns the rest of the
// cluster from them. A cluster has only database 0, so a URL asking for
// another one is refused rather than silently written to database 0.
func OpenClusterSeed(url string) (*redis.ClusterClient, error) {
	if db := dbPart(url); db != "" && db != "0" {
		return nil, urlErrorf("redis cluster URL %q selects database %s: a Redis Cluster has only database 0 (drop /%s)", RedactURL(url), db, db)
	}
	opts, err := redis.ParseClusterURL(url)
	if err != nil {
		return nil, urlErrorf("redis cluster URL %q: %v", RedactURL(url), err)
	}
	return redis.NewClusterClient(opts), nil
}

// dbPart is the path of a redis URL without its slash ("" when none).
func dbPart(url string) string {
	rest := url[strings.Index(url, "://")+3:]
	if i := strings.Index(rest, "?"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		return strings.Trim(rest[i:], "/")
	}
	return ""
}

// hostPart is the host list of a redis URL, without credentials, path or
// query: "h1:7000,h2:7001" for a cluster's seeds.
func hostPart(url string) string {
	rest := url[strings.Index(url, "://")+3:]
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	return rest
}

// RedactURL hides a password in a URL before it reaches a log or an error.
func RedactURL(url string) string {
	i := strings.Index(url, "://")
	if i < 0 {
		return url
	}
	rest := url[i+3:]
	at := strings.LastIndex(rest, "@")
	slash := strings.IndexAny(rest, "/?")
	if at < 0 || (slash >= 0 && at > slash) {
		return url
	}
	cred := rest[:at]
	if u, _, ok := strings.Cut(cred, ":"); ok {
		return url[:i+3] + u + ":xxxxx" + rest[at:]
	}
	return url
}
