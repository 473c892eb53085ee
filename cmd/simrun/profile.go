package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts a CPU profile into cpu (when not empty) and returns
// the function that stops it and writes the allocation profile into mem
// (when not empty). Both files are pprof's format (go tool pprof). Both
// files are created here, so a path that cannot be written is an error
// before the work it would profile.
func startProfiles(cpu, mem string) (stop func() error, err error) {
	var cf, mf *os.File
	if mem != "" {
		if mf, err = os.Create(mem); err != nil {
			return nil, fmt.Errorf("--memprofile: %w", err)
		}
	}
	if cpu != "" {
		cf, err = os.Create(cpu)
		if err == nil {
			if err = pprof.StartCPUProfile(cf); err != nil {
				cf.Close()
				err = fmt.Errorf("--cpuprofile %s: %w", cpu, err)
			}
		} else {
			err = fmt.Errorf("--cpuprofile: %w", err)
		}
		if err != nil {
			if mf != nil {
				mf.Close()
			}
			return nil, err
		}
	}
	return func() error {
		if cf != nil {
			pprof.StopCPUProfile()
			if err := cf.Close(); err != nil {
				return fmt.Errorf("--cpuprofile: %w", err)
			}
		}
		if mf == nil {
			return nil
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(mf, 0); err != nil {
			mf.Close()
			return fmt.Errorf("--memprofile %s: %w", mem, err)
		}
		return mf.Close()
	}, nil
}
