package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisBus is the Bus on Redis Streams, for several instances sharing one inbox.
//
// Layout: stream S is the Redis stream at key prefix+S, whose entry for a Message has the
// ID "<Message.ID>-0" and the fields t (type) and p (payload). Consumer groups are Redis
// consumer groups. Dead letters of S go to the stream prefix+S+":dead", one entry per
// dead letter with the fields t, p, id (the original ID), attempts and g (the group that
// gave up), so a person can read them with redis-cli. Streams must be written through
// RedisBus only.
//
// Algorithm of Read: XPENDING with IDLE lists entries pending for longer than the
// visibility timeout with their delivery counts; those already delivered MaxAttempts
// times are added to the dead-letter stream, then acknowledged; the rest are claimed with
// XCLAIM (which makes their redelivery exclusive to one consumer) and returned first. Then
// XREADGROUP ">" fills the batch with new entries, blocking when there was nothing else.
// A group that Redis does not know (never created, or lost with Redis's data) is created
// at the start of the stream and the read retried.
//
// Limits: durability is Redis's (use appendonly with appendfsync always, or accept that
// the outbox relay republishes what a restart lost: LastID then reports 0). A blocking
// Read notices the end of its context within blockSlice, because go-redis cannot
// interrupt a blocked command. Stats.Lag is -1 when Redis cannot compute it, which
// happens only after entries were deleted out of order (XDEL), something RedisBus never
// does. The dead-letter stream and a stream share no hash tag, so on Redis Cluster they
// may live on different nodes; every command here uses one key, so that is allowed.
//
// A RedisBus is safe for concurrent use; it holds no state beyond its client.
type RedisBus struct {
	rdb    redis.UniversalClient
	prefix string
	opts   Options
	log    *slog.Logger
}

var _ Bus = (*RedisBus)(nil)

// blockSlice is the longest a single XREADGROUP blocks. A blocking Read loops over slices
// so that it sees the end of its context, and entries turning stale, within one slice.
// An idle consumer thus costs Redis two cheap commands per slice.
const blockSlice = 250 * time.Millisecond

// ackChunk is the most IDs sent in one XACK, so one huge Ack does not stall Redis.
const ackChunk = 1000

// NewRedis returns a bus on client, whose keys all start with prefix (for example
// "frontdesk:"). Zero fields of opts take their defaults. logger may be nil.
func NewRedis(client redis.UniversalClient, prefix string, opts Options, logger *slog.Logger) *RedisBus {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &RedisBus{
		rdb:    client,
		prefix: prefix,
		opts:   opts.withDefaults(),
		log:    logger.With("component", "queue.redis"),
	}
}

// key returns the Redis key of stream.
func (b *RedisBus) key(stream string) string { return b.prefix + stream }

// deadKey returns the Redis key of stream's dead letters.
func (b *RedisBus) deadKey(stream string) string { return b.prefix + stream + ":dead" }

// Publish implements Bus with one pipeline of XADD commands, each with an explicit ID.
func (b *RedisBus) Publish(ctx context.Context, stream string, msgs ...Message) error {
	if err := checkIDs(msgs); err != nil {
		return fmt.Errorf("queue: redis: publish to %q: %w", stream, err)
	}
	if len(msgs) == 0 {
		return nil
	}
	key := b.key(stream)
	cmds, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range msgs {
			p.XAdd(ctx, &redis.XAddArgs{
				Stream: key,
				ID:     entryID(m.ID),
				Values: []any{"t", m.Type, "p", m.Payload},
			})
		}
		return nil
	})
	if len(cmds) != len(msgs) {
		return fmt.Errorf("queue: redis: publish to %q: %w", stream, err)
	}
	for i, c := range cmds {
		if err := c.Err(); err != nil && !isAlreadyPublished(err) {
			return fmt.Errorf("queue: redis: publish %d to %q: %w", msgs[i].ID, stream, err)
		}
	}
	return nil
}

// publishAfter checks the stream's last generated id against ARGV[1] (a plain
// number; 0 skips the check), then adds the entries given as (id, type, payload)
// triples, skipping ids at or below the stream's top. All in one script, so no restart
// can fall between the check and the appends.
var publishAfter = redis.NewScript(`
local after = tonumber(ARGV[1])
if after > 0 then
  local ok, info = pcall(redis.call, 'XINFO', 'STREAM', KEYS[1])
  if not ok then return redis.error_reply('GAP no stream') end
  local last = 0
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = tonumber(string.match(info[i + 1], '^(%d+)')) end
  end
  if last < after then return redis.error_reply('GAP last ' .. last) end
end
local added = 0
for i = 2, #ARGV, 3 do
  local ok = pcall(redis.call, 'XADD', KEYS[1], ARGV[i], 't', ARGV[i + 1], 'p', ARGV[i + 2])
  if ok then added = added + 1 end
end
return added
`)

