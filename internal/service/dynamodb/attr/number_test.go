package attr

import (
	"encoding/json"
	"math/rand"
	"sort"
	"strconv"
	"testing"
)

func TestNumberCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"1.50": "1.5", "1e3": "1000", "-0": "0", "0.00100": "0.001", "007": "7", "-12.5E-2": "-0.125",
	} {
		d, err := ParseNumber(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := NumberText(d); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"abc":    "The parameter cannot be converted to a numeric value: abc",
		"NaN":    "The parameter cannot be converted to a numeric value: NaN",
		"1e126":  "Number overflow. Attempting to store a number with magnitude larger than supported range",
		"1e-131": "Number underflow. Attempting to store a number with magnitude smaller than supported range",
		"1.000000000000000000000000000000000000001": "Attempting to store more than 38 significant digits in a Number",
	} {
		_, err := ParseNumber(in)
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
}

// TestNumberKeyOrder checks that encoded numbers sort as the numbers do.
func TestNumberKeyOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var nums []float64
	var keys []string
	for range 2000 {
		f := (r.Float64() - 0.5) * float64(r.Intn(1e6))
		if r.Intn(10) == 0 {
			f = float64(r.Intn(20) - 10)
		}
		s := strconv.FormatFloat(f, 'g', 12, 64)
		d, err := ParseNumber(s)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := strconv.ParseFloat(NumberText(d), 64)
		nums = append(nums, g)
		keys = append(keys, EncodeKey(Num(d))+"/")
	}
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	for i := 1; i < len(idx); i++ {
		if nums[idx[i-1]] > nums[idx[i]] {
			t.Fatalf("%v (%s) sorts before %v (%s)", nums[idx[i-1]], keys[idx[i-1]], nums[idx[i]], keys[idx[i]])
		}
	}
}

func TestValueJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{}`:                     msgEmpty,
		`{"S":"a","N":"1"}`:      msgMultiple,
		`{"NULL":false}`:         ParamsInvalid + "Null attribute value types must have the value of true",
		`{"SS":[]}`:              ParamsInvalid + "An string set  may not be empty",
		`{"SS":["a","a"]}`:       ParamsInvalid + "Input collection [a, a] contains duplicates.",
		`{"NS":["1","1.0"]}`:     "Input collection contains duplicates",
		`{"BS":["AAE=","AAE="]}`: ParamsInvalid + "Input collection [AAE=, AAE=]of type BS contains duplicates.",
	} {
		var v Value
		err := json.Unmarshal([]byte(in), &v)
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
	var it Item
	in := `{"a":{"M":{"b":{"L":[{"N":"1.50"},{"BOOL":true},{"NULL":true},{"B":"AAE="}]}}},"s":{"NS":["2","1"]}}`
	if err := json.Unmarshal([]byte(in), &it); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(it)
	if want := `{"a":{"M":{"b":{"L":[{"N":"1.5"},{"BOOL":true},{"NULL":true},{"B":"AAE="}]}}},"s":{"NS":["2","1"]}}`; string(out) != want {
		t.Errorf("round trip: %s", out)
	}
}

func TestCheckNesting(t *testing.T) {
	deep := func(levels int) Item {
		v := Str("x")
		for range levels {
			v = Value{Type: L, List: []Value{v}}
		}
		return Item{"a": v}
	}
	if err := deep(31).CheckNesting(); err != nil {
		t.Errorf("31 wraps: %v", err)
	}
	if err := deep(32).CheckNesting(); err == nil || err.Error() != "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit" {
		t.Errorf("32 wraps: %v", err)
	}
}
