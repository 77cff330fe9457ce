package valuetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Ranked lists on value boards: every board's players ranked as a list
// (all of them, then every other one, with ids that collide with theirs
// mixed in) must give each player the rank the model gives them on the
// board and within the list, in the board's order and tie rule, and
// --around within the list must be the model's neighbours in the list.

// listIDs are the lists ranked on a board whose players are users: all
// of them (reversed, repeated) and every other one, each with ids that
// differ from a player's by a byte (absent).
func listIDs(users []string) [][]string {
	all := []string{"nobody"}
	var half []string
	for i := len(users) - 1; i >= 0; i-- {
		all = append(all, users[i], users[i]+" ", "X"+users[i])
		if i%2 == 0 {
			half = append(half, users[i])
		}
	}
	all = append(all, users...)
	return [][]string{all, append(half, "ANA", "ana\u200b")}
}

func compareLists(t *testing.T, ctx context.Context, st *store.Store, ref store.BoardRef, m *Model, pass int) {
	t.Helper()
	name := ref.Instance
	var users []string
	for _, r := range m.Board(name) {
		users = append(users, r.User)
	}
	for li, ids := range listIDs(users) {
		want, absent := m.List(name, ids)
		got, err := st.RankList(ctx, ref, ids)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != int64(len(users)) || !reflect.DeepEqual(got.Absent, absent) {
			t.Errorf("pass %d board %s list %d: total %d absent %q, want %d %q", pass, name, li, got.Total, got.Absent, len(users), absent)
		}
		if g := listRows(got); !reflect.DeepEqual(g, want) {
			t.Errorf("pass %d board %s list %d:\n got %v\nwant %v", pass, name, li, g, want)
			continue
		}
		for i, w := range want {
			a, ok := got.Around(w.User, 1)
			if exp := want[max(i-1, 0):min(i+2, len(want))]; !ok || !reflect.DeepEqual(listRows(a), exp) {
				t.Errorf("pass %d board %s list %d: around %s\n got %v\nwant %v", pass, name, li, w.User, listRows(a), exp)
			}
		}
	}
}

func listRows(l store.RankedList) []ListRow {
	var out []ListRow
	for _, e := range l.Entries {
		out = append(out, ListRow{Row: Row{Rank: e.Rank, User: e.UserID, Value: e.Value, Meta: e.Meta["display_name"]}, ListRank: e.ListRank})
	}
	return out
}

// tiesFirstTies counts players who share a score with the player above
// them on a ties: first board of prod: the lists test ranks ties only if
// the generated file makes some.
func tiesFirstTies(prod handler.Product, m *Model) map[string]int {
	out := map[string]int{}
	for _, b := range prod.Boards {
		if b.Spec.Ties != handler.First {
			continue
		}
		rs := m.Board(b.Name)
		for i := 1; i < len(rs); i++ {
			if rs[i].Value == rs[i-1].Value {
				out[b.Spec.Order.String()]++
			}
		}
	}
	return out
}

// checkTiesMade fails t unless the file makes ties on both asc and desc
// ties: first boards.
func checkTiesMade(t *testing.T, prod handler.Product, m *Model) {
	t.Helper()
	if n := tiesFirstTies(prod, m); n["asc"] == 0 || n["desc"] == 0 {
		t.Fatalf("the generated file makes no ties on some ties: first boards (%v): the list test would not rank ties", fmt.Sprint(n))
	}
}
