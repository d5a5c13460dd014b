// Package mlog is the part of monis.app/mlog's API that the azure-workload-identity webhook
// calls (cmd/webhook and pkg/webhook at v1.6.0), written here on log/slog because the module
// proxy does not serve the original. Output is JSON lines on stderr, like the original's
// FormatJSON.
package mlog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/go-logr/logr"
)

// LogLevel names a verbosity, from the least verbose (warning) to the most (all).
type LogLevel string

const (
	LevelWarning LogLevel = "warning"
	LevelInfo    LogLevel = "info"
	LevelDebug   LogLevel = "debug"
	LevelTrace   LogLevel = "trace"
	LevelAll     LogLevel = "all"
)

// LogFormat names an output format; this stand-in writes JSON whatever is asked.
type LogFormat string

const (
	FormatJSON LogFormat = "json"
	FormatCLI  LogFormat = "cli"
)

// LogSpec is what ValidateAndSetLogLevelAndFormatGlobally takes.
type LogSpec struct {
	Level  LogLevel
	Format LogFormat
}

var order = map[LogLevel]int{"": 1, LevelWarning: 0, LevelInfo: 1, LevelDebug: 2, LevelTrace: 3, LevelAll: 4}

var current atomic.Int32

func init() { current.Store(1) }

func slogLevel() slog.Level { return slog.Level(-4 * (current.Load() - 1)) }

var handler = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: levelVar{}})

type levelVar struct{}

func (levelVar) Level() slog.Level { return slogLevel() }

// ValidateAndSetLogLevelAndFormatGlobally sets the verbosity; an unknown level is an error.
func ValidateAndSetLogLevelAndFormatGlobally(_ context.Context, spec LogSpec) error {
	n, ok := order[spec.Level]
	if !ok {
		return fmt.Errorf("unknown log level %q", spec.Level)
	}
	current.Store(int32(n))
	return nil
}

// Enabled says whether messages at level are written.
func Enabled(level LogLevel) bool { return int32(order[level]) <= current.Load() }

// Setup returns the function to call at exit; nothing is buffered here.
func Setup() func() { return func() {} }

// Logger writes structured messages.
type Logger struct{ l *slog.Logger }

// New returns the global logger.
func New() Logger { return Logger{slog.New(handler)} }

func (l Logger) WithName(name string) Logger   { return Logger{l.l.WithGroup(name)} }
func (l Logger) WithValues(kv ...any) Logger   { return Logger{l.l.With(kv...)} }
func (l Logger) Info(msg string, kv ...any)    { l.l.Info(msg, kv...) }
func (l Logger) Warning(msg string, kv ...any) { l.l.Warn(msg, kv...) }
func (l Logger) Debug(msg string, kv ...any)   { l.l.Debug(msg, kv...) }
func (l Logger) Error(msg string, err error, kv ...any) {
	l.l.Error(msg, append([]any{"error", err}, kv...)...)
}

// Logr returns the logger as a logr.Logger, for controller-runtime.
func Logr() logr.Logger { return logr.FromSlogHandler(handler) }

// Info, Debug, Warning and Error log through the global logger.
func Info(msg string, kv ...any)             { New().Info(msg, kv...) }
func Debug(msg string, kv ...any)            { New().Debug(msg, kv...) }
func Warning(msg string, kv ...any)          { New().Warning(msg, kv...) }
func Error(msg string, err error, kv ...any) { New().Error(msg, err, kv...) }

// Fatal logs err and exits with status 1.
func Fatal(err error, kv ...any) {
	New().Error("fatal", err, kv...)
	os.Exit(1)
}
