package cmdutil

// The environment variables statsctl reads, named once: flags' help, the
// factory and the commands refer to these, so a rename cannot miss one.
const (
	// EnvRedisURL is the stats Redis, when --redis is not given.
	EnvRedisURL = "STATSCTL_REDIS_URL"
	// EnvLegacyRedisURL is the old Stats Tracker's name for the stats Redis,
	// honoured so its deployments switch over without edits.
	EnvLegacyRedisURL = "STATS_TRACKER_REDIS_URL"
	// EnvStreamRedisURL is the old deployment's name for the stream's Redis
	// (--stream-redis of consume and rebuild).
	EnvStreamRedisURL = "GAME_EVENT_STREAM_REDIS_URL"
	// EnvDataDir is the embedded store's directory, when --data-dir is not given.
	EnvDataDir = "STATSCTL_DATA_DIR"
	// EnvConfig is the games configuration, when --config is not given.
	EnvConfig = "STATSCTL_CONFIG"
	// EnvListen is serve's HTTP address, when --listen is not given.
	EnvListen = "STATSCTL_LISTEN"
	// EnvWriteToken is serve's bearer token for POST /v1/events, kept out of
	// the process list when set here rather than with --write-token.
	EnvWriteToken = "STATSCTL_WRITE_TOKEN"
	// EnvAdminToken is serve's bearer token for the admin API, kept out
	// of the process list when set here rather than with --admin-token.
	EnvAdminToken = "STATSCTL_ADMIN_TOKEN"
	// EnvRedisPassword is the game servers' password on serve's embedded
	// Redis, when --redis-password is not given (else one is generated
	// and kept in the data dir).
	EnvRedisPassword = "STATSCTL_REDIS_PASSWORD"
)
