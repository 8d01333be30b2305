package telephony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// MaxSMSLength is the provider's limit on a message body, in characters.
const MaxSMSLength = 1600

// sentMemory bounds how many recent sends a Sender remembers to answer a repeated Send
// without sending twice.
const sentMemory = 4096

// Sender delivers agents' replies as SMS through the provider's REST API
// (POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json). It implements
// channels.Sender: network errors, 429 and 5xx answers are returned as plain errors for
// the outbound worker to retry; other refusals (an invalid number, a blocked recipient)
// are channels.Permanent. Each message asks for status callbacks carrying our message
// id, so delivery is tracked even before the provider's id is recorded. A Send repeated
// for a message this process already sent returns the first id without sending again
// (a crash between sending and recording can still send twice). Safe for concurrent use.
type Sender struct {
	cfg       Config
	client    *http.Client
	endpoint  string
	statusURL string
	log       *slog.Logger

	mu    sync.Mutex
	sent  map[int64]string
	order []int64
}

var _ channels.Sender = (*Sender)(nil)

// NewSender returns the SMS sender. publicURL is the server's public base URL (for the
// status callbacks) unless cfg.PublicURL is set; client may be nil.
func NewSender(cfg Config, publicURL string, client *http.Client, logger *slog.Logger) (*Sender, error) {
	cfg = cfg.WithDefaults()
	cfg.Enabled = true
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("telephony: sending SMS needs account_sid and auth_token")
	}
	if client == nil {
		client = &http.Client{}
	}
	if cfg.PublicURL != "" {
		publicURL = cfg.PublicURL
	}
	return &Sender{
		cfg:       cfg,
		client:    client,
		endpoint:  strings.TrimSuffix(cfg.APIURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json",
		statusURL: strings.TrimSuffix(publicURL, "/") + cfg.Path + "/sms/status",
		log:       logger.With("component", "telephony"),
		sent:      map[int64]string{},
	}, nil
}

// apiError is the provider's error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
}

// Send implements channels.Sender.
func (s *Sender) Send(ctx context.Context, out channels.Outbound) (string, error) {
	if sid, ok := s.remembered(out.MessageID); ok {
		return sid, nil
	}
	form, err := s.form(out)
	if err != nil {
		return "", channels.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", channels.Permanent(fmt.Errorf("telephony: send sms: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("telephony: send sms: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("telephony: send sms: read answer: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var ok struct {
			SID string `json:"sid"`
		}
		if err := json.Unmarshal(body, &ok); err != nil || ok.SID == "" {
			// Accepted all the same: the status callbacks find it by our id.
			s.log.Warn("sms accepted without a readable sid", "message_id", out.MessageID, "status", resp.StatusCode)
		}
		s.remember(out.MessageID, ok.SID)
		return ok.SID, nil
	}
	var ae apiError
	_ = json.Unmarshal(body, &ae)
	err = fmt.Errorf("telephony: send sms: provider answered %d (code %d: %s)", resp.StatusCode, ae.Code, strings.ToValidUTF8(ae.Message, ""))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return "", err
	}
	return "", channels.Permanent(err)
}

// form builds the Messages.json request of out, or says why it cannot be sent.
func (s *Sender) form(out channels.Outbound) (url.Values, error) {
	if out.To.Kind != channels.KindPhone {
		return nil, fmt.Errorf("telephony: send sms: the recipient is a %s identity, not a phone number", out.To.Kind)
	}
	to, ok := inbox.NormalizePhone(out.To.Value, "")
	if !ok {
		return nil, errors.New("telephony: send sms: the recipient's number is not a phone number")
	}
	if len(out.Attachments) > 0 {
		return nil, errors.New("telephony: send sms: files cannot go by SMS; send the text alone, and the files by email")
	}
	body := strings.TrimSpace(out.Text)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return nil, errors.New("telephony: send sms: empty message")
	case n > MaxSMSLength:
		return nil, fmt.Errorf("telephony: send sms: %d characters, over the limit of %d", n, MaxSMSLength)
	}
	f := url.Values{"To": {to}, "Body": {body}}
	switch from, ok := inbox.NormalizePhone(out.Account, ""); {
	case out.Account != "" && ok:
		f.Set("From", from)
	case s.cfg.SMSFrom != "":
		from, _ := inbox.NormalizePhone(s.cfg.SMSFrom, "")
		f.Set("From", from)
	case s.cfg.MessagingServiceSID != "":
		f.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
	default:
		return nil, errors.New("telephony: send sms: no number to send from (set telephony.sms_from)")
	}
	cb := url.Values{"message_id": {strconv.FormatInt(out.MessageID, 10)}}
	if out.Channel == channels.Telephony {
		cb.Set("channel", channels.Telephony)
	}
	f.Set("StatusCallback", s.statusURL+"?"+cb.Encode())
	return f, nil
}

func (s *Sender) remembered(id int64) (string, bool) {
	if id == 0 {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sid, ok := s.sent[id]
	return sid, ok
}

func (s *Sender) remember(id int64, sid string) {
	if id == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sent[id]; ok {
		return
	}
	if len(s.order) >= sentMemory {
		delete(s.sent, s.order[0])
		s.order = s.order[1:]
	}
	s.sent[id] = sid
	s.order = append(s.order, id)
}
