package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/varcade/statsctl/internal/handler"
)

// Archives: what a reset put aside (moderation.go's ResetBoard), listed and
// read back as the board was. An archive keeps every key of the board
// (each instance's sorted set, rating states, tie-break set and hash,
// entry metadata) and, in its index record, the board's spec at archive
// time, so a ties: first board's archive ranks by who reached a score
// first and an asc board's lists lowest first, as the board did.

// ArchivedBoard is one board content a reset put aside.
type ArchivedBoard struct {
	Name  string     `json:"name"`
	Board string     `json:"board"`
	Actor string     `json:"actor"`
	At    time.Time  `json:"at"`
	Keys  []BoardKey `json:"keys"`
	// Spec is the board's spec when it was archived; nil in archives made
	// before statsctl recorded it, which read as desc with shared ties.
	Spec *ArchiveSpec `json:"spec,omitempty"`
}

// ArchiveSpec is the part of a board's spec (handler.Spec) an archive is
// read by, in config spelling so the record stays readable and stable
// whatever the Go constants are.
type ArchiveSpec struct {
	Order  string   `json:"order"`  // desc | asc
	Ties   string   `json:"ties"`   // shared | first
	Format string   `json:"format"` // handler.Formats
	Scale  int      `json:"scale,omitempty"`
	Fixed  bool     `json:"fixed,omitempty"`
	Meta   []string `json:"meta,omitempty"`
}

// archiveSpecOf records spec.
func archiveSpecOf(spec handler.Spec) *ArchiveSpec {
	return &ArchiveSpec{Order: spec.Order.String(), Ties: spec.Ties.String(), Format: spec.Format.String(),
		Scale: spec.Scale, Fixed: spec.Fixed, Meta: spec.Meta}
}

// ReadSpec is the spec the archive is read by (see Spec).
func (a ArchivedBoard) ReadSpec() handler.Spec {
	if a.Spec == nil {
		return handler.Spec{}
	}
	sp := handler.Spec{Scale: a.Spec.Scale, Fixed: a.Spec.Fixed, Meta: a.Spec.Meta}
	if a.Spec.Order == handler.Asc.String() {
		sp.Order = handler.Asc
	}
	if a.Spec.Ties == handler.First.String() {
		sp.Ties = handler.First
	}
	sp.Format, _ = handler.ParseFormat(a.Spec.Format)
	return sp
}

// Archives lists a product's archived boards, by name.
func (s *Store) Archives(ctx context.Context, product string) ([]ArchivedBoard, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.Archives(product)).Result()
	if err != nil {
		return nil, fmt.Errorf("archives of %s: %w", product, err)
	}
	out := make([]ArchivedBoard, 0, len(m))
	for name, raw := range m {
		var a ArchivedBoard
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, fmt.Errorf("archive %s of %s: record %.40q is not statsctl's: %w", name, product, raw, err)
		}
		a.Name = name
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y ArchivedBoard) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// ArchivedTop reads an archived board like Top reads a live one, by the
// spec recorded with it, and returns the archive's record with the page:
// instance is one of the archived board's instances ("" for the board
// itself). ErrNotFound when there is no such archive or the archive holds
// no such instance.
func (s *Store) ArchivedTop(ctx context.Context, product, name, instance string, offset, limit int64) (Page, ArchivedBoard, error) {
	arch, err := s.Archives(ctx, product)
	if err != nil {
		return Page{}, ArchivedBoard{}, err
	}
	for _, a := range arch {
		if a.Name != name {
			continue
		}
		if instance == "" {
			instance = a.Board
		}
		ik, ok := s.archivedKeys(product, a, instance)
		if !ok {
			return Page{}, ArchivedBoard{}, ErrNotFound
		}
		spec := a.ReadSpec()
		if spec.Ties == handler.First && ik.tieSet == "" {
			spec.Ties = handler.Shared // no tie-break data archived: rank by score
		}
		if offset < 0 {
			offset = 0
		}
		stop := int64(-1)
		if limit > 0 {
			stop = offset + limit - 1
		}
		keys, head := readKeysOf(ik, spec, "page")
		v, err := s.read.Run(ctx, s.rdb, keys, append(head, offset, stop)...).Slice()
		if err != nil {
			return Page{}, a, fmt.Errorf("read archive %s (%s) of %s: %w", name, instance, product, err)
		}
		p, err := parsePage(v, spec.Ties == handler.First)
		if err != nil {
			return Page{}, a, fmt.Errorf("read archive %s (%s) of %s: %w", name, instance, product, err)
		}
		if err := s.dressAt(ctx, spec, ik.meta, p.Entries); err != nil {
			return Page{}, a, fmt.Errorf("read archive %s (%s) of %s: %w", name, instance, product, err)
		}
		return p, a, nil
	}
	return Page{}, ArchivedBoard{}, ErrNotFound
}

// archivedKeys are the archive keys of instance's board, tie-break and
// metadata keys, as reset named them (each live key's suffix under
// archive:<name>:); ok is false when the archive lists no sorted set of
// that instance. A key the archive does not list (older archives kept no
// tie-break data) is "".
func (s *Store) archivedKeys(product string, a ArchivedBoard, instance string) (instanceKeys, bool) {
	listed := map[string]bool{}
	for _, k := range a.Keys {
		if k.Instance == instance || k.Instance == "" {
			listed[k.Key] = true
		}
	}
	tag := s.keys.tag(product)
	at := func(live string) string {
		k := s.keys.Archive(product, a.Name, strings.TrimPrefix(live, tag))
		if !listed[k] {
			return ""
		}
		return k
	}
	ik := instanceKeys{at(s.keys.Board(product, instance)), at(s.keys.TieSet(product, instance)),
		at(s.keys.TieOf(product, instance)), at(s.keys.Meta(product, instance))}
	if ik.tieOf == "" {
		ik.tieSet = ""
	}
	return ik, ik.board != ""
}
