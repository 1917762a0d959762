package metasim

import (
	"net/http"
	"strings"
)

// route decides what a request asks for: its kind, account, level and handler. Every path the
// simulator serves is listed here.
//
//	GET  /me                          me
//	GET  /me/adaccounts               me
//	GET  /act_<id>                    account
//	GET  /act_<id>/campaigns|adsets|ads
//	GET  /act_<id>/insights           insights (sync)
//	POST /act_<id>/insights           async-submit
//	GET  /<campaign|adset|ad id>      node read
//	GET  /<campaign|adset id>/insights, POST (async-submit)
//	GET  /<report_run_id>             async-status
//	GET  /<report_run_id>/insights    async-results
//	POST /<dataset_id>/events         events
//	POST /<app_id>/page_activities    page_activities
func (s *Server) route(c *call) *graphError {
	method := strings.ToLower(c.r.Method)
	get, post := c.r.Method == http.MethodGet, c.r.Method == http.MethodPost
	segs := c.segs
	if len(segs) == 0 {
		return errParam("a request needs an object id in its path")
	}
	if len(segs) > 2 {
		return gerr(2500, 0, "Unknown path components: /%s", strings.Join(segs[1:], "/"))
	}
	id, edge := segs[0], ""
	if len(segs) == 2 {
		edge = segs[1]
	}
	c.objectID = id
	unsupported := func() *graphError { return errNoObject(method, id) }

	if id == "me" {
		c.kind = RequestMe
		switch {
		case !get:
			return unsupported()
		case edge == "":
			c.handler = s.handleMe
		case edge == "adaccounts":
			c.handler = s.handleMyAccounts
		default:
			return errNoField(edge, "User")
		}
		return nil
	}

	if strings.HasPrefix(id, "act_") {
		c.kind = edgeKind(edge, post)
		c.acct = s.w.lookupAccount(id)
		if c.acct == nil {
			return unsupported()
		}
		switch {
		case edge == "" && get:
			c.handler = s.handleAccount
		case edge == "campaigns" && get:
			c.handler = s.handleCampaigns
		case edge == "adsets" && get:
			c.handler = s.handleAdSets
		case edge == "ads" && get:
			c.handler = s.handleAds
		case edge == "insights" && (get || post):
			return s.routeInsights(c, post)
		case edge == "" || edge == "campaigns" || edge == "adsets" || edge == "ads":
			return unsupported()
		default:
			return errNoField(edge, "AdAccount")
		}
		return nil
	}

	if j := s.jobs.get(id); j != nil {
		c.job, c.acct, c.level = j, j.q.acct, j.q.level
		switch {
		case edge == "" && get:
			c.kind, c.handler = RequestAsyncStatus, s.handleJobStatus
		case edge == "insights" && get:
			c.kind, c.handler = RequestAsyncResults, s.handleJobResults
		case edge == "" || edge == "insights":
			return unsupported()
		default:
			return errNoField(edge, "AdReportRun")
		}
		return nil
	}

	if cp := s.w.campaignByID[id]; cp != nil {
		c.camp, c.acct = cp, cp.acct
		return s.routeNode(c, edge, get, post, RequestCampaigns, "Campaign")
	}
	if as := s.w.adSetByID[id]; as != nil {
		c.adSet, c.acct = as, as.acct
		return s.routeNode(c, edge, get, post, RequestAdSets, "AdSet")
	}
	if ad := s.w.adByID[id]; ad != nil {
		c.kind, c.acct = RequestAds, ad.adSet.acct
		if edge != "" {
			return errNoField(edge, "Ad")
		}
		if !get {
			return unsupported()
		}
		c.handler = func(c *call) (any, *graphError) { return s.handleNode(c, ad) }
		return nil
	}

	switch edge {
	case "events":
		c.kind = RequestEvents
		a := s.w.datasetByID[id]
		if a == nil || !post {
			return unsupported()
		}
		c.handler = func(c *call) (any, *graphError) { return s.handleEvents(c, a) }
		return nil
	case "page_activities":
		c.kind = RequestPageActivities
		if c.major > LastPageActivitiesVersion {
			return gerr(12, 0, "(#12) page_activities is deprecated for versions v%d.0 and higher", LastPageActivitiesVersion+1)
		}
		if id != s.w.appID || !post {
			return unsupported()
		}
		c.handler = s.handlePageActivities
		return nil
	case "insights":
		c.kind = edgeKind(edge, post)
	}
	return unsupported()
}

// edgeKind names the request kind of an edge of an ad account.
func edgeKind(edge string, post bool) RequestKind {
	switch edge {
	case "":
		return RequestAccount
	case "campaigns":
		return RequestCampaigns
	case "adsets":
		return RequestAdSets
	case "ads":
		return RequestAds
	case "insights":
		if post {
			return RequestAsyncSubmit
		}
		return RequestInsights
	}
	return RequestUnknown
}

// routeNode serves a campaign or ad set: a node read, or its insights edge.
func (s *Server) routeNode(c *call, edge string, get, post bool, kind RequestKind, node string) *graphError {
	switch {
	case edge == "" && get:
		c.kind = kind
		c.handler = func(c *call) (any, *graphError) {
			if c.camp != nil {
				return s.handleNode(c, c.camp)
			}
			return s.handleNode(c, c.adSet)
		}
		return nil
	case edge == "insights" && (get || post):
		c.kind = edgeKind(edge, post)
		return s.routeInsights(c, post)
	case edge == "" || edge == "insights":
		return errNoObject(strings.ToLower(c.r.Method), c.objectID)
	}
	c.kind = kind
	return errNoField(edge, node)
}

// routeInsights parses an insights request up front so that faults can match its level and
// window; a parameter error is kept and answered after the call has been counted.
func (s *Server) routeInsights(c *call, post bool) *graphError {
	q, ge := s.parseInsights(c.params, c.acct, c.camp, c.adSet, s.now())
	c.level = c.params.Get("level")
	if ge != nil {
		c.deferred = ge
		c.handler = func(*call) (any, *graphError) { return nil, ge }
		return nil
	}
	c.q, c.level, c.windowDays = q, q.level, int(q.until-q.since+1)
	if post {
		c.handler = s.handleSubmit
	} else {
		c.handler = s.handleInsights
	}
	return nil
}
