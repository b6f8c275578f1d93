//go:build !race

package server_test

// raceDetector is set in a test binary built with -race, whose memory use
// (shadow memory included) says nothing of rolecall's own.
const raceDetector = false
