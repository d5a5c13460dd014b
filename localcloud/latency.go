package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// How long the local cloud takes over each create, update and delete, so that a deployment's
// wall time can be set beside what the real cloud would take (npm run bench):
//   - $LOCALCLOUD_LATENCY_MS: every operation takes that many milliseconds;
//   - $LOCALCLOUD_LATENCY_MODEL: per resource type, as JSON
//     {"scale": 0.1, "operations": {"<type>" | "<type>::<name>": {"create": ms, "update": ms, "delete": ms}}},
//     an entry for the resource's own name before one for its type, every figure times scale.
//
// With $LOCALCLOUD_OPLOG, each operation appends one line to that file:
// {"urn", "op", "start", "end"} with times in milliseconds since the epoch.

type latencyModel struct {
	Scale      float64                       `json:"scale"`
	Operations map[string]map[string]float64 `json:"operations"`
}

var (
	modelOnce sync.Once
	model     *latencyModel
	modelErr  error
)

func loadLatencyModel() (*latencyModel, error) {
	modelOnce.Do(func() {
		text := os.Getenv("LOCALCLOUD_LATENCY_MODEL")
		if text == "" {
			return
		}
		var m latencyModel
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			modelErr = fmt.Errorf("LOCALCLOUD_LATENCY_MODEL: %w", err)
			return
		}
		if m.Scale == 0 {
			m.Scale = 1
		}
		model = &m
	})
	return model, modelErr
}

// operationLatency is how long op ("create", "update", "delete") on the resource takes.
func operationLatency(urn resource.URN, op string) (time.Duration, error) {
	m, err := loadLatencyModel()
	if err != nil {
		return 0, err
	}
	if m == nil {
		ms, _ := strconv.Atoi(os.Getenv("LOCALCLOUD_LATENCY_MS"))
		return time.Duration(ms) * time.Millisecond, nil
	}
	typ := string(urn.Type())
	figures, ok := m.Operations[typ+"::"+urn.Name()]
	if !ok {
		figures = m.Operations[typ]
	}
	return time.Duration(figures[op] * m.Scale * float64(time.Millisecond)), nil
}

var opLogMu sync.Mutex

// operate runs one cloud operation on the resource: holds what it must hold (hold may be nil),
// waits its latency, does it, logs it.
func operate(urn string, op string, hold func() (release func(), err error), do func() error) error {
	started := time.Now()
	if hold != nil {
		release, err := hold()
		if err != nil {
			return err
		}
		defer release()
	}
	wait, err := operationLatency(resource.URN(urn), op)
	if err != nil {
		return err
	}
	time.Sleep(wait)
	err = do()
	if file := os.Getenv("LOCALCLOUD_OPLOG"); file != "" {
		line, _ := json.Marshal(map[string]any{
			"urn": urn, "op": op,
			"start": float64(started.UnixMicro()) / 1000, "end": float64(time.Now().UnixMicro()) / 1000,
		})
		opLogMu.Lock()
		defer opLogMu.Unlock()
		// One write per line with O_APPEND: the plugin processes share the file.
		f, ferr := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		if _, ferr := f.Write(append(line, '\n')); ferr != nil {
			return ferr
		}
	}
	return err
}
