package teamqueue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisQueue is the Queue on Redis, for several hub instances sharing one inbox.
//
// Layout (P is the key prefix; {tq} is a hash tag, so every key lives in one Redis
// Cluster slot and the scripts may touch any of them):
//
//	P{tq}:q:<team>     sorted set: member = zero-padded conversation id, score = priority
//	                   then waiting time (see score)
//	P{tq}:meta         hash: member -> team|priority|since-ms|channel|language|skills|previous
//	P{tq}:holds        hash: member -> agent|channel|since-ms
//	P{tq}:load:<agent> hash: channel -> held count, _total -> their sum, _last -> last
//	                   assignment (ms)
//
// Every change is one Lua script, so it is atomic: the claims check the agent's load
// against capacity, remove the conversation from its sorted set (ZREM, the ZPOPMIN of a
// chosen member) and count it against the agent in one step; ClaimAvailable also reads
// the agent's presence (the keys given to WithAvailability) and, when the conversation
// it pushes is better than every queue head, hands it over without touching the sorted
// set. Limits: Redis durability applies (run it with appendonly); after a loss the
// router rebuilds the queues from the store. The scripts reach keys under the {tq} hash
// tag beyond those they declare (the queue of a moved entry, an agent's load), which a
// single Redis or a cluster slot allows. Safe for concurrent use; it holds no state
// beyond its client.
type RedisQueue struct {
	rdb    redis.UniversalClient
	prefix string
	avail  *[2]string // presence keys of the availability check, if any
}

var _ Queue = (*RedisQueue)(nil)

// NewRedis returns a queue on client whose keys start with prefix.
func NewRedis(client redis.UniversalClient, prefix string) *RedisQueue {
	return &RedisQueue{rdb: client, prefix: prefix + "{tq}:"}
}

// WithAvailability makes ClaimAvailable check presence atomically: an agent is
// available when the sorted set expKey scores them above now (ms) and the hash stateKey
// holds a value starting with "online|" for them, the layout of presence.Redis (see
// presence.Redis.Keys). Both keys must live in the queue's cluster slot (hash tag {tq}):
// build the presence store with a prefix ending in "{tq}". It returns q.
func (q *RedisQueue) WithAvailability(expKey, stateKey string) *RedisQueue {
	q.avail = &[2]string{expKey, stateKey}
	return q
}

func (q *RedisQueue) queueKey(team int64) string {
	return q.prefix + "q:" + strconv.FormatInt(team, 10)
}
func (q *RedisQueue) metaKey() string  { return q.prefix + "meta" }
func (q *RedisQueue) holdsKey() string { return q.prefix + "holds" }
func (q *RedisQueue) loadKey(agent int64) string {
	return q.prefix + "load:" + strconv.FormatInt(agent, 10)
}
func (q *RedisQueue) queuePrefix() string { return q.prefix + "q:" }
func (q *RedisQueue) loadPrefix() string  { return q.prefix + "load:" }
func wrapErr(op string, err error) error  { return fmt.Errorf("teamqueue: redis: %s: %w", op, err) }
func ms(t time.Time) string               { return strconv.FormatInt(t.UnixMilli(), 10) }
func parseMember(m string) (int64, error) { return strconv.ParseInt(strings.TrimLeft(m, "0"), 10, 64) }
func formatScore(e Entry) string          { return strconv.FormatFloat(score(e), 'f', -1, 64) }
func capacityArgs(s Slot) []any           { return pairs(s.Capacity) }
func listArgs(l []string) []any           { return append([]any{len(l)}, anys(l)...) }
func anys(l []string) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

func pairs(m map[string]int) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]any, 0, 2*len(m))
	for _, k := range keys {
		out = append(out, k, m[k])
	}
	return out
}

// luaLib is shared by the scripts: field splitting, taking an entry for an agent,
// decrementing a load.
const luaLib = `
local function split(s, sep)
  local out, i = {}, 1
  while true do
    local j = string.find(s, sep, i, true)
    if not j then out[#out+1] = string.sub(s, i); return out end
    out[#out+1] = string.sub(s, i, j - 1)
    i = j + 1
  end
end
local function take(meta, holds, loadKey, qprefix, member, m, agent, now)
  local f = split(m, '|')
  redis.call('ZREM', qprefix .. f[1], member)
  redis.call('HDEL', meta, member)
  redis.call('HSET', holds, member, agent .. '|' .. f[4] .. '|' .. now)
  redis.call('HINCRBY', loadKey, f[4], 1)
  redis.call('HINCRBY', loadKey, '_total', 1)
  redis.call('HSET', loadKey, '_last', now)
end
local function decrement(key, channel)
  if redis.call('HINCRBY', key, channel, -1) <= 0 then redis.call('HDEL', key, channel) end
  if redis.call('HINCRBY', key, '_total', -1) <= 0 then redis.call('HDEL', key, '_total') end
end
`

