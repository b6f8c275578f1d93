package policy

import "time"

// instant is a point in time with nanosecond precision.
type instant struct {
	sec  int64
	nsec int64
}

func (a instant) cmp(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// parseDate parses the date forms the Date operators accept: epoch seconds
// (optionally with a fraction) and ISO 8601 in its extended form:
// YYYY-MM-DD, optionally followed by Thh:mm, :ss, a fraction, and a zone
// (Z, ±hh:mm or ±hhmm; UTC when absent). It does not allocate.
func parseDate(s string) (instant, bool) {
	if s == "" {
		return instant{}, false
	}
	if isDigits(s, 0, len(s)) || dotIndex(s) > 0 {
		return parseEpoch(s)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || !isDigits(s, 0, 4) || !isDigits(s, 5, 7) || !isDigits(s, 8, 10) {
		return instant{}, false
	}
	year, month, day := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	var hour, min, sec, nsec int
	offset := 0
	rest := s[10:]
	if rest != "" {
		if rest[0] != 'T' && rest[0] != 't' {
			return instant{}, false
		}
		rest = rest[1:]
		if len(rest) < 5 || rest[2] != ':' || !isDigits(rest, 0, 2) || !isDigits(rest, 3, 5) {
			return instant{}, false
		}
		hour, min = atoi(rest[0:2]), atoi(rest[3:5])
		rest = rest[5:]
		if len(rest) >= 3 && rest[0] == ':' {
			if !isDigits(rest, 1, 3) {
				return instant{}, false
			}
			sec = atoi(rest[1:3])
			rest = rest[3:]
			if len(rest) > 1 && rest[0] == '.' {
				i := 1
				scale := 100000000
				for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
					nsec += int(rest[i]-'0') * scale
					scale /= 10
					i++
				}
				if i == 1 {
					return instant{}, false
				}
				rest = rest[i:]
			}
		}
		switch {
		case rest == "":
		case rest == "Z" || rest == "z":
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && isDigits(rest, 1, 3) && isDigits(rest, 4, 6):
			offset = atoi(rest[1:3])*3600 + atoi(rest[4:6])*60
			if rest[0] == '-' {
				offset = -offset
			}
		case len(rest) == 5 && (rest[0] == '+' || rest[0] == '-') && isDigits(rest, 1, 5):
			offset = atoi(rest[1:3])*3600 + atoi(rest[3:5])*60
			if rest[0] == '-' {
				offset = -offset
			}
		default:
			return instant{}, false
		}
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 {
		return instant{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	if t.Day() != day {
		return instant{}, false
	}
	return instant{sec: t.Unix() - int64(offset), nsec: int64(nsec)}, true
}

func parseEpoch(s string) (instant, bool) {
	var in instant
	i := 0
	for i < len(s) && s[i] != '.' {
		if s[i] < '0' || s[i] > '9' || i >= 15 {
			return instant{}, false
		}
		in.sec = in.sec*10 + int64(s[i]-'0')
		i++
	}
	if i == 0 {
		return instant{}, false
	}
	if i < len(s) {
		i++
		if i == len(s) {
			return instant{}, false
		}
		scale := int64(100000000)
		for ; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return instant{}, false
			}
			in.nsec += int64(s[i]-'0') * scale
			scale /= 10
		}
	}
	return in, true
}

func dotIndex(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			if isDigits(s, 0, i) && isDigits(s, i+1, len(s)) {
				return i
			}
			return -1
		case s[i] < '0' || s[i] > '9':
			return -1
		}
	}
	return -1
}

func isDigits(s string, from, to int) bool {
	if from >= to || to > len(s) {
		return false
	}
	for i := from; i < to; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
