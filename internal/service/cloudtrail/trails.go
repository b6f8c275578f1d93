package cloudtrail

import (
	"regexp"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// TrailName is the name of the one trail rolecall keeps in each account: it
// records every Region's events (multi-Region), logging since the server
// started. Its ARN is what Access Analyzer's StartPolicyGeneration names in
// cloudTrailDetails.trails.
const TrailName = "rolecall"

// TrailARN returns the ARN of the account's trail, whose home Region is
// region: arn:aws:cloudtrail:REGION:ACCOUNT:trail/rolecall.
func TrailARN(region, account string) string {
	return "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + TrailName
}

// Trail is CloudTrail's Trail shape (DescribeTrails, GetTrail).
type Trail struct {
	Name                       string
	IncludeGlobalServiceEvents bool
	IsMultiRegionTrail         bool
	HomeRegion                 string
	TrailARN                   string
	LogFileValidationEnabled   bool
	HasCustomEventSelectors    bool
	HasInsightSelectors        bool
	IsOrganizationTrail        bool
}

// TrailInfo is ListTrails' entry.
type TrailInfo struct {
	TrailARN   string
	Name       string
	HomeRegion string
}

// trailOps are the operations that describe the trail.
func (h *handler) trailOps() []*api.Operation {
	return []*api.Operation{
		{Name: "DescribeTrails", Action: "cloudtrail:DescribeTrails", ReadOnly: true, Handle: h.describeTrails},
		{Name: "GetTrail", Action: "cloudtrail:GetTrail", ReadOnly: true, Resource: h.trailResource, Handle: h.getTrail},
		{Name: "ListTrails", Action: "cloudtrail:ListTrails", ReadOnly: true, Handle: h.listTrails},
		{Name: "GetTrailStatus", Action: "cloudtrail:GetTrailStatus", ReadOnly: true, Resource: h.trailResource, Handle: h.getTrailStatus},
	}
}

func (h *handler) trail(account string) Trail {
	return Trail{
		Name:                       TrailName,
		IncludeGlobalServiceEvents: true,
		IsMultiRegionTrail:         true,
		HomeRegion:                 h.region,
		TrailARN:                   TrailARN(h.region, account),
	}
}

// reTrailName is CloudTrail's rule for trail names: 3 to 128 letters,
// digits, periods, underscores and dashes, starting and ending with a
// letter or digit, with no two of ".", "_", "-" adjacent.
var (
	reTrailName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$`)
	reTrailNameRuns = regexp.MustCompile(`[._-]{2}`)
)

var reTrailARN = regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/(.+)$`)

// resolve returns the ARN a trail name or ARN designates in account, or
// CloudTrail's error for a malformed one.
func (h *handler) resolve(name, account string) (string, error) {
	if strings.HasPrefix(name, "arn:") {
		if !reTrailARN.MatchString(name) {
			return "", api.Errorf(400, "CloudTrailARNInvalidException", "ARN %s is invalid.", name)
		}
		return name, nil
	}
	if len(name) < 3 || len(name) > 128 || !reTrailName.MatchString(name) || reTrailNameRuns.MatchString(name) {
		return "", api.Errorf(400, "InvalidTrailNameException",
			"Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	}
	return "arn:aws:cloudtrail:" + h.region + ":" + account + ":trail/" + name, nil
}

// find returns the trail name designates, or TrailNotFoundException.
func (h *handler) find(name, account string) (Trail, error) {
	arn, err := h.resolve(name, account)
	if err != nil {
		return Trail{}, err
	}
	if t := h.trail(account); arn == t.TrailARN {
		return t, nil
	}
	return Trail{}, api.Errorf(400, "TrailNotFoundException", "Unknown trail: %s for the user: %s", arn, account)
}

// TrailNameInput is the input of GetTrail and GetTrailStatus: the trail's
// name or ARN. In-process callers pass it as api.Internal's Input.
type TrailNameInput struct {
	Name *string
}

func (h *handler) trailName(c *api.Call) (string, error) {
	var in TrailNameInput
	if c.Input != nil {
		if err := c.Decode(&in); err != nil {
			return "", err
		}
	} else {
		body, err := c.Payload()
		if err != nil {
			return "", err
		}
		if err := decode(body, &in); err != nil {
			return "", err
		}
	}
	if in.Name == nil {
		return "", api.Errorf(400, "InvalidTrailNameException", "Trail name cannot be empty.")
	}
	return *in.Name, nil
}

func (h *handler) trailResource(c *api.Call) (api.Resource, error) {
	name, err := h.trailName(c)
	if err != nil {
		return api.Resource{}, err
	}
	arn, err := h.resolve(name, c.Account)
	if err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: arn, Type: "AWS::CloudTrail::Trail"}, nil
}

func (h *handler) describeTrails(c *api.Call) (any, error) {
	var in struct {
		TrailNameList       []string `json:"trailNameList"`
		IncludeShadowTrails *bool    `json:"includeShadowTrails"`
	}
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t := h.trail(c.Account)
	// A multi-Region trail shows in the other Regions as a shadow trail,
	// left out when includeShadowTrails is false.
	if c.Region != h.region && in.IncludeShadowTrails != nil && !*in.IncludeShadowTrails {
		return map[string]any{"trailList": []Trail{}}, nil
	}
	if len(in.TrailNameList) == 0 {
		return map[string]any{"trailList": []Trail{t}}, nil
	}
	list := []Trail{}
	for _, name := range in.TrailNameList {
		arn, err := h.resolve(name, c.Account)
		if err != nil {
			return nil, err
		}
		if arn == t.TrailARN && len(list) == 0 {
			list = append(list, t)
		}
	}
	return map[string]any{"trailList": list}, nil
}

func (h *handler) getTrail(c *api.Call) (any, error) {
	name, err := h.trailName(c)
	if err != nil {
		return nil, err
	}
	t, err := h.find(name, c.Account)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Trail": t}, nil
}

func (h *handler) listTrails(c *api.Call) (any, error) {
	var in struct{ NextToken *string }
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.NextToken != nil {
		// The one page never has a next one, so no token is valid.
		return nil, api.Errorf(400, "InvalidNextTokenException", "Invalid NextToken: the token is not valid for this request.")
	}
	t := h.trail(c.Account)
	return map[string]any{"Trails": []TrailInfo{{TrailARN: t.TrailARN, Name: t.Name, HomeRegion: t.HomeRegion}}}, nil
}

func (h *handler) getTrailStatus(c *api.Call) (any, error) {
	name, err := h.trailName(c)
	if err != nil {
		return nil, err
	}
	if _, err := h.find(name, c.Account); err != nil {
		return nil, err
	}
	return map[string]any{"IsLogging": true}, nil
}