// PublishAfter implements Bus with one Lua script: the check of the stream's last id
// and the XADDs are atomic.
func (b *RedisBus) PublishAfter(ctx context.Context, stream string, after uint64, msgs ...Message) error {
	if err := checkIDs(msgs); err != nil {
		return fmt.Errorf("queue: redis: publish to %q: %w", stream, err)
	}
	if len(msgs) == 0 && after == 0 {
		return nil
	}
	args := make([]any, 0, 1+3*len(msgs))
	args = append(args, after)
	for _, m := range msgs {
		args = append(args, entryID(m.ID), m.Type, m.Payload)
	}
	err := publishAfter.Run(ctx, b.rdb, []string{b.key(stream)}, args...).Err()
	if err != nil && strings.HasPrefix(err.Error(), "GAP") {
		return fmt.Errorf("queue: redis: publish to %q after %d: %s: %w", stream, after, err, ErrGap)
	}
	if err != nil {
		return fmt.Errorf("queue: redis: publish to %q: %w", stream, err)
	}
	return nil
}

// EnsureGroup implements Bus with XGROUP CREATE ... 0 MKSTREAM.
func (b *RedisBus) EnsureGroup(ctx context.Context, stream, group string) error {
	err := b.rdb.XGroupCreateMkStream(ctx, b.key(stream), group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("queue: redis: create group %s/%s: %w", stream, group, err)
	}
	return nil
}

// Read implements Bus; see RedisBus for the algorithm.
func (b *RedisBus) Read(ctx context.Context, stream, group, consumer string, max int, block time.Duration) ([]Delivery, error) {
	if max <= 0 {
		return nil, fmt.Errorf("queue: redis: read %s/%s: max is %d, want > 0", stream, group, max)
	}
	deadline := time.Now().Add(block)
	created := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("queue: redis: read %s/%s: %w", stream, group, err)
		}
		slice := min(time.Until(deadline), blockSlice)
		if d, ok := ctx.Deadline(); ok {
			slice = min(slice, time.Until(d))
		}
		ds, err := b.readOnce(ctx, stream, group, consumer, max, slice)
		if isNoGroup(err) && !created {
			b.log.Info("consumer group missing: creating it at the start of the stream",
				"stream", stream, "group", group)
			if err := b.EnsureGroup(ctx, stream, group); err != nil {
				return nil, err
			}
			created = true
			continue
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				err = ctxErr
			}
			return nil, fmt.Errorf("queue: redis: read %s/%s: %w", stream, group, err)
		}
		if len(ds) > 0 || !time.Now().Before(deadline) {
			return ds, nil
		}
	}
}

// readOnce reclaims stale entries, then reads new ones, blocking up to block (if at least
// a millisecond) when there is nothing else. It returns a non-nil slice on success.
func (b *RedisBus) readOnce(ctx context.Context, stream, group, consumer string, max int, block time.Duration) ([]Delivery, error) {
	out, err := b.reclaim(ctx, stream, group, consumer, max)
	if err != nil {
		return nil, err
	}
	if len(out) >= max {
		return out, nil
	}
	args := &redis.XReadGroupArgs{
		Group:    group,
		Consumer: consumer,
		Streams:  []string{b.key(stream), ">"},
		Count:    int64(max - len(out)),
		Block:    -1, // no BLOCK argument: BLOCK 0 would wait forever
	}
	if len(out) == 0 && block >= time.Millisecond {
		args.Block = block
	}
	res, err := b.rdb.XReadGroup(ctx, args).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		if len(out) > 0 {
			// The claimed entries are ours now: hand them over rather than leave them
			// waiting another visibility timeout.
			return out, nil
		}
		return nil, err
	}
	for _, s := range res {
		if out == nil {
			out = make([]Delivery, 0, len(s.Messages))
		}
		for _, xm := range s.Messages {
			m, err := decodeEntry(xm)
			if err != nil {
				b.log.Error("skipping an entry not written by RedisBus", "stream", stream, "group", group, "err", err)
				continue
			}
			out = append(out, Delivery{Message: m, Attempt: 1})
		}
	}
	if out == nil {
		out = []Delivery{}
	}
	return out, nil
}

