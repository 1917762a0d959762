package metasim

// The tables below describe the shapes the generated world draws from. They are read-only after
// package initialisation: nothing ever writes to them, so they are not mutable state.

// accountTemplate is one kind of ad account: a currency with its minor digits, a timezone, and the
// exchange rate used to turn a budget drawn in US cents into the account's minor units.
type accountTemplate struct {
	name     string
	currency string
	timezone string
	digits   int
	perUSD   int64 // minor units of the currency per one US dollar
}

// accountTemplates is cycled by account index. The first five are the brief's mix: two decimal
// currencies on both sides of UTC, a zero-decimal currency (JPY) and a southern-hemisphere zone.
var accountTemplates = []accountTemplate{
	{"Acme – Main", "USD", "America/Los_Angeles", 2, 100},
	{"Bäckerei Müller GmbH", "EUR", "Europe/Berlin", 2, 92},
	{"東京サロン", "JPY", "Asia/Tokyo", 0, 150},
	{"Clínica Sorriso", "BRL", "America/Sao_Paulo", 2, 500},
	{"Harbour & Co", "GBP", "Europe/London", 2, 79},
	{"Mumbai Motors", "INR", "Asia/Kolkata", 2, 8300},
	{"Koala Fitness", "AUD", "Australia/Sydney", 2, 152},
	{"Tacos \"El Güero\"", "MXN", "America/Mexico_City", 2, 1700},
}

// Objectives as the Graph API spells them.
const (
	objEngagement   = "OUTCOME_ENGAGEMENT"
	objLeads        = "OUTCOME_LEADS"
	objSales        = "OUTCOME_SALES"
	objTraffic      = "OUTCOME_TRAFFIC"
	objAwareness    = "OUTCOME_AWARENESS"
	objAppPromotion = "OUTCOME_APP_PROMOTION"
	objMessages     = "MESSAGES"        // legacy, still on old campaigns
	objLeadGen      = "LEAD_GENERATION" // legacy
)

// campaignRotation decides each campaign's objective (offset per account) so that even the small
// demo world carries every objective, with messaging-heavy ones repeated because CTX is the point.
var campaignRotation = []string{
	objEngagement, objLeads, objMessages, objSales, objTraffic,
	objEngagement, objLeadGen, objAwareness, objLeads, objAppPromotion,
}

// profile says how a day's delivery turns into actions; it follows the ad set's destination.
type profile int

const (
	profMessaging profile = iota // conversations, lead_grouped
	profWebsite                  // link clicks, landing page views, pixel leads
	profForm                     // instant forms: leadgen_grouped = lead_grouped
	profApp                      // installs
	profEngage                   // post engagement, video views
	profAware                    // impressions, video views
)

// adSetKind is one (destination_type, optimization_goal) pair valid for an objective.
type adSetKind struct {
	dest string
	goal string
	prof profile
}

// objectivePlans lists, per objective, the ad-set kinds it may carry. Messaging destinations and
// non-messaging ones are mixed on purpose so CTX classification is exercised both ways, including
// a legacy MESSAGES campaign whose ad set says UNDEFINED (CTX by objective only).
var objectivePlans = map[string][]adSetKind{
	objEngagement: {
		{"MESSENGER", "CONVERSATIONS", profMessaging},
		{"WHATSAPP", "CONVERSATIONS", profMessaging},
		{"INSTAGRAM_DIRECT", "CONVERSATIONS", profMessaging},
		{"ON_AD", "POST_ENGAGEMENT", profEngage},
		{"MESSAGING_MESSENGER_WHATSAPP", "CONVERSATIONS", profMessaging},
		{"UNDEFINED", "POST_ENGAGEMENT", profEngage},
	},
	objLeads: {
		{"MESSENGER", "LEAD_GENERATION", profMessaging},
		{"ON_AD", "LEAD_GENERATION", profForm},
		{"WEBSITE", "OFFSITE_CONVERSIONS", profWebsite},
		{"MESSAGING_INSTAGRAM_DIRECT_MESSENGER", "QUALITY_LEAD", profMessaging},
		{"MESSAGING_INSTAGRAM_DIRECT_MESSENGER_WHATSAPP", "MESSAGING_APPOINTMENT_CONVERSION", profMessaging},
	},
	objSales: {
		{"WEBSITE", "OFFSITE_CONVERSIONS", profWebsite},
		{"MESSAGING_INSTAGRAM_DIRECT_WHATSAPP", "MESSAGING_PURCHASE_CONVERSION", profMessaging},
		{"WHATSAPP", "MESSAGING_PURCHASE_CONVERSION", profMessaging},
	},
	objTraffic: {
		{"WEBSITE", "LINK_CLICKS", profWebsite},
		{"UNDEFINED", "LINK_CLICKS", profWebsite},
		{"MESSENGER", "LINK_CLICKS", profMessaging},
		{"WEBSITE", "LANDING_PAGE_VIEWS", profWebsite},
	},
	objAwareness: {
		{"UNDEFINED", "REACH", profAware},
		{"UNDEFINED", "IMPRESSIONS", profAware},
		{"UNDEFINED", "THRUPLAY", profAware},
	},
	objAppPromotion: {
		{"APP", "APP_INSTALLS", profApp},
	},
	objMessages: {
		{"MESSENGER", "REPLIES", profMessaging},
		{"UNDEFINED", "CONVERSATIONS", profMessaging},
		{"INSTAGRAM_DIRECT", "REPLIES", profMessaging},
	},
	objLeadGen: {
		{"ON_AD", "LEAD_GENERATION", profForm},
		{"UNDEFINED", "LEAD_GENERATION", profForm},
	},
}