// KEYS: meta, holds, queue. ARGV: member, score, details, queue prefix.
var pushScript = redis.NewScript(luaLib + `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local oldKey = ARGV[4] .. split(old, '|')[1]
  if oldKey ~= KEYS[3] then redis.call('ZREM', oldKey, ARGV[1]) end
end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`)

// KEYS: meta. ARGV: member, queue prefix.
var removeScript = redis.NewScript(luaLib + `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
redis.call('ZREM', ARGV[2] .. split(old, '|')[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`)

// KEYS: meta, holds, load. ARGV: member, agent, now, queue prefix, channel/capacity pairs.
var claimScript = redis.NewScript(luaLib + `
local m = redis.call('HGET', KEYS[1], ARGV[1])
if not m then return {0} end
local channel = split(m, '|')[4]
local cap = 0
for i = 5, #ARGV, 2 do if ARGV[i] == channel then cap = tonumber(ARGV[i+1]) end end
local load = tonumber(redis.call('HGET', KEYS[3], channel) or '0')
if load >= cap then return {-1} end
take(KEYS[1], KEYS[2], KEYS[3], ARGV[4], ARGV[1], m, ARGV[2], ARGV[3])
return {1, m}
`)

// KEYS: meta, holds, load, queues... ARGV: agent, now, window, queue prefix,
// nlangs, langs..., nskills, skills..., channel/capacity pairs.
var claimNextScript = redis.NewScript(luaLib + `
local agent, now, window, qprefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local i = 5
local langs, nlangs = {}, tonumber(ARGV[i]); i = i + 1
for k = 1, nlangs do langs[ARGV[i]] = true; i = i + 1 end
local skills, nskills = {}, tonumber(ARGV[i]); i = i + 1
for k = 1, nskills do skills[ARGV[i]] = true; i = i + 1 end
local caps = {}
while i < #ARGV do caps[ARGV[i]] = tonumber(ARGV[i+1]); i = i + 2 end
local loads = {}
local raw = redis.call('HGETALL', KEYS[3])
for k = 1, #raw, 2 do loads[raw[k]] = tonumber(raw[k+1]) end
local function suits(f)
  local lang = f[5]
  if lang ~= '' and lang ~= 'other' and nlangs > 0 and not langs[lang] then return false end
  if f[6] ~= '' then
    for _, s in ipairs(split(f[6], ',')) do if not skills[s] then return false end end
  end
  return (loads[f[4]] or 0) < (caps[f[4]] or 0)
end
local bestScore, bestMember, bestMeta
for k = 4, #KEYS do
  local items = redis.call('ZRANGE', KEYS[k], 0, window - 1, 'WITHSCORES')
  for j = 1, #items, 2 do
    local mem, sc = items[j], tonumber(items[j+1])
    if bestScore and (sc > bestScore or (sc == bestScore and mem >= bestMember)) then break end
    local m = redis.call('HGET', KEYS[1], mem)
    if m and suits(split(m, '|')) then
      bestScore, bestMember, bestMeta = sc, mem, m
      break
    end
  end
end
if not bestMember then return false end
take(KEYS[1], KEYS[2], KEYS[3], qprefix, bestMember, bestMeta, agent, now)
return {bestMember, bestMeta}
`)