// reclaim claims up to max entries of group pending for longer than the visibility
// timeout, dead-lettering those that ran out of attempts, and returns the others.
func (b *RedisBus) reclaim(ctx context.Context, stream, group, consumer string, max int) ([]Delivery, error) {
	key := b.key(stream)
	vt := b.opts.VisibilityTimeout
	pending, err := b.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: key, Group: group, Idle: vt, Start: "-", End: "+", Count: int64(max),
	}).Result()
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	ids := make([]string, len(pending))
	counts := make(map[string]int64, len(pending)) // deliveries before this claim
	for i, p := range pending {
		ids[i] = p.ID
		counts[p.ID] = p.RetryCount
	}
	// XCLAIM with MIN-IDLE gives each stale entry to one consumer only, even when several
	// saw it in XPENDING.
	claimed, err := b.rdb.XClaim(ctx, &redis.XClaimArgs{
		Stream: key, Group: group, Consumer: consumer, MinIdle: vt, Messages: ids,
	}).Result()
	if err != nil {
		return nil, err
	}
	var out []Delivery
	var dead []deadEntry
	for _, xm := range claimed {
		n, ok := counts[xm.ID]
		if !ok {
			continue // an entry deleted from the stream
		}
		if n >= int64(b.opts.MaxAttempts) {
			dead = append(dead, deadEntry{xm: xm, attempts: n})
			continue
		}
		m, err := decodeEntry(xm)
		if err != nil {
			b.log.Error("skipping an entry not written by RedisBus", "stream", stream, "group", group, "err", err)
			continue
		}
		out = append(out, Delivery{Message: m, Attempt: int(n) + 1})
	}
	if len(dead) > 0 {
		if err := b.deadLetter(ctx, stream, group, dead); err != nil {
			// They stay pending, and are dead-lettered by a later Read.
			b.log.Warn("dead-lettering failed", "stream", stream, "group", group, "err", err)
		}
	}
	return out, nil
}

// deadEntry is a claimed entry to move to the dead letters.
type deadEntry struct {
	xm       redis.XMessage
	attempts int64
}

// deadLetter adds entries to the dead-letter stream, then acknowledges the ones added.
// The two steps are not atomic: a crash in between leaves an entry both dead-lettered and
// pending, and it is dead-lettered again later (a duplicate dead letter, never a loss).
func (b *RedisBus) deadLetter(ctx context.Context, stream, group string, dead []deadEntry) error {
	dk := b.deadKey(stream)
	cmds, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range dead {
			id := d.xm.ID
			if n, err := parseEntryID(id); err == nil {
				id = strconv.FormatUint(n, 10)
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: dk, Values: []any{
				"t", d.xm.Values["t"], "p", d.xm.Values["p"], "id", id, "attempts", d.attempts, "g", group,
			}})
		}
		return nil
	})
	if len(cmds) != len(dead) {
		return fmt.Errorf("add to %s: %w", dk, err)
	}
	var added []string
	for i, c := range cmds {
		if c.Err() == nil {
			added = append(added, dead[i].xm.ID)
			b.log.Warn("entry dead-lettered", "stream", stream, "group", group,
				"entry", dead[i].xm.ID, "attempts", dead[i].attempts)
		}
	}
	if len(added) > 0 {
		if err := b.rdb.XAck(ctx, b.key(stream), group, added...).Err(); err != nil {
			return fmt.Errorf("acknowledge dead letters: %w", err)
		}
	}
	if len(added) < len(dead) {
		return fmt.Errorf("add to %s: %w", dk, err)
	}
	return nil
}

// Ack implements Bus with XACK, pipelined in chunks of ackChunk IDs.
func (b *RedisBus) Ack(ctx context.Context, stream, group string, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	key := b.key(stream)
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = entryID(id)
	}
	var err error
	if len(strs) <= ackChunk {
		err = b.rdb.XAck(ctx, key, group, strs...).Err()
	} else {
		_, err = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for lo := 0; lo < len(strs); lo += ackChunk {
				p.XAck(ctx, key, group, strs[lo:min(lo+ackChunk, len(strs))]...)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("queue: redis: ack %d entries of %s/%s: %w", len(ids), stream, group, err)
	}
	return nil
}

// Watermark implements Bus: the lowest pending ID (XPENDING), or else one past the last
// delivered ID (XINFO GROUPS). XINFO runs first, so an entry delivered between the two
// commands cannot raise the watermark above itself.
func (b *RedisBus) Watermark(ctx context.Context, stream, group string) (uint64, error) {
	key := b.key(stream)
	var info *redis.XInfoGroupsCmd
	var pend *redis.XPendingCmd
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		info = p.XInfoGroups(ctx, key)
		pend = p.XPending(ctx, key, group)
		return nil
	})
	g, ok, err := findGroup(info, group)
	if err != nil || !ok {
		return 0, wrapErr("watermark of", stream, group, err)
	}
	last, err := parseEntryID(g.LastDeliveredID)
	if err != nil {
		return 0, wrapErr("watermark of", stream, group, err)
	}
	w := last + 1
	p, err := pend.Result()
	if err != nil {
		return 0, wrapErr("watermark of", stream, group, err)
	}
	if p.Count > 0 {
		lower, err := parseEntryID(p.Lower)
		if err != nil {
			return 0, wrapErr("watermark of", stream, group, err)
		}
		w = min(w, lower)
	}
	return w, nil
}