// messagingDestinations are the destination types graph-api.md calls messaging (CTX).
var messagingDestinations = map[string]bool{
	"MESSENGER":                                     true,
	"WHATSAPP":                                      true,
	"INSTAGRAM_DIRECT":                              true,
	"MESSAGING_MESSENGER_WHATSAPP":                  true,
	"MESSAGING_INSTAGRAM_DIRECT_MESSENGER":          true,
	"MESSAGING_INSTAGRAM_DIRECT_WHATSAPP":           true,
	"MESSAGING_INSTAGRAM_DIRECT_MESSENGER_WHATSAPP": true,
}

// Names are drawn from these so that they read like a real account and carry non-ASCII text,
// ampersands and quotes that a careless consumer would mangle.
var (
	campaignThemes = []string{
		"CTM spring", "Always-on", "Retargeting", "Black Friday", "Brand lift", "Evergreen",
		"Summer sale", "Lookalike 1%", "Q4 push", "Launch – new menu", "Promo \"2x1\"", "Reactivación",
	}
	audiences = []string{
		"lookalike", "broad", "interests: fitness", "retargeting 30d", "Advantage+", "18–34 women",
		"customers & fans", "geo 10 km",
	}
	destinationLabels = map[string]string{
		"MESSENGER":                                     "Messenger",
		"WHATSAPP":                                      "WhatsApp",
		"INSTAGRAM_DIRECT":                              "Instagram Direct",
		"MESSAGING_MESSENGER_WHATSAPP":                  "Messenger+WhatsApp",
		"MESSAGING_INSTAGRAM_DIRECT_MESSENGER":          "IG+Messenger",
		"MESSAGING_INSTAGRAM_DIRECT_WHATSAPP":           "IG+WhatsApp",
		"MESSAGING_INSTAGRAM_DIRECT_MESSENGER_WHATSAPP": "All messaging apps",
		"WEBSITE":   "Website",
		"ON_AD":     "Instant form",
		"APP":       "App",
		"UNDEFINED": "Feed",
	}
)

// weekFactors are per-mille multipliers by weekday (Sunday first): retail peaks at the weekend,
// B2B dips, and a flat pattern; each ad set picks one, giving the weekly seasonality.
var weekFactors = [3][7]int64{
	{1150, 900, 950, 1000, 1000, 1050, 1200},
	{600, 1150, 1150, 1150, 1100, 950, 600},
	{980, 1000, 1010, 1000, 990, 1020, 1000},
}

// dailyBudgetsUSDCents are the budget steps an ad set's daily spend is centred on.
var dailyBudgetsUSDCents = []int64{1500, 3000, 5000, 8000, 12000, 20000, 35000}

// Status rotations: about half the campaigns and two thirds of the ad sets of running
// campaigns are ACTIVE; the rest cover PAUSED, ARCHIVED and DELETED.
var (
	campaignStatuses = []string{"ACTIVE", "PAUSED", "ACTIVE", "ARCHIVED", "ACTIVE", "DELETED", "ACTIVE", "PAUSED", "ACTIVE", "ACTIVE", "ARCHIVED"}
	adSetStatuses    = []string{"ACTIVE", "PAUSED", "ACTIVE", "ACTIVE", "DELETED", "ACTIVE", "ARCHIVED", "PAUSED", "ACTIVE"}
)
