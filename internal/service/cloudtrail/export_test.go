package cloudtrail

// Seed records the events the tests of this package look up, one second
// apart from start.
var Seed = seed
