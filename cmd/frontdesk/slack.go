package main

import (
	"context"
	"log/slog"

	"github.com/frontdeskhq/frontdesk/channels/slack"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// slackParts are the long-running parts of the Slack adapter: the event processor and,
// when a workspace mirrors conversations, the mirror's consumer.
func slackParts(hub *slack.Hub, a *app, consumerName string, log *slog.Logger) []component {
	if hub == nil {
		return nil
	}
	parts := []component{{"slack", hub.Run}}
	if hub.Mirrors() {
		parts = append(parts, component{"slack-mirror", queue.NewConsumer(a.bus, queue.ConsumerConfig{
			Stream: inbox.Stream, Group: slack.MirrorGroup, Name: consumerName,
		}, mirrorHandler(hub), log).Run})
	}
	return parts
}

// mirrorHandler adapts the hub's Mirror to a queue.Handler.
func mirrorHandler(hub *slack.Hub) queue.Handler {
	return func(ctx context.Context, batch []queue.Delivery) []error {
		var errs []error
		for i, d := range batch {
			if err := hub.Mirror(ctx, d.Type, d.Payload); err != nil {
				if errs == nil {
					errs = make([]error, len(batch))
				}
				errs[i] = err
			}
		}
		return errs
	}
}
