package engine

import (
	"fmt"
	"strings"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// rejectedOutcome is the verdict on an event Redis refused to write: it is
// Invalid like any event that cannot be applied, so the consumer
// dead-letters it and goes on, and track and the HTTP route report it with
// its line. Nothing of it was written.
func rejectedOutcome(product string, r store.Reject) Outcome {
	if user, ok := r.BannedUser(); ok {
		return Outcome{Status: Invalid, Product: product, Reason: handler.ReasonBanned,
			Detail: fmt.Sprintf("%s is banned from %s (statsctl admin bans %s); nothing of the event was written, for any player", user, product, product)}
	}
	if msg, ok := strings.CutPrefix(r.Message, "OUT_OF_RANGE "); ok {
		// The apply script's own verdict on a value board or value stat
		// (exact range, max_change, a distinct count's bound): the data is
		// fine, the event is out of range.
		return Outcome{Status: Invalid, Product: product, Reason: handler.ReasonOutOfRange,
			Detail: fmt.Sprintf("%s (key %s; nothing of the event was written)", msg, r.Key)}
	}
	if reason, detail, ok := handler.ScriptReason(r.Message); ok {
		return Outcome{Status: Invalid, Product: product, Reason: reason, Detail: detail}
	}
	return Outcome{Status: Invalid, Product: product, Reason: handler.ReasonStoreRejected,
		Detail: fmt.Sprintf("redis: %s; fix or delete the key %s, then send the event again (nothing of it was written)", r.Message, r.Key)}
}

// markerID is the id an event is marked applied under: a stream entry's
// own id, or, for an event from a file, a request or the command line,
// its id in the external id space (store.ExternalID), so that no external
// input can mark a stream entry applied. The event's ID itself is unchanged
// (scorers read it).
func markerID(ev event.Event) string {
	if ev.Src.File == "" && ev.Src.Line == 0 {
		return ev.ID
	}
	return store.ExternalID(ev.ID)
}
