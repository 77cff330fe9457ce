package embedded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// readSnapshotFile loads path; a missing file is (nil, nil): a fresh store.
func readSnapshotFile(path string) (*snapshot, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeSnapshot(f)
}

// writeSnapshotFile replaces path crash-safely: write a temp file in the same
// directory, fsync it, rename it over path, fsync the directory. A crash at any
// point leaves either the old or the new snapshot, never a mix.
func writeSnapshotFile(path string, snap *snapshot) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if err = encodeSnapshot(f, snap); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename durable; some systems refuse fsync on directories,
// which we tolerate since there is nothing else to do there.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !strings.Contains(err.Error(), "not supported") {
		return err
	}
	return nil
}
