package testredis

import "syscall"

// Stop freezes the server (SIGSTOP) until Cont, or the end of the test: a
// Redis that keeps its connections open but answers nothing, which is what
// a hung or swapped-out server looks like to a client.
func (s *Server) Stop() {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		s.t.Fatal("testredis: Stop on a server that is not running")
	}
	pid := s.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		s.t.Fatalf("testredis: SIGSTOP %d: %v", pid, err)
	}
	s.t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
}

// Cont resumes a server frozen by Stop.
func (s *Server) Cont() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGCONT)
	}
}
