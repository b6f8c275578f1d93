package catalog

import "testing"

// Load decodes the embedded data; later calls are free.
func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAction(b *testing.B) {
	c := Load()
	for _, name := range []string{"lambda:InvokeFunction", "lambda:invokefunction"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.Action(name) == nil {
					b.Fatal("not found")
				}
			}
		})
	}
}

func BenchmarkConditionKey(b *testing.B) {
	c := Load()
	for _, name := range []string{"aws:TagKeys", "aws:PrincipalTag/team", "lambda:SourceFunctionArn", "s3:ExistingObjectTag/team"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.ConditionKey(name) == nil {
					b.Fatal("not found")
				}
			}
		})
	}
}

func BenchmarkSupports(b *testing.B) {
	a := Load().Action("lambda:CreateFunction")
	b.ReportAllocs()
	for b.Loop() {
		if !a.Supports("aws:TagKeys") {
			b.Fatal("unsupported")
		}
	}
}

func BenchmarkMatchActions(b *testing.B) {
	c := Load()
	b.ReportAllocs()
	for b.Loop() {
		c.MatchActions("s3:Get*")
	}
}
