package lambda

// Lambda's advanced logging controls (LoggingConfig), as described in
// "Configuring advanced logging controls for Lambda functions": the log
// format (Text or JSON), the application and system log levels (JSON
// only) and the log group.

// Log formats.
const (
	logFormatText = "Text"
	logFormatJSON = "JSON"
)

// defaultLogLevel is the application and system log level of a function
// with the JSON format that names none.
const defaultLogLevel = "INFO"

// logging is a function's stored LoggingConfig; nil stands for Lambda's
// defaults: Text, to /aws/lambda/<name>.
type logging struct {
	Format      string `json:"format"`
	AppLevel    string `json:"appLevel,omitempty"`
	SystemLevel string `json:"systemLevel,omitempty"`
	Group       string `json:"group,omitempty"` // "" is /aws/lambda/<name>
}

// loggingInput is the LoggingConfig shape of a request; the model checks
// the values of each member.
type loggingInput struct {
	LogFormat           string `json:"LogFormat"`
	ApplicationLogLevel string `json:"ApplicationLogLevel"`
	SystemLogLevel      string `json:"SystemLogLevel"`
	LogGroup            string `json:"LogGroup"`
}

// apply returns the logging configuration that results from in over old
// (nil for a new function): the members given replace the ones stored.
// Levels exist only with the JSON format: a request that gives one with
// Text is refused, and a change to Text drops the stored ones; a change
// to JSON without levels takes INFO for both.
func (in *loggingInput) apply(old *logging) (*logging, error) {
	out := logging{Format: logFormatText}
	if old != nil {
		out = *old
	}
	if in == nil {
		if old == nil {
			return nil, nil
		}
		return &out, nil
	}
	if in.LogFormat != "" {
		out.Format = in.LogFormat
	}
	if in.LogGroup != "" {
		out.Group = in.LogGroup
	}
	if out.Format == logFormatText {
		if in.ApplicationLogLevel != "" || in.SystemLogLevel != "" {
			return nil, errInvalidParam(`LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "JSON" and try again.`)
		}
		out.AppLevel, out.SystemLevel = "", ""
		return &out, nil
	}
	if in.ApplicationLogLevel != "" {
		out.AppLevel = in.ApplicationLogLevel
	}
	if in.SystemLogLevel != "" {
		out.SystemLevel = in.SystemLogLevel
	}
	if out.AppLevel == "" {
		out.AppLevel = defaultLogLevel
	}
	if out.SystemLevel == "" {
		out.SystemLevel = defaultLogLevel
	}
	return &out, nil
}

// loggingOf is the logging configuration of c, defaults filled in.
func loggingOf(c *config) logging {
	lg := logging{Format: logFormatText}
	if c.Logging != nil {
		lg = *c.Logging
	}
	if lg.Group == "" {
		lg.Group = "/aws/lambda/" + c.Name
	}
	return lg
}
