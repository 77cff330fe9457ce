//go:build race

package embedded

// raceEnabled lets the timing test skip itself under -race, where its figures
// would mean nothing and it would take most of the suite's time.
const raceEnabled = true
