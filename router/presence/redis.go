package presence

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the Presence on Redis, shared by several hub instances.
//
// Layout (P is the key prefix, {presence} a hash tag keeping both keys in one cluster
// slot): P{presence}:exp is a sorted set of present agents scored by the expiry of their
// last heartbeat (ms); P{presence}:state is a hash agent -> status|since-ms|seen-ms.
// Each change is one Lua script. Limits: time comes from this process's clock, so the
// instances' clocks must agree to well within the TTL (NTP does). Safe for concurrent use.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	cfg    Config
	now    func() time.Time
}

var _ Presence = (*Redis)(nil)

// NewRedis returns a presence store on client with keys under prefix, reading time from
// now (time.Now when nil).
func NewRedis(client redis.UniversalClient, prefix string, cfg Config, now func() time.Time) *Redis {
	if now == nil {
		now = time.Now
	}
	return &Redis{rdb: client, prefix: prefix + "{presence}:", cfg: cfg.WithDefaults(), now: now}
}

func (r *Redis) keys() []string { return []string{r.prefix + "exp", r.prefix + "state"} }

// Keys returns the names of the expiry sorted set and the state hash, for a team queue
// that checks availability inside its claims (teamqueue.RedisQueue.WithAvailability).
// The layout is part of the contract: the sorted set scores each present agent by the
// expiry of their heartbeat in Unix milliseconds, and the hash holds
// "status|since-ms|seen-ms" per agent.
func (r *Redis) Keys() (expiries, states string) { return r.prefix + "exp", r.prefix + "state" }

func (r *Redis) clock() int64 { return r.now().UnixMilli() }

// KEYS: exp, state. ARGV: id, status, now, expiry. Returns 1 when the status changed.
var heartbeatScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local exp = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
local status, since = 'offline', ARGV[3]
if cur then
  local f1, f2 = string.match(cur, '^([^|]*)|([^|]*)|')
  if f1 ~= 'offline' and exp > tonumber(ARGV[3]) then status, since = f1, f2 end
end
local changed = 0
if status ~= ARGV[2] then changed = 1; since = ARGV[3] end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. since .. '|' .. ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return changed
`)

// KEYS: exp, state. ARGV: id, now. Returns 1 when the agent was present.
var leaveScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local exp = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
redis.call('ZREM', KEYS[1], ARGV[1])
if not cur then return 0 end
local status, since, seen = string.match(cur, '^([^|]*)|([^|]*)|([^|]*)$')
if status == 'offline' then return 0 end
if exp <= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[2], ARGV[1], 'offline|' .. string.format('%.0f', exp) .. '|' .. seen)
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], 'offline|' .. ARGV[2] .. '|' .. seen)
return 1
`)

// KEYS: exp, state. ARGV: now, forget-before. Returns the ids that expired.
var expireScript = redis.NewScript(`
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES')
local out = {}
for i = 1, #gone, 2 do
  local id, exp = gone[i], gone[i+1]
  redis.call('ZREM', KEYS[1], id)
  local cur = redis.call('HGET', KEYS[2], id)
  local seen = '0'
  if cur then seen = string.match(cur, '|([^|]*)$') or '0' end
  redis.call('HSET', KEYS[2], id, 'offline|' .. exp .. '|' .. seen)
  out[#out+1] = id
end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local status, since = string.match(all[i+1], '^([^|]*)|([^|]*)|')
  if status == 'offline' and tonumber(since) < tonumber(ARGV[2]) then redis.call('HDEL', KEYS[2], all[i]) end
end
return out
`)

// Heartbeat implements Presence.
func (r *Redis) Heartbeat(ctx context.Context, id int64, st Status) (bool, error) {
	if st != Online && st != Away {
		return false, ErrStatus
	}
	now := r.clock()
	n, err := heartbeatScript.Run(ctx, r.rdb, r.keys(), id, string(st), now, now+r.cfg.TTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("presence: redis: heartbeat: %w", err)
	}
	return n == 1, nil
}

// Leave implements Presence.
func (r *Redis) Leave(ctx context.Context, id int64) (bool, error) {
	n, err := leaveScript.Run(ctx, r.rdb, r.keys(), id, r.clock()).Int()
	if err != nil {
		return false, fmt.Errorf("presence: redis: leave: %w", err)
	}
	return n == 1, nil
}

// parse reads a state field together with the expiry, as it reads at now.
func parse(id int64, v string, exp float64, hasExp bool, now int64) (Entry, error) {
	f := strings.Split(v, "|")
	if len(f) != 3 {
		return Entry{}, fmt.Errorf("presence: redis: corrupt state of %d: %q", id, v)
	}
	since, err1 := strconv.ParseInt(f[1], 10, 64)
	seen, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Entry{}, fmt.Errorf("presence: redis: corrupt state of %d: %q", id, v)
	}
	e := Entry{UserID: id, Status: Status(f[0]), Since: time.UnixMilli(since).UTC(), Seen: time.UnixMilli(seen).UTC()}
	if e.Status != Offline && (!hasExp || int64(exp) <= now) {
		e.Status = Offline
		if hasExp {
			e.Since = time.UnixMilli(int64(exp)).UTC()
		}
	}
	return e, nil
}

// Get implements Presence.
func (r *Redis) Get(ctx context.Context, ids []int64) (map[int64]Entry, error) {
	out := make(map[int64]Entry, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	members := make([]string, len(ids))
	for i, id := range ids {
		members[i] = strconv.FormatInt(id, 10)
	}
	now := r.clock()
	var states *redis.SliceCmd
	var exps *redis.FloatSliceCmd
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		states = p.HMGet(ctx, r.prefix+"state", members...)
		exps = p.ZMScore(ctx, r.prefix+"exp", members...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("presence: redis: get: %w", err)
	}
	ev := exps.Val()
	for i, id := range ids {
		s, ok := states.Val()[i].(string)
		if !ok {
			out[id] = Entry{UserID: id, Status: Offline}
			continue
		}
		e, err := parse(id, s, ev[i], ev[i] > 0, now)
		if err != nil {
			return nil, err
		}
		out[id] = e
	}
	return out, nil
}

// List implements Presence.
func (r *Redis) List(ctx context.Context) ([]Entry, error) {
	now := r.clock()
	var states *redis.MapStringStringCmd
	var exps *redis.ZSliceCmd
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		states = p.HGetAll(ctx, r.prefix+"state")
		exps = p.ZRangeWithScores(ctx, r.prefix+"exp", 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("presence: redis: list: %w", err)
	}
	expOf := map[string]float64{}
	for _, z := range exps.Val() {
		expOf[z.Member.(string)] = z.Score
	}
	out := make([]Entry, 0, len(states.Val()))
	for k, v := range states.Val() {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("presence: redis: corrupt state key %q", k)
		}
		exp, has := expOf[k]
		e, err := parse(id, v, exp, has, now)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.UserID, b.UserID) })
	return out, nil
}

// Expire implements Presence.
func (r *Redis) Expire(ctx context.Context) ([]int64, error) {
	now := r.clock()
	res, err := expireScript.Run(ctx, r.rdb, r.keys(), now, now-r.cfg.Retention.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("presence: redis: expire: %w", err)
	}
	out := make([]int64, 0, len(res))
	for _, s := range res {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("presence: redis: corrupt id %q", s)
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}
