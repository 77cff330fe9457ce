package store_test

import "github.com/varcade/statsctl/internal/event"

func evGameOver(w, l string) event.Event {
	return event.Event{Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": w, "loser_id": l}}
}