// Stats implements Bus with XINFO GROUPS.
func (b *RedisBus) Stats(ctx context.Context, stream, group string) (GroupStats, error) {
	g, ok, err := findGroup(b.rdb.XInfoGroups(ctx, b.key(stream)), group)
	if err != nil || !ok {
		return GroupStats{}, wrapErr("stats of", stream, group, err)
	}
	return GroupStats{Lag: g.Lag, Pending: g.Pending}, nil
}

// findGroup returns group from the reply to XINFO GROUPS, and whether it exists.
func findGroup(cmd *redis.XInfoGroupsCmd, group string) (redis.XInfoGroup, bool, error) {
	groups, err := cmd.Result()
	if redis.HasErrorPrefix(err, "no such key") {
		return redis.XInfoGroup{}, false, nil
	}
	if err != nil {
		return redis.XInfoGroup{}, false, err
	}
	for _, g := range groups {
		if g.Name == group {
			return g, true, nil
		}
	}
	return redis.XInfoGroup{}, false, nil
}

// wrapErr wraps a non-nil err of op on stream/group; it returns nil for a nil err.
func wrapErr(op, stream, group string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("queue: redis: %s %s/%s: %w", op, stream, group, err)
}

// LastID implements Bus with the last-generated-id of XINFO STREAM, which survives
// trimming.
func (b *RedisBus) LastID(ctx context.Context, stream string) (uint64, error) {
	info, err := b.rdb.XInfoStream(ctx, b.key(stream)).Result()
	if redis.HasErrorPrefix(err, "no such key") {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("queue: redis: last ID of %q: %w", stream, err)
	}
	id, err := parseEntryID(info.LastGeneratedID)
	if err != nil {
		return 0, fmt.Errorf("queue: redis: last ID of %q: %w", stream, err)
	}
	return id, nil
}

// Trim implements Bus with XTRIM MINID, exact.
func (b *RedisBus) Trim(ctx context.Context, stream string, below uint64) error {
	if below == 0 {
		return nil
	}
	if err := b.rdb.XTrimMinID(ctx, b.key(stream), entryID(below)).Err(); err != nil {
		return fmt.Errorf("queue: redis: trim %q below %d: %w", stream, below, err)
	}
	return nil
}

// DeadLetters implements Bus with XRANGE on the dead-letter stream.
func (b *RedisBus) DeadLetters(ctx context.Context, stream string, max int) ([]Delivery, error) {
	if max <= 0 {
		return nil, fmt.Errorf("queue: redis: dead letters of %q: max is %d, want > 0", stream, max)
	}
	xms, err := b.rdb.XRangeN(ctx, b.deadKey(stream), "-", "+", int64(max)).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: redis: dead letters of %q: %w", stream, err)
	}
	out := make([]Delivery, 0, len(xms))
	for _, xm := range xms {
		id, err1 := strconv.ParseUint(field(xm, "id"), 10, 64)
		attempts, err2 := strconv.Atoi(field(xm, "attempts"))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("queue: redis: dead letter %s of %q: %w", xm.ID, stream, err)
		}
		out = append(out, Delivery{
			Message: Message{ID: id, Type: field(xm, "t"), Payload: []byte(field(xm, "p"))},
			Attempt: attempts,
		})
	}
	return out, nil
}

// Ping implements Bus with PING.
func (b *RedisBus) Ping(ctx context.Context) error {
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("queue: redis: ping: %w", err)
	}
	return nil
}

// entryID returns the Redis entry ID of a Message ID.
func entryID(id uint64) string {
	return strconv.FormatUint(id, 10) + "-0"
}

// parseEntryID returns the Message ID of a Redis entry ID "<id>-0".
func parseEntryID(s string) (uint64, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok || seq != "0" {
		return 0, fmt.Errorf("entry ID %q is not <id>-0", s)
	}
	id, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("entry ID %q: %w", s, err)
	}
	return id, nil
}

// decodeEntry returns the Message stored in a stream entry.
func decodeEntry(xm redis.XMessage) (Message, error) {
	id, err := parseEntryID(xm.ID)
	if err != nil {
		return Message{}, err
	}
	return Message{ID: id, Type: field(xm, "t"), Payload: []byte(field(xm, "p"))}, nil
}

// field returns a string field of an entry, or "" if it is missing.
func field(xm redis.XMessage, name string) string {
	s, _ := xm.Values[name].(string)
	return s
}

// isNoGroup reports whether Redis answered that the stream or the group does not exist.
func isNoGroup(err error) bool {
	return redis.HasErrorPrefix(err, "NOGROUP")
}

// isAlreadyPublished reports whether XADD refused an ID not above the stream's last one.
func isAlreadyPublished(err error) bool {
	return redis.HasErrorPrefix(err, "The ID specified in XADD is equal or smaller")
}