// KEYS: meta, holds, load, presence expiries, presence states, queues... ARGV: agent,
// now, window, queue prefix, check presence ("1"/"0"), entry to push (member, score,
// details, KEYS index of its queue; member "" for none), number of the agent's queues
// and their KEYS indexes, nlangs, langs..., nskills, skills..., channel/capacity
// pairs. Returns {outcome, member, details, remaining} with outcome ok, empty,
// unavailable or held.
var claimAvailableScript = redis.NewScript(luaLib + `
local agent, now, window, qprefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local pm, pscore, pmeta = ARGV[6], tonumber(ARGV[7]), ARGV[8]
local pkey = KEYS[tonumber(ARGV[9])]
local function remaining()
  local n = 0
  for k = 6, #KEYS do n = n + redis.call('ZCARD', KEYS[k]) end
  return n
end
local i = 10
local queues = {}
for k = 1, tonumber(ARGV[i]) do queues[k] = tonumber(ARGV[i+k]) end
i = i + #queues + 1
local langs, nlangs = {}, tonumber(ARGV[i])
for k = 1, nlangs do langs[ARGV[i+k]] = true end
i = i + nlangs + 1
local skills, nskills = {}, tonumber(ARGV[i])
for k = 1, nskills do skills[ARGV[i+k]] = true end
i = i + nskills + 1
local caps = {}
while i < #ARGV do caps[ARGV[i]] = tonumber(ARGV[i+1]); i = i + 2 end
local loads = {}
local function load(channel)
  if loads[channel] == nil then loads[channel] = tonumber(redis.call('HGET', KEYS[3], channel) or '0') end
  return loads[channel]
end
local function suits(f)
  local lang = f[5]
  if lang ~= '' and lang ~= 'other' and nlangs > 0 and not langs[lang] then return false end
  if f[6] ~= '' then
    for _, s in ipairs(split(f[6], ',')) do if not skills[s] then return false end end
  end
  return load(f[4]) < (caps[f[4]] or 0)
end
local function push()
  local old = redis.call('HGET', KEYS[1], pm)
  if old then
    local oldKey = qprefix .. split(old, '|')[1]
    if oldKey ~= pkey then redis.call('ZREM', oldKey, pm) end
  end
  redis.call('ZADD', pkey, pscore, pm)
  redis.call('HSET', KEYS[1], pm, pmeta)
end
if pm ~= '' and redis.call('HEXISTS', KEYS[2], pm) == 1 then return {'held', '', '', 0} end
if ARGV[5] == '1' then
  local exp = tonumber(redis.call('ZSCORE', KEYS[4], agent) or '0')
  local st = redis.call('HGET', KEYS[5], agent)
  if exp <= tonumber(now) or not st or string.sub(st, 1, 7) ~= 'online|' then
    if pm ~= '' then push() end
    return {'unavailable', '', '', remaining()}
  end
end
if pm ~= '' then
  -- Fast path: the new conversation ahead of every queue head of the agent, and suited:
  -- it goes straight to the agent without passing through the sorted set.
  local direct = false
  for _, k in ipairs(queues) do
    if KEYS[k] == pkey then direct = true end
  end
  if direct and suits(split(pmeta, '|')) then
    for _, k in ipairs(queues) do
      local head = redis.call('ZRANGE', KEYS[k], 0, 1, 'WITHSCORES')
      local hm, hs = head[1], head[2]
      if hm == pm then hm, hs = head[3], head[4] end
      if hm and (tonumber(hs) < pscore or (tonumber(hs) == pscore and hm < pm)) then direct = false; break end
    end
  else
    direct = false
  end
  if direct then
    local old = redis.call('HGET', KEYS[1], pm)
    if old then
      redis.call('ZREM', qprefix .. split(old, '|')[1], pm)
      redis.call('HDEL', KEYS[1], pm)
    end
    local channel = split(pmeta, '|')[4]
    redis.call('HSET', KEYS[2], pm, agent .. '|' .. channel .. '|' .. now)
    redis.call('HINCRBY', KEYS[3], channel, 1)
    redis.call('HINCRBY', KEYS[3], '_total', 1)
    redis.call('HSET', KEYS[3], '_last', now)
    return {'ok', pm, pmeta, remaining()}
  end
  push()
end
local bestS, bestM, bestMeta
for _, k in ipairs(queues) do
  local first, last = 0, 9
  while first < window do
    local items = redis.call('ZRANGE', KEYS[k], first, math.min(last, window - 1), 'WITHSCORES')
    local stop = #items < 20
    for j = 1, #items, 2 do
      local mem, sc = items[j], tonumber(items[j+1])
      if bestS and (sc > bestS or (sc == bestS and mem >= bestM)) then stop = true; break end
      local m = redis.call('HGET', KEYS[1], mem)
      if m and suits(split(m, '|')) then
        bestS, bestM, bestMeta = sc, mem, m
        stop = true
        break
      end
    end
    if stop then break end
    first, last = first + 10, last + 10
  end
end
if not bestM then return {'empty', '', '', remaining()} end
take(KEYS[1], KEYS[2], KEYS[3], qprefix, bestM, bestMeta, agent, now)
return {'ok', bestM, bestMeta, remaining()}
`)

// KEYS: meta, holds, load. ARGV: member, agent, channel, now, queue prefix, load prefix.
var holdScript = redis.NewScript(luaLib + `
local m = redis.call('HGET', KEYS[1], ARGV[1])
if m then
  redis.call('ZREM', ARGV[5] .. split(m, '|')[1], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local h = redis.call('HGET', KEYS[2], ARGV[1])
if h then
  local f = split(h, '|')
  if f[1] == ARGV[2] and f[2] == ARGV[3] then return 0 end
  decrement(ARGV[6] .. f[1], f[2])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('HINCRBY', KEYS[3], '_total', 1)
redis.call('HSET', KEYS[3], '_last', ARGV[4])
return 1
`)

