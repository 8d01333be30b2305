package queue

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the bus section of the configuration.
type Config struct {
	// VisibilityTimeout is how long a delivered event may stay unacknowledged before it
	// is delivered again.
	VisibilityTimeout time.Duration `yaml:"visibility_timeout"`
	// MaxAttempts is the number of deliveries after which an event is dead-lettered.
	MaxAttempts int `yaml:"max_attempts"`
}

// Options returns the delivery options of c, with defaults.
func (c Config) Options() Options {
	return Options{VisibilityTimeout: c.VisibilityTimeout, MaxAttempts: c.MaxAttempts}.withDefaults()
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.VisibilityTimeout != 0 && c.VisibilityTimeout < time.Second:
		return errors.New("bus.visibility_timeout: must be at least 1s")
	case c.MaxAttempts < 0 || c.MaxAttempts > 1000:
		return errors.New("bus.max_attempts: must be between 1 and 1000")
	}
	return nil
}

// RedisConfig is the redis section of the configuration. With URL empty the hub runs
// the in-process bus; with it set, the bus (and, as they come, team queues and presence)
// live in Redis so several instances share one live inbox.
type RedisConfig struct {
	// URL is a redis:// or rediss:// URL, with the password if any (prefer the
	// FRONTDESK_REDIS_URL environment variable for it).
	URL string `yaml:"url"`
	// Prefix starts every key the hub writes, so one Redis can serve several hubs.
	Prefix string `yaml:"prefix"`
}

// DefaultRedisPrefix is the key prefix when none is configured.
const DefaultRedisPrefix = "frontdesk:"

// WithDefaults fills zero fields.
func (c RedisConfig) WithDefaults() RedisConfig {
	if c.Prefix == "" {
		c.Prefix = DefaultRedisPrefix
	}
	return c
}

// Validate reports the first unusable setting.
func (c RedisConfig) Validate() error {
	if c.URL == "" {
		return nil
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		return fmt.Errorf("redis.url: want redis://host:port/db, rediss:// or unix://, got %q", Masked(c.URL))
	}
	if strings.ContainsAny(c.Prefix, " \n\r\t") {
		return errors.New("redis.prefix: must not contain spaces")
	}
	return nil
}

// Masked returns a Redis URL with its password replaced by ****, for display.
func Masked(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "****"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxx")
			return strings.Replace(u.String(), ":xxxx@", ":****@", 1)
		}
	}
	return u.String()
}
