package store

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ValidationError says which input field is wrong and why, in words a person can act on.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// invalid builds a *ValidationError.
func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// IsValidation reports whether err is (or wraps) a *ValidationError.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

var (
	slugRE   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	digitsRE = regexp.MustCompile(`^[0-9]{1,25}$`)
)

// NormalizeAccountID accepts an ad account id with or without "act_" and returns Meta's numeric
// id as text.
func NormalizeAccountID(s string) (string, error) {
	id := strings.TrimPrefix(strings.TrimSpace(s), "act_")
	if !digitsRE.MatchString(id) {
		return "", invalid("ad_account", "%q is not an ad account id (expected act_ followed by digits, e.g. act_798085168510957)", s)
	}
	return id, nil
}

// NormalizePageID checks a Facebook page id (digits).
func NormalizePageID(s string) (string, error) {
	id := strings.TrimSpace(s)
	if !digitsRE.MatchString(id) {
		return "", invalid("page", "%q is not a Facebook page id (expected digits, e.g. 1234567890)", s)
	}
	return id, nil
}

// ValidateSlug checks a client's URL slug.
func ValidateSlug(s string) error {
	if !slugRE.MatchString(s) {
		return invalid("slug", "%q is not a valid slug: use 1–64 lower-case letters, digits and inner hyphens", s)
	}
	return nil
}

// Slugify derives a slug from a name ("Acme Dental, Inc." → "acme-dental-inc").
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 64 {
		s = strings.Trim(s[:64], "-")
	}
	return s
}

// ValidateTimezone checks an IANA timezone name; "" is allowed and means "the first account's".
func ValidateTimezone(tz string) error {
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return invalid("timezone", "%q is not a known IANA timezone (e.g. America/Los_Angeles, Europe/Berlin)", tz)
	}
	return nil
}

// LeadDefinition is an action type a client may count as its leads.
type LeadDefinition struct {
	ActionType  string
	Label       string
	Explanation string
	column      string
}

// LeadDefinitions lists the action types a client may choose, default first. They are kept as
// columns of insights_daily so aggregates need no join; never add them together: they overlap.
var LeadDefinitions = []LeadDefinition{
	{"onsite_conversion.lead_grouped", "Leads on Meta (recommended)",
		"Leads that happened on Meta's surfaces: instant forms and messaging leads, including the lead_submitted event your bot logs. Meta's count of CTX leads.", "leads_grouped"},
	{"lead", "All leads",
		"Every lead Meta attributes: on-Meta leads plus website pixel leads. Overlaps 'Leads on Meta'.", "leads_all"},
	{"offsite_conversion.fb_pixel_lead", "Website pixel leads",
		"Leads reported by the Meta pixel on a website. Not messaging leads.", "leads_pixel"},
	{"onsite_conversion.messaging_conversation_started_7d", "Conversations started",
		"Counts every conversation started (first message after 7 days of silence) as a lead.", "conversations_started"},
	{"onsite_conversion.messaging_first_reply", "New messaging contacts",
		"People who messaged the business for the first time.", "first_replies"},
	{"onsite_conversion.total_messaging_connection", "Messaging connections",
		"All messaging connections; overlaps conversations started.", "messaging_connections"},
}

// DefaultLeadActionType is the lead definition of a new client.
const DefaultLeadActionType = "onsite_conversion.lead_grouped"

// leadColumn maps a lead definition to its insights_daily column; unknown types are an error so
// the column name that reaches SQL is always one of ours.
func leadColumn(actionType string) (string, error) {
	for _, d := range LeadDefinitions {
		if d.ActionType == actionType {
			return d.column, nil
		}
	}
	return "", invalid("lead_action_type", "%q is not a lead definition Leadlens knows", actionType)
}

// ValidateLeadActionType checks a lead definition.
func ValidateLeadActionType(t string) error {
	_, err := leadColumn(t)
	return err
}

// Levels are the insight levels, spelled as the Graph API spells them.
var Levels = []string{"account", "campaign", "adset"}

// ValidateLevel checks an insights level.
func ValidateLevel(l string) error {
	switch l {
	case "account", "campaign", "adset":
		return nil
	}
	return invalid("level", "%q is not a level: use account, campaign or adset", l)
}
