package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/telephony"
	"github.com/frontdeskhq/frontdesk/router/notify"
	"github.com/frontdeskhq/frontdesk/web"
)

// wireTelephony builds the telephony webhooks (as web routes) and adds the SMS sender to
// senders, when the telephony section is enabled.
func wireTelephony(cfg config, a *app, senders map[string]channels.Sender, log *slog.Logger) ([]web.Route, error) {
	if !cfg.Telephony.Enabled {
		return nil, nil
	}
	public := cfg.Server.URL()
	h, err := telephony.New(cfg.Telephony, a.inbox, public, log)
	if err != nil {
		return nil, fmt.Errorf("telephony: %w", err)
	}
	var routes []web.Route
	for _, r := range h.Routes() {
		routes = append(routes, web.Route{Pattern: r.Pattern, Handler: r.Handler})
	}
	if cfg.Telephony.AccountSID != "" {
		sms, err := telephony.NewSender(cfg.Telephony, public, &http.Client{}, log)
		if err != nil {
			return nil, fmt.Errorf("telephony: %w", err)
		}
		senders[channels.SMS] = sms
		if cfg.Telephony.ReplyToCallsBySMS {
			senders[channels.Telephony] = sms
		}
	}
	log.Info("telephony webhooks mounted", "routes", len(routes), "sms_sender", cfg.Telephony.AccountSID != "")
	return routes, nil
}

// phoneMessageNotifiers are the channels phone message notifications go out on besides
// the in-app list: email, when outbound mail is configured, and a Slack direct message,
// when a staff workspace (agent or notify mode) is (staffDMs nil otherwise).
func phoneMessageNotifiers(senders map[string]channels.Sender, staffDMs channels.Sender) map[string]notify.Notifier {
	out := map[string]notify.Notifier{}
	if s, ok := senders[channels.Email]; ok {
		out[channels.Email] = notify.ViaSender{Channel: channels.Email, Sender: s}
	}
	if staffDMs != nil {
		out[channels.Slack] = notify.ViaSender{Channel: channels.Slack, Sender: staffDMs}
	}
	return out
}