// KEYS: holds. ARGV: member, load prefix.
var releaseScript = redis.NewScript(luaLib + `
local h = redis.call('HGET', KEYS[1], ARGV[1])
if not h then return 0 end
local f = split(h, '|')
decrement(ARGV[2] .. f[1], f[2])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`)

// Push implements Queue.
func (q *RedisQueue) Push(ctx context.Context, e Entry) error {
	if err := check(e); err != nil {
		return err
	}
	e = normalize(e)
	n, err := pushScript.Run(ctx, q.rdb, []string{q.metaKey(), q.holdsKey(), q.queueKey(e.Team)},
		member(e.ConversationID), formatScore(e), encode(e), q.queuePrefix()).Int()
	if err != nil {
		return wrapErr("push", err)
	}
	if n == 0 {
		return ErrHeld
	}
	return nil
}

// Remove implements Queue.
func (q *RedisQueue) Remove(ctx context.Context, id int64) (bool, error) {
	n, err := removeScript.Run(ctx, q.rdb, []string{q.metaKey()}, member(id), q.queuePrefix()).Int()
	if err != nil {
		return false, wrapErr("remove", err)
	}
	return n == 1, nil
}

// Peek implements Queue.
func (q *RedisQueue) Peek(ctx context.Context, team int64, n int) ([]Entry, error) {
	if n <= 0 {
		return []Entry{}, nil
	}
	members, err := q.rdb.ZRange(ctx, q.queueKey(team), 0, int64(n-1)).Result()
	if err != nil {
		return nil, wrapErr("peek", err)
	}
	out := make([]Entry, 0, len(members))
	if len(members) == 0 {
		return out, nil
	}
	metas, err := q.rdb.HMGet(ctx, q.metaKey(), members...).Result()
	if err != nil {
		return nil, wrapErr("peek", err)
	}
	for i, m := range members {
		s, ok := metas[i].(string)
		if !ok {
			continue // taken between the two reads
		}
		id, err := parseMember(m)
		if err != nil {
			return nil, wrapErr("peek", err)
		}
		e, err := decode(id, s)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Len implements Queue.
func (q *RedisQueue) Len(ctx context.Context, team int64) (int, error) {
	n, err := q.rdb.ZCard(ctx, q.queueKey(team)).Result()
	if err != nil {
		return 0, wrapErr("len", err)
	}
	return int(n), nil
}

// Claim implements Queue.
func (q *RedisQueue) Claim(ctx context.Context, id int64, s Slot, now time.Time) (Entry, error) {
	args := append([]any{member(id), s.Agent, ms(now), q.queuePrefix()}, capacityArgs(s)...)
	res, err := claimScript.Run(ctx, q.rdb, []string{q.metaKey(), q.holdsKey(), q.loadKey(s.Agent)}, args...).Slice()
	if err != nil {
		return Entry{}, wrapErr("claim", err)
	}
	switch res[0].(int64) {
	case 0:
		return Entry{}, ErrGone
	case -1:
		return Entry{}, ErrFull
	}
	return decode(id, res[1].(string))
}

// ClaimNext implements Queue.
func (q *RedisQueue) ClaimNext(ctx context.Context, teams []int64, s Slot, now time.Time) (Entry, error) {
	keys := []string{q.metaKey(), q.holdsKey(), q.loadKey(s.Agent)}
	for _, t := range teams {
		keys = append(keys, q.queueKey(t))
	}
	args := []any{s.Agent, ms(now), Window, q.queuePrefix()}
	args = append(args, listArgs(s.Languages)...)
	args = append(args, listArgs(s.Skills)...)
	args = append(args, capacityArgs(s)...)
	res, err := claimNextScript.Run(ctx, q.rdb, keys, args...).Slice()
	if errors.Is(err, redis.Nil) {
		return Entry{}, ErrEmpty
	}
	if err != nil {
		return Entry{}, wrapErr("claim next", err)
	}
	id, err := parseMember(res[0].(string))
	if err != nil {
		return Entry{}, wrapErr("claim next", err)
	}
	return decode(id, res[1].(string))
}

// ClaimAvailable implements Queue with one script: push, availability, claim.
func (q *RedisQueue) ClaimAvailable(ctx context.Context, push *Entry, queues []int64, s Slot, now time.Time) (Entry, int, error) {
	expKey, stateKey, guard := q.prefix+"none", q.prefix+"none", "0"
	if q.avail != nil {
		expKey, stateKey, guard = q.avail[0], q.avail[1], "1"
	}
	keys := []string{q.metaKey(), q.holdsKey(), q.loadKey(s.Agent), expKey, stateKey}
	index := map[int64]int{}
	keyOf := func(t int64) int {
		k, ok := index[t]
		if !ok {
			keys = append(keys, q.queueKey(t))
			k = len(keys) // Lua indexes KEYS from 1
			index[t] = k
		}
		return k
	}
	args := []any{s.Agent, ms(now), Window, q.queuePrefix(), guard}
	if push != nil {
		if err := check(*push); err != nil {
			return Entry{}, 0, err
		}
		e := normalize(*push)
		args = append(args, member(e.ConversationID), formatScore(e), encode(e), keyOf(e.Team))
	} else {
		args = append(args, "", 0, "", 6)
	}
	args = append(args, len(queues))
	for _, t := range queues {
		args = append(args, keyOf(t))
	}
	args = append(args, listArgs(s.Languages)...)
	args = append(args, listArgs(s.Skills)...)
	args = append(args, capacityArgs(s)...)
	res, err := claimAvailableScript.Run(ctx, q.rdb, keys, args...).Slice()
	if err != nil {
		return Entry{}, 0, wrapErr("claim available", err)
	}
	remaining := int(res[3].(int64))
	switch res[0].(string) {
	case "held":
		return Entry{}, 0, ErrHeld
	case "unavailable":
		return Entry{}, remaining, ErrUnavailable
	case "empty":
		return Entry{}, remaining, ErrEmpty
	}
	id, err := parseMember(res[1].(string))
	if err != nil {
		return Entry{}, 0, wrapErr("claim available", err)
	}
	e, err := decode(id, res[2].(string))
	return e, remaining, err
}

// Hold implements Queue.
func (q *RedisQueue) Hold(ctx context.Context, id, agent int64, channel string, now time.Time) error {
	if channel == "" || strings.ContainsAny(channel, "|,") {
		return fmt.Errorf("teamqueue: hold %d: bad channel %q", id, channel)
	}
	err := holdScript.Run(ctx, q.rdb, []string{q.metaKey(), q.holdsKey(), q.loadKey(agent)},
		member(id), agent, channel, ms(now), q.queuePrefix(), q.loadPrefix()).Err()
	if err != nil {
		return wrapErr("hold", err)
	}
	return nil
}

// Release implements Queue.
func (q *RedisQueue) Release(ctx context.Context, id int64) (bool, error) {
	n, err := releaseScript.Run(ctx, q.rdb, []string{q.holdsKey()}, member(id), q.loadPrefix()).Int()
	if err != nil {
		return false, wrapErr("release", err)
	}
	return n == 1, nil
}

// Loads implements Queue.
func (q *RedisQueue) Loads(ctx context.Context, agents []int64) (map[int64]Load, error) {
	cmds := make([]*redis.MapStringStringCmd, len(agents))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, a := range agents {
			cmds[i] = p.HGetAll(ctx, q.loadKey(a))
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("loads", err)
	}
	out := make(map[int64]Load, len(agents))
	for i, a := range agents {
		l := Load{Channels: map[string]int{}}
		for k, v := range cmds[i].Val() {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, wrapErr("loads", fmt.Errorf("agent %d field %s: %w", a, k, err))
			}
			if k == "_last" {
				l.LastAssigned = time.UnixMilli(n).UTC()
			} else if n > 0 && !strings.HasPrefix(k, "_") {
				l.Channels[k] = int(n)
				l.Total += int(n)
			}
		}
		out[a] = l
	}
	return out, nil
}

// Holds implements Queue.
func (q *RedisQueue) Holds(ctx context.Context) ([]Hold, error) {
	all, err := q.rdb.HGetAll(ctx, q.holdsKey()).Result()
	if err != nil {
		return nil, wrapErr("holds", err)
	}
	out := make([]Hold, 0, len(all))
	for m, v := range all {
		id, err1 := parseMember(m)
		f := strings.Split(v, "|")
		if err1 != nil || len(f) != 3 {
			return nil, wrapErr("holds", fmt.Errorf("corrupt hold %q=%q", m, v))
		}
		agent, err1 := strconv.ParseInt(f[0], 10, 64)
		since, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, wrapErr("holds", fmt.Errorf("corrupt hold %q=%q", m, v))
		}
		out = append(out, Hold{ConversationID: id, Agent: agent, Channel: f[1], Since: time.UnixMilli(since).UTC()})
	}
	slices.SortFunc(out, func(a, b Hold) int { return cmp.Compare(a.ConversationID, b.ConversationID) })
	return out, nil
}
