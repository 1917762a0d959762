package metasim

import (
	"encoding/json"
	"strings"
	"time"
)

// pickFields reads a fields parameter: def when absent, an error naming the node for a field it
// does not have.
func pickFields(param string, allowed, def []string, node string) ([]string, *graphError) {
	if param == "" {
		return def, nil
	}
	var out []string
	for _, f := range splitList(param) {
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return nil, errNoField(f, node)
		}
		out = append(out, f)
	}
	return out, nil
}

// splitList reads a list parameter written either comma-separated or, as SDKs posting JSON
// bodies do, as a JSON array of strings.
func splitList(param string) []string {
	var out []string
	if strings.HasPrefix(strings.TrimSpace(param), "[") && json.Unmarshal([]byte(param), &out) == nil {
		return out
	}
	for f := range strings.SplitSeq(param, ",") {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

// metaTime writes day d at 09:00 in loc the way the Graph API writes instants.
func metaTime(d int64, loc *time.Location) string {
	t := time.Unix(d*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, loc).Format("2006-01-02T15:04:05-0700")
}

var (
	accountFields  = []string{"id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc", "account_status"}
	campaignFields = []string{"id", "account_id", "name", "objective", "status", "configured_status", "effective_status", "buying_type", "created_time", "start_time"}
	adSetFields    = []string{"id", "account_id", "campaign_id", "name", "destination_type", "optimization_goal", "billing_event", "status", "configured_status", "effective_status", "daily_budget", "created_time", "start_time", "end_time"}
	adFields       = []string{"id", "account_id", "campaign_id", "adset_id", "name", "status", "configured_status", "effective_status", "created_time"}
	idOnly         = []string{"id"}
)

// node is a campaign, ad set or ad as list edges and node reads see it.
type node interface {
	value(f string) (any, bool) // false when the field is absent on this object
	nodeID() string
	effective() string
	parentIDs() (campaignID, adSetID string)
}

func (c *campaign) nodeID() string              { return c.id }
func (c *campaign) effective() string           { return c.eff }
func (c *campaign) parentIDs() (string, string) { return c.id, "" }
func (s *adSet) nodeID() string                 { return s.id }
func (s *adSet) effective() string              { return s.eff }
func (s *adSet) parentIDs() (string, string)    { return s.camp.id, s.id }
func (d *ad) nodeID() string                    { return d.id }
func (d *ad) effective() string                 { return d.eff }
func (d *ad) parentIDs() (string, string)       { return d.adSet.camp.id, d.adSet.id }

func (c *campaign) value(f string) (any, bool) {
	switch f {
	case "id":
		return c.id, true
	case "account_id":
		return c.acct.id, true
	case "name":
		return c.name, true
	case "objective":
		return c.objective, true
	case "status", "configured_status":
		return c.status, true
	case "effective_status":
		return c.eff, true
	case "buying_type":
		return "AUCTION", true
	case "created_time", "start_time":
		return metaTime(c.created, c.acct.loc), true
	}
	return nil, false
}

func (s *adSet) value(f string) (any, bool) {
	switch f {
	case "id":
		return s.id, true
	case "account_id":
		return s.acct.id, true
	case "campaign_id":
		return s.camp.id, true
	case "name":
		return s.name, true
	case "destination_type":
		return s.dest, true
	case "optimization_goal":
		return s.goal, true
	case "billing_event":
		return "IMPRESSIONS", true
	case "status", "configured_status":
		return s.status, true
	case "effective_status":
		return s.eff, true
	case "daily_budget":
		return itoa(s.budget), true // minor units as a string, as Meta writes budgets
	case "created_time":
		return metaTime(s.start-3, s.acct.loc), true
	case "start_time":
		return metaTime(s.start, s.acct.loc), true
	case "end_time":
		return metaTime(s.end, s.acct.loc), s.hasEnd
	}
	return nil, false
}

func (d *ad) value(f string) (any, bool) {
	switch f {
	case "id":
		return d.id, true
	case "account_id":
		return d.adSet.acct.id, true
	case "campaign_id":
		return d.adSet.camp.id, true
	case "adset_id":
		return d.adSet.id, true
	case "name":
		return d.name, true
	case "status", "configured_status":
		return d.status, true
	case "effective_status":
		return d.eff, true
	case "created_time":
		return metaTime(d.adSet.start-2, d.adSet.acct.loc), true
	}
	return nil, false
}

func renderNode(n node, fields []string) object {
	o := make(object, 0, len(fields))
	for _, f := range fields {
		if v, ok := n.value(f); ok {
			o = append(o, field{f, v})
		}
	}
	return o
}

func nodeFields(n node) ([]string, string) {
	switch n.(type) {
	case *campaign:
		return campaignFields, "Campaign"
	case *adSet:
		return adSetFields, "AdSet"
	}
	return adFields, "Ad"
}

// handleNode answers GET /<campaign|adset|ad id>.
func (s *Server) handleNode(c *call, n node) (any, *graphError) {
	allowed, name := nodeFields(n)
	fs, ge := pickFields(c.params.Get("fields"), allowed, idOnly, name)
	if ge != nil {
		return nil, ge
	}
	return renderNode(n, fs), nil
}

func (s *Server) handleMe(c *call) (any, *graphError) {
	fs, ge := pickFields(c.params.Get("fields"), []string{"id", "name"}, []string{"id", "name"}, "User")
	if ge != nil {
		return nil, ge
	}
	o := object{}
	for _, f := range fs {
		if f == "id" {
			o = append(o, field{"id", s.w.userID})
		} else {
			o = append(o, field{"name", "Leadlens Demo User"})
		}
	}
	return o, nil
}

func (s *Server) accountObject(a *account, fs []string) object {
	o := object{}
	for _, f := range fs {
		var v any
		switch f {
		case "id":
			v = "act_" + a.id
		case "account_id":
			v = a.id
		case "name":
			v = a.name
		case "currency":
			v = a.currency
		case "timezone_name":
			v = a.tzName
		case "timezone_offset_hours_utc":
			_, off := s.now().In(a.loc).Zone()
			v = float64(off) / 3600
		case "account_status":
			v = 1
		}
		o = append(o, field{f, v})
	}
	return o
}

func (s *Server) handleAccount(c *call) (any, *graphError) {
	fs, ge := pickFields(c.params.Get("fields"), accountFields, []string{"id", "account_id"}, "AdAccount")
	if ge != nil {
		return nil, ge
	}
	return s.accountObject(c.acct, fs), nil
}

func (s *Server) handleMyAccounts(c *call) (any, *graphError) {
	fs, ge := pickFields(c.params.Get("fields"), accountFields, []string{"id", "account_id"}, "AdAccount")
	if ge != nil {
		return nil, ge
	}
	pr, ge := parsePage(c, 'l')
	if ge != nil {
		return nil, ge
	}
	var rows []object
	first, last, more := -1, -1, false
	for i := pr.start; i < len(s.w.accounts); i++ {
		if len(rows) == pr.limit {
			more = true
			break
		}
		if first < 0 {
			first = i
		}
		last = i
		rows = append(rows, s.accountObject(s.w.accounts[i], fs))
	}
	return pageEnvelope(c, 'l', rows, first, last, more, pr.limit), nil
}

var listFilterFields = map[string]bool{"effective_status": true, "id": true, "campaign.id": true, "adset.id": true}

// handleList pages an edge of campaigns, ad sets or ads. Every status is listed unless the
// request narrows it with effective_status or filtering.
func (s *Server) handleList(c *call, items []node, allowed []string, nodeName string) (any, *graphError) {
	fs, ge := pickFields(c.params.Get("fields"), allowed, idOnly, nodeName)
	if ge != nil {
		return nil, ge
	}
	var filters []filter
	if es := c.params.Get("effective_status"); es != "" {
		var vals []string
		if json.Unmarshal([]byte(es), &vals) != nil {
			vals = strings.Split(es, ",")
		}
		filters = append(filters, filter{field: "effective_status", op: "IN", values: vals})
	}
	if fl := c.params.Get("filtering"); fl != "" {
		more, ge := parseFiltering(fl, listFilterFields)
		if ge != nil {
			return nil, ge
		}
		filters = append(filters, more...)
	}
	pr, ge := parsePage(c, 'l')
	if ge != nil {
		return nil, ge
	}
	rows := []object{}
	first, last, more := -1, -1, false
	for i := pr.start; i < len(items); i++ {
		if !listMatch(items[i], filters) {
			continue
		}
		if len(rows) == pr.limit {
			more = true
			break
		}
		if first < 0 {
			first = i
		}
		last = i
		rows = append(rows, renderNode(items[i], fs))
	}
	return pageEnvelope(c, 'l', rows, first, last, more, pr.limit), nil
}

func listMatch(n node, fs []filter) bool {
	for _, f := range fs {
		var v string
		campID, adSetID := n.parentIDs()
		switch f.field {
		case "effective_status":
			v = n.effective()
		case "id":
			v = n.nodeID()
		case "campaign.id":
			v = campID
		case "adset.id":
			v = adSetID
		}
		if !f.match(v) {
			return false
		}
	}
	return true
}

func (s *Server) handleCampaigns(c *call) (any, *graphError) {
	items := make([]node, len(c.acct.campaigns))
	for i, x := range c.acct.campaigns {
		items[i] = x
	}
	return s.handleList(c, items, campaignFields, "Campaign")
}

func (s *Server) handleAdSets(c *call) (any, *graphError) {
	items := make([]node, len(c.acct.adSets))
	for i, x := range c.acct.adSets {
		items[i] = x
	}
	return s.handleList(c, items, adSetFields, "AdSet")
}

func (s *Server) handleAds(c *call) (any, *graphError) {
	items := make([]node, len(c.acct.ads))
	for i, x := range c.acct.ads {
		items[i] = x
	}
	return s.handleList(c, items, adFields, "Ad")
}
