package runtime

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// spec is one Lambda runtime identifier as AWS ships it.
type spec struct {
	id     string
	family string // "python", "nodejs", "provided", "java", "dotnet", "ruby", "go"
	major  int    // language version: Python major, Node major
	minor  int    // Python minor

	// AWS's lifecycle (Lambda Developer Guide, "Lambda runtimes",
	// deprecated runtimes): after blockCreate, CreateFunction refuses the
	// runtime; after blockUpdate, so do the updates. Zero: not blocked.
	blockCreate, blockUpdate time.Time
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// catalog is every value of the Runtime enum of the Lambda API, with the
// retirement dates AWS published for those it no longer lets functions be
// created or updated with.
var catalog = []spec{
	{id: "nodejs", family: "nodejs", major: 0, blockCreate: day(2016, time.October, 31), blockUpdate: day(2016, time.October, 31)},
	{id: "nodejs4.3", family: "nodejs", major: 4, blockCreate: day(2018, time.December, 15), blockUpdate: day(2019, time.April, 30)},
	{id: "nodejs4.3-edge", family: "nodejs", major: 4, blockCreate: day(2018, time.December, 15), blockUpdate: day(2019, time.April, 30)},
	{id: "nodejs6.10", family: "nodejs", major: 6, blockCreate: day(2019, time.April, 30), blockUpdate: day(2019, time.August, 12)},
	{id: "nodejs8.10", family: "nodejs", major: 8, blockCreate: day(2020, time.January, 6), blockUpdate: day(2020, time.February, 3)},
	{id: "nodejs10.x", family: "nodejs", major: 10, blockCreate: day(2021, time.June, 30), blockUpdate: day(2021, time.July, 30)},
	{id: "nodejs12.x", family: "nodejs", major: 12, blockCreate: day(2023, time.May, 31), blockUpdate: day(2023, time.June, 30)},
	{id: "nodejs14.x", family: "nodejs", major: 14, blockCreate: day(2024, time.January, 9), blockUpdate: day(2024, time.February, 8)},
	{id: "nodejs16.x", family: "nodejs", major: 16, blockCreate: day(2024, time.October, 1), blockUpdate: day(2024, time.October, 31)},
	{id: "nodejs18.x", family: "nodejs", major: 18, blockCreate: day(2026, time.March, 9), blockUpdate: day(2026, time.April, 9)},
	{id: "nodejs20.x", family: "nodejs", major: 20},
	{id: "nodejs22.x", family: "nodejs", major: 22},
	{id: "nodejs24.x", family: "nodejs", major: 24},
	{id: "nodejs26.x", family: "nodejs", major: 26},
	{id: "python2.7", family: "python", major: 2, minor: 7, blockCreate: day(2021, time.July, 15), blockUpdate: day(2022, time.May, 30)},
	{id: "python3.6", family: "python", major: 3, minor: 6, blockCreate: day(2022, time.July, 18), blockUpdate: day(2022, time.August, 29)},
	{id: "python3.7", family: "python", major: 3, minor: 7, blockCreate: day(2024, time.January, 9), blockUpdate: day(2024, time.February, 28)},
	{id: "python3.8", family: "python", major: 3, minor: 8, blockCreate: day(2025, time.February, 28), blockUpdate: day(2025, time.March, 31)},
	{id: "python3.9", family: "python", major: 3, minor: 9, blockCreate: day(2026, time.June, 1), blockUpdate: day(2026, time.July, 1)},
	{id: "python3.10", family: "python", major: 3, minor: 10},
	{id: "python3.11", family: "python", major: 3, minor: 11},
	{id: "python3.12", family: "python", major: 3, minor: 12},
	{id: "python3.13", family: "python", major: 3, minor: 13},
	{id: "python3.14", family: "python", major: 3, minor: 14},
	{id: "python3.15", family: "python", major: 3, minor: 15},
	{id: "java8", family: "java", blockCreate: day(2024, time.February, 8), blockUpdate: day(2024, time.March, 12)},
	{id: "java8.al2", family: "java"},
	{id: "java8.al2023", family: "java"},
	{id: "java11", family: "java"},
	{id: "java11.al2023", family: "java"},
	{id: "java17", family: "java"},
	{id: "java17.al2023", family: "java"},
	{id: "java21", family: "java"},
	{id: "java25", family: "java"},
	{id: "dotnetcore1.0", family: "dotnet", blockCreate: day(2019, time.June, 27), blockUpdate: day(2019, time.July, 31)},
	{id: "dotnetcore2.0", family: "dotnet", blockCreate: day(2019, time.April, 30), blockUpdate: day(2019, time.May, 30)},
	{id: "dotnetcore2.1", family: "dotnet", blockCreate: day(2021, time.December, 20), blockUpdate: day(2022, time.April, 15)},
	{id: "dotnetcore3.1", family: "dotnet", blockCreate: day(2023, time.May, 3), blockUpdate: day(2023, time.June, 2)},
	{id: "dotnet6", family: "dotnet", blockCreate: day(2025, time.February, 28), blockUpdate: day(2025, time.March, 31)},
	{id: "dotnet8", family: "dotnet"},
	{id: "dotnet10", family: "dotnet"},
	{id: "go1.x", family: "go", blockCreate: day(2024, time.February, 8), blockUpdate: day(2024, time.March, 12)},
	{id: "ruby2.5", family: "ruby", blockCreate: day(2021, time.July, 30), blockUpdate: day(2022, time.March, 31)},
	{id: "ruby2.7", family: "ruby", blockCreate: day(2024, time.January, 9), blockUpdate: day(2024, time.February, 8)},
	{id: "ruby3.2", family: "ruby"},
	{id: "ruby3.3", family: "ruby"},
	{id: "ruby3.4", family: "ruby"},
	{id: "ruby4.0", family: "ruby"},
	{id: "provided", family: "provided", blockCreate: day(2024, time.February, 8), blockUpdate: day(2024, time.March, 12)},
	{id: "provided.al2", family: "provided"},
	{id: "provided.al2023", family: "provided"},
}

// recommended is the runtime AWS names in its refusal of a retired one:
// the newest generally available runtime of the family.
var recommended = map[string]string{
	"nodejs": "nodejs24.x", "python": "python3.14", "java": "java25", "dotnet": "dotnet10",
	"ruby": "ruby3.4", "go": "provided.al2023", "provided": "provided.al2023",
}

// runnable are the families rolecall runs.
var runnable = []string{"python", "nodejs", "provided"}

func lookupSpec(id string) (spec, bool) {
	i := slices.IndexFunc(catalog, func(s spec) bool { return s.id == id })
	if i < 0 {
		return spec{}, false
	}
	return catalog[i], true
}

// RuntimeError is a runtime that CreateFunction or an update must refuse.
// Message is the text of Lambda's InvalidParameterValueException.
type RuntimeError struct {
	Runtime string
	Message string
}

func (e *RuntimeError) Error() string { return e.Message }

// Operation is the Lambda operation a runtime is checked for.
type Operation int

// The operations of CheckRuntime.
const (
	// OpCreate is CreateFunction.
	OpCreate Operation = iota
	// OpUpdate is UpdateFunctionConfiguration or UpdateFunctionCode.
	OpUpdate
)

// CheckLifecycle returns a *RuntimeError when AWS refuses runtime for op at
// now because the runtime is retired (Lambda Developer Guide, "Runtime
// deprecation": creation is blocked first, then updates), with AWS's own
// message; and when rolecall cannot run the runtime's family at all.
func CheckLifecycle(runtime string, op Operation, now time.Time) error {
	s, _ := lookupSpec(runtime) // the API model refuses values outside the enum
	block := s.blockCreate
	if op == OpUpdate {
		block = s.blockUpdate
	}
	if !block.IsZero() && !now.Before(block) {
		return &RuntimeError{Runtime: runtime, Message: fmt.Sprintf(
			"The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (%s) while creating or updating functions.",
			runtime, recommended[s.family])}
	}
	if !slices.Contains(runnable, s.family) {
		return &RuntimeError{Runtime: runtime, Message: fmt.Sprintf(
			"The runtime parameter of %s is not supported by rolecall: it runs the python3.x and nodejs*.x runtimes on the host's interpreters and the OS-only runtimes (provided.al2023, provided.al2). Build the function as an executable named bootstrap that serves the Lambda Runtime API, and create it with --runtime provided.al2023.",
			runtime)}
	}
	return nil
}

// version is an interpreter's language version.
type version struct{ major, minor, patch int }

func (v version) String() string {
	return strconv.Itoa(v.major) + "." + strconv.Itoa(v.minor) + "." + strconv.Itoa(v.patch)
}

// parseVersion reads "3.11.2" or "v20.1.0".
func parseVersion(s string) (version, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(s, ".", 3)
	var v version
	var n [3]int
	for i := range 3 {
		if i >= len(parts) {
			break
		}
		digits := strings.TrimRightFunc(parts[i], func(r rune) bool { return r < '0' || r > '9' })
		x, err := strconv.Atoi(digits)
		if err != nil {
			return v, false
		}
		n[i] = x
	}
	return version{n[0], n[1], n[2]}, len(parts) >= 2
}

// matches reports whether an interpreter of version v runs runtime s:
// pythonX.Y needs Python X.Y, nodejsN.x needs Node N.
func (s spec) matches(v version) bool {
	switch s.family {
	case "python":
		return v.major == s.major && v.minor == s.minor
	case "nodejs":
		return v.major == s.major
	}
	return false
}

// want describes the interpreter a runtime needs, as "Python 3.12".
func (s spec) want() string {
	if s.family == "python" {
		return fmt.Sprintf("Python %d.%d", s.major, s.minor)
	}
	return fmt.Sprintf("Node.js %d", s.major)
}

// EnvName is the environment variable that names the interpreter of
// runtime: ROLECALL_RUNTIME_ and the identifier in upper case with
// non-alphanumerics as underscores (ROLECALL_RUNTIME_PYTHON3_12,
// ROLECALL_RUNTIME_NODEJS22_X).
func EnvName(runtime string) string {
	b := []byte("ROLECALL_RUNTIME_" + strings.ToUpper(runtime))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
