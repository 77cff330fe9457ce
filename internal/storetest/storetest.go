// Package storetest holds the fixtures that tests of internal/store and of
// what runs on it (the cluster tests) share, written once so every suite
// applies the same items and compares read-backs the same way. Only tests
// import it.
package storetest

import (
	"fmt"
	"testing"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// GameOver is the store item of one game_over event (winner w, loser l,
// event id id) with the changes the default product's handler makes, so a
// store test applies what the consumer would, without a stream.
func GameOver(id, w, l string) store.Item {
	ev := event.Event{Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": w, "loser_id": l}}
	ch, err := handler.DefaultProduct().Handle(ev, handler.NoValues{})
	if err != nil {
		panic(fmt.Sprintf("storetest: the default handler refused a game_over: %v", err))
	}
	return store.Item{EventID: id, Changes: ch}
}

// AssertEntries fails t unless got and want print the same, so a failure
// shows both lists whole.
func AssertEntries(t testing.TB, got, want []store.Entry) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("entries\n got %v\nwant %v", got, want)
	}
}
