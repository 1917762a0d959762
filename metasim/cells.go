package metasim

// Daily values are never stored. Each (ad set, day) cell is a pure function of the seed, the ad
// set, the day and — for days still inside the restatement window — the epoch, computed with
// integer arithmetic only so the same seed gives the same numbers on every architecture.

// mix is the splitmix64 finaliser: a cheap, well-distributed 64-bit hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// rng is a splitmix64 stream; a value type so a cell's stream lives on the stack.
type rng struct{ s uint64 }

func newRNG(seed, a, b, c uint64) rng {
	return rng{s: mix(seed ^ mix(a^mix(b^mix(c))))}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a value in [0, n); the modulo bias is irrelevant for simulation.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// sround rounds num/den up or down at random in proportion to the remainder, so small expected
// values still produce the occasional 1 and sums stay unbiased.
func sround(num, den int64, r *rng) int64 {
	if num <= 0 {
		return 0
	}
	v := num / den
	if int64(r.next()%uint64(den)) < num%den {
		v++
	}
	return v
}

// Action types served, in the order they appear in a row's actions array.
const (
	actLinkClick = iota
	actLeadGrouped
	actConversations
	actFirstReply
	actTotalConnection
	actDepth2
	actLead
	actPixelLead
	actLeadgenGrouped
	actLandingPageView
	actPostEngagement
	actPageEngagement
	actVideoView
	actAppInstall
	numActions
)

var actionNames = [numActions]string{
	"link_click",
	"onsite_conversion.lead_grouped",
	"onsite_conversion.messaging_conversation_started_7d",
	"onsite_conversion.messaging_first_reply",
	"onsite_conversion.total_messaging_connection",
	"onsite_conversion.messaging_user_depth_2_message_send",
	"lead",
	"offsite_conversion.fb_pixel_lead",
	"leadgen_grouped",
	"landing_page_view",
	"post_engagement",
	"page_engagement",
	"video_view",
	"mobile_app_install",
}

// Attribution windows that may be requested per action.
const (
	win1dClick = iota
	win7dClick
	win28dClick
	win1dView
	numWindows
)

var windowNames = [numWindows]string{"1d_click", "7d_click", "28d_click", "1d_view"}

// vanishPermille is the chance that a restated day loses an ad set's row in a given epoch.
const vanishPermille = 35

// metrics is one row's values; rows of coarser levels are sums of ad-set cells.
type metrics struct {
	spend       int64 // minor units of the account currency
	impressions int64
	clicks      int64
	act         [numActions]int64
	win         [numActions][numWindows]int64
}

func (m *metrics) add(o *metrics, withWin bool) {
	m.spend += o.spend
	m.impressions += o.impressions
	m.clicks += o.clicks
	for i := range m.act {
		m.act[i] += o.act[i]
	}
	if withWin {
		for i := range m.win {
			for j := range m.win[i] {
				m.win[i][j] += o.win[i][j]
			}
		}
	}
}

// cell computes ad set a's delivery on day d into m (which must be zero) and reports whether
// there is a row. inside says whether d is inside the restatement window, where epoch perturbs
// rounding, spend and presence; outside it the values are final and epoch is ignored.
func (w *world) cell(a *adSet, d int64, inside bool, epoch int64, withWin bool, m *metrics) bool {
	if d < a.start || d > a.end || d < w.historyStart {
		return false
	}
	r := newRNG(w.seed, a.key, uint64(d), 0x5eed)
	if r.intn(1000) < a.dark {
		return false // a day without delivery: no row at all
	}
	var q rng // the source of everything that may be restated
	if inside {
		q = newRNG(w.seed, a.key, uint64(d), mix(0xd21f7^uint64(epoch)))
		if q.intn(1000) < vanishPermille {
			return false
		}
	} else {
		q = newRNG(w.seed, a.key, uint64(d), 0xf1a1)
	}
	trickle := r.intn(1000) < 40
	var spend int64
	if trickle {
		spend = a.budget * int64(5+r.intn(20)) / 1000
	} else {
		spend = a.budget * weekFactors[a.week][weekday(d)] / 1000 * int64(600+r.intn(800)) / 1000
	}
	if inside {
		spend += spend * int64(q.intn(9)-4) / 1000
	}
	m.spend = max(spend, 1)
	usdCents := m.spend * 100 / a.acct.perUSD
	m.impressions = max(sround(usdCents*1000, a.cpm, &q), 1)
	if trickle {
		return true // a row with spend and impressions but no clicks and no actions key
	}
	m.clicks = sround(m.impressions*a.ctr, 10000, &q)
	c := m.clicks
	act := &m.act
	switch a.prof {
	case profMessaging:
		act[actLinkClick] = sround(c*900, 1000, &q)
		conv := sround(c*a.convRate, 1000, &q)
		act[actConversations] = conv
		act[actTotalConnection] = conv + sround(conv*150, 1000, &q)
		act[actFirstReply] = sround(conv*700, 1000, &q)
		act[actDepth2] = sround(conv*450, 1000, &q)
		act[actLeadGrouped] = sround(conv*a.leadRate, 1000, &q)
		act[actLead] = act[actLeadGrouped]
		act[actPostEngagement] = c + sround(m.impressions*3, 1000, &q)
	case profWebsite:
		act[actLinkClick] = sround(c*850, 1000, &q)
		act[actLandingPageView] = sround(act[actLinkClick]*700, 1000, &q)
		act[actPixelLead] = sround(act[actLandingPageView]*a.leadRate, 1000, &q)
		act[actLead] = act[actPixelLead]
		act[actPostEngagement] = c + sround(m.impressions*2, 1000, &q)
	case profForm:
		act[actLinkClick] = sround(c*300, 1000, &q)
		act[actLeadgenGrouped] = sround(c*a.leadRate, 1000, &q)
		act[actLeadGrouped] = act[actLeadgenGrouped]
		act[actLead] = act[actLeadGrouped]
		act[actPostEngagement] = c + sround(m.impressions*4, 1000, &q)
	case profApp:
		act[actLinkClick] = sround(c*950, 1000, &q)
		act[actAppInstall] = sround(act[actLinkClick]*a.leadRate, 1000, &q)
		act[actPostEngagement] = act[actLinkClick]
	case profEngage:
		act[actLinkClick] = sround(c*400, 1000, &q)
		act[actPostEngagement] = c + sround(m.impressions*15, 1000, &q)
		act[actVideoView] = sround(m.impressions*20, 1000, &q)
	case profAware:
		act[actLinkClick] = sround(c*500, 1000, &q)
		act[actPostEngagement] = sround(m.impressions*5, 1000, &q)
		act[actVideoView] = sround(m.impressions*40, 1000, &q)
	}
	act[actPageEngagement] = act[actPostEngagement]
	if withWin {
		for i, v := range act {
			if v == 0 {
				continue
			}
			view := sround(v*a.viewPct, 1000, &q)
			click7 := v - view
			m.win[i][win1dView] = view
			m.win[i][win7dClick] = click7
			m.win[i][win1dClick] = click7 - sround(click7*200, 1000, &q)
			m.win[i][win28dClick] = click7 + sround(click7*100, 1000, &q)
		}
	}
	return true
}
