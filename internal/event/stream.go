package event

// FromStreamPairs builds an Event from a stream entry's fields in the order
// Redis sent them (name, value, name, value...). A field given twice marks
// the event invalid (Validate names it), the rule JSONL, HTTP and `track
// k=v` follow: a map-shaped decode would silently keep the last value.
func FromStreamPairs(id string, kv []string) Event {
	ev := Event{ID: id, Fields: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i]
		if _, seen := ev.Fields[k]; seen && ev.dup == "" {
			ev.dup = k
		}
		ev.Fields[k] = kv[i+1]
	}
	return ev
}
