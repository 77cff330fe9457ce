package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/varcade/statsctl/internal/render"
)

// Terminal runs the watch full-screen-less on a terminal: the board is
// redrawn in place after every read (one read per Interval at most), cut to
// the window's size, until q, Esc or Ctrl-C, or until ctx ends. Either way
// it returns nil; a failing read is shown on the status line and retried at
// the next interval, since a person watching can see it and wait.
func Terminal(ctx context.Context, in io.Reader, out io.Writer, fetch Fetch, o Options) error {
	o.Interval = max(o.Interval, MinInterval)
	m := &model{ctx: ctx, fetch: fetch, opts: o, color: o.Render.Color}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	m.title = r.NewStyle().Bold(true)
	m.bad = r.NewStyle().Foreground(lipgloss.Color(colorBad))
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("watch %s: terminal: %w", o.Title, err)
	}
	return nil
}

const colorBad = "203"

type model struct {
	ctx    context.Context
	fetch  Fetch
	opts   Options
	color  bool
	title  lipgloss.Style
	bad    lipgloss.Style
	tr     Tracker
	snap   render.Snapshot
	err    error
	loaded bool
	width  int
	height int
}

type frameMsg struct {
	snap render.Snapshot
	err  error
}

type tickMsg struct{}

func (m *model) read() tea.Msg {
	s, err := frame(m.ctx, m.fetch, &m.tr, m.opts)
	return frameMsg{snap: s, err: err}
}

func (m *model) Init() tea.Cmd { return m.read }

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "Q", "esc", "ctrl+c":
			return m, tea.Quit
		}
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case frameMsg:
		m.err = msg.err
		if msg.err == nil {
			m.snap, m.loaded = msg.snap, true
		}
		return m, tea.Tick(m.opts.Interval, func(time.Time) tea.Msg { return tickMsg{} })
	case tickMsg:
		return m, m.read
	}
	return m, nil
}

func (m *model) View() string {
	var b strings.Builder
	head := fmt.Sprintf("%s  %s  %d players  (q quits)", render.Printable(m.opts.Title), m.snap.At.UTC().Format("15:04:05 UTC"), m.snap.Total)
	if !m.loaded {
		head = render.Printable(m.opts.Title) + "  reading…  (q quits)"
	}
	if m.color {
		head = m.title.Render(head)
	}
	b.WriteString(head + "\n")
	if m.err != nil {
		line := "read failed, retrying: " + render.Printable(m.err.Error())
		if m.color {
			line = m.bad.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if m.snap.Note != "" {
		b.WriteString(render.Printable(m.snap.Note) + "\n")
	}
	if m.loaded && len(m.snap.Entries) > 0 {
		var t bytes.Buffer
		if err := render.WatchTable(&t, m.snap.Entries, m.color); err != nil {
			b.WriteString(render.Printable(err.Error()) + "\n")
		} else {
			b.Write(t.Bytes())
		}
	}
	return fit(b.String(), m.width, m.height)
}

// fit cuts a frame to a width x height window (0 = unknown, not cut):
// lines are truncated escape-aware, and rows past the bottom give way to a
// last line saying how many did not fit.
func fit(s string, width, height int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if height == 1 {
		lines = lines[:1]
	}
	if height > 1 && len(lines) > height {
		hidden := len(lines) - (height - 1)
		lines = append(lines[:height-1], fmt.Sprintf("… %d more lines: enlarge the window or lower --limit", hidden))
	}
	if width > 0 {
		for i, l := range lines {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	return strings.Join(lines, "\n")
}
